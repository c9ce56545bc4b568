/**
 * Linearizability of a register history (models `register` and `cas-register`): the one
 * checker that tells a correct replicated KV from a broken one, so it is complete, not a
 * heuristic. Each key is checked on its own (P-compositionality: a history is linearizable
 * iff every per-key sub-history is; Herlihy & Wing 1990), by the memoized Wing & Gong
 * search in search.ts, within one time budget for the whole history; past the budget the
 * verdict is 'unknown', never a guess.
 *
 * A violation is reported as the smallest picture that shows it: the key, the operation no
 * order could add after the longest linearizable prefix, the register value that prefix
 * left, and the operations around it, as words and as a timeline (verdict.ts).
 */
import { pairOperations, type HistoryEvent, type JsonValue, type Operation } from '../../history.js';
import type { LinearizabilityEvidence, TimelineOp, Verdict } from '../verdict.js';
import { compileRegisterHistory, WRITE, CAS, MAYBE_WRITE, MAYBE_CAS, type KeyOps, type RegisterModel } from './register-ops.js';
import { searchKey } from './search.js';

export type { RegisterModel } from './register-ops.js';

export interface LinearizabilityOptions {
  model: RegisterModel;
  /** Wall-clock budget for the whole history; past it the verdict is 'unknown'. Default 60 s. */
  timeLimitMs?: number;
  /** Memory the memo may use, per key, in MiB; past it the verdict is 'unknown'. Default 512. */
  memoLimitMiB?: number;
}

const WINDOW_MAX = 40;
/** At most this long is spent re-searching a violating key for a clearer explanation. */
const EXPLAIN_MS = 10_000;

export function checkLinearizability(events: readonly HistoryEvent[], options: LinearizabilityOptions): Verdict {
  const began = performance.now();
  const deadline = began + (options.timeLimitMs ?? 60_000);
  const maxMemoWords = ((options.memoLimitMiB ?? 512) * 1024 * 1024) / 4;
  const ops = pairOperations(events);
  const keys = compileRegisterHistory(ops, options.model);
  const origin = events.length > 0 ? events[0]!.time : 0;

  const stats = {
    operations: ops.length,
    keys: keys.length,
    keysChecked: 0,
    infoOperations: ops.filter((o) => o.outcome === 'info').length,
    pinned: 0,
    bounded: 0,
    pruned: 0,
    configurations: 0,
    elapsedMs: 0,
  };
  for (const k of keys) {
    stats.pinned += k.counts.pinned;
    stats.bounded += k.counts.bounded;
    stats.pruned += k.counts.pruned;
  }
  const base = { checker: 'linearizability' as const, model: options.model };
  const finish = (): Record<string, number> => ({ ...stats, elapsedMs: round(performance.now() - began) });

  let unknown: { key: KeyOps; reason: 'time-limit' | 'state-limit' } | undefined;
  for (const k of keys) {
    const result = searchKey(k, { deadline, maxMemoWords });
    stats.configurations += result.configurations;
    if (result.outcome === 'linearizable') {
      stats.keysChecked++;
      continue;
    }
    if (result.outcome === 'unknown') {
      unknown ??= { key: k, reason: result.reason };
      if (result.reason === 'time-limit') break;
      continue;
    }
    stats.keysChecked++;
    // Search again without the observer bounds to blame the op a reader would: the read
    // that saw the impossible value, not the write the bounds stopped early. If that takes
    // too long, the first search's picture is still a true one.
    const plain = searchKey(k, { deadline: Math.min(deadline, performance.now() + EXPLAIN_MS), maxMemoWords, observerBounds: false });
    const failure = plain.outcome === 'not-linearizable' ? plain : result;
    const evidence = explain(k, failure.prefix, failure.stuck, failure.stateBefore, events, origin);
    return {
      ...base,
      valid: false,
      summary: describeViolation(evidence),
      evidence,
      stats: finish(),
    };
  }
  if (unknown) {
    const why = unknown.reason === 'time-limit' ? `the ${round((options.timeLimitMs ?? 60_000) / 1000)} s time limit` : 'the memo size limit';
    return {
      ...base,
      valid: 'unknown',
      summary: `Could not decide: the search hit ${why} on key ${showKey(unknown.key.key)} after ${stats.keysChecked} of ${keys.length} keys were found linearizable.`,
      evidence: { kind: 'unknown', key: unknown.key.key, reason: unknown.reason, keysChecked: stats.keysChecked, keysTotal: keys.length },
      stats: finish(),
    };
  }
  return {
    ...base,
    valid: true,
    summary: `All ${ops.length} operations on ${keys.length} key${keys.length === 1 ? '' : 's'} are linearizable as a ${options.model}` +
      (stats.infoOperations > 0 ? `, counting ${stats.infoOperations} with unknown outcome as possibly applied.` : '.'),
    stats: finish(),
  };
}

