/**
 * Every fault kind takes effect in the simulator, observed the way a client or the checkers
 * would see it, in simulated time. Each test drives one fault through the same runner the
 * simulator uses (harness/sim/engine/faults.ts) against a Raft cluster.
 */
import { describe, expect, it } from 'vitest';
import { Random } from '../../nodes/common/random.js';
import { nodeOptions } from '../../nodes/main.js';
import { loadAlgorithm } from '../../nodes/registry.js';
import { faultSchema, type FaultSpec } from '../../contracts/scenario.js';
import { SimCluster } from '../../harness/sim/engine/cluster.js';
import { SimApi } from '../../harness/sim/engine/clients.js';
import { SimFaultRunner } from '../../harness/sim/engine/faults.js';
import { CALIBRATED } from '../../harness/sim/engine/delay.js';
import type { ClientOp } from '../../nodes/common/core.js';
import type { Outcome } from '../../workloads/client.js';
import { runCase } from '../../harness/sim/run-case.js';
import { simCase, modules } from './helpers.js';

async function boot(nodes = 5, settings: Record<string, string> = {}) {
  const algorithm = await loadAlgorithm('raft');
  const { runtime, algo } = nodeOptions('raft', algorithm, settings);
  const c = new SimCluster({ ids: Array.from({ length: nodes }, (_, i) => `n${i + 1}`), algorithm, algoOptions: algo, runtime, seed: 7, net: CALIBRATED, sync: { kind: 'constant', ms: 0.5 } });
  expect(c.startAll()).toEqual([]);
  expect(c.waitFor(() => c.leader() !== null, 10_000)).toBe(true);
  const api = new SimApi(c, new Random(3), CALIBRATED, 3000);
  /** One request, run to its outcome; returns it and how long it took in simulated ms. */
  const call = (node: number, op: ClientOp): { outcome: Outcome; ms: number } => {
    let outcome: Outcome | null = null;
    const t0 = c.sched.now;
    api.invoke(node, op, (o) => (outcome = o));
    c.waitFor(() => outcome !== null, 10_000, 1);
    return { outcome: outcome!, ms: c.sched.now - t0 };
  };
  const fault = (spec: Partial<FaultSpec> & Pick<FaultSpec, 'kind'>) => {
    const runner = new SimFaultRunner([faultSchema.parse({ at: 0, duration: 60_000, ...spec })], c, new Random(9), c.sched.now);
    runner.start();
    c.sched.runUntil(c.sched.now + 1);
    return runner;
  };
  const leaderIndex = () => c.ids.indexOf(c.leader()!);
  return { c, call, fault, leaderIndex };
}

const write = (key: string, value: string): ClientOp => ({ f: 'write', key, value });

