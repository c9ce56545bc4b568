/**
 * The history: what the clients saw, one Jepsen-style event per line (docs/history.md,
 * "The history format"). Everything downstream (the checkers, the
 * report, `parley check`) reads this one format, so it is validated once, here, and a
 * malformed line is named by its line number and field rather than discovered later as a
 * confusing verdict.
 *
 * The writer appends as operations happen; the reader streams, so a history of a long
 * chaos run is never held as text.
 */
import fs from 'node:fs';
import { z } from 'zod';
import { HistoryFormatError, jsonLines, parseJsonLine } from './json-lines.js';

export type Scalar = string | number | boolean | null;
export type JsonValue = Scalar | JsonValue[] | { [key: string]: JsonValue };
export type EventType = 'invoke' | 'ok' | 'fail' | 'info';
export type Process = number | string;
export type Key = string | number;

export interface HistoryEvent {
  index: number;
  /** Monotonic nanoseconds (nodes/common/clock.ts), comparable across processes on one machine. */
  time: number;
  process: Process;
  type: EventType;
  f: string;
  key?: Key;
  value?: JsonValue;
  error?: JsonValue;
  /**
   * The node the client sent the operation to (its id, e.g. "n2"), on the invoke and its
   * completion. Optional and informational: checkers judge what the clients saw wherever
   * they sent it; the field says which replica answered (a minority one, a deposed leader).
   */
  node?: string | number;
}

const jsonValue: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(jsonValue), z.record(z.string(), jsonValue)]),
);

const eventSchema = z.object({
  index: z.number().int().nonnegative(),
  time: z.number().finite().nonnegative(),
  process: z.union([z.number().int(), z.string().min(1)]),
  type: z.enum(['invoke', 'ok', 'fail', 'info']),
  f: z.string().min(1),
  key: z.union([z.string(), z.number()]).optional(),
  value: jsonValue.optional(),
  error: jsonValue.optional(),
  node: z.union([z.string().min(1), z.number().int()]).optional(),
});

/**
 * A history that is well-formed JSON but not a valid history for its checker: `position`
 * is the event's place in the array, `field` the offending field. The CLI turns it into
 * the one-line usage error with the file's line number (exit 64).
 */
export class HistoryShapeError extends Error {
  override readonly name = 'HistoryShapeError';
  constructor(
    readonly position: number,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`event ${position + 1}, field "${field}": ${reason}`);
  }
}

export { HistoryFormatError };

export interface ParsedHistory {
  events: HistoryEvent[];
  /** 1-based line number of each event, to name lines in errors found after parsing. */
  lines: number[];
}

/** Parse and validate one line; throws HistoryFormatError naming the field. */
export function parseEventLine(text: string, file: string, line: number): HistoryEvent {
  return parseJsonLine(text, file, line, eventSchema) as HistoryEvent;
}

/**
 * Stream a history file, validating each line. Blank lines are skipped; indices must
 * increase in file order, because reports and errors refer to events by index.
 */
export async function* streamHistory(file: string): AsyncGenerator<{ event: HistoryEvent; line: number }> {
  let lastIndex = -1;
  for await (const { text, line } of jsonLines(file)) {
    const event = parseEventLine(text, file, line);
    if (event.index <= lastIndex) {
      throw new HistoryFormatError(file, line, 'index', `${event.index} does not follow the previous index ${lastIndex}`);
    }
    lastIndex = event.index;
    yield { event, line };
  }
}

export async function readHistory(file: string): Promise<ParsedHistory> {
  const events: HistoryEvent[] = [];
  const lines: number[] = [];
  for await (const { event, line } of streamHistory(file)) {
    events.push(event);
    lines.push(line);
  }
  return { events, lines };
}

