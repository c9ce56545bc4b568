/**
 * Cluster benchmark (not a test): N nodes of one algorithm on loopback, fsync on, clients
 * doing PUTs against the leader in closed loop. Prints committed writes/s and p50/p99 for
 * each client count, with the machine and the command.
 *
 *   npm run bench:cluster -- [--algo raft] [--nodes 3] [--clients 64,1] [--seconds 10] [--fsync true]
 *   npm run bench:cluster -- --system etcd     # parley's Raft, then etcd members, same load, one run
 *
 * etcd is driven through its v3 JSON gateway (a put per write), its members dial each other
 * directly as parley's nodes do here (no proxies), and it always fsyncs its WAL.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Cluster } from '../cluster.js';
import { isAlgoName } from '../../nodes/registry.js';
import { NodeClient, type ClientDialect } from '../../workloads/client.js';
import { runLoad, type OpSource } from '../../workloads/load.js';
import { latencyBy } from '../../workloads/metrics.js';
import { describeMachine } from '../machine.js';
import { benchArgs } from './args.js';

const values = benchArgs('cluster', {
    algo: { type: 'string', default: 'raft' },
    system: { type: 'string' },
    nodes: { type: 'string', default: '3' },
    clients: { type: 'string', default: '64,1' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    fsync: { type: 'string', default: 'true' },
    set: { type: 'settings' },
  });

interface Subject {
  name: string;
  cluster: Cluster;
  dialect?: ClientDialect;
  describe: string;
}

async function parleySubject(algo: string, dir: string): Promise<Subject> {
  const settings: Record<string, string> = { fsync: values.fsync, trace: 'false', ...values.set };
  const cluster = await Cluster.plan({ algo, size: Number(values.nodes), dir, settings });
  return { name: algo, cluster, describe: `${algo}, ${values.nodes} nodes on loopback, fsync ${values.fsync}` };
}

async function etcdSubject(dir: string): Promise<Subject> {
  const { EtcdMembers } = await import('../etcd/system.js');
  const { etcdBinary } = await import('../etcd/binary.js');
  const { etcdDialect } = await import('../etcd/dialect.js');
  const binary = etcdBinary();
  const members = new EtcdMembers(binary, null, dir);
  const cluster = await Cluster.plan({ algo: 'etcd', size: Number(values.nodes), dir, system: members });
  members.advertiseDirect(cluster);
  return { name: 'etcd', cluster, dialect: etcdDialect, describe: `etcd ${binary.version} (${binary.file}), ${values.nodes} members on loopback, WAL fsync always on, puts through the v3 JSON gateway` };
}

async function measure(subject: Subject): Promise<void> {
  const { cluster, name } = subject;
  console.log(`-- ${subject.describe}`);
  const spawnedAt = performance.now();
  await cluster.start(30_000);
  const readyMs = performance.now() - spawnedAt;
  console.log(`node start-up: ${values.nodes} processes spawned at once, all serving after ${readyMs.toFixed(0)} ms`);
  const leader = await cluster.waitForLeader(15_000);
  const leaderIndex = cluster.ids.indexOf(leader);
  for (const clients of values.clients!.split(',').map(Number)) {
    const client = new NodeClient(cluster.nodes.map((n) => n.api), { connections: clients, timeoutMs: 5000, dialect: subject.dialect });
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
      `${name} clients=${String(clients).padStart(3)}: ${Math.round(ok / seconds).toLocaleString('en-US')} committed writes/s, ` +
        `p50 ${lat.p50.toFixed(3)} ms, p99 ${lat.p99.toFixed(3)} ms, max ${lat.max.toFixed(1)} ms, errors ${errors}, ` +
        `leader fsyncs/s ${Math.round((fsyncsAfter - fsyncsBefore) / seconds)}`,
    );
  }
}

async function main(): Promise<void> {
  if (values.system !== undefined && values.system !== 'etcd') throw new Error(`--system ${values.system}: expected etcd`);
  const algo = values.algo!;
  if (!isAlgoName(algo)) throw new Error(`--algo ${algo}: unknown`);
  console.log(`parley cluster benchmark: ${values.system === 'etcd' ? `${algo} beside etcd` : algo}, ${values.nodes} nodes on loopback, PUTs to the leader, closed loop`);
  console.log(`machine: ${describeMachine()}`);
  console.log(`command: npm run bench:cluster -- ${process.argv.slice(2).join(' ')}`.trimEnd());
  const plans: ((dir: string) => Promise<Subject>)[] = [(dir) => parleySubject(algo, dir)];
  if (values.system === 'etcd') plans.push(etcdSubject);
  // One after the other, never side by side: two clusters on two cores would measure each other.
  for (const plan of plans) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-cluster-'));
    let subject: Subject | null = null;
    try {
      subject = await plan(dir);
      await measure(subject);
    } finally {
      await subject?.cluster.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = err instanceof Error && err.name === 'UsageError' ? 64 : 70;
});
