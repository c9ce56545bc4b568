/**
 * The benchmark suites: the scenarios that decide each row of the "choosing the right
 * algorithm" table, run for every algorithm that can take part.
 *
 *   quick    one short scenario per row (under a minute): what the end-to-end test runs
 *   default  `npm run bench`: the comparison, within 5 minutes on a 2-core machine
 *   nightly  `npm run chaos`: randomized fault schedules from a seed for a wall-clock budget
 *
 * Rows and what decides them (DESIGN.md):
 *   databases     kv under latency and a partition: throughput, p99, linearizable under faults
 *   election      kv with the leader crashed three times: time to the next committed write
 *   transactions  bank transfers with the coordinator/leader crashed: atomicity, money, blocking
 *   decentralized dissemination as N grows: convergence and messages per update
 */
import { Random } from '../nodes/common/random.js';
import type { ScenarioInput } from './scenario.js';

export const SUITES = ['quick', 'default', 'nightly'] as const;
export type SuiteName = (typeof SUITES)[number];

export type Row = 'databases' | 'election' | 'transactions' | 'decentralized';

export interface SuiteScenario {
  row: Row;
  input: ScenarioInput;
}

const CONSENSUS = ['raft', 'paxos', 'twopc'] as const;

/** Bank on 2PC spreads the accounts over the participants: a transfer is a distributed transaction. */
const twopcSharded = (algo: string): Record<string, string> => (algo === 'twopc' ? { layout: 'sharded' } : {});
const ALL = ['raft', 'paxos', 'twopc', 'gossip'] as const;

function databases(duration: string, faultsAt: [string, string]): SuiteScenario[] {
  return ALL.map((algo) => ({
    row: 'databases' as const,
    input: {
      name: `databases/${algo}`,
      algo,
      nodes: 3,
      clients: 16,
      duration,
      warmup: '1s',
      workload: { type: 'kv', keys: 8 },
      faults: [
        { kind: 'latency', at: faultsAt[0], duration: '2s', target: 'all', latencyMs: 20, jitterMs: 5 },
        { kind: 'partition', at: faultsAt[1], duration: '2s', shape: 'isolate-leader', mode: 'blackhole' },
      ],
    },
  }));
}

function election(duration: string, crashes: string[]): SuiteScenario[] {
  return ALL.map((algo) => ({
    row: 'election' as const,
    input: {
      name: `election/${algo}`,
      algo,
      nodes: 3,
      clients: 8,
      duration,
      warmup: '1s',
      workload: { type: 'kv', keys: 8, mix: { read: 0.2, write: 0.8, cas: 0 } },
      // Gossip has no leader: crashing any node is the same question, how long writes stop.
      faults: crashes.map((at) => ({ kind: 'crash' as const, at, duration: '1500ms', target: algo === 'gossip' ? 'random' : 'leader' })),
    },
  }));
}

function transactions(duration: string, crashAt: string): SuiteScenario[] {
  return CONSENSUS.map((algo) => ({
    row: 'transactions' as const,
    input: {
      name: `transactions/${algo}`,
      algo,
      nodes: 3,
      clients: 8,
      duration,
      warmup: '1s',
      options: twopcSharded(algo),
      workload: { type: 'bank', accounts: 8, total: 100, maxTransfer: 5, readRatio: 0.2 },
      faults: [{ kind: 'crash' as const, at: crashAt, duration: '2s', target: 'leader' }],
    },
  }));
}

/**
 * Clusters beyond 5 nodes: links dialled on first use and closed when idle (a gossip node
 * talks to a few peers at a time, a Raft follower only to its leader), a slower tick and
 * link heartbeat, so 25-50 processes fit on two cores. Every directed link still has its own
 * proxy, so per-link faults still work.
 */
export const AT_SCALE: Record<string, string | number> = { linkDial: 'lazy', linkIdleMs: 5000, tickMs: 25, linkHeartbeatMs: 500, linkDeadMs: 3000 };

