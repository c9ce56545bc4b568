/**
 * Raft core tests that replay exact message orders through the deterministic simulator.
 * Each names the paper section it checks (Ongaro & Ousterhout 2014; the dissertation for
 * PreVote and CheckQuorum).
 */
import { describe, expect, it } from 'vitest';
import { Sim, type SimMessage } from '../../harness/sim/sim.js';
import { RaftCore, type RaftMessage } from '../../nodes/raft/core.js';
import { raftOptionsSchema, type RaftOptions } from '../../nodes/raft/options.js';
import { Random } from '../../nodes/common/random.js';

type RaftSim = Sim<RaftMessage, RaftOptions>;
const algorithm = { create: (ctx: ConstructorParameters<typeof RaftCore>[0]) => new RaftCore(ctx) };
const ids = (n: number) => Array.from({ length: n }, (_, i) => `n${i + 1}`);

/** n1 times out first (150-151 ms); everyone else waits far longer, so elections are scripted. */
function scripted(n: number, extra: Partial<RaftOptions> = {}): RaftSim {
  return new Sim(algorithm, ids(n), (id) =>
    raftOptionsSchema.parse(id === 'n1' ? { electionTimeoutMinMs: 150, electionTimeoutMaxMs: 151, ...extra } : { electionTimeoutMinMs: 5000, electionTimeoutMaxMs: 5001, ...extra }),
  );
}

const raft = (sim: RaftSim, id: string) => sim.core<RaftCore>(id);
const leaders = (sim: RaftSim) => sim.ids.filter((id) => sim.isUp(id) && raft(sim, id).role === 'leader');
const is = (t: RaftMessage['t'], from?: string, to?: string) => (m: SimMessage<RaftMessage>) =>
  m.msg.t === t && (from === undefined || m.from === from) && (to === undefined || m.to === to);

function elect(sim: RaftSim, id = 'n1'): void {
  sim.runUntil(() => leaders(sim).includes(id), 2000);
  expect(leaders(sim)).toEqual([id]);
  sim.runUntil(() => sim.ids.every((x) => !sim.isUp(x) || raft(sim, x).commitIndex >= raft(sim, id).commitIndex), 500);
}

describe('leader election (§5.2)', () => {
  it('a candidate that wins a majority in one round of RequestVote becomes leader', () => {
    const sim = scripted(3);
    sim.tick(160, ['n1']); // n1 times out: PreVote round
    expect(raft(sim, 'n1').role).toBe('precandidate');
    expect(raft(sim, 'n1').term).toBe(0); // PreVote does not bump the term (§9.6)
    sim.deliverAll();
    expect(raft(sim, 'n1').role).toBe('leader');
    expect(raft(sim, 'n1').term).toBe(1);
    expect(raft(sim, 'n2').votedFor).toBe('n1');
  });

  it('a server grants at most one vote per term, and remembers it across a restart', () => {
    const sim = scripted(3, { preVote: false });
    sim.tick(160, ['n1']);
    sim.deliver(is('vote', 'n1', 'n2')); // n2 votes for n1 in term 1 and persists it
    expect(raft(sim, 'n2').votedFor).toBe('n1');
    sim.crash('n2');
    sim.restart('n2');
    expect(raft(sim, 'n2').term).toBe(1);
    expect(raft(sim, 'n2').votedFor).toBe('n1');
    // Another candidate in the same term 1 is refused.
    sim.inflight = [];
    sim.core('n2').step({ type: 'message', from: 'n3', msg: { t: 'vote', term: 1, lastIndex: 0, lastTerm: 0 } });
    sim.flush('n2');
    expect(sim.inflight).toEqual([{ from: 'n2', to: 'n3', msg: { t: 'voteResp', term: 1, granted: false } }]);
  });

  it('election safety: at most one leader per term across random schedules (200 seeds)', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const sim = new Sim(algorithm, ids(5), raftOptionsSchema.parse({}), seed);
      const rnd = new Random(seed);
      const leaderOfTerm = new Map<number, string>();
      for (let step = 0; step < 150; step++) {
        sim.tick(rnd.int(5, 60));
        sim.deliverRandomly(rnd.int(0, 40), 0.1);
        if (rnd.chance(0.05)) {
          sim.heal();
          const victim = rnd.pick(sim.ids);
          sim.partition([victim], sim.ids.filter((x) => x !== victim));
        }
        for (const l of leaders(sim)) {
          const term = raft(sim, l).term;
          const seen = leaderOfTerm.get(term);
          expect(seen === undefined || seen === l, `seed ${seed}: ${seen} and ${l} both lead term ${term}`).toBe(true);
          leaderOfTerm.set(term, l);
        }
      }
    }
  });
});

