/**
 * Convergence, for gossip: eventual consistency promises that once faults heal and writes
 * stop, every live node holds the same state, and that no acknowledged write is simply
 * forgotten (it is there, or a write that wins last-writer-wins replaced it). A user
 * choosing gossip wants to know how long "eventually" is, so the checker measures, per
 * acknowledged write, the time from its acknowledgement until the last live node held it
 * (or something newer), and how often reads during the run returned stale values: the
 * price of answering reads from the local replica.
 *
 * Inputs: the client history; the nodes' applied traces (data/applied.jsonl: when each node
 * first held each key/value; Demers et al. 1987 measure dissemination the same way); and
 * the final state of every live node. Last-writer-wins order is the nodes' own version
 * when the trace carries one, else the time a value first appeared on any node, else the
 * client's invoke time.
 */
import { z } from 'zod';
import { isScalar, pairOperations, type HistoryEvent, type JsonValue, type Key, type Operation, type Scalar } from '../history.js';
import { quantile, type ConvergenceEvidence, type Verdict } from './verdict.js';

export interface AppliedRecord {
  node: string;
  key: Key;
  value: Scalar;
  /** Monotonic nanoseconds when the node first held this value. */
  t: number;
  /** The node's last-writer-wins version, if it has one: a number, or [timestamp, tiebreak]. Higher wins. */
  version?: number | [number, string];
}

export interface ConvergenceInput {
  history: readonly HistoryEvent[];
  applied: readonly AppliedRecord[];
  /** Final state of every live node (crashed nodes left out): node -> key -> value. */
  final: Record<string, Record<string, Scalar>>;
  /** When the last fault healed (ns, the history's clock). Deadlines count from here. Default: no faults. */
  healedAt?: number;
  /** Every acknowledged write must reach every live node within this many ms of max(ack, healedAt). Absent: measure only. */
  boundMs?: number;
}

export const appliedRecordSchema = z.object({
  node: z.string().min(1),
  key: z.union([z.string(), z.number()]),
  value: z.union([z.string(), z.number(), z.boolean(), z.null()]),
  t: z.number().finite(),
  version: z.union([z.number(), z.tuple([z.number(), z.string()])]).optional(),
});
export const finalStateSchema = z.record(z.string(), z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])));

type Version = [number, string];
const OLDEST: Version = [-Infinity, ''];

function compare(x: Version, y: Version): number {
  return x[0] !== y[0] ? (x[0] < y[0] ? -1 : 1) : x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0;
}

const keyId = (k: Key | undefined): string => String(k ?? '');
const valueId = (k: string, v: JsonValue | undefined): string => `${k}\u0000${typeof v}:${String(v)}`;
const MAX_LISTED = 50;

