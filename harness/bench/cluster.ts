/**
 * Cluster benchmark (not a test): N nodes of one algorithm on loopback, fsync on, clients
 * doing PUTs against the leader in closed loop. Prints committed writes/s and p50/p99 for
 * each client count, with the machine and the command.
 *
 *   npm run bench:cluster -- [--algo raft] [--nodes 3] [--clients 64,1] [--seconds 10] [--fsync true]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Cluster } from '../cluster.js';
import { isAlgoName } from '../../nodes/registry.js';
import { NodeClient } from '../../workloads/client.js';
import { runLoad, type OpSource } from '../../workloads/load.js';
import { latencyBy } from '../../workloads/metrics.js';
import { describeMachine } from '../machine.js';

const { values } = parseArgs({
  options: {
    algo: { type: 'string', default: 'raft' },
    nodes: { type: 'string', default: '3' },
    clients: { type: 'string', default: '64,1' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    fsync: { type: 'string', default: 'true' },
    set: { type: 'string', multiple: true, default: [] },
  },
});

async function main(): Promise<void> {
  const algo = values.algo!;
  if (!isAlgoName(algo)) throw new Error(`--algo ${algo}: unknown`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `parley-bench-${algo}-`));
  const settings: Record<string, string> = { fsync: values.fsync!, trace: 'false' };
  for (const kv of values.set!) settings[kv.slice(0, kv.indexOf('='))] = kv.slice(kv.indexOf('=') + 1);
  const cluster = await Cluster.plan({ algo, size: Number(values.nodes), dir, settings });
  console.log(`parley cluster benchmark: ${algo}, ${values.nodes} nodes on loopback, fsync ${values.fsync}, PUTs to the leader, closed loop`);
  console.log(`machine: ${describeMachine()}`);
  console.log(`command: npm run bench:cluster -- ${process.argv.slice(2).join(' ')}`.trimEnd());
  try {
    const spawnedAt = performance.now();
    await cluster.start();
    const readyMs = performance.now() - spawnedAt;
    console.log(`node start-up: ${values.nodes} processes spawned at once, all serving GET /status after ${readyMs.toFixed(0)} ms (compiled JavaScript, no loader)`);
    const leader = await cluster.waitForLeader(15_000);
    const leaderIndex = cluster.ids.indexOf(leader);
    for (const clients of values.clients!.split(',').map(Number)) {
      const client = new NodeClient(cluster.nodes.map((n) => n.api), { connections: clients, timeoutMs: 5000 });
      let seq = 0;
      const source: OpSource = {
        next: () => {
          const value = `v${seq++}`;
          const key = `k${seq % 1000}`;
          return { node: leaderIndex, op: { f: 'write', key, value }, f: 'write', key, value, complete: (o) => ({ type: o.type }) };
        },
      };
      await runLoad({ mode: 'closed', concurrency: clients, durationMs: Number(values.warmup) * 1000, source, client });
      const fsyncsBefore = Number((await cluster.metrics(leader))?.fsyncs ?? 0);
      const result = await runLoad({ mode: 'closed', concurrency: clients, durationMs: Number(values.seconds) * 1000, source, client });
      const fsyncsAfter = Number((await cluster.metrics(leader))?.fsyncs ?? 0);
      await client.close();
      const ok = result.records.filter((r) => r.type === 'ok').length;
      const seconds = (result.endNs - result.startNs) / 1e9;
      const lat = latencyBy(result.records).overall;
      const errors = result.records.length - ok;
      console.log(
        `${algo} clients=${String(clients).padStart(3)}: ${Math.round(ok / seconds).toLocaleString('en-US')} committed writes/s, ` +
          `p50 ${lat.p50.toFixed(3)} ms, p99 ${lat.p99.toFixed(3)} ms, max ${lat.max.toFixed(1)} ms, errors ${errors}, ` +
          `leader fsyncs/s ${Math.round((fsyncsAfter - fsyncsBefore) / seconds)}`,
      );
    }
  } finally {
    await cluster.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 70;
});
