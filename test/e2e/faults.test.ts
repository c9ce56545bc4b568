/**
 * The fault plane against a real Raft cluster: every peer link is a proxy, and each kind of
 * fault has the effect it claims on the running protocol, not just on a socket.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../../harness/cluster.js';
import { FaultPlane } from '../../harness/faults/plane.js';
import { FaultRunner } from '../../harness/faults/runner.js';
import { faultSchema, type FaultSpec } from '../../contracts/scenario.js';
import { fetchJson } from '../../harness/http.js';
import { Random } from '../../nodes/common/random.js';
import { monoNs } from '../../nodes/common/clock.js';
import { waitUntil } from '../helpers/procs.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-faults-'));
let plane: FaultPlane;
let cluster: Cluster;

beforeAll(async () => {
  plane = await FaultPlane.start({ logDir: path.join(dir, 'logs') });
  cluster = await Cluster.plan({ algo: 'raft', size: 3, dir, settings: { electionTimeoutMinMs: 300, electionTimeoutMaxMs: 600, requestTimeoutMs: 2000, linkDeadMs: 600 } });
  cluster.onUnexpectedExit = (e) => {
    throw new Error(`${e.name} died: ${e.logTail.join('\n')}`);
  };
  await plane.wire(cluster);
  await cluster.start();
  await cluster.waitForLeader(20_000);
});

afterAll(async () => {
  await cluster?.stop();
  await plane?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Run one fault now, through the same runner `parley run` uses; resolves when it has ended. */
async function withFault(spec: Partial<FaultSpec> & Pick<FaultSpec, 'kind'>, during: () => Promise<void>) {
  const fault = faultSchema.parse({ at: 0, duration: 60_000, ...spec });
  const runner = new FaultRunner([fault], cluster, plane, new Random(1), Number(monoNs()), () => undefined);
  const done = runner.run();
  await waitUntil('the fault to start', () => runner.records[0]!.status === 'active' || runner.records[0]!.status === 'skipped', 15_000);
  try {
    await during();
  } finally {
    await runner.stop();
    await done;
  }
  return runner.records[0]!;
}

async function timedPut(via: string, key: string): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  const r = await fetchJson(cluster.node(via).api, 'PUT', `/kv/${key}`, { value: key }, 10_000).catch(() => ({ status: 0 }));
  return { status: r.status, ms: performance.now() - t0 };
}

