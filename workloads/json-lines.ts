/**
 * JSON-lines files, the one way parley reads them: a history (history.ts), a 2PC commit
 * trace and an applied trace (`parley check`), and the nodes' own traces after a run.
 *
 * What a user hands to `parley check` is read strictly: a line that is not JSON or does not
 * fit its schema is a usage error (exit 64) naming the file, line and field, so a user
 * fixing a converter never has to guess which line broke it. What the nodes traced during a
 * run is read leniently (readTrace): a node killed with -9 may leave a torn last line, and
 * the trace is best effort where the history is the record.
 */
import fs from 'node:fs';
import readline from 'node:readline';
import type { z } from 'zod';
import { UsageError } from '../nodes/common/errors.js';

/** A bad line in a history or trace file: exit 64 with the file, line number and field. */
export class HistoryFormatError extends UsageError {
  constructor(file: string, line: number, field: string, reason: string) {
    super(`${file} line ${line}, field "${field}": ${reason}`);
  }
}

/**
 * Parse one line and validate it against `schema`; throws HistoryFormatError naming the
 * first field that is wrong (`hint` may add a word on how to fix that field).
 */
export function parseJsonLine<S extends z.ZodType>(text: string, file: string, line: number, schema: S, hint?: (field: string) => string): z.output<S> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new HistoryFormatError(file, line, '(line)', `not JSON: ${(err as Error).message}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.map(String).join('.') || '(line)';
    throw new HistoryFormatError(file, line, field, issue.message + (hint?.(field) ?? ''));
  }
  return parsed.data;
}

/** Each non-blank line of `file` with its 1-based number, streamed; a file that cannot be read is a UsageError. */
export async function* jsonLines(file: string): AsyncGenerator<{ text: string; line: number }> {
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const input = fs.createReadStream(file, { encoding: 'utf8' });
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      if (text.trim() !== '') yield { text, line };
    }
  } catch (err) {
    // Only reading fails here: what the caller does with a line throws in the caller.
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  } finally {
    lines.close();
    input.destroy();
  }
}

/** Every non-blank line of `file`, each through `parse` (which throws HistoryFormatError on a bad one). */
export async function readJsonLines<T>(file: string, parse: (text: string, file: string, line: number) => T): Promise<T[]> {
  const out: T[] = [];
  for await (const { text, line } of jsonLines(file)) out.push(parse(text, file, line));
  return out;
}

/**
 * A node's own trace, best effort: no file is no records, and a line that is not JSON (torn
 * by kill -9) or that `map` refuses (null) is left out.
 */
export function readTrace<T>(file: string, map: (row: Record<string, unknown>) => T | null): T[] {
  if (!fs.existsSync(file)) return [];
  const out: T[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    try {
      const v = map(JSON.parse(line) as Record<string, unknown>);
      if (v !== null) out.push(v);
    } catch {
      /* a line torn by kill -9: the trace is best effort, the history is the record */
    }
  }
  return out;
}
