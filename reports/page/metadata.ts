/**
 * What a reader needs to trust or reproduce a figure: per scenario the exact command, the
 * calibration round trip (loopback vs through the fault proxy), the faults with their real
 * times, latency before/during/after faults, and the resolved scenario as JSON; per run the
 * seed, versions and machine.
 */
import type { LatencyBlock, ResultsFile, ScenarioResult } from '../../contracts/results.js';
import { fmtBytes, fmtCount, fmtMicros, fmtMs, fmtRate, MISSING } from '../format.js';
import { html, type HtmlValue, type SafeHtml } from '../html.js';
import { scenarioAnchor, starvationNote, stretchedNote } from '../scenarios.js';
import { dataTable } from './table.js';
import { algoName } from './summary.js';

const fact = (name: string, value: HtmlValue) => html`<div><span>${name}</span><span class="num">${value}</span></div>`;

function calibration(s: ScenarioResult): string {
  const c = s.calibration;
  if (!c) return 'not measured';
  const proxied = c.proxiedRttUs ? `, through the proxy ${fmtMicros(c.proxiedRttUs.p50)} (p99 ${fmtMicros(c.proxiedRttUs.p99)})` : '';
  return `direct ${fmtMicros(c.directRttUs.p50)} (p99 ${fmtMicros(c.directRttUs.p99)})${proxied}`;
}

function phases(s: ScenarioResult): SafeHtml {
  const row = (name: string, b: LatencyBlock | undefined) =>
    b ? [name, fmtCount(b.overall.count), fmtMs(b.overall.p50), fmtMs(b.overall.p90), fmtMs(b.overall.p99), fmtMs(b.overall.p999), fmtMs(b.overall.max)] : null;
  const rows = [row('all', s.latency), row('before faults', s.latency.byPhase.before), row('during faults', s.latency.byPhase.during), row('after faults', s.latency.byPhase.after)].filter(
    (r): r is string[] => r !== null,
  );
  const byF = Object.entries(s.latency.byF).map(([f, l]) => [`${f} only`, fmtCount(l.count), fmtMs(l.p50), fmtMs(l.p90), fmtMs(l.p99), fmtMs(l.p999), fmtMs(l.max)]);
  return dataTable(['latency', 'count', 'p50', 'p90', 'p99', 'p99.9', 'max'], [...rows, ...byF], [1, 2, 3, 4, 5, 6]);
}

function faultsTable(s: ScenarioResult): SafeHtml {
  return dataTable(
    ['fault', 'kind', 'targets', 'started', 'ended', 'recovered', 'status'],
    s.faults.map((f) => [
      `#${f.id}`, f.kind, f.targets.join(', ') || (f.links.length ? `${f.links.length} links` : '—'),
      fmtMs(f.startMs), fmtMs(f.endMs), fmtMs(f.recoveredMs), f.reason ? `${f.status}: ${f.reason}` : f.status,
    ]),
    [3, 4, 5],
  );
}

/** Per phase, the share of time the system under test waited for a CPU and the harness's timer lag. */
function machineLoad(s: ScenarioResult): string {
  const load = s.machineLoad;
  if (!load) return 'not measured';
  const parts = (['start', 'load', 'settle'] as const).flatMap((p) => {
    const x = load.phases[p];
    if (!x) return [];
    const wait = x.runQueueWaitShare === null ? 'run-queue wait unknown' : `waited for a CPU ${Math.round(x.runQueueWaitShare * 100)}%`;
    return [`${p}: ${wait}, timers p99 ${fmtMs(x.harnessLagP99Ms)} late${x.starved ? ' (starved)' : ''}`];
  });
  return parts.join('; ') || 'not measured';
}

function scenarioDetail(s: ScenarioResult, i: number): SafeHtml {
  const mt = s.maxThroughput;
  return html`<section class="scenario" id="${scenarioAnchor(i)}">
  <h3>${s.name} · ${algoName(s.algo)} <span class="muted small">${s.workload}, ${s.nodes} nodes, ${s.status}</span></h3>
  ${s.error ? html`<p class="chip chip-undecided">${s.error}</p>` : ''}
  <pre class="command"><code>${s.command}</code></pre>
  <div class="facts">
    ${fact('seed', s.scenario.seed)}
    ${fact('load', `${s.mode} loop, ${s.clients} clients${s.targetRate ? `, target ${fmtRate(s.targetRate)}` : ''}`)}
    ${fact('measured for', fmtMs(s.durationMs))}
    ${fact('operations', `${fmtCount(s.ops.ok)} ok / ${fmtCount(s.ops.fail)} fail / ${fmtCount(s.ops.info)} unknown`)}
    ${s.ops.neverSent ? fact('never sent', fmtCount(s.ops.neverSent)) : ''}
    ${fact('messages', `${fmtCount(s.messages.total)} (${fmtBytes(s.messages.bytes)})`)}
    ${fact('bytes per ok op', fmtBytes(s.messages.bytesPerOk))}
    ${fact('calibration RTT', calibration(s))}
    ${mt ? fact('saturation (autocannon)', `${fmtRate(mt.requestsPerSec, ' req/s')}, p99 ${fmtMs(mt.p99Ms)}, ${mt.connections} connections`) : ''}
    ${fact('machine', machineLoad(s))}
    ${s.settle ? fact('settling', `${s.settle.outcome} after ${fmtMs(s.settle.waitedMs)} (bound ${fmtMs(s.settle.boundMs)})`) : ''}
    ${fact('history', s.files.history)}
    ${fact('node logs', s.files.logs)}
  </div>
  ${[starvationNote(s), stretchedNote(s)].filter((x) => x !== null).map((x) => html`<p class="small">${x}</p>`)}
  <div class="scenario-tables"><div>${phases(s)}</div><div>${faultsTable(s)}</div></div>
  <details><summary>Resolved scenario (JSON): replaying it reproduces the run</summary><pre>${JSON.stringify(s.scenario, null, 2)}</pre></details>
</section>`;
}

export function scenariosSection(run: ResultsFile): SafeHtml {
  return html`<section class="block" id="scenarios">
  <h2>Scenarios</h2>
  <p class="lede">How each scenario ran and how to run it again. The calibration round trip is a ping over loopback directly and through the fault proxy before the load; figures much below it are not measurements of the network.</p>
  ${run.scenarios.map(scenarioDetail)}
</section>`;
}

export function runSection(run: ResultsFile, files: readonly string[]): SafeHtml {
  const m = run.meta;
  const started = Date.parse(m.startedAt);
  const finished = Date.parse(m.finishedAt);
  const rows: [string, HtmlValue][] = [
    ['command', html`<code>parley ${m.command}</code>`],
    ['seed', String(m.seed)],
    ['suite', m.suite ?? MISSING],
    ['started', m.startedAt],
    ['finished', `${m.finishedAt}${Number.isFinite(finished - started) ? ` (${fmtMs(finished - started)})` : ''}`],
    ['parley', `${m.parleyVersion} (${m.gitRevision ?? 'no git revision'})`],
    ['Node.js', m.node],
    ['machine', `${m.cpuModel}, ${m.cpus} cores, ${fmtBytes(m.totalMemoryBytes)}, ${m.platform}`],
    ['load average', m.loadAverage.join(' ')],
    ['results', files.join(', ') || MISSING],
    ['cut short', run.partial ? 'yes: the figures are what was measured before it stopped' : 'no'],
  ];
  return html`<section class="block" id="run">
  <h2>Run</h2>
  <dl class="meta">${rows.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>
</section>`;
}
