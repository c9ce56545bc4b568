/**
 * A list-append anomaly in the report: the cycle drawn (transactions around a circle, one
 * arrow per dependency), its steps in a table, the other anomalies listed, and the same
 * evidence as text in JUnit.
 */
import { describe, expect, it } from 'vitest';
import { renderSvg } from '../../reports/charts/render.js';
import { cycleChart } from '../../reports/charts/cycle.js';
import { evidenceSection } from '../../reports/page/evidence.js';
import { evidenceText } from '../../reports/junit.js';
import { checkListAppend } from '../../workloads/checkers/list-append/index.js';
import type { ListAppendEvidence } from '../../workloads/checkers/verdict.js';
import { history, txn } from '../checkers/build.js';
import { benchRun } from './fixtures/results.js';

/** Read skew (G-single) between #2 and #3, and a read after recovery that misses an acknowledged append. */
function verdict() {
  const events = history(
    txn(0, [['append', 'x', 1], ['append', 'y', 1]], 0, 10),
    txn(1, [['append', 'x', 2], ['append', 'y', 2]], 20, 30),
    txn(2, [['r', 'x', [1]], ['r', 'y', [1, 2]]], 25, 35),
    txn(0, [['r', 'x', [1, 2]], ['append', 'z', 1]], 40, 50),
    txn(3, [['r', 'z', null]], 60, 70),
  ).map((e) => ({ ...e, node: `n${(Number(e.process) % 3) + 1}` }));
  return checkListAppend(events);
}

describe('the cycle figure', () => {
  it('draws each transaction and each dependency, labelled, without a Vega warning', async () => {
    const v = verdict();
    const cycle = (v.evidence as ListAppendEvidence).anomalies.find((a) => a.type === 'G-single')!;
    const figure = cycleChart(cycle as Extract<typeof cycle, { cycle: unknown }>, 'cycle-test');
    expect(figure.title).toMatch(/^G-single/);
    const warnings: string[] = [];
    const svg = await renderSvg(figure.spec, { onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([]);
    expect(svg).toContain('#2 · process 1 · n2');
    expect(svg).toContain('#3 · process 2 · n3');
    expect(svg).toContain('wr &quot;y&quot;');
    expect(svg).toContain('rw &quot;x&quot;');
    // The arrows carry what each dependency means, for the hover layer and screen readers.
    expect(svg).toContain('rw on &quot;x&quot;: #3 read the version just before #2 appended 2');
  });
});

describe('the evidence section and JUnit', () => {
  it('show the cycle drawn with its steps, and every anomaly in words', async () => {
    const run = benchRun();
    run.scenarios = [{ ...run.scenarios[0]!, name: 'raft-list-append', workload: 'list-append', checks: [verdict()], informational: [] }];
    const page = (await evidenceSection(run)).markup;
    expect(page).toContain('data-chart="cycle-0-0-0"');
    expect(page).toContain('edge to the next');
    expect(page).toContain('lost-append');
    expect(page).toMatch(/lost append: #\d+ \(process 3 on n1, ok\) \[r &quot;z&quot; \[\]\] began after/);
    const text = evidenceText(run.scenarios[0]!.checks[0]!.evidence);
    expect(text).toContain('  G-single: a cycle of 2 transactions, #2 -wr-> #3 -rw-> #2');
    expect(text).toContain('      -> rw on "x": #3 read the version just before #2 appended 2');
  });
});
