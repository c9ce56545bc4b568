/**
 * From a client history to the per-key operation table the search runs on.
 *
 * Two ideas live here because both are about what an operation *means* to a register:
 *
 * 1. Classification. ok reads, writes and cas happened; a cas that failed with "precondition"
 *    happened too, as an observation that the value was not `from`; other fails did not
 *    happen and are dropped; info reads tell nothing and are dropped.
 *
 * 2. Taming unknown outcomes. Porcupine (and etcd's robustness tests, which feed it) give an
 *    info operation a return time of infinity: it may take effect at any later time. Left
 *    like that, every timed-out write stays a candidate at every step of the search for the
 *    rest of the history, and k of them cost 2^k configurations per step. Instead each info
 *    op is rewritten, without changing the verdict, into one of:
 *    - mandatory with a finite return, when its value was observed and it is the only op
 *      that ever wrote that value: it happened, before the first observer returned;
 *    - optional with a finite bound: taking effect after the last operation that could
 *      depend on its value (a read or cas of that value, a precondition failure it could
 *      explain, or another optional cas chained on it) changes nothing any definite
 *      operation saw, so "after the bound" is the same as "never";
 *    - dropped, when nothing could depend on it: a history is linearizable with it iff
 *      it is without it (place it last, or leave it out).
 *    The proofs are in docs/history.md ("Unknown outcomes").
 */
import { HistoryShapeError, isScalar, type JsonValue, type Key, type Operation, type Scalar } from '../../history.js';

export type RegisterModel = 'register' | 'cas-register';

/** Operation kinds of the compiled table; the search's step function switches on these. */
export const READ = 0;
export const WRITE = 1;
export const CAS = 2;
export const CAS_FAILED = 3;
export const MAYBE_WRITE = 4;
export const MAYBE_CAS = 5;

export interface KeyOps {
  key: Key | null;
  /** The history operation behind each row. */
  ops: Operation[];
  kind: Uint8Array;
  /** read: the value seen; write: the value; cas: `from`. Value ids index `values`. */
  a: Int32Array;
  /** cas: `to`. */
  b: Int32Array;
  start: Float64Array;
  /** Return time; for optional ops the bound after which taking effect is the same as never. */
  end: Float64Array;
  /** 1 when the op may never take effect (the search may skip it at its bound). */
  optional: Uint8Array;
  /**
   * -Infinity, or for a write whose value only it writes and someone read: it may take
   * effect only once every op that ended before the earliest observer began is placed
   * (see firstObserverBounds).
   */
  notBefore: Float64Array;
  /** Value id -> value. Id 0 is null, the register's initial value. */
  values: Scalar[];
  counts: KeyCounts;
}

export interface KeyCounts {
  /** Operations kept for the search. */
  kept: number;
  /** info ops made mandatory because their unique value was observed. */
  pinned: number;
  /** info ops kept as optional with a finite bound. */
  bounded: number;
  /** info ops and precondition failures that cannot affect the verdict. */
  pruned: number;
  /** Failed ops and info reads: they did not happen, or tell nothing. */
  ignored: number;
}

interface Row {
  op: Operation;
  kind: number;
  a: number;
  b: number;
  end: number;
  optional: boolean;
}

/** Group a register history by key (P-compositionality: Herlihy & Wing 1990; Porcupine's Partition). */
export function compileRegisterHistory(ops: readonly Operation[], model: RegisterModel): KeyOps[] {
  const groups = new Map<string, Operation[]>();
  for (const op of ops) {
    const id = op.key === undefined ? '' : `${typeof op.key}:${op.key}`;
    let g = groups.get(id);
    if (!g) groups.set(id, (g = []));
    g.push(op);
  }
  return [...groups.values()].map((g) => compileKey(g, model));
}

function compileKey(source: Operation[], model: RegisterModel): KeyOps {
  const values: Scalar[] = [null];
  const ids = new Map<string, number>([['null', 0]]);
  const intern = (v: Scalar): number => {
    const tag = v === null ? 'null' : `${typeof v}:${v}`;
    let id = ids.get(tag);
    if (id === undefined) {
      id = values.length;
      values.push(v);
      ids.set(tag, id);
    }
    return id;
  };

  const counts: KeyCounts = { kept: 0, pinned: 0, bounded: 0, pruned: 0, ignored: 0 };
  const rows: Row[] = [];
  for (const op of source) {
    const row = classify(op, model, intern);
    if (row) rows.push(row);
    else counts.ignored++;
  }
  const kept = tameUnknownOutcomes(rows, counts);

  const n = kept.length;
  const out: KeyOps = {
    key: source[0]?.key ?? null,
    ops: kept.map((r) => r.op),
    kind: new Uint8Array(n), a: new Int32Array(n), b: new Int32Array(n),
    start: new Float64Array(n), end: new Float64Array(n), optional: new Uint8Array(n), notBefore: firstObserverBounds(kept),
    values, counts,
  };
  kept.forEach((r, i) => {
    out.kind[i] = r.kind;
    out.a[i] = r.a;
    out.b[i] = r.b;
    out.start[i] = r.op.start;
    out.end[i] = r.end;
    out.optional[i] = r.optional ? 1 : 0;
  });
  counts.kept = n;
  return out;
}