describe('log replication (§5.3) and safety (§5.4)', () => {
  it('log matching, leader completeness and state machine safety hold across crashes, partitions and loss (20 seeds; parley sim sweeps many more)', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const sim = new Sim(algorithm, ids(5), raftOptionsSchema.parse({}), seed);
      const rnd = new Random(seed * 31);
      const acked = new Map<string, string>(); // reqId -> value the client was told is written
      const sent = new Map<string, string>();
      let v = 0;
      for (let step = 0; step < 200; step++) {
        sim.tick(rnd.int(5, 40));
        const target = rnd.pick(sim.ids);
        if (sim.isUp(target) && rnd.chance(0.5)) {
          const value = `v${v++}`;
          const reqId = sim.client(target, { f: 'write', key: 'k', value });
          sent.set(reqId, value);
        }
        sim.deliverRandomly(rnd.int(0, 60), 0.05);
        sim.randomFaults(rnd);
        for (const r of sim.replies) if (r.reply.status === 200 && sent.has(r.reqId)) acked.set(r.reqId, sent.get(r.reqId)!);
        assertLogMatching(sim, seed);
        assertAppliedPrefixes(sim, seed);
      }
      // Heal everything, let it settle: every acknowledged write is applied on every node.
      sim.heal();
      for (const id of sim.ids) if (!sim.isUp(id)) sim.restart(id);
      const done = sim.runUntil(() => {
        const l = leaders(sim);
        return l.length === 1 && sim.ids.every((id) => raft(sim, id).appliedIndex === raft(sim, l[0]!).lastIndex);
      }, 20_000);
      expect(done, `seed ${seed}: cluster did not settle`).toBe(true);
      for (const r of sim.replies) if (r.reply.status === 200 && sent.has(r.reqId)) acked.set(r.reqId, sent.get(r.reqId)!);
      for (const id of sim.ids) {
        // Replies may be duplicated across restarts of the applying node; compare sets.
        const appliedValues = new Set(sim.applied.get(id)!.map(([, value]) => value));
        for (const value of acked.values()) expect(appliedValues.has(value), `seed ${seed}: ${id} lost acknowledged ${value}`).toBe(true);
      }
    }
  });

  it('Figure 8: a leader does not commit an entry of an earlier term by counting replicas', () => {
    // The paper's setting: plain elections (no PreVote, no CheckQuorum lease). Distinct
    // timeouts script who runs; maxBatchEntries=1 lets an old entry travel alone.
    const timeouts: Record<string, number> = { n1: 150, n5: 300 };
    const sim = new Sim(algorithm, ids(5), (id) => {
      const t = timeouts[id] ?? 5000;
      return raftOptionsSchema.parse({ preVote: false, checkQuorum: false, maxBatchEntries: 1, electionTimeoutMinMs: t, electionTimeoutMaxMs: t + 1 });
    });
    const appendWithEntries = (from: string, m: SimMessage<RaftMessage>) => m.from === from && m.msg.t === 'append' && m.msg.entries.length > 0;
    // (a) n1 leads and its no-op commits everywhere; write A (index 2) reaches only n2.
    elect(sim, 'n1');
    const termA = raft(sim, 'n1').term;
    sim.partition(['n1', 'n2'], ['n3', 'n4', 'n5']);
    const reqA = sim.client('n1', { f: 'write', key: 'x', value: 'A' });
    sim.deliverAll();
    expect(raft(sim, 'n2').log.entry(2)).toEqual([termA, { f: 'write', key: 'x', value: 'A' }]);
    // (b) n1 crashes; n5 wins with n3 and n4; its no-op at index 2 is replicated nowhere.
    sim.crash('n1');
    sim.heal();
    sim.partition(['n2'], ['n3', 'n4', 'n5']);
    sim.intercept = (m) => !appendWithEntries('n5', m);
    expect(sim.runUntil(() => raft(sim, 'n5').role === 'leader', 10_000)).toBe(true);
    expect(raft(sim, 'n5').log.term(2)).toBeGreaterThan(termA);
    sim.crash('n5');
    // (c) n1 restarts and wins with n2 and n3. Index 2 (term of A) reaches n3 alone; the
    // new term's no-op at index 3 reaches nobody.
    sim.heal();
    sim.partition(['n1'], ['n4']);
    sim.intercept = (m) => !(appendWithEntries('n1', m) && (m.to === 'n2' || (m.msg.t === 'append' && m.msg.prevIndex >= 2)));
    sim.restart('n1');
    expect(sim.runUntil(() => sim.isUp('n1') && raft(sim, 'n1').role === 'leader' && raft(sim, 'n3').lastIndex >= 2, 20_000)).toBe(true);
    sim.runUntil(() => false, 500); // heartbeats settle every follower's match index
    expect(raft(sim, 'n3').log.term(2)).toBe(termA);
    expect(raft(sim, 'n1').log.term(3)).toBeGreaterThan(termA);
    // A sits on n1, n2, n3, a majority, but belongs to an earlier term: not committed.
    expect(raft(sim, 'n1').commitIndex).toBeLessThan(2);
    expect(sim.replyTo(reqA)).toBeUndefined();
    // (d) n1 crashes; n5, whose last term is newer than A's, wins and overwrites index 2.
    sim.crash('n1');
    sim.intercept = null;
    sim.restart('n5');
    expect(sim.runUntil(() => sim.isUp('n5') && raft(sim, 'n5').role === 'leader', 30_000)).toBe(true);
    expect(sim.runUntil(() => raft(sim, 'n3').commitIndex >= 2, 2000)).toBe(true);
    expect(raft(sim, 'n3').log.term(2)).not.toBe(termA);
    // Nobody was ever told A committed, so nothing acknowledged was lost.
    expect(sim.replies.filter((r) => r.reqId === reqA && r.reply.status === 200)).toEqual([]);
  });

  it('the leader batches the proposals of one input batch into one AppendEntries per follower', () => {
    const sim = scripted(3);
    elect(sim);
    sim.inflight = [];
    const core = sim.core('n1');
    for (let i = 0; i < 50; i++) core.step({ type: 'client', reqId: `w${i}`, op: { f: 'write', key: `k${i}`, value: i }, forwarded: false });
    sim.flush('n1');
    const appends = sim.inflight.filter((m) => m.msg.t === 'append');
    expect(appends.map((m) => m.to).sort()).toEqual(['n2', 'n3']);
    for (const m of appends) expect((m.msg as Extract<RaftMessage, { t: 'append' }>).entries).toHaveLength(50);
    sim.deliverAll();
    expect(sim.replies.filter((r) => r.reply.status === 200)).toHaveLength(50);
  });

  it('the leader pipelines appends without waiting for acknowledgements, within its window', () => {
    const sim = scripted(3, { maxInflight: 3 });
    elect(sim);
    sim.inflight = [];
    for (let i = 0; i < 5; i++) sim.client('n1', { f: 'write', key: 'k', value: i });
    const toN2 = sim.inflight.filter((m) => m.to === 'n2' && m.msg.t === 'append');
    expect(toN2).toHaveLength(3); // window of 3, none acknowledged yet
    sim.deliverAll();
    expect(raft(sim, 'n2').lastIndex).toBe(raft(sim, 'n1').lastIndex);
  });

  it('§5.4.1 election restriction: a candidate with a stale log cannot win', () => {
    const sim = scripted(3, { preVote: false, checkQuorum: false });
    elect(sim);
    sim.partition(['n1', 'n2'], ['n3']);
    sim.client('n1', { f: 'write', key: 'k', value: 1 });
    sim.deliverAll();
    sim.crash('n1');
    sim.heal();
    // n3 (missing the write) asks n2 for a vote in a newer term: refused.
    sim.tick(5001, ['n3']);
    sim.deliverAll();
    expect(raft(sim, 'n2').term).toBe(raft(sim, 'n3').term); // n2 did hear the request
    expect(raft(sim, 'n3').role).toBe('candidate');
    expect(raft(sim, 'n2').votedFor).toBeNull();
  });
});

