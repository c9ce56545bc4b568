/**
 * 2PC log compaction: finished transactions leave the logs once every participant has
 * acknowledged them, outcomes are remembered only while a question can still need them,
 * and a node comes back from its snapshot plus its compacted log (or the old log, after a
 * crash between the two steps; or the previous snapshot, when the newest is torn).
 */
import { describe, expect, it } from 'vitest';
import { Random } from '../../nodes/common/random.js';
import type { TwoPcRecord } from '../../nodes/twopc/protocol.js';
import { cluster, keyOn, settled, twopc, valueAt, type TwoPcSim } from './sim-helpers.js';

/** `count` transfers between the shards' keys, each to completion; returns what each key holds. */
function transfers(sim: TwoPcSim, count: number, seed = 1): Map<string, number> {
  const keys = sim.ids.flatMap((id) => [keyOn(sim, id, 'a'), keyOn(sim, id, 'b')]);
  const balance = new Map(keys.map((k) => [k, 0]));
  const rnd = new Random(seed);
  for (let i = 0; i < count; i++) {
    const [from, to] = rnd.sample(keys, 2);
    const reqId = sim.client(rnd.pick(sim.ids), { f: 'txn', ops: [{ f: 'add', key: from!, delta: -1 }, { f: 'add', key: to!, delta: 1 }] });
    for (const [, fwd, dest] of sim.forwards.splice(0)) {
      if (fwd !== reqId) continue;
      sim.core(dest).step({ type: 'client', reqId, op: { f: 'txn', ops: [{ f: 'add', key: from!, delta: -1 }, { f: 'add', key: to!, delta: 1 }] }, forwarded: true });
      sim.flush(dest);
    }
    expect(sim.runUntil(() => sim.replyTo(reqId) !== undefined, 3000), `transfer ${i}`).toBe(true);
    if (sim.replyTo(reqId)!.status === 200) {
      balance.set(from!, balance.get(from!)! - 1);
      balance.set(to!, balance.get(to!)! + 1);
    }
  }
  expect(settled(sim)).toBe(true);
  return balance;
}

const logOf = (sim: TwoPcSim, id: string) => sim.disks.get(id)! as TwoPcRecord[];

