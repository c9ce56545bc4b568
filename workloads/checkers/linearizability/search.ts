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
  if (k.kind.length === 0) return { outcome: 'linearizable', configurations: 0 };
  return new KeySearch(k, limits).run();
}

/**
 * The history as a doubly linked list of entries: 2i (call) and 2i+1 (return) of row i are
 * list nodes 2i+1 and 2i+2; node 0 is the head. Lifting a row takes both its entries out,
 * unlifting puts them back where they were (the list remembers their neighbours).
 */
class EntryList {
  readonly next: Int32Array;
  readonly prev: Int32Array;

  constructor(n: number, timeOf: (e: number) => number) {
    // At equal times calls sort before returns: the ops are then concurrent, the lenient
    // reading of two clocks that cannot tell which came first (Porcupine does the same).
    const order = new Int32Array(2 * n);
    for (let e = 0; e < 2 * n; e++) order[e] = e;
    order.sort((x, y) => timeOf(x) - timeOf(y) || (x & 1) - (y & 1) || x - y);
    this.next = new Int32Array(2 * n + 1);
    this.prev = new Int32Array(2 * n + 1);
    let last = HEAD;
    for (const e of order) {
      this.next[last] = e + 1;
      this.prev[e + 1] = last;
      last = e + 1;
    }
    this.next[last] = NIL;
    this.prev[HEAD] = NIL;
  }

  lift(row: number): void {
    const { next, prev } = this;
    const c = 2 * row + 1;
    const r = 2 * row + 2;
    next[prev[c]!] = next[c]!;
    if (next[c] !== NIL) prev[next[c]!] = prev[c]!;
    next[prev[r]!] = next[r]!;
    if (next[r] !== NIL) prev[next[r]!] = prev[r]!;
  }

  unlift(row: number): void {
    const { next, prev } = this;
    const c = 2 * row + 1;
    const r = 2 * row + 2;
    next[prev[r]!] = r;
    if (next[r] !== NIL) prev[next[r]!] = r;
    next[prev[c]!] = c;
    if (next[c] !== NIL) prev[next[c]!] = c;
  }
}

/** The rows placed (or skipped) so far, a bitset, and its Zobrist hash: a random word per row xored in, O(1) to update. */
class PlacedSet {
  readonly words: number;
  readonly bits: Uint32Array;
  hash = 0;
  private readonly zobrist: Int32Array;

  constructor(n: number) {
    this.words = (n + 31) >>> 5;
    this.bits = new Uint32Array(this.words);
    this.zobrist = new Int32Array(n);
    const rng = new Random(0x5eed);
    for (let i = 0; i < n; i++) this.zobrist[i] = rng.int(-0x80000000, 0x7fffffff);
  }

  /** Add `row` if absent, remove it if present. */
  toggle(row: number): void {
    this.bits[row >>> 5]! ^= 1 << (row & 31);
    this.hash ^= this.zobrist[row]!;
  }
}

const BUCKET_BITS = 20;

/**
 * Lowe's memo: the configurations (placed set, register value) already explored. A hash
 * bucket chains entries; entry j holds a copy of the bitset at pool[j*words..] and a value.
 * It grows by doubling up to what `maxMemoWords` allows, then reports itself full.
 */
class Memo {
  entries = 0;
  full = false;
  private readonly buckets = new Int32Array(1 << BUCKET_BITS).fill(-1);
  private capacity = 1024;
  private pool: Uint32Array;
  private poolState: Int32Array;
  private poolNext: Int32Array;
  private readonly maxEntries: number;

  constructor(private readonly words: number, maxMemoWords: number) {
    this.pool = new Uint32Array(this.capacity * words);
    this.poolState = new Int32Array(this.capacity);
    this.poolNext = new Int32Array(this.capacity);
    this.maxEntries = Math.max(1024, Math.floor(maxMemoWords / (words + 2)));
  }

