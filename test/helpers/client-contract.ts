/**
 * The client contract of a consensus core (docs/nodes.md), as one suite that runs over every
 * core that claims it, message by message through the deterministic simulator:
 *
 *   - the replicated state machine (nodes/common/kv-state.ts): cas honours its precondition
 *     and reports the value it found, a transaction applies whole or aborts whole on an
 *     `add` below its floor, appends build lists every read returns (an append to a number
 *     aborts);
 *   - with a leader: a follower forwards to the leader it knows (one hop) and answers 503
 *     when it knows none; a leader that loses leadership answers the writes it proposed 504
 *     (they may yet be chosen); a read is answered only after a majority has confirmed the
 *     leadership after the read arrived, so a deposed leader never serves a stale value.
 */
import { describe, expect, it } from 'vitest';
import type { Sim, SimMessage } from '../../harness/sim/sim.js';

export interface ClientContractSubject<M, O> {
  /** How the suite's titles name the core. */
  name: string;
  /**
   * Three nodes n1..n3. A node listed in `timeouts` times out after that many ms (1 ms of
   * jitter); the others wait 5 s, so who campaigns is scripted. `checkQuorum: false` lets a
   * leader cut off from the majority go on believing it leads (and turns off whatever would
   * keep the majority from electing another leader while it does).
   */
  cluster(timeouts: Record<string, number>, opts?: { checkQuorum?: boolean }): Sim<M, O>;
  /** Absent for a leaderless core: every node serves, nothing is forwarded. */
  leader?: {
    isLeader(sim: Sim<M, O>, id: string): boolean;
    /** Run until `id` leads and every live node has caught up with it. */
    elect(sim: Sim<M, O>, id: string): void;
    /** The messages of the leader's read confirmation round (Raft: append, Paxos: accept). */
    confirmation(m: SimMessage<M>): boolean;
  };
  /** Run until every one of `reqIds` is answered; absent: deliver every message in flight (a leader answers then). */
  settle?(sim: Sim<M, O>, reqIds: string[]): void;
}

const write = (key: string, value: string | number) => ({ f: 'write', key, value }) as const;

export function clientContractSuite<M, O>(subject: ClientContractSubject<M, O>): void {
  describe(`${subject.name}: the state machine as clients see it`, () => {
    it('cas and transactions apply with their preconditions', () => {
      const sim = subject.cluster({ n1: 150 });
      if (subject.leader) subject.leader.elect(sim, 'n1');
      expectCasAndTxnContract(sim, 'n1', (reqIds) => (subject.settle ? subject.settle(sim, reqIds) : sim.deliverAll()));
    });
  });

  const leader = subject.leader;
  if (!leader) return;

  describe(`${subject.name}: clients of a leader`, () => {
    it('a follower forwards to the known leader, and answers 503 when none is known', () => {
      const sim = subject.cluster({ n1: 150 });
      const early = sim.client('n2', write('k', 1));
      expect(sim.replyTo(early)?.status).toBe(503);
      leader.elect(sim, 'n1');
      const fwd = sim.client('n2', write('k', 2));
      expect(sim.forwards).toContainEqual(['n2', fwd, 'n1']);
      const again = sim.client('n2', write('k', 3), true);
      expect(sim.replyTo(again)?.status).toBe(503); // a forwarded request is not forwarded twice
    });

    it('a leader that loses leadership answers the writes it proposed 504 (outcome unknown)', () => {
      const sim = subject.cluster({ n1: 150 });
      leader.elect(sim, 'n1');
      sim.partition(['n1'], ['n2', 'n3']);
      const w = sim.client('n1', write('k', 1));
      sim.runUntil(() => !leader.isLeader(sim, 'n1'), 2000);
      expect(sim.replyTo(w)?.status).toBe(504);
    });
  });

  describe(`${subject.name}: linearizable reads`, () => {
    it('a read is answered only after a majority confirms the leadership after it arrived, with the committed value', () => {
      const sim = subject.cluster({ n1: 150 });
      leader.elect(sim, 'n1');
      const w = sim.client('n1', write('k', 'one'));
      sim.deliverAll();
      expect(sim.replyTo(w)?.status).toBe(200);
      sim.inflight = [];
      const r = sim.client('n1', { f: 'read', key: 'k' });
      expect(sim.replyTo(r)).toBeUndefined(); // waiting for the confirmation round
      expect(sim.inflight.filter(leader.confirmation)).toHaveLength(2);
      sim.deliverAll();
      expect(sim.replyTo(r)).toEqual({ status: 200, body: { value: 'one' } });
    });

    it('a deposed leader never serves a stale read', () => {
      const sim = subject.cluster({ n1: 150, n2: 1000 }, { checkQuorum: false });
      leader.elect(sim, 'n1');
      sim.client('n1', write('k', 'old'));
      sim.deliverAll();
      // n1 is cut off; n2 (the next to campaign) or n3 becomes leader and commits a newer value.
      sim.partition(['n1'], ['n2', 'n3']);
      const successor = () => ['n2', 'n3'].find((id) => leader.isLeader(sim, id));
      expect(sim.runUntil(() => successor() !== undefined, 20_000)).toBe(true);
      const w = sim.client(successor()!, write('k', 'new'));
      expect(sim.runUntil(() => sim.replyTo(w) !== undefined, 1000)).toBe(true);
      expect(sim.replyTo(w)?.status).toBe(200);
      // n1 still believes it leads, but cannot confirm a read.
      expect(leader.isLeader(sim, 'n1')).toBe(true);
      const r = sim.client('n1', { f: 'read', key: 'k' });
      for (let i = 0; i < 20; i++) {
        sim.tick(60);
        sim.deliverAll();
      }
      expect(sim.replyTo(r)).toBeUndefined();
      // Healing lets n1 learn it was deposed: the read fails definitely instead of returning 'old'.
      sim.heal();
      expect(sim.runUntil(() => sim.replyTo(r) !== undefined, 2000)).toBe(true);
      expect(sim.replyTo(r)?.status).toBe(503);
    });
  });
}

