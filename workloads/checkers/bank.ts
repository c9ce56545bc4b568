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
 * iff some subset of the optional transfers adds up to (read - opening - mandatory), a
 * multi-dimensional subset sum that bank-search.ts decides as a flow problem on the
 * graph of accounts. Its search is bounded per read; past the bound (which the default
 * suite and nightly chaos histories do not reach) the read is undecided and the verdict
 * 'unknown'.
 */
import { z } from 'zod';
import { HistoryShapeError, pairOperations, type HistoryEvent, type Operation } from '../history.js';
import type { BankAnomaly, Verdict } from './verdict.js';
import { explain, type Movable } from './bank-search.js';

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
  from: number;
  to: number;
  /** Per-account effect, indexed like `accounts`. */
  delta: Float64Array;
}

interface ReadOp {
  op: Operation;
  balances: Record<string, number>;
  unseen: string[];
}

interface BankHistory {
  accounts: string[];
  slot: Map<string, number>;
  transfers: TransferOp[];
  reads: ReadOp[];
  failedTransfers: number;
}

const MAX_LISTED = 50;

export function checkBank(events: readonly HistoryEvent[], options: BankOptions): Verdict {
  const began = performance.now();
  const bank = parseBank(events, options.initial);
  const total = bank.accounts.reduce((s, a) => s + options.initial[a]!, 0);
  const judged = judgeReads(events, bank, options, began);
  const stats = {
    accounts: bank.accounts.length,
    total,
    reads: bank.reads.length,
    transfersCommitted: judged.committed,
    transfersFailed: bank.failedTransfers,
    transfersUnknown: judged.unknownOutcome,
    anomalies: judged.anomalies.length,
    undecidedReads: judged.undecided.length,
    maxOptionalTransfers: judged.maxOptional,
    searchSteps: judged.searchSteps,
    elapsedMs: Math.round((performance.now() - began) * 100) / 100,
  };
  const { anomalies, undecided } = judged;
  const evidence = { kind: 'bank' as const, anomalies: anomalies.slice(0, MAX_LISTED), undecided: undecided.slice(0, MAX_LISTED) };
  if (anomalies.length > 0) {
    const badReads = new Set(anomalies.map((a) => a.read)).size;
    return { checker: 'bank', valid: false, summary: `Bank: ${badReads} of ${bank.reads.length} reads are wrong; the first: ${describeAnomaly(anomalies[0]!)}.`, evidence, stats };
  }
  if (undecided.length > 0) {
    return {
      checker: 'bank', valid: 'unknown', evidence, stats,
      summary: `Bank: totals and balances are right, but ${undecided.length} of ${bank.reads.length} reads could not be explained or refuted within ${options.searchBudget ?? DEFAULT_BUDGET} search steps each or the time limit (up to ${judged.maxOptional} transfers may or may not have applied).`,
    };
  }
  return {
    checker: 'bank', valid: true, stats,
    summary: `Bank: all ${bank.reads.length} reads show the total ${total} with no negative or missing balance, and each is explained by transfers that may have committed before it.`,
  };
}

const DEFAULT_BUDGET = 100_000;

/** The history's transfers and reads, validated; failed transfers are only counted (they did not happen). */
function parseBank(events: readonly HistoryEvent[], initial: Record<string, number>): BankHistory {
  const accounts = Object.keys(initial).sort();
  const slot = new Map(accounts.map((a, i) => [a, i]));
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
      const from = slot.get(t.from)!;
      const to = slot.get(t.to)!;
      const delta = new Float64Array(accounts.length);
      delta[from]! -= t.amount;
      delta[to]! += t.amount;
      transfers.push({ op, t, from, to, delta });
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
  return { accounts, slot, transfers, reads, failedTransfers };
}