function classify(op: Operation, model: RegisterModel, intern: (v: Scalar) => number): Row | undefined {
  const at = op.position;
  const scalar = (v: JsonValue | undefined, position: number, what: string): number => {
    if (v === undefined || !isScalar(v)) throw new HistoryShapeError(position, 'value', `${what} must be a JSON scalar, got ${JSON.stringify(v) ?? 'nothing'}`);
    return intern(v);
  };
  const row = (kind: number, a: number, b = -1, optional = false): Row => ({ op, kind, a, b, end: op.end, optional });
  switch (op.f) {
    case 'read':
      if (op.outcome !== 'ok') return undefined;
      return row(READ, scalar(op.result, op.completionPosition ?? at, "a read's ok value (what was read)"));
    case 'write': {
      const v = scalar(op.value, at, "a write's value");
      if (op.outcome === 'fail') return undefined;
      return op.outcome === 'ok' ? row(WRITE, v) : row(MAYBE_WRITE, v, -1, true);
    }
    case 'cas': {
      if (model === 'register') throw new HistoryShapeError(at, 'f', 'the register model has read and write only; use --model cas-register');
      const pair = op.value;
      if (!Array.isArray(pair) || pair.length !== 2 || !isScalar(pair[0]) || !isScalar(pair[1])) {
        throw new HistoryShapeError(at, 'value', `a cas takes [from, to] scalars, got ${JSON.stringify(pair) ?? 'nothing'}`);
      }
      const from = intern(pair[0]);
      const to = intern(pair[1]);
      if (op.outcome === 'ok') return row(CAS, from, to);
      if (op.outcome === 'info') return row(MAYBE_CAS, from, to, true);
      // Only a precondition failure is an observation; any other fail did not happen.
      return op.error === 'precondition' ? row(CAS_FAILED, from) : undefined;
    }
    default:
      throw new HistoryShapeError(at, 'f', `"${op.f}" is not an operation of the ${model} model (read, write${model === 'cas-register' ? ', cas' : ''})`);
  }
}

/**
 * In a linearization, little can sit between a write W of a value only W writes and the
 * first op that observed that value (R): a write in between would hide the value, a read
 * of another value would be illegal, a read of it would be the first observer. Only a
 * precondition failure whose `from` is not the value fits (it is legal there). So every
 * other definite op that must precede R (it ended before R began) must precede W too (an
 * optional op that took effect would too, but one that never did precedes nothing). R is
 * unknown, but it began no earlier than the earliest observer, so those that ended before
 * that must precede W. The search uses this to stop trying W early, which is what made
 * histories with many long concurrent writes slow.
 */
function firstObserverBounds(rows: Row[]): Float64Array {
  const out = new Float64Array(rows.length).fill(-Infinity);
  const writers = new Map<number, number>();
  const firstSeen = new Map<number, number>();
  for (const r of rows) {
    const w = written(r);
    if (w >= 0) writers.set(w, (writers.get(w) ?? 0) + 1);
    if (r.kind === READ || r.kind === CAS) firstSeen.set(r.a, Math.min(firstSeen.get(r.a) ?? Infinity, r.op.start));
  }
  rows.forEach((r, i) => {
    const v = written(r);
    if ((r.kind === WRITE || r.kind === CAS) && v !== 0 && writers.get(v) === 1 && firstSeen.has(v)) out[i] = firstSeen.get(v)!;
  });
  return out;
}

/** The value a row leaves in the register when it takes effect, or -1 for rows that never change it. */
function written(r: Row): number {
  return r.kind === WRITE || r.kind === MAYBE_WRITE ? r.a : r.kind === CAS || r.kind === MAYBE_CAS ? r.b : -1;
}