describe('faults on a live raft cluster', () => {
  it('latency on every link slows every committed write by at least one link delay', async () => {
    const leader = await cluster.waitForLeader(20_000);
    const record = await withFault({ kind: 'latency', target: 'all', latencyMs: 120, jitterMs: 0 }, async () => {
      const samples = [];
      for (let i = 0; i < 5; i++) samples.push(await timedPut(leader, `lat${i}`));
      for (const s of samples) expect(s.status).toBe(200);
      // A commit needs the append to reach a follower and its answer to come back: 2 delays.
      for (const s of samples) expect(s.ms).toBeGreaterThanOrEqual(200);
    });
    expect(record.links).toHaveLength(6);
    // Healed: no toxic is left on any link (how fast the next write is is the machine's business).
    const proxies = await plane.client.listProxies();
    for (const name of Object.keys(proxies)) expect(await plane.client.listToxics(name), name).toEqual([]);
    expect((await timedPut(leader, 'lat-after')).status).toBe(200);
  });

  it('isolating the leader (black hole) makes the majority elect another; healing lets the old one rejoin', async () => {
    const old = await cluster.waitForLeader(20_000);
    const record = await withFault({ kind: 'partition', shape: 'isolate-leader', mode: 'blackhole' }, async () => {
      const next = await cluster.waitForLeader(20_000, [old]);
      expect(next).not.toBe(old);
      expect((await timedPut(next, 'after-isolation')).status).toBe(200);
      // The cut-off leader cannot commit: its write times out or is refused.
      expect((await timedPut(old, 'from-the-island')).status).not.toBe(200);
    });
    expect(record.targets).toEqual([old]);
    expect(record.links).toHaveLength(4);
    await waitUntil('the old leader to follow again', async () => (await cluster.status(old))?.role === 'follower', 20_000);
  });

  it('a one-way partition (the leader can hear but not speak) also moves leadership', async () => {
    const old = await cluster.waitForLeader(20_000);
    await withFault({ kind: 'partition', shape: 'one-way', target: old, mode: 'disable' }, async () => {
      expect(await cluster.waitForLeader(20_000, [old])).not.toBe(old);
    });
  });

  it('pausing the leader (SIGSTOP) moves leadership; resuming brings it back as a follower', async () => {
    const old = await cluster.waitForLeader(20_000);
    await withFault({ kind: 'pause', target: 'leader' }, async () => {
      expect(cluster.isUp(old)).toBe(false);
      expect(await cluster.waitForLeader(20_000, [old])).not.toBe(old);
    });
    expect(cluster.isUp(old)).toBe(true);
    await waitUntil('the resumed node to follow', async () => (await cluster.status(old))?.role === 'follower', 20_000);
  });

  it('a clock fault slows the leader\'s protocol clock: its heartbeats come too late, so the followers elect another', async () => {
    const old = await cluster.waitForLeader(20_000);
    const clockOf = async (id: string) => ((await cluster.metrics(id)) as { clock?: { rate: number; offsetMs: number } } | null)?.clock;
    const record = await withFault({ kind: 'clock', target: 'leader', clockRate: 0.01, clockJumpMs: 0 }, async () => {
      expect((await clockOf(old))?.rate).toBe(0.01);
      expect(await cluster.waitForLeader(20_000, [old])).not.toBe(old);
    });
    expect(record.targets).toEqual([old]);
    expect(record.status).toBe('done');
    // Ended: the node runs at the machine's rate again, behind it by what the fault held back.
    const after = await clockOf(old);
    expect(after?.rate).toBe(1);
    expect(after!.offsetMs).toBeLessThan(0);
    await waitUntil('the slowed node to follow', async () => (await cluster.status(old))?.role === 'follower', 20_000);
  });

  it('crash is kill -9 and restart on the same data: acknowledged writes survive', async () => {
    const leader = await cluster.waitForLeader(20_000);
    expect((await timedPut(leader, 'durable')).status).toBe(200);
    const record = await withFault({ kind: 'crash', target: 'leader' }, async () => {
      expect(cluster.isUp(leader)).toBe(false);
    });
    expect(record.recoveredMs).toBeGreaterThanOrEqual(record.startMs!);
    const next = await cluster.waitForLeader(20_000);
    const r = await fetchJson(cluster.node(next).api, 'GET', '/kv/durable', undefined, 5000);
    expect(r).toEqual({ status: 200, body: { value: 'durable' } });
  });

  it('drop with probability 1 on one node black-holes its links until removed', async () => {
    const leader = await cluster.waitForLeader(20_000);
    const follower = cluster.ids.find((id) => id !== leader)!;
    await withFault({ kind: 'drop', target: follower, probability: 1 }, async () => {
      // The other two still form a majority and keep committing.
      expect((await timedPut(leader, 'with-one-silent')).status).toBe(200);
      await waitUntil(`${follower} to lose the leader`, async () => (await cluster.status(follower))?.leader !== leader, 20_000);
    });
    await waitUntil(`${follower} to rejoin`, async () => (await cluster.status(follower))?.leader === (await cluster.leader()), 20_000);
  });

  it('connections cut mid-frame (limit_data) and reset (reset_peer) are survived: the links reconnect and writes commit', async () => {
    const leader = await cluster.waitForLeader(20_000);
    for (const spec of [{ afterBytes: 300 }, { afterBytes: 0 }]) {
      await withFault({ kind: 'reset', target: 'all', probability: 1, ...spec }, async () => {
        const links = await Promise.all(cluster.ids.map((id) => cluster.metrics(id)));
        expect(links.every((m) => m !== null)).toBe(true); // nobody crashed on a torn frame
      });
      await waitUntil('a write to commit after the cuts', async () => (await timedPut(leader, `after-cut-${spec.afterBytes}`)).status === 200, 20_000);
    }
  });

  it('a fault whose target cannot be resolved is recorded as skipped with the reason', async () => {
    const record = await withFault({ kind: 'crash', target: 'random-minority' }, async () => undefined);
    expect(record.status).toBe('done'); // 3 nodes have a minority of one
    const single = new FaultRunner([faultSchema.parse({ kind: 'partition', shape: 'ring', at: 0, duration: 100 })], cluster, plane, new Random(1), Number(monoNs()), () => undefined);
    await single.run();
    expect(single.records[0]).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/cuts no link/) });
  });
});
