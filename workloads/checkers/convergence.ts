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
 *
 * A trace can miss a value its node holds: a node killed after its own write was durable
 * and before the trace line was written recovers that version at restart without ever
 * tracing it. Where a node's trace never shows a write (or anything newer), the reads the
 * clients made on that node fill the gap: a read there that returned it or something newer
 * proves the node held it by then (the final reads, which give the final state, are such
 * reads). Only then: the trace, written as the value lands, is the exact time.
 */
import { z } from 'zod';
import { isScalar, pairOperations, type HistoryEvent, type JsonValue, type Key, type Operation, type Scalar } from '../history.js';
import { quantile, type ConvergenceEvidence, type Verdict } from './verdict.js';
import { describeStarvation, starvedDuring, type LoadSample, type StarvationEvidence } from './starvation.js';

export interface AppliedRecord {
  node: string;
  key: Key;
  value: Scalar;
  /** Monotonic nanoseconds when the node first held this value. */
  t: number;
  /** The node's last-writer-wins version, if it has one: a number, or [timestamp, tiebreak]. Higher wins. */
  version?: number | [number, string];
  /** The log position (Raft index, Paxos slot) whose command made this write, for cores with a log (log-safety.ts). */
  at?: number;
}

export interface ConvergenceInput {
  history: readonly HistoryEvent[];
  applied: readonly AppliedRecord[];
  /** Final state of every live node (crashed nodes left out): node -> key -> value; a key left out is null. */
  final: Record<string, Record<string, Scalar>>;
  /** Final reads that never succeeded: those keys on those nodes are unknown, not null. */
  unread?: readonly { node: string; key: Key }[];
  /** When the last fault healed (ns, the history's clock). Deadlines count from here. Default: no faults. */
  healedAt?: number;
  /** Every acknowledged write must reach every live node within this many ms of max(ack, healedAt). Absent: measure only. */
  boundMs?: number;
  /** How the replicas settled before the final reads (harness/after-load.ts). Absent: the final state is taken as settled. */
  settle?: SettleReport;
  /** The machine's load over the run (harness/machine-watch.ts). Absent: not measured, so no timing is excused. */
  machine?: readonly LoadSample[];
}

/**
 * How the harness waited, after healing, for the replicas to agree before it took the
 * final reads. 'agreed': every live node answered the same. 'stopped-changing': they
 * differed, and no replica's answer changed for `quietMs` of the CPU time the processes
 * were granted (wall time on a machine that was not starved; on a starved one, longer in
 * proportion to what they waited). 'still-changing': the wait ended (at its cap) while
 * answers still changed, or before a quiet stretch on a starved machine was that long.
 */
export interface SettleReport {
  outcome: 'agreed' | 'stopped-changing' | 'still-changing';
  /** When the wait began and ended, and when an answer last changed (ns, history clock). */
  from: number;
  to: number;
  lastChange: number;
  boundMs: number;
  quietMs: number;
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
type VersionOf = (key: string, v: JsonValue | undefined) => Version;
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
  const versionOf = lastWriterWins(input.applied, ops);
  const firstHeld = heldIndex(input.applied, versionOf);
  const firstRead = readIndex(input.history, reads, versionOf);
  const final = finalState(input, live, writes);
  const fates = writeFates(input, live, writes, final.unread, versionOf, (node, k, mine) => {
    const traced = firstHeld(node, k, mine);
    return traced !== Infinity ? traced : firstRead(node, k, mine);
  });
  const stale = countStaleReads(reads, writes, versionOf);
  fates.convergenceMs.sort((x, y) => x - y);
  const ms = fates.convergenceMs;
  const stats = {
    liveNodes: live.length,
    keys: final.keys,
    acknowledgedWrites: writes.length,
    divergentKeys: final.divergentCount,
    unreadKeys: final.unreadCount,
    lostWrites: fates.lostCount,
    pendingWrites: fates.pendingCount,
    lateWrites: fates.lateCount,
    lateWhileStarved: fates.excusedCount,
    unconvergedWrites: fates.unconverged,
    convergenceP50Ms: round(quantile(ms, 0.5)),
    convergenceP99Ms: round(quantile(ms, 0.99)),
    convergenceMaxMs: round(ms.length > 0 ? ms[ms.length - 1]! : 0),
    reads: reads.length,
    staleReads: stale,
    staleReadRate: reads.length > 0 ? round(stale / reads.length) : 0,
    elapsedMs: round(performance.now() - began),
  };
  const evidence: ConvergenceEvidence = { kind: 'convergence', divergent: final.divergent, lost: fates.lost, late: fates.late };
  if (final.unread.length > 0) evidence.unread = final.unread.slice(0, MAX_LISTED);
  if (input.settle) evidence.settle = { outcome: input.settle.outcome, waitedMs: round((input.settle.to - input.settle.from) / 1e6), boundMs: input.settle.boundMs };
  return judge(input, stats, evidence, fates.excusedBy, { convergenceMs: ms });
}

