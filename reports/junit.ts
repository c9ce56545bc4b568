/**
 * JUnit XML for CI systems (Jenkins, GitLab, GitHub test reporters): a <testsuite> per
 * scenario and a <testcase> per checker verdict.
 *
 *   valid                      -> passed
 *   invalid (a promised check) -> <failure type="safety-violation">, with the evidence as text
 *   unknown                    -> <error type="undecided">: an error, not <skipped>, because
 *                                 most CI pages hide skipped tests, and a check that could not
 *                                 decide must not disappear from a green build
 *   informational              -> passed, the result noted in <system-out>
 *
 * A scenario that did not complete gets one more testcase, "run", with an <error>, so a run
 * that died before its checkers ran cannot pass for a run with nothing wrong.
 */
import type { ResultsFile, ScenarioResult } from '../contracts/results.js';
import type { Evidence, Verdict } from '../workloads/checkers/verdict.js';
import { describeOp } from './charts/timeline.js';
import { describeAnomaly as describeListAppend, describeCycle } from '../workloads/checkers/list-append/index.js';
import { algorithmLabel, verdictStatus, verdictTitle } from './scenarios.js';

/** Escape for XML text and attribute values, dropping characters XML 1.0 cannot carry at all. */
export function escapeXml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

const attrs = (pairs: Record<string, string | number>) =>
  Object.entries(pairs)
    .map(([k, v]) => ` ${k}="${escapeXml(String(v))}"`)
    .join('');

/** The evidence as lines of plain text for a CI log. */
export function evidenceText(evidence: Evidence | undefined): string {
  if (!evidence) return '';
  switch (evidence.kind) {
    case 'linearizability': {
      const ms = (ns: number) => ((ns - evidence.origin) / 1e6).toFixed(3);
      const ops = evidence.window.map((o) => `  ${o.role.padEnd(10)} process ${String(o.process)}  ${ms(o.start)}..${o.end === null ? 'never' : ms(o.end)} ms  ${describeOp(o)}`);
      return [`key ${JSON.stringify(evidence.key)}: ${evidence.linearized} of ${evidence.operations} operations linearized; state before the stuck one: ${JSON.stringify(evidence.stateBefore)}`, ...ops].join('\n');
    }
    case 'unknown':
      return `gave up (${evidence.reason})${evidence.key !== undefined && evidence.key !== null ? ` on key ${JSON.stringify(evidence.key)}` : ''}${evidence.keysTotal ? `; ${evidence.keysChecked ?? 0} of ${evidence.keysTotal} keys decided` : ''}`;
    case 'bank':
      return [...evidence.anomalies.map((a) => `  ${a.type} at read ${a.read}: ${JSON.stringify(a)}`), ...(evidence.undecided.length ? [`  undecided reads: ${evidence.undecided.join(', ')}`] : [])].join('\n');
    case 'atomicity':
      return [...evidence.violations.map((v) => `  ${v.type} in ${v.txid}: ${JSON.stringify(v)}`), ...evidence.inDoubt.map((d) => `  in doubt: ${d.txid} on ${d.node}`)].join('\n');
    case 'convergence':
      return [
        ...evidence.divergent.map((d) => `  divergent key ${JSON.stringify(d.key)}: ${JSON.stringify(d.values)}`),
        ...evidence.lost.map((l) => `  lost write ${l.index} ${JSON.stringify(l.key)}=${JSON.stringify(l.value)}, final ${JSON.stringify(l.final)}`),
        ...evidence.late.map((l) => `  late write ${l.index} ${JSON.stringify(l.key)}: ${l.convergedMs === null ? 'never converged' : `${l.convergedMs} ms`} (bound ${l.deadlineMs} ms)`),
      ].join('\n');
    case 'durability':
      return [
        ...evidence.lost.map((l) => `  lost write ${l.index} by process ${String(l.process)}: ${JSON.stringify(l.key)}=${JSON.stringify(l.value)}, final ${JSON.stringify(l.final)}`),
        ...evidence.phantom.map((p) => `  phantom ${JSON.stringify(p.key)}=${JSON.stringify(p.final)}`),
      ].join('\n');
    case 'list-append':
      return evidence.anomalies.flatMap((a) => [`  ${describeListAppend(a)}`, ...('cycle' in a ? describeCycle(a.cycle).map((l) => `    ${l}`) : [])]).join('\n');
  }
}

