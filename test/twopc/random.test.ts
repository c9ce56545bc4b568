/**
 * Atomic commitment (Gray & Lamport 2006, §2: every participant that decides reaches the
 * same decision; commit only if all voted yes) and the bank's invariant, over seeded random
 * schedules: messages delivered in random order, some lost, nodes (the coordinator too)
 * crashed and restarted, with blocking and with cooperative termination.
 */
import { describe, expect, it } from 'vitest';
import { Random } from '../../nodes/common/random.js';
import type { ClientOp } from '../../nodes/common/core.js';
import { cluster, load, settled, twopc, type TwoPcSim } from './sim-helpers.js';

const ACCOUNTS = Array.from({ length: 6 }, (_, i) => `acct${i}`);
const OPENING = 20;
const TOTAL = OPENING * ACCOUNTS.length;

function transferOp(rnd: Random): ClientOp {
  const [from, to] = rnd.sample(ACCOUNTS, 2) as [string, string];
  const amount = rnd.int(1, 10);
  return { f: 'txn', ops: [{ f: 'add', key: from, delta: -amount, floor: 0 }, { f: 'add', key: to, delta: amount }] };
}
const readAll: ClientOp = { f: 'txn', ops: ACCOUNTS.map((key) => ({ f: 'read' as const, key })) };

/** Every transaction in the trace: one decision at most, and every participant applied it (and nothing else). */
function assertAtomic(sim: TwoPcSim, seed: number): { committed: number; aborted: number } {
  const byTxid = new Map<string, typeof sim.events>();
  for (const e of sim.events) {
    const list = byTxid.get(String(e.txid)) ?? [];
    list.push(e);
    byTxid.set(String(e.txid), list);
  }
  let committed = 0;
  let aborted = 0;
  for (const [txid, events] of byTxid) {
    const decisions = new Set(events.filter((e) => e.role === 'coordinator').map((e) => e.event));
    expect(decisions.size, `seed ${seed}: ${txid} decided ${[...decisions].join(' and ')}`).toBeLessThanOrEqual(1);
    const applied = new Set(events.filter((e) => String(e.event).startsWith('applied')).map((e) => e.event));
    expect(applied.size, `seed ${seed}: ${txid} applied both ways`).toBeLessThanOrEqual(1);
    if (decisions.has('decided-commit')) {
      committed++;
      const participants = events.find((e) => e.event === 'decided-commit')!.participants as string[];
      for (const p of participants) {
        expect(events.some((e) => e.node === p && e.event === 'applied-commit'), `seed ${seed}: ${p} never applied committed ${txid}`).toBe(true);
      }
      expect(events.some((e) => e.event === 'voted-no'), `seed ${seed}: ${txid} committed over a no vote`).toBe(false);
    } else {
      if (decisions.has('decided-abort')) aborted++;
      expect(applied.has('applied-commit'), `seed ${seed}: ${txid} applied without a commit decision`).toBe(false);
    }
  }
  return { committed, aborted };
}

interface Totals {
  committed: number;
  reads: number;
  crashes: number;
  compactions: number;
}

function runSeed(seed: number, totals: Totals, snapshotEntries?: number): void {
  const sim = cluster(4, { termination: seed % 2 === 0 ? 'cooperative' : 'blocking', ...(snapshotEntries !== undefined && { snapshotEntries }) }, {}, seed);
  load(sim, Object.fromEntries(ACCOUNTS.map((a) => [a, OPENING])));
  const rnd = new Random(seed * 7919);
  const transfers = new Set<string>();
  const reads = new Set<string>();
  for (let step = 0; step < 250; step++) {
    sim.tick(rnd.int(1, 40));
    if (sim.isUp('n1') && rnd.chance(0.6)) transfers.add(sim.client('n1', transferOp(rnd)));
    if (sim.isUp('n1') && rnd.chance(0.15)) reads.add(sim.client('n1', readAll));
    const reader = rnd.pick(sim.ids);
    if (sim.isUp(reader) && rnd.chance(0.2)) {
      const key = rnd.pick(ACCOUNTS);
      if (twopc(sim, reader).placement.owner(key) === reader) sim.client(reader, { f: 'read', key });
    }
    sim.deliverRandomly(rnd.int(0, 40), 0.05);
    if (rnd.chance(0.03)) {
      const victim = rnd.pick(sim.ids);
      if (sim.isUp(victim)) {
        totals.compactions += Number(twopc(sim, victim).status().compactions);
        sim.crash(victim);
        totals.crashes++;
      } else sim.restart(victim);
    }
    for (const id of sim.ids) if (!sim.isUp(id) && rnd.chance(0.05)) sim.restart(id);
  }
  for (const id of sim.ids) if (!sim.isUp(id)) sim.restart(id);
  expect(settled(sim, 30_000), `seed ${seed}: in-doubt transactions never resolved`).toBe(true);
  for (const id of sim.ids) totals.compactions += Number(twopc(sim, id).status().compactions);

  totals.committed += assertAtomic(sim, seed).committed;
  const balances = ACCOUNTS.map((a) => twopc(sim, twopc(sim, 'n1').placement.owner(a)).participant.state.get(a) as number);
  expect(balances.reduce((s, x) => s + x, 0), `seed ${seed}: money created or destroyed (${balances.join(', ')})`).toBe(TOTAL);
  for (const b of balances) expect(b, `seed ${seed}: negative balance`).toBeGreaterThanOrEqual(0);
  // Acknowledged transfers committed; every read of all balances saw one consistent total.
  const decided = new Set(sim.events.filter((e) => e.event === 'decided-commit').map((e) => e.txid));
  for (const r of sim.replies) {
    if (r.reply.status !== 200) continue;
    if (transfers.has(r.reqId)) expect(decided.has(r.reply.body.txid), `seed ${seed}: acknowledged ${String(r.reply.body.txid)} not committed`).toBe(true);
    if (reads.has(r.reqId)) {
      const seen = r.reply.body.results as number[];
      expect(seen.reduce((s, x) => s + x, 0), `seed ${seed}: a read saw ${seen.join(', ')}`).toBe(TOTAL);
      totals.reads++;
    }
  }
}

describe('atomic commitment under crashes and loss', () => {
  it('all participants apply the same decision per transaction and money is conserved (120 seeds)', () => {
    const totals: Totals = { committed: 0, reads: 0, crashes: 0, compactions: 0 };
    for (let seed = 1; seed <= 120; seed++) runSeed(seed, totals);
    // The schedules did exercise the protocol, not just abort everything.
    expect(totals.committed).toBeGreaterThan(1000);
    expect(totals.reads).toBeGreaterThan(200);
    expect(totals.crashes).toBeGreaterThan(100);
  });

  it('the same with the logs compacted every 15 records, across crashes (60 seeds)', () => {
    const totals: Totals = { committed: 0, reads: 0, crashes: 0, compactions: 0 };
    for (let seed = 200; seed < 260; seed++) runSeed(seed, totals, 15);
    expect(totals.committed).toBeGreaterThan(500);
    expect(totals.compactions).toBeGreaterThan(500);
  });
});