  /** Record (placed, state); false if it was already there, or if the memo is full (then `full` is set). */
  remember(placed: PlacedSet, state: number): boolean {
    const { words, pool } = this;
    const bits = placed.bits;
    const h = (placed.hash ^ Math.imul(state + 1, 0x9e3779b1)) >>> (32 - BUCKET_BITS);
    for (let j = this.buckets[h]!; j !== -1; j = this.poolNext[j]!) {
      if (this.poolState[j] !== state) continue;
      const base = j * words;
      let same = true;
      for (let w = 0; w < words; w++) {
        if (pool[base + w] !== bits[w]) {
          same = false;
          break;
        }
      }
      if (same) return false;
    }
    if (this.entries === this.capacity) {
      if (this.capacity >= this.maxEntries) {
        this.full = true;
        return false;
      }
      this.grow();
    }
    this.pool.set(bits, this.entries * words);
    this.poolState[this.entries] = state;
    this.poolNext[this.entries] = this.buckets[h]!;
    this.buckets[h] = this.entries;
    this.entries++;
    return true;
  }

  private grow(): void {
    this.capacity = Math.min(this.maxEntries, this.capacity * 2);
    const grownPool = new Uint32Array(this.capacity * this.words);
    grownPool.set(this.pool);
    this.pool = grownPool;
    const grownState = new Int32Array(this.capacity);
    grownState.set(this.poolState);
    this.poolState = grownState;
    const grownNext = new Int32Array(this.capacity);
    grownNext.set(this.poolNext);
    this.poolNext = grownNext;
  }
}

// How a row went on the placement stack. FORCED: a skip, or an op that changes nothing;
// undoing a forced placement goes on backtracking (see KeySearch.atCall).
const PLACED = 0;
const FORCED = 1;
const SKIPPED = 2;

/** One key's search: the loop over entries from the head, placing, skipping and backtracking. */
class KeySearch {
  private readonly notBefore: Float64Array;
  private readonly list: EntryList;
  private readonly placed: PlacedSet;
  private readonly memo: Memo;
  // The stack of placements: row, register value before it, and how it was placed.
  private readonly stackRow: Int32Array;
  private readonly stackState: Int32Array;
  private readonly stackMode: Uint8Array;
  private depth = 0;
  private state = 0;
  private cursor: number;
  /** The longest partial linearization seen, and the row that stopped it: the explanation of a violation. */
  private best = { depth: -1, prefix: [] as number[], stuck: -1, state: 0 };

  constructor(
    private readonly k: KeyOps,
    private readonly limits: SearchLimits,
  ) {
    const n = k.kind.length;
    this.notBefore = limits.observerBounds === false ? new Float64Array(n).fill(-Infinity) : k.notBefore;
    this.list = new EntryList(n, (e) => this.timeOf(e));
    this.placed = new PlacedSet(n);
    this.memo = new Memo(this.placed.words, limits.maxMemoWords);
    this.stackRow = new Int32Array(n);
    this.stackState = new Int32Array(n);
    this.stackMode = new Uint8Array(n);
    this.cursor = this.list.next[HEAD]!;
  }

  private timeOf(e: number): number {
    return (e & 1) === 0 ? this.k.start[e >> 1]! : this.k.end[e >> 1]!;
  }

  run(): SearchResult {
    const next = this.list.next;
    let iterations = 0;
    while (next[HEAD] !== NIL) {
      if ((++iterations & 0x3fff) === 0 && performance.now() > this.limits.deadline) {
        return { outcome: 'unknown', reason: 'time-limit', configurations: this.memo.entries };
      }
      const e = this.cursor - 1;
      const ended = (e & 1) === 0 ? this.atCall(e >> 1) : this.atReturn(e >> 1);
      if (ended) return ended;
    }
    return { outcome: 'linearizable', configurations: this.memo.entries };
  }

