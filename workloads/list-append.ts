/**
 * list-append: transactions of appends and reads over a few keys (Jepsen's list-append,
 * checked as Elle does; Kingsbury & Alvaro, VLDB 2020). It tests serializability of
 * multi-key transactions, and that no acknowledged append is lost or missed by a later read
 * (the final reads after recovery included). Why this workload and not only kv: a register
 * overwrites its past, so a lost or reordered write hides under the next one; a list keeps
 * every append in order, so each read tells the whole version history of its key and which
 * transaction wrote each element, and the checker can infer the write-write, write-read and
 * read-write dependencies between transactions and find their cycles (G0, G1c, G-single,
 * G2), plus aborted and intermediate reads, lost updates and lost appends.
 *
 * Each transaction has 1 to `opsPerTxn` micro-ops, half reads and half appends of a value
 * unique in the run, over at most `keysPerTxn` of the `keys` keys in use. Keys are
 * independent (`opsPerKey`, default 200 micro-ops): lists stay short, so reads stay cheap and
 * each key's history is a small piece of the graph. Every transaction is one POST /txn, sent
 * to the node its client is bound to (any node, the minority side and a deposed leader
 * included), so a node that serves a stale read or loses an append is caught where it does.
 *
 * History: `f: "txn"`, value `[["append", key, v], ["r", key, null], ...]`; the ok
 * completion fills in each read's list. Availability counts every committed transaction
 * (most hold an append). On 2PC the atomic commitment checker runs too.
 */
import type { TxnOp, Value } from '../nodes/common/core.js';
import { checkAtomicity } from './checkers/atomicity.js';
import { checkListAppend } from './checkers/list-append/index.js';
import type { Verdict } from './checkers/verdict.js';
import type { JsonValue } from './history.js';
import { KeySlots, keyChooser } from './keys.js';
import { kvKey, outcomeEntry } from './kv.js';
import type { Invocation, OpSource } from './load.js';
import type { Workload } from './workload.js';
import type { WorkloadSpec } from './spec.js';

/** Micro-ops per key before a fresh key takes its place, when the scenario does not say. */
export const DEFAULT_OPS_PER_KEY = 200;
/** Keys per final-read transaction: well under the node's 1000 ops per transaction. */
const FINAL_READ_BATCH = 100;

type MicroOp = ['append', string, Value] | ['r', string, JsonValue];

/** One POST /txn and how its outcome enters the history: reads filled in from `results` on 200, 409 an abort. */
export function txnInvocation(node: number, micro: MicroOp[]): Invocation {
  const ops: TxnOp[] = micro.map(([f, key, v]) => (f === 'append' ? { f: 'append', key, value: v } : { f: 'read', key }));
  return {
    node, f: 'txn', value: micro, op: { f: 'txn', ops },
    complete: (o) => {
      if (o.type === 'fail' && o.status === 409) return { type: 'fail', error: 'aborted' };
      if (o.type !== 'ok') return outcomeEntry(o);
      const results = Array.isArray(o.body?.results) ? (o.body.results as JsonValue[]) : [];
      return { type: 'ok', value: micro.map(([f, key, v], i): MicroOp => (f === 'append' ? [f, key, v] : [f, key, results[i] ?? null])) };
    },
  };
}

export const listAppend: Workload = {
  name: 'list-append',
  source(ctx): OpSource {
    const { spec } = ctx;
    const chooser = keyChooser(spec.distribution, spec.keys, spec.zipfExponent);
    const slots = new KeySlots(spec.keys, spec.opsPerKey ?? DEFAULT_OPS_PER_KEY);
    let counter = 0;
    return {
      writtenKeys: () => slots.writtenKeys().map((i) => kvKey(spec, i)),
      next(process): Invocation {
        const length = ctx.random.int(1, spec.opsPerTxn);
        const want = Math.min(spec.keysPerTxn, length, spec.keys);
        const picked: number[] = [];
        // Distinct slots; a skewed chooser may repeat itself, so it gets a bounded number of tries.
        for (let tries = 0; picked.length < want && tries < 8 * want; tries++) {
          const slot = chooser.next(ctx.random);
          if (!picked.includes(slot)) picked.push(slot);
        }
        const micro: MicroOp[] = [];
        for (let i = 0; i < length; i++) {
          const id = slots.take(picked[ctx.random.int(0, picked.length - 1)]!);
          const key = kvKey(spec, id);
          if (ctx.random.chance(0.5)) micro.push(['r', key, null]);
          else {
            slots.wrote(id);
            micro.push(['append', key, ++counter]);
          }
        }
        return txnInvocation(ctx.nodeFor(process), micro);
      },
    };
  },
  isWrite: (f) => f === 'txn',
  finalOps(spec: WorkloadSpec, node: number, source?: OpSource): Invocation[] {
    const keys = source?.writtenKeys?.() ?? Array.from({ length: spec.keys }, (_, i) => kvKey(spec, i));
    const out: Invocation[] = [];
    for (let i = 0; i < keys.length; i += FINAL_READ_BATCH) {
      out.push(txnInvocation(node, keys.slice(i, i + FINAL_READ_BATCH).map((key): MicroOp => ['r', key, null])));
    }
    return out;
  },
  check(input) {
    const verdicts: Verdict[] = [checkListAppend(input.history, { timeLimitMs: input.timeLimitMs })];
    if (input.algo === 'twopc') verdicts.push(checkAtomicity(input.commitEvents));
    return verdicts;
  },
  informational: () => [],
};