interface Case {
  xml: string;
  failure: boolean;
  error: boolean;
  seconds: number;
}

function verdictCase(s: ScenarioResult, v: Verdict): Case {
  const status = verdictStatus(v, s);
  const seconds = (v.stats.elapsedMs ?? 0) / 1000;
  const head = `    <testcase${attrs({ classname: `parley.${s.algo}.${s.name.replace(/\./g, '_')}`, name: verdictTitle(v), time: seconds.toFixed(3) })}`;
  const body = [v.summary, evidenceText(v.evidence)].filter(Boolean).join('\n');
  switch (status) {
    case 'passed':
      return { xml: `${head}/>`, failure: false, error: false, seconds };
    case 'informational': {
      const found = v.valid === true ? 'held' : v.valid === false ? 'was violated' : 'was undecided';
      const note = `Informational: ${algorithmLabel(s.algo)} does not promise ${v.checker}; in this run it ${found}. ${v.summary}`;
      return { xml: `${head}>\n      <system-out>${escapeXml(note)}</system-out>\n    </testcase>`, failure: false, error: false, seconds };
    }
    case 'violated':
      return { xml: `${head}>\n      <failure${attrs({ type: 'safety-violation', message: v.summary })}>${escapeXml(body)}</failure>\n    </testcase>`, failure: true, error: false, seconds };
    case 'undecided':
      return { xml: `${head}>\n      <error${attrs({ type: 'undecided', message: v.summary })}>${escapeXml(body)}</error>\n    </testcase>`, failure: false, error: true, seconds };
  }
}

function runCase(s: ScenarioResult): Case | null {
  if (s.status === 'complete') return null;
  const message = `scenario ${s.status}: ${s.error ?? 'no reason recorded'}`;
  return {
    xml: `    <testcase${attrs({ classname: `parley.${s.algo}.${s.name.replace(/\./g, '_')}`, name: 'run', time: '0.000' })}>\n      <error${attrs({ type: `run-${s.status}`, message })}>${escapeXml(message)}</error>\n    </testcase>`,
    failure: false, error: true, seconds: 0,
  };
}

export function junitXml(results: ResultsFile): string {
  const suites = results.scenarios.map((s) => {
    const cases = [...s.checks.map((v) => verdictCase(s, v)), ...[runCase(s)].filter((c): c is Case => c !== null)];
    const counts = { tests: cases.length, failures: cases.filter((c) => c.failure).length, errors: cases.filter((c) => c.error).length, skipped: 0 };
    const seconds = cases.reduce((n, c) => n + c.seconds, 0);
    const properties = [
      ['algorithm', s.algo], ['workload', s.workload], ['nodes', String(s.nodes)], ['seed', String(s.scenario.seed)], ['command', s.command],
    ].map(([name, value]) => `      <property${attrs({ name: name!, value: value! })}/>`);
    const xml = [
      `  <testsuite${attrs({ name: s.name, ...counts, time: seconds.toFixed(3), timestamp: results.meta.startedAt.replace(/Z$/, '') })}>`,
      `    <properties>\n${properties.join('\n')}\n    </properties>`,
      ...cases.map((c) => c.xml),
      '  </testsuite>',
    ].join('\n');
    return { xml, counts, seconds };
  });
  const total = (k: 'tests' | 'failures' | 'errors' | 'skipped') => suites.reduce((n, s) => n + s.counts[k], 0);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs({ name: `parley ${results.meta.command}`, tests: total('tests'), failures: total('failures'), errors: total('errors'), skipped: total('skipped'), time: suites.reduce((n, s) => n + s.seconds, 0).toFixed(3) })}>`,
    ...suites.map((s) => s.xml),
    '</testsuites>',
    '',
  ].join('\n');
}
