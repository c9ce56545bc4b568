/**
 * Randomized schedules through the deterministic simulator: crashes and restarts from disk,
 * partitions, message loss and reordering, in both modes, over many seeds. After every step
 * it checks Paxos's safety property (§2.1: "only a single value is chosen", per slot, across
 * every node and all time) and that applied prefixes agree; after healing, that every write a
 * client was told succeeded is applied on every node.
 */
import { describe, expect, it } from 'vitest';
import { Sim } from '../../harness/sim/sim.js';
import { PaxosCore } from '../../nodes/paxos/core.js';
import type { PaxosMessage } from '../../nodes/paxos/messages.js';
import { paxosOptionsSchema, type PaxosOptions } from '../../nodes/paxos/options.js';
import { Random } from '../../nodes/common/random.js';

type PaxosSim = Sim<PaxosMessage, PaxosOptions>;
const algorithm = { create: (ctx: ConstructorParameters<typeof PaxosCore>[0]) => new PaxosCore(ctx) };
const ids = (n: number) => Array.from({ length: n }, (_, i) => `n${i + 1}`);
const px = (sim: PaxosSim, id: string) => sim.core<PaxosCore>(id);
const up = (sim: PaxosSim) => sim.ids.filter((id) => sim.isUp(id));

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
    for (let s = (checkedPrefix.get(core) ?? 0) + 1; s <= a.lastSlot; s++) {
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

/** Every node applied a prefix of the same sequence of writes (restarts resume where the log left off). */
function checkAppliedPrefixes(sim: PaxosSim, seed: number): void {
  const lists = sim.ids.map((id) => sim.applied.get(id)!);
  const longest = lists.reduce((a, b) => (b.length > a.length ? b : a));
  for (const [i, list] of lists.entries()) {
    for (let j = 0; j < list.length; j++) {
      if (list[j]![0] !== longest[j]![0] || list[j]![1] !== longest[j]![1]) {
        expect.fail(`seed ${seed}: ${sim.ids[i]} applied ${JSON.stringify(list[j])} as write ${j}, another node ${JSON.stringify(longest[j])}`);
      }
    }
  }
}

function settled(sim: PaxosSim, mode: PaxosOptions['mode']): boolean {
  const cores = sim.ids.map((id) => px(sim, id));
  const commit = cores[0]!.commitIndex;
  if (!cores.every((c) => c.commitIndex === commit && c.appliedIndex === commit)) return false;
  if (mode === 'leaderless') return cores.every((c) => c.role === 'idle' && c.waiting === 0);
  const leaders = cores.filter((c) => c.role === 'leader');
  return leaders.length === 1 && leaders[0]!.proposer!.unchosen === 0 && leaders[0]!.waiting === 0;
}

/** Runs one schedule; returns how many writes were acknowledged, all of them checked. */
function runSchedule(mode: PaxosOptions['mode'], seed: number): number {
  const sim: PaxosSim = new Sim(algorithm, ids(5), paxosOptionsSchema.parse({ mode }), seed);
  const rnd = new Random(seed * 31 + 7);
  const sent = new Map<string, string>();
  const chosenEver = new Map<number, string>();
  let n = 0;
  for (let step = 0; step < 200; step++) {
    sim.tick(rnd.int(5, 40));
    const target = rnd.pick(sim.ids);
    if (sim.isUp(target) && rnd.chance(0.6)) {
      const value = `v${n++}`;
      const op = { f: 'write', key: `k${rnd.int(0, 3)}`, value } as const;
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
    sim.deliverRandomly(rnd.int(0, 60), 0.05);
    if (rnd.chance(0.03)) {
      const victim = rnd.pick(sim.ids);
      if (sim.isUp(victim)) sim.crash(victim);
      else sim.restart(victim);
    }
    if (rnd.chance(0.04)) {
      sim.heal();
      const cut = rnd.sample(sim.ids, rnd.int(1, 2));
      sim.partition(cut, sim.ids.filter((x) => !cut.includes(x)));
    }
    if (rnd.chance(0.05)) sim.heal();
    checkOneValuePerSlot(sim, chosenEver, seed);
    checkAppliedPrefixes(sim, seed);
  }
  sim.heal();
  for (const id of sim.ids) if (!sim.isUp(id)) sim.restart(id);
  const done = sim.runUntil(() => {
    checkOneValuePerSlot(sim, chosenEver, seed);
    return settled(sim, mode);
  }, 30_000);
  expect(done, `seed ${seed}: the cluster did not settle`).toBe(true);
  checkAppliedPrefixes(sim, seed);
  const acked = sim.replies.filter((r) => r.reply.status === 200 && sent.has(r.reqId)).map((r) => sent.get(r.reqId)!);
  expect(acked.length, `seed ${seed}: no write succeeded`).toBeGreaterThan(0);
  for (const id of sim.ids) {
    const applied = sim.applied.get(id)!.map(([, v]) => v);
    const once = new Set(applied);
    expect(once.size, `seed ${seed}: ${id} applied a write twice`).toBe(applied.length);
    for (const value of acked) expect(once.has(value), `seed ${seed}: ${id} lost acknowledged ${value}`).toBe(true);
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
});
