/**
 * Two-phase commit benchmark (not a test): sharded bank accounts on N participants,
 * loopback, fsync on, closed-loop clients sending transactions to the coordinator's API.
 *
 *   transfer  two random accounts: one or two participants, as a bank workload sees it;
 *   spread    one account on every shard: every transaction has all N participants, the
 *             axis of Spanner's Table 4 (latency grows with participants);
 *   outage    a transfer storm, kill -9 of the coordinator mid-storm, restart after
 *             --outage-ms: how long participants stayed in doubt, from the events trace.
 *
 * Prints committed transactions/s and p50/p99 of committed ones (HdrHistogram, ms), the
 * abort rate, the machine and the command.
 *
 *   npm run bench:twopc -- [--participants 2,4] [--clients 32] [--seconds 10] [--warmup 2]
 *                          [--accounts 1000] [--outage-ms 1000] [--fsync true]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Cluster } from '../cluster.js';
import { describeMachine } from '../machine.js';
import { monoNs } from '../../nodes/common/clock.js';
import { Random } from '../../nodes/common/random.js';
import type { TxnOp } from '../../nodes/common/core.js';
import { Placement } from '../../nodes/twopc/protocol.js';
import { NodeClient } from '../../workloads/client.js';
import { runLoad, type OpSource } from '../../workloads/load.js';
import { latencyBy } from '../../workloads/metrics.js';
import { parseCommitEvent, type CommitEvent } from '../../workloads/checkers/atomicity.js';
import { benchArgs } from './args.js';

const values = benchArgs('twopc', {
    participants: { type: 'string', default: '2,4' },
    clients: { type: 'string', default: '32' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    accounts: { type: 'string', default: '1000' },
    'outage-ms': { type: 'string', default: '1000' },
    fsync: { type: 'string', default: 'true' },
  });

const OPENING = 1000;
const clients = Number(values.clients);
const accounts = Array.from({ length: Number(values.accounts) }, (_, i) => `acct${i}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function transferOps(rnd: Random): TxnOp[] {
  const [from, to] = rnd.sample(accounts, 2) as [string, string];
  const amount = rnd.int(1, 10);
  return [
    { f: 'add', key: from, delta: -amount, floor: 0 },
    { f: 'add', key: to, delta: amount },
  ];
}

/** One account per shard; the first pays one unit to each of the others. */
function spreadOps(rnd: Random, byShard: string[][]): TxnOp[] {
  const picks = byShard.map((list) => rnd.pick(list));
  const payer = rnd.int(0, picks.length - 1);
  return picks.map((key, i) => (i === payer ? { f: 'add', key, delta: -(picks.length - 1), floor: 0 } : { f: 'add', key, delta: 1 }));
}

function source(make: () => TxnOp[]): OpSource {
  return { next: () => ({ node: 0, op: { f: 'txn', ops: make() }, f: 'txn', complete: (o) => ({ type: o.type }) }) };
}

async function measure(cluster: Cluster, label: string, placement: Placement, generate: () => TxnOp[]): Promise<{ p50: number; p99: number }> {
  let txns = 0;
  let participants = 0;
  const make = () => {
    const ops = generate();
    txns++;
    participants += placement.participantsOf(ops.map((o) => o.key)).length;
    return ops;
  };
  const client = new NodeClient(cluster.nodes.map((n) => n.api), { connections: clients, timeoutMs: 10_000 });
  await runLoad({ mode: 'closed', concurrency: clients, durationMs: Number(values.warmup) * 1000, source: source(make), client });
  const fsyncsBefore = Number((await cluster.metrics('n1'))?.fsyncs ?? 0);
  const result = await runLoad({ mode: 'closed', concurrency: clients, durationMs: Number(values.seconds) * 1000, source: source(make), client });
  const fsyncsAfter = Number((await cluster.metrics('n1'))?.fsyncs ?? 0);
  await client.close();
  const seconds = (result.endNs - result.startNs) / 1e9;
  const ok = result.records.filter((r) => r.type === 'ok').length;
  const aborted = result.records.filter((r) => r.status === 409).length;
  const other = result.records.length - ok - aborted;
  const lat = latencyBy(result.records, (r) => r.type === 'ok').overall;
  console.log(
    `  ${label.padEnd(8)} participants/txn ${(participants / txns).toFixed(2)}: ${Math.round(ok / seconds).toLocaleString('en-US').padStart(6)} committed/s, ` +
      `p50 ${lat.p50.toFixed(2)} ms, p99 ${lat.p99.toFixed(2)} ms, max ${lat.max.toFixed(1)} ms; ` +
      `aborted (409) ${((100 * aborted) / Math.max(1, result.records.length)).toFixed(1)}%, other errors ${other}; coordinator fsyncs/s ${Math.round((fsyncsAfter - fsyncsBefore) / seconds)}`,
  );
  return { p50: lat.p50, p99: lat.p99 };
}

function trace(cluster: Cluster): CommitEvent[] {
  const events: CommitEvent[] = [];
  for (const n of cluster.nodes) {
    const file = path.join(n.dataDir, 'events.jsonl');
    if (!fs.existsSync(file)) continue;
    fs.readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (line) events.push(parseCommitEvent(line, file, i + 1));
      });
  }
  return events;
}

