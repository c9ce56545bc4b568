/**
 * bench:gossip's scale study (`npm run bench:gossip -- --sim`): dissemination on gossip in
 * the simulator at N up to 10,000 (harness/sim/scale.ts), the same isolated updates on real
 * processes at N <= 50 (gossip-real.ts), the agreement between them where both were measured
 * (contracts/scale-study.ts states the tolerance), and one chart of both.
 *
 * Both sides run the same `--set` options: `membership=static` (a 10,000-node SWIM table on
 * every node does not fit) and the runtime settings of large clusters (lazy links closed
 * after 2 s idle, a 2 s link heartbeat, a 25 ms tick). The simulated network takes the delay
 * this machine's loopback has between real processes (harness/calibrate.ts, halved: one
 * way), or `--net`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { calibrate } from '../calibrate.js';
import { nodeOptions } from '../../nodes/main.js';
import { gossip } from '../../nodes/gossip/index.js';
import { describeMachine } from '../machine.js';
import { runScale } from '../sim/scale.js';
import { describeDelay, parseDelayModel, type DelayModel } from '../sim/engine/delay.js';
import { SCALE_SCHEMA, SCALE_TOLERANCE, agreement, describeTolerance, type RealScalePoint, type ScaleStudy, type SimScalePoint } from '../../contracts/scale-study.js';
import { realScalePoint } from './gossip-real.js';
import { renderSvg } from '../../reports/charts/render.js';
import { scaleChart } from '../../reports/charts/scale.js';

export interface ScaleStudyOptions {
  simNodes: number[];
  realNodes: number[];
  updates: number;
  /** A delay model (parley sim's --net syntax); absent: measured here. */
  net?: string;
  out: string;
  seed: number;
  /** Extra `--set` options for every node, simulated and real. */
  set: Record<string, string>;
  /** Also run the simulator with SWIM membership at these N (the study's curve uses static). */
  swimNodes: number[];
}

/** The `--set` options of every node of the study, simulated and real. */
export const SCALE_SETTINGS: Record<string, string> = {
  membership: 'static',
  tickMs: '25',
  linkDial: 'lazy',
  linkIdleMs: '2000',
  linkHeartbeatMs: '2000',
  linkDeadMs: '10000',
  requestTimeoutMs: '5000',
  fsync: 'true',
};

const SYNC: DelayModel = { kind: 'uniform', minMs: 0.05, maxMs: 2 };

const fmt = (x: number | null | undefined, digits = 0) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits));
const pad = (s: string, n: number) => s.padStart(n);

async function delayModel(flag: string | undefined): Promise<{ model: DelayModel; source: string }> {
  if (flag !== undefined) return { model: parseDelayModel(flag), source: `--net ${flag}` };
  const c = await calibrate(null);
  const p50 = Math.max(0.001, c.directRttUs.p50 / 2000);
  const p99 = Math.max(p50, c.directRttUs.p99 / 2000);
  return {
    model: { kind: 'lognormal', p50Ms: Number(p50.toFixed(4)), p99Ms: Number(p99.toFixed(4)) },
    source: `half the loopback round trip between processes measured here (harness/calibrate.ts, direct: p50 ${c.directRttUs.p50} us, p99 ${c.directRttUs.p99} us), as the real nodes of this study link directly`,
  };
}

function simRow(p: SimScalePoint, label = ''): string {
  const c = p.cost;
  return (
    `${pad(String(p.nodes), 6)}${label.padEnd(7)} ${pad(`${p.complete}/${p.updates}`, 6)}  ${pad(fmt(p.rounds.p50, 1), 5)} ${pad(fmt(p.rounds.max, 1), 5)}  ${pad(fmt(p.rumorRounds.p50, 1), 5)}  ` +
    `${pad(fmt(p.convergenceMs.p50), 6)} ${pad(fmt(p.convergenceMs.p99), 6)} ${pad(fmt(p.convergenceMs.max), 6)}  ${pad(fmt(p.messagesPerUpdate), 7)} ${pad(fmt(p.messagesPerNode, 2), 5)}  ` +
    `${pad(fmt(p.missedByRumor.mean, 2), 6)} ${pad(fmt(100 * p.missedByRumor.share, 2), 5)}%  ${pad(fmt(p.backgroundPerSecond), 6)}  ` +
    `${pad(fmt(c.simMs / 1000, 1), 5)} s ${pad(fmt(c.events / 1e6, 2), 6)} M ${pad(fmt(c.wallMs / 1000, 1), 6)} s ${pad(fmt(c.cpuMs / 1000, 1), 6)} s ${pad(String(c.heapMiB), 5)} ${pad(String(c.peakRssMiB), 5)}`
  );
}

