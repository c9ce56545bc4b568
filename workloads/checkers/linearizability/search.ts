/**
 * The linearizability search for one key: Wing & Gong (1993) with Lowe's memoization
 * (Lowe 2017, "Testing for linearizability"), laid out as Porcupine does it.
 *
 * The history is a doubly linked list of call and return entries in time order. From the
 * head, every call entry before the first return entry is an operation that may take
 * effect next (it has begun, and everything that must precede it has been placed). The
 * search tries them in order; placing one "lifts" its call and return out of the list and
 * restarts from the head. Reaching a return entry means its operation should already have
 * been placed: backtrack. Lowe's memo keeps it tractable in practice: the future of the
 * search depends only on (set of placed ops, register value), so a configuration seen
 * once is never explored again.
 *
 * parley's addition is the optional operation (an info op, see register-ops.ts): at its
 * return entry (its bound) it may be resolved as "never took effect" instead of
 * backtracking. Skipped and placed ops share one bit in the memo key: both leave the same
 * register value and the same remaining work, so they are the same configuration.
 *
 * Everything is typed arrays, because the inner loop runs millions of times: the entry
 * list (next/prev), the placed set (a Uint32Array bitset with an incremental Zobrist hash),
 * and the memo (a pool of bitsets chained per hash bucket).
 */
import { Random } from '../../../nodes/common/random.js';
import { CAS, CAS_FAILED, MAYBE_CAS, MAYBE_WRITE, READ, WRITE, type KeyOps } from './register-ops.js';

export interface SearchLimits {
  /** performance.now() value after which the search gives up with 'unknown'. */
  deadline: number;
  /** Most 32-bit words of memo the search may hold (each memo entry costs ceil(n/32) + 2). */
  maxMemoWords: number;
  /**
   * Use KeyOps.notBefore. On by default: it only prunes, but it moves the point where a
   * failing search gets stuck onto the write, so the explanation of a violation is found
   * again without it.
   */
  observerBounds?: boolean;
}

export type SearchResult =
  | { outcome: 'linearizable'; configurations: number }
  | {
      outcome: 'not-linearizable';
      configurations: number;
      /** Rows placed by the longest partial linearization, in order (skipped optional rows excluded). */
      prefix: number[];
      /** The row no order could place before its return. */
      stuck: number;
      /** Value id in the register after the prefix. */
      stateBefore: number;
    }
  | { outcome: 'unknown'; reason: 'time-limit' | 'state-limit'; configurations: number };

const NIL = -1;
const HEAD = 0;

/** Next register value after row `i` takes effect in `state`, or -1 if it cannot take effect there. */
function step(kind: number, a: number, b: number, state: number): number {
  switch (kind) {
    case READ:
      return state === a ? state : -1;
    case WRITE:
      return a;
    case CAS:
      return state === a ? b : -1;
    case CAS_FAILED:
      return state !== a ? state : -1;
    case MAYBE_WRITE:
      // Writing the value already there is the same as never writing it, which the skip covers.
      return state !== a ? a : -1;
    case MAYBE_CAS:
      // A cas that finds another value changes nothing: the same as never happening.
      return state === a && a !== b ? b : -1;
    default:
      return -1;
  }
}

