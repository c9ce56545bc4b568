/**
 * What the soak benchmark measured, judged against its targets and drawn: every node's RSS
 * and durable bytes over the run's age, and each restart's time to serve again, with the
 * faults underneath. The page is the report's (static SVG drawn in Node, the report's
 * stylesheet), standalone, next to soak.json.
 */
import fs from 'node:fs';
import type { MachineInfo } from '../../contracts/results.js';
import type { ChartFigure } from '../../reports/charts/run-charts.js';
import { figuresHtml } from '../../reports/page/figure.js';
import { STYLESHEET } from '../../reports/page/style.js';
import { dataTable } from '../../reports/page/table.js';
import { html, trustedMarkup } from '../../reports/html.js';
import type { SoakVerdict } from './soak-check.js';

export interface NodeSample {
  tMs: number;
  node: string;
  rssBytes: number;
  /** The node's durable state: its log and snapshots (GET /metrics dataBytes). */
  dataBytes: number;
  walBytes: number;
  snapshotBytes: number;
  /** Log entries (Raft) or slots (Paxos) held in memory; NaN when the algorithm has none. */
  logEntries: number;
}

export interface RestartSample {
  node: string;
  /** Run age when the node was started again. */
  atMs: number;
  /** Until its process answered GET /status (its state recovered from disk); null: never. */
  upMs: number | null;
  /** Of that, reading its data directory and rebuilding its state (snapshot + log), by its own clock. */
  recoveryMs: number | null;
  /** Until it answered a client read through itself; null: not within 30 s. */
  servingMs: number | null;
  powerLoss: boolean;
}

export interface SoakData {
  command: string;
  machine: MachineInfo;
  algo: string;
  nodes: number;
  rate: number;
  keys: number;
  durationMs: number;
  settings: Record<string, string>;
  sampleMs: number;
  faults: { kind: string; shape: string | null; targets: string[]; startMs: number | null; endMs: number | null; status: string }[];
  samples: NodeSample[];
  restarts: RestartSample[];
  throughput: { tMs: number; ok: number; failed: number; unknown: number }[];
  verdict: SoakVerdict;
}

export interface SoakSummary {
  /** Per node: value near minute 5 and at the end, and their ratio. */
  rss: { node: string; at5: number; atEnd: number; ratio: number }[];
  data: { node: string; at5: number; atEnd: number; ratio: number }[];
  restartMaxMs: number | null;
  restartP50Ms: number | null;
  targets: { name: string; met: boolean; detail: string }[];
  lines: string[];
}

const MIB = 2 ** 20;
const fmtMiB = (b: number) => `${(b / MIB).toFixed(1)} MiB`;

/** A node's value at the sample nearest `tMs` (the median of the samples within a minute of it, to ride over one noisy reading). */
function around(samples: readonly NodeSample[], node: string, tMs: number, field: 'rssBytes' | 'dataBytes'): number {
  const near = samples.filter((s) => s.node === node && Math.abs(s.tMs - tMs) <= 30_000).map((s) => s[field]).sort((a, b) => a - b);
  if (near.length > 0) return near[Math.floor(near.length / 2)]!;
  const all = samples.filter((s) => s.node === node).sort((a, b) => Math.abs(a.tMs - tMs) - Math.abs(b.tMs - tMs));
  return all[0]?.[field] ?? NaN;
}

