/**
 * Atomic commitment, for Two-Phase Commit. Its input is not a client history but the
 * nodes' own trace of each transaction (data/events.jsonl, Ready.events in
 * nodes/common/core.ts), because atomicity is a statement about what every participant
 * did, which no client sees.
 *
 * What it checks is the definition of atomic commit (Gray & Lamport, "Consensus on
 * Transaction Commit", 2006, §2): all participants that reach a decision reach the same
 * one (one decision per transaction, no participant applying the other outcome, no mix of
 * commits and aborts); commit only if every participant voted yes. What it measures is
 * 2PC's known cost: a participant that voted yes cannot decide on its own and stays
 * "in doubt" until it hears the outcome, for as long as the coordinator is gone.
 *
 * Timestamps come from one machine's monotonic clock but are taken after a node sent its
 * messages (the runtime traces events last), so a vote may be stamped after the decision it
 * enabled; the checker therefore requires every yes vote to exist, not to precede.
 */
import { z } from 'zod';
import { parseJsonLine } from '../json-lines.js';
import { quantile, type AtomicityViolation, type Verdict } from './verdict.js';

export type CommitRole = 'coordinator' | 'participant';
export type CommitEventName = 'prepared' | 'voted-no' | 'decided-commit' | 'decided-abort' | 'applied-commit' | 'applied-abort';

export interface CommitEvent {
  txid: string;
  node: string;
  role: CommitRole;
  event: CommitEventName;
  /** Monotonic nanoseconds. */
  t: number;
  /** Optional, on a coordinator's events: every participant it asked, so a silent one still counts. */
  participants?: string[];
}

export const commitEventSchema = z.object({
  txid: z.union([z.string().min(1), z.number()]).transform(String),
  node: z.string().min(1),
  role: z.enum(['coordinator', 'participant']),
  event: z.enum(['prepared', 'voted-no', 'decided-commit', 'decided-abort', 'applied-commit', 'applied-abort']),
  t: z.number().finite(),
  participants: z.array(z.string()).optional(),
});

/** Parse one trace line (extra fields are ignored); throws the one-line usage error naming the field. */
export function parseCommitEvent(text: string, file: string, line: number): CommitEvent {
  const data = parseJsonLine(text, file, line, commitEventSchema);
  const e: CommitEvent = { txid: data.txid, node: data.node, role: data.role, event: data.event, t: data.t };
  if (data.participants) e.participants = data.participants;
  return e;
}

interface Participant {
  prepared?: number;
  votedNo?: number;
  commit?: number;
  abort?: number;
}

const MAX_LISTED = 50;

export function checkAtomicity(trace: readonly CommitEvent[]): Verdict {
  const began = performance.now();
  const { txns, end } = byTransaction(trace);
  const tally: Tally = { violations: [], inDoubt: [], inDoubtMs: [], committed: 0, aborted: 0, undecided: 0 };
  for (const [txid, events] of txns) judgeTransaction(txid, events, tally);
  tally.inDoubtMs.sort((x, y) => x - y);
  return verdict(tally, txns.size, end, began);
}

/** What the transactions add up to: violations, who was in doubt and for how long, outcomes. */
interface Tally {
  violations: AtomicityViolation[];
  /** Participants still in doubt when the trace ends, since they prepared. */
  inDoubt: { txid: string; node: string; since: number }[];
  /** How long each resolved participant was in doubt, ms. */
  inDoubtMs: number[];
  committed: number;
  aborted: number;
  undecided: number;
}

/** The trace grouped per transaction, and the last time in it (the end of the trace). */
function byTransaction(trace: readonly CommitEvent[]): { txns: Map<string, CommitEvent[]>; end: number } {
  const txns = new Map<string, CommitEvent[]>();
  let end = -Infinity;
  for (const e of trace) {
    let list = txns.get(e.txid);
    if (!list) txns.set(e.txid, (list = []));
    list.push(e);
    end = Math.max(end, e.t);
  }
  return { txns, end };
}

/** One transaction against the definition (§2), and its participants' time in doubt. */
function judgeTransaction(txid: string, events: readonly CommitEvent[], tally: Tally): void {
  const { violations } = tally;
  const decisions = events.filter((e) => e.event === 'decided-commit' || e.event === 'decided-abort');
  const kinds = new Set(decisions.map((e) => e.event));
  if (kinds.size > 1) {
    violations.push({ type: 'conflicting-decisions', txid, decisions: decisions.map((e) => ({ node: e.node, event: e.event, t: e.t })) });
  }
  const decided = kinds.size === 1 ? (kinds.has('decided-commit') ? 'commit' : 'abort') : undefined;
  if (decided === 'commit') tally.committed++;
  else if (decided === 'abort') tally.aborted++;
  else if (kinds.size === 0) tally.undecided++;

  const participants = participantsOf(events);
  const commits = [...participants].filter(([, p]) => p.commit !== undefined).map(([n]) => n);
  const aborts = [...participants].filter(([, p]) => p.abort !== undefined).map(([n]) => n);
  if (commits.length > 0 && aborts.length > 0) violations.push({ type: 'mixed-outcome', txid, committed: commits, aborted: aborts });
  if (decided !== undefined) {
    for (const [node, p] of participants) {
      const wrong = decided === 'commit' ? p.abort : p.commit;
      if (wrong !== undefined) violations.push({ type: 'against-decision', txid, node, decided, applied: decided === 'commit' ? 'abort' : 'commit', t: wrong });
    }
  }
  if (commits.length > 0 && !kinds.has('decided-commit')) {
    const node = commits[0]!;
    violations.push({ type: 'commit-without-decision', txid, node, t: participants.get(node)!.commit! });
  }
  if (kinds.has('decided-commit')) {
    const missing = [...participants].filter(([, p]) => p.prepared === undefined).map(([n]) => n);
    const votedNo = [...participants].filter(([, p]) => p.votedNo !== undefined).map(([n]) => n);
    if (missing.length > 0 || votedNo.length > 0) {
      const t = Math.min(...decisions.filter((e) => e.event === 'decided-commit').map((e) => e.t));
      violations.push({ type: 'commit-without-votes', txid, missing, votedNo, t });
    }
  }
  for (const [node, p] of participants) {
    if (p.prepared === undefined) continue;
    const resolved = Math.min(p.commit ?? Infinity, p.abort ?? Infinity);
    if (resolved === Infinity) tally.inDoubt.push({ txid, node, since: p.prepared });
    else tally.inDoubtMs.push(Math.max(0, resolved - p.prepared) / 1e6);
  }
}