/** Serialize with a fixed field order so histories diff cleanly between runs. */
export function formatEvent(e: HistoryEvent): string {
  const out: Record<string, JsonValue> = { index: e.index, time: e.time, process: e.process, type: e.type, f: e.f };
  if (e.key !== undefined) out.key = e.key;
  if (e.value !== undefined) out.value = e.value;
  if (e.error !== undefined) out.error = e.error;
  if (e.node !== undefined) out.node = e.node;
  return JSON.stringify(out);
}

/**
 * Appends events as they happen and numbers them. Clients of one run share one writer, so
 * the index order is the order the harness observed; synchronous appends keep that order
 * and lose nothing already returned from `append` if the harness itself is killed.
 */
export class HistoryWriter {
  private fd: number | null;
  private next = 0;

  constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'w');
  }

  append(event: Omit<HistoryEvent, 'index'>): HistoryEvent {
    if (this.fd === null) throw new Error(`history ${this.file} is closed`);
    const full: HistoryEvent = { index: this.next++, ...event };
    fs.writeSync(this.fd, formatEvent(full) + '\n');
    return full;
  }

  close(): void {
    if (this.fd === null) return;
    fs.closeSync(this.fd);
    this.fd = null;
  }
}

/**
 * One operation: an invoke and its completion. A completion may omit `key` and echo or
 * omit `value`; the invoke's are authoritative, the completion adds what was observed.
 */
export interface Operation {
  /** Position of the invoke in the event array (for error messages and evidence). */
  position: number;
  process: Process;
  f: string;
  key: Key | undefined;
  /** The invoke's value: what was asked (a write's value, a cas's [from, to], a transfer). */
  value: JsonValue | undefined;
  /** 'info' also stands for an invoke that never completed before the history ended. */
  outcome: 'ok' | 'fail' | 'info';
  /** The completion's value: what was observed (a read's result). */
  result: JsonValue | undefined;
  error: JsonValue | undefined;
  start: number;
  /** Completion time; Infinity when the outcome is unknown, since it may take effect at any later time. */
  end: number;
  completionPosition: number | undefined;
}

/**
 * Pair invokes with completions per process. A process has at most one operation
 * outstanding (Jepsen's rule); an invoke still open at the end is unknown (`info`).
 */
export function pairOperations(events: readonly HistoryEvent[]): Operation[] {
  const open = new Map<Process, Operation>();
  const ops: Operation[] = [];
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    const outstanding = open.get(e.process);
    if (e.type === 'invoke') {
      if (outstanding) {
        throw new HistoryShapeError(i, 'process', `process ${e.process} invoked again while its operation from event ${outstanding.position + 1} is outstanding`);
      }
      const op: Operation = {
        position: i, process: e.process, f: e.f, key: e.key, value: e.value, outcome: 'info',
        result: undefined, error: undefined, start: e.time, end: Infinity, completionPosition: undefined,
      };
      open.set(e.process, op);
      ops.push(op);
      continue;
    }
    if (!outstanding) throw new HistoryShapeError(i, 'type', `"${e.type}" for process ${e.process}, which has no operation outstanding`);
    if (e.f !== outstanding.f) throw new HistoryShapeError(i, 'f', `"${e.f}" completes a "${outstanding.f}"`);
    if (e.key !== undefined && outstanding.key !== undefined && e.key !== outstanding.key) {
      throw new HistoryShapeError(i, 'key', `${JSON.stringify(e.key)} completes an operation on ${JSON.stringify(outstanding.key)}`);
    }
    if (e.time < outstanding.start) throw new HistoryShapeError(i, 'time', `completes before its invoke (${e.time} < ${outstanding.start})`);
    outstanding.outcome = e.type;
    outstanding.result = e.value;
    outstanding.error = e.error;
    outstanding.end = e.type === 'info' ? Infinity : e.time;
    outstanding.completionPosition = i;
    if (outstanding.key === undefined) outstanding.key = e.key;
    open.delete(e.process);
  }
  return ops;
}

export function isScalar(v: JsonValue | undefined): v is Scalar {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}