describe('2PC log compaction', () => {
  it('drops finished transactions from every log and forgets settled outcomes, keeping the balances', () => {
    const sim = cluster(3, { snapshotEntries: 40 });
    const balance = transfers(sim, 150);
    for (const id of sim.ids) {
      const status = twopc(sim, id).status();
      expect(status.compactions, id).toBeGreaterThan(2);
      // The log holds what was open at the previous compaction and what came since: not 150 transactions.
      expect(logOf(sim, id).length, id).toBeLessThan(2 * 40 + 10);
      expect(sim.snapshots.get(id)!.length, id).toBe(2);
      // Outcomes settled everywhere are forgotten at a compaction.
      expect(Number(status.outcomesRemembered), id).toBeLessThan(60);
    }
    for (const [key, value] of balance) {
      const holder = sim.ids.find((id) => twopc(sim, id).placement.owner(key) === id)!;
      expect(valueAt(sim, holder, key) ?? 0, key).toBe(value);
    }
  });

  it('a node restarts from its snapshot plus the compacted log, with the same keys and its incarnation moving on', () => {
    const sim = cluster(3, { snapshotEntries: 40 });
    const balance = transfers(sim, 90);
    const epochBefore = twopc(sim, 'n1').coordinator!.epoch;
    for (const id of sim.ids) sim.crash(id);
    for (const id of sim.ids) sim.restart(id);
    expect(twopc(sim, 'n1').coordinator!.epoch).toBe(epochBefore + 1);
    for (const [key, value] of balance) {
      const holder = sim.ids.find((id) => twopc(sim, id).placement.owner(key) === id)!;
      expect(valueAt(sim, holder, key) ?? 0, key).toBe(value);
    }
    // It keeps working (new transaction ids do not collide with the old ones): the balances
    // are the old ones moved by exactly the new transfers that committed.
    const more = transfers(sim, 20, 2);
    for (const [key, value] of balance) {
      const holder = sim.ids.find((id) => twopc(sim, id).placement.owner(key) === id)!;
      expect(valueAt(sim, holder, key) ?? 0, key).toBe(value + more.get(key)!);
    }
  });

  it('comes back right from the old log under the new snapshot (a crash between the two steps), and from the previous snapshot', () => {
    for (const damage of ['old log', 'previous snapshot'] as const) {
      const sim = cluster(3, { snapshotEntries: 40 });
      transfers(sim, 30);
      const oldLog = [...logOf(sim, 'n2')];
      const compactionsBefore = Number(twopc(sim, 'n2').status().compactions);
      // Run until n2 compacts again, and stop right there.
      let i = 0;
      while (Number(twopc(sim, 'n2').status().compactions) === compactionsBefore && i++ < 200) transfers(sim, 1, 100 + i);
      expect(Number(twopc(sim, 'n2').status().compactions), 'n2 compacted again').toBe(compactionsBefore + 1);
      expect(sim.snapshots.get('n2')!.length, 'a previous snapshot to fall back on').toBe(2);
      const expected = twopc(sim, 'n2').participant.state.entries();
      sim.crash('n2');
      if (damage === 'old log') sim.disks.set('n2', [...oldLog, ...logOf(sim, 'n2').filter((r) => !oldLog.includes(r))]);
      else sim.snapshots.get('n2')!.pop();
      sim.restart('n2');
      expect(Object.fromEntries(twopc(sim, 'n2').participant.state.entries()), damage).toEqual(Object.fromEntries(expected));
    }
  });

  it('a participant in doubt across compactions and restarts stays in doubt, with its locks, until it learns the outcome', () => {
    const sim = cluster(3, { snapshotEntries: 20 });
    transfers(sim, 5);
    const a = keyOn(sim, 'n2', 'x');
    const b = keyOn(sim, 'n3', 'x');
    sim.client('n1', { f: 'txn', ops: [{ f: 'write', key: a, value: 7 }, { f: 'write', key: b, value: 8 }] });
    const txid = (sim.inflight.find((m) => m.msg.t === 'prepare')!.msg as { txid: string }).txid;
    // n2 never hears the outcome of this one (nor of its inquiries about it).
    sim.intercept = (m) => !(m.msg.t === 'decide' && m.to === 'n2' && m.msg.txid === txid);
    sim.runUntil(() => twopc(sim, 'n2').participant.inDoubtTxids().includes(txid), 1000);
    // Other transactions through n2 (on keys the one in doubt does not lock) make it compact.
    const compactions = Number(twopc(sim, 'n2').status().compactions);
    const c = keyOn(sim, 'n2', 'y');
    const d = keyOn(sim, 'n3', 'y');
    for (let i = 0; i < 30; i++) {
      const reqId = sim.client('n1', { f: 'txn', ops: [{ f: 'write', key: c, value: i }, { f: 'write', key: d, value: i }] });
      sim.runUntil(() => sim.replyTo(reqId) !== undefined, 2000);
    }
    expect(Number(twopc(sim, 'n2').status().compactions)).toBeGreaterThan(compactions);
    expect(logOf(sim, 'n2').some((r) => r.k === 'prepared' && r.txid === txid)).toBe(true);
    sim.crash('n2');
    sim.restart('n2');
    // Restarted, still in doubt, it compacts again: the prepare it recovered stays in its log.
    const again = Number(twopc(sim, 'n2').status().compactions);
    let i = 30;
    while (Number(twopc(sim, 'n2').status().compactions) === again && i < 100) {
      const reqId = sim.client('n1', { f: 'txn', ops: [{ f: 'write', key: c, value: i }, { f: 'write', key: d, value: i }] });
      sim.runUntil(() => sim.replyTo(reqId) !== undefined, 2000);
      i++;
    }
    expect(Number(twopc(sim, 'n2').status().compactions)).toBe(again + 1);
    expect(logOf(sim, 'n2').some((r) => r.k === 'prepared' && r.txid === txid)).toBe(true);
    sim.crash('n2');
    sim.restart('n2');
    expect(twopc(sim, 'n2').participant.inDoubtTxids()).toEqual([txid]);
    expect(twopc(sim, 'n2').participant.writerOf(a)).toBe(txid);
    sim.intercept = null;
    expect(settled(sim)).toBe(true);
    expect(valueAt(sim, 'n2', a)).toBe(7);
    expect(valueAt(sim, 'n2', c)).toBe(i - 1);
  });
});