export function searchKey(k: KeyOps, limits: SearchLimits): SearchResult {
  const n = k.kind.length;
  if (n === 0) return { outcome: 'linearizable', configurations: 0 };
  const notBefore = limits.observerBounds === false ? new Float64Array(n).fill(-Infinity) : k.notBefore;

  // Entries 2i (call) and 2i+1 (return) of row i, as list nodes 1..2n; node 0 is the head.
  // At equal times calls sort before returns: the ops are then concurrent, the lenient reading
  // of two clocks that cannot tell which came first (Porcupine does the same).
  const order = new Int32Array(2 * n);
  for (let e = 0; e < 2 * n; e++) order[e] = e;
  const timeOf = (e: number): number => ((e & 1) === 0 ? k.start[e >> 1]! : k.end[e >> 1]!);
  order.sort((x, y) => timeOf(x) - timeOf(y) || (x & 1) - (y & 1) || x - y);
  const next = new Int32Array(2 * n + 1);
  const prev = new Int32Array(2 * n + 1);
  let last = HEAD;
  for (const e of order) {
    next[last] = e + 1;
    prev[e + 1] = last;
    last = e + 1;
  }
  next[last] = NIL;
  prev[HEAD] = NIL;

  const lift = (row: number): void => {
    const c = 2 * row + 1;
    const r = 2 * row + 2;
    next[prev[c]!] = next[c]!;
    if (next[c] !== NIL) prev[next[c]!] = prev[c]!;
    next[prev[r]!] = next[r]!;
    if (next[r] !== NIL) prev[next[r]!] = prev[r]!;
  };
  const unlift = (row: number): void => {
    const c = 2 * row + 1;
    const r = 2 * row + 2;
    next[prev[r]!] = r;
    if (next[r] !== NIL) prev[next[r]!] = r;
    next[prev[c]!] = c;
    if (next[c] !== NIL) prev[next[c]!] = c;
  };

  // Placed set and its Zobrist hash (xor of a random word per row: O(1) to update).
  const words = (n + 31) >>> 5;
  const placed = new Uint32Array(words);
  const zobrist = new Int32Array(n);
  const rng = new Random(0x5eed);
  for (let i = 0; i < n; i++) zobrist[i] = rng.int(-0x80000000, 0x7fffffff);
  let hash = 0;

  // Memo: bucket -> chain of entries; entry j holds a bitset at pool[j*words..] and a state.
  const bucketBits = 20;
  const buckets = new Int32Array(1 << bucketBits).fill(-1);
  let capacity = 1024;
  let pool = new Uint32Array(capacity * words);
  let poolState = new Int32Array(capacity);
  let poolNext = new Int32Array(capacity);
  let entries = 0;
  const maxEntries = Math.max(1024, Math.floor(limits.maxMemoWords / (words + 2)));
  let memoFull = false;

  /** Record (placed, state); false if it was already there. */
  const remember = (state: number): boolean => {
    const h = (hash ^ Math.imul(state + 1, 0x9e3779b1)) >>> (32 - bucketBits);
    for (let j = buckets[h]!; j !== -1; j = poolNext[j]!) {
      if (poolState[j] !== state) continue;
      const base = j * words;
      let same = true;
      for (let w = 0; w < words; w++) {
        if (pool[base + w] !== placed[w]) {
          same = false;
          break;
        }
      }
      if (same) return false;
    }
    if (entries === capacity) {
      if (capacity >= maxEntries) {
        memoFull = true;
        return false;
      }
      capacity = Math.min(maxEntries, capacity * 2);
      const grownPool = new Uint32Array(capacity * words);
      grownPool.set(pool);
      pool = grownPool;
      const grownState = new Int32Array(capacity);
      grownState.set(poolState);
      poolState = grownState;
      const grownNext = new Int32Array(capacity);
      grownNext.set(poolNext);
      poolNext = grownNext;
    }
    pool.set(placed, entries * words);
    poolState[entries] = state;
    poolNext[entries] = buckets[h]!;
    buckets[h] = entries;
    entries++;
    return true;
  };

  // The stack of placements: row, register value before it, and whether it was forced (a
  // skip, or an op that changes nothing): undoing a forced one goes on backtracking.
  const stackRow = new Int32Array(n);
  const stackState = new Int32Array(n);
  const stackMode = new Uint8Array(n);
  const PLACED = 0;
  const FORCED = 1;
  const SKIPPED = 2;
  let depth = 0;

  let best = { depth: -1, prefix: [] as number[], stuck: -1, state: 0 };
  let state = 0;
  let cursor = next[HEAD]!;
  let iterations = 0;

  const place = (row: number, newState: number, mode: number): void => {
    stackRow[depth] = row;
    stackState[depth] = state;
    stackMode[depth] = mode;
    depth++;
    state = newState;
    lift(row);
    cursor = next[HEAD]!;
  };
  /**
   * True when every unplaced op that would have to precede `row` ends at or after `t`:
   * all definite ops but `row` itself and precondition failures on another value than the
   * one `row` writes (register-ops.ts, firstObserverBounds). Optional ops are exempt: one
   * that never takes effect precedes nothing.
   */
  const settledBefore = (from: number, row: number, t: number): boolean => {
    const v = k.kind[row] === CAS ? k.b[row]! : k.a[row]!;
    for (let node = from; node !== NIL; node = next[node]!) {
      const e = node - 1;
      if ((e & 1) === 0) continue;
      const other = e >> 1;
      if (other === row || k.optional[other] === 1 || (k.kind[other] === CAS_FAILED && k.a[other] !== v)) continue;
      return timeOf(e) >= t;
    }
    return true;
  };
  const mark = (row: number): void => {
    placed[row >>> 5]! ^= 1 << (row & 31);
    hash ^= zobrist[row]!;
  };

  while (next[HEAD] !== NIL) {
    if ((++iterations & 0x3fff) === 0 && performance.now() > limits.deadline) {
      return { outcome: 'unknown', reason: 'time-limit', configurations: entries };
    }
    const e = cursor - 1;
    const row = e >> 1;
    if ((e & 1) === 0) {
      const kind = k.kind[row]!;
      const s = step(kind, k.a[row]!, k.b[row]!, state);
      if (s >= 0 && (notBefore[row] === -Infinity || settledBefore(cursor, row, notBefore[row]!))) {
        mark(row);
        if (remember(s)) {
          // An op that leaves the register unchanged and can take effect now may as well
          // take effect now: moving it to the front of any completion of this configuration
          // breaks no real-time order (it is a candidate) and changes no state. So if this
          // placement fails, so does the configuration: no other candidate is tried here.
          place(row, s, kind === READ || kind === CAS_FAILED ? FORCED : PLACED);
          continue;
        }
        mark(row);
        if (memoFull) return { outcome: 'unknown', reason: 'state-limit', configurations: entries };
      }
      cursor = next[cursor]!;
      continue;
    }
    // The return of an unplaced row: it had to take effect by now.
    if (k.optional[row] === 1) {
      mark(row);
      if (remember(state)) {
        place(row, state, SKIPPED);
        continue;
      }
      mark(row);
      if (memoFull) return { outcome: 'unknown', reason: 'state-limit', configurations: entries };
    } else if (depth > best.depth) {
      const prefix: number[] = [];
      for (let d = 0; d < depth; d++) if (stackMode[d] !== SKIPPED) prefix.push(stackRow[d]!);
      best = { depth, prefix, stuck: row, state };
    }
    // Backtrack to the last unforced placement and try the next candidate after it. A skip
    // happens at a return entry, with no candidates after it; a forced read was the only
    // move worth trying (see above).
    for (;;) {
      if (depth === 0) {
        return { outcome: 'not-linearizable', configurations: entries, prefix: best.prefix, stuck: best.stuck, stateBefore: best.state };
      }
      depth--;
      const undone = stackRow[depth]!;
      mark(undone);
      unlift(undone);
      state = stackState[depth]!;
      if (stackMode[depth] === PLACED) {
        cursor = next[2 * undone + 1]!;
        break;
      }
    }
  }
  return { outcome: 'linearizable', configurations: entries };
}