describe('PreVote and CheckQuorum (dissertation §9.6, §4.2.3)', () => {
  it('a partitioned follower that rejoins does not depose a healthy leader', () => {
    const sim = scripted(3);
    elect(sim);
    const term = raft(sim, 'n1').term;
    sim.partition(['n3'], ['n1', 'n2']);
    for (let i = 0; i < 100; i++) {
      sim.tick(100);
      sim.deliverAll();
    }
    expect(raft(sim, 'n3').term).toBe(term); // its PreVotes fail; no term inflation
    sim.heal();
    sim.runUntil(() => raft(sim, 'n3').leader === 'n1', 1000);
    expect(leaders(sim)).toEqual(['n1']);
    expect(raft(sim, 'n1').term).toBe(term);
  });

  it('without PreVote, the same rejoin forces a new election (the disruption PreVote prevents)', () => {
    const sim = scripted(3, { preVote: false, checkQuorum: false });
    elect(sim);
    const term = raft(sim, 'n1').term;
    sim.partition(['n3'], ['n1', 'n2']);
    for (let i = 0; i < 60; i++) {
      sim.tick(100);
      sim.deliverAll();
    }
    expect(raft(sim, 'n3').term).toBeGreaterThan(term);
    sim.heal();
    sim.runUntil(() => raft(sim, 'n1').term > term, 2000);
    expect(raft(sim, 'n1').term).toBeGreaterThan(term);
  });

  it('a leader cut off from a majority steps down (CheckQuorum)', () => {
    const sim = scripted(3);
    elect(sim);
    sim.partition(['n1'], ['n2', 'n3']);
    sim.runUntil(() => raft(sim, 'n1').role !== 'leader', 1000);
    expect(raft(sim, 'n1').role).toBe('follower');
  });
});

