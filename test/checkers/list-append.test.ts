/**
 * The list-append checker on hand-made histories, one per anomaly (each flagged, with the
 * transactions that show it), on clean ones (passed), and on large simulated histories of
 * a correct store (passed) and of that store damaged (flagged).
 */
import { describe, expect, it } from 'vitest';
import { checkListAppend, describeAnomaly, describeCycle } from '../../workloads/checkers/list-append/index.js';
import { simulateListAppendHistory } from '../../workloads/checkers/list-append/simulate.js';
import { HistoryShapeError, type HistoryEvent, type JsonValue } from '../../workloads/history.js';
import type { ListAppendAnomaly, ListAppendEvidence, Verdict } from '../../workloads/checkers/verdict.js';
import { history, txn, type OpSpec } from './build.js';

const anomalies = (v: Verdict): ListAppendAnomaly[] => (v.evidence as ListAppendEvidence | undefined)?.anomalies ?? [];
const types = (v: Verdict) => anomalies(v).map((a) => a.type);
const only = <T extends ListAppendAnomaly['type']>(v: Verdict, type: T) => anomalies(v).filter((a): a is ListAppendAnomaly & { type: T } => a.type === type);
/** The history indices of the invokes of a cycle's transactions, in cycle order starting from the smallest. */
function cycleOf(v: Verdict, type: 'G0' | 'G1c' | 'G-single' | 'G2'): { txns: number[]; edges: string[] } {
  const a = only(v, type)[0];
  if (!a) throw new Error(`no ${type} in ${types(v).join(', ')}`);
  const ids = a.cycle.map((s) => s.txn.index);
  const first = ids.indexOf(Math.min(...ids));
  const rotate = <T>(xs: T[]) => [...xs.slice(first), ...xs.slice(0, first)];
  return { txns: rotate(ids), edges: rotate(a.cycle.map((s) => `${s.edge.type} ${String(s.edge.key)}`)) };
}
/** Invoke index of the i-th operation given to `history` (by start time, ties in argument order). */
const at = (events: HistoryEvent[], p: number, start: number) => events.find((e) => e.type === 'invoke' && e.process === p && e.time === start)!.index;

describe('clean histories', () => {
  it('passes serial and concurrent transactions, unknown outcomes, aborts that nobody saw, and null as the empty list', () => {
    const h = history(
      txn(0, [['r', 'x', null], ['append', 'x', 1]], 0, 10),
      txn(1, [['append', 'y', 1], ['append', 'x', 2]], 5, 15),
      txn(2, [['append', 'x', 3]], 20, 30, 'fail'),
      txn(3, [['append', 'y', 2]], 20, undefined, 'info'),
      txn(0, [['r', 'x', [1, 2]], ['r', 'y', [1, 2]], ['append', 'x', 4], ['r', 'x', [1, 2, 4]]], 40, 50),
      txn(1, [['r', 'x', [1, 2, 4]], ['r', 'y', [1, 2]]], 60, 70),
    );
    const v = checkListAppend(h);
    expect(v.summary).toMatch(/^All 6 transactions \(4 committed, 1 unknown, 1 failed\) over 2 keys are serializable/);
    expect(v.valid).toBe(true);
    expect(v.stats).toMatchObject({ wwEdges: 3, anomalies: 0 });
  });

  it('passes large simulated histories of a correct store with timeouts and aborts', () => {
    for (let seed = 1; seed <= 4; seed++) {
      const v = checkListAppend(simulateListAppendHistory({ seed, transactions: 3000, clients: 12, keys: 4, opsPerKey: 60, timeoutRate: 0.05, abortRate: 0.05 }));
      expect(v.valid, v.summary).toBe(true);
      expect(v.stats.rwEdges).toBeGreaterThan(100);
    }
  });
});

