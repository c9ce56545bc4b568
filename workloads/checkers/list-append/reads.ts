/**
 * The anomalies a single read (or a pair of reads) shows without any cycle (Adya 1999;
 * Elle §4.1 and §5):
 *
 *   G1a  aborted read: an element appended by a transaction that failed;
 *   G1b  intermediate read: a list ending in an element its writer followed with another
 *        append to the same key (a state no committed transaction left);
 *   garbage-read, duplicate-elements: an element nobody appended, or one present twice;
 *   internal: a transaction's read that disagrees with its own earlier read and appends;
 *   lost-update: two committed transactions read the same version of a key and both
 *        appended to it (one of them should have seen the other's append);
 *   lost-append: a read that began after an append to its key was acknowledged, and
 *        lacks it. Raft, Paxos and 2PC promise strict serializability, so a transaction
 *        acknowledged before another began must be visible to it; after a crash this is
 *        how an acknowledged write that did not survive shows (the final reads).
 */
import type { Key, Scalar } from '../../history.js';
import type { ListAppendAnomaly } from '../verdict.js';
import type { KeyOrder, OrderConflict, ReadSite } from './orders.js';
import { viewOf, type AppendSite, type Txn } from './txns.js';

const show = (list: readonly Scalar[]) => JSON.stringify(list);

/** Every element of a read that names a bad writer: nobody, or a failed transaction. Each (key, element) once. */
function badElements(reads: readonly ReadSite[], appends: ReadonlyMap<Key, ReadonlyMap<Scalar, AppendSite>>, orders: ReadonlyMap<Key, KeyOrder>, out: ListAppendAnomaly[]): void {
  const reported = new Map<Key, Set<Scalar>>();
  const report = (key: Key, value: Scalar, reader: Txn) => {
    let set = reported.get(key);
    if (!set) reported.set(key, (set = new Set()));
    if (set.has(value)) return;
    set.add(value);
    const site = appends.get(key)?.get(value);
    if (!site) out.push({ type: 'garbage-read', key, value, reader: viewOf(reader) });
    else out.push({ type: 'G1a', key, value, reader: viewOf(reader), writer: viewOf(site.txn) });
  };
  const bad = (key: Key, value: Scalar) => {
    const site = appends.get(key)?.get(value);
    return !site || site.txn.outcome === 'fail';
  };
  // Usable reads are prefixes of their key's order: check the order once, then name the
  // first read that holds each bad element.
  const firstReader = new Map<Key, ReadSite[]>();
  for (const r of reads) {
    if (!r.usable) {
      for (const v of r.list) if (bad(r.key, v)) report(r.key, v, r.txn);
      continue;
    }
    let list = firstReader.get(r.key);
    if (!list) firstReader.set(r.key, (list = []));
    list.push(r);
  }
  for (const [key, order] of orders) {
    order.elements.forEach((v, i) => {
      if (!bad(key, v)) return;
      const reader = firstReader.get(key)!.find((r) => r.list.length > i)!;
      report(key, v, reader.txn);
    });
  }
}

/** A read's list ends in an element whose writer appended to the key again afterwards. */
function intermediateReads(reads: readonly ReadSite[], appends: ReadonlyMap<Key, ReadonlyMap<Scalar, AppendSite>>, out: ListAppendAnomaly[]): void {
  for (const r of reads) {
    if (!r.usable || !r.external || r.list.length === 0) continue;
    const value = r.list.at(-1)!;
    const site = appends.get(r.key)?.get(value);
    if (!site || site.txn === r.txn || site.txn.outcome === 'fail' || !site.overwritten) continue;
    out.push({ type: 'G1b', key: r.key, value, reader: viewOf(r.txn), writer: viewOf(site.txn) });
  }
}

/** Within one transaction, reads of a key must follow its own earlier read and appends. */
function internalReads(txns: readonly Txn[], out: ListAppendAnomaly[]): void {
  for (const txn of txns) {
    if (txn.outcome !== 'ok' || txn.ops.length < 2) continue;
    // Per key: the last list read here (null: none yet) and the appends made since.
    const state = new Map<Key, { read: readonly Scalar[] | null; since: Scalar[] }>();
    for (const m of txn.ops) {
      let s = state.get(m.key);
      if (!s) state.set(m.key, (s = { read: null, since: [] }));
      if (m.f === 'append') {
        s.since.push(m.value);
        continue;
      }
      if (m.result === undefined) continue;
      const list = m.result;
      const base = s.read;
      const tail = s.since;
      const holds = (i: number) => (base && i < base.length ? base[i] : tail[i - (base ? base.length : list.length - tail.length)]);
      const expectedLength = base ? base.length + tail.length : list.length;
      let ok = list.length === expectedLength && list.length >= tail.length;
      for (let i = base ? 0 : list.length - tail.length; ok && i < list.length; i++) ok = list[i] === holds(i);
      if (!ok) out.push({ type: 'internal', key: m.key, expected: base ? show([...base, ...tail]) : `a list ending in ${show(tail)}`, reader: viewOf(txn) });
      s.read = list;
      s.since = [];
    }
  }
}