export function soakSummary(d: SoakData): SoakSummary {
  const ids = [...new Set(d.samples.map((s) => s.node))].sort();
  const end = Math.max(...d.samples.map((s) => s.tMs));
  // "Minute 5", or a quarter of a shorter run: after start-up and the first snapshots.
  const ref = Math.min(5 * 60_000, end / 4);
  const ratios = (field: 'rssBytes' | 'dataBytes') =>
    ids.map((node) => {
      const at5 = around(d.samples, node, ref, field);
      const atEnd = around(d.samples, node, end, field);
      return { node, at5, atEnd, ratio: atEnd / at5 };
    });
  const rss = ratios('rssBytes');
  const data = ratios('dataBytes');
  const served = d.restarts.map((r) => r.servingMs);
  const finite = served.filter((x): x is number => x !== null).sort((a, b) => a - b);
  const restartMaxMs = served.length === 0 ? null : served.includes(null) ? Infinity : finite.at(-1)!;
  const recoveries = d.restarts.map((r) => r.recoveryMs).filter((x): x is number => x !== null);
  const restartP50Ms = finite.length === 0 ? null : finite[Math.floor(finite.length / 2)]!;
  const worst = (xs: { ratio: number }[]) => Math.max(...xs.map((x) => x.ratio));
  const refLabel = ref === 5 * 60_000 ? 'minute 5' : `${(ref / 60_000).toFixed(1)} min`;
  const targets = [
    { name: 'RSS flat', met: worst(rss) <= 1.5, detail: `worst node ${worst(rss).toFixed(2)}x its ${refLabel} value at ${(end / 60_000).toFixed(1)} min (target <= 1.5x)` },
    { name: 'disk flat', met: worst(data) <= 1.5, detail: `worst node ${worst(data).toFixed(2)}x its ${refLabel} value (target <= 1.5x)` },
    {
      name: 'restart to serving',
      met: restartMaxMs !== null && restartMaxMs < 1000,
      detail:
        restartMaxMs === null
          ? 'no restart happened'
          : `${d.restarts.length} restarts, p50 ${restartP50Ms?.toFixed(0) ?? '-'} ms, max ${Number.isFinite(restartMaxMs) ? `${restartMaxMs.toFixed(0)} ms` : 'never served'} (target < 1000 ms); of which recovering the data directory at most ${recoveries.length ? Math.max(...recoveries) : '-'} ms`,
    },
    {
      name: 'check',
      met: d.verdict.valid,
      detail: `${d.verdict.acknowledged.toLocaleString('en-US')} acknowledged writes over ${d.verdict.keys} keys: ${d.verdict.lost.length} lost, ${d.verdict.phantom.length} invented, ${d.verdict.disagree.length} keys disagreeing`,
    },
  ];
  const lines = [
    `RSS per node (${refLabel} -> end): ${rss.map((r) => `${r.node} ${fmtMiB(r.at5)} -> ${fmtMiB(r.atEnd)} (${r.ratio.toFixed(2)}x)`).join(', ')}`,
    `data per node (${refLabel} -> end): ${data.map((r) => `${r.node} ${fmtMiB(r.at5)} -> ${fmtMiB(r.atEnd)} (${r.ratio.toFixed(2)}x)`).join(', ')}`,
    ...targets.map((t) => `${t.met ? 'met   ' : 'MISSED'} ${t.name}: ${t.detail}`),
  ];
  return { rss, data, restartMaxMs, restartP50Ms, targets, lines };
}

function overAge(d: SoakData, field: 'rssBytes' | 'dataBytes', id: string, title: string, caption: string): ChartFigure {
  const faults = d.faults
    .filter((f) => f.startMs !== null)
    .map((f) => ({ from: f.startMs! / 60_000, to: (f.endMs ?? f.startMs! + 1000) / 60_000, kind: `${f.kind}${f.shape ? ` (${f.shape})` : ''} ${f.targets.join(', ')}` }));
  const points = d.samples.map((s) => ({ minute: s.tMs / 60_000, node: s.node, mib: s[field] / MIB, tip: `${s.node} at ${(s.tMs / 60_000).toFixed(1)} min: ${fmtMiB(s[field])}` }));
  return {
    id, title, caption, wide: true,
    spec: {
      width: 880, height: 240,
      layer: [
        { data: { values: faults }, mark: { type: 'rect', opacity: 0.15, color: '#e8a33d' }, encoding: { x: { field: 'from', type: 'quantitative' }, x2: { field: 'to' }, description: { field: 'kind' } } },
        {
          data: { values: points }, mark: { type: 'line', point: { size: 12 } },
          encoding: {
            x: { field: 'minute', type: 'quantitative', title: 'run age (min)' },
            y: { field: 'mib', type: 'quantitative', title: 'MiB', scale: { zero: true } },
            color: { field: 'node', type: 'nominal', title: null },
            description: { field: 'tip' },
          },
        },
      ],
    },
  };
}

