/**
 * Dissemination on the deterministic simulator: rumor mongering and push-pull anti-entropy
 * (Demers et al., "Epidemic Algorithms for Replicated Database Maintenance", 1987), the
 * push model's round count (Pittel 1987: log2 N + ln N + O(1) at fanout 1), and the client
 * contract of a local-replica store.
 */
import { describe, expect, it } from 'vitest';
import { Random } from '../../nodes/common/random.js';
import { NOT_SUPPORTED } from '../../nodes/gossip/core.js';
import { compareVersions, type Versioned } from '../../nodes/gossip/store.js';
import { NEVER, allMessages, converged, gossipSim, holders, live, node, replicaState, write, type GossipSim } from './sim-helpers.js';

const ROUND_MS = 50;

/** Synchronous rounds: every node runs its rumor round, then every message is delivered. */
function roundsUntil(sim: GossipSim, done: () => boolean, maxRounds = 500): number | null {
  for (let round = 1; round <= maxRounds; round++) {
    sim.tick(ROUND_MS);
    sim.deliverAll();
    if (done()) return round;
  }
  return null;
}

const rumorsCold = (sim: GossipSim) => live(sim).every((id) => node(sim, id).rumors.size === 0) && sim.inflight.length === 0;

/**
 * Two nodes that both hold n1's write 'late', n2 only in memory (replicated versions wait for
 * a checkpoint that never comes here), with rumors off from here on: only anti-entropy moves data.
 */
function lateOnBoth(): GossipSim {
  const sim = gossipSim(2, { ...NEVER, antiEntropyIntervalMs: 200, replicaPersistMs: 600_000 });
  write(sim, 'n1', 'late', 'l');
  sim.runUntil(() => holders(sim, 'late', 'l').length === 2, 500);
  expect(holders(sim, 'late', 'l')).toEqual(['n1', 'n2']);
  sim.intercept = (m) => m.msg.t !== 'rumor';
  sim.inflight = [];
  return sim;
}

