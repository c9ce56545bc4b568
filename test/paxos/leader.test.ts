/**
 * The stable leader's machinery, message by message through the deterministic simulator:
 * batching and pipelining (§3's many instances at once), failure detection with probe,
 * stickiness and CheckQuorum (transposed from the Raft dissertation §9.6, §4.2.3), duelling
 * proposers, and leaderless reads. What clients are told and read-index reads are the client
 * contract every consensus core shares: test/common/client-contract.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { Sim } from '../../harness/sim/sim.js';
import { paxosOptionsSchema } from '../../nodes/paxos/options.js';
import { algorithm, ids, scripted, leaderless, px, leaders, is, write, elect, type PaxosSim, type Accept } from './sim-helpers.js';

describe('batching and pipelining (§3: many instances at once)', () => {
  it('the leader puts the requests of one input batch in one slot, and sends one accept per peer', () => {
    const sim = scripted(3);
    elect(sim);
    sim.inflight = [];
    const core = sim.core('n1');
    for (let i = 0; i < 50; i++) core.step({ type: 'client', reqId: `w${i}`, op: write(`k${i}`, i), forwarded: false });
    sim.flush('n1');
    const accepts = sim.inflight.filter(is('accept'));
    expect(accepts.map((m) => m.to).sort()).toEqual(['n2', 'n3']);
    for (const m of accepts) expect((m.msg as Accept).values.map((v) => v?.ops.length)).toEqual([50]);
    sim.deliverAll();
    expect(sim.replies.filter((r) => r.reply.status === 200)).toHaveLength(50);
  });

  it('no message carries more than maxBatchOps operations: slots, accepts and catch-ups are cut to size', () => {
    const sim = scripted(3, { n1: 150 }, { maxBatchOps: 20 });
    elect(sim);
    sim.partition(['n3'], ['n1', 'n2']);
    sim.inflight = [];
    const core = sim.core('n1');
    for (let i = 0; i < 50; i++) core.step({ type: 'client', reqId: `w${i}`, op: write(`k${i}`, i), forwarded: false });
    sim.flush('n1');
    expect(sim.inflight.filter(is('accept', 'n1', 'n2')).map((m) => (m.msg as Accept).values.map((v) => v?.ops.length))).toEqual([[20], [20], [10]]);
    sim.deliverAll();
    expect(sim.replies.filter((r) => r.reply.status === 200)).toHaveLength(50);
    sim.heal();
    const decides: number[] = [];
    sim.intercept = (m) => (m.msg.t === 'decide' && decides.push(m.msg.values.reduce((n, v) => n + (v?.ops.length ?? 1), 0)), true);
    expect(sim.runUntil(() => px(sim, 'n3').state.get('k49') === 49, 3000)).toBe(true);
    expect(decides.length).toBeGreaterThanOrEqual(3);
    for (const ops of decides) expect(ops).toBeLessThanOrEqual(20);
  });

  it('the leader keeps many slots in flight without waiting, within its window', () => {
    const sim = scripted(3, { n1: 150 }, { maxInflightSlots: 3 });
    elect(sim);
    sim.inflight = [];
    for (let i = 0; i < 5; i++) sim.client('n1', write('k', i));
    expect(sim.inflight.filter(is('accept', 'n1', 'n2'))).toHaveLength(3); // none acknowledged yet
    sim.deliverAll();
    expect(px(sim, 'n2').acceptor.lastSlot).toBe(4); // the two held back went into one slot together
    expect(sim.replies.filter((r) => r.reply.status === 200)).toHaveLength(5);
    expect(px(sim, 'n1').state.get('k')).toBe(4);
  });
});

describe('failure detection, stickiness and duelling proposers', () => {
  it('a follower that heard the leader recently refuses another proposer, naming the leader', () => {
    const sim = scripted(3);
    elect(sim);
    sim.inflight = [];
    const n2 = px(sim, 'n2');
    n2.step({ type: 'message', from: 'n3', msg: { t: 'prepare', ballot: [9, 'n3'], from: 1 } });
    sim.flush('n2');
    expect(sim.inflight).toEqual([{ from: 'n2', to: 'n3', msg: { t: 'reject', ballot: [9, 'n3'], promised: [1, 'n1'], leader: 'n1' } }]);
    expect(n2.acceptor.promised).toEqual([1, 'n1']);
  });

  it('a node rejoining after a partition does not depose a healthy leader', () => {
    const sim = scripted(3, { n1: 150, n3: 300 });
    elect(sim);
    sim.partition(['n3'], ['n1', 'n2']);
    for (let i = 0; i < 50; i++) {
      sim.tick(100);
      sim.deliverAll();
    }
    expect(px(sim, 'n3').ballot![0]).toBeGreaterThan(5); // it kept trying, with ever higher rounds
    expect(px(sim, 'n3').acceptor.promised).toEqual([1, 'n1']); // but never promised itself
    sim.heal();
    expect(sim.runUntil(() => px(sim, 'n3').leader === 'n1', 2000)).toBe(true);
    sim.runUntil(() => false, 1000);
    expect(leaders(sim)).toEqual(['n1']);
    expect(px(sim, 'n1').ballot).toEqual([1, 'n1']);
    const w = sim.client('n1', write('k', 1));
    sim.deliverAll();
    expect(sim.replyTo(w)?.status).toBe(200);
  });

  /** 5 nodes; n4 and n5 are cut off together, n4 campaigns; n5 (sticky for 150 ms only) would promise it. */
  function minorityCandidate(probe: boolean): PaxosSim {
    const sim = new Sim(algorithm, ids(5), (id) =>
      paxosOptionsSchema.parse({
        probe,
        ...(id === 'n1' ? { electionTimeoutMinMs: 150, electionTimeoutMaxMs: 151 } : {}),
        ...(id === 'n4' ? { electionTimeoutMinMs: 400, electionTimeoutMaxMs: 401 } : {}),
        ...(id === 'n5' ? { electionTimeoutMinMs: 150, electionTimeoutMaxMs: 9000 } : {}),
        ...(['n2', 'n3'].includes(id) ? { electionTimeoutMinMs: 5000, electionTimeoutMaxMs: 5001 } : {}),
      }),
    );
    elect(sim);
    sim.partition(['n4', 'n5'], ['n1', 'n2', 'n3']);
    sim.runUntil(() => false, 1000);
    expect((px(sim, 'n4').metrics().paxos as { phase1Runs: number }).phase1Runs).toBeGreaterThan(0); // it did campaign
    return sim;
  }

  it('a candidate cut off with a minority raises nobody\'s promise (probe), so the healed partition keeps its leader', () => {
    const sim = minorityCandidate(true);
    expect(px(sim, 'n5').acceptor.promised).toEqual([1, 'n1']);
    sim.heal();
    sim.runUntil(() => false, 1000);
    expect(leaders(sim)).toEqual(['n1']);
    expect(px(sim, 'n1').ballot).toEqual([1, 'n1']);
  });

  it('without the probe the same candidate raises a minority\'s promise, and the leader must run phase 1 again after the heal', () => {
    const sim = minorityCandidate(false);
    expect(px(sim, 'n5').acceptor.promised[1]).toBe('n4');
    sim.heal();
    sim.runUntil(() => false, 1000);
    expect(leaders(sim)).toHaveLength(1);
    expect(px(sim, leaders(sim)[0]!).ballot![0]).toBeGreaterThan(1);
  });

  it('a leader cut off from a majority steps down (checkQuorum)', () => {
    const sim = scripted(3);
    elect(sim);
    sim.partition(['n1'], ['n2', 'n3']);
    sim.runUntil(() => px(sim, 'n1').role !== 'leader', 1000);
    expect(px(sim, 'n1').role).toBe('follower');
  });

  it('candidates that time out together converge on one leader (randomized timeouts; 50 seeds)', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const sim = new Sim(algorithm, ids(5), paxosOptionsSchema.parse({ electionTimeoutMinMs: 150, electionTimeoutMaxMs: 160 }), seed);
      expect(sim.runUntil(() => leaders(sim).length === 1, 5000), `seed ${seed}`).toBe(true);
      const l = leaders(sim)[0]!;
      const w = sim.client(l, write('k', seed));
      expect(sim.runUntil(() => sim.replyTo(w) !== undefined, 2000)).toBe(true);
      expect(sim.replyTo(w)?.status, `seed ${seed}`).toBe(200);
    }
  });

  it('leaderless duelling proposers converge under randomized backoff: every request is chosen (30 seeds)', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const sim = leaderless(3, seed);
      const reqs = sim.ids.flatMap((id) => [sim.client(id, write('k', `${id}a`)), sim.client(id, write('k', `${id}b`))]);
      expect(sim.runUntil(() => reqs.every((r) => sim.replyTo(r) !== undefined), 10_000), `seed ${seed}`).toBe(true);
      expect(reqs.map((r) => sim.replyTo(r)?.status)).toEqual(reqs.map(() => 200));
      sim.runUntil(() => sim.ids.every((id) => px(sim, id).appliedIndex === px(sim, 'n1').commitIndex), 2000);
      const applied = sim.applied.get('n1')!.map(([, v]) => v);
      expect(new Set(applied).size).toBe(6); // each value exactly once
      expect(applied).toHaveLength(6);
      for (const id of sim.ids) expect(sim.applied.get(id)).toEqual(sim.applied.get('n1'));
    }
  });
});

// Forwarding, 503/504, cas and transactions, and read-index reads: the client contract every
// consensus core shares, test/common/client-contract.test.ts.

describe('leaderless reads', () => {
  it('leaderless mode chooses reads through the log', () => {
    const sim = leaderless(3);
    const w = sim.client('n1', write('k', 'v'));
    expect(sim.runUntil(() => sim.replyTo(w) !== undefined, 1000)).toBe(true);
    const r = sim.client('n2', { f: 'read', key: 'k' });
    expect(sim.runUntil(() => sim.replyTo(r) !== undefined, 1000)).toBe(true);
    expect(sim.replyTo(r)).toEqual({ status: 200, body: { value: 'v' } });
    expect(px(sim, 'n2').commitIndex).toBe(2);
  });
});
