/**
 * The bank checker: money moves between accounts by transfers, and every read of all
 * balances must look like a moment of some serial execution. This is Jepsen's bank test
 * (wrong total, negative balance, missing balance) plus one stronger question Jepsen's
 * checker does not ask: can *this* read be explained by the transfers that may have
 * committed before it? A system that loses half a transfer keeps the total wrong; one that
 * applies a transfer twice, or shows an aborted one, can keep the total right and still be
 * caught here.
 *
 * History shape (docs/history.md): `f: "transfer"` with value `{from, to, amount}`
 * (ok: committed; fail: did not happen, whatever the error; info: may or may not have),
 * and `f: "read"` with invoke value null and an ok value `{account: balance}`.
 *
 * Explaining a read: transfers that committed before the read began must be in it;
 * transfers that began after it returned must not be; committed transfers concurrent
 * with it, and unknown ones that began before it returned, may or may not be. Balances
 * are sums, so the order of the chosen transfers does not matter: the read is explained
 * iff some subset of the optional transfers adds up to (read - opening - mandatory). That
 * is a multi-dimensional subset sum, so a cheap necessary condition (per-account range)
 * runs first, then a memoized search bounded per read; past the bound the read is
 * undecided and the verdict 'unknown'.
 */
import { z } from 'zod';
import { HistoryShapeError, pairOperations, type HistoryEvent, type Operation } from '../history.js';
import type { BankAnomaly, Verdict } from './verdict.js';

export interface BankOptions {
  /** Opening balances: their keys are the accounts, their sum the total every read must show. */
  initial: Record<string, number>;
  /** Search steps allowed per read before it is undecided. Default 100,000. */
  searchBudget?: number;
  /** Wall-clock budget for the whole history; reads left when it runs out are undecided. Default 60 s. */
  timeLimitMs?: number;
}

export interface Transfer {
  from: string;
  to: string;
  amount: number;
}

const transferSchema = z.object({ from: z.string(), to: z.string(), amount: z.number().finite() });
// A null balance is an account the read did not see: reported as missing, not as bad input.
const balancesSchema = z.record(z.string(), z.number().finite().nullable());

interface TransferOp {
  op: Operation;
  t: Transfer;
  /** Per-account effect, indexed like `accounts`. */
  delta: Float64Array;
}

interface ReadOp {
  op: Operation;
  balances: Record<string, number>;
  unseen: string[];
}

const MAX_LISTED = 50;

