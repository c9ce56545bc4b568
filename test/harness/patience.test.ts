/**
 * Waits that depend on the machine: past its bound, a wait asks the machine watch whether
 * to go on (the machine is starved, or the node is still working), says why when it did,
 * and gives up as before when there is no reason to wait.
 */
import fs from 'node:fs';
import http from 'node:http';
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monoNs } from '../../nodes/common/clock.js';
import { Cluster, NodeStartError, type Patience } from '../../harness/cluster.js';
import { MachineWatch, STRETCH_CAP } from '../../harness/machine-watch.js';

/** A node API that answers 503 until `ready`, then 200 with a leader's status. */
let ready = false;
let server: http.Server;
let port = 0;
beforeAll(async () => {
  server = http.createServer((_req, res) => {
    res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify(ready ? { id: 'n1', leader: 'n1', role: 'leader' } : { error: 'starting' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function cluster(): Cluster {
  return Cluster.remote({ algo: 'raft', size: 1, dir: '/nonexistent' }, [{ id: 'n1', api: { host: '127.0.0.1', port }, listen: { host: '127.0.0.1', port: 1 } }]);
}

/** Patience that says yes `times` times (making the node ready on the last), and records what it stretched. */
function patience(times: number, readyAtLast = true): Patience & { stretchedWaits: { what: string; boundMs: number; reason: string }[]; asked: number } {
  const p = {
    asked: 0,
    stretchedWaits: [] as { what: string; boundMs: number; reason: string }[],
    extend() {
      if (p.asked >= times) return null;
      p.asked++;
      if (p.asked === times && readyAtLast) ready = true;
      return 'the machine is starved (test)';
    },
    stretched(what: string, boundMs: number, _waitedMs: number, reason: string) {
      p.stretchedWaits.push({ what, boundMs, reason });
    },
  };
  return p;
}

describe('a node that answers only after its bound', () => {
  it('without patience the wait fails at its bound', async () => {
    ready = false;
    await expect(cluster().waitReady('n1', 50)).rejects.toThrow(/n1 did not answer GET \/status .* within 50 ms \(status 503\)/);
  });

  it('with patience it goes on, succeeds, and reports the stretched wait with its reason', async () => {
    ready = false;
    const c = cluster();
    const p = patience(2);
    c.patience = p;
    await c.waitReady('n1', 50);
    expect(p.stretchedWaits).toEqual([{ what: 'n1 to answer GET /status', boundMs: 50, reason: 'the machine is starved (test)' }]);
  });

  it('when patience runs out the error says the bound was stretched and why', async () => {
    ready = false;
    const c = cluster();
    c.patience = patience(2, false);
    const err = await c.waitReady('n1', 50).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NodeStartError);
    expect((err as Error).message).toMatch(/\(bound 50 ms, stretched while the machine is starved \(test\)\)/);
  });

  it('leader election waits stretch the same way', async () => {
    ready = false;
    const c = cluster();
    await expect(c.waitForLeader(50)).rejects.toThrow(/no leader agreed within 50 ms/);
    const p = patience(1);
    c.patience = p;
    expect(await c.waitForLeader(50)).toBe('n1');
    expect(p.stretchedWaits.map((w) => w.what)).toEqual(['the nodes to agree on a leader']);
  });
});

describe('the machine watch as patience', () => {
  let sleeper: ChildProcess;
  const cpuOf = (pid: number) => fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ').slice(0, 2).join(' ');
  beforeAll(async () => {
    sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    // Until it is asleep: its CPU and run-queue times stop moving.
    const deadline = Date.now() + 30_000;
    for (let before = ''; Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 100));
      const now = cpuOf(sleeper.pid!);
      if (now === before) break;
      before = now;
    }
  });
  afterAll(() => {
    sleeper.kill('SIGKILL');
  });

  it('waits on for a node that is still working, not for one that sleeps, and never past the cap', () => {
    const watch = new MachineWatch(() => [process.pid, sleeper.pid!]);
    watch.sample();
    const until = Date.now() + 30;
    while (Date.now() < until) {
      /* busy: this process wants a CPU */
    }
    watch.samples.length = 0; // judge the processes only, not this machine's real load
    expect(watch.extend({ what: 'x', pid: process.pid, waitedMs: 16_000, boundMs: 15_000 })).toMatch(/^it is still working \(\d+ ms on a CPU and \d+ ms waiting for one/);
    expect(watch.extend({ what: 'x', pid: sleeper.pid!, waitedMs: 16_000, boundMs: 15_000 })).toBeNull();
    expect(watch.extend({ what: 'x', pid: process.pid, waitedMs: STRETCH_CAP * 15_000, boundMs: 15_000 })).toBeNull();
  });

  it('waits on while the machine is starved, with the figures as the reason', () => {
    const watch = new MachineWatch(() => []);
    const now = Number(monoNs());
    watch.samples.push({ from: now - 1e9, to: now, waitNs: 8e8, execNs: 2e8, harnessLagP99Ms: 3, harnessLagMaxMs: 5, nodeLagP99Ms: null, runnablePerCore: 7, stealShare: 0, loadPerCore: 6.5 });
    expect(watch.extend({ what: 'x', waitedMs: 16_000, boundMs: 15_000 })).toBe(
      'the machine is starved: the nodes and the harness waited for a CPU 80% of the time they were ready to run (limit 50%) (7.0 runnable processes per core, load average 6.5 per core)',
    );
  });
});
