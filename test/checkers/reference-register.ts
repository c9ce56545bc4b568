/**
 * A brute-force linearizability oracle for tiny register histories, written straight from
 * the definition (Herlihy & Wing 1990) with none of the checker's machinery: no memo, no
 * pruning of unknown outcomes. Every info op is tried both ways (never, or taking effect at
 * any point after its invoke). Exponential, so only for histories of a handful of ops; the
 * property test compares it with the real checker on thousands of random ones.
 */
import { pairOperations, type HistoryEvent, type Scalar } from '../../workloads/history.js';

interface RefOp { f: string; start: number; end: number; value: unknown; result: unknown; failedPrecondition: boolean; info: boolean }

export function referenceLinearizable(events: HistoryEvent[]): boolean {
  const byKey = new Map<unknown, RefOp[]>();
  for (const op of pairOperations(events)) {
    if (op.outcome === 'fail' && !(op.f === 'cas' && op.error === 'precondition')) continue;
    if (op.outcome === 'info' && op.f === 'read') continue;
    const list = byKey.get(op.key) ?? [];
    byKey.set(op.key, list);
    list.push({ f: op.f, start: op.start, end: op.end, value: op.value, result: op.result, failedPrecondition: op.outcome === 'fail', info: op.outcome === 'info' });
  }
  return [...byKey.values()].every((ops) => subsets(ops));
}

function subsets(ops: RefOp[]): boolean {
  const info = ops.filter((o) => o.info);
  const definite = ops.filter((o) => !o.info);
  for (let mask = 0; mask < 1 << info.length; mask++) {
    const chosen = definite.concat(info.filter((_, i) => (mask >> i) & 1));
    if (orders(chosen, new Array(chosen.length).fill(false), null, chosen.length)) return true;
  }
  return false;
}

function orders(ops: RefOp[], used: boolean[], state: Scalar, left: number): boolean {
  if (left === 0) return true;
  let minEnd = Infinity;
  ops.forEach((o, i) => { if (!used[i]) minEnd = Math.min(minEnd, o.end); });
  for (let i = 0; i < ops.length; i++) {
    const o = ops[i]!;
    if (used[i] || o.start > minEnd) continue;
    const next = apply(o, state);
    if (next === undefined) continue;
    used[i] = true;
    const ok = orders(ops, used, next, left - 1);
    used[i] = false;
    if (ok) return true;
  }
  return false;
}

function apply(o: RefOp, state: Scalar): Scalar | undefined {
  if (o.f === 'read') return o.result === state ? state : undefined;
  if (o.f === 'write') return o.value as Scalar;
  const [from, to] = o.value as [Scalar, Scalar];
  if (o.failedPrecondition) return state !== from ? state : undefined;
  if (o.info) return state === from ? to : state;
  return state === from ? to : undefined;
}
