/**
 * What every checker returns, and what results.json and the report draw. One shape for
 * all five checkers so the report renders a verdict without knowing which checker made it;
 * the `evidence` union is where they differ, tagged by `kind`.
 *
 * `valid` is three-valued on purpose: a checker that ran out of time or search budget says
 * 'unknown' (exit 2) and never guesses, because a guessed "valid" is how a benchmark
 * publishes a broken system as a correct one.
 */
import type { JsonValue, Key, Process, Scalar } from '../history.js';
import type { StarvationEvidence } from './starvation.js';

export type Validity = true | false | 'unknown';

/**
 * `liveness` and `invariants` are the simulator's: after every fault healed the cluster must
 * serve again (simulated time cannot be starved), and no node may die of a failed assertion.
 */
export type CheckerName = 'linearizability' | 'bank' | 'atomicity' | 'convergence' | 'durability' | 'list-append' | 'liveness' | 'invariants';

export interface Verdict {
  checker: CheckerName;
  /** The model checked against, e.g. 'register' or 'cas-register' (linearizability only). */
  model?: string;
  valid: Validity;
  /** One human sentence: what was checked and what was found. */
  summary: string;
  /** Why it is invalid or unknown, as data a report can draw; absent when there is nothing to show. */
  evidence?: Evidence;
  /** Flat figures for tables: counts, milliseconds, rates. Names are camelCase with units (`elapsedMs`). */
  stats: Record<string, number>;
  /** Distributions a report may plot (e.g. per-write convergence times in ms), by name. */
  samples?: Record<string, number[]>;
  /**
   * Set when timings this verdict judges or reports were measured while the machine was
   * starved (starvation.ts): the figures are the machine's as much as the algorithm's, and a
   * bound they missed is undecided, not violated.
   */
  starved?: StarvationEvidence;
}

/**
 * One operation as a report draws it on a timeline: a bar per process from `start` to
 * `end` (null: never returned, draw it open-ended), labelled with f, value and result.
 */
export interface TimelineOp {
  /** The invoke's event index in the history file. */
  index: number;
  process: Process;
  f: string;
  key?: Key;
  value: JsonValue;
  result?: JsonValue;
  outcome: 'ok' | 'fail' | 'info';
  error?: JsonValue;
  /** Nanoseconds, as in the history. */
  start: number;
  end: number | null;
  /**
   * 'linearized': part of the longest linearizable prefix; 'stuck': the operation no order
   * could add; 'concurrent': overlaps the stuck operation and was not yet placed.
   */
  role: 'linearized' | 'stuck' | 'concurrent';
}

export interface LinearizabilityEvidence {
  kind: 'linearizability';
  key: Key | null;
  /** Time of the history's first event (ns): draw and print times relative to it. */
  origin: number;
  /** How many of the key's operations the longest linearizable prefix holds, out of `operations`. */
  linearized: number;
  operations: number;
  /** The register's value after that prefix, i.e. what the stuck operation would have seen. */
  stateBefore: JsonValue;
  stuck: TimelineOp;
  /** The stuck op, the ops concurrent with it, and the last linearized ops before it, by start time. */
  window: TimelineOp[];
  /** Event indices of the window's linearized ops in the order the prefix placed them. */
  order: number[];
}

export interface UnknownEvidence {
  kind: 'unknown';
  /** The key the search was on when it gave up, if any. */
  key?: Key | null;
  reason: 'time-limit' | 'state-limit';
  /** What was decided before giving up. */
  keysChecked?: number;
  keysTotal?: number;
}

export type BankAnomaly =
  | { type: 'wrong-total'; read: number; time: number; expected: number; observed: number }
  | { type: 'negative-balance'; read: number; time: number; account: string; balance: number }
  | { type: 'missing-account'; read: number; time: number; account: string }
  | { type: 'unexpected-account'; read: number; time: number; account: string }
  /**
   * No subset of the possibly-applied transfers explains the balances. `delta` is the read
   * minus (opening balances + the `mandatory` transfers committed before it), per account.
   */
  | { type: 'unexplainable'; read: number; time: number; balances: Record<string, number>; delta: Record<string, number>; mandatory: number; optional: number };

export interface BankEvidence {
  kind: 'bank';
  anomalies: BankAnomaly[];
  /** Event indices of reads the bounded search could not decide. */
  undecided: number[];
}

export type AtomicityViolation =
  | { type: 'conflicting-decisions'; txid: string; decisions: { node: string; event: string; t: number }[] }
  | { type: 'mixed-outcome'; txid: string; committed: string[]; aborted: string[] }
  | { type: 'against-decision'; txid: string; node: string; decided: 'commit' | 'abort'; applied: 'commit' | 'abort'; t: number }
  | { type: 'commit-without-votes'; txid: string; missing: string[]; votedNo: string[]; t: number }
  | { type: 'commit-without-decision'; txid: string; node: string; t: number };

export interface AtomicityEvidence {
  kind: 'atomicity';
  violations: AtomicityViolation[];
  /** Participants prepared and never applied by the end of the trace: blocked, not necessarily wrong. */
  inDoubt: { txid: string; node: string; since: number }[];
}