function decentralized(duration: string, sizes: number[], consensusAt: number): SuiteScenario[] {
  const gossip = sizes.map((n) => ({
    row: 'decentralized' as const,
    input: {
      name: `decentralized/gossip-n${n}`,
      algo: 'gossip' as const,
      nodes: n,
      clients: 8,
      rate: 100,
      duration,
      warmup: '1s',
      options: n > 5 ? AT_SCALE : {},
      workload: { type: 'dissemination' as const, keys: 50 },
    },
  }));
  // The consensus algorithms at the same sizes' ends, so the row compares like with like.
  const consensus = (['raft', 'paxos'] as const).flatMap((algo) =>
    [...new Set([sizes[0]!, consensusAt])].map((n) => ({
      row: 'decentralized' as const,
      input: {
        name: `decentralized/${algo}-n${n}`,
        algo,
        nodes: n,
        clients: 8,
        rate: 100,
        duration,
        warmup: '1s',
        options: n > 5 ? { ...AT_SCALE, electionTimeoutMinMs: 1000, electionTimeoutMaxMs: 2000, heartbeatMs: 200 } : {},
        workload: { type: 'dissemination' as const, keys: 50 },
      },
    })),
  );
  return [...gossip, ...consensus];
}

export function suiteScenarios(suite: Exclude<SuiteName, 'nightly'>): SuiteScenario[] {
  if (suite === 'quick') {
    return [
      ...databases('4s', ['1s', '2s']).filter((s) => s.input.algo !== 'twopc'),
      ...transactions('4s', '1500ms').filter((s) => s.input.algo === 'twopc'),
      ...decentralized('3s', [5], 5).filter((s) => s.input.algo === 'gossip'),
    ];
  }
  return [...databases('10s', ['2s', '6s']), ...election('12s', ['2s', '6s', '10s']), ...transactions('10s', '4s'), ...decentralized('6s', [5, 10, 25], 25)];
}

/**
 * etcd beside the algorithms (`parley bench --reference etcd`): Raft's scenarios of the rows
 * a replicated key-value store answers (databases, leader election), unchanged but for
 * what runs them, so its reference column is measured exactly like the others.
 */
export function referenceScenarios(suite: Exclude<SuiteName, 'nightly'>): SuiteScenario[] {
  return suiteScenarios(suite)
    .filter((s) => (s.row === 'databases' || s.row === 'election') && s.input.algo === 'raft')
    .map((s) => ({ row: s.row, input: { ...s.input, name: s.input.name!.replace(/\/raft$/, '/etcd'), algo: 'etcd', options: {} } }));
}

/**
 * Nightly chaos: an endless, seeded stream of scenarios (each algorithm in turn, a
 * workload it supports, `chaos` nemeses); the bench runs them until its time is up.
 */
export function* nightlyScenarios(seed: number): Generator<SuiteScenario> {
  const rnd = Random.derive(seed, 'nightly');
  for (let i = 0; ; i++) {
    const algo = ALL[i % ALL.length]!;
    const workloads = algo === 'gossip' ? (['kv', 'dissemination'] as const) : (['kv', 'bank', 'dissemination'] as const);
    const workload = rnd.pick(workloads);
    const row: Row = workload === 'bank' ? 'transactions' : workload === 'dissemination' ? 'decentralized' : 'databases';
    yield {
      row,
      input: {
        name: `nightly/${i}-${algo}-${workload}`,
        algo,
        nodes: rnd.pick([3, 5]),
        clients: rnd.pick([4, 8, 16]),
        duration: '30s',
        warmup: '1s',
        seed: rnd.int(0, 2 ** 31 - 1),
        options: workload === 'bank' ? twopcSharded(algo) : {},
        workload: { type: workload, keys: rnd.pick([4, 8, 16]) },
        nemesis: { names: ['chaos'], interval: '5s', faultDuration: '3s', start: '2s' },
      },
    };
  }
}
