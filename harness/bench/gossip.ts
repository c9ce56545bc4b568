/**
 * Gossip benchmark (not a test): what the "large-scale decentralized networks" row needs,
 * against cluster size N.
 *
 *   1. Simulator (exact rounds): rounds until every node holds a rumor, for the push model
 *      at fanout 1 (Pittel: log2 N + ln N + O(1)) and for the configured stop rule, with its
 *      residue (nodes the rumor never reached, left to anti-entropy; Demers et al. Table 1)
 *      and rumor messages per node per update.
 *   2. Real processes on loopback, peers linked directly (no proxy yet, so no injected
 *      latency: these are the zero-latency figures; the Gossip Glomers latency run waits for
 *      the fault plane):
 *      - isolated writes, one at a time: time from acknowledgement until the last node held
 *        the write (from each node's data/applied.jsonl, CLOCK_MONOTONIC ns shared with this
 *        process), in rumor rounds too; rumor messages per write;
 *      - a Gossip Glomers load, 100 writes/s to random nodes, each write its own key: every
 *        peer message (rumors, anti-entropy, SWIM) and byte per write, convergence p50/max;
 *      - time until a kill -9'd node is declared dead by every live node (events.jsonl).
 *
 *   npm run bench:gossip -- [--nodes 5,10,25,50] [--rate 100] [--seconds 10] [--isolated 20]
 *                           [--fsync true] [--sim-seeds 1000] [--set key=value ...]
 *
 * With `--sim`, the scale study instead (gossip-scale.ts): the same isolated writes in
 * parley sim's engine at N up to 10,000 and on real processes at `--nodes`, their agreement,
 * and a chart of both (scale.json, scale.svg in `--out`):
 *
 *   npm run bench:gossip -- --sim [--sim-nodes 5,10,25,50,100,1000,10000] [--nodes 5,10,25,50]
 *                           [--updates 20] [--net calibrated|lognormal:...] [--swim-nodes 5,...,100]
 *                           [--seed 1] [--out out/gossip-scale] [--sim-only] [--set key=value ...]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Cluster } from '../cluster.js';
import { describeMachine } from '../machine.js';
import { Sim } from '../sim/sim.js';
import { monoNs } from '../../nodes/common/clock.js';
import { Random } from '../../nodes/common/random.js';
import { GossipCore, type GossipMessage } from '../../nodes/gossip/core.js';
import { gossipOptionsSchema, type GossipOptions } from '../../nodes/gossip/options.js';
import { NodeClient } from '../../workloads/client.js';
import { isolatedWrites, quantile, sleep, totals, waitAllAlive, waitConverged, type Totals } from './gossip-real.js';
import { runLoad, type OpSource } from '../../workloads/load.js';
import { readTrace } from '../../workloads/json-lines.js';
import { UsageError } from '../../nodes/common/errors.js';
import { benchArgs } from './args.js';

const values = benchArgs('gossip', {
    nodes: { type: 'string', default: '5,10,25,50' },
    rate: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '10' },
    isolated: { type: 'string', default: '20' },
    fsync: { type: 'string', default: 'true' },
    'sim-seeds': { type: 'string', default: '1000' },
    'sim-only': { type: 'boolean' },
    sim: { type: 'boolean' },
    'sim-nodes': { type: 'string', default: '5,10,25,50,100,1000,10000' },
    'swim-nodes': { type: 'string' },
    updates: { type: 'string', default: '20' },
    net: { type: 'string' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: path.join('out', 'gossip-scale') },
    set: { type: 'settings' },
  });

/**
 * Runtime settings for many processes on a small machine: lazy links (transport.ts) so idle
 * nodes keep only the links they use, link heartbeats every second (SWIM does the failure
 * detection; link liveness only has to notice black holes), a 25 ms tick (half the rumor
 * round), and a start-up grace longer than it takes 50 processes to start here.
 */
const RUNTIME_SETTINGS: Record<string, string> = {
  tickMs: '25',
  linkDial: 'lazy',
  linkIdleMs: '5000',
  linkHeartbeatMs: '1000',
  linkDeadMs: '5000',
  requestTimeoutMs: '5000',
  startupGraceMs: '60000',
};

const fmt = (x: number, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : '-');

// ------------------------------------------------------------------ simulator