/** Committed transactions that read one version of a key and then appended to it. */
function lostUpdates(reads: readonly ReadSite[], out: ListAppendAnomaly[]): void {
  const byVersion = new Map<Key, Map<number, ReadSite[]>>();
  for (const r of reads) {
    if (!r.usable || !r.external) continue;
    if (!r.txn.ops.some((m, i) => i > r.op && m.f === 'append' && m.key === r.key)) continue;
    let versions = byVersion.get(r.key);
    if (!versions) byVersion.set(r.key, (versions = new Map()));
    const list = versions.get(r.list.length);
    if (list) list.push(r);
    else versions.set(r.list.length, [r]);
  }
  for (const [key, versions] of byVersion) {
    for (const rs of versions.values()) {
      if (rs.length > 1) out.push({ type: 'lost-update', key, read: rs[0]!.list, txns: rs.map((r) => viewOf(r.txn)) });
    }
  }
}

/**
 * Reads that began after an append to their key was acknowledged and lack it. Per key, the
 * acknowledged appends sorted by acknowledgement time with a running maximum of their
 * position in the key's order: a read of length n that began after the first j of them
 * holds them all exactly when that maximum over j is below n (O(log n) per read).
 */
function lostAppends(txns: readonly Txn[], reads: readonly ReadSite[], orders: ReadonlyMap<Key, KeyOrder>, out: ListAppendAnomaly[]): void {
  const acked = new Map<Key, { value: Scalar; txn: Txn }[]>();
  for (const txn of txns) {
    if (txn.outcome !== 'ok') continue;
    for (const m of txn.ops) {
      if (m.f !== 'append') continue;
      let list = acked.get(m.key);
      if (!list) acked.set(m.key, (list = []));
      list.push({ value: m.value, txn });
    }
  }
  const prepared = new Map<Key, { ends: Float64Array; maxPos: Float64Array; list: { value: Scalar; txn: Txn; pos: number }[] }>();
  for (const [key, list] of acked) {
    const order = orders.get(key);
    const sorted = list.map((a) => ({ ...a, pos: order?.position.get(a.value) ?? Infinity })).sort((a, b) => a.txn.end - b.txn.end);
    const ends = new Float64Array(sorted.length);
    const maxPos = new Float64Array(sorted.length);
    let max = -1;
    sorted.forEach((a, i) => {
      ends[i] = a.txn.end;
      max = Math.max(max, a.pos);
      maxPos[i] = max;
    });
    prepared.set(key, { ends, maxPos, list: sorted });
  }
  for (const r of reads) {
    if (!r.usable) continue;
    const p = prepared.get(r.key);
    if (!p) continue;
    // How many appends were acknowledged strictly before the read began (equal times are concurrent).
    let lo = 0;
    let hi = p.ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (p.ends[mid]! < r.txn.start) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0 || p.maxPos[lo - 1]! < r.list.length) continue;
    const missing = p.list.slice(0, lo).find((a) => a.pos >= r.list.length)!;
    out.push({ type: 'lost-append', key: r.key, value: missing.value, writer: viewOf(missing.txn), reader: viewOf(r.txn) });
  }
}

export function readAnomalies(
  txns: readonly Txn[],
  appends: ReadonlyMap<Key, ReadonlyMap<Scalar, AppendSite>>,
  reads: readonly ReadSite[],
  orders: ReadonlyMap<Key, KeyOrder>,
  conflicts: readonly OrderConflict[],
): ListAppendAnomaly[] {
  const out: ListAppendAnomaly[] = [];
  badElements(reads, appends, orders, out);
  intermediateReads(reads, appends, out);
  lostAppends(txns, reads, orders, out);
  lostUpdates(reads, out);
  for (const c of conflicts) out.push({ type: 'incompatible-order', key: c.key, reads: [viewOf(c.longest.txn), viewOf(c.other.txn)] });
  for (const r of reads) if (r.duplicate !== undefined) out.push({ type: 'duplicate-elements', key: r.key, value: r.duplicate, reader: viewOf(r.txn) });
  internalReads(txns, out);
  return out;
}