function tameUnknownOutcomes(rows: Row[], counts: KeyCounts): Row[] {
  const writerCount = new Map<number, number>();
  const observedUntil = new Map<number, number[]>(); // value -> ends of ok reads / ok cas that saw it
  for (const r of rows) {
    const w = written(r);
    if (w >= 0) writerCount.set(w, (writerCount.get(w) ?? 0) + 1);
    if (r.kind === READ || r.kind === CAS) {
      let list = observedUntil.get(r.a);
      if (!list) observedUntil.set(r.a, (list = []));
      list.push(r.end);
    }
  }

  // Pin: a unique, observed value proves its only writer happened before the first observer returned.
  for (const r of rows) {
    if (!r.optional) continue;
    const v = written(r);
    if (v === 0 || writerCount.get(v) !== 1) continue;
    let first = Infinity;
    for (const end of observedUntil.get(v) ?? []) if (end >= r.op.start && end < first) first = end;
    if (first === Infinity) continue;
    r.kind = r.kind === MAYBE_WRITE ? WRITE : CAS;
    r.optional = false;
    r.end = first;
    counts.pinned++;
  }

  const failed = rows.filter((r) => r.kind === CAS_FAILED);
  const satisfied = failed.length > 0 ? satisfactionIndex(rows) : () => false;
  const needy = failed.filter((c) => !satisfied(c));
  counts.pruned += failed.length - needy.length;
  const keep = new Set<Row>(rows.filter((r) => r.kind !== CAS_FAILED));
  for (const c of needy) keep.add(c);

  // Latest return among definite ops that could depend on an optional op writing v.
  const observerMax = new Map<number, number>();
  for (const r of rows) {
    if (r.optional || (r.kind !== READ && r.kind !== CAS)) continue;
    observerMax.set(r.a, Math.max(observerMax.get(r.a) ?? -Infinity, r.end));
  }
  // A precondition failure on `from` = f can be explained by any value other than f, so the
  // latest failure on some other `from` is one of the two latest with distinct `from`s.
  const failMax = new Map<number, number>();
  for (const c of needy) failMax.set(c.a, Math.max(failMax.get(c.a) ?? -Infinity, c.end));
  let top1 = { end: -Infinity, from: -1 };
  let top2 = { end: -Infinity, from: -1 };
  for (const [from, end] of failMax) {
    if (end > top1.end) [top1, top2] = [{ end, from }, top1];
    else if (end > top2.end) top2 = { end, from };
  }
  const optional = rows.filter((r) => r.optional);
  const bound = new Map<Row, number>();
  for (const r of optional) {
    const v = written(r);
    const failEnd = top1.from !== v ? top1.end : top2.end;
    const b = Math.max(observerMax.get(v) ?? -Infinity, failEnd);
    bound.set(r, b >= r.op.start ? b : -Infinity);
  }
  // An optional cas from v can only take effect after v was written: it extends v's writers' bounds.
  const chainedOn = new Map<number, Row[]>();
  for (const r of optional) {
    if (r.kind !== MAYBE_CAS) continue;
    let list = chainedOn.get(r.a);
    if (!list) chainedOn.set(r.a, (list = []));
    list.push(r);
  }
  for (let changed = true; changed; ) {
    changed = false;
    for (const r of optional) {
      for (const c of chainedOn.get(written(r)) ?? []) {
        const bc = bound.get(c)!;
        if (c !== r && bc >= r.op.start && bc > bound.get(r)!) {
          bound.set(r, bc);
          changed = true;
        }
      }
    }
  }
  for (const r of optional) {
    const b = bound.get(r)!;
    if (b === -Infinity) {
      keep.delete(r);
      counts.pruned++;
    } else {
      r.end = b;
      counts.bounded++;
    }
  }
  return rows.filter((r) => keep.has(r));
}

/**
 * Answers "does this precondition failure hold in every linearization?", in which case it
 * constrains nothing and is pruned: every op that could have left `from` in the register
 * (and the initial null, for `from` = null) is followed, entirely before the failed cas
 * began, by a definite op that wrote something else.
 */
function satisfactionIndex(rows: Row[]): (c: Row) => boolean {
  const setters = rows.filter((r) => !r.optional && (r.kind === WRITE || r.kind === CAS)).sort((x, y) => x.op.start - y.op.start);
  const starts = setters.map((s) => s.op.start);
  // Suffix argmin of return time: the setter that finishes first among those starting after t.
  const firstDone = new Int32Array(setters.length + 1).fill(-1);
  for (let i = setters.length - 1; i >= 0; i--) {
    const j = firstDone[i + 1]!;
    firstDone[i] = j >= 0 && setters[j]!.end <= setters[i]!.end ? j : i;
  }
  const writerEnds = new Map<number, number[]>();
  for (const r of rows) {
    const w = written(r);
    if (w < 0) continue;
    let list = writerEnds.get(w);
    if (!list) writerEnds.set(w, (list = []));
    list.push(r.optional ? Infinity : r.end);
  }
  const overwrittenBefore = (e: number, deadline: number, f: number): boolean => {
    if (e === Infinity) return false;
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid]! > e) hi = mid;
      else lo = mid + 1;
    }
    const j = firstDone[lo]!;
    if (j < 0 || setters[j]!.end >= deadline) return false;
    if (written(setters[j]!) !== f) return true;
    // Rare: the first to finish rewrote f itself; look for another that wrote something else.
    for (let i = lo; i < setters.length; i++) if (setters[i]!.end < deadline && written(setters[i]!) !== f) return true;
    return false;
  };
  return (c) => {
    const ends = c.a === 0 ? [-Infinity, ...(writerEnds.get(0) ?? [])] : (writerEnds.get(c.a) ?? []);
    return ends.every((e) => overwrittenBefore(e, c.op.start, c.a));
  };
}
