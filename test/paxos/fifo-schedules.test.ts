/**
 * Leaderless Multi-Paxos on 5 nodes under random schedules that the real network can produce
 * (fifo-network.ts: FIFO links with uneven latency, connection breaks that lose what was in
 * flight, partitions, crashes and restarts from disk). The property is state-machine safety
 * (Paxos Made Simple §3): no two nodes, and no node at two times, hold different values
 * chosen in one slot or execute different commands there. After healing, every write a client
 * was told succeeded is executed everywhere.
 */
import { describe, expect, it } from 'vitest';
import { Random } from '../../nodes/common/random.js';
import type { PaxosCore } from '../../nodes/paxos/core.js';
import type { SlotValue } from '../../nodes/paxos/messages.js';
import { FifoNetwork } from './fifo-network.js';
import { leaderless, px, write, type PaxosSim } from './sim-helpers.js';

const KEYS = ['a', 'b', 'c'];
const commands = (v: SlotValue) => (v === null ? 'no-op' : JSON.stringify([v.id, v.ops]));

/**
 * The first value seen chosen in each slot is the reference; a chosen slot never changes at a
 * node, so each incarnation is checked above what was already checked for it (a restarted
 * node re-reads its prefix from disk, and is checked again).
 */
const checkedUpTo = new WeakMap<PaxosCore, number>();
function checkSlots(sim: PaxosSim, chosen: Map<number, string>, seed: number): void {
  for (const id of sim.ids) {
    if (!sim.isUp(id)) continue;
    const core = px(sim, id);
    const a = core.acceptor;
    for (let s = (checkedUpTo.get(core) ?? 0) + 1; s <= a.lastSlot; s++) {
      if (!a.isChosen(s)) continue;
      const value = commands(a.value(s));
      const seen = chosen.get(s);
      const what = s <= core.appliedIndex ? 'executed' : 'holds chosen';
      if (seen !== undefined && seen !== value) expect.fail(`seed ${seed}: ${id} ${what} ${value} in slot ${s}, another node ${seen}`);
      chosen.set(s, value);
    }
    checkedUpTo.set(core, a.chosenUpTo);
  }
}

function settled(sim: PaxosSim): boolean {
  const cores = sim.ids.map((id) => px(sim, id));
  const commit = cores[0]!.commitIndex;
  return cores.every((c) => c.commitIndex === commit && c.appliedIndex === commit && c.role === 'idle' && c.waiting === 0 && c.acceptor.lastSlot <= commit);
}

/**
 * One seeded schedule; returns how many writes were acknowledged. Every third seed puts one
 * operation in a slot (maxBatchOps=1), so a round proposes several slots in separate accepts
 * and the resending of lost ones (core.ts resendLost) is exercised.
 */
function runSchedule(seed: number): number {
  const sim = leaderless(5, seed, seed % 3 === 0 ? { maxBatchOps: 1 } : {});
  const rnd = new Random(seed * 7919 + 13);
  const net = new FifoNetwork(sim, rnd);
  const chosen = new Map<number, string>();
  const sent = new Map<string, string>();
  let n = 0;
  for (let step = 0; step < 200; step++) {
    if (step % 50 === 0) net.reshuffleLatency();
    sim.tick(rnd.int(2, 30));
    // Several proposers at once: rounds contend, and higher ballots overtake lower ones.
    for (const id of rnd.sample(sim.ids, rnd.int(0, 2))) {
      if (!sim.isUp(id)) continue;
      const value = `v${n++}`;
      sent.set(sim.client(id, write(rnd.pick(KEYS), value)), value);
    }
    net.deliver(rnd.int(0, 50), 0.04);
    if (rnd.chance(0.03)) {
      const victim = rnd.pick(sim.ids);
      if (sim.isUp(victim)) net.crash(victim, rnd.chance(0.5));
      else net.restart(victim);
    }
    if (rnd.chance(0.04)) {
      net.heal();
      net.partition(rnd.sample(sim.ids, rnd.int(1, 2)));
    }
    if (rnd.chance(0.06)) net.heal();
    checkSlots(sim, chosen, seed);
  }
  net.heal();
  for (const id of sim.ids) if (!sim.isUp(id)) net.restart(id);
  // From here every link delivers everything, in order (deliverAll keeps each link's order).
  const done = sim.runUntil(() => {
    checkSlots(sim, chosen, seed);
    return settled(sim);
  }, 30_000);
  expect(done, `seed ${seed}: the cluster did not settle`).toBe(true);
  const acked = sim.replies.filter((r) => r.reply.status === 200 && sent.has(r.reqId)).map((r) => sent.get(r.reqId)!);
  for (const id of sim.ids) {
    const applied = new Set(sim.applied.get(id)!.map(([, v]) => v));
    for (const value of acked) expect(applied.has(value), `seed ${seed}: ${id} lost acknowledged ${value}`).toBe(true);
  }
  return acked.length;
}

describe('leaderless, 5 nodes, FIFO links with breaks, partitions, crashes and restarts', () => {
  it('no two nodes choose or execute different commands in one slot (300 seeds)', { timeout: 300_000 }, () => {
    let acked = 0;
    for (let seed = 1; seed <= 300; seed++) acked += runSchedule(seed);
    expect(acked).toBeGreaterThan(300 * 50); // the checks covered real traffic, not idle clusters
  });
});
