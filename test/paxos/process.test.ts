/**
 * Multi-Paxos as real processes: `parley node --algo paxos` on loopback, fsync on. Crash is
 * kill -9, so only what was fsynced survives. Build first (npx tsc -p tsconfig.json): the
 * nodes run from dist/.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster } from '../../harness/cluster.js';
import { fetchJson } from '../../harness/http.js';

let cluster: Cluster | null = null;
let dir = '';

async function startCluster(settings: Record<string, string | number> = {}): Promise<Cluster> {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-paxos-'));
  // Generous timeouts: a shared 2-core machine stalls processes for tens of milliseconds.
  cluster = await Cluster.plan({
    algo: 'paxos',
    size: 3,
    dir,
    settings: { electionTimeoutMinMs: 300, electionTimeoutMaxMs: 600, heartbeatMs: 50, requestTimeoutMs: 3000, ...settings },
  });
  cluster.onUnexpectedExit = (e) => {
    throw new Error(`node ${e.name} died unexpectedly: ${e.logTail.join('\n')}`);
  };
  await cluster.start();
  return cluster;
}

afterEach(async () => {
  await cluster?.stop();
  cluster = null;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** PUT through `id`, retrying while the outcome is a definite or unknown failure: returns once acknowledged. */
async function put(c: Cluster, id: string, key: string, value: string, deadlineMs = 15_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const r = await fetchJson(c.node(id).api, 'PUT', `/kv/${key}`, { value }, 5000).catch(() => ({ status: 0, body: null }));
    if (r.status === 200) return;
    if (Date.now() > deadline) throw new Error(`PUT ${key} via ${id} not acknowledged: ${r.status} ${JSON.stringify(r.body)}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

async function get(c: Cluster, id: string, key: string, deadlineMs = 15_000): Promise<unknown> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const r = await fetchJson(c.node(id).api, 'GET', `/kv/${key}`, undefined, 5000).catch(() => ({ status: 0, body: null }));
    if (r.status === 200) return (r.body as { value: unknown }).value;
    if (Date.now() > deadline) throw new Error(`GET ${key} via ${id} failed: ${r.status} ${JSON.stringify(r.body)}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

async function waitFor(what: string, pred: () => Promise<boolean>, deadlineMs = 15_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

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
