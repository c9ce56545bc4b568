/**
 * One-mutation bugs planted in a correct simulated history, each chosen so the result is
 * provably not linearizable (values in simulated histories are unique):
 * - stale read: a read returns a value that a later completed write had replaced before
 *   the read began;
 * - future read: a read returns a value whose only write began after the read returned.
 */
import { pairOperations, type HistoryEvent, type Key, type Operation } from '../../workloads/history.js';
import { Random } from '../../nodes/common/random.js';

export interface Mutation {
  events: HistoryEvent[];
  key: Key | undefined;
  /** Event index of the read whose result was changed. */
  readIndex: number;
}

const setters = (ops: Operation[]): Operation[] => ops.filter((o) => o.outcome === 'ok' && (o.f === 'write' || o.f === 'cas'));
const written = (o: Operation): unknown => (o.f === 'write' ? o.value : (o.value as unknown[])[1]);

export function plantStaleRead(events: HistoryEvent[], seed: number): Mutation | undefined {
  const rng = new Random(seed);
  const ops = pairOperations(events);
  const reads = rng.shuffle(ops.filter((o) => o.f === 'read' && o.outcome === 'ok'));
  for (const r of reads) {
    const sameKey = setters(ops).filter((w) => w.key === r.key);
    for (const w of sameKey) {
      if (w.end >= r.start || written(w) === r.result) continue;
      const overwritten = sameKey.some((w2) => w2 !== w && w2.start > w.end && w2.end < r.start && written(w2) !== written(w));
      if (overwritten) return mutate(events, r, written(w) as number);
    }
  }
  return undefined;
}

export function plantFutureRead(events: HistoryEvent[], seed: number): Mutation | undefined {
  const rng = new Random(seed);
  const ops = pairOperations(events);
  const reads = rng.shuffle(ops.filter((o) => o.f === 'read' && o.outcome === 'ok'));
  for (const r of reads) {
    const later = ops.find((w) => w.key === r.key && (w.f === 'write' || w.f === 'cas') && w.start > r.end);
    if (later) return mutate(events, r, written(later) as number);
  }
  return undefined;
}

function mutate(events: HistoryEvent[], r: Operation, value: number): Mutation {
  const copy = events.map((e) => ({ ...e }));
  copy[r.completionPosition!]!.value = value;
  return { events: copy, key: r.key, readIndex: events[r.position]!.index };
}
