/**
 * Randomized schedules through the deterministic simulator: crashes and restarts from disk,
 * partitions, message loss and reordering, in both modes, over many seeds. After every step
 * it checks Paxos's safety property (§2.1: "only a single value is chosen", per slot, across
 * every node and all time), that nodes agree on the state after each applied prefix, and that
 * no write takes effect twice; after healing, that every write a client was told succeeded is
 * applied on every node. With snapshots on (tiny thresholds), the same, where a node that
 * installed a snapshot never saw the writes it covered: acknowledged writes must have been
 * applied somewhere, and every node ends with the same state.
 */
import { describe, expect, it } from 'vitest';
import { Sim } from '../../harness/sim/sim.js';
import type { PaxosCore } from '../../nodes/paxos/core.js';
import { paxosOptionsSchema, type PaxosOptions } from '../../nodes/paxos/options.js';
import { Random } from '../../nodes/common/random.js';
import { algorithm, ids, px, type PaxosSim } from './sim-helpers.js';

const up = (sim: PaxosSim) => sim.ids.filter((id) => sim.isUp(id));
const KEYS = ['k0', 'k1', 'k2', 'k3'];

/**
 * Every value any node ever knew chosen, per slot: a second, different one is a safety
 * violation. A node's chosen prefix never changes, so each incarnation of a node is checked
 * above the prefix already checked for it (a restart re-reads its prefix from disk: checked again).
 */
const checkedPrefix = new WeakMap<PaxosCore, number>();
function checkOneValuePerSlot(sim: PaxosSim, chosenEver: Map<number, string>, seed: number): void {
  for (const id of up(sim)) {
    const core = px(sim, id);
    const a = core.acceptor;
    // Forgotten slots (a snapshot holds them) were checked while the node held them, or never held.
    for (let s = Math.max(checkedPrefix.get(core) ?? 0, a.base) + 1; s <= a.lastSlot; s++) {
      if (!a.isChosen(s)) continue;
      const v = a.value(s);
      const key = v === null ? 'no-op' : v.id;
      const seen = chosenEver.get(s);
      if (seen !== undefined && seen !== key) expect.fail(`seed ${seed}: slot ${s} chosen as ${seen} and as ${key} (at ${id})`);
      chosenEver.set(s, key);
    }
    checkedPrefix.set(core, a.chosenUpTo);
  }
}

/**
 * Applied prefixes agree: two nodes (or one node at two times) that applied the same number
 * of slots hold the same state. `states` remembers the first state seen at each applied index.
 */
function checkAppliedStates(sim: PaxosSim, states: Map<number, string>, seed: number): void {
  for (const id of up(sim)) {
    const core = px(sim, id);
    const state = JSON.stringify(KEYS.map((k) => core.state.get(k)));
    const seen = states.get(core.appliedIndex);
    if (seen !== undefined && seen !== state) expect.fail(`seed ${seed}: ${id} holds ${state} after ${core.appliedIndex} slots, another node held ${seen}`);
    states.set(core.appliedIndex, state);
  }
}

/**
 * Within one incarnation a node applies each write at most once (a leaderless value chosen
 * twice is skipped). An installed snapshot traces what the node then holds: a new start.
 */
const installsSeen = new WeakMap<PaxosCore, number>();
let installs = 0;
function checkAppliedOnce(sim: PaxosSim, since: Map<string, number>, seed: number): void {
  for (const id of up(sim)) {
    const now = px(sim, id).counters.snapshotsInstalled;
    if (now !== (installsSeen.get(px(sim, id)) ?? 0)) {
      installs += now - (installsSeen.get(px(sim, id)) ?? 0);
      installsSeen.set(px(sim, id), now);
      since.set(id, sim.applied.get(id)!.length);
    }
    const mine = sim.applied.get(id)!.slice(since.get(id) ?? 0).map(([, v]) => v);
    if (new Set(mine).size !== mine.length) expect.fail(`seed ${seed}: ${id} applied a write twice`);
  }
}

function settled(sim: PaxosSim, mode: PaxosOptions['mode']): boolean {
  const cores = sim.ids.map((id) => px(sim, id));
  const commit = cores[0]!.commitIndex;
  if (!cores.every((c) => c.commitIndex === commit && c.appliedIndex === commit)) return false;
  // Leaderless: nothing accepted anywhere is left undecided (a slot whose proposer died is finished too).
  if (mode === 'leaderless') return cores.every((c) => c.role === 'idle' && c.waiting === 0 && c.acceptor.lastSlot <= commit);
  // A follower may keep a deposed leader's value above the commit point until the leader proposes there.
  const leaders = cores.filter((c) => c.role === 'leader');
  const l = leaders[0];
  return leaders.length === 1 && l!.proposer!.unchosen === 0 && l!.waiting === 0 && l!.acceptor.lastSlot <= commit;
}