  /** A call entry: place its row if it can take effect now into a configuration not seen before; else try the next entry. */
  private atCall(row: number): SearchResult | null {
    const { k } = this;
    const kind = k.kind[row]!;
    const s = step(kind, k.a[row]!, k.b[row]!, this.state);
    if (s >= 0 && (this.notBefore[row] === -Infinity || this.settledBefore(this.cursor, row, this.notBefore[row]!))) {
      this.placed.toggle(row);
      if (this.memo.remember(this.placed, s)) {
        // An op that leaves the register unchanged and can take effect now may as well
        // take effect now: moving it to the front of any completion of this configuration
        // breaks no real-time order (it is a candidate) and changes no state. So if this
        // placement fails, so does the configuration: no other candidate is tried here.
        this.place(row, s, kind === READ || kind === CAS_FAILED ? FORCED : PLACED);
        return null;
      }
      this.placed.toggle(row);
      if (this.memo.full) return this.memoFull();
    }
    this.cursor = this.list.next[this.cursor]!;
    return null;
  }

  /** The return of an unplaced row: it had to take effect by now. Skip it if it is optional, else backtrack. */
  private atReturn(row: number): SearchResult | null {
    if (this.k.optional[row] === 1) {
      this.placed.toggle(row);
      if (this.memo.remember(this.placed, this.state)) {
        this.place(row, this.state, SKIPPED);
        return null;
      }
      this.placed.toggle(row);
      if (this.memo.full) return this.memoFull();
    } else if (this.depth > this.best.depth) {
      const prefix: number[] = [];
      for (let d = 0; d < this.depth; d++) if (this.stackMode[d] !== SKIPPED) prefix.push(this.stackRow[d]!);
      this.best = { depth: this.depth, prefix, stuck: row, state: this.state };
    }
    return this.backtrack();
  }

  /**
   * Back to the last unforced placement, to try the next candidate after it. A skip
   * happens at a return entry, with no candidates after it; a forced read was the only
   * move worth trying (atCall). With nothing left to undo, no order works.
   */
  private backtrack(): SearchResult | null {
    for (;;) {
      if (this.depth === 0) {
        const { best } = this;
        return { outcome: 'not-linearizable', configurations: this.memo.entries, prefix: best.prefix, stuck: best.stuck, stateBefore: best.state };
      }
      const depth = --this.depth;
      const undone = this.stackRow[depth]!;
      this.placed.toggle(undone);
      this.list.unlift(undone);
      this.state = this.stackState[depth]!;
      if (this.stackMode[depth] === PLACED) {
        this.cursor = this.list.next[2 * undone + 1]!;
        return null;
      }
    }
  }

  private place(row: number, newState: number, mode: number): void {
    this.stackRow[this.depth] = row;
    this.stackState[this.depth] = this.state;
    this.stackMode[this.depth] = mode;
    this.depth++;
    this.state = newState;
    this.list.lift(row);
    this.cursor = this.list.next[HEAD]!;
  }

  /**
   * True when every unplaced op that would have to precede `row` ends at or after `t`:
   * all definite ops but `row` itself and precondition failures on another value than the
   * one `row` writes (register-ops.ts, firstObserverBounds). Optional ops are exempt: one
   * that never takes effect precedes nothing.
   */
  private settledBefore(from: number, row: number, t: number): boolean {
    const { k } = this;
    const next = this.list.next;
    const v = k.kind[row] === CAS ? k.b[row]! : k.a[row]!;
    for (let node = from; node !== NIL; node = next[node]!) {
      const e = node - 1;
      if ((e & 1) === 0) continue;
      const other = e >> 1;
      if (other === row || k.optional[other] === 1 || (k.kind[other] === CAS_FAILED && k.a[other] !== v)) continue;
      return this.timeOf(e) >= t;
    }
    return true;
  }

  private memoFull(): SearchResult {
    return { outcome: 'unknown', reason: 'state-limit', configurations: this.memo.entries };
  }
}
