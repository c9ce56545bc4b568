/**
 * Multi-Paxos as real processes: `parley node --algo paxos` on loopback, fsync on. Crash is
 * kill -9, so only what was fsynced survives. Build first (npx tsc -p tsconfig.json): the
 * nodes run from dist/.
 */
import { describe, expect, it } from 'vitest';
import type { Cluster } from '../../harness/cluster.js';
import { clusterFixture, get, put, waitFor } from '../helpers/cluster.js';

// Generous timeouts: a shared 2-core machine stalls processes for tens of milliseconds.
const fixture = clusterFixture('paxos', { electionTimeoutMinMs: 300, electionTimeoutMaxMs: 600, heartbeatMs: 50, requestTimeoutMs: 3000 });
const startCluster = (settings: Record<string, string | number> = {}) => fixture.start(3, settings);

/** Every node has applied at least what `leader` had chosen. */
async function allApplied(c: Cluster, leader: string): Promise<void> {
  const commit = Number((await c.status(leader))?.commitIndex);
  await waitFor(`every node to apply up to slot ${commit}`, async () => {
    const all = await Promise.all(c.ids.map((id) => c.status(id)));
    return all.every((s) => s !== null && Number(s.appliedIndex) >= commit);
  });
}

describe('paxos cluster of 3 processes', () => {
  it('serves writes through any node, survives kill -9 of the leader, and the old leader catches up', async () => {
    const c = await startCluster();
    const first = await c.waitForLeader(15_000);
    const firstStatus = await c.status(first);
    expect(firstStatus).toMatchObject({ algo: 'paxos', role: 'leader', leader: first, mode: 'leader' });
    const written = new Map<string, string>();
    for (const [i, id] of c.ids.entries()) {
      await put(c, id, `k${i}`, `before-${id}`);
      written.set(`k${i}`, `before-${id}`);
    }

    await c.crash(first);
    const second = await c.waitForLeader(15_000, [first]);
    expect(second).not.toBe(first);
    expect(Number((await c.status(second))?.term)).toBeGreaterThan(Number(firstStatus?.term)); // a higher ballot
    for (const id of c.ids.filter((x) => x !== first)) {
      await put(c, id, `after-${id}`, `written-via-${id}`);
      written.set(`after-${id}`, `written-via-${id}`);
    }

    await c.restart(first);
    await waitFor(`${first} to follow ${second}`, async () => (await c.status(first))?.leader === second);
    await allApplied(c, second);
    for (const id of c.ids) {
      for (const [key, value] of written) expect(await get(c, id, key), `${key} via ${id}`).toBe(value);
    }
  });

  it('keeps serving through kill -9 of a minority without changing leader, and the restarted node catches up', async () => {
    const c = await startCluster();
    const leader = await c.waitForLeader(15_000);
    const ballot = (await c.status(leader))?.ballot;
    const victim = c.ids.find((id) => id !== leader)!;
    await c.crash(victim);
    const values = Array.from({ length: 40 }, (_, i) => [`m${i}`, `v${i}`] as const);
    for (const [k, v] of values) await put(c, leader, k, v, 5000);
    expect((await c.status(leader))?.ballot).toEqual(ballot);
    await c.restart(victim);
    await allApplied(c, leader);
    const victimStatus = await c.status(victim);
    expect(victimStatus).toMatchObject({ role: 'follower', leader });
    for (const [k, v] of values) expect(await get(c, victim, k)).toBe(v);
  });

  it('keeps every acknowledged write across a kill -9 of the whole cluster', async () => {
    const c = await startCluster();
    await c.waitForLeader(15_000);
    const values = Array.from({ length: 30 }, (_, i) => [`d${i}`, `value-${i}`] as const);
    await Promise.all(values.map(([k, v], i) => put(c, c.ids[i % 3]!, k, v)));
    for (const id of c.ids) await c.crash(id);
    for (const id of c.ids) await c.restart(id);
    const leader = await c.waitForLeader(15_000);
    for (const [k, v] of values) expect(await get(c, c.ids[0]!, k)).toBe(v);
    await allApplied(c, leader);
    const m = await c.metrics(leader);
    expect(Number(m?.fsyncs)).toBeGreaterThan(0);
    expect((m?.paxos as { phase1Runs: number }).phase1Runs).toBeGreaterThanOrEqual(1);
  });

  it('in leaderless mode every node proposes, and all of them apply the same writes', async () => {
    const c = await startCluster({ mode: 'leaderless' });
    const statuses = await Promise.all(c.ids.map((id) => c.status(id)));
    for (const s of statuses) expect(s).toMatchObject({ algo: 'paxos', mode: 'leaderless', leader: null });
    // Concurrent writes to one key from every node: proposers contend for the same slots.
    await Promise.all(c.ids.flatMap((id) => Array.from({ length: 10 }, (_, i) => put(c, id, 'shared', `${id}-${i}`))));
    await Promise.all(c.ids.map((id) => put(c, id, `own-${id}`, id)));
    for (const id of c.ids) {
      // Each node ran its own phase 1 for its own clients: there is no leader to forward to.
      const m = (await c.metrics(id))?.paxos as { phase1Runs: number; inDoubt: number };
      expect(m.phase1Runs).toBeGreaterThanOrEqual(1);
    }
    const final = await get(c, c.ids[0]!, 'shared');
    for (const id of c.ids) {
      expect(await get(c, id, 'shared')).toBe(final); // a read is chosen in a slot after the last write
      for (const other of c.ids) expect(await get(c, id, `own-${other}`)).toBe(other);
    }
  });
});