/** Runs one schedule; returns how many writes were acknowledged, all of them checked. */
function runSchedule(mode: PaxosOptions['mode'], seed: number, nodes = 5, loss = 0.05, extra: Partial<PaxosOptions> = {}): number {
  const sim: PaxosSim = new Sim(algorithm, ids(nodes), paxosOptionsSchema.parse({ mode, ...extra }), seed);
  const compaction = extra.snapshotEntries !== undefined;
  const rnd = new Random(seed * 31 + 7);
  const sent = new Map<string, string>();
  const chosenEver = new Map<number, string>();
  const states = new Map<number, string>();
  /** Where each node's current incarnation starts in its applied trace (a restart re-applies above its logged chosen point). */
  const since = new Map<string, number>();
  const restart = (id: string) => {
    sim.restart(id);
    since.set(id, sim.applied.get(id)!.length);
  };
  let n = 0;
  for (let step = 0; step < 200; step++) {
    sim.tick(rnd.int(5, 40));
    const target = rnd.pick(sim.ids);
    if (sim.isUp(target) && rnd.chance(0.6)) {
      const value = `v${n++}`;
      const op = { f: 'write', key: rnd.pick(KEYS), value } as const;
      const reqId = sim.client(target, op);
      sent.set(reqId, value);
      // The runtime's one hop: a follower hands the request to the leader it names.
      for (const [, fwdId, to] of sim.forwards.splice(0)) {
        if (fwdId === reqId && sim.isUp(to)) {
          sim.core(to).step({ type: 'client', reqId, op, forwarded: true });
          sim.flush(to);
        }
      }
    }
    sim.deliverRandomly(rnd.int(0, 60), loss);
    sim.randomFaults(rnd, restart);
    checkOneValuePerSlot(sim, chosenEver, seed);
    checkAppliedStates(sim, states, seed);
    checkAppliedOnce(sim, since, seed);
  }
  sim.heal();
  for (const id of sim.ids) if (!sim.isUp(id)) restart(id);
  const done = sim.runUntil(() => {
    checkOneValuePerSlot(sim, chosenEver, seed);
    return settled(sim, mode);
  }, 30_000);
  expect(done, `seed ${seed}: the cluster did not settle`).toBe(true);
  checkAppliedStates(sim, states, seed);
  checkAppliedOnce(sim, since, seed);
  const acked = sim.replies.filter((r) => r.reply.status === 200 && sent.has(r.reqId)).map((r) => sent.get(r.reqId)!);
  if (compaction) {
    const everApplied = new Set(sim.ids.flatMap((id) => sim.applied.get(id)!.map(([, v]) => v)));
    for (const value of acked) expect(everApplied.has(value), `seed ${seed}: acknowledged ${value} never applied`).toBe(true);
    const states = sim.ids.map((id) => JSON.stringify(KEYS.map((k) => px(sim, id).state.get(k))));
    expect(new Set(states).size, `seed ${seed}: nodes ended in different states ${states.join(' ')}`).toBe(1);
    return acked.length;
  }
  for (const id of sim.ids) {
    const applied = new Set(sim.applied.get(id)!.map(([, v]) => v));
    for (const value of acked) expect(applied.has(value), `seed ${seed}: ${id} lost acknowledged ${value}`).toBe(true);
  }
  return acked.length;
}

describe('randomized schedules: crashes, partitions, loss and reordering', () => {
  it('stable leader: one value per slot everywhere, consistent applied prefixes, no acknowledged write lost (40 seeds)', () => {
    let acked = 0;
    for (let seed = 1; seed <= 40; seed++) acked += runSchedule('leader', seed);
    expect(acked).toBeGreaterThan(40 * 20); // the checks above covered real traffic, not idle clusters
  });

  it('leaderless: the same properties when every node proposes (30 seeds)', () => {
    let acked = 0;
    for (let seed = 1; seed <= 30; seed++) acked += runSchedule('leaderless', seed);
    expect(acked).toBeGreaterThan(30 * 20);
  });

  it('with snapshots every 5 slots: the same properties, and peers behind the forgotten slots catch up by snapshot (15 seeds each mode)', () => {
    let acked = 0;
    installs = 0; // this test's installs only, whatever ran before it
    for (let seed = 300; seed < 315; seed++) {
      acked += runSchedule('leader', seed, 5, 0.05, { snapshotEntries: 5, snapshotChunkBytes: 50 });
      acked += runSchedule('leaderless', seed, 5, 0.05, { snapshotEntries: 5, snapshotChunkBytes: 50 });
    }
    expect(acked).toBeGreaterThan(30 * 20);
    expect(installs).toBeGreaterThan(10);
  });

  it('both modes on 3 nodes losing 20% of messages (100 seeds each)', () => {
    let acked = 0;
    for (let seed = 100; seed < 200; seed++) acked += runSchedule('leader', seed, 3, 0.2) + runSchedule('leaderless', seed, 3, 0.2);
    expect(acked).toBeGreaterThan(200 * 10);
  });
});
