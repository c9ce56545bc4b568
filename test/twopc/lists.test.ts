/**
 * Lists through two-phase commit: a participant's vote computes the list it will install
 * (evaluate.ts), commit installs it, a snapshot read across shards returns lists, an append
 * to a scalar votes no, and a restarted participant recovers its lists from the log.
 */
import { describe, expect, it } from 'vitest';
import { cluster, keyOn, load, replied, request, settled, valueAt } from './sim-helpers.js';

describe('lists through 2PC', () => {
  it('appends on two shards in one transaction, and reads them back whole, locally and as a snapshot', () => {
    const sim = cluster(3);
    const x = keyOn(sim, 'n2', 'x');
    const y = keyOn(sim, 'n3', 'y');
    const first = request(sim, 'n1', { f: 'txn', ops: [{ f: 'append', key: x, value: 1 }, { f: 'append', key: y, value: 1 }, { f: 'read', key: x }] });
    sim.deliverAll();
    expect(replied(sim, first).body).toMatchObject({ ok: true, results: [1, 1, [1]] });
    const second = request(sim, 'n1', { f: 'txn', ops: [{ f: 'read', key: x }, { f: 'append', key: x, value: 2 }, { f: 'read', key: x }] });
    sim.deliverAll();
    expect(replied(sim, second).body).toMatchObject({ results: [[1], 2, [1, 2]] });
    expect(settled(sim)).toBe(true);
    expect(valueAt(sim, 'n2', x)).toEqual([1, 2]);

    const local = request(sim, 'n2', { f: 'read', key: x });
    const snapshot = request(sim, 'n1', { f: 'txn', ops: [{ f: 'read', key: x }, { f: 'read', key: y }] });
    sim.deliverAll();
    expect(replied(sim, local).body).toEqual({ value: [1, 2] });
    expect(replied(sim, snapshot).body).toMatchObject({ ok: true, results: [[1, 2], [1]] });
  });

  it('aborts a transaction that appends to a scalar, leaving its other shard untouched', () => {
    const sim = cluster(3);
    const x = keyOn(sim, 'n2', 'x');
    const n = keyOn(sim, 'n3', 'n');
    load(sim, { [n]: 5 });
    const req = request(sim, 'n1', { f: 'txn', ops: [{ f: 'append', key: x, value: 1 }, { f: 'append', key: n, value: 2 }] });
    sim.deliverAll();
    expect(replied(sim, req).status).toBe(409);
    expect(settled(sim)).toBe(true);
    expect([valueAt(sim, 'n2', x), valueAt(sim, 'n3', n)]).toEqual([null, 5]);
  });

  it('a participant restarted after commit serves the list it installed', () => {
    const sim = cluster(3);
    const x = keyOn(sim, 'n2', 'x');
    // One at a time: 2PC's locks make concurrent appends to one key abort rather than wait.
    for (const value of [1, 2, 3]) {
      const req = request(sim, 'n1', { f: 'txn', ops: [{ f: 'append', key: x, value }] });
      sim.deliverAll();
      expect(replied(sim, req).status).toBe(200);
    }
    expect(settled(sim)).toBe(true);
    sim.crash('n2');
    sim.restart('n2');
    expect(valueAt(sim, 'n2', x)).toEqual([1, 2, 3]);
  });
});
