/**
 * A list-append history as transactions: each `txn` operation's micro-ops, from its invoke
 * (what was asked) and its ok completion (what the reads saw), validated once here so the
 * rest of the checker can trust the shapes. The format is Elle's, with Jepsen's keywords as
 * strings: `[["append", "x", 3], ["r", "y", [1, 2]]]`.
 *
 * Inference rests on one promise of the workload: every (key, value) is appended at most
 * once in the whole history, so an element in a list names the transaction that appended
 * it. A history that breaks it is not a list-append history (a shape error, exit 64), not
 * an anomaly of the system under test.
 */
import { HistoryShapeError, isScalar, pairOperations, type HistoryEvent, type JsonValue, type Key, type Process, type Scalar } from '../../history.js';
import type { MicroOpView, TxnView } from '../verdict.js';

export type MicroOp =
  /** `result`: the list read (null read as empty); undefined when the transaction did not return ok. */
  | { f: 'r'; key: Key; result: Scalar[] | undefined }
  | { f: 'append'; key: Key; value: Scalar };

export interface Txn {
  /** Dense id, in invoke order: the graph's node number. */
  id: number;
  /** The invoke's `index` in the history file. */
  index: number;
  process: Process;
  outcome: 'ok' | 'fail' | 'info';
  start: number;
  /** Infinity when the outcome is unknown. */
  end: number;
  ops: MicroOp[];
  node?: string | number;
}

/** Where one appended element came from. */
export interface AppendSite {
  txn: Txn;
  /** Position of the append among the transaction's micro-ops. */
  op: number;
  /** Whether the same transaction appends to the same key again later (its element is then not its final write of the key). */
  overwritten: boolean;
}

export interface ParsedTxns {
  txns: Txn[];
  /** key -> value -> the append that wrote it. */
  appends: Map<Key, Map<Scalar, AppendSite>>;
  origin: number;
}

function parseMicroOp(raw: JsonValue, position: number, field: string): { f: 'r' | 'append'; key: Key; arg: JsonValue } {
  if (!Array.isArray(raw) || raw.length !== 3) throw new HistoryShapeError(position, field, `expected a micro-op [f, key, value], got ${JSON.stringify(raw)}`);
  const [f, key, arg] = raw as [JsonValue, JsonValue, JsonValue];
  if (f !== 'r' && f !== 'append') throw new HistoryShapeError(position, field, `micro-op ${JSON.stringify(f)}: expected "r" or "append"`);
  if (typeof key !== 'string' && typeof key !== 'number') throw new HistoryShapeError(position, field, `micro-op key ${JSON.stringify(key)}: expected a string or number`);
  return { f, key, arg };
}

function readList(arg: JsonValue, position: number, field: string): Scalar[] {
  if (arg === null) return [];
  let ok = Array.isArray(arg);
  if (ok) {
    for (const v of arg as JsonValue[]) {
      if (v !== null && typeof v === 'object') {
        ok = false;
        break;
      }
    }
  }
  if (!ok) throw new HistoryShapeError(position, field, `a read's result must be a list of scalars or null, got ${JSON.stringify(arg)}`);
  return arg as Scalar[];
}

/** Pair the events into transactions and index every append; throws HistoryShapeError on input that is not a list-append history. */
export function parseTxns(events: readonly HistoryEvent[]): ParsedTxns {
  const txns: Txn[] = [];
  const appends = new Map<Key, Map<Scalar, AppendSite>>();
  for (const op of pairOperations(events)) {
    const invoke = events[op.position]!;
    if (op.f !== 'txn') throw new HistoryShapeError(op.position, 'f', `"${op.f}": a list-append history holds only "txn" operations`);
    const invoked = op.value;
    if (!Array.isArray(invoked) || invoked.length === 0) throw new HistoryShapeError(op.position, 'value', 'a txn\'s value must be a non-empty list of micro-ops');
    const asked = invoked.map((m, i) => parseMicroOp(m, op.position, `value.${i}`));
    let seen: JsonValue[] | undefined;
    if (op.outcome === 'ok' && op.result !== undefined) {
      const at = op.completionPosition!;
      if (!Array.isArray(op.result) || op.result.length !== asked.length) throw new HistoryShapeError(at, 'value', `an ok txn's value must list the same ${asked.length} micro-ops as its invoke`);
      seen = op.result.map((m, i) => {
        const c = parseMicroOp(m, at, `value.${i}`);
        if (c.f !== asked[i]!.f || c.key !== asked[i]!.key) throw new HistoryShapeError(at, `value.${i}`, `micro-op ${JSON.stringify(m)} does not match the invoke's ${JSON.stringify(invoked[i])}`);
        return c.arg;
      });
    }
    const txn: Txn = {
      id: txns.length, index: invoke.index, process: op.process, outcome: op.outcome, start: op.start, end: op.end, ops: [],
      ...(invoke.node !== undefined && { node: invoke.node }),
    };
    asked.forEach((m, i) => {
      if (m.f === 'append') {
        if (!isScalar(m.arg)) throw new HistoryShapeError(op.position, `value.${i}`, `an append's value must be a scalar, got ${JSON.stringify(m.arg)}`);
        txn.ops.push({ f: 'append', key: m.key, value: m.arg });
      } else {
        const result = op.outcome === 'ok' && seen ? readList(seen[i]!, op.completionPosition!, `value.${i}`) : undefined;
        txn.ops.push({ f: 'r', key: m.key, result });
      }
    });
    txn.ops.forEach((m, i) => {
      if (m.f !== 'append') return;
      let byValue = appends.get(m.key);
      if (!byValue) appends.set(m.key, (byValue = new Map()));
      const other = byValue.get(m.value);
      if (other) {
        throw new HistoryShapeError(op.position, `value.${i}`, `${JSON.stringify(m.value)} is appended to key ${JSON.stringify(m.key)} again (first by event ${other.txn.index}); list-append needs every appended value unique per key`);
      }
      const overwritten = txn.ops.some((later, j) => j > i && later.f === 'append' && later.key === m.key);
      byValue.set(m.value, { txn, op: i, overwritten });
    });
    txns.push(txn);
  }
  return { txns, appends, origin: events.length ? events[0]!.time : 0 };
}

/** A read's list cut to its tail, so evidence stays small when lists grow long. */
const SHOWN = 6;

export function viewOf(txn: Txn): TxnView {
  const ops: MicroOpView[] = txn.ops.map((m) => {
    if (m.f === 'append') return { f: 'append', key: m.key, value: m.value };
    if (m.result === undefined) return { f: 'r', key: m.key };
    if (m.result.length <= SHOWN) return { f: 'r', key: m.key, value: m.result };
    return { f: 'r', key: m.key, value: m.result.slice(-SHOWN), elided: m.result.length - SHOWN };
  });
  return {
    index: txn.index, process: txn.process, outcome: txn.outcome, ops, start: txn.start, end: txn.end === Infinity ? null : txn.end,
    ...(txn.node !== undefined && { node: txn.node }),
  };
}