function simRounds(n: number, seeds: number, overrides: Record<string, unknown>): { mean: number; p50: number; max: number; residue: number; rumorsPerNode: number; reachedAll: number } {
  const ROUND = 50;
  const options: GossipOptions = gossipOptionsSchema.parse({
    antiEntropyIntervalMs: 600_000,
    probeIntervalMs: 600_000,
    probeTimeoutMs: 300_000,
    reconnectIntervalMs: 3_600_000,
    rumorIntervalMs: ROUND,
    ...overrides,
  });
  const ids = Array.from({ length: n }, (_, i) => `n${i + 1}`);
  const rounds: number[] = [];
  let missed = 0;
  let rumors = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    const sim = new Sim<GossipMessage, GossipOptions>({ create: (ctx) => new GossipCore(ctx) }, ids, options, seed);
    sim.client('n1', { f: 'write', key: 'k', value: 'v' });
    const core = (id: string) => sim.core<GossipCore>(id);
    let allAt: number | null = null;
    for (let round = 1; round <= 1000; round++) {
      sim.tick(ROUND);
      sim.deliverAll();
      if (allAt === null && ids.every((id) => core(id).store.value('k') === 'v')) allAt = round;
      const cold = ids.every((id) => core(id).rumors.size === 0);
      if (cold || (allAt !== null && overrides.rumorK === 1_000_000)) break;
    }
    if (allAt !== null) rounds.push(allAt);
    missed += ids.filter((id) => core(id).store.value('k') !== 'v').length;
    for (const id of ids) rumors += core(id).sent.rumor ?? 0;
  }
  return {
    mean: rounds.reduce((a, b) => a + b, 0) / Math.max(1, rounds.length),
    p50: quantile(rounds, 0.5),
    max: Math.max(...rounds),
    residue: missed / (n * seeds),
    rumorsPerNode: rumors / (n * seeds),
    reachedAll: rounds.length / seeds,
  };
}

function simulator(sizes: number[], seeds: number, defaults: GossipOptions): void {
  console.log(`\n1. simulator (harness/sim/sim.ts, the same core), ${seeds} seeds per N; a round = every node's rumor round, then every message delivered`);
  console.log('   push, fanout 1, never stopping (Pittel):');
  console.log('       N  log2N+lnN  mean rounds  (diff)  p50  max');
  for (const n of sizes) {
    const r = simRounds(n, seeds, { rumorFanout: 1, rumorStop: 'blind', rumorK: 1_000_000 });
    const predicted = Math.log2(n) + Math.log(n);
    console.log(`   ${String(n).padStart(5)}  ${predicted.toFixed(2).padStart(9)}  ${r.mean.toFixed(2).padStart(11)}  ${(r.mean - predicted >= 0 ? '+' : '') + (r.mean - predicted).toFixed(2)}  ${String(r.p50).padStart(4)}  ${String(r.max).padStart(3)}`);
  }
  const rule = `${defaults.rumorStop} k=${defaults.rumorK}, fanout ${defaults.rumorFanout}`;
  console.log(`   the configured stop rule (${rule}), rumors only (no anti-entropy):`);
  console.log('       N  reached all  mean rounds  max  residue  rumor msgs/node/update');
  for (const n of sizes) {
    const r = simRounds(n, seeds, { rumorFanout: defaults.rumorFanout, rumorStop: defaults.rumorStop, rumorK: defaults.rumorK });
    console.log(
      `   ${String(n).padStart(5)}  ${(100 * r.reachedAll).toFixed(1).padStart(10)}%  ${r.mean.toFixed(2).padStart(11)}  ${String(r.max).padStart(3)}  ${(100 * r.residue).toFixed(2).padStart(6)}%  ${r.rumorsPerNode.toFixed(2).padStart(8)}`,
    );
  }
}

// ------------------------------------------------------------------ processes

