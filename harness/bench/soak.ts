/**
 * Soak benchmark (not a test): does a cluster stay the same system over a long run of
 * chaos? Real node processes behind the fault plane, an open-loop write load, crash,
 * partition and catch-up faults the whole time, and every `--sample` each node's RSS, its
 * durable data (log and snapshots) and, after every restart, the time until it served a
 * read again. A node whose memory, disk or restart time grows with the run's age is
 * measured late on a different system than early on; snapshots and log compaction
 * (nodes/common/snapshots.ts) are what keep them flat.
 *
 * Targets: after the first minutes RSS and data bytes stay flat (each node within 1.5x of
 * its value at minute 5 at the end), restart-to-serving under 1 s at any age, the check
 * valid (soak-check.ts: no acknowledged write lost, none invented, every node agrees).
 *
 *   npm run bench:soak -- [--time 30m] [--algo raft] [--nodes 5] [--rate 1000] [--keys 100]
 *                         [--interval 30s] [--fault-duration 5s] [--sample 10s] [--seed 1]
 *                         [--set key=value ...] [--out out/soak-...]
 *
 * Writes soak.json (every sample) and soak.html (the charts) in --out, and prints the
 * summary. Exit 0 when the check is valid, 1 when it found a violation, 70 on a harness
 * failure; targets missed are printed, not an exit code (a benchmark measures).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Cluster } from '../cluster.js';
import { FaultPlane } from '../faults/plane.js';
import { FaultRunner } from '../faults/runner.js';
import type { FaultRecord } from '../../contracts/results.js';
import { expandNemesis } from '../faults/nemesis.js';
import { parseDuration, parseScenario } from '../../contracts/scenario.js';
import { describeMachine, machineInfo } from '../machine.js';
import { hasLeader } from '../traits.js';
import { isAlgoName } from '../../nodes/registry.js';
import { monoNs } from '../../nodes/common/clock.js';
import { Random } from '../../nodes/common/random.js';
import { NodeClient } from '../../workloads/client.js';
import { runLoad, type OpSource } from '../../workloads/load.js';
import { StreamingDurability } from './soak-check.js';
import { soakSummary, writeSoakReport, type RestartSample, type SoakData, type NodeSample } from './soak-report.js';
import { benchArgs } from './args.js';
import { heal } from '../after-load.js';

const values = benchArgs('soak', {
    time: { type: 'string', default: '30m' },
    algo: { type: 'string', default: 'raft' },
    nodes: { type: 'string', default: '5' },
    rate: { type: 'string', default: '1000' },
    keys: { type: 'string', default: '100' },
    interval: { type: 'string', default: '30s' },
    'fault-duration': { type: 'string', default: '5s' },
    sample: { type: 'string', default: '10s' },
    seed: { type: 'string', default: '1' },
    set: { type: 'settings' },
    out: { type: 'string' },
  });

function usage(message: string): never {
  console.error(`bench:soak: ${message}`);
  process.exit(64);
}

function durationFlag(name: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === null || ms <= 0) usage(`--${name} ${text}: expected a duration like 30s or 30m`);
  return ms;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const nowMs = (originNs: number) => (Number(monoNs()) - originNs) / 1e6;

async function main(): Promise<number> {
  const algo = values.algo!;
  if (!isAlgoName(algo)) usage(`--algo ${algo}: expected raft, paxos, twopc or gossip`);
  const durationMs = durationFlag('time', values.time!);
  const intervalMs = durationFlag('interval', values.interval!);
  const faultMs = durationFlag('fault-duration', values['fault-duration']!);
  const sampleMs = durationFlag('sample', values.sample!);
  const nodes = Number(values.nodes);
  const rate = Number(values.rate);
  const keys = Number(values.keys);
  const seed = Number(values.seed);
  for (const [name, n] of [['nodes', nodes], ['rate', rate], ['keys', keys], ['seed', seed]] as const) {
    if (!Number.isInteger(n) || n < (name === 'seed' ? 0 : 1)) usage(`--${name} ${String(values[name])}: expected a positive integer`);
  }
  // No traces: they record every write on every node, a measurement aid whose growth is not the system's.
  const settings: Record<string, string> = { trace: 'false', ...values.set };
  const dir = path.resolve(values.out ?? path.join('out', `soak-${new Date().toISOString().replace(/[:.]/g, '-')}`));
  fs.mkdirSync(dir, { recursive: true });
  const command = `npm run bench:soak -- ${process.argv.slice(2).join(' ')}`.trimEnd();
  console.log(`parley soak: ${algo}, ${nodes} nodes, ${rate} writes/s open loop over ${keys} keys for ${values.time}; crash, partition and catch-up faults every ${values.interval}`);
  console.log(`machine: ${describeMachine()}`);
  console.log(`command: ${command}`);
  console.log(`output: ${dir}`);

  // The fault schedule parley run would draw for these nemeses, starting after a minute.
  const scenario = parseScenario({
    algo, nodes, duration: durationMs, seed, options: settings,
    nemesis: { names: ['crash', 'partition', 'catch-up'], interval: intervalMs, faultDuration: faultMs, start: Math.min(60_000, durationMs / 4) },
  });
  const schedule = expandNemesis(scenario);
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort('SIGINT'));
  const plane = await FaultPlane.start({ url: undefined, logDir: path.join(dir, 'logs') });
  const cluster = await Cluster.plan({ algo, size: nodes, dir, settings, nodeSettings: (id) => ({ seed: Random.derive(seed, `node:${id}`).int(0, 2 ** 31 - 1) }) });
  const client = new NodeClient(cluster.nodes.map((n) => n.api), { connections: 128, timeoutMs: 3000 });
  // Restart probes on their own connections: queued behind the load's requests to a node that
  // was down, they would time the harness's queue, not the node.
  const probes = new NodeClient(cluster.nodes.map((n) => n.api), { connections: 2, timeoutMs: 1000 });
  const check = new StreamingDurability();
  const samples: NodeSample[] = [];
  const restarts: RestartSample[] = [];
  const throughput: { tMs: number; ok: number; failed: number; unknown: number }[] = [];
  let originNs = Number(monoNs());
  let runner: FaultRunner | null = null;
  let sampler: NodeJS.Timeout | null = null;
  let watcher: NodeJS.Timeout | null = null;
  try {
    await plane.wire(cluster);
    await cluster.start();
    if (hasLeader(scenario)) await cluster.waitForLeader(30_000);
    originNs = Number(monoNs());
    runner = new FaultRunner(schedule, cluster, plane, Random.derive(seed, 'faults'), originNs, (line) => console.log(`  ${line}`));
    // A fault that cannot be applied (a node slow to start) is reported, and the soak goes on.
    const faultsDone = runner.run().catch((err: unknown) => console.log(`  fault runner stopped: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`));
    const watched = new Set<number>();
    const r = runner;

    // Every sample: each node's RSS and durable bytes from its own /metrics (nothing when it is down or cut off).
    const takeSample = async () => {
      const tMs = nowMs(originNs);
      await Promise.all(
        cluster.ids.map(async (id) => {
          const m = await cluster.metrics(id).catch(() => null);
          if (!m) return;
          const algoMetrics = (m[algo] ?? {}) as Record<string, unknown>;
          samples.push({
            tMs, node: id, rssBytes: Number(m.rssBytes), dataBytes: Number(m.dataBytes), walBytes: Number(m.walBytes), snapshotBytes: Number(m.snapshotBytes),
            logEntries: Number(algoMetrics.logEntries ?? algoMetrics.slotsHeld ?? NaN),
          });
        }),
      );
      if (samples.length > 0) console.log(progressLine(tMs, samples, restarts, throughput));
    };
    sampler = setInterval(() => void takeSample(), sampleMs);
    void takeSample();
    // Each crash's restart is timed from the moment it is due: probe until the node serves.
    watcher = setInterval(() => {
      for (const rec of r.records) {
        if (rec.startMs === undefined || watched.has(rec.id) || (rec.kind !== 'crash' && rec.kind !== 'leader-crash')) continue;
        if (nowMs(originNs) < rec.startMs + rec.spec.duration) continue;
        watched.add(rec.id);
        void timeRestart(cluster, probes, rec, originNs, restarts);
      }
    }, 10);

    // The load, in windows of a minute so the per-operation records never pile up.
    let seq = 0;
    const source: OpSource = {
      next: () => {
        const i = seq++;
        const key = `k${i % keys}`;
        const value = `w${i}`;
        const invokeNs = Number(monoNs());
        return {
          node: i % nodes, op: { f: 'write', key, value }, f: 'write', key, value,
          complete: (o) => {
            check.record({ key, value, invokeNs, endNs: Number(monoNs()), type: o.type });
            return { type: o.type };
          },
        };
      },
    };
    while (!controller.signal.aborted && nowMs(originNs) < durationMs) {
      const windowMs = Math.min(60_000, durationMs - nowMs(originNs));
      const result = await runLoad({ mode: 'open', concurrency: 256, rate, durationMs: windowMs, source, client, signal: controller.signal });
      const count = (t: string) => result.records.filter((x) => x.type === t).length;
      throughput.push({ tMs: nowMs(originNs), ok: count('ok') / (windowMs / 1000), failed: count('fail') / (windowMs / 1000), unknown: count('info') / (windowMs / 1000) });
    }
    clearInterval(sampler);
    sampler = null;
    clearInterval(watcher!);
    watcher = null;
    await runner.stop();
    await faultsDone;
    await takeSample();

    // Heal everything, restart what is down, and read every key from every node.
    await heal(cluster, plane);
    if (hasLeader(scenario)) await cluster.waitForLeader(30_000);
    await sleep(3000);
    const finalByNode: Record<string, Record<string, string | null>> = {};
    for (const [index, id] of cluster.ids.entries()) {
      finalByNode[id] = {};
      for (let k = 0; k < keys; k++) {
        const key = `k${k}`;
        for (let attempt = 0; attempt < 20; attempt++) {
          const o = await client.invoke(index, { f: 'read', key });
          if (o.type === 'ok') {
            finalByNode[id]![key] = (o.body?.value ?? null) as string | null;
            break;
          }
          await sleep(250);
        }
      }
    }
    const verdict = check.verdict(finalByNode);
    const data: SoakData = {
      command, machine: machineInfo(), algo, nodes, rate, keys, durationMs, settings, sampleMs,
      faults: runner.records.map(faultRow), samples, restarts, throughput, verdict,
    };
    const summary = soakSummary(data);
    fs.writeFileSync(path.join(dir, 'soak.json'), JSON.stringify({ ...data, summary }, null, 1));
    await writeSoakReport(path.join(dir, 'soak.html'), data, summary);
    for (const line of summary.lines) console.log(line);
    console.log(`report: ${path.join(dir, 'soak.html')}`);
    return verdict.valid ? 0 : 1;
  } finally {
    if (sampler) clearInterval(sampler);
    if (watcher) clearInterval(watcher);
    await runner?.stop();
    await client.close();
    await probes.close();
    await cluster.stop();
    await plane.stop();
  }
}

function faultRow(r: FaultRecord): SoakData['faults'][number] {
  return { kind: r.kind === 'crash' && r.spec.mode === 'power-loss' ? 'power-loss' : r.kind, shape: r.kind === 'partition' ? r.spec.shape : null, targets: r.targets, startMs: r.startMs ?? null, endMs: r.endMs ?? null, status: r.status };
}

/**
 * From the moment a crashed node is due to start again (the end of its crash fault) until
 * it answered a read, through itself (so a follower must know a leader again): what a
 * client of that node waits. The process being up (`recoveredMs`, its state recovered and
 * its API listening) comes first; serving after.
 */