export interface ConvergenceEvidence {
  kind: 'convergence';
  /** Keys on which live nodes ended with different values, with each node's value. */
  divergent: { key: Key; values: Record<string, JsonValue> }[];
  /** Acknowledged writes gone from every live node: neither present nor superseded anywhere in the final state. */
  lost: { index: number; key: Key; value: JsonValue; final: JsonValue }[];
  /** Acknowledged writes that reached every live node later than the bound after healing (or never); `starved`: the machine was starved meanwhile, so not a violation. */
  late: { index: number; key: Key; value: JsonValue; convergedMs: number | null; deadlineMs: number; starved?: boolean }[];
  /** Keys whose final read on a live node never succeeded: unknown there, not null. */
  unread?: { node: string; key: Key }[];
  /** How the replicas settled before the final reads (set by a run, not by `parley check`). */
  settle?: { outcome: 'agreed' | 'stopped-changing' | 'still-changing'; waitedMs: number; boundMs: number };
}

export interface DurabilityEvidence {
  kind: 'durability';
  lost: { index: number; process: Process; key: Key; value: JsonValue; start: number; end: number; final: JsonValue }[];
  /** Final values that no operation in the history wrote. */
  phantom: { key: Key; final: JsonValue }[];
}

/** One operation inside a list-append transaction, as evidence shows it. */
export interface MicroOpView {
  f: 'r' | 'append';
  key: Key;
  /** append: the value appended; r: the list read (null: never written; absent: not known, the transaction did not return). */
  value?: Scalar | Scalar[] | null;
  /** r: how many leading elements of a long list were left out of `value` (only its tail is shown). */
  elided?: number;
}

/** A list-append transaction named in evidence. */
export interface TxnView {
  /** The invoke's event index in the history file. */
  index: number;
  process: Process;
  outcome: 'ok' | 'fail' | 'info';
  ops: MicroOpView[];
  /** Nanoseconds, as in the history; end null: never returned. */
  start: number;
  end: number | null;
  /** The node it was sent to, when the history records it. */
  node?: string | number;
}

/**
 * A dependency between two transactions (Adya 1999, as Elle infers them from lists):
 * ww: `to` appended the element right after `from`'s in the key's list; wr: `to` read a list
 * ending in `from`'s element; rw: `from` read a list that `to`'s element comes right after.
 */
export interface DependencyEdge {
  type: 'ww' | 'wr' | 'rw';
  key: Key;
  /** The element that creates the edge: ww and rw, the one `to` appended; wr, the one `to` read last. */
  value: Scalar;
}

/** A cycle of transactions: step i's transaction reaches step i+1's (the last reaches the first) by step i's edge. */
export interface CycleStep {
  txn: TxnView;
  edge: DependencyEdge;
}

export type ListAppendAnomaly =
  /** Dependency cycles, Adya's phenomena: ww only; ww and wr; exactly one rw; two or more rw. */
  | { type: 'G0' | 'G1c' | 'G-single' | 'G2'; cycle: CycleStep[] }
  /** G1a: a read saw an element appended by a transaction that failed (definitely did not commit). */
  | { type: 'G1a'; key: Key; value: Scalar; reader: TxnView; writer: TxnView }
  /** G1b: a read's list ends in an element its writer followed with another append to the key. */
  | { type: 'G1b'; key: Key; value: Scalar; reader: TxnView; writer: TxnView }
  /** Two committed transactions read the same version of a key and both appended to it. */
  | { type: 'lost-update'; key: Key; read: Scalar[]; txns: TxnView[] }
  /** A read that began after an append was acknowledged, and whose list lacks it (a lost or stale write; after a crash: lost). */
  | { type: 'lost-append'; key: Key; value: Scalar; writer: TxnView; reader: TxnView }
  /** Two reads of one key, neither a prefix of the other: no single order of appends explains both. */
  | { type: 'incompatible-order'; key: Key; reads: TxnView[] }
  /** A read with the same element twice (an append applied twice). */
  | { type: 'duplicate-elements'; key: Key; value: Scalar; reader: TxnView }
  /** A read of an element no transaction appended. */
  | { type: 'garbage-read'; key: Key; value: Scalar; reader: TxnView }
  /** A transaction's read disagrees with its own earlier read and appends of the key. */
  | { type: 'internal'; key: Key; expected: string; reader: TxnView };

export type ListAppendAnomalyType = ListAppendAnomaly['type'];

export interface ListAppendEvidence {
  kind: 'list-append';
  /** Time of the history's first event (ns). */
  origin: number;
  /** Cycles first, then the other anomalies; at most 50 (stats count them all). */
  anomalies: ListAppendAnomaly[];
}

export type Evidence =
  | LinearizabilityEvidence
  | UnknownEvidence
  | BankEvidence
  | AtomicityEvidence
  | ConvergenceEvidence
  | DurabilityEvidence
  | ListAppendEvidence;

/** The run's overall answer: any violation wins, then any unknown, else valid. */
export function combineValidity(verdicts: readonly Pick<Verdict, 'valid'>[]): Validity {
  if (verdicts.some((v) => v.valid === false)) return false;
  if (verdicts.some((v) => v.valid === 'unknown')) return 'unknown';
  return true;
}

/** One verdict's exit code (contracts/exit-codes.ts has them all): 0 valid, 1 a safety violation, 2 undecided. */
export function exitCodeFor(valid: Validity): 0 | 1 | 2 {
  return valid === true ? 0 : valid === false ? 1 : 2;
}

/** Median and friends over a sample, for stats; empty samples give NaN-free zeros and a count of 0. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}
