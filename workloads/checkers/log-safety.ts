/**
 * The consensus invariants themselves, read from what the nodes traced rather than from
 * what clients saw: a Figure-8 overwrite, a double vote or a forgotten promise can leave
 * every client read consistent (nobody happened to read the key in the window) and still
 * mean the replicas disagree. Jepsen-style client checks find what users would see; these
 * find the protocol bug under it, on the same run.
 *
 *   state-machine safety   no two nodes apply different writes at the same log position
 *                          (Raft index, Paxos slot); a node that applies a position twice
 *                          (a restart replaying its log) must apply the same writes again
 *   election safety        at most one leader per term (Raft's `leader` events)
 *   no forgotten applies   a node restarted recovers from its own files every position it
 *                          applied before (its `recovered` event): it applies only what it
 *                          made durable first, so a shorter log means its disk lost a synced
 *                          write, or recovery dropped one (only checked with fsync on)
 *
 * Both are conservative, so a violation is always a real bug: positions are compared only
 * where both sides traced writes (an operation that wrote nothing, a no-op, a position a
 * node skipped by installing a snapshot says nothing), and a leader event is only ever
 * emitted by a node that counted a quorum of votes for itself in that term.
 */
import type { AppliedRecord } from './convergence.js';
import type { Verdict } from './verdict.js';

export interface LeaderEvent {
  node: string;
  event: 'leader';
  term: number;
  /** Monotonic ns when the node became leader. */
  t: number;
}

export function isLeaderEvent(row: Record<string, unknown>): boolean {
  return row.event === 'leader' && typeof row.term === 'number' && typeof row.node === 'string';
}

/** A node started on its data directory and holds log positions up to `through` (Core.recoveredThrough). */
export interface RecoveredEvent {
  node: string;
  event: 'recovered';
  through: number;
  /** Monotonic ns when it started, before it applied anything. */
  t: number;
}

export function isRecoveredEvent(row: Record<string, unknown>): boolean {
  return row.event === 'recovered' && typeof row.through === 'number' && typeof row.node === 'string' && typeof row.t === 'number';
}

/**
 * Restarts that came back with less than the node had applied: for each node, the highest
 * position it applied before each of its starts, against what that start recovered.
 */
function forgottenApplies(applied: readonly AppliedRecord[], recoveries: readonly RecoveredEvent[]): string[] {
  const out: string[] = [];
  const byNode = new Map<string, RecoveredEvent[]>();
  for (const r of recoveries) {
    const starts = byNode.get(r.node);
    if (starts) starts.push(r);
    else byNode.set(r.node, [r]);
  }
  for (const [node, starts] of byNode) {
    starts.sort((a, b) => a.t - b.t);
    const mine = applied.filter((r) => r.node === node && r.at !== undefined).sort((a, b) => a.t - b.t);
    let i = 0;
    let highest = 0;
    for (const [n, start] of starts.entries()) {
      while (i < mine.length && mine[i]!.t < start.t) highest = Math.max(highest, mine[i++]!.at!);
      if (start.through < highest) out.push(`${node} applied log position ${highest} before its start #${n + 1}, which recovered only through ${start.through} from its own files`);
    }
  }
  return out;
}

interface Applied {
  node: string;
  /** The writes at this position, in order, each as `key=value`. */
  writes: string[];
  t: number;
}

/** Group each node's trace into (position -> writes), in the order they were traced. */
function positions(applied: readonly AppliedRecord[]): Map<number, Applied[]> {
  const byPosition = new Map<number, Applied[]>();
  // A position's writes are traced together, one record after another, by one node; a later
  // run of the same position by the same node (after a restart) is another application.
  let last: { node: string; at: number; entry: Applied } | null = null;
  for (const r of applied) {
    if (r.at === undefined) {
      last = null;
      continue;
    }
    const write = `${JSON.stringify(r.key)}=${JSON.stringify(r.value)}`;
    if (last && last.node === r.node && last.at === r.at) {
      last.entry.writes.push(write);
      continue;
    }
    const entry: Applied = { node: r.node, writes: [write], t: r.t };
    const list = byPosition.get(r.at);
    if (list) list.push(entry);
    else byPosition.set(r.at, [entry]);
    last = { node: r.node, at: r.at, entry };
  }
  return byPosition;
}

/**
 * The same writes, or one a prefix of the other: a trace cut short by a crash (the last
 * lines of applied.jsonl never written) is not a disagreement.
 */
function agree(a: readonly string[], b: readonly string[]): boolean {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return false;
  return true;
}

export interface LogSafetyInput {
  /** Every node's applied trace, each node's records in the order it traced them. */
  applied: readonly AppliedRecord[];
  leaders?: readonly LeaderEvent[];
  /** Each start of a node whose core reports what it recovered; leave out unless its writes were synced (fsync on). */
  recoveries?: readonly RecoveredEvent[];
}

/** Null when there is nothing to check (no record carries a position, no leader events). */
export function checkLogSafety({ applied, leaders = [], recoveries = [] }: LogSafetyInput): Verdict | null {
  const byPosition = positions(applied);
  if (byPosition.size === 0 && leaders.length === 0) return null;
  const problems: string[] = [];
  let divergent = 0;
  for (const [at, list] of [...byPosition].sort((a, b) => a[0] - b[0])) {
    const first = list[0]!;
    const other = list.find((e) => !agree(e.writes, first.writes));
    if (!other) continue;
    divergent++;
    if (problems.length < 3) {
      const who = other.node === first.node ? `${first.node} applied it twice, differently` : `${first.node} and ${other.node} disagree`;
      problems.push(`log position ${at}: ${who} (${first.writes.join(', ')} vs ${other.writes.join(', ')})`);
    }
  }
  const byTerm = new Map<number, Set<string>>();
  for (const e of leaders) {
    const set = byTerm.get(e.term) ?? new Set<string>();
    set.add(e.node);
    byTerm.set(e.term, set);
  }
  const splitTerms = [...byTerm].filter(([, nodes]) => nodes.size > 1).sort((a, b) => a[0] - b[0]);
  for (const [term, nodes] of splitTerms.slice(0, 3)) problems.push(`term ${term} had ${nodes.size} leaders: ${[...nodes].sort().join(', ')}`);
  const forgotten = forgottenApplies(applied, recoveries);
  problems.push(...forgotten.slice(0, 3));
  const stats = { positions: byPosition.size, divergentPositions: divergent, terms: byTerm.size, splitTerms: splitTerms.length, restartsChecked: recoveries.length, forgetfulRestarts: forgotten.length };
  if (problems.length === 0) {
    const terms = byTerm.size > 0 ? `, ${byTerm.size} terms with one leader each` : '';
    const starts = recoveries.length > 0 ? `, ${recoveries.length} starts that each recovered all the node had applied` : '';
    return { checker: 'invariants', valid: true, summary: `the replicas agree: ${byPosition.size} log positions applied alike on every node that applied them${terms}${starts}`, stats };
  }
  const what = forgotten.length === problems.length ? 'a node forgot what it applied' : 'the replicas disagree';
  return { checker: 'invariants', valid: false, summary: `${what}: ${problems.join('; ')}`, stats };
}
