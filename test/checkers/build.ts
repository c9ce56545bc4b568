/**
 * Hand-writing histories: one line per operation instead of two events, so a test reads
 * like the timeline it draws. Times are plain integers (nanoseconds, but only order matters).
 */
import type { EventType, HistoryEvent, JsonValue } from '../../workloads/history.js';

export interface OpSpec {
  p: number | string;
  f: string;
  /** The invoke's value (a read's is null). */
  v?: JsonValue;
  /** The completion's value when it differs from the invoke's: what a read saw. */
  r?: JsonValue;
  key?: string;
  start: number;
  /** Omitted: the operation never completed. */
  end?: number;
  type?: Exclude<EventType, 'invoke'>;
  error?: string;
  /** The node the client sent it to, on both events. */
  node?: string;
}

/** Events for the given operations, interleaved by time (invokes before completions at equal times). */
export function history(...ops: OpSpec[]): HistoryEvent[] {
  const raw: { time: number; order: number; e: Omit<HistoryEvent, 'index'> }[] = [];
  ops.forEach((o, i) => {
    const base = { process: o.p, f: o.f, ...(o.key !== undefined ? { key: o.key } : {}), ...(o.node !== undefined ? { node: o.node } : {}) };
    raw.push({ time: o.start, order: i, e: { ...base, time: o.start, type: 'invoke', value: o.f === 'read' ? null : (o.v ?? null) } });
    if (o.end === undefined) return;
    const completion: Omit<HistoryEvent, 'index'> = { ...base, time: o.end, type: o.type ?? 'ok', value: o.r !== undefined ? o.r : (o.v ?? null) };
    if (o.error !== undefined) completion.error = o.error;
    raw.push({ time: o.end, order: ops.length + i, e: completion });
  });
  raw.sort((x, y) => x.time - y.time || x.order - y.order);
  return raw.map((x, index) => ({ index, ...x.e }));
}

export const read = (p: number, r: JsonValue, start: number, end?: number, extra: Partial<OpSpec> = {}): OpSpec => ({ p, f: 'read', r, start, ...(end !== undefined ? { end } : {}), ...extra });
export const write = (p: number, v: JsonValue, start: number, end?: number, extra: Partial<OpSpec> = {}): OpSpec => ({ p, f: 'write', v, start, ...(end !== undefined ? { end } : {}), ...extra });
export const cas = (p: number, from: JsonValue, to: JsonValue, start: number, end?: number, extra: Partial<OpSpec> = {}): OpSpec => ({ p, f: 'cas', v: [from, to], start, ...(end !== undefined ? { end } : {}), ...extra });

/** A list-append micro-op as the ok completion shows it: a read carries the list it saw. */
export type Micro = ['append', string, number] | ['r', string, number[] | null];

/** One list-append transaction; the invoke gets the same micro-ops with every read's result null. */
export function txn(p: number, ops: Micro[], start: number, end?: number, type: 'ok' | 'fail' | 'info' = 'ok'): OpSpec {
  const asked = ops.map(([f, k, v]) => (f === 'r' ? [f, k, null] : [f, k, v])) as JsonValue;
  return { p, f: 'txn', v: asked, r: type === 'ok' ? (ops as JsonValue) : asked, start, ...(end !== undefined && { end }), type, ...(type === 'fail' && { error: 'aborted' }) };
}