/** Jepsen's checks on one read: accounts missing or never opened, negative balances, the total. */
function jepsenAnomalies(r: ReadOp, index: number, bank: BankHistory, total: number): { anomalies: BankAnomaly[]; structural: boolean } {
  const time = r.op.start;
  const seen = Object.keys(r.balances);
  const structural: BankAnomaly[] = [];
  for (const a of bank.accounts) if (!(a in r.balances)) structural.push({ type: 'missing-account', read: index, time, account: a });
  for (const a of [...seen, ...r.unseen]) if (!bank.slot.has(a)) structural.push({ type: 'unexpected-account', read: index, time, account: a });
  const anomalies: BankAnomaly[] = [];
  for (const a of seen) if (r.balances[a]! < 0) anomalies.push({ type: 'negative-balance', read: index, time, account: a, balance: r.balances[a]! });
  const observed = seen.reduce((s, a) => s + r.balances[a]!, 0);
  if (observed !== total) anomalies.push({ type: 'wrong-total', read: index, time, expected: total, observed });
  return { anomalies: [...anomalies, ...structural], structural: structural.length > 0 };
}

/**
 * Every read, in start order (so the committed-before-the-read prefix only grows): Jepsen's
 * checks, then whether the transfers that may be in it explain it.
 */
function judgeReads(events: readonly HistoryEvent[], bank: BankHistory, options: BankOptions, began: number) {
  const { accounts } = bank;
  const total = accounts.reduce((s, a) => s + options.initial[a]!, 0);
  const budget = options.searchBudget ?? DEFAULT_BUDGET;
  const deadline = began + (options.timeLimitMs ?? 60_000);
  const committed = bank.transfers.filter((x) => x.op.outcome === 'ok').sort((x, y) => x.op.end - y.op.end);
  const unknownOutcome = bank.transfers.filter((x) => x.op.outcome === 'info');
  const reads = [...bank.reads].sort((x, y) => x.op.start - y.op.start);
  const anomalies: BankAnomaly[] = [];
  const undecided: number[] = [];
  let searchSteps = 0;
  let maxOptional = 0;
  const base = Float64Array.from(accounts, (a) => options.initial[a]!);
  let applied = 0;
  let hint: ReadonlySet<TransferOp> = new Set();
  for (const r of reads) {
    const index = events[r.op.position]!.index;
    const jepsen = jepsenAnomalies(r, index, bank, total);
    anomalies.push(...jepsen.anomalies);
    while (applied < committed.length && committed[applied]!.op.end < r.op.start) {
      const d = committed[applied++]!.delta;
      for (let i = 0; i < d.length; i++) base[i]! += d[i]!;
    }
    if (jepsen.structural) continue;
    const optional: TransferOp[] = [];
    for (let i = applied; i < committed.length; i++) if (committed[i]!.op.start <= r.op.end) optional.push(committed[i]!);
    for (const x of unknownOutcome) if (x.op.start <= r.op.end) optional.push(x);
    maxOptional = Math.max(maxOptional, optional.length);
    const residual = Float64Array.from(accounts, (a, i) => r.balances[a]! - base[i]!);
    if (performance.now() > deadline) {
      undecided.push(index);
      continue;
    }
    // The guess: what the previous read was explained by, plus the committed transfers
    // that were mostly done when this read was half done.
    const middle = (r.op.start + r.op.end) / 2;
    const movable: Movable[] = optional.map((x) => ({
      from: x.from, to: x.to, amount: x.t.amount, delta: x.delta,
      likely: hint.has(x) || (x.op.outcome === 'ok' && (x.op.start + x.op.end) / 2 <= middle),
    }));
    const answer = explain(residual, movable, budget);
    searchSteps += answer.steps;
    if (answer.result === 'yes') hint = new Set(answer.chosen.map((j) => optional[j]!));
    else if (answer.result === 'unknown') undecided.push(index);
    else {
      const balances: Record<string, number> = {};
      const delta: Record<string, number> = {};
      accounts.forEach((a, i) => {
        balances[a] = r.balances[a]!;
        if (residual[i] !== 0) delta[a] = residual[i]!;
      });
      anomalies.push({ type: 'unexplainable', read: index, time: r.op.start, balances, delta, mandatory: applied, optional: optional.length });
    }
  }
  return { anomalies, undecided, searchSteps, maxOptional, committed: committed.length, unknownOutcome: unknownOutcome.length };
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