function explain(k: KeyOps, prefix: number[], stuck: number, stateBefore: number, events: readonly HistoryEvent[], origin: number): LinearizabilityEvidence {
  const s = k.ops[stuck]!;
  const stuckEnd = k.end[stuck]!;
  const placedAt = new Map<number, number>();
  prefix.forEach((row, i) => placedAt.set(row, i));

  const chosen = new Set<number>([stuck]);
  // Unplaced ops overlapping the stuck one: the candidates that were tried and did not help.
  for (let row = 0; row < k.ops.length; row++) {
    if (!placedAt.has(row) && row !== stuck && k.start[row]! <= stuckEnd && k.end[row]! >= s.start) chosen.add(row);
  }
  // Placed ops that overlap it, and the tail of the prefix, ending at the write that set stateBefore.
  for (const row of prefix) if (k.end[row]! >= s.start) chosen.add(row);
  for (let i = prefix.length - 1, tail = 0; i >= 0 && tail < 6; i--, tail++) {
    chosen.add(prefix[i]!);
    const kind = k.kind[prefix[i]!];
    if (kind === WRITE || kind === CAS || kind === MAYBE_WRITE || kind === MAYBE_CAS) break;
  }
  let rows = [...chosen];
  if (rows.length > WINDOW_MAX) {
    const distance = (row: number): number => Math.abs(k.start[row]! - s.start);
    rows = rows.sort((x, y) => (x === stuck ? -1 : y === stuck ? 1 : distance(x) - distance(y))).slice(0, WINDOW_MAX);
  }
  rows.sort((x, y) => k.start[x]! - k.start[y]! || x - y);
  const role = (row: number): TimelineOp['role'] => (row === stuck ? 'stuck' : placedAt.has(row) ? 'linearized' : 'concurrent');
  const window = rows.map((row) => timelineOp(k.ops[row]!, role(row), events));
  const order = rows.filter((r) => placedAt.has(r)).sort((x, y) => placedAt.get(x)! - placedAt.get(y)!).map((r) => events[k.ops[r]!.position]!.index);
  return {
    kind: 'linearizability',
    key: k.key,
    origin,
    linearized: prefix.length,
    operations: k.ops.length,
    stateBefore: k.values[stateBefore] ?? null,
    stuck: timelineOp(s, 'stuck', events),
    window,
    order,
  };
}

export function timelineOp(op: Operation, role: TimelineOp['role'], events: readonly HistoryEvent[]): TimelineOp {
  const t: TimelineOp = {
    index: events[op.position]?.index ?? op.position,
    process: op.process,
    f: op.f,
    value: op.value ?? null,
    outcome: op.outcome,
    start: op.start,
    end: op.end === Infinity ? null : op.end,
    role,
  };
  if (op.key !== undefined) t.key = op.key;
  if (op.result !== undefined && op.f === 'read') t.result = op.result;
  if (op.error !== undefined) t.error = op.error;
  return t;
}

/** `process 3 read → "v5" [12.001 ms, 12.410 ms]`, times relative to `origin` (the history's first event). */
export function describeOp(t: TimelineOp, origin: number): string {
  const ms = (ns: number): string => `${((ns - origin) / 1e6).toFixed(3)} ms`;
  const what =
    t.f === 'read' ? `read → ${show(t.result ?? null)}`
    : t.f === 'cas' && Array.isArray(t.value) ? `cas ${show(t.value[0] ?? null)} → ${show(t.value[1] ?? null)}`
    : `${t.f} ${show(t.value)}`;
  const outcome = t.outcome === 'ok' ? '' : t.outcome === 'fail' ? ` (failed: ${show(t.error ?? null)})` : ' (unknown outcome)';
  return `process ${t.process} ${what}${outcome} [${ms(t.start)}, ${t.end === null ? 'never returned' : ms(t.end)}]`;
}

function describeViolation(e: LinearizabilityEvidence): string {
  const concurrent = e.window.filter((w) => w.role === 'concurrent').length;
  return (
    `Not linearizable on key ${showKey(e.key)}: no order explains ${describeOp(e.stuck, e.origin)}; ` +
    `the longest linearizable prefix places ${e.linearized} of the key's ${e.operations} operations and leaves the register at ${show(e.stateBefore)}` +
    (concurrent > 0 ? `, with ${concurrent} operation${concurrent === 1 ? '' : 's'} concurrent and unplaced.` : '.')
  );
}

function show(v: JsonValue): string {
  return JSON.stringify(v);
}

function showKey(key: KeyOps['key']): string {
  return key === null ? '(the single register)' : JSON.stringify(key);
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