/** kill -9 the coordinator while a participant is in doubt, restart it after the outage; in-doubt times from the trace. */
async function outage(cluster: Cluster, rnd: Random): Promise<void> {
  const client = new NodeClient(cluster.nodes.map((n) => n.api), { connections: clients, timeoutMs: 10_000 });
  const participants = cluster.ids.filter((id) => id !== 'n1');
  const inDoubt = async () => (await Promise.all(participants.map((id) => cluster.status(id, 2000)))).reduce((sum, s) => sum + (Number(s?.inDoubt) || 0), 0);
  const stop = new AbortController();
  const storm = runLoad({ mode: 'closed', concurrency: clients, durationMs: 600_000, source: source(() => transferOps(rnd)), client, signal: stop.signal });
  await sleep(1500);
  // Kill it at a moment when some participant is prepared and undecided; if the decisions
  // win the race (nothing left in doubt), bring it back and try again.
  let killNs = 0;
  let blocked = 0;
  for (let attempt = 0; attempt < 5 && blocked === 0; attempt++) {
    if (attempt > 0) {
      await cluster.restart('n1');
      await sleep(1000);
    }
    const pollUntil = Date.now() + 10_000;
    while (Date.now() < pollUntil && (await inDoubt()) === 0);
    killNs = Number(monoNs());
    await cluster.crash('n1');
    blocked = await inDoubt();
  }
  await sleep(Number(values['outage-ms']));
  const restartNs = Number(monoNs());
  await cluster.restart('n1');
  const readyNs = Number(monoNs());
  const resolveUntil = Date.now() + 15_000;
  while (Date.now() < resolveUntil && (await inDoubt()) > 0) await sleep(20);
  await sleep(1000);
  stop.abort();
  const result = await storm;
  await client.close();

  // A participant is in doubt from its prepared event to its applied event (Gray & Lamport's blocking).
  const prepared = new Map<string, number>();
  const spans: number[] = [];
  for (const e of trace(cluster).sort((x, y) => x.t - y.t)) {
    if (e.role !== 'participant') continue;
    const k = `${e.txid}@${e.node}`;
    if (e.event === 'prepared' && !prepared.has(k)) prepared.set(k, e.t);
    else if ((e.event === 'applied-commit' || e.event === 'applied-abort') && prepared.has(k)) {
      const at = prepared.get(k)!;
      // Prepared before the coordinator came back (in-flight prepares land after the kill too), resolved after.
      if (at < restartNs && e.t > restartNs && e.node !== 'n1') spans.push((e.t - at) / 1e6);
      prepared.delete(k);
    }
  }
  spans.sort((x, y) => x - y);
  const q = (p: number) => (spans.length ? spans[Math.min(spans.length - 1, Math.floor(p * spans.length))]!.toFixed(0) : '-');
  const okAfter = result.records.filter((r) => r.type === 'ok' && r.endNs > readyNs).sort((x, y) => x.endNs - y.endNs)[0];
  const lastOkBefore = result.records.filter((r) => r.type === 'ok' && r.endNs < killNs).reduce((m, r) => Math.max(m, r.endNs), 0);
  console.log(
    `  outage   coordinator down ${((restartNs - killNs) / 1e6).toFixed(0)} ms, serving again ${((readyNs - killNs) / 1e6).toFixed(0)} ms after the kill; ` +
      `${blocked} transactions in doubt at the other participants just after the kill; ` +
      `${spans.length} participant-transactions blocked until the restart, in doubt min ${q(0)} / median ${q(0.5)} / max ${q(1)} ms; ` +
      `no commit acknowledged for ${okAfter && lastOkBefore ? ((okAfter.endNs - lastOkBefore) / 1e6).toFixed(0) : '?'} ms`,
  );
}

async function main(): Promise<void> {
  console.log(`parley 2PC benchmark: sharded accounts (${accounts.length}), coordinator n1 (also a participant), closed loop, ${clients} clients to the coordinator's API, fsync ${values.fsync}`);
  console.log(`machine: ${describeMachine()}`);
  console.log(`command: npm run bench:twopc -- ${process.argv.slice(2).join(' ')}`.trimEnd());
  const spreadP50: number[] = [];
  for (const n of values.participants!.split(',').map(Number)) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-twopc-'));
    const cluster = await Cluster.plan({ algo: 'twopc', size: n, dir, settings: { fsync: values.fsync!, layout: 'sharded', requestTimeoutMs: 5000, prepareTimeoutMs: 2000, lockWaitMs: 1000 } });
    const rnd = new Random(20240611 + n);
    try {
      await cluster.start();
      const client = new NodeClient([cluster.node('n1').api], { connections: 4, timeoutMs: 10_000 });
      for (let i = 0; i < accounts.length; i += 200) {
        const ops = accounts.slice(i, i + 200).map((key) => ({ f: 'write' as const, key, value: OPENING }));
        for (let attempt = 0; ; attempt++) {
          const out = await client.invoke(0, { f: 'txn', ops });
          if (out.type === 'ok') break;
          if (attempt > 50) throw new Error(`cannot load the accounts: ${out.status} ${JSON.stringify(out.body)}`);
          await sleep(100);
        }
      }
      await client.close();
      const placement = new Placement('sharded', cluster.ids);
      const byShard = placement.members.map((m) => accounts.filter((a) => placement.owner(a) === m));
      console.log(`${n} participants:`);
      await measure(cluster, 'transfer', placement, () => transferOps(rnd));
      spreadP50.push((await measure(cluster, 'spread', placement, () => spreadOps(rnd, byShard))).p50);
      await outage(cluster, rnd);
    } finally {
      await cluster.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  if (spreadP50.length > 1) console.log(`spread p50 by participants per txn (${values.participants}): ${spreadP50.map((x) => x.toFixed(2)).join(' -> ')} ms`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 70;
});