/** The state machine's contract through `node`; `settle` runs until every request sent is answered. */
export function expectCasAndTxnContract<M, O>(sim: Sim<M, O>, node: string, settle: (reqIds: string[]) => void): void {
  const ops = [
    sim.client(node, { f: 'cas', key: 'k', from: null, to: 1 }),
    sim.client(node, { f: 'cas', key: 'k', from: 7, to: 2 }),
    sim.client(node, { f: 'txn', ops: [{ f: 'add', key: 'a', delta: 10 }] }),
    sim.client(node, { f: 'txn', ops: [{ f: 'add', key: 'a', delta: -4, floor: 0 }, { f: 'add', key: 'b', delta: 4 }] }),
    sim.client(node, { f: 'txn', ops: [{ f: 'add', key: 'b', delta: -5, floor: 0 }, { f: 'add', key: 'a', delta: 5 }] }),
    sim.client(node, { f: 'txn', ops: [{ f: 'read', key: 'a' }, { f: 'read', key: 'b' }] }),
  ];
  settle(ops);
  expect(ops.map((r) => sim.replyTo(r)?.status)).toEqual([200, 409, 200, 200, 409, 200]);
  expect(sim.replyTo(ops[5]!)?.body).toEqual({ ok: true, results: [6, 4] });
  expect(sim.replyTo(ops[1]!)?.body).toMatchObject({ error: 'precondition', value: 1 });

  const lists = [
    sim.client(node, { f: 'txn', ops: [{ f: 'append', key: 'l', value: 1 }, { f: 'append', key: 'l', value: 2 }] }),
    sim.client(node, { f: 'txn', ops: [{ f: 'append', key: 'l', value: 9 }, { f: 'append', key: 'a', value: 3 }] }),
    sim.client(node, { f: 'txn', ops: [{ f: 'read', key: 'l' }, { f: 'append', key: 'l', value: 3 }, { f: 'read', key: 'l' }] }),
    sim.client(node, { f: 'read', key: 'l' }),
  ];
  settle(lists);
  expect(lists.map((r) => sim.replyTo(r)?.status)).toEqual([200, 409, 200, 200]);
  expect(sim.replyTo(lists[2]!)?.body).toEqual({ ok: true, results: [[1, 2], 3, [1, 2, 3]] });
  expect(sim.replyTo(lists[3]!)?.body).toEqual({ value: [1, 2, 3] });
}
