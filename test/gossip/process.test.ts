/**
 * Gossip as real processes: `parley node --algo gossip` on loopback, fsync on. A crash is
 * kill -9; with no fault plane here, a paused process (SIGSTOP) stands in for a node cut
 * off the network. What must hold: every live node converges to the same values, the
 * crashed nodes are declared dead everywhere, the paused one comes back alive (it refutes
 * the suspicion), and a restarted one rejoins and catches up.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster } from '../../harness/cluster.js';
import { fetchJson } from '../../harness/http.js';

let cluster: Cluster | null = null;
let dir = '';

/** A fast detector with generous margins: this machine's 2 shared cores stall processes for tens of ms. */
const SETTINGS = {
  tickMs: 20,
  requestTimeoutMs: 3000,
  rumorIntervalMs: 40,
  antiEntropyIntervalMs: 300,
  probeIntervalMs: 300,
  probeTimeoutMs: 150,
  suspicionTimeoutMs: 1200,
  reconnectIntervalMs: 400,
  startupGraceMs: 3000,
  replicaPersistMs: 0, // every version durable before it is forwarded: the restart below must find what it held
};

async function startCluster(size: number): Promise<Cluster> {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-gossip-'));
  cluster = await Cluster.plan({ algo: 'gossip', size, dir, settings: SETTINGS });
  cluster.onUnexpectedExit = (e) => {
    throw new Error(`node ${e.name} died unexpectedly: ${e.logTail.join('\n')}`);
  };
  await cluster.start(30_000);
  return cluster;
}

afterEach(async () => {
  await cluster?.stop();
  cluster = null;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

interface Members {
  alive: string[];
  suspect: string[];
  dead: string[];
}

async function members(c: Cluster, id: string): Promise<Members | null> {
  const s = await c.status(id, 2000);
  return (s?.members as Members | undefined) ?? null;
}

async function read(c: Cluster, id: string, key: string): Promise<unknown> {
  const r = await fetchJson(c.node(id).api, 'GET', `/kv/${key}`, undefined, 3000).catch(() => null);
  return r?.status === 200 ? (r.body as { value: unknown }).value : undefined;
}

async function put(c: Cluster, id: string, key: string, value: string): Promise<void> {
  const r = await fetchJson(c.node(id).api, 'PUT', `/kv/${key}`, { value }, 5000);
  expect(r, `PUT ${key}=${value} on ${id}`).toEqual({ status: 200, body: { ok: true } });
}

async function waitFor(what: string, pred: () => Promise<boolean>, deadlineMs = 20_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

async function allSee(c: Cluster, observers: string[], check: (m: Members) => boolean): Promise<boolean> {
  const views = await Promise.all(observers.map((id) => members(c, id)));
  return views.every((m) => m !== null && check(m));
}

const traceLines = (id: string, file: string) =>
  fs
    .readFileSync(path.join(dir, 'data', id, file), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('gossip node processes', () => {
  it('converges after two crashes and a paused node, detects the dead everywhere, and takes a restarted node back', async () => {
    const c = await startCluster(5);
    const everyone = c.ids;
    await waitFor('every node to see all five alive', () => allSee(c, everyone, (m) => m.alive.length === 5));

    await put(c, 'n1', 'k1', 'v1');
    await waitFor('k1 on every node', async () => (await Promise.all(everyone.map((id) => read(c, id, 'k1')))).every((v) => v === 'v1'));

    await c.crash('n4');
    await c.crash('n5');
    c.pause('n3'); // cut off: it hears nothing and says nothing until resumed
    await put(c, 'n2', 'k2', 'v2');
    await put(c, 'n1', 'k1', 'v1b'); // a later write to the same key: last writer wins everywhere

    const up = ['n1', 'n2'];
    await waitFor('n1 and n2 to declare n4 and n5 dead', () => allSee(c, up, (m) => m.dead.includes('n4') && m.dead.includes('n5')));
    await waitFor('n1 and n2 to suspect the paused n3', () => allSee(c, up, (m) => !m.alive.includes('n3')));

    c.resume('n3');
    const live = ['n1', 'n2', 'n3'];
    await waitFor('n3 to refute and every live node to hold the latest values', async () => {
      const values = await Promise.all(live.flatMap((id) => [read(c, id, 'k1'), read(c, id, 'k2')]));
      const views = await allSee(c, live, (m) => m.alive.join() === 'n1,n2,n3' && m.dead.join() === 'n4,n5');
      return views && values.every((v, i) => v === (i % 2 === 0 ? 'v1b' : 'v2'));
    });
    // The paused node's own trace says when it first held what was written while it was cut off.
    const n3Trace = traceLines('n3', 'applied.jsonl');
    expect(n3Trace.find((a) => a.k === 'k2')).toMatchObject({ v: 'v2', version: [expect.any(Number), 'n2'] });
    for (const id of up) {
      const events = traceLines(id, 'events.jsonl').filter((e) => e.event === 'member');
      const deaths = new Set(events.filter((e) => e.state === 'dead').map((e) => e.member));
      expect(deaths.has('n4') && deaths.has('n5'), `${id} traced the deaths of n4 and n5`).toBe(true);
      // n3 was silent long enough to be suspected (maybe declared dead); its last word is that it is alive.
      const n3 = events.filter((e) => e.member === 'n3').map((e) => e.state);
      expect(n3[0]).toBe('suspect');
      expect(n3[n3.length - 1]).toBe('alive');
    }

    await c.restart('n4');
    // It never forgets what it held before the crash (the version is on its disk).
    expect(['v1', 'v1b']).toContain(await read(c, 'n4', 'k1'));
    const rejoined = ['n1', 'n2', 'n3', 'n4'];
    await waitFor('n4 to rejoin and catch up', async () => {
      const views = await allSee(c, rejoined, (m) => m.alive.join() === 'n1,n2,n3,n4' && m.dead.join() === 'n5');
      return views && (await read(c, 'n4', 'k1')) === 'v1b' && (await read(c, 'n4', 'k2')) === 'v2';
    });
    expect(((await c.status('n4'))?.incarnation as number) >= 1).toBe(true);
  });

  it('answers cas and transactions with a definite 501, bad input with 400, and reports its role and members', async () => {
    const c = await startCluster(3);
    const api = c.node('n2').api;
    expect(await fetchJson(api, 'POST', '/kv/x/cas', { from: null, to: 1 })).toEqual({ status: 501, body: { error: 'not supported by gossip: no consensus' } });
    expect(await fetchJson(api, 'POST', '/txn', { ops: [{ f: 'add', key: 'a', delta: 1 }] })).toEqual({ status: 501, body: { error: 'not supported by gossip: no consensus' } });
    expect((await fetchJson(api, 'PUT', '/kv/x', { nope: 1 })).status).toBe(400);
    expect(await fetchJson(api, 'GET', '/kv/x')).toEqual({ status: 200, body: { value: null } });
    const status = await c.status('n2');
    expect(status).toMatchObject({ id: 'n2', algo: 'gossip', role: 'member', leader: null });
    await waitFor('all three alive', () => allSee(c, ['n2'], (m) => m.alive.length === 3));
    expect(await members(c, 'n2')).toEqual({ alive: ['n1', 'n2', 'n3'], suspect: [], dead: [] });
  });
});