async function timeRestart(cluster: Cluster, client: NodeClient, rec: FaultRecord, originNs: number, out: RestartSample[]): Promise<void> {
  const restartAt = rec.startMs! + rec.spec.duration;
  await Promise.all(
    rec.targets.map(async (id) => {
      const index = cluster.ids.indexOf(id);
      const deadline = Date.now() + 30_000;
      let servedMs: number | null = null;
      while (Date.now() < deadline) {
        const o = await client.invoke(index, { f: 'read', key: 'k0' });
        if (o.type === 'ok' && rec.recoveredMs !== undefined) {
          servedMs = nowMs(originNs);
          break;
        }
        await sleep(5);
      }
      const upMs = rec.recoveredMs === undefined ? null : rec.recoveredMs - restartAt;
      const m = await cluster.metrics(id).catch(() => null);
      const recoveryMs = m && typeof m.recoveryMs === 'number' ? m.recoveryMs : null;
      out.push({ node: id, atMs: restartAt, upMs, recoveryMs, servingMs: servedMs === null ? null : servedMs - restartAt, powerLoss: rec.spec.mode === 'power-loss' });
    }),
  );
}

function progressLine(tMs: number, samples: readonly NodeSample[], restarts: readonly RestartSample[], throughput: readonly { ok: number }[]): string {
  const recent = samples.filter((s) => s.tMs > tMs - 15_000);
  const mib = (b: number) => (b / 2 ** 20).toFixed(0);
  const rss = recent.map((s) => s.rssBytes);
  const data = recent.map((s) => s.dataBytes);
  const last = restarts.at(-1);
  const up = last?.upMs != null ? ` (process up after ${Math.round(last.upMs)} ms)` : '';
  return (
    `  ${(tMs / 60_000).toFixed(1)} min: RSS ${mib(Math.min(...rss))}-${mib(Math.max(...rss))} MiB, data ${mib(Math.min(...data))}-${mib(Math.max(...data))} MiB` +
    `${throughput.length > 0 ? `, ${Math.round(throughput.at(-1)!.ok)} ok/s` : ''}${last ? `, last restart served after ${last.servingMs === null ? 'never' : `${Math.round(last.servingMs)} ms`}${up}` : ''}`
  );
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench:soak: harness failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(70);
  },
);
