/**
 * Cost per committed write (not a test): CPU milliseconds each node spent, and messages and
 * bytes sent between nodes, per PUT acknowledged by the leader of a 3-node cluster. Unlike
 * writes/s on a shared machine, these barely move with the load of other processes, so two
 * algorithms with the same message pattern (single-leader Multi-Paxos and Raft) can be
 * compared even when throughput figures are noise. Algorithms run one after another.
 *
 *   node dist/harness/bench/cost.js [--algos raft,paxos] [--clients 1,64] [--writes 5000] [--fsync false] [--set key=value ...]
 *
 * With `--set mode=leaderless` (Paxos) there is no leader: clients spread over every node,
 * each proposing for itself, and the ballots lost to contention are reported.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Cluster } from '../cluster.js';
import { isAlgoName } from '../../nodes/registry.js';
import { NodeClient } from '../../workloads/client.js';
import { describeMachine } from '../machine.js';
import { benchArgs } from './args.js';

const values = benchArgs('cost', {
    algos: { type: 'string', default: 'raft,paxos' },
    clients: { type: 'string', default: '1,64' },
    writes: { type: 'string', default: '5000' },
    fsync: { type: 'string', default: 'false' },
    set: { type: 'settings' },
  });

const settings: Record<string, string> = { fsync: values.fsync, trace: 'false', ...values.set };
const leaderless = settings.mode === 'leaderless';

interface Totals {
  cpuMs: number;
  msgs: number;
  bytes: number;
  ballotsLost: number;
}

async function totals(cluster: Cluster, id: string): Promise<Totals> {
  const m = await cluster.metrics(id, 5000);
  if (!m) throw new Error(`no metrics from ${id}`);
  const lost = (m.paxos as { ballotsLost?: number } | undefined)?.ballotsLost ?? 0;
  return { cpuMs: Number(m.cpuUserMs) + Number(m.cpuSystemMs), msgs: Number(m.msgsSent), bytes: Number(m.bytesSent), ballotsLost: lost };
}

/** `count` PUTs from `clients` concurrent closed loops, client c always through nodes[c % n]; every one must succeed. */
async function writeMany(client: NodeClient, nodes: number[], clients: number, count: number, tag: string): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      while (next < count) {
        const i = next++;
        const outcome = await client.invoke(nodes[c % nodes.length]!, { f: 'write', key: `k${i % 1000}`, value: `${tag}-${i}` });
        if (outcome.type !== 'ok') throw new Error(`PUT ${i} failed: ${outcome.status} ${outcome.error ?? ''}`);
      }
    }),
  );
}

async function measure(algo: string, clients: number, writes: number): Promise<string> {
  if (!isAlgoName(algo)) throw new Error(`--algos ${algo}: unknown`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `parley-cost-${algo}-`));
  const cluster = await Cluster.plan({ algo, size: 3, dir, settings });
  try {
    await cluster.start();
    const leader = leaderless ? null : await cluster.waitForLeader(15_000);
    const client = new NodeClient(
      cluster.nodes.map((n) => n.api),
      { connections: clients, timeoutMs: 10_000 },
    );
    const leaderIndex = leader === null ? -1 : cluster.ids.indexOf(leader);
    const targets = leader === null ? cluster.ids.map((_, i) => i) : [leaderIndex];
    await writeMany(client, targets, clients, Math.min(1000, writes), 'warm');
    const before = await Promise.all(cluster.ids.map((id) => totals(cluster, id)));
    const started = performance.now();
    await writeMany(client, targets, clients, writes, 'run');
    const seconds = (performance.now() - started) / 1000;
    const after = await Promise.all(cluster.ids.map((id) => totals(cluster, id)));
    await client.close();
    const per = (f: (t: Totals) => number, i: number) => (f(after[i]!) - f(before[i]!)) / writes;
    const cpu = cluster.ids.map((_, i) => per((t) => t.cpuMs, i) * 1000);
    const sum = (f: (t: Totals) => number) => cluster.ids.reduce((acc, _, i) => acc + per(f, i), 0);
    const followers = cluster.ids.map((id, i) => [id, cpu[i]!] as const).filter(([id]) => id !== leader);
    const cpuText =
      leader === null
        ? `CPU µs/write nodes ${cpu.map((c) => c.toFixed(0)).join(' + ')}, ballots lost/write ${sum((t) => t.ballotsLost).toFixed(3)}`
        : `CPU µs/write leader ${cpu[leaderIndex]!.toFixed(0)}, followers ${followers.map(([, c]) => c.toFixed(0)).join(' + ')}`;
    const label = leaderless ? `${algo} (leaderless)` : algo;
    return (
      `${label.padEnd(6)} clients=${String(clients).padStart(3)}: ${cpuText}; peer msgs/write ${sum((t) => t.msgs).toFixed(2)}, ` +
      `bytes/write ${sum((t) => t.bytes).toFixed(0)} (${Math.round(writes / seconds).toLocaleString('en-US')} writes/s, for reference only)`
    );
  } finally {
    await cluster.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const where = leaderless ? 'PUTs spread over every node' : 'PUTs to the leader';
  console.log(`parley cost per write: 3 nodes on loopback, fsync ${values.fsync}, ${where}, closed loop`);
  console.log(`machine: ${describeMachine()}`);
  console.log(`command: node dist/harness/bench/cost.js ${process.argv.slice(2).join(' ')}`.trimEnd());
  for (const clients of values.clients!.split(',').map(Number)) {
    for (const algo of values.algos!.split(',')) console.log(await measure(algo, clients, Number(values.writes)));
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 70;
});
