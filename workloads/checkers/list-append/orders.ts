/**
 * The version order of each key, read off the lists themselves (Elle, Kingsbury & Alvaro,
 * VLDB 2020, §4: "traceability" and "recoverability"). Appends only ever extend a list, so
 * every committed read of a key must be a prefix of every longer one; the longest read is
 * then the order of every element anyone saw, and a read of length n is the version right
 * after the n-th element's append. Reads that break this (neither a prefix of the other, or
 * the same element twice) are anomalies in themselves and take no part in inference, so
 * one bad read cannot invent dependencies for the others.
 */
import type { Key, Scalar } from '../../history.js';
import type { Txn } from './txns.js';

export interface ReadSite {
  txn: Txn;
  /** Position of the read among the transaction's micro-ops. */
  op: number;
  key: Key;
  list: Scalar[];
  /**
   * The transaction's first read of the key, before any append of its own to it: the
   * version it saw from others (Adya's "external" read). Later reads of the key in the
   * same transaction only show its own appends on top.
   */
  external: boolean;
  /** Usable for inference: no duplicate element, and a prefix of the key's order. */
  usable: boolean;
  /** The first element it holds twice, if any. */
  duplicate?: Scalar;
}

export interface KeyOrder {
  elements: Scalar[];
  /** element -> its position in `elements`. */
  position: Map<Scalar, number>;
}

/** Every read of an ok transaction whose result is known, in transaction order. */
export function collectReads(txns: readonly Txn[]): ReadSite[] {
  const reads: ReadSite[] = [];
  for (const txn of txns) {
    if (txn.outcome !== 'ok') continue;
    const touched = new Set<Key>();
    txn.ops.forEach((m, op) => {
      if (m.f === 'append') {
        touched.add(m.key);
        return;
      }
      if (m.result === undefined) return;
      reads.push({ txn, op, key: m.key, list: m.result, external: !touched.has(m.key), usable: true });
      touched.add(m.key);
    });
  }
  return reads;
}

export interface OrderConflict {
  key: Key;
  /** The longest read, and one that is not a prefix of it. */
  longest: ReadSite;
  other: ReadSite;
}

/** Mark a read that holds an element twice; true if it does. */
function markDuplicate(r: ReadSite): boolean {
  const seen = new Set<Scalar>();
  for (const v of r.list) {
    if (seen.has(v)) {
      r.duplicate = v;
      r.usable = false;
      return true;
    }
    seen.add(v);
  }
  return false;
}

/**
 * Each key's order from its longest read without a duplicate; reads that are not a prefix
 * of it are marked unusable and reported (the first such read per key), and so are reads
 * with a duplicate. Only the candidates for the order and the reads that are not prefixes
 * need a duplicate check: a prefix of a list without duplicates has none.
 */
export function inferOrders(reads: readonly ReadSite[]): { orders: Map<Key, KeyOrder>; conflicts: OrderConflict[] } {
  const byKey = new Map<Key, ReadSite[]>();
  for (const r of reads) {
    const list = byKey.get(r.key);
    if (list) list.push(r);
    else byKey.set(r.key, [r]);
  }
  const longest = new Map<Key, ReadSite>();
  const orders = new Map<Key, KeyOrder>();
  for (const [key, rs] of byKey) {
    const candidates = [...rs].sort((a, b) => b.list.length - a.list.length);
    const best = candidates.find((r) => !markDuplicate(r));
    if (!best) continue;
    longest.set(key, best);
    const position = new Map<Scalar, number>();
    best.list.forEach((v, i) => position.set(v, i));
    orders.set(key, { elements: best.list, position });
  }
  const conflicts: OrderConflict[] = [];
  const reported = new Set<Key>();
  for (const r of reads) {
    if (!r.usable) continue;
    const order = orders.get(r.key);
    if (!order) continue;
    let prefix = true;
    for (let i = 0; i < r.list.length; i++) {
      if (r.list[i] !== order.elements[i]) {
        prefix = false;
        break;
      }
    }
    if (prefix || markDuplicate(r)) continue;
    r.usable = false;
    if (!reported.has(r.key)) {
      reported.add(r.key);
      conflicts.push({ key: r.key, longest: longest.get(r.key)!, other: r });
    }
  }
  return { orders, conflicts };
}