function realRow(p: RealScalePoint): string {
  return (
    `${pad(String(p.nodes), 6)}        ${pad(`${p.complete}/${p.updates}`, 6)}  ${pad(fmt(p.rounds.p50, 1), 5)} ${pad(fmt(p.rounds.max, 1), 5)}      -  ` +
    `${pad(fmt(p.convergenceMs.p50), 6)} ${pad(fmt(p.convergenceMs.p99), 6)} ${pad(fmt(p.convergenceMs.max), 6)}  ${pad(fmt(p.messagesPerUpdate), 7)} ${pad(fmt(p.messagesPerNode, 2), 5)}  ` +
    `     -      -       -  wall ${fmt(p.wallMs / 1000, 1)} s, load ${p.loadAverage.join(' ')}`
  );
}

const HEADER =
  '     N         done  rounds p50/max  rumor  conv ms p50    p99    max  msgs/update /node  missed by rumor  other/s   sim s   events    wall     cpu  heap  peak RSS (MiB)';

export async function scaleStudy(opts: ScaleStudyOptions): Promise<ScaleStudy> {
  const startedAt = new Date().toISOString();
  const settings = { ...SCALE_SETTINGS, ...opts.set };
  nodeOptions('gossip', gossip, settings); // a bad --set exits 64 before anything runs
  const net = await delayModel(opts.net);
  const command = `npm run bench:gossip -- ${process.argv.slice(2).join(' ')}`.trimEnd();
  console.log('parley gossip scale study: dissemination against N, simulated (harness/sim/scale.ts) and on real processes');
  console.log(`machine: ${describeMachine()}`);
  console.log(`command: ${command}`);
  console.log(`every node, simulated and real: ${Object.entries(settings).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  console.log(`simulated network: ${describeDelay(net.model)} (${net.source}); disk sync ${describeDelay(SYNC)}`);
  console.log(`${opts.updates} isolated updates per N, each to a random node, followed until every node holds it; tolerance: ${describeTolerance(SCALE_TOLERANCE)}`);
  console.log(`\nsimulated (rounds = convergence / rumor round; rumor = rounds until the last node a rumor reached held it; missed = nodes no rumor reached, per update and as % of N):`);
  console.log(HEADER);
  const sim: SimScalePoint[] = [];
  for (const n of opts.simNodes) {
    const p = runScale({ nodes: n, updates: opts.updates, settings, net: net.model, sync: SYNC, seed: opts.seed });
    sim.push(p);
    console.log(simRow(p));
  }
  if (opts.swimNodes.length > 0) {
    console.log('the same with membership=swim (SWIM, O(N^2) in all), to show static membership leaves dissemination as it was:');
    for (const n of opts.swimNodes) console.log(simRow(runScale({ nodes: n, updates: opts.updates, settings: { ...settings, membership: 'swim', startupGraceMs: '60000' }, net: net.model, sync: SYNC, seed: opts.seed }), ' swim'));
  }
  const real: RealScalePoint[] = [];
  if (opts.realNodes.length > 0) {
    console.log('\nreal processes on loopback, peers linked directly:');
    console.log(HEADER);
    const roundMs = sim[0]?.roundMs ?? 50;
    for (const n of opts.realNodes) {
      const p = await realScalePoint(n, settings, opts.updates, roundMs);
      real.push(p);
      console.log(realRow(p));
    }
  }
  const rows = agreement(sim, real, SCALE_TOLERANCE);
  const study: ScaleStudy = {
    schema: SCALE_SCHEMA,
    meta: { machine: describeMachine(), command, startedAt, finishedAt: new Date().toISOString(), seed: opts.seed },
    settings,
    net: { model: describeDelay(net.model), source: net.source },
    tolerance: SCALE_TOLERANCE,
    sim,
    real,
    agreement: rows,
    agrees: rows.length > 0 && rows.every((r) => r.within),
  };
  if (rows.length > 0) {
    console.log(`\nagreement where both were measured (${describeTolerance(SCALE_TOLERANCE)}):`);
    for (const r of rows) {
      const unit = r.figure === 'convergence p50' ? ' ms' : '';
      console.log(`  N=${pad(String(r.nodes), 3)} ${r.figure.padEnd(19)} simulated ${pad(fmt(r.sim, 1), 7)}${unit}, real ${pad(fmt(r.real, 1), 7)}${unit}: ratio ${fmt(r.ratio, 2)}, |diff| ${fmt(Math.abs(r.sim - r.real), 1)} of ${fmt(r.allowed, 1)} allowed ${r.within ? 'ok' : 'OUTSIDE'}`);
    }
    console.log(`  ${study.agrees ? 'the simulated curve agrees with the real processes' : 'the simulated curve does NOT agree with the real processes'}`);
  }
  fs.mkdirSync(opts.out, { recursive: true });
  const file = path.join(opts.out, 'scale.json');
  fs.writeFileSync(file, `${JSON.stringify(study, null, 1)}\n`);
  const chart = scaleChart(study);
  if (chart) {
    fs.writeFileSync(path.join(opts.out, 'scale.vl.json'), `${JSON.stringify(chart.spec, null, 1)}\n`);
    fs.writeFileSync(path.join(opts.out, 'scale.svg'), await renderSvg(chart.spec));
  }
  console.log(`\nwritten: ${file}, scale.svg and scale.vl.json (the chart); put it in a bench report with: npx parley bench --scale ${file}`);
  return study;
}