function restartChart(d: SoakData): ChartFigure | null {
  if (d.restarts.length === 0) return null;
  const points = d.restarts.flatMap((r) => {
    const tip = `${r.node} restarted at ${(r.atMs / 60_000).toFixed(1)} min${r.powerLoss ? ' after a power loss' : ''}: recovery ${r.recoveryMs ?? '-'} ms, process up after ${r.upMs === null ? '-' : Math.round(r.upMs)} ms, serving after ${r.servingMs === null ? 'never' : `${Math.round(r.servingMs)} ms`}`;
    const minute = r.atMs / 60_000;
    return [
      { minute, ms: r.servingMs ?? 30_000, what: 'start to serving', tip },
      ...(r.recoveryMs === null ? [] : [{ minute, ms: r.recoveryMs, what: 'of which: recovering the data directory', tip }]),
    ];
  });
  return {
    id: 'restarts', title: 'Restart to serving, by run age', wide: true,
    caption: 'Each restart of a crashed node: from its start until it answered a client read through itself (the line is the 1 s target), and the part of it the node spent reading its snapshot and log. Flat means a late restart recovers no more than an early one.',
    spec: {
      width: 880, height: 200,
      layer: [
        {
          data: { values: points }, mark: { type: 'point', size: 50, filled: true },
          encoding: {
            x: { field: 'minute', type: 'quantitative', title: 'run age (min)' },
            y: { field: 'ms', type: 'quantitative', title: 'ms to serving', scale: { zero: true } },
            color: { field: 'what', type: 'nominal', title: null },
            description: { field: 'tip' },
          },
        },
        { data: { values: [{ y: 1000 }] }, mark: { type: 'rule', strokeDash: [4, 4], color: '#c62828' }, encoding: { y: { field: 'y', type: 'quantitative' } } },
      ],
    },
  };
}

export async function writeSoakReport(file: string, d: SoakData, s: SoakSummary): Promise<void> {
  const figures = await figuresHtml([
    overAge(d, 'rssBytes', 'rss', 'Resident memory of every node, by run age', 'From each node\'s GET /metrics every sample; faults shaded. Flat after the first minutes means memory is bounded by the state, not by the writes made.'),
    overAge(d, 'dataBytes', 'data', 'Durable data of every node (log and snapshots), by run age', 'The write-ahead log and the snapshot files; faults shaded. A saw tooth is the log growing between snapshots and compacted at each.'),
    restartChart(d),
  ]);
  const targets = dataTable(['target', 'result', 'measured'], s.targets.map((t) => [t.name, t.met ? 'met' : 'missed', t.detail]));
  const m = d.machine;
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>parley soak: ${d.algo}, ${d.nodes} nodes, ${(d.durationMs / 60_000).toFixed(0)} min</title>
<style>${trustedMarkup(STYLESHEET)}</style>
</head>
<body>
<header class="top"><div class="inner"><div>
  <h1>parley <span>soak</span></h1>
  <div class="meta">${d.algo} · ${d.nodes} nodes · ${d.rate} writes/s over ${d.keys} keys · ${(d.durationMs / 60_000).toFixed(1)} min · ${m.cpuModel}, ${m.cpus} cores · parley ${m.parleyVersion} (${m.gitRevision ?? 'no git'})</div>
</div></div></header>
<main>
<section id="summary"><h2>Targets</h2>${targets}<p>${d.command}</p></section>
<section id="charts"><h2>Over the run</h2>${figures}</section>
</main>
</body>
</html>`;
  fs.writeFileSync(file, page.markup);
}