describe('rumor mongering (Demers §1.4)', () => {
  it('push with fanout 1 informs everyone in log2 N + ln N rounds, within one round on average, as the pure push model does (Pittel 1987)', () => {
    for (const n of [5, 10, 25, 50]) {
      // At N = 50 the theorem's O(1) term is about 0.95 rounds, so the mean needs many seeds to sit inside one round.
      const seeds = n === 50 ? 1000 : 400;
      let total = 0;
      for (let seed = 1; seed <= seeds; seed++) {
        // Never lose interest, no anti-entropy, no probes: the process of the theorem.
        const sim = gossipSim(n, { ...NEVER, rumorIntervalMs: ROUND_MS, rumorFanout: 1, rumorStop: 'blind', rumorK: 1_000_000 }, seed);
        write(sim, 'n1', 'k', 'v');
        const rounds = roundsUntil(sim, () => holders(sim, 'k', 'v').length === n);
        expect(rounds, `N=${n} seed ${seed}`).not.toBeNull();
        total += rounds!;
      }
      const mean = total / seeds;
      const predicted = Math.log2(n) + Math.log(n);
      expect(Math.abs(mean - predicted), `N=${n}: mean ${mean.toFixed(2)} rounds, log2 N + ln N = ${predicted.toFixed(2)}`).toBeLessThanOrEqual(1);
      // The core behaves as the abstract process: each informed node tells one uniformly chosen other node per round.
      const model = pushModelMeanRounds(n, 4000, new Random(n));
      expect(Math.abs(mean - model), `N=${n}: core ${mean.toFixed(2)}, model ${model.toFixed(2)}`).toBeLessThan(0.2);
    }
  });

  it('feedback/counter: every rumor goes cold, and the residue falls with k as in Demers Table 1 (N = 50, 200 seeds)', () => {
    // Table 1 (push, feedback, counter; n = 1000): residue 0.176, 0.037, 0.011 for k = 1, 2, 3.
    // At n = 50 the residue runs a little higher; the bounds check the shape and the magnitude.
    const bounds: Record<number, [number, number]> = { 1: [0.12, 0.26], 2: [0.02, 0.08], 3: [0.003, 0.035] };
    const residues: number[] = [];
    for (const k of [1, 2, 3]) {
      let missed = 0;
      for (let seed = 1; seed <= 200; seed++) {
        const sim = gossipSim(50, { ...NEVER, rumorIntervalMs: ROUND_MS, rumorFanout: 1, rumorStop: 'feedback', rumorK: k }, seed);
        write(sim, 'n1', 'k', 'v');
        expect(roundsUntil(sim, () => rumorsCold(sim)), `k=${k} seed ${seed}: a rumor never went cold`).not.toBeNull();
        missed += 50 - holders(sim, 'k', 'v').length;
      }
      const residue = missed / (50 * 200);
      residues.push(residue);
      expect(residue, `k=${k}`).toBeGreaterThanOrEqual(bounds[k]![0]);
      expect(residue, `k=${k}`).toBeLessThanOrEqual(bounds[k]![1]);
    }
    expect(residues[0]).toBeGreaterThan(residues[1]!);
    expect(residues[1]).toBeGreaterThan(residues[2]!);
  });

  it('blind counter stops after exactly k rounds per node; coin stops too; the default (blind, k = 3, fanout 2) reaches everyone with high probability', () => {
    let reachedAll = 0;
    let missed = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const sim = gossipSim(50, { ...NEVER, rumorIntervalMs: ROUND_MS }, seed);
      write(sim, 'n1', 'k', 'v');
      expect(roundsUntil(sim, () => rumorsCold(sim))).not.toBeNull();
      const have = holders(sim, 'k', 'v').length;
      // Each node that heard the rumor pushed it for 3 rounds to 2 peers: 6 messages, no acks.
      expect(allMessages(sim, 'rumor')).toBe(have * 3 * 2);
      expect(allMessages(sim, 'rumorAck')).toBe(0);
      if (have === 50) reachedAll++;
      missed += 50 - have;
    }
    expect(reachedAll / 200).toBeGreaterThanOrEqual(0.85);
    expect(missed / (50 * 200)).toBeLessThan(0.01);

    for (let seed = 1; seed <= 50; seed++) {
      const sim = gossipSim(25, { ...NEVER, rumorIntervalMs: ROUND_MS, rumorStop: 'coin', rumorK: 3 }, seed);
      write(sim, 'n1', 'k', 'v');
      expect(roundsUntil(sim, () => rumorsCold(sim)), `coin seed ${seed}`).not.toBeNull();
    }
  });

  it('rumors of many writes travel together: one message per peer per round, not one per write', () => {
    const sim = gossipSim(10, { ...NEVER, rumorIntervalMs: ROUND_MS }, 3);
    for (let i = 0; i < 100; i++) write(sim, `n${(i % 10) + 1}`, `k${i}`, `v${i}`);
    roundsUntil(sim, () => rumorsCold(sim));
    for (let i = 0; i < 100; i++) expect(holders(sim, `k${i}`, `v${i}`).length).toBeGreaterThanOrEqual(9);
    // 10 nodes x (at most) 3 rounds x 2 peers, whatever the number of writes (more rounds only for late learners).
    expect(allMessages(sim, 'rumor') / 100).toBeLessThan(2);
  });

  it('an eager first push (originFanout) reaches more nodes in the first hop, only for the writer\'s own fresh writes', () => {
    const spread = (extra: Record<string, unknown>) => {
      const fresh = () => {
        const sim = gossipSim(25, { ...NEVER, rumorIntervalMs: ROUND_MS, rumorFanout: 2, rumorK: 2, ...extra }, 7);
        write(sim, 'n1', 'k', 'v');
        return sim;
      };
      const one = fresh();
      one.tick(ROUND_MS);
      one.deliverAll();
      const all = fresh();
      return { firstHop: holders(one, 'k', 'v').length, rounds: roundsUntil(all, () => holders(all, 'k', 'v').length === 25) };
    };
    const plain = spread({});
    const eager = spread({ originFanout: 12 });
    expect(plain.firstHop).toBeLessThanOrEqual(3); // the writer and at most 2 peers after one round
    expect(eager.firstHop).toBeGreaterThanOrEqual(12); // the writer and 12 peers (rumor relays may add more)
    expect(eager.rounds).not.toBeNull();
    expect(eager.rounds!).toBeLessThan(plain.rounds!);
    // Relays do not widen: a node pushing someone else's rumor uses rumorFanout.
    const sim = gossipSim(25, { ...NEVER, rumorIntervalMs: ROUND_MS, rumorFanout: 2, rumorK: 1, originFanout: 24 }, 9);
    write(sim, 'n1', 'k', 'v');
    sim.tick(ROUND_MS);
    expect(sim.inflight.filter((m) => m.from === 'n1' && m.msg.t === 'rumor')).toHaveLength(24);
    sim.deliverAll();
    sim.tick(ROUND_MS);
    const relayed = sim.inflight.filter((m) => m.msg.t === 'rumor' && m.from !== 'n1');
    for (const from of new Set(relayed.map((m) => m.from))) expect(relayed.filter((m) => m.from === from).length).toBeLessThanOrEqual(2);
  });
});

