/**
 * Two-phase commit as real processes: `parley node --algo twopc` on loopback, fsync on,
 * crash = kill -9. What the simulator tests prove message by message, checked here against
 * the runtime, the disk and the wire: the bank stays whole through a coordinator crash in
 * the middle of a transfer storm, and the blocking it causes is visible while it lasts and
 * in the trace afterwards.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Cluster } from '../../harness/cluster.js';
import { clusterFixture, linksUp, waitFor } from '../helpers/cluster.js';
import { fetchJson } from '../../harness/http.js';
import { NodeClient } from '../../workloads/client.js';
import { checkAtomicity, parseCommitEvent, type CommitEvent } from '../../workloads/checkers/atomicity.js';
import { Random } from '../../nodes/common/random.js';
import type { ClientOp } from '../../nodes/common/core.js';

// A shared 2-core machine stalls processes for tens of milliseconds: generous timeouts.
const fixture = clusterFixture('twopc', { requestTimeoutMs: 3000, prepareTimeoutMs: 1000, lockWaitMs: 300 });
const startCluster = (size: number, settings: Record<string, string | number> = {}) => fixture.start(size, settings);

type Reply = { status: number; body: Record<string, unknown> };
async function call(c: Cluster, id: string, method: string, p: string, body?: unknown): Promise<Reply> {
  const r = await fetchJson(c.node(id).api, method, p, body, 5000).catch(() => ({ status: 0, body: null }));
  return { status: r.status, body: (r.body ?? {}) as Record<string, unknown> };
}

/** Retry until the answer has `status` (a node may still be connecting to its peers). */
async function until(c: Cluster, status: number, id: string, method: string, p: string, body?: unknown): Promise<Reply> {
  let last: Reply = { status: 0, body: {} };
  await waitFor(`${method} ${p} via ${id} to answer ${status} (last: ${last.status} ${JSON.stringify(last.body)})`, async () => {
    last = await call(c, id, method, p, body);
    return last.status === status;
  });
  return last;
}

async function status(c: Cluster, id: string): Promise<Record<string, unknown>> {
  return (await c.status(id, 2000)) ?? {};
}

const ACCOUNTS = Array.from({ length: 8 }, (_, i) => `acct${i}`);
const OPENING = 100;

function transfer(rnd: Random): ClientOp {
  const [from, to] = rnd.sample(ACCOUNTS, 2) as [string, string];
  const amount = rnd.int(1, 5);
  return { f: 'txn', ops: [{ f: 'add', key: from, delta: -amount, floor: 0 }, { f: 'add', key: to, delta: amount }] };
}

/** Concurrent clients sending transfers to random nodes until stopped; counts answers by status. */
function storm(c: Cluster, clients: number) {
  const client = new NodeClient(c.nodes.map((n) => n.api), { connections: clients, timeoutMs: 5000 });
  const counts: Record<number, number> = {};
  let stopped = false;
  const rnd = new Random(20240611);
  const done = Promise.all(
    Array.from({ length: clients }, async () => {
      while (!stopped) {
        const out = await client.invoke(rnd.int(0, c.nodes.length - 1), transfer(rnd));
        counts[out.status] = (counts[out.status] ?? 0) + 1;
        // Back off after a refusal so a dead coordinator does not turn into a busy loop.
        if (out.type !== 'ok') await new Promise((r) => setTimeout(r, 10));
      }
    }),
  );
  return {
    counts,
    async stop() {
      stopped = true;
      await done;
      await client.close();
    },
  };
}

function readTrace(c: Cluster): CommitEvent[] {
  const events: CommitEvent[] = [];
  for (const n of c.nodes) {
    const file = path.join(n.dataDir, 'events.jsonl');
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (line) events.push(parseCommitEvent(line, file, i + 1));
    });
  }
  return events;
}

