/**
 * Membership and failure detection on the deterministic simulator: SWIM (Das, Gupta &
 * Motivala, DSN 2002) probes, indirect probes, suspicion and refutation by incarnation,
 * rejoin after a restart, and the view as a lattice.
 */
import { describe, expect, it } from 'vitest';
import { Random } from '../../nodes/common/random.js';
import { Membership, type MemberUpdate } from '../../nodes/gossip/membership.js';
import { gossipSim, live, node, options, viewOf, type GossipSim } from './sim-helpers.js';

/** A fast failure detector, so the simulated runs stay short: probe every 100 ms. */
const FAST = { probeIntervalMs: 100, probeTimeoutMs: 40, suspicionTimeoutMs: 400, antiEntropyIntervalMs: 500, reconnectIntervalMs: 300, startupGraceMs: 300 } as const;

const memberEvents = (sim: GossipSim, observer: string, member: string) =>
  sim.events.filter((e) => e.node === observer && e.event === 'member' && e.member === member).map((e) => e.state);

describe('SWIM failure detection (§3.1) and suspicion (§4.2)', () => {
  it('a crashed member is suspected, then declared dead by every live member, each tracing the events', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const sim = gossipSim(8, FAST, seed);
      sim.runUntil(() => false, 500); // settle: a few protocol periods with everyone up
      expect(sim.events.filter((e) => e.event === 'member'), `seed ${seed}: a false suspicion with no faults`).toEqual([]);
      sim.crash('n8');
      const crashedAt = sim.now;
      const detected = sim.runUntil(() => live(sim).every((id) => viewOf(sim, id, 'n8') === 'dead'), 10_000);
      expect(detected, `seed ${seed}`).toBe(true);
      // Round-robin probing bounds the first suspicion by about two passes over the 7 others;
      // the suspicion timeout and the spread of the verdict follow.
      expect(sim.now - crashedAt, `seed ${seed}`).toBeLessThan(2 * 7 * FAST.probeIntervalMs + FAST.suspicionTimeoutMs + 1000);
      for (const id of live(sim)) {
        const seen = memberEvents(sim, id, 'n8');
        expect(seen[seen.length - 1], `seed ${seed} ${id}`).toBe('dead');
      }
      // Nobody else was convicted on the way.
      for (const id of live(sim)) for (const other of live(sim)) expect(viewOf(sim, id, other)).toBe('alive');
      expect(live(sim).some((id) => memberEvents(sim, id, 'n8').includes('suspect'))).toBe(true);
    }
  });

  it('indirect probes (ping-req) keep a member alive when only the direct link to it is cut', () => {
    const run = (indirectChecks: number) => {
      const sim = gossipSim(5, { ...FAST, indirectChecks }, 4);
      sim.partition(['n1'], ['n2']); // just the n1 <-> n2 link, both ways
      sim.runUntil(() => false, 5000);
      return sim;
    };
    const withIndirect = run(3);
    expect(memberEvents(withIndirect, 'n1', 'n2')).toEqual([]);
    expect(memberEvents(withIndirect, 'n2', 'n1')).toEqual([]);
    expect(node(withIndirect, 'n1').membership.counters.indirectProbes).toBeGreaterThan(0);
    // The same cut without indirect probes: n1 suspects n2 (which refutes through the others, and is suspected again).
    const direct = run(0);
    expect(memberEvents(direct, 'n1', 'n2')).toContain('suspect');
  });

  it('a suspected member refutes by raising its incarnation, before the timeout turns suspicion into death', () => {
    const sim = gossipSim(5, { ...FAST, suspicionTimeoutMs: 2000 }, 2);
    sim.runUntil(() => false, 300);
    const others = sim.ids.filter((id) => id !== 'n3');
    sim.partition(['n3'], others);
    const suspected = sim.runUntil(() => others.some((id) => viewOf(sim, id, 'n3') === 'suspect'), 5000);
    expect(suspected).toBe(true);
    sim.heal();
    const refuted = sim.runUntil(() => others.every((id) => viewOf(sim, id, 'n3') === 'alive'), 3000);
    expect(refuted).toBe(true);
    expect(node(sim, 'n3').membership.incarnation).toBeGreaterThan(0);
    expect(node(sim, 'n3').membership.counters.refutations).toBeGreaterThan(0);
    expect(sim.events.some((e) => e.member === 'n3' && e.state === 'dead')).toBe(false);
  });

  it('a restarted member rejoins with a higher incarnation and is alive everywhere again', () => {
    const sim = gossipSim(6, FAST, 5);
    sim.runUntil(() => false, 300);
    sim.crash('n6');
    expect(sim.runUntil(() => live(sim).every((id) => viewOf(sim, id, 'n6') === 'dead'), 10_000)).toBe(true);
    const deadAt = node(sim, 'n1').membership.table().find(([id]) => id === 'n6')![2];
    sim.restart('n6');
    expect(node(sim, 'n6').membership.incarnation).toBeGreaterThan(deadAt);
    const rejoined = sim.runUntil(() => sim.ids.every((id) => sim.ids.every((other) => viewOf(sim, id, other) === 'alive')), 10_000);
    expect(rejoined).toBe(true);
    for (const id of sim.ids.filter((x) => x !== 'n6')) expect(memberEvents(sim, id, 'n6').slice(-2)).toEqual(['dead', 'alive']);
    // The incarnation is durable: a second restart goes higher still.
    const before = node(sim, 'n6').membership.incarnation;
    sim.crash('n6');
    sim.restart('n6');
    expect(node(sim, 'n6').membership.incarnation).toBeGreaterThan(before);
  });

  it('start-up grace: a member that starts late is not suspected, one that never starts is declared dead after the grace', () => {
    const sim = gossipSim(5, { ...FAST, startupGraceMs: 1000 }, 8);
    sim.crash('n4'); // starts 600 ms late
    sim.crash('n5'); // never starts
    sim.runUntil(() => false, 600);
    sim.restart('n4');
    const detected = sim.runUntil(() => live(sim).every((id) => viewOf(sim, id, 'n5') === 'dead'), 10_000);
    expect(detected).toBe(true);
    expect(sim.now).toBeGreaterThan(1000);
    for (const id of live(sim)) expect(memberEvents(sim, id, 'n4')).not.toContain('dead');
    expect(sim.events.filter((e) => e.member === 'n4' && e.state === 'suspect')).toEqual([]);
  });

  it('Lifeguard nacks tell a dead target from a sick prober: only the cut-off prober slows itself down', () => {
    const sim = gossipSim(6, FAST, 11);
    sim.runUntil(() => false, 300);
    const health = (id: string) => node(sim, id).membership.status().health as number;
    // A dead target: the helpers cannot reach it either and say so, so the prober stays healthy.
    sim.crash('n6');
    expect(sim.runUntil(() => sim.events.some((e) => e.member === 'n6' && e.state === 'suspect'), 5000)).toBe(true);
    const prober = sim.events.find((e) => e.member === 'n6' && e.state === 'suspect')!.node;
    expect(node(sim, prober).membership.counters.nacks).toBeGreaterThan(0);
    expect(health(prober)).toBe(0);
    // Settle first: a helper that is itself dead never nacks either, which costs its prober health too.
    expect(sim.runUntil(() => live(sim).every((id) => viewOf(sim, id, 'n6') === 'dead'), 5000)).toBe(true);
    // A prober cut off from everyone hears neither acks nor nacks: it blames itself and probes less often.
    const probesBefore = node(sim, 'n1').membership.counters.probes;
    const othersBefore = node(sim, 'n2').membership.counters.probes;
    sim.partition(['n1'], ['n2', 'n3', 'n4', 'n5']);
    sim.runUntil(() => false, 2000);
    expect(health('n1')).toBeGreaterThanOrEqual(3);
    expect(node(sim, 'n1').membership.counters.probes - probesBefore).toBeLessThan((node(sim, 'n2').membership.counters.probes - othersBefore) / 2);
    sim.heal();
    sim.runUntil(() => health('n1') === 0, 20_000);
    expect(health('n1')).toBe(0);
  });

  it('a node that was itself stalled does not convict the members it could not hear (local health)', () => {
    const sim = gossipSim(5, FAST, 6);
    sim.runUntil(() => false, 300);
    sim.tick(3000, ['n1']); // n1 alone sees 3 s pass in one step: a SIGSTOP, a long GC pause
    sim.runUntil(() => false, 1000);
    expect(sim.events.filter((e) => e.node === 'n1' && e.event === 'member')).toEqual([]);
    expect(node(sim, 'n1').membership.counters.stalls).toBe(1);
  });
});