describe('every fault kind takes effect in the simulator', () => {
  it('latency: a write replicated under 200 ms of one-way latency takes at least one round trip of it', async () => {
    const { c, call, fault, leaderIndex } = await boot();
    const before = call(leaderIndex(), write('k', 'a'));
    expect(before.outcome.type).toBe('ok');
    expect(before.ms).toBeLessThan(100);
    const runner = fault({ kind: 'latency', target: 'all', latencyMs: 200 });
    const during = call(leaderIndex(), write('k', 'b'));
    expect(during.outcome.type).toBe('ok');
    expect(during.ms).toBeGreaterThanOrEqual(400);
    expect(runner.records[0]!.status).toBe('active');
    expect(c.net.link('n1', 'n2').toxics).toHaveLength(1);
  });

  it('bandwidth: an 8 KB value over 10 KB/s links takes most of a second to replicate', async () => {
    // Election timeouts above the transfer time, so the leader keeps its term meanwhile.
    const { call, fault, leaderIndex } = await boot(5, { requestTimeoutMs: '10000', electionTimeoutMinMs: '2000', electionTimeoutMaxMs: '3000', heartbeatMs: '100' });
    fault({ kind: 'bandwidth', target: 'all', rateKBps: 10 });
    const r = call(leaderIndex(), { f: 'write', key: 'big', value: 'x'.repeat(8000) });
    expect(r.outcome.type).toBe('ok');
    expect(r.ms).toBeGreaterThanOrEqual(750);
  });

  it('drop (black hole on every link): nothing commits and messages vanish; after the heal writes commit again', async () => {
    const { c, call, fault, leaderIndex } = await boot();
    const leader = leaderIndex();
    const runner = fault({ kind: 'drop', target: 'all', probability: 1 });
    const r = call(leader, write('k', 'lost'));
    expect(r.outcome.type).not.toBe('ok');
    expect(c.net.lost.blackhole).toBeGreaterThan(0);
    runner.stop();
    expect(c.waitFor(() => c.leader() !== null, 20_000)).toBe(true);
    expect(call(leaderIndex(), write('k', 'back')).outcome.type).toBe('ok');
  });

  it('reset at the first bytes and a cut after N bytes break connections, which are redialled', async () => {
    for (const afterBytes of [0, 300]) {
      const { c, fault } = await boot(3);
      const link = c.net.link('n1', 'n2');
      const connects = link.counters.connects;
      fault({ kind: 'reset', target: 'all', probability: 1, afterBytes });
      const dropped = link.counters.dropped;
      c.sched.runUntil(c.sched.now + 1000);
      expect(link.counters.connects, `afterBytes ${afterBytes}`).toBeGreaterThan(connects + 1);
      // Messages die with the connections, or find the link down between redials (the transport drops them).
      expect(c.net.lost.reset + link.counters.dropped - dropped, `afterBytes ${afterBytes}`).toBeGreaterThan(0);
    }
  });

  it('partition, isolate the leader (black hole): the majority elects another leader; the old one cannot commit', async () => {
    const { c, call, fault } = await boot();
    const old = c.leader()!;
    const runner = fault({ kind: 'partition', shape: 'isolate-leader' });
    expect(runner.records[0]!.targets).toEqual([old]);
    expect(c.waitFor(() => c.leader() !== null && c.leader() !== old, 10_000)).toBe(true);
    const stale = call(c.ids.indexOf(old), write('k', 'minority'));
    expect(stale.outcome.type).not.toBe('ok');
  });

  it('majority-minority around the leader: it is cut off with a follower; with no leader agreed the cut is made at random, not skipped', async () => {
    const { c, fault } = await boot();
    const old = c.leader()!;
    const runner = fault({ kind: 'partition', shape: 'majority-minority', target: 'leader' });
    const record = runner.records[0]!;
    expect(record.status).toBe('active');
    expect(record.targets).toEqual([old]);
    const minority = record.groups![1]!;
    expect(minority).toHaveLength(2);
    expect(minority).toContain(old);
    expect(c.waitFor(() => c.leader() !== null && !minority.includes(c.leader()!), 10_000)).toBe(true);
    runner.stop();
    // Every node down but two: no leader can be agreed, and the cut still happens.
    for (const id of c.ids.slice(0, 3)) c.node(id).crash(false, false, new Random(1));
    const blind = fault({ kind: 'partition', shape: 'majority-minority', target: 'leader' }).records[0]!;
    c.sched.runUntil(c.sched.now + 6000); // the 5 s a leader is waited for
    expect(blind.status).toBe('active');
    expect(blind.reason).toMatch(/both sides drawn at random/);
    expect(blind.groups![1]).toHaveLength(2);
  });

  it('partition in disable mode: connections to the proxies are refused until it ends', async () => {
    const { c, fault } = await boot(3);
    const runner = fault({ kind: 'partition', shape: 'isolate', target: 'n3', mode: 'disable' });
    c.sched.runUntil(c.sched.now + 1000);
    expect(c.net.link('n3', 'n1').state).not.toBe('up');
    expect(c.net.link('n1', 'n3').state).not.toBe('up');
    expect(c.net.link('n1', 'n2').state).toBe('up');
    runner.stop();
    expect(c.waitFor(() => c.net.link('n3', 'n1').state === 'up', 5000)).toBe(true);
  });

  it('one-way partition: the node still hears everyone, nobody hears it', async () => {
    const { c, fault } = await boot(3);
    const follower = c.ids.find((id) => id !== c.leader())!;
    fault({ kind: 'partition', shape: 'one-way', target: follower });
    const heard = c.net.link(c.leader()!, follower).counters.msgsReceived;
    const spoke = c.net.link(follower, c.leader()!).counters.msgsReceived;
    c.sched.runUntil(c.sched.now + 500);
    expect(c.net.link(c.leader()!, follower).counters.msgsReceived).toBeGreaterThan(heard);
    expect(c.net.link(follower, c.leader()!).counters.msgsReceived).toBe(spoke);
  });

  it('crash: the node is gone (its clients get refused), then restarts on its log with what it had', async () => {
    const { c, call, fault, leaderIndex } = await boot(3);
    expect(call(leaderIndex(), write('k', 'kept')).outcome.type).toBe('ok');
    c.sched.runUntil(c.sched.now + 200);
    const victim = c.ids.find((id) => id !== c.leader())!;
    const committed = Number(c.node(victim).status()!.commitIndex);
    const runner = fault({ kind: 'crash', target: victim, duration: 500 });
    expect(c.node(victim).up).toBe(false);
    expect(call(c.ids.indexOf(victim), { f: 'read', key: 'k' }).outcome).toMatchObject({ type: 'fail', error: 'econnrefused' });
    c.sched.runUntil(c.sched.now + 600);
    expect(runner.records[0]!.status).toBe('done');
    expect(c.node(victim).up).toBe(true);
    expect((c.node(victim).host!.core as unknown as { lastIndex: number }).lastIndex).toBeGreaterThanOrEqual(committed);
  });

  it('pause: a paused leader is replaced; a request sent to it waits and is answered when it resumes', async () => {
    const { c, fault } = await boot(3);
    const old = c.leader()!;
    const runner = fault({ kind: 'pause', target: 'leader', duration: 800 });
    expect(c.node(old).paused).toBe(true);
    expect(c.node(old).status()).toBeNull();
    const api = new SimApi(c, new Random(4), CALIBRATED, 10_000);
    let outcome: Outcome | null = null;
    api.invoke(c.ids.indexOf(old), { f: 'read', key: 'k' }, (o) => (outcome = o));
    expect(c.waitFor(() => { const l = c.leader(); return l !== null && l !== old; }, 5000)).toBe(true);
    expect(outcome).toBeNull();
    c.sched.runUntil(c.sched.now + 2000);
    expect(runner.records[0]!.status).toBe('done');
    expect(outcome).not.toBeNull();
  });

  it('clock: a node whose clock runs 4x (and jumps 1 s) lives 4x the simulated time between its timers', async () => {
    const { c, fault } = await boot(3);
    const n = c.node('n2');
    const before = n.localNow();
    fault({ kind: 'clock', target: 'n2', clockRate: 4, clockJumpMs: 1000 });
    const t0 = c.sched.now;
    const l0 = n.localNow();
    expect(l0 - before).toBeGreaterThanOrEqual(1000);
    c.sched.runUntil(t0 + 100);
    expect(n.localNow() - l0).toBeCloseTo(400, 0);
  });
});

describe('power loss', () => {
  it('with fsync off, losing power on every node loses acknowledged writes, and the durability checker says so', async () => {
    const m = await modules('raft');
    // At the end of the load, so no later write hides the loss under a newer value.
    const c = simCase({ algo: 'raft', nodes: 3, seed: 3, options: { fsync: false } }, [{ kind: 'crash', mode: 'power-loss', target: 'all', at: 5800, duration: 150 }]);
    const r = runCase(c, m);
    expect(r.faults[0]!.status).toBe('done');
    expect(r.faults[0]!.lostBytes).toBeGreaterThan(0);
    expect(r.verdict).toBe('invalid');
    expect(r.failed).toContain('durability');
  });

  it('with fsync on, the same power loss loses no acknowledged write', async () => {
    const m = await modules('raft');
    for (const seed of [3, 4, 5]) {
      const c = simCase({ algo: 'raft', nodes: 3, seed }, [{ kind: 'crash', mode: 'power-loss', target: 'all', at: 4000, duration: 500 }]);
      const r = runCase(c, m);
      expect(r.faults[0]!.status).toBe('done');
      expect(r.verdict, r.checks.map((v) => v.summary).join('\n')).toBe('valid');
    }
  });
});