describe('twopc cluster of 3 processes, sharded', () => {
  it('bank transfers survive kill -9 of the coordinator mid-storm: participants block in doubt, resolve after restart, and no money is created or destroyed', async () => {
    const c = await startCluster(3);
    const opening = await until(c, 200, 'n2', 'POST', '/txn', { ops: ACCOUNTS.map((key) => ({ f: 'write', key, value: OPENING })) });
    expect(opening.body).toMatchObject({ ok: true });

    const load = storm(c, 12);
    try {
      await waitFor('transfers to commit', async () => (load.counts[200] ?? 0) >= 50);
      // Kill the coordinator at a moment when some participant is prepared and undecided.
      let blocked: string | undefined;
      for (let attempt = 0; attempt < 8 && blocked === undefined; attempt++) {
        await waitFor('a participant in doubt', async () => {
          const s = await Promise.all(['n2', 'n3'].map((id) => status(c, id)));
          return s.some((x) => Number(x.inDoubt) > 0);
        });
        await c.crash('n1');
        for (const id of ['n2', 'n3']) if (Number((await status(c, id)).inDoubt) > 0) blocked = id;
        if (blocked === undefined) await c.restart('n1'); // the decisions won the race; try again
      }
      expect(blocked, 'a participant left in doubt by the crash').toBeDefined();
      const participant = blocked!;

      // Blocking, measured while it lasts: in doubt for a second and counting, locks held.
      await waitFor(`${participant} to be in doubt for 1 s`, async () => Number((await status(c, participant)).inDoubtOldestMs) >= 1000);
      const s = await status(c, participant);
      expect(s).toMatchObject({ role: 'participant', leader: 'n1' });
      expect(Number(s.lockedKeys)).toBeGreaterThan(0);
      const [oldest] = s.inDoubtOldest as { txid: string; keys: string[] }[];
      const metrics = await c.metrics(participant);
      expect((metrics?.twopc as { inDoubt: number }).inDoubt).toBeGreaterThan(0);
      // A read of a key it holds for the in-doubt transaction fails definitely, naming it.
      const read = await call(c, participant, 'GET', `/kv/${oldest!.keys[0]}`);
      expect(read.status).toBe(503);
      expect(String(read.body.error)).toContain(oldest!.txid);
      // New transactions cannot reach the coordinator: 503, definitely not applied.
      await until(c, 503, participant, 'POST', '/txn', { ops: [{ f: 'add', key: 'acct0', delta: 0 }] });

      await c.restart('n1');
      await waitFor('every in-doubt transaction to resolve', async () => {
        const all = await Promise.all(c.ids.map((id) => status(c, id)));
        return all.every((x) => Number(x.inDoubt) === 0);
      });
      const committedBefore = load.counts[200] ?? 0;
      await waitFor('transfers to commit again', async () => (load.counts[200] ?? 0) >= committedBefore + 20);
    } finally {
      await load.stop();
    }

    // Money conserved: one read of every balance (a snapshot across shards) and each owner's own value.
    const snapshot = await until(c, 200, 'n3', 'POST', '/txn', { ops: ACCOUNTS.map((key) => ({ f: 'read', key })) });
    const balances = snapshot.body.results as number[];
    expect(balances.reduce((x, y) => x + y, 0)).toBe(OPENING * ACCOUNTS.length);
    for (const b of balances) expect(b).toBeGreaterThanOrEqual(0);
    let sum = 0;
    for (const key of ACCOUNTS) sum += Number((await until(c, 200, 'n1', 'GET', `/kv/${key}`)).body.value);
    expect(sum).toBe(OPENING * ACCOUNTS.length);

    // The trace: atomic commitment held, and the blocking shows as in-doubt time of a second or more.
    await c.stop();
    const verdict = checkAtomicity(readTrace(c));
    expect(verdict.summary).toMatch(/Atomic commit holds/);
    expect(verdict.valid).toBe(true);
    expect(verdict.stats.inDoubtAtEnd).toBe(0);
    expect(verdict.stats.inDoubtMaxMs).toBeGreaterThanOrEqual(1000);
    expect(verdict.stats.committed).toBeGreaterThan(70);
  });

  it('serves the client API through every node: forwarding to the coordinator and to key owners, status and metrics', async () => {
    const c = await startCluster(3);
    await linksUp(c);
    const statuses = await Promise.all(c.ids.map((id) => status(c, id)));
    expect(statuses.map((s) => [s.role, s.leader])).toEqual([
      ['coordinator', 'n1'],
      ['participant', 'n1'],
      ['participant', 'n1'],
    ]);
    expect(await until(c, 200, 'n3', 'PUT', '/kv/x', { value: 1 })).toMatchObject({ body: { ok: true } });
    for (const id of c.ids) expect((await call(c, id, 'GET', '/kv/x')).body).toEqual({ value: 1 });
    expect(await call(c, 'n2', 'POST', '/kv/x/cas', { from: 1, to: 2 })).toMatchObject({ status: 200, body: { ok: true } });
    expect(await call(c, 'n2', 'POST', '/kv/x/cas', { from: 1, to: 3 })).toMatchObject({ status: 409, body: { ok: false, error: 'precondition', value: 2 } });
    const t = await call(c, 'n3', 'POST', '/txn', { ops: [{ f: 'write', key: 'y', value: 5 }, { f: 'add', key: 'x', delta: 3 }, { f: 'read', key: 'y' }] });
    expect(t).toMatchObject({ status: 200, body: { ok: true, results: [5, 5, 5] } });
    const below = await call(c, 'n2', 'POST', '/txn', { ops: [{ f: 'add', key: 'y', delta: -6, floor: 0 }, { f: 'add', key: 'x', delta: 6 }] });
    expect(below).toMatchObject({ status: 409, body: { ok: false, error: 'aborted' } });
    expect((await call(c, 'n1', 'GET', '/kv/y')).body).toEqual({ value: 5 });
    const m = await c.metrics('n1');
    expect(Number(m?.fsyncs)).toBeGreaterThan(0);
    const twopc = m?.twopc as { inDoubt: number; coordinator: { committed: number; abortedByVote: number } };
    expect(twopc.inDoubt).toBe(0);
    // The PUT may have been retried while the nodes were still connecting; the cas and the add below the floor aborted by vote.
    expect(twopc.coordinator.committed).toBeGreaterThanOrEqual(3);
    expect(twopc.coordinator.abortedByVote).toBe(2);
  });
});

describe('twopc cluster of 3 processes, replicated', () => {
  it('every node holds every key, so one node down stops writes (503) while reads go on; restarted, writes resume', async () => {
    const c = await startCluster(3, { layout: 'replicated' });
    await until(c, 200, 'n2', 'PUT', '/kv/k', { value: 'a' });
    for (const id of c.ids) expect((await call(c, id, 'GET', '/kv/k')).body).toEqual({ value: 'a' });
    await c.crash('n3');
    const refused = await call(c, 'n2', 'PUT', '/kv/k', { value: 'b' });
    expect(refused.status).toBe(503);
    expect(String(refused.body.error)).toMatch(/no vote from n3|cannot reach/);
    expect((await call(c, 'n1', 'GET', '/kv/k')).body).toEqual({ value: 'a' });
    await c.restart('n3');
    await until(c, 200, 'n1', 'PUT', '/kv/k', { value: 'c' });
    for (const id of c.ids) expect((await call(c, id, 'GET', '/kv/k')).body).toEqual({ value: 'c' });
  });
});
