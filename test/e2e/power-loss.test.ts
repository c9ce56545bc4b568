/**
 * Power loss on real processes: a kill -9 keeps the page cache, so only cutting each file
 * back to what the node synced (harness/faults/power-loss.ts, driven by the runtime's
 * durable.json) shows what a power failure would lose. With fsync off it loses
 * acknowledged writes and the durability checker says so; with fsync on it never does.
 * And a combined nemesis really does both of its faults at once.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { Cluster } from '../../harness/cluster.js';
import { FaultPlane } from '../../harness/faults/plane.js';
import { FaultRunner } from '../../harness/faults/runner.js';
import { faultSchema } from '../../contracts/scenario.js';
import { fetchJson } from '../../harness/http.js';
import { Random } from '../../nodes/common/random.js';
import { monoNs } from '../../nodes/common/clock.js';
import { waitUntil } from '../helpers/procs.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-power-'));
const cli = path.resolve('bin/parley.js');
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let stop: (() => Promise<void>) | null = null;
afterEach(async () => {
  await stop?.();
  stop = null;
});

async function startCluster(name: string, settings: Record<string, string | number>) {
  const dir = path.join(tmp, name);
  const plane = await FaultPlane.start({ logDir: path.join(dir, 'logs') });
  const cluster = await Cluster.plan({ algo: 'raft', size: 3, dir, settings: { electionTimeoutMinMs: 300, electionTimeoutMaxMs: 600, ...settings } });
  stop = async () => {
    await cluster.stop();
    await plane.stop();
  };
  await plane.wire(cluster);
  await cluster.start();
  await cluster.waitForLeader(20_000);
  return { cluster, plane };
}

async function put(cluster: Cluster, key: string): Promise<void> {
  await waitUntil(`PUT ${key} acknowledged`, async () => {
    const leader = await cluster.leader();
    if (!leader) return false;
    const r = await fetchJson(cluster.node(leader).api, 'PUT', `/kv/${key}`, { value: key }, 5000).catch(() => ({ status: 0 }));
    return r.status === 200;
  }, 20_000);
}

describe('power loss of real node processes', () => {
  it('cuts each file back to what the node synced: with fsync off the crash loses the WAL bytes written since', async () => {
    const { cluster, plane } = await startCluster('cut', { fsync: 'false' });
    for (let i = 0; i < 20; i++) await put(cluster, `k${i}`);
    const victim = cluster.ids[0]!;
    const wal = path.join(cluster.node(victim).dataDir!, 'wal');
    const before = fs.statSync(wal).size;
    expect(before).toBeGreaterThan(0);
    const runner = new FaultRunner([faultSchema.parse({ kind: 'crash', mode: 'power-loss', target: victim, at: 0, duration: 500 })], cluster, plane, new Random(1), Number(monoNs()), () => undefined);
    await runner.run();
    const record = runner.records[0]!;
    expect(record.status).toBe('done');
    expect(record.lostBytes).toBeGreaterThan(0);
    // Restarted on what survived, and caught up from the others.
    await waitUntil('the victim to serve again', async () => (await cluster.status(victim, 1000)) !== null, 20_000);
  });

  it('with fsync on, the same crash cuts nothing that was acknowledged: the ledger says every byte is synced', async () => {
    const { cluster, plane } = await startCluster('synced', {});
    for (let i = 0; i < 10; i++) await put(cluster, `k${i}`);
    const runner = new FaultRunner([faultSchema.parse({ kind: 'crash', mode: 'power-loss', target: 'all', at: 0, duration: 500 })], cluster, plane, new Random(1), Number(monoNs()), () => undefined);
    await runner.run();
    expect(runner.records[0]!.status).toBe('done');
    await cluster.waitForLeader(20_000);
    for (let i = 0; i < 10; i++) {
      await waitUntil(`k${i} read back`, async () => {
        const leader = await cluster.leader();
        const r = leader ? await fetchJson(cluster.node(leader).api, 'GET', `/kv/k${i}`, undefined, 5000).catch(() => ({ status: 0, body: null })) : { status: 0, body: null };
        if (r.status !== 200) return false;
        expect((r.body as { value: unknown }).value).toBe(`k${i}`);
        return true;
      }, 20_000);
    }
  });

  it('a power loss at a failpoint lands inside the victim\'s fsync: it dies there, and the write it was syncing is cut', async () => {
    const { cluster, plane } = await startCluster('failpoint', {});
    const leader = await cluster.waitForLeader(20_000);
    const victim = cluster.ids.find((id) => id !== leader)!;
    // Writes keep coming, so the follower has a sync to die in.
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++) await fetchJson(cluster.node(leader).api, 'PUT', `/kv/w${i % 20}`, { value: i }, 2000).catch(() => undefined);
    })();
    try {
      const runner = new FaultRunner([faultSchema.parse({ kind: 'crash', mode: 'power-loss', point: 'before-sync', target: victim, at: 0, duration: 300 })], cluster, plane, new Random(4), Number(monoNs()), () => undefined);
      await runner.run();
      const record = runner.records[0]!;
      expect(record.status).toBe('done');
      expect(record.reason).toBeUndefined(); // it reached the failpoint: not killed from outside
      expect(record.lostBytes).toBeGreaterThan(0);
      expect(fs.readFileSync(cluster.node(victim).logFile, 'utf8')).toContain('failpoint before-sync: dying here');
      await waitUntil('the victim to serve again', async () => (await cluster.status(victim, 1000)) !== null, 20_000);
    } finally {
      writing = false;
      await writer;
    }
  });

  it('a combined nemesis (partition + paused leader) has both faults in force at once', async () => {
    const { cluster, plane } = await startCluster('combo', {});
    const before = await cluster.waitForLeader(20_000);
    const faults = [
      faultSchema.parse({ kind: 'partition', shape: 'majority-minority', at: 0, duration: 3000 }),
      faultSchema.parse({ kind: 'pause', target: 'leader', at: 500, duration: 1500 }),
    ];
    const runner = new FaultRunner(faults, cluster, plane, new Random(2), Number(monoNs()), () => undefined);
    const done = runner.run();
    done.catch(() => undefined); // awaited below; a failed assertion first must not leave it unhandled
    await waitUntil('both faults active together', () => runner.records.every((r) => r.status === 'active'), 15_000);
    // The leader when the pause fired: the one elected before, or, if the partition already
    // moved leadership, a node of the majority side (a minority node cannot win an election).
    expect(runner.records[1]!.targets).toHaveLength(1);
    const paused = runner.records[1]!.targets[0]!;
    const majority = [...(runner.records[0]!.groups ?? [])].sort((a, b) => b.length - a.length)[0] ?? [];
    expect(paused === before || majority.includes(paused), `paused ${paused}; leader before ${before}; majority ${majority.join(',')}`).toBe(true);
    expect(runner.records[0]!.links.length).toBeGreaterThan(0);
    await done;
    expect(runner.records.map((r) => r.status)).toEqual(['done', 'done']);
  });
});

describe('parley run with power loss of every node', () => {
  const schedule = path.join(tmp, 'power-loss.yaml');
  fs.writeFileSync(schedule, '- { kind: crash, mode: power-loss, target: all, at: 2500ms, duration: 300ms }\n');
  const run = (name: string, extra: string[]) =>
    execa('node', [cli, 'run', '--algo', 'raft', '--nodes', '3', '--workload', 'kv', '--duration', '3s', '--warmup', '500ms', '--rate', '100', '--faults', schedule, '--seed', '3', '--out', path.join(tmp, name), '--quiet', ...extra], { reject: false });

  it('with fsync off loses acknowledged writes, and the durability checker says so (exit 1)', async () => {
    const r = await run('run-unsynced', ['--set', 'fsync=false']);
    expect(r.exitCode, r.stderr).toBe(1);
    const results = JSON.parse(fs.readFileSync(path.join(tmp, 'run-unsynced', 'results.json'), 'utf8'));
    const durability = results.scenarios[0].checks.find((v: { checker: string }) => v.checker === 'durability');
    expect(durability.valid).toBe(false);
    expect(results.scenarios[0].faults[0].lostBytes).toBeGreaterThan(0);
  });

  it('with fsync on never does (exit 0)', async () => {
    const r = await run('run-synced', []);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
  });
});