describe('push-pull anti-entropy (Demers §1.3)', () => {
  it('the digest exchange ships exactly what each side lacks: aeSyn (digest), aeAck (what the initiator lacks), aeAck2 (the rest)', () => {
    const sim = gossipSim(2, { ...NEVER, antiEntropyIntervalMs: 1000 }, 1);
    sim.intercept = (m) => m.msg.t !== 'rumor'; // no rumors: only anti-entropy may carry data
    write(sim, 'n1', 'a', 'a1');
    write(sim, 'n1', 'b', 'b1');
    sim.tick(10, ['n2']);
    write(sim, 'n2', 'b', 'b2'); // 10 ms later by n2's clock (a larger HLC): it wins everywhere
    write(sim, 'n2', 'c', 'c2');
    sim.inflight = []; // whatever n2's first timers sent
    const [b2, c2] = [node(sim, 'n2').store.get('b')!, node(sim, 'n2').store.get('c')!];
    const a1 = node(sim, 'n1').store.get('a')!;
    sim.tick(1000, ['n1']); // n1's anti-entropy round only
    const syn = sim.inflight.find((m) => m.msg.t === 'aeSyn')!;
    expect(syn.msg).toMatchObject({ t: 'aeSyn', d: { n1: [1, 2] } });
    sim.deliver((m) => m.msg.t === 'aeSyn');
    const ack = sim.inflight.find((m) => m.msg.t === 'aeAck')!;
    expect(ack.msg).toMatchObject({ t: 'aeAck', done: true, d: { n2: [1, 2] } });
    expect(sortVersions((ack.msg as { v: Versioned[] }).v)).toEqual(sortVersions([b2, c2]));
    sim.deliver((m) => m.msg.t === 'aeAck');
    const ack2 = sim.inflight.find((m) => m.msg.t === 'aeAck2')!;
    // n1's b1 lost to b2, so only a1 is news to n2; n1 now covers all four writes.
    expect((ack2.msg as { v: Versioned[] }).v).toEqual([a1]);
    expect(ack2.msg).toMatchObject({ done: true, d: { n1: [1, 2], n2: [1, 2] } });
    sim.deliverAll();
    expect(converged(sim)).toBe(true);
    expect(node(sim, 'n2').store.digest()).toEqual({ n1: [1, 2], n2: [1, 2] });
    // Digests now match: the next exchange ships nothing and needs no third message.
    sim.tick(1000, ['n2']);
    sim.deliverAll();
    expect(node(sim, 'n2').received.aeAck).toBe(1);
    expect(node(sim, 'n2').sent.aeAck2 ?? 0).toBe(0);
    expect(node(sim, 'n1').sent.aeAck2).toBe(1);
  });

  it('an exchange cut short by maxBatch goes on at once with the same peer until both sides are done, not one batch per interval', () => {
    // Seed 186006 (maxBatch 1, a 3 s interval): one winner each way per exchange left replicas
    // apart 14 s after healing. The backlog must not wait for the next interval.
    const sim = gossipSim(2, { ...NEVER, antiEntropyIntervalMs: 3000, maxBatch: 1 }, 1);
    sim.intercept = (m) => m.msg.t !== 'rumor'; // no rumors: only anti-entropy may carry data
    for (let i = 0; i < 6; i++) write(sim, 'n1', `a${i}`, `a${i}`);
    write(sim, 'n1', 'x', 'n1');
    sim.tick(10, ['n2']);
    for (let i = 0; i < 4; i++) write(sim, 'n2', `b${i}`, `b${i}`);
    write(sim, 'n2', 'x', 'n2'); // later by HLC: beats n1's x, which n2 therefore never needs
    sim.inflight = [];
    sim.tick(3000, ['n1']); // one anti-entropy round of n1's; no other timer fires from here on
    expect(sim.inflight.map((m) => m.msg.t)).toEqual(['aeSyn']);
    const batches: number[] = [];
    sim.intercept = (m) => {
      if (m.msg.t === 'aeAck' || m.msg.t === 'aeAck2') batches.push(m.msg.v.length);
      return m.msg.t !== 'rumor';
    };
    sim.deliverAll();
    expect(converged(sim)).toBe(true);
    expect(node(sim, 'n2').store.value('a5')).toBe('a5');
    expect(node(sim, 'n1').store.value('b3')).toBe('b3');
    expect(node(sim, 'n1').store.value('x')).toBe('n2');
    // Each message still holds at most maxBatch; n2 lacked 6 winners, n1 lacked 5: 6 exchanges, none idle.
    expect(Math.max(...batches)).toBe(1);
    expect(node(sim, 'n1').sent.aeSyn).toBe(6);
    // The last batch each way was complete, so each side adopted the other's digest: nothing left to repair.
    expect(node(sim, 'n1').store.digest()).toEqual({ n1: [1, 7], n2: [1, 5] });
    expect(node(sim, 'n2').store.digest()).toEqual({ n1: [1, 7], n2: [1, 5] });
  });

  it('with rumors lost, anti-entropy alone brings every replica to the same winners whatever the delivery order (100 seeds)', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const rnd = new Random(seed);
      const sim = gossipSim(6, { ...NEVER, antiEntropyIntervalMs: 200, rumorK: 1, rumorFanout: 1 }, seed);
      const written = new Map<string, Versioned[]>();
      for (let step = 0; step < 60; step++) {
        const at = rnd.pick(sim.ids);
        const key = `k${rnd.int(1, 5)}`;
        write(sim, at, key, `${at}-${step}`);
        written.set(key, [...(written.get(key) ?? []), node(sim, at).store.get(key)!]);
        sim.tick(rnd.int(1, 40));
        sim.deliverRandomly(rnd.int(0, 30), 0.3); // random order, 30 % loss
      }
      const settled = sim.runUntil(() => sim.inflight.length === 0 && converged(sim), 30_000);
      expect(settled, `seed ${seed}`).toBe(true);
      // Last-writer-wins: every replica holds, per key, the largest version anyone wrote.
      for (const [key, versions] of written) {
        const max = versions.reduce((x, y) => (compareVersions(x, y) >= 0 ? x : y));
        for (const id of sim.ids) expect(node(sim, id).store.get(key), `seed ${seed} ${id} ${key}`).toEqual(max);
      }
    }
  });

  it('a partition heals and converges: both sides wrote, each declared the other dead, and after the heal all agree', () => {
    const sim = gossipSim(6, { antiEntropyIntervalMs: 300, probeIntervalMs: 100, probeTimeoutMs: 40, suspicionTimeoutMs: 300, reconnectIntervalMs: 200 }, 9);
    const left = ['n1', 'n2', 'n3'];
    const right = ['n4', 'n5', 'n6'];
    sim.partition(left, right);
    write(sim, 'n1', 'shared', 'left');
    write(sim, 'n4', 'shared', 'right'); // same key on both sides: last writer (by HLC) wins after the heal
    write(sim, 'n2', 'only-left', 'L');
    write(sim, 'n5', 'only-right', 'R');
    const winner = [node(sim, 'n1').store.get('shared')!, node(sim, 'n4').store.get('shared')!].sort(compareVersions)[1]!;
    const split = sim.runUntil(() => left.every((l) => right.every((r) => node(sim, l).membership.stateOf(r) === 'dead' && node(sim, r).membership.stateOf(l) === 'dead')), 10_000);
    expect(split).toBe(true);
    expect(holders(sim, 'only-left', 'L').sort()).toEqual(left);
    sim.heal();
    const healed = sim.runUntil(() => converged(sim) && sim.ids.every((a) => sim.ids.every((b) => node(sim, a).membership.stateOf(b) === 'alive')), 20_000);
    expect(healed).toBe(true);
    for (const id of sim.ids) {
      expect(node(sim, id).store.get('shared')).toEqual(winner);
      expect(node(sim, id).store.value('only-left')).toBe('L');
      expect(node(sim, id).store.value('only-right')).toBe('R');
    }
  });
});