/**
 * Every participant of one transaction (those that traced something, and those a
 * coordinator names: a silent one still counts), with when it first did each thing.
 */
function participantsOf(events: readonly CommitEvent[]): Map<string, Participant> {
  const participants = new Map<string, Participant>();
  const who = (node: string): Participant => {
    let p = participants.get(node);
    if (!p) participants.set(node, (p = {}));
    return p;
  };
  for (const e of events) {
    for (const node of e.participants ?? []) who(node);
    if (e.role !== 'participant') continue;
    const p = who(e.node);
    const first = (field: keyof Participant): void => {
      p[field] = Math.min(p[field] ?? Infinity, e.t);
    };
    if (e.event === 'prepared') first('prepared');
    else if (e.event === 'voted-no') first('votedNo');
    else if (e.event === 'applied-commit') first('commit');
    else if (e.event === 'applied-abort') first('abort');
  }
  return participants;
}

function verdict(tally: Tally, transactions: number, end: number, began: number): Verdict {
  const { violations, inDoubt, inDoubtMs, committed, aborted, undecided } = tally;
  const stillMs = inDoubt.map((d) => (end - d.since) / 1e6);
  const stats = {
    transactions,
    committed,
    aborted,
    undecided,
    violations: violations.length,
    inDoubtResolved: inDoubtMs.length,
    inDoubtAtEnd: inDoubt.length,
    inDoubtMedianMs: round(quantile(inDoubtMs, 0.5)),
    inDoubtP99Ms: round(quantile(inDoubtMs, 0.99)),
    inDoubtMaxMs: round(inDoubtMs.length > 0 ? inDoubtMs[inDoubtMs.length - 1]! : 0),
    inDoubtAtEndMaxMs: round(stillMs.length > 0 ? Math.max(...stillMs) : 0),
    elapsedMs: round(performance.now() - began),
  };
  const blocking =
    `participants were in doubt for a median ${stats.inDoubtMedianMs} ms and at most ${stats.inDoubtMaxMs} ms` +
    (inDoubt.length > 0 ? `; ${inDoubt.length} still in doubt at the end of the trace (for up to ${stats.inDoubtAtEndMaxMs} ms)` : '');
  const evidence = { kind: 'atomicity' as const, violations: violations.slice(0, MAX_LISTED), inDoubt: inDoubt.slice(0, MAX_LISTED) };
  const samples = { inDoubtMs };
  if (violations.length > 0) {
    return {
      checker: 'atomicity', valid: false, evidence, stats, samples,
      summary: `Atomic commit violated in ${new Set(violations.map((v) => v.txid)).size} of ${transactions} transactions; the first: ${describeViolation(violations[0]!)}; ${blocking}.`,
    };
  }
  return {
    checker: 'atomicity', valid: true, stats, samples,
    ...(inDoubt.length > 0 ? { evidence } : {}),
    summary: `Atomic commit holds for all ${transactions} transactions (${committed} committed, ${aborted} aborted, ${undecided} undecided): one decision each, applied alike by every participant; ${blocking}.`,
  };
}

export function describeViolation(v: AtomicityViolation): string {
  switch (v.type) {
    case 'conflicting-decisions':
      return `transaction ${v.txid} was decided both ways (${v.decisions.map((d) => `${d.node} ${d.event}`).join(', ')})`;
    case 'mixed-outcome':
      return `transaction ${v.txid} committed on ${v.committed.join(', ')} but aborted on ${v.aborted.join(', ')}`;
    case 'against-decision':
      return `participant ${v.node} applied ${v.applied} to transaction ${v.txid}, which was decided ${v.decided}`;
    case 'commit-without-votes':
      return `transaction ${v.txid} was decided commit without a yes vote from ${[...v.missing, ...v.votedNo].join(', ')}${v.votedNo.length > 0 ? ` (${v.votedNo.join(', ')} voted no)` : ''}`;
    case 'commit-without-decision':
      return `participant ${v.node} committed transaction ${v.txid}, for which no commit decision was ever recorded`;
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
