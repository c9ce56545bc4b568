/**
 * The replicated state machine every log-based algorithm applies: a map of keys to JSON
 * scalars, with read, write, compare-and-set and multi-key transactions (the bank's
 * transfers). Deterministic: the same sequence of operations gives the same replies on
 * every replica, which is what "replicated state machine" promises.
 */
import { reply, type ClientOp, type ClientReply, type TxnOp, type Value } from './core.js';

export interface ApplyResult {
  reply: ClientReply;
  /** Keys this operation wrote, with their new values, for the convergence trace. */
  writes: [string, Value][];
}

export class KvState {
  private readonly data = new Map<string, Value>();

  get(key: string): Value {
    return this.data.has(key) ? this.data.get(key)! : null;
  }

  get size(): number {
    return this.data.size;
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
    const view = new Map<string, Value>();
    const read = (k: string): Value => (view.has(k) ? view.get(k)! : this.get(k));
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
      }
    }
    return null;
  }

  private applyTxn(ops: TxnOp[]): ApplyResult {
    const problem = this.validateTxn(ops);
    if (problem !== null) return { reply: reply.conflict({ error: 'aborted', reason: problem }), writes: [] };
    const results: Value[] = [];
    const writes: [string, Value][] = [];
    for (const op of ops) {
      if (op.f === 'read') results.push(this.get(op.key));
      else if (op.f === 'write') {
        this.data.set(op.key, op.value);
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
