/**
 * The scale study in the report: a results.json with `scale` (from `parley bench --scale`)
 * shows a line in the decentralized row and the chart of the simulated curve beside the
 * real processes, drawn without a warning; a malformed `scale` is refused naming the field.
 */
import { describe, expect, it } from 'vitest';
import { choosingSection } from '../../reports/page/choosing.js';
import { scaleChart } from '../../reports/charts/scale.js';
import { renderSvg } from '../../reports/charts/render.js';
import { resultsProblem } from '../../reports/load.js';
import { benchRun } from './fixtures/results.js';
import { realPoint, simPoint, study } from '../helpers/scale-study.js';

const agreeing = study([simPoint(5, 70), simPoint(10, 100), simPoint(50, 210), simPoint(1000, 900), simPoint(10_000, 1160)], [realPoint(5, 75), realPoint(10, 96), realPoint(50, 230)]);

describe('the scale study in the report', () => {
  it('puts a line in the decentralized row and the chart under the table', async () => {
    const page = String(await choosingSection({ ...benchRun(), scale: agreeing }));
    const row = page.slice(page.indexOf('data-use-case="decentralized"'));
    expect(row).toContain('Gossip simulated to N = 10,000');
    expect(row).toContain('agrees with real processes at N = 5, 10, 50');
    expect(page).toContain('id="chart-scale"');
    expect(page).toContain('Decentralized at scale');
  });

  it('says so when the curves do not agree', async () => {
    const apart = study([simPoint(10, 300)], [realPoint(10, 100)]);
    expect(apart.agrees).toBe(false);
    const page = String(await choosingSection({ ...benchRun(), scale: apart }));
    expect(page).toContain('does not agree with real processes everywhere at N = 10');
  });

  it('leaves the section as it was without a study', async () => {
    const page = String(await choosingSection(benchRun()));
    expect(page).not.toContain('chart-scale');
    expect(page).not.toContain('simulated to N');
  });

  it('draws every N of both sides and the tolerance bars, with no Vega warning', async () => {
    const figure = scaleChart(agreeing)!;
    const warnings: string[] = [];
    const svg = await renderSvg(figure.spec, { onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([]);
    for (const n of [5, 10, 50, 1000, 10_000]) expect(svg).toContain(`simulated, N = ${n}: convergence p50`);
    for (const n of [5, 10, 50]) expect(svg).toContain(`real processes, N = ${n}: convergence p50`);
    expect(svg).toContain('N = 50: real p50 230 ms, allowed');
  });

  it('refuses a results.json whose scale is not a study, naming the field', () => {
    const bad = { ...benchRun(), scale: { ...agreeing, sim: [{ ...agreeing.sim[0], nodes: 'five' }] } };
    expect(resultsProblem(JSON.parse(JSON.stringify(bad)))).toMatch(/^scale\.sim\.0\.nodes/);
    expect(resultsProblem(JSON.parse(JSON.stringify({ ...benchRun(), scale: agreeing })))).toBeNull();
  });
});