async function measure(n: number, settings: Record<string, string>, opts: GossipOptions): Promise<string> {
  const loadBefore = os.loadavg()[0]!.toFixed(1);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `parley-bench-gossip-${n}-`));
  const cluster = await Cluster.plan({ algo: 'gossip', size: n, dir, settings });
  const rnd = new Random(n);
  const client = new NodeClient(
    cluster.nodes.map((x) => x.api),
    { connections: 4, timeoutMs: 10_000 },
  );
  try {
    const idle = await startAndIdle(cluster, n);
    const iso = await isolatedWrites(cluster, client, rnd, Number(values.isolated), 1200);
    const load = await glomersLoad(cluster, client, rnd, n);
    const crash = await crashDetection(cluster, rnd, n, idle.settledNs);
    const perWrite = (key: keyof Totals) => (load.after[key] - load.before[key]) / Math.max(1, load.writes);
    const isolated = iso.converged;
    const { converged } = load;
    const lines = [
      `N=${n} (machine load ${loadBefore} before, ${os.loadavg()[0]!.toFixed(1)} after): started and all alive everywhere in ${(idle.startMs / 1000).toFixed(1)} s; idle ${fmt(idle.cpuPercent, 2)} % CPU and ${fmt(idle.rssMiB, 0)} MiB RSS per node; ` +
        `background (SWIM + anti-entropy) ${fmt(idle.msgsPerSecond, 0)} msgs/s cluster-wide`,
      `   isolated writes (${isolated.length}/${iso.acked} converged): ack -> last node p50 ${fmt(quantile(isolated, 0.5), 1)} ms, max ${fmt(Math.max(...isolated), 1)} ms ` +
        `(~${fmt(quantile(isolated, 0.5) / opts.rumorIntervalMs, 1)} / ${fmt(Math.max(...isolated) / opts.rumorIntervalMs, 1)} rumor rounds); rumor msgs per write ${fmt(iso.rumorsPerWrite, 1)}`,
      `   ${values.rate} writes/s for ${fmt(load.seconds, 1)} s (${load.writes} acknowledged, ${load.neverSent} never sent): ` +
        `${fmt(perWrite('msgs'), 1)} msgs/write (${fmt(perWrite('rumors'), 1)} rumors, background would be ${fmt((idle.msgsPerSecond * load.seconds) / Math.max(1, load.writes), 1)}), ` +
        `${fmt(perWrite('bytes'), 0)} bytes/write; converged ${converged.length}/${load.writes}: p50 ${fmt(quantile(converged, 0.5), 1)} ms, p95 ${fmt(quantile(converged, 0.95), 1)} ms, max ${fmt(Math.max(...converged), 1)} ms`,
      `   kill -9 ${crash.victim}: first suspicion after ${fmt(Math.min(...crash.firstSuspect), 0)} ms, dead everywhere after ${fmt(Math.max(...crash.deadTimes), 0)} ms ` +
        `(median node ${fmt(quantile(crash.deadTimes, 0.5), 0)} ms; ${crash.deadTimes.length}/${crash.live} traced${crash.detected ? '' : ', NOT all within 120 s'}); live nodes suspected during the whole run: ${crash.falseAlarms}`,
    ];
    return lines.join('\n');
  } finally {
    await client.close();
    await cluster.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Start every node, wait until all see all alive, then 5 s idle: CPU, memory and background messages. */
async function startAndIdle(cluster: Cluster, n: number) {
  const ids = cluster.ids;
  const started = Date.now();
  await cluster.start(180_000);
  await waitAllAlive(cluster, ids, n, 120_000);
  const startMs = Date.now() - started;
  const settledNs = Number(monoNs());
  const cpu0 = cluster.nodes.map((x) => x.child?.resourceUsage()?.cpuSeconds ?? 0);
  const idleFrom = Date.now();
  const idle0 = await totals(cluster, ids);
  await sleep(5000);
  const idle1 = await totals(cluster, ids);
  const idleSeconds = (Date.now() - idleFrom) / 1000;
  const cpu1 = cluster.nodes.map((x) => x.child?.resourceUsage()?.cpuSeconds ?? 0);
  return {
    startMs,
    settledNs,
    cpuPercent: (100 * cpu1.reduce((a, c, i) => a + c - cpu0[i]!, 0)) / n / idleSeconds,
    rssMiB: cluster.nodes.reduce((a, x) => a + (x.child?.resourceUsage()?.rssBytes ?? 0), 0) / n / 2 ** 20,
    msgsPerSecond: (idle1.msgs - idle0.msgs) / idleSeconds,
  };
}

/** The Gossip Glomers load: open loop at a fixed rate, random nodes, one key per write; then its convergence. */
async function glomersLoad(cluster: Cluster, client: NodeClient, rnd: Random, n: number) {
  const ids = cluster.ids;
  const loadAcks = new Map<string, number>();
  let seq = 0;
  const source: OpSource = {
    next: () => {
      const key = `w${seq++}`;
      return {
        node: rnd.int(0, n - 1),
        op: { f: 'write', key, value: key },
        f: 'write',
        key,
        value: key,
        complete: (o) => {
          if (o.type === 'ok') loadAcks.set(`${key}\u0000${key}`, Number(monoNs()));
          return { type: o.type };
        },
      };
    },
  };
  const before = await totals(cluster, ids);
  const result = await runLoad({ mode: 'open', rate: Number(values.rate), concurrency: 32, durationMs: Number(values.seconds) * 1000, source, client });
  const after = await totals(cluster, ids);
  const loaded = await waitConverged(cluster, ids, loadAcks, 30_000);
  return {
    before,
    after,
    seconds: (result.endNs - result.startNs) / 1e9,
    neverSent: result.neverSent,
    writes: loadAcks.size,
    converged: loaded.filter((x): x is number => x !== null),
  };
}

/** kill -9 one node; every live node must declare it dead. Suspicions of live nodes since `settledNs` are false alarms. */
async function crashDetection(cluster: Cluster, rnd: Random, n: number, settledNs: number) {
  const ids = cluster.ids;
  const victim = ids[rnd.int(1, n - 1)]!;
  const crashNs = Number(monoNs());
  await cluster.crash(victim);
  const live = ids.filter((id) => id !== victim);
  const deadline = Date.now() + 120_000;
  let detected = false;
  while (!detected && Date.now() < deadline) {
    const views = await Promise.all(live.map((id) => cluster.status(id, 5000)));
    detected = views.every((s) => ((s?.members as { dead?: string[] } | undefined)?.dead ?? []).includes(victim));
    if (!detected) await sleep(200);
  }
  const firstSuspect: number[] = [];
  const dead: number[] = [];
  let falseAlarms = 0;
  for (const id of live) {
    const file = path.join(cluster.node(id).dataDir, 'events.jsonl');
    const events = readTrace(file, (row) => row);
    for (const e of events) {
      if (e.event !== 'member') continue;
      const t = Number(e.t);
      if (e.member === victim && t >= crashNs) {
        if (e.state === 'suspect') firstSuspect.push((t - crashNs) / 1e6);
        if (e.state === 'dead' && !dead[live.indexOf(id)]) dead[live.indexOf(id)] = (t - crashNs) / 1e6;
      } else if (e.member !== victim && e.state !== 'alive' && t >= settledNs) falseAlarms++;
    }
  }
  return { victim, live: live.length, detected, firstSuspect, deadTimes: dead.filter((x) => x !== undefined), falseAlarms };
}

/** A comma-separated list of whole numbers from `min`; a bad one exits 64 naming the flag. */
function counts(flag: string, text: string, min: number): number[] {
  if (text.trim() === '') return [];
  const out = text.split(',').map((x) => Number(x.trim()));
  if (out.some((x) => !Number.isInteger(x) || x < min)) throw new UsageError(`--${flag} ${text}: expected whole numbers of at least ${min}, comma-separated`);
  return out;
}

async function study(): Promise<void> {
  const set = values.set;
  const simNodes = counts('sim-nodes', values['sim-nodes']!, 2);
  const seed = counts('seed', values.seed!, 0)[0] ?? 1;
  const { scaleStudy } = await import('./gossip-scale.js');
  await scaleStudy({
    simNodes,
    realNodes: values['sim-only'] ? [] : counts('nodes', values.nodes!, 2),
    swimNodes: values['swim-nodes'] !== undefined ? counts('swim-nodes', values['swim-nodes'], 2) : simNodes.filter((n) => n <= 100),
    updates: counts('updates', values.updates!, 1)[0] ?? 20,
    ...(values.net !== undefined && { net: values.net }),
    out: path.resolve(values.out!),
    seed,
    set,
  });
}

async function main(): Promise<void> {
  if (values.sim) return study();
  const sizes = values.nodes!.split(',').map(Number);
  const settings: Record<string, string> = { ...RUNTIME_SETTINGS, fsync: values.fsync, ...values.set };
  const gossipKeys = new Set(Object.keys(gossipOptionsSchema.shape));
  const opts = gossipOptionsSchema.parse(Object.fromEntries(Object.entries(settings).filter(([k]) => gossipKeys.has(k))));
  console.log('parley gossip benchmark: dissemination, messages per write and failure detection against N');
  console.log(`machine: ${describeMachine()}`);
  console.log(`command: npm run bench:gossip -- ${process.argv.slice(2).join(' ')}`.trimEnd());
  console.log(
    `gossip: rumors every ${opts.rumorIntervalMs} ms to ${opts.rumorFanout} (${opts.rumorStop}, k=${opts.rumorK}); anti-entropy every ${opts.antiEntropyIntervalMs} ms to ${opts.antiEntropyFanout}; ` +
      `SWIM probe ${opts.probeIntervalMs} ms / ack timeout ${opts.probeTimeoutMs} ms / ${opts.indirectChecks} indirect, suspicion ${opts.suspicionTimeoutMs ?? `${opts.suspicionMult} x max(1, log10 N) x probe`} ms`,
  );
  console.log(`runtime: ${Object.entries(settings).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  simulator(sizes, Number(values['sim-seeds']), opts);
  if (values['sim-only']) return;
  console.log('\n2. processes on loopback, peers linked directly (no proxy, no injected latency)');
  for (const n of sizes) console.log(await measure(n, settings, opts));
}

main().catch((err) => {
  if (err instanceof UsageError) {
    console.error(`bench:gossip: ${err.message}`);
    process.exitCode = 64;
    return;
  }
  console.error(err);
  process.exitCode = 70;
});