describe('the membership view is a lattice (SWIM §4.2 precedence by incarnation)', () => {
  it('any order of the same updates gives the same view (300 seeds)', () => {
    const peers = ['a', 'b', 'c', 'd'];
    const io = { send: () => undefined, event: () => undefined, persist: () => undefined };
    for (let seed = 1; seed <= 300; seed++) {
      const rnd = new Random(seed);
      const updates: MemberUpdate[] = Array.from({ length: 20 }, () => [rnd.pick(peers), rnd.int(0, 2) as 0 | 1 | 2, rnd.int(0, 3)]);
      const views = [0, 1, 2].map((i) => {
        const m = new Membership('self', peers, options(), new Random(i), 0, null, io);
        for (const u of i === 0 ? updates : rnd.shuffle([...updates, ...rnd.sample(updates, 5)])) m.apply(u);
        return m.table();
      });
      expect(views[1]).toEqual(views[0]);
      expect(views[2]).toEqual(views[0]);
      // The join: per member, the largest (incarnation, alive < suspect < dead).
      for (const p of peers) {
        const mine = updates.filter((u) => u[0] === p);
        const best = mine.reduce<[number, number]>((acc, u) => (u[2] > acc[0] || (u[2] === acc[0] && u[1] > acc[1]) ? [u[2], u[1]] : acc), [0, 0]);
        expect(views[0]!.find((u) => u[0] === p)!.slice(1)).toEqual([best[1], best[0]]);
      }
    }
  });

  it('alive at a higher incarnation overrides dead; dead overrides alive and suspect at the same incarnation', () => {
    const io = { send: () => undefined, event: () => undefined, persist: () => undefined };
    const m = new Membership('self', ['x'], options(), new Random(1), 0, null, io);
    m.apply(['x', 2, 3]);
    expect(m.stateOf('x')).toBe('dead');
    m.apply(['x', 0, 3]);
    m.apply(['x', 1, 3]);
    expect(m.stateOf('x')).toBe('dead');
    m.apply(['x', 0, 4]);
    expect(m.stateOf('x')).toBe('alive');
    // About itself a member never accepts suspicion: it refutes with a higher incarnation.
    m.apply(['self', 2, 0]);
    expect(m.stateOf('self')).toBe('alive');
    expect(m.incarnation).toBe(1);
    expect(m.piggyback('x')).toContainEqual(['self', 0, 1]);
  });
});
