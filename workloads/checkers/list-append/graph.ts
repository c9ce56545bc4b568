/**
 * The dependency graph of the committed transactions (Adya 1999, §3; Elle §4.2), inferred
 * from each key's version order:
 *
 *   ww  T1 -> T2: T2 appended the element right after T1's in the key's order;
 *   wr  T1 -> T2: T2's (external) read of the key ends in T1's element;
 *   rw  T1 -> T2: T1's (external) read of the key is the version T2's append came right after.
 *
 * Only direct successors are edges; the rest follows by transitivity, which is what keeps
 * the graph linear in the size of the history. Transactions that failed are left out (a
 * read of their element is G1a, reported on its own); transactions of unknown outcome are in
 * when someone saw their element, since that proves they committed. Stored as compressed
 * rows (CSR) so a search walks typed arrays, not objects.
 */
import type { Key, Scalar } from '../../history.js';
import type { KeyOrder, ReadSite } from './orders.js';
import type { AppendSite, Txn } from './txns.js';

export const WW = 0;
export const WR = 1;
export const RW = 2;
export const EDGE_NAMES = ['ww', 'wr', 'rw'] as const;
/** Bit masks of edge types a search may follow. */
export const MASK_WW = 1 << WW;
export const MASK_WW_WR = (1 << WW) | (1 << WR);
export const MASK_ALL = (1 << WW) | (1 << WR) | (1 << RW);

export interface DependencyGraph {
  /** One node per transaction (its id). */
  size: number;
  /** Edges of node v are `offsets[v]` to `offsets[v + 1] - 1`. */
  offsets: Int32Array;
  targets: Int32Array;
  types: Uint8Array;
  keys: Key[];
  values: Scalar[];
  counts: { ww: number; wr: number; rw: number };
}

export function buildGraph(
  txns: readonly Txn[],
  appends: ReadonlyMap<Key, ReadonlyMap<Scalar, AppendSite>>,
  reads: readonly ReadSite[],
  orders: ReadonlyMap<Key, KeyOrder>,
): DependencyGraph {
  const from: number[] = [];
  const to: number[] = [];
  const types: number[] = [];
  const keys: Key[] = [];
  const values: Scalar[] = [];
  const add = (a: Txn, b: Txn, type: number, key: Key, value: Scalar) => {
    if (a === b) return;
    from.push(a.id);
    to.push(b.id);
    types.push(type);
    keys.push(key);
    values.push(value);
  };
  const writer = (key: Key, value: Scalar | undefined): Txn | undefined => {
    if (value === undefined) return undefined;
    const site = appends.get(key)?.get(value);
    return site && site.txn.outcome !== 'fail' ? site.txn : undefined;
  };

  for (const [key, order] of orders) {
    const els = order.elements;
    for (let i = 0; i + 1 < els.length; i++) {
      const a = writer(key, els[i]);
      const b = writer(key, els[i + 1]);
      if (a && b) add(a, b, WW, key, els[i + 1]!);
    }
  }
  for (const r of reads) {
    if (!r.usable || !r.external) continue;
    const order = orders.get(r.key)!;
    const last = r.list.at(-1);
    const w = writer(r.key, last);
    if (w) add(w, r.txn, WR, r.key, last!);
    const next = order.elements[r.list.length];
    const n = writer(r.key, next);
    if (n) add(r.txn, n, RW, r.key, next!);
  }

  // Counting sort by source into compressed rows.
  const size = txns.length;
  const offsets = new Int32Array(size + 1);
  for (const a of from) offsets[a + 1]!++;
  for (let v = 0; v < size; v++) offsets[v + 1]! += offsets[v]!;
  const fill = offsets.slice(0, size);
  const out = { targets: new Int32Array(from.length), types: new Uint8Array(from.length), keys: new Array<Key>(from.length), values: new Array<Scalar>(from.length) };
  for (let e = 0; e < from.length; e++) {
    const at = fill[from[e]!]!++;
    out.targets[at] = to[e]!;
    out.types[at] = types[e]!;
    out.keys[at] = keys[e]!;
    out.values[at] = values[e]!;
  }
  const counts = { ww: 0, wr: 0, rw: 0 };
  for (const t of types) counts[EDGE_NAMES[t]!]++;
  return { size, offsets, ...out, counts };
}