describe('client contract: local replica, durable writes, no consensus', () => {
  it('reads answer from the local replica at once: stale until the rumor arrives', () => {
    const sim = gossipSim(3, { ...NEVER });
    write(sim, 'n1', 'x', 'fresh');
    const before = sim.client('n2', { f: 'read', key: 'x' });
    expect(sim.replyTo(before)).toEqual({ status: 200, body: { value: null } });
    sim.runUntil(() => holders(sim, 'x', 'fresh').length === 3, 1000);
    const after = sim.client('n2', { f: 'read', key: 'x' });
    expect(sim.replyTo(after)).toEqual({ status: 200, body: { value: 'fresh' } });
  });

  it('cas and transactions get a definite 501, never a pretend answer', () => {
    const sim = gossipSim(3, { ...NEVER });
    const cas = sim.client('n1', { f: 'cas', key: 'x', from: null, to: 1 });
    const txn = sim.client('n1', { f: 'txn', ops: [{ f: 'read', key: 'x' }] });
    expect(sim.replyTo(cas)).toEqual({ status: 501, body: { error: NOT_SUPPORTED } });
    expect(sim.replyTo(txn)).toEqual({ status: 501, body: { error: NOT_SUPPORTED } });
    expect(node(sim, 'n1').store.size).toBe(0);
  });

  it('a write is persisted before it is acknowledged or sent, and a restarted node neither forgets it nor reuses its seq or timestamp', () => {
    const sim = gossipSim(3, { ...NEVER });
    write(sim, 'n1', 'x', 'one');
    expect(sim.disks.get('n1')!.some((r) => JSON.stringify(r).includes('"one"'))).toBe(true);
    const first = node(sim, 'n1').store.get('x')!;
    sim.crash('n1');
    sim.restart('n1');
    expect(node(sim, 'n1').store.get('x')).toEqual(first);
    write(sim, 'n1', 'x', 'two');
    const second = node(sim, 'n1').store.get('x')!;
    expect(second[5]).toBe(first[5] + 1);
    expect(second[2] > first[2] || (second[2] === first[2] && second[3] > first[3])).toBe(true);
    sim.runUntil(() => holders(sim, 'x', 'two').length === 3, 2000);
    expect(holders(sim, 'x', 'two')).toHaveLength(3);
  });

  it('replicated versions are checkpointed every replicaPersistMs: a crash loses at most that window, never an own write, and anti-entropy refills it', () => {
    const sim = gossipSim(3, { ...NEVER, antiEntropyIntervalMs: 200, replicaPersistMs: 1000 });
    write(sim, 'n1', 'early', 'e');
    sim.runUntil(() => holders(sim, 'early', 'e').length === 3, 500);
    sim.runUntil(() => false, 1100); // past a checkpoint
    write(sim, 'n1', 'late', 'l');
    sim.runUntil(() => holders(sim, 'late', 'l').length === 3, 500);
    const replicaRecords = () => sim.disks.get('n2')!.filter((r) => 'vs' in (r as object)).length;
    const checkpoints = replicaRecords();
    expect(checkpoints).toBeGreaterThanOrEqual(1);
    sim.crash('n2'); // before the next checkpoint
    sim.restart('n2');
    expect(node(sim, 'n2').store.value('early')).toBe('e'); // checkpointed
    expect(node(sim, 'n2').store.value('late')).toBeNull(); // inside the window: lost here, not anywhere else
    expect(node(sim, 'n2').store.digest()).toEqual({ n1: [1, 1] }); // and it claims only what it has
    sim.runUntil(() => holders(sim, 'late', 'l').length === 3, 2000);
    expect(holders(sim, 'late', 'l')).toHaveLength(3);
    // Own writes never wait for a checkpoint.
    sim.crash('n1');
    sim.restart('n1');
    expect(node(sim, 'n1').store.value('late')).toBe('l');
  });

  it("an answer to a previous incarnation's digest is merged but never adopted: a restart that lost versions gets them again", () => {
    // Sim seed 218727: a paused peer woke up and answered the digests of a node that had
    // restarted meanwhile, having lost its unpersisted versions; adopting that answer's
    // digest claimed them for good, and one key stayed missing on that node forever.
    const sim = lateOnBoth();
    sim.tick(200, ['n2']); // n2's anti-entropy round: its digest claims n1's write
    expect(sim.inflight.map((m) => [m.from, m.msg.t])).toEqual([['n2', 'aeSyn']]);
    sim.deliver((m) => m.msg.t === 'aeSyn');
    const ack = sim.inflight.find((m) => m.msg.t === 'aeAck' && m.to === 'n2')!;
    expect(ack.msg).toMatchObject({ done: true, v: [], d: { n1: [1, 1] } }); // nothing shipped: n2 had it
    sim.crash('n2'); // drops what is in flight to n2 ...
    sim.tick(5, []); // the core-test Sim restarts at its current time: a stamp needs time to pass
    sim.restart('n2');
    expect(node(sim, 'n2').store.value('late')).toBeNull(); // never checkpointed: lost here
    sim.inflight.push(ack); // ... but this answer was already on its way (a paused peer wakes up)
    sim.deliver((m) => m === ack);
    expect(node(sim, 'n2').store.digest()).toEqual({}); // merged nothing, claims nothing
    sim.runUntil(() => holders(sim, 'late', 'l').length === 2, 2000);
    expect(holders(sim, 'late', 'l')).toEqual(['n1', 'n2']);
  });

  it("the same for the exchange's last message: an ack2 to the responder's previous life is merged, its digest not adopted", () => {
    const sim = lateOnBoth();
    write(sim, 'n1', 'other', 'o'); // n2 lacks it, so the exchange needs its third message
    sim.tick(200, ['n1']); // n1 initiates; n2 answers; n1 ships what n2 lacks
    sim.deliver((m) => m.msg.t === 'aeSyn');
    sim.deliver((m) => m.msg.t === 'aeAck');
    const ack2 = sim.inflight.find((m) => m.msg.t === 'aeAck2' && m.to === 'n2')!;
    expect(ack2.msg).toMatchObject({ done: true, d: { n1: [1, 2] } });
    sim.crash('n2');
    sim.tick(5, []); // the core-test Sim restarts at its current time: a stamp needs time to pass
    sim.restart('n2');
    expect(node(sim, 'n2').store.value('late')).toBeNull();
    sim.inflight.push(ack2);
    sim.deliver((m) => m === ack2);
    expect(node(sim, 'n2').store.value('other')).toBe('o'); // merged
    expect(node(sim, 'n2').store.digest()).toEqual({ n1: [2, 2] }); // not adopted: 'late' is not claimed
    sim.runUntil(() => holders(sim, 'late', 'l').length === 2, 2000);
    expect(holders(sim, 'late', 'l')).toEqual(['n1', 'n2']);
  });

  it('each node traces the first time it holds each version, once, with its version for the checker', () => {
    const sim = gossipSim(4, { ...NEVER, antiEntropyIntervalMs: 100 });
    write(sim, 'n1', 'x', 'a');
    write(sim, 'n2', 'y', 'b');
    sim.runUntil(() => converged(sim) && sim.ids.every((id) => node(sim, id).store.size === 2), 5000);
    sim.runUntil(() => false, 1000); // keep gossiping: duplicates must not be traced again
    for (const id of sim.ids) {
      expect(sim.applied.get(id)!.map(([k, v]) => `${k}=${String(v)}`).sort()).toEqual(['x=a', 'y=b']);
    }
    expect(new Set(sim.ids.map((id) => replicaState(sim, id))).size).toBe(1);
  });
});

/** The synchronous push process itself, without any of the core: mean rounds until all N know. */
function pushModelMeanRounds(n: number, runs: number, rnd: Random): number {
  let total = 0;
  for (let run = 0; run < runs; run++) {
    const informed = new Array<boolean>(n).fill(false);
    informed[0] = true;
    let count = 1;
    while (count < n) {
      total++;
      const tellers: number[] = [];
      for (let i = 0; i < n; i++) if (informed[i]) tellers.push(i);
      for (const i of tellers) {
        const j = (i + rnd.int(1, n - 1)) % n;
        if (!informed[j]) {
          informed[j] = true;
          count++;
        }
      }
    }
  }
  return total / runs;
}

const sortVersions = (vs: Versioned[]) => vs.map((v) => JSON.stringify(v)).sort();