export function checkBank(events: readonly HistoryEvent[], options: BankOptions): Verdict {
  const began = performance.now();
  const accounts = Object.keys(options.initial).sort();
  const slot = new Map(accounts.map((a, i) => [a, i]));
  const total = accounts.reduce((s, a) => s + options.initial[a]!, 0);
  const opening = Float64Array.from(accounts, (a) => options.initial[a]!);
  const budget = options.searchBudget ?? 100_000;

  const transfers: TransferOp[] = [];
  const reads: ReadOp[] = [];
  let failedTransfers = 0;
  for (const op of pairOperations(events)) {
    if (op.f === 'transfer') {
      const parsed = transferSchema.safeParse(op.value);
      if (!parsed.success) throw new HistoryShapeError(op.position, `value.${parsed.error.issues[0]!.path.join('.')}`, `a transfer is {from, to, amount}: ${parsed.error.issues[0]!.message}`);
      const t = parsed.data;
      for (const side of ['from', 'to'] as const) {
        if (!slot.has(t[side])) throw new HistoryShapeError(op.position, `value.${side}`, `account ${JSON.stringify(t[side])} is not one of the opening accounts`);
      }
      if (op.outcome === 'fail') {
        failedTransfers++;
        continue;
      }
      const delta = new Float64Array(accounts.length);
      delta[slot.get(t.from)!]! -= t.amount;
      delta[slot.get(t.to)!]! += t.amount;
      transfers.push({ op, t, delta });
    } else if (op.f === 'read') {
      if (op.outcome !== 'ok') continue;
      const parsed = balancesSchema.safeParse(op.result);
      if (!parsed.success) throw new HistoryShapeError(op.completionPosition ?? op.position, 'value', `a bank read's ok value is {account: balance}: ${parsed.error.issues[0]!.message}`);
      const balances: Record<string, number> = {};
      const unseen: string[] = [];
      for (const [a, b] of Object.entries(parsed.data)) {
        if (b === null) unseen.push(a);
        else balances[a] = b;
      }
      reads.push({ op, balances, unseen });
    } else {
      throw new HistoryShapeError(op.position, 'f', `"${op.f}" is not a bank operation (transfer, read)`);
    }
  }

  const anomalies: BankAnomaly[] = [];
  const undecided: number[] = [];
  let searchSteps = 0;
  let maxOptional = 0;
  const committed = transfers.filter((x) => x.op.outcome === 'ok').sort((x, y) => x.op.end - y.op.end);
  const unknownOutcome = transfers.filter((x) => x.op.outcome === 'info');
  reads.sort((x, y) => x.op.start - y.op.start);

  // Reads in start order: the committed-before-the-read prefix only grows.
  const base = Float64Array.from(opening);
  let applied = 0;
  let hint: ReadonlySet<TransferOp> = new Set();
  const deadline = began + (options.timeLimitMs ?? 60_000);
  for (const r of reads) {
    const index = events[r.op.position]!.index;
    const time = r.op.start;
    const seen = Object.keys(r.balances);
    const structural: BankAnomaly[] = [];
    for (const a of accounts) if (!(a in r.balances)) structural.push({ type: 'missing-account', read: index, time, account: a });
    for (const a of [...seen, ...r.unseen]) if (!slot.has(a)) structural.push({ type: 'unexpected-account', read: index, time, account: a });
    for (const a of seen) if (r.balances[a]! < 0) anomalies.push({ type: 'negative-balance', read: index, time, account: a, balance: r.balances[a]! });
    const observed = seen.reduce((s, a) => s + r.balances[a]!, 0);
    if (observed !== total) anomalies.push({ type: 'wrong-total', read: index, time, expected: total, observed });
    anomalies.push(...structural);

    while (applied < committed.length && committed[applied]!.op.end < r.op.start) {
      const d = committed[applied++]!.delta;
      for (let i = 0; i < d.length; i++) base[i]! += d[i]!;
    }
    if (structural.length > 0) continue;
    const optional: TransferOp[] = [];
    for (let i = applied; i < committed.length; i++) if (committed[i]!.op.start <= r.op.end) optional.push(committed[i]!);
    for (const x of unknownOutcome) if (x.op.start <= r.op.end) optional.push(x);
    maxOptional = Math.max(maxOptional, optional.length);
    const residual = Float64Array.from(accounts, (a, i) => r.balances[a]! - base[i]!);
    if (performance.now() > deadline) {
      undecided.push(index);
      continue;
    }
    const answer = explainable(residual, optional, budget, hint, r.op);
    searchSteps += answer.steps;
    if (answer.result === 'yes') hint = new Set(answer.chosen);
    if (answer.result === 'unknown') undecided.push(index);
    else if (answer.result === 'no') {
      const balances: Record<string, number> = {};
      const delta: Record<string, number> = {};
      accounts.forEach((a, i) => {
        balances[a] = r.balances[a]!;
        if (residual[i] !== 0) delta[a] = residual[i]!;
      });
      anomalies.push({ type: 'unexplainable', read: index, time, balances, delta, mandatory: applied, optional: optional.length });
    }
  }

  const stats = {
    accounts: accounts.length,
    total,
    reads: reads.length,
    transfersCommitted: committed.length,
    transfersFailed: failedTransfers,
    transfersUnknown: unknownOutcome.length,
    anomalies: anomalies.length,
    undecidedReads: undecided.length,
    maxOptionalTransfers: maxOptional,
    searchSteps,
    elapsedMs: Math.round((performance.now() - began) * 100) / 100,
  };
  const evidence = { kind: 'bank' as const, anomalies: anomalies.slice(0, MAX_LISTED), undecided: undecided.slice(0, MAX_LISTED) };
  if (anomalies.length > 0) {
    const badReads = new Set(anomalies.map((a) => a.read)).size;
    return { checker: 'bank', valid: false, summary: `Bank: ${badReads} of ${reads.length} reads are wrong; the first: ${describeAnomaly(anomalies[0]!)}.`, evidence, stats };
  }
  if (undecided.length > 0) {
    return {
      checker: 'bank', valid: 'unknown', evidence, stats,
      summary: `Bank: totals and balances are right, but ${undecided.length} of ${reads.length} reads could not be explained or refuted within ${budget} search steps each or the time limit (up to ${maxOptional} transfers may or may not have applied).`,
    };
  }
  return {
    checker: 'bank', valid: true, stats,
    summary: `Bank: all ${reads.length} reads show the total ${total} with no negative or missing balance, and each is explained by transfers that may have committed before it.`,
  };
}

