/**
 * bank: money moves between accounts by transfers while the network and the servers
 * misbehave: the "ACID transactions" row. Jepsen's bank test (8 accounts, a total of 100,
 * transfers of at most 5): a transfer is one transaction of two `add`s, the debit with a
 * floor of 0 so no balance goes negative; a read is one transaction reading every account.
 * The bank checker asks whether every read shows the total, no negative balance, and a
 * state some serial order of the committed transfers explains; for 2PC the atomic
 * commitment checker also reads each node's commit events (one decision per transaction,
 * applied by all participants or none) and reports how long participants sat in doubt.
 */
import type { Value } from '../nodes/common/core.js';
import { checkAtomicity } from './checkers/atomicity.js';
import { checkBank } from './checkers/bank.js';
import type { Verdict } from './checkers/verdict.js';
import { outcomeEntry } from './kv.js';
import type { Invocation } from './load.js';
import type { Workload } from './workload.js';
import type { WorkloadSpec } from './spec.js';

export const account = (spec: WorkloadSpec, i: number) => `${spec.keyPrefix}acct${i}`;

export function openingBalances(spec: WorkloadSpec): Record<string, number> {
  const each = Math.floor(spec.total / spec.accounts);
  const out: Record<string, number> = {};
  for (let i = 0; i < spec.accounts; i++) out[account(spec, i)] = each + (i === 0 ? spec.total - each * spec.accounts : 0);
  return out;
}

function readAll(spec: WorkloadSpec) {
  return { f: 'txn' as const, ops: Array.from({ length: spec.accounts }, (_, i) => ({ f: 'read' as const, key: account(spec, i) })) };
}

/** One transaction reading every account: the history's `read` with a map of balances. */
function readBalances(spec: WorkloadSpec, node: number): Invocation {
  return {
    node, f: 'read', value: null, op: readAll(spec),
    complete: (o) => {
      const results = (o.body?.results ?? []) as Value[];
      const balances: Record<string, Value> = {};
      for (let i = 0; i < spec.accounts; i++) balances[account(spec, i)] = results[i] ?? null;
      return outcomeEntry(o, balances);
    },
  };
}

export const bank: Workload = {
  name: 'bank',
  // Writing the same opening balances twice is harmless, so an unknown outcome is retried.
  setupOps: (ctx) => [{ f: 'txn', ops: Object.entries(openingBalances(ctx.spec)).map(([key, value]) => ({ f: 'write' as const, key, value })) }],
  source(ctx) {
    const { spec } = ctx;
    return {
      next(process): Invocation {
        const node = ctx.nodeFor(process);
        if (ctx.random.chance(spec.readRatio)) return readBalances(spec, node);
        const from = ctx.random.int(0, spec.accounts - 1);
        let to = ctx.random.int(0, spec.accounts - 2);
        if (to >= from) to++;
        const amount = ctx.random.int(1, spec.maxTransfer);
        const value = { from: account(spec, from), to: account(spec, to), amount };
        return {
          node, f: 'transfer', value,
          op: { f: 'txn', ops: [{ f: 'add', key: account(spec, from), delta: -amount, floor: 0 }, { f: 'add', key: account(spec, to), delta: amount }] },
          complete: (o) => (o.type === 'fail' && o.status === 409 ? { type: 'fail', error: 'aborted' } : outcomeEntry(o, value)),
        };
      },
    };
  },
  isWrite: (f) => f === 'transfer',
  finalOps: (spec, node) => [readBalances(spec, node)],
  check(input, spec) {
    const verdicts: Verdict[] = [checkBank(input.history, { initial: openingBalances(spec) })];
    if (input.algo === 'twopc') verdicts.push(checkAtomicity(input.commitEvents));
    return verdicts;
  },
  informational: () => [],
};
