/**
 * Gossip on real processes, what bench:gossip and its scale study share: cluster-wide
 * message totals, waiting for every view to be whole, and isolated writes followed from
 * each node's applied trace (data/applied.jsonl, CLOCK_MONOTONIC ns shared with this
 * process) until the last node held them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Cluster } from '../cluster.js';
import { monoNs } from '../../nodes/common/clock.js';
import { Random } from '../../nodes/common/random.js';
import { NodeClient } from '../../workloads/client.js';
import { quantile, quantiles } from '../sim/scale.js';
import type { RealScalePoint } from '../../contracts/scale-study.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export { quantile };

export interface Totals {
  msgs: number;
  bytes: number;
  rumors: number;
}

export async function totals(cluster: Cluster, ids: string[]): Promise<Totals> {
  const out: Totals = { msgs: 0, bytes: 0, rumors: 0 };
  await Promise.all(
    ids.map(async (id) => {
      const [m, s] = await Promise.all([cluster.metrics(id, 5000), cluster.status(id, 5000)]);
      out.msgs += Number(m?.msgsSent ?? 0);
      out.bytes += Number(m?.bytesSent ?? 0);
      out.rumors += Number((s?.sent as Record<string, number> | undefined)?.rumor ?? 0);
    }),
  );
  return out;
}

export async function waitAllAlive(cluster: Cluster, ids: string[], n: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const views = await Promise.all(ids.map((id) => cluster.status(id, 5000)));
    if (views.every((s) => ((s?.members as { alive?: string[] } | undefined)?.alive?.length ?? 0) === n)) return;
    if (Date.now() > deadline) throw new Error(`not every node saw all ${n} alive within ${timeoutMs} ms`);
    await sleep(500);
  }
}

/** Per node: "key\0value" -> first time (ns) it held that value. */
export function readTraces(cluster: Cluster, ids: string[]): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const id of ids) {
    const first = new Map<string, number>();
    const file = path.join(cluster.node(id).dataDir, 'applied.jsonl');
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    for (const line of text.split('\n')) {
      if (!line) continue;
      const a = JSON.parse(line) as { k: string; v: unknown; t: number };
      const k = `${a.k}\u0000${String(a.v)}`;
      if (!first.has(k)) first.set(k, a.t);
    }
    out.set(id, first);
  }
  return out;
}

/** For each acknowledged write: ms from its acknowledgement until the last live node held it (null: some never did). */
export function convergence(traces: Map<string, Map<string, number>>, acks: Map<string, number>): (number | null)[] {
  const out: (number | null)[] = [];
  for (const [kv, ackNs] of acks) {
    let last = -Infinity;
    for (const first of traces.values()) {
      const t = first.get(kv);
      if (t === undefined) {
        last = NaN;
        break;
      }
      last = Math.max(last, t);
    }
    out.push(Number.isNaN(last) ? null : Math.max(0, (last - ackNs) / 1e6));
  }
  return out;
}

export async function waitConverged(cluster: Cluster, ids: string[], acks: Map<string, number>, timeoutMs: number): Promise<(number | null)[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = convergence(readTraces(cluster, ids), acks);
    if (c.every((x) => x !== null) || Date.now() > deadline) return c;
    await sleep(250);
  }
}

/**
 * Isolated writes: one at a time to a random node, each given `gapMs` to settle, so each is
 * measured alone. Returns each converged write's time (ack to last node, ms) and the rumor
 * pushes all nodes sent per write.
 */
export async function isolatedWrites(cluster: Cluster, client: NodeClient, rnd: Random, count: number, gapMs: number): Promise<{ acked: number; converged: number[]; rumorsPerWrite: number }> {
  const ids = cluster.ids;
  const n = ids.length;
  const acks = new Map<string, number>();
  const before = await totals(cluster, ids);
  for (let i = 0; i < count; i++) {
    const key = `iso${i}`;
    const outcome = await client.invoke(rnd.int(0, n - 1), { f: 'write', key, value: key });
    if (outcome.type === 'ok') acks.set(`${key}\u0000${key}`, Number(monoNs()));
    await sleep(gapMs);
  }
  const converged = (await waitConverged(cluster, ids, acks, 10_000)).filter((x): x is number => x !== null);
  const after = await totals(cluster, ids);
  return { acked: acks.size, converged, rumorsPerWrite: (after.rumors - before.rumors) / Math.max(1, acks.size) };
}

/** The scale study's real point at N: start the processes, isolated writes, stop. */
export async function realScalePoint(n: number, settings: Record<string, string>, updates: number, roundMs: number): Promise<RealScalePoint> {
  const started = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `parley-bench-gossip-scale-${n}-`));
  const cluster = await Cluster.plan({ algo: 'gossip', size: n, dir, settings });
  const client = new NodeClient(
    cluster.nodes.map((x) => x.api),
    { connections: 4, timeoutMs: 10_000 },
  );
  try {
    await cluster.start(180_000);
    await waitAllAlive(cluster, cluster.ids, n, 120_000);
    const r = await isolatedWrites(cluster, client, new Random(n), updates, 1200);
    const q = quantiles(r.converged);
    const inRounds = (x: number | null) => (x === null ? null : x / roundMs);
    return {
      nodes: n,
      updates: r.acked,
      complete: r.converged.length,
      roundMs,
      convergenceMs: q,
      rounds: { p50: inRounds(q.p50), p99: inRounds(q.p99), max: inRounds(q.max) },
      messagesPerUpdate: r.rumorsPerWrite,
      messagesPerNode: r.rumorsPerWrite / n,
      wallMs: Date.now() - started,
      loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
    };
  } finally {
    await client.close();
    await cluster.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