/** Last-writer-wins order of every (key, value) anyone wrote or held. */
function lastWriterWins(applied: readonly AppliedRecord[], ops: readonly Operation[]): VersionOf {
  const version = new Map<string, Version>();
  const explicit = applied.some((a) => a.version !== undefined);
  for (const a of applied) {
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
  return (key, v) => version.get(valueId(key, v)) ?? OLDEST;
}

/** When a node's trace first shows a version of a key or a newer one (Infinity: never). */
function heldIndex(applied: readonly AppliedRecord[], versionOf: VersionOf): HeldAt {
  return sightingIndex(applied.map((a) => ({ node: a.node, key: keyId(a.key), value: a.value, t: a.t })), versionOf);
}

/**
 * When a client read on a node first returned a version of a key or a newer one (Infinity:
 * never): what the node provably held by then, whatever its trace says. Reads carry the
 * node they were sent to; gossip answers them from that node's replica.
 */
function readIndex(history: readonly HistoryEvent[], reads: readonly Operation[], versionOf: VersionOf): HeldAt {
  const seen: Sighting[] = [];
  for (const r of reads) {
    const node = history[r.position]!.node;
    if (node === undefined || !isScalar(r.result)) continue;
    seen.push({ node: String(node), key: keyId(r.key), value: r.result, t: r.end });
  }
  return sightingIndex(seen, versionOf);
}

type HeldAt = (node: string, k: string, mine: Version) => number;
interface Sighting {
  node: string;
  key: string;
  value: Scalar;
  t: number;
}

/**
 * When a node was first seen holding a version of a key or a newer one. Each node's
 * sightings per key, by time, with the best version seen so far: that running maximum only
 * grows, so the answer is a binary search instead of a scan (O(W·N·log R), not O(W·R)).
 */
function sightingIndex(sightings: readonly Sighting[], versionOf: VersionOf): HeldAt {
  const held = new Map<string, { t: number[]; best: Version[] }>();
  const lists = new Map<string, Sighting[]>();
  for (const a of sightings) {
    const id = `${a.node}\u0000${a.key}`;
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
  return (node, k, mine) => {
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
}

/** Keys on which the live nodes that were read ended with different values, and what could not be read. */
function finalState(input: ConvergenceInput, live: string[], writes: readonly Operation[]) {
  const unread = (input.unread ?? []).filter((u) => live.includes(u.node));
  const unreadIds = new Set(unread.map((u) => `${u.node}\u0000${keyId(u.key)}`));
  const keys = new Set<string>();
  for (const node of live) for (const k of Object.keys(input.final[node]!)) keys.add(k);
  for (const w of writes) keys.add(keyId(w.key));
  const divergent: ConvergenceEvidence['divergent'] = [];
  let divergentCount = 0;
  for (const k of [...keys].sort()) {
    const values: Record<string, JsonValue> = {};
    for (const node of live) if (!unreadIds.has(`${node}\u0000${k}`)) values[node] = input.final[node]![k] ?? null;
    const distinct = new Set(Object.values(values).map((v) => `${typeof v}:${String(v)}`));
    if (distinct.size > 1) {
      divergentCount++;
      if (divergent.length < MAX_LISTED) divergent.push({ key: k, values });
    }
  }
  return { keys: keys.size, divergent, divergentCount, unread, unreadCount: new Set(unread.map((u) => keyId(u.key))).size };
}

/**
 * Each acknowledged write: gone (no live node that was read holds it or anything newer:
 * lost whatever the timing), pending (some do, some not yet), and how long after its
 * acknowledgement the last live node held it. Late against the bound is excused when the
 * machine was starved while it was late (the evidence is kept for the verdict).
 */
function writeFates(
  input: ConvergenceInput, live: string[], writes: readonly Operation[], unread: readonly { node: string; key: Key }[],
  versionOf: VersionOf, firstHeld: HeldAt,
) {
  const unreadIds = new Set(unread.map((u) => `${u.node}\u0000${keyId(u.key)}`));
  const lost: ConvergenceEvidence['lost'] = [];
  const late: ConvergenceEvidence['late'] = [];
  const convergenceMs: number[] = [];
  let lostCount = 0;
  let pendingCount = 0;
  let lateCount = 0;
  let excusedCount = 0;
  let excusedBy: StarvationEvidence | null = null;
  let unconverged = 0;
  let endOfWait = input.settle?.to ?? -Infinity;
  if (!input.settle) for (const a of input.applied) endOfWait = Math.max(endOfWait, a.t);
  for (const w of writes) {
    const k = keyId(w.key);
    const mine = versionOf(k, w.value);
    const index = input.history[w.position]!.index;
    const read = live.filter((node) => !unreadIds.has(`${node}\u0000${k}`));
    const holds = (node: string) => {
      const f = input.final[node]![k] ?? null;
      return sameValue(f, w.value) || compare(versionOf(k, f), mine) > 0;
    };
    const missingOn = read.filter((node) => !holds(node));
    if (missingOn.length > 0 && missingOn.length === read.length && read.length === live.length) {
      lostCount++;
      if (lost.length < MAX_LISTED) lost.push({ index, key: w.key ?? k, value: w.value ?? null, final: input.final[missingOn[0]!]![k] ?? null });
    } else if (missingOn.length > 0) pendingCount++;
    // The moment the last live node held this value or one that wins over it.
    let reachedAll = -Infinity;
    for (const node of live) reachedAll = Math.max(reachedAll, firstHeld(node, k, mine));
    const ms = reachedAll === Infinity ? null : Math.max(0, reachedAll - w.end) / 1e6;
    if (ms === null) unconverged++;
    else convergenceMs.push(ms);
    if (input.boundMs === undefined) continue;
    const from = Math.max(w.end, input.healedAt ?? -Infinity);
    const deadline = from + input.boundMs * 1e6;
    if (reachedAll <= deadline) continue;
    const starved = starvedDuring(input.machine, from, Math.max(deadline, Math.min(reachedAll, endOfWait)));
    if (starved) {
      excusedCount++;
      if (!excusedBy || starved.to - starved.from > excusedBy.to - excusedBy.from) excusedBy = starved;
    } else lateCount++;
    if (late.length < MAX_LISTED) {
      late.push({ index, key: w.key ?? k, value: w.value ?? null, convergedMs: ms, deadlineMs: (deadline - w.end) / 1e6, ...(starved && { starved: true }) });
    }
  }
  return { lost, late, convergenceMs, lostCount, pendingCount, lateCount, excusedCount, excusedBy, unconverged };
}

/**
 * The verdict. A violation is what no amount of waiting explains: replicas that differ
 * after they stopped changing, an acknowledged write gone from every live node, or a write
 * late on a machine that was not starved. What a starved machine explains (replicas still
 * changing when the wait ended, writes late while it was starved) is undecided, with the
 * machine's figures as the evidence: slow is not wrong.
 */
function judge(input: ConvergenceInput, stats: Record<string, number>, evidence: ConvergenceEvidence, lateExcusedBy: StarvationEvidence | null, samples: Record<string, number[]>): Verdict {
  const s = input.settle;
  const settleStarved = s && s.outcome === 'still-changing' ? starvedDuring(input.machine, s.from, s.to) : null;
  const divergent = stats.divergentKeys!;
  const reached = stats.acknowledgedWrites! - stats.unconvergedWrites!;
  const spread = reached === 0 ? '' : ` in a median ${stats.convergenceP50Ms} ms (p99 ${stats.convergenceP99Ms} ms, max ${stats.convergenceMaxMs} ms)`;
  const measured =
    `${reached === stats.acknowledgedWrites ? stats.acknowledgedWrites : `${reached} of ${stats.acknowledgedWrites}`} acknowledged writes reached every live node${spread}` +
    `; ${stats.staleReads} of ${stats.reads} reads were stale`;
  const firstKey = evidence.divergent[0] ? ` (first: ${JSON.stringify(evidence.divergent[0].key)})` : '';
  const problems: string[] = [];
  const doubts: string[] = [];
  if (divergent > 0 && !settleStarved) {
    const how = !s ? '' : s.outcome === 'still-changing' ? `, still changing ${Math.round((s.to - s.from) / 1e9)} s after healing on a machine that was not starved` : ', after they stopped changing';
    problems.push(`${divergent} keys differ between live nodes${how}${firstKey}`);
  }
  if (stats.lostWrites! > 0) problems.push(`${stats.lostWrites} acknowledged writes are gone from every live node, with nothing newer (first: index ${evidence.lost[0]!.index})`);
  if (stats.lateWrites! > 0) problems.push(`${stats.lateWrites} writes did not reach every live node within ${input.boundMs} ms after healing, on a machine that was not starved`);
  if (divergent > 0 && settleStarved) {
    doubts.push(`${divergent} keys differ between live nodes${firstKey} and ${stats.pendingWrites} writes had not reached every one, but the replicas were still changing when the wait ended ${Math.round((s!.to - s!.from) / 1e9)} s after healing`);
  }
  if (stats.lateWhileStarved! > 0) doubts.push(`${stats.lateWhileStarved} writes reached every live node later than ${input.boundMs} ms after healing, while the machine was starved`);
  if (stats.liveNodes === 0 && stats.acknowledgedWrites! > 0) doubts.push('no live node was read back, so there is no final state to judge');
  if (stats.unreadKeys! > 0) doubts.push(`${stats.unreadKeys} keys could not be read back on some live node (first: ${JSON.stringify(evidence.unread![0]!.key)} on ${evidence.unread![0]!.node})`);
  const starved = settleStarved ?? lateExcusedBy ?? starvedDuring(input.machine, input.healedAt ?? -Infinity, s?.to ?? Infinity);
  const base = { checker: 'convergence' as const, stats, samples, ...(starved && { starved }) };
  if (problems.length > 0) return { ...base, valid: false, summary: `Not converged: ${problems.join('; ')}. ${cap(measured)}.`, evidence };
  if (doubts.length > 0) {
    const why = starved ? ` The machine was starved: ${describeStarvation(starved)}. Slow, not shown wrong` : ' Not shown wrong';
    return { ...base, valid: 'unknown', summary: `Undecided: ${doubts.join('; ')}.${why}; no write is gone. ${cap(measured)}.`, evidence };
  }
  const caveat = starved ? ` (times measured on a starved machine: ${describeStarvation(starved)})` : '';
  return { ...base, valid: true, summary: `Converged: all ${stats.liveNodes} live nodes hold the same state with every acknowledged write present or superseded; ${measured}${caveat}.` };
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