// Forwarding, 503/504, cas and transactions, and ReadIndex reads (§6.4): the client contract
// every consensus core shares, test/common/client-contract.test.ts.

function assertLogMatching(sim: RaftSim, seed: number): void {
  const up = sim.ids.filter((id) => sim.isUp(id)).map((id) => raft(sim, id));
  for (let a = 0; a < up.length; a++) {
    for (let b = a + 1; b < up.length; b++) {
      const x = up[a]!;
      const y = up[b]!;
      // Compare what both still hold: below a node's offset, its snapshot stands for the log.
      const from = Math.max(x.log.offset, y.log.offset);
      const n = Math.min(x.lastIndex, y.lastIndex);
      let i = n;
      while (i > from && x.log.term(i) !== y.log.term(i)) i--;
      // §5.3: same index and term => identical prefixes.
      for (let j = from + 1; j <= i; j++) {
        expect(x.log.entry(j), `seed ${seed}: ${x.id} and ${y.id} differ at ${j} below matching index ${i}`).toEqual(y.log.entry(j));
      }
    }
  }
}

function assertAppliedPrefixes(sim: RaftSim, seed: number): void {
  // State machine safety: committed entries are the same on every node (compare committed logs).
  const up = sim.ids.filter((id) => sim.isUp(id)).map((id) => raft(sim, id));
  for (const x of up) {
    for (const y of up) {
      const n = Math.min(x.commitIndex, y.commitIndex);
      for (let j = Math.max(x.log.offset, y.log.offset) + 1; j <= n; j++) {
        expect(x.log.entry(j), `seed ${seed}: committed entry ${j} differs on ${x.id} and ${y.id}`).toEqual(y.log.entry(j));
      }
    }
  }
}
