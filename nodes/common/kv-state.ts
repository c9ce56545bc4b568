/**
 * The replicated state machine every log-based algorithm applies: a map of keys to JSON
 * scalars or lists of them, with read, write, compare-and-set and multi-key transactions
 * (the bank's transfers, the list-append workload's appends). Deterministic: the same
 * sequence of operations gives the same replies on every replica, which is what
 * "replicated state machine" promises.
 *
 * A list exists only through `append` inside a transaction. Every way of reading a key
 * (GET /kv/:key, a txn read, a cas's `value` on a precondition failure) returns what it
 * holds, so a list key reads as a JSON array; a write replaces a list with a scalar; a cas
 * never matches a list (its `from` is a scalar); an `append` to a key holding a scalar, or
 * an `add` to one holding a list, aborts its transaction. Lists are copied on append, not
 * changed in place (O(length) per append), so a list already handed to a reply or a 2PC vote
 * never changes under it.
 */
import { reply, type ClientOp, type ClientReply, type Datum, type TxnOp, type Value } from './core.js';

export interface ApplyResult {
  reply: ClientReply;
  /**
   * Keys this operation wrote, with the value now held, for the convergence trace. For an
   * append, the element appended: the trace records when a node first held each value.
   */
  writes: [string, Value][];
}

/** The scalar a trace records for a datum: a list's newest element. */
export function tracedValue(datum: Datum): Value {
  return Array.isArray(datum) ? ((datum as readonly Value[]).at(-1) ?? null) : (datum as Value);
}

export class KvState {
  private readonly data = new Map<string, Datum>();

  get(key: string): Datum {
    return this.data.has(key) ? this.data.get(key)! : null;
  }

  /** Install a value computed elsewhere (a 2PC participant's prepared writes, on commit). */
  put(key: string, datum: Datum): void {
    this.data.set(key, datum);
  }

  get size(): number {
    return this.data.size;
  }

  /** Every key and what it holds, for a snapshot image. */
  entries(): [string, Datum][] {
    return [...this.data];
  }

  /** Become exactly the state a snapshot image holds. */
  restore(entries: readonly (readonly [string, Datum])[]): void {
    this.data.clear();
    for (const [key, datum] of entries) this.data.set(key, datum);
  }

  apply(op: ClientOp): ApplyResult {
    switch (op.f) {
      case 'read':
        return { reply: reply.ok({ value: this.get(op.key) }), writes: [] };
      case 'write':
        this.data.set(op.key, op.value);
        return { reply: reply.ok(), writes: [[op.key, op.value]] };
      case 'cas': {
        const current = this.get(op.key);
        if (current !== op.from) return { reply: reply.conflict({ error: 'precondition', value: current }), writes: [] };
        this.data.set(op.key, op.to);
        return { reply: reply.ok(), writes: [[op.key, op.to]] };
      }
      case 'txn':
        return this.applyTxn(op.ops);
    }
  }

  /** Check a transaction against the current state without applying it (2PC's prepare vote). */
  validateTxn(ops: TxnOp[]): string | null {
    const view = new Map<string, Datum>();
    const read = (k: string): Datum => (view.has(k) ? view.get(k)! : this.get(k));
    for (const op of ops) {
      if (op.f === 'write') view.set(op.key, op.value);
      else if (op.f === 'add') {
        const current = read(op.key);
        const base = current === null ? 0 : current;
        if (typeof base !== 'number') return `key ${op.key} holds a non-number`;
        const next = base + op.delta;
        // JSON has no Infinity: the reply and the log would carry null instead.
        if (!Number.isFinite(next)) return `key ${op.key} would overflow to ${next}`;
        if (op.floor !== undefined && next < op.floor) return `key ${op.key} would fall to ${next}, below ${op.floor}`;
        view.set(op.key, next);
      } else if (op.f === 'append') {
        const next = appended(read(op.key), op.value);
        if (next === null) return `key ${op.key} holds a scalar, not a list`;
        view.set(op.key, next);
      }
    }
    return null;
  }

  private applyTxn(ops: TxnOp[]): ApplyResult {
    const problem = this.validateTxn(ops);
    if (problem !== null) return { reply: reply.conflict({ error: 'aborted', reason: problem }), writes: [] };
    const results: Datum[] = [];
    const writes: [string, Value][] = [];
    for (const op of ops) {
      if (op.f === 'read') results.push(this.get(op.key));
      else if (op.f === 'write') {
        this.data.set(op.key, op.value);
        writes.push([op.key, op.value]);
        results.push(op.value);
      } else if (op.f === 'append') {
        this.data.set(op.key, appended(this.get(op.key), op.value)!);
        writes.push([op.key, op.value]);
        results.push(op.value);
      } else {
        const next = ((this.get(op.key) as number | null) ?? 0) + op.delta;
        this.data.set(op.key, next);
        writes.push([op.key, next]);
        results.push(next);
      }
    }
    return { reply: reply.ok({ ok: true, results }), writes };
  }

  /** Whether an operation can change state; reads may take a cheaper path than the log. */
  static isReadOnly(op: ClientOp): boolean {
    return op.f === 'read' || (op.f === 'txn' && op.ops.every((o) => o.f === 'read'));
  }

  /** Every key an operation touches (for locking and sharding). */
  static keysOf(op: ClientOp): string[] {
    return op.f === 'txn' ? [...new Set(op.ops.map((o) => o.key))] : [op.key];
  }
}

/** `current` with `value` appended (a missing key is the empty list); null when `current` is a scalar. */
export function appended(current: Datum, value: Value): readonly Value[] | null {
  if (current === null) return [value];
  if (!Array.isArray(current)) return null;
  return [...(current as readonly Value[]), value];
}
