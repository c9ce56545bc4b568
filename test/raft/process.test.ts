/**
 * Raft as real processes: three `parley node --algo raft` processes on loopback, fsync on.
 * Crash is kill -9, so only what was fsynced survives.
 */
import { describe, expect, it } from 'vitest';
import { clusterFixture, get, put, waitFor } from '../helpers/cluster.js';

// Generous timeouts: a shared 2-core machine stalls processes for tens of milliseconds.
const fixture = clusterFixture('raft', { electionTimeoutMinMs: 300, electionTimeoutMaxMs: 600, heartbeatMs: 50, requestTimeoutMs: 3000 });
const startCluster = (size = 3) => fixture.start(size);

describe('raft cluster of 3 processes', () => {
  it('serves writes through any node, survives kill -9 of the leader, and the old leader catches up', async () => {
    const c = await startCluster();
    const first = await c.waitForLeader(15_000);
    const written = new Map<string, string>();
    for (const [i, id] of c.ids.entries()) {
      await put(c, id, `k${i}`, `before-${id}`);
      written.set(`k${i}`, `before-${id}`);
    }

    await c.crash(first);
    const second = await c.waitForLeader(15_000, [first]);
    expect(second).not.toBe(first);
    for (const id of c.ids.filter((x) => x !== first)) {
      await put(c, id, `after-${id}`, `written-via-${id}`);
      written.set(`after-${id}`, `written-via-${id}`);
    }

    await c.restart(first);
    const leaderStatus = await c.status(second);
    await waitFor(`${first} to catch up`, async () => {
      const s = await c.status(first);
      return s !== null && Number(s.appliedIndex) >= Number(leaderStatus?.commitIndex) && s.leader === second;
    });
    for (const id of c.ids) {
      for (const [key, value] of written) expect(await get(c, id, key), `${key} via ${id}`).toBe(value);
    }
  });

  it('keeps every acknowledged write across a kill -9 of the whole cluster', async () => {
    const c = await startCluster();
    await c.waitForLeader(15_000);
    const values = Array.from({ length: 30 }, (_, i) => [`d${i}`, `value-${i}`] as const);
    await Promise.all(values.map(([k, v], i) => put(c, c.ids[i % 3]!, k, v)));
    for (const id of c.ids) await c.crash(id);
    for (const id of c.ids) await c.restart(id);
    await c.waitForLeader(15_000);
    for (const [k, v] of values) expect(await get(c, c.ids[0]!, k)).toBe(v);
    // Every node's own state machine holds them too once it has applied the log.
    const leader = await c.waitForLeader(15_000);
    const commit = Number((await c.status(leader))?.commitIndex);
    await waitFor('all nodes to apply the log', async () => {
      const all = await Promise.all(c.ids.map((id) => c.status(id)));
      return all.every((s) => s !== null && Number(s.appliedIndex) >= commit);
    });
  });

  it('reports who leads consistently in GET /status, and counts messages in GET /metrics', async () => {
    const c = await startCluster();
    const leader = await c.waitForLeader(15_000);
    await put(c, leader, 'm', 'x');
    // Every node names the same leader once the last follower has heard from it (a stalled
    // follower on a busy machine may still be catching up when the write is acknowledged).
    let statuses: (Record<string, unknown> | null)[] = [];
    await waitFor('every node to name the leader', async () => {
      statuses = await Promise.all(c.ids.map((id) => c.status(id)));
      const named = new Set(statuses.map((s) => s?.leader));
      return named.size === 1 && typeof statuses[0]?.leader === 'string';
    });
    for (const s of statuses) expect(s).toMatchObject({ algo: 'raft', leader: statuses[0]!.leader });
    const m = await c.metrics(leader);
    expect(Number(m?.msgsSent)).toBeGreaterThan(0);
    expect(Number(m?.fsyncs)).toBeGreaterThan(0);
    expect(m?.peers).toHaveProperty(c.ids.find((id) => id !== leader)!);
  });
});

describe('bad input to the client API', () => {
  it('answers malformed requests with a 4xx JSON error and keeps serving', async () => {
    const c = await startCluster(1);
    await c.waitForLeader(15_000);
    const api = c.node('n1').api;
    const raw = async (method: string, p: string, body?: string, headers: Record<string, string> = {}) => {
      const res = await fetch(`http://${api.host}:${api.port}${p}`, { method, body, headers: { 'content-type': 'application/json', ...headers } });
      return { status: res.status, body: (await res.json()) as { error?: string } };
    };
    const cases: [string, string, string | undefined, number][] = [
      ['PUT', '/kv/a', '{"value":', 400],
      ['PUT', '/kv/a', '{"value": {"nested": 1}}', 400],
      ['PUT', '/kv/a', '{"val": 1}', 400],
      ['PUT', '/kv/a', '[1,2]', 400],
      ['PUT', '/kv/a', undefined, 400],
      ['POST', '/kv/a/cas', '{"from": 1}', 400],
      ['POST', '/txn', '{"ops": []}', 400],
      ['POST', '/txn', '{"ops": [{"f": "add", "key": "a", "delta": "x"}]}', 400],
      ['POST', '/txn', '{"ops": [{"f": "drop", "key": "a"}]}', 400],
      ['GET', '/kv/%E0%A4%A', undefined, 400],
      ['GET', `/kv/${'k'.repeat(300)}`, undefined, 400],
      ['DELETE', '/kv/a', undefined, 405],
      ['POST', '/status', undefined, 405],
      ['GET', '/nope', undefined, 404],
      ['PUT', '/kv/a', JSON.stringify({ value: 'x'.repeat(2 * 1024 * 1024) }), 413],
    ];
    for (const [method, p, body, status] of cases) {
      const r = await raw(method, p, body);
      expect(r.status, `${method} ${p} ${body?.slice(0, 40)}`).toBe(status);
      expect(typeof r.body.error).toBe('string');
    }
    // Still alive and correct.
    expect(await raw('PUT', '/kv/a', '{"value": 7}')).toEqual({ status: 200, body: { ok: true } });
    expect(await raw('GET', '/kv/a')).toEqual({ status: 200, body: { value: 7 } });
  });
});