/**
 * Is `residual` the sum of some subset of `optional` deltas?
 *
 * Timed-out transfers stay optional for every later read, so a long run can leave a
 * hundred of them, and subset sum over a hundred vectors is hopeless in general. But the
 * truth is rarely far from a good guess: what the previous read was explained by
 * (`hint`), plus the committed transfers that were mostly done when this read was half
 * done. So first look for an explanation within three changes of that guess (hash
 * lookups: each change is one transfer in or out), then run the exhaustive search, which
 * alone can refute a read, within the step budget. Finding an explanation proves the read
 * fine whichever way it was found.
 */
function explainable(
  residual: Float64Array, optional: TransferOp[], budget: number, hint: ReadonlySet<TransferOp>, read: Operation,
): { result: 'yes' | 'no' | 'unknown'; steps: number; chosen: TransferOp[] } {
  const middle = (read.start + read.end) / 2;
  const guess = optional.map((x) => hint.has(x) || (x.op.outcome === 'ok' && (x.op.start + x.op.end) / 2 <= middle));
  const near = nearGuess(residual, optional, guess);
  if (near) return { result: 'yes', steps: 0, chosen: near };
  return exhaustive(residual, optional, guess, budget);
}

const vectorKey = (v: ArrayLike<number>): string => Array.prototype.join.call(v, ',');

function nearGuess(residual: Float64Array, optional: TransferOp[], guess: boolean[]): TransferOp[] | undefined {
  const dims = residual.length;
  const n = optional.length;
  // target = residual - (what the guess adds); flipping j changes the sum by change[j].
  const target = Float64Array.from(residual);
  const change: Float64Array[] = optional.map((x, j) => {
    const sign = guess[j] ? -1 : 1;
    if (guess[j]) for (let a = 0; a < dims; a++) target[a]! -= x.delta[a]!;
    return x.delta.map((d) => sign * d);
  });
  const byChange = new Map<string, number[]>();
  change.forEach((c, j) => {
    const k = vectorKey(c);
    const list = byChange.get(k);
    if (list) list.push(j);
    else byChange.set(k, [j]);
  });
  const answer = (flips: number[]): TransferOp[] => optional.filter((_, j) => guess[j] !== flips.includes(j));
  if (target.every((t) => t === 0)) return answer([]);
  const find = (need: Float64Array, not: number[]): number | undefined => byChange.get(vectorKey(need))?.find((j) => !not.includes(j));
  const one = find(target, []);
  if (one !== undefined) return answer([one]);
  const need = new Float64Array(dims);
  for (let j = 0; j < n; j++) {
    for (let a = 0; a < dims; a++) need[a] = target[a]! - change[j]![a]!;
    const k = find(need, [j]);
    if (k !== undefined) return answer([j, k]);
  }
  for (let j = 0; j < n; j++) {
    for (let k = j + 1; k < n; k++) {
      for (let a = 0; a < dims; a++) need[a] = target[a]! - change[j]![a]! - change[k]![a]!;
      const l = find(need, [j, k]);
      if (l !== undefined) return answer([j, k, l]);
    }
  }
  return undefined;
}