describe('each anomaly in a hand-made history', () => {
  it('G0: two transactions whose appends interleave in opposite orders on two keys', () => {
    const h = history(
      txn(0, [['append', 'x', 1], ['append', 'y', 1]], 0, 10),
      txn(1, [['append', 'x', 2], ['append', 'y', 2]], 0, 10),
      txn(2, [['r', 'x', [1, 2]], ['r', 'y', [2, 1]]], 20, 30),
    );
    const v = checkListAppend(h);
    expect(v.valid).toBe(false);
    expect(cycleOf(v, 'G0')).toEqual({ txns: [at(h, 0, 0), at(h, 1, 0)], edges: ['ww x', 'ww y'] });
    expect(v.stats.g0).toBe(1);
  });

  it('G1a: a read of an element appended by a transaction that failed', () => {
    const h = history(txn(0, [['append', 'x', 1]], 0, 10, 'fail'), txn(1, [['r', 'x', [1]]], 20, 30));
    const v = checkListAppend(h);
    expect(v.valid).toBe(false);
    const [a] = only(v, 'G1a');
    expect(a).toMatchObject({ key: 'x', value: 1, reader: { index: at(h, 1, 20) }, writer: { index: at(h, 0, 0), outcome: 'fail' } });
    expect(describeAnomaly(a!)).toMatch(/^G1a \(aborted read\): #2 .* saw 1 in "x", appended by #0 .*, which failed$/);
  });

  it('G1b: a read of a state between two appends of one transaction', () => {
    const h = history(txn(0, [['append', 'x', 1], ['append', 'x', 2]], 0, 10), txn(1, [['r', 'x', [1]]], 5, 15), txn(2, [['r', 'x', [1, 2]]], 20, 30));
    const v = checkListAppend(h);
    expect(types(v)).toContain('G1b');
    expect(only(v, 'G1b')[0]).toMatchObject({ key: 'x', value: 1, reader: { index: at(h, 1, 5) }, writer: { index: at(h, 0, 0) } });
  });

  it('G1c: two transactions that each read the other\'s append', () => {
    const h = history(txn(0, [['append', 'x', 1], ['r', 'y', [1]]], 0, 10), txn(1, [['append', 'y', 1], ['r', 'x', [1]]], 0, 10));
    const v = checkListAppend(h);
    expect(cycleOf(v, 'G1c')).toEqual({ txns: [at(h, 0, 0), at(h, 1, 0)], edges: ['wr x', 'wr y'] });
    expect(types(v)).not.toContain('G0');
  });

  it('G-single: a read that sees one of a transaction\'s appends and misses the other (read skew)', () => {
    const h = history(
      txn(0, [['append', 'x', 1], ['append', 'y', 1]], 0, 10),
      txn(1, [['append', 'x', 2], ['append', 'y', 2]], 20, 30),
      txn(2, [['r', 'x', [1]], ['r', 'y', [1, 2]]], 25, 35),
      txn(0, [['r', 'x', [1, 2]]], 40, 50),
    );
    const v = checkListAppend(h);
    expect(cycleOf(v, 'G-single')).toEqual({ txns: [at(h, 1, 20), at(h, 2, 25)], edges: ['wr y', 'rw x'] });
    const lines = describeCycle(only(v, 'G-single')[0]!.cycle);
    expect(lines).toContain(`  -> rw on "x": #${at(h, 2, 25)} read the version just before #${at(h, 1, 20)} appended 2`);
  });

  it('G2: two transactions that each read a key empty and append to the other (write skew)', () => {
    const h = history(
      txn(0, [['r', 'x', null], ['append', 'y', 1]], 0, 10),
      txn(1, [['r', 'y', null], ['append', 'x', 1]], 0, 10),
      txn(2, [['r', 'x', [1]], ['r', 'y', [1]]], 20, 30),
    );
    const v = checkListAppend(h);
    expect(cycleOf(v, 'G2')).toEqual({ txns: [at(h, 0, 0), at(h, 1, 0)], edges: ['rw x', 'rw y'] });
    expect(types(v)).not.toContain('G-single');
    expect(types(v)).not.toContain('lost-update');
  });

  it('G2 where the same component also holds a G-single: both are named, each by its edges', () => {
    // T0 and T1 form a write skew (rw x, rw y); T1 read T2's append to w but missed its append to v: one rw.
    const h = history(
      txn(0, [['r', 'x', null], ['append', 'y', 1]], 0, 10),
      txn(1, [['r', 'y', null], ['append', 'x', 1], ['r', 'w', [1]], ['r', 'v', null]], 0, 10),
      txn(2, [['append', 'w', 1], ['append', 'v', 1]], 0, 10),
      txn(3, [['r', 'x', [1]], ['r', 'y', [1]], ['r', 'v', [1]]], 20, 30),
    );
    const v = checkListAppend(h);
    expect(v.stats.cyclicComponents).toBe(1);
    expect(cycleOf(v, 'G2').edges).toEqual(['rw x', 'rw y']);
    expect(cycleOf(v, 'G-single').edges.sort()).toEqual(['rw v', 'wr w']);
  });

  it('lost update: two committed transactions read the same version and both append', () => {
    const h = history(
      txn(0, [['r', 'x', null], ['append', 'x', 1]], 0, 10),
      txn(1, [['r', 'x', null], ['append', 'x', 2]], 0, 10),
      txn(2, [['r', 'x', [1, 2]]], 20, 30),
    );
    const v = checkListAppend(h);
    const [a] = only(v, 'lost-update');
    expect(a).toMatchObject({ key: 'x', read: [] });
    expect(a!.txns.map((t) => t.index).sort()).toEqual([at(h, 0, 0), at(h, 1, 0)].sort());
    expect(types(v)).toContain('G-single');
  });

  it('a read after recovery that misses an acknowledged append (lost append)', () => {
    const h = history(
      txn(0, [['append', 'x', 1]], 0, 10),
      txn(1, [['append', 'x', 2]], 20, 30),
      txn(2, [['r', 'x', [1]]], 25, 35), // concurrent with the second append: fine
      txn(1_000_000, [['r', 'x', [1]]], 100, 110), // the final read, after a crash and restart
    );
    const v = checkListAppend(h);
    const lost = only(v, 'lost-append');
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ key: 'x', value: 2, writer: { index: at(h, 1, 20) }, reader: { index: at(h, 1_000_000, 100) } });
  });

  it('a read that misses an acknowledged append nobody else saw', () => {
    const v = checkListAppend(history(txn(0, [['append', 'x', 1]], 0, 10), txn(1, [['r', 'x', null]], 20, 30)));
    expect(only(v, 'lost-append')[0]).toMatchObject({ key: 'x', value: 1 });
  });

  it('incompatible orders: two reads neither of which is a prefix of the other', () => {
    const h = history(txn(0, [['append', 'x', 1]], 0, 10), txn(1, [['append', 'x', 2]], 0, 10), txn(2, [['r', 'x', [1, 2]]], 20, 30), txn(3, [['r', 'x', [2, 1]]], 20, 30));
    const v = checkListAppend(h);
    const [a] = only(v, 'incompatible-order');
    expect(a!.key).toBe('x');
    expect(a!.reads.map((r) => r.index).sort()).toEqual([at(h, 2, 20), at(h, 3, 20)].sort());
  });

  it('duplicate elements, a garbage read, and an internal inconsistency', () => {
    const h = history(
      txn(0, [['append', 'x', 1]], 0, 10),
      txn(1, [['r', 'x', [1, 1]]], 20, 30),
      txn(2, [['r', 'y', [9]]], 20, 30),
      txn(3, [['r', 'z', null], ['append', 'z', 5], ['r', 'z', [7, 5]]], 20, 30),
    );
    const v = checkListAppend(h);
    expect(only(v, 'duplicate-elements')[0]).toMatchObject({ key: 'x', value: 1 });
    expect(only(v, 'garbage-read').map((a) => [a.key, a.value])).toEqual([['y', 9], ['z', 7]]);
    expect(only(v, 'internal')[0]).toMatchObject({ key: 'z', expected: '[5]' });
  });

  it('flags a correct store damaged in a long history: a read reversed, a committed transaction recorded as failed', () => {
    const sim = () => simulateListAppendHistory({ seed: 7, transactions: 2000, clients: 10, keys: 3, opsPerKey: 80 });
    const microOps = (e: HistoryEvent) => (e.type === 'ok' ? (e.value as [string, string, JsonValue][]) : []);

    const reversed = sim();
    const read = reversed.flatMap(microOps).find((m) => m[0] === 'r' && Array.isArray(m[2]) && m[2].length >= 3)!;
    (read[2] as number[]).reverse();
    expect(types(checkListAppend(reversed))).toContain('incompatible-order');

    const failed = sim();
    const seen = new Set(failed.flatMap(microOps).flatMap((m) => (m[0] === 'r' && Array.isArray(m[2]) ? (m[2] as number[]) : [])));
    const victim = failed.find((e) => e.type === 'ok' && microOps(e).some((m) => m[0] === 'append' && seen.has(m[2] as number)))!;
    victim.type = 'fail';
    const v = checkListAppend(failed);
    expect(only(v, 'G1a')[0]?.writer.process).toBe(victim.process);
  });
});

describe('input that is not a list-append history', () => {
  it('names the event and field: an operation other than txn, a bad micro-op, a value appended twice', () => {
    const bad = (ops: OpSpec[]) => () => checkListAppend(history(...ops));
    expect(bad([{ p: 0, f: 'read', start: 0, end: 1 }])).toThrow(HistoryShapeError);
    expect(bad([{ p: 0, f: 'txn', v: [['w', 'x', 1]], start: 0, end: 1 }])).toThrow(/field "value\.0": micro-op "w": expected "r" or "append"/);
    expect(bad([txn(0, [['append', 'x', 1]], 0, 1), txn(1, [['append', 'x', 1]], 2, 3)])).toThrow(/event 3, field "value\.0": 1 is appended to key "x" again/);
    expect(bad([{ p: 0, f: 'txn', v: [['r', 'x', null]], r: [['r', 'x', 5]], start: 0, end: 1 }])).toThrow(/field "value\.0": a read's result must be a list of scalars or null, got 5/);
  });
});
