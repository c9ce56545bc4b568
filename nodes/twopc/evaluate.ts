/**
 * What a participant's yes vote promises: its share of the client's operations run against
 * its state without changing it, giving the values it will install on commit and the
 * results the client gets, or the reason it must vote no (an add below its floor, a cas
 * that finds another value). Locks held from the vote on keep the answer true until the
 * decision.
 */
import type { Datum } from '../common/core.js';
import { appended, type KvState } from '../common/kv-state.js';
import type { IndexedOp } from './protocol.js';

type Evaluation = { writes: [string, Datum][]; results: [number, Datum][] } | { problem: string; current?: Datum };

export function evaluate(state: KvState, ops: readonly IndexedOp[]): Evaluation {
  const view = new Map<string, Datum>();
  const get = (key: string): Datum => (view.has(key) ? view.get(key)! : state.get(key));
  const results: [number, Datum][] = [];
  for (const { i, op } of ops) {
    switch (op.f) {
      case 'read':
        results.push([i, get(op.key)]);
        break;
      case 'write':
        view.set(op.key, op.value);
        results.push([i, op.value]);
        break;
      case 'cas': {
        const current = get(op.key);
        if (current !== op.from) return { problem: 'precondition', current };
        view.set(op.key, op.to);
        results.push([i, op.to]);
        break;
      }
      case 'add': {
        const current = get(op.key);
        const base = current === null ? 0 : current;
        if (typeof base !== 'number') return { problem: `key ${op.key} holds a non-number` };
        const next = base + op.delta;
        // JSON has no Infinity: the reply and the log would carry null instead.
        if (!Number.isFinite(next)) return { problem: `key ${op.key} would overflow to ${next}` };
        if (op.floor !== undefined && next < op.floor) return { problem: `key ${op.key} would fall to ${next}, below ${op.floor}` };
        view.set(op.key, next);
        results.push([i, next]);
        break;
      }
      case 'append': {
        const next = appended(get(op.key), op.value);
        if (next === null) return { problem: `key ${op.key} holds a scalar, not a list` };
        view.set(op.key, next);
        results.push([i, op.value]);
        break;
      }
    }
  }
  return { writes: [...view], results };
}