export function checkConvergence(input: ConvergenceInput): Verdict {
  const began = performance.now();
  const ops = pairOperations(input.history);
  const writes = ops.filter((o) => o.f === 'write' && o.outcome === 'ok');
  const reads = ops.filter((o) => o.f === 'read' && o.outcome === 'ok');
  const live = Object.keys(input.final).sort();

  // Last-writer-wins order of every (key, value) anyone wrote or held.
  const version = new Map<string, Version>();
  const explicit = input.applied.some((a) => a.version !== undefined);
  for (const a of input.applied) {
    const id = valueId(keyId(a.key), a.value);
    const v: Version = a.version === undefined ? [explicit ? -Infinity : a.t, ''] : typeof a.version === 'number' ? [a.version, ''] : a.version;
    const known = version.get(id);
    if (!known || (explicit ? compare(v, known) > 0 : v[0] < known[0])) version.set(id, v);
  }
  for (const w of ops) {
    if (w.f !== 'write' || w.outcome === 'fail') continue;
    const id = valueId(keyId(w.key), w.value);
    if (!version.has(id)) version.set(id, [w.start, '']);
  }
  const versionOf = (key: string, v: JsonValue | undefined): Version => version.get(valueId(key, v)) ?? OLDEST;

  // Each live node's applied records per key, by time, with the best version held so far:
  // that running maximum only grows, so "when did this node first hold this version or a
  // newer one" is a binary search instead of a scan (O(W·N·log R), not O(W·R)).
  const held = new Map<string, { t: number[]; best: Version[] }>();
  {
    const lists = new Map<string, AppliedRecord[]>();
    for (const a of input.applied) {
      const id = `${a.node}\u0000${keyId(a.key)}`;
      let list = lists.get(id);
      if (!list) lists.set(id, (list = []));
      list.push(a);
    }
    for (const [id, list] of lists) {
      list.sort((x, y) => x.t - y.t);
      const k = id.slice(id.indexOf('\u0000') + 1);
      const t: number[] = [];
      const best: Version[] = [];
      let top = OLDEST;
      for (const a of list) {
        const v = versionOf(k, a.value);
        if (compare(v, top) > 0) top = v;
        t.push(a.t);
        best.push(top);
      }
      held.set(id, { t, best });
    }
  }
  /** The first time `node` held version `mine` of `k` or a newer one (Infinity: never). */
  const firstHeld = (node: string, k: string, mine: Version): number => {
    const h = held.get(`${node}\u0000${k}`);
    if (!h) return Infinity;
    let lo = 0;
    let hi = h.best.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compare(h.best[mid]!, mine) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo < h.t.length ? h.t[lo]! : Infinity;
  };

  const evidence: ConvergenceEvidence = { kind: 'convergence', divergent: [], lost: [], late: [] };
  const keys = new Set<string>();
  for (const node of live) for (const k of Object.keys(input.final[node]!)) keys.add(k);
  for (const w of writes) keys.add(keyId(w.key));
  for (const k of [...keys].sort()) {
    const values: Record<string, JsonValue> = {};
    for (const node of live) values[node] = input.final[node]![k] ?? null;
    const distinct = new Set(Object.values(values).map((v) => `${typeof v}:${String(v)}`));
    if (distinct.size > 1) evidence.divergent.push({ key: k, values });
  }

  const convergenceMs: number[] = [];
  let unconverged = 0;
  let lostCount = 0;
  let lateCount = 0;
  for (const w of writes) {
    const k = keyId(w.key);
    const mine = versionOf(k, w.value);
    const index = input.history[w.position]!.index;
    const lostOn = live.find((node) => {
      const f = input.final[node]![k] ?? null;
      return !sameValue(f, w.value) && compare(versionOf(k, f), mine) <= 0;
    });
    if (lostOn !== undefined) {
      lostCount++;
      if (evidence.lost.length < MAX_LISTED) evidence.lost.push({ index, key: w.key ?? k, value: w.value ?? null, final: input.final[lostOn]![k] ?? null });
    }
    // The moment the last live node held this value or one that wins over it.
    let reachedAll = -Infinity;
    for (const node of live) reachedAll = Math.max(reachedAll, firstHeld(node, k, mine));
    const ms = reachedAll === Infinity ? null : Math.max(0, reachedAll - w.end) / 1e6;
    if (ms === null) unconverged++;
    else convergenceMs.push(ms);
    if (input.boundMs !== undefined) {
      const deadline = Math.max(w.end, input.healedAt ?? -Infinity) + input.boundMs * 1e6;
      if (reachedAll > deadline) {
        lateCount++;
        if (evidence.late.length < MAX_LISTED) {
          evidence.late.push({ index, key: w.key ?? k, value: w.value ?? null, convergedMs: ms, deadlineMs: (deadline - w.end) / 1e6 });
        }
      }
    }
  }

  const stale = countStaleReads(reads, writes, versionOf);
  convergenceMs.sort((x, y) => x - y);
  const stats = {
    liveNodes: live.length,
    keys: keys.size,
    acknowledgedWrites: writes.length,
    divergentKeys: evidence.divergent.length,
    lostWrites: lostCount,
    lateWrites: lateCount,
    unconvergedWrites: unconverged,
    convergenceP50Ms: round(quantile(convergenceMs, 0.5)),
    convergenceP99Ms: round(quantile(convergenceMs, 0.99)),
    convergenceMaxMs: round(convergenceMs.length > 0 ? convergenceMs[convergenceMs.length - 1]! : 0),
    reads: reads.length,
    staleReads: stale,
    staleReadRate: reads.length > 0 ? round(stale / reads.length) : 0,
    elapsedMs: round(performance.now() - began),
  };
  const samples = { convergenceMs };
  const measured =
    `${writes.length} acknowledged writes reached every live node in a median ${stats.convergenceP50Ms} ms (p99 ${stats.convergenceP99Ms} ms, max ${stats.convergenceMaxMs} ms)` +
    `; ${stale} of ${reads.length} reads were stale`;
  const problems: string[] = [];
  if (evidence.divergent.length > 0) problems.push(`${evidence.divergent.length} keys differ between live nodes (first: ${JSON.stringify(evidence.divergent[0]!.key)})`);
  if (lostCount > 0) problems.push(`${lostCount} acknowledged writes are neither present nor superseded (first: index ${evidence.lost[0]!.index})`);
  if (lateCount > 0) problems.push(`${lateCount} writes did not reach every live node within ${input.boundMs} ms after healing`);
  if (problems.length > 0) {
    return { checker: 'convergence', valid: false, summary: `Not converged: ${problems.join('; ')}. ${cap(measured)}.`, evidence, stats, samples };
  }
  return {
    checker: 'convergence', valid: true, stats, samples,
    summary: `Converged: all ${live.length} live nodes hold the same state with every acknowledged write present or superseded; ${measured}.`,
  };
}

/**
 * A read is stale when it returns a value older (in last-writer-wins order) than the newest
 * write acknowledged before the read began: it missed a write it could have seen.
 */
function countStaleReads(reads: Operation[], writes: Operation[], versionOf: (k: string, v: JsonValue | undefined) => Version): number {
  const byKey = new Map<string, Operation[]>();
  for (const w of writes) {
    const k = keyId(w.key);
    let list = byKey.get(k);
    if (!list) byKey.set(k, (list = []));
    list.push(w);
  }
  const newest = new Map<string, { ends: number[]; best: Version[] }>();
  for (const [k, list] of byKey) {
    list.sort((x, y) => x.end - y.end);
    const best: Version[] = [];
    let top = OLDEST;
    for (const w of list) {
      const v = versionOf(k, w.value);
      if (compare(v, top) > 0) top = v;
      best.push(top);
    }
    newest.set(k, { ends: list.map((w) => w.end), best });
  }
  let stale = 0;
  for (const r of reads) {
    const k = keyId(r.key);
    const n = newest.get(k);
    if (!n) continue;
    let lo = 0;
    let hi = n.ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (n.ends[mid]! < r.start) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0) continue;
    const seen = isScalar(r.result) ? versionOf(k, r.result) : OLDEST;
    if (compare(seen, n.best[lo - 1]!) < 0) stale++;
  }
  return stale;
}

function sameValue(x: JsonValue | undefined, y: JsonValue | undefined): boolean {
  return (x ?? null) === (y ?? null);
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