/**
 * Depth-first over the transfers, the guess's choice first, with two prunings: the
 * per-account range of what the remaining transfers can still add (the necessary
 * condition, also applied at the root) and a memo of (depth, residual) pairs refuted.
 */
function exhaustive(residual: Float64Array, optional: TransferOp[], guess: boolean[], budget: number): { result: 'yes' | 'no' | 'unknown'; steps: number; chosen: TransferOp[] } {
  const dims = residual.length;
  const order = optional.map((_, j) => j).sort((x, y) => optional[y]!.t.amount - optional[x]!.t.amount);
  const items = order.map((j) => optional[j]!);
  const takeFirst = order.map((j) => guess[j]!);
  const n = items.length;
  // canAdd[i*dims + a] / canTake[...]: the most items i.. can add to / take from account a.
  const canAdd = new Float64Array((n + 1) * dims);
  const canTake = new Float64Array((n + 1) * dims);
  for (let i = n - 1; i >= 0; i--) {
    const d = items[i]!.delta;
    for (let a = 0; a < dims; a++) {
      canAdd[i * dims + a] = canAdd[(i + 1) * dims + a]! + Math.max(0, d[a]!);
      canTake[i * dims + a] = canTake[(i + 1) * dims + a]! + Math.min(0, d[a]!);
    }
  }
  const refuted = new Set<string>();
  const rest = Float64Array.from(residual);
  const chosen: TransferOp[] = [];
  let steps = 0;
  const reachable = (i: number): boolean => {
    for (let a = 0; a < dims; a++) {
      const r = rest[a]!;
      if (r > canAdd[i * dims + a]! || r < canTake[i * dims + a]!) return false;
    }
    return true;
  };
  const apply = (d: Float64Array, sign: number): void => {
    for (let a = 0; a < dims; a++) rest[a]! -= sign * d[a]!;
  };
  const search = (i: number): boolean | 'unknown' => {
    if (++steps > budget) return 'unknown';
    if (!reachable(i)) return false;
    if (rest.every((r) => r === 0)) return true;
    if (i === n) return false;
    const memo = `${i}|${vectorKey(rest)}`;
    if (refuted.has(memo)) return false;
    const item = items[i]!;
    for (const take of takeFirst[i] ? [true, false] : [false, true]) {
      if (take) {
        apply(item.delta, 1);
        chosen.push(item);
      }
      const found = search(i + 1);
      if (take) {
        apply(item.delta, -1);
        if (found !== true) chosen.pop();
      }
      if (found !== false) return found;
    }
    refuted.add(memo);
    return false;
  };
  const result = search(0);
  return { result: result === 'unknown' ? 'unknown' : result ? 'yes' : 'no', steps, chosen };
}

export function describeAnomaly(a: BankAnomaly): string {
  switch (a.type) {
    case 'wrong-total':
      return `read ${a.read} shows a total of ${a.observed}, not ${a.expected}`;
    case 'negative-balance':
      return `read ${a.read} shows account ${a.account} at ${a.balance}`;
    case 'missing-account':
      return `read ${a.read} has no balance for account ${a.account}`;
    case 'unexpected-account':
      return `read ${a.read} shows an account ${a.account} that was never opened`;
    case 'unexplainable':
      return `read ${a.read} cannot be produced by any set of transfers that may have committed before it (${a.mandatory} committed before it, ${a.optional} possibly; it differs from the opening balances plus those ${a.mandatory} by ${JSON.stringify(a.delta)})`;
  }
}
