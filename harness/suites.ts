/**
 * The benchmark suites: the scenarios that decide each row of the "choosing the right
 * algorithm" table, run for every algorithm that can take part.
 *
 *   quick    one trial of each shape for a few algorithms (under a minute): the end-to-end test
 *   default  `npm run bench`: the comparison, 5 trials of every shape for every algorithm,
 *            within 5 minutes on a 2-core machine
 *   nightly  `npm run chaos`: randomized fault schedules from a seed for a wall-clock budget
 *
 * Shapes and the rows they decide (docs/report.md says what each figure includes):
 *   kv             databases (throughput and p99 while healthy, linearizable through a
 *                  partition that cuts the leader off and a leader crash) and election (the
 *                  crash's failover)
 *   bank           transactions: bank transfers with the leader (2PC: coordinator) crashed
 *   dissemination  decentralized: write-only dissemination, messages per update and convergence
 *
 * Why trials: one run per cell on a shared machine gave picks that flipped between runs.
 * Each shape runs `TRIALS` times per algorithm, short, and interleaved (a round of every
 * shape and algorithm, then the next round), so that a machine that gets busier or quieter
 * during the suite shifts every algorithm alike; the report shows each figure's mean with
 * its 95% interval and picks only when the intervals separate. The rounds also rotate
 * which shape runs first, so no algorithm always follows the same neighbour.
 */
import { Random } from '../nodes/common/random.js';
import type { ScenarioInput } from '../contracts/scenario.js';
import type { TrialInfo } from '../contracts/results.js';

export const SUITES = ['quick', 'default', 'nightly'] as const;
export type SuiteName = (typeof SUITES)[number];

export const ALGORITHMS = ['raft', 'paxos', 'twopc', 'gossip'] as const;
export type SuiteAlgorithm = (typeof ALGORITHMS)[number];

export type Row = 'databases' | 'election' | 'transactions' | 'decentralized';

export interface SuiteScenario {
  /** The rows of the choosing table this scenario's figures feed. */
  rows: Row[];
  input: ScenarioInput;
  trial?: TrialInfo;
}

/** Trials per shape and algorithm in the default suite. */
export const TRIALS = 5;

/** Bank on 2PC spreads the accounts over the participants: a transfer is a distributed transaction. */
const twopcSharded = (algo: string): Record<string, string> => (algo === 'twopc' ? { layout: 'sharded' } : {});
const ALL = ALGORITHMS;

/** What every trial shares: a short warm-up (connections dialled, code paths compiled), never measured. */
const WARMUP = '500ms';

/**
 * kv: 1.2 s healthy (the databases row's throughput and p99 come from this stretch: under a
 * fault they measure the harness's timeouts as much as the protocol), then the leader cut off
 * from the others for 0.8 s (the majority must elect a new leader and the old one must stop
 * serving: where stale reads would show), then the leader crashed for 1.2 s, long enough that
 * an algorithm that fails over does so well before the node is restarted ("no failover" in
 * reports/choosing/use-cases.ts), and 1 s more to see writes resume. Gossip has no leader:
 * it gets the same faults on a random node, so the rows compare like with like.
 */
function kv(algo: SuiteAlgorithm): ScenarioInput {
  const leaderless = algo === 'gossip';
  return {
    algo,
    nodes: 3,
    clients: 16,
    duration: '4500ms',
    warmup: WARMUP,
    workload: { type: 'kv', keys: 8 },
    faults: [
      { kind: 'partition', at: '1200ms', duration: '800ms', ...(leaderless ? { shape: 'isolate', target: 'random' } : { shape: 'isolate-leader' }), mode: 'blackhole' },
      { kind: 'crash', at: '2300ms', duration: '1200ms', target: leaderless ? 'random' : 'leader' },
    ],
  };
}

/**
 * bank: the leader (2PC: the coordinator) crashed for 1.2 s after 0.8 s. Committed
 * transfers/s runs across the crash on purpose: blocking until the coordinator returns is
 * 2PC's answer to it, failing over is the others', and both show in the figure.
 */
function bank(algo: SuiteAlgorithm): ScenarioInput {
  return {
    algo,
    nodes: 3,
    clients: 8,
    duration: '3s',
    warmup: WARMUP,
    options: twopcSharded(algo),
    workload: { type: 'bank', accounts: 8, total: 100, maxTransfer: 5, readRatio: 0.2 },
    faults: [{ kind: 'crash', at: '800ms', duration: '1200ms', target: 'leader' }],
  };
}

/**
 * Clusters beyond 5 nodes: links dialled on first use and closed when idle (a gossip node
 * talks to a few peers at a time, a Raft follower only to its leader), a slower tick and
 * link heartbeat, so 25-50 processes fit on two cores. Every directed link still has its own
 * proxy, so per-link faults still work.
 */
export const AT_SCALE: Record<string, string | number> = { linkDial: 'lazy', linkIdleMs: 5000, tickMs: 25, linkHeartbeatMs: 500, linkDeadMs: 3000 };

/**
 * Write-only dissemination at a fixed rate: every acknowledged write is an update that must
 * reach every node, and nothing else is in the traffic (a consensus read costs a quorum
 * round where a gossip read is local, which would blur messages per update).
 */
function dissemination(algo: SuiteAlgorithm, n: number): ScenarioInput {
  const consensus = algo !== 'gossip';
  return {
    algo,
    nodes: n,
    clients: 8,
    rate: 100,
    duration: '1500ms',
    // Open loop at a low rate measures no throughput: a short warm-up only dials the links.
    warmup: '300ms',
    options: n > 5 ? { ...AT_SCALE, ...(consensus ? { electionTimeoutMinMs: 1000, electionTimeoutMaxMs: 2000, heartbeatMs: 200 } : {}) } : {},
    workload: { type: 'dissemination', keys: 50, mix: { read: 0, write: 1, cas: 0 } },
  };
}

interface Shape {
  group: string;
  rows: Row[];
  input: ScenarioInput;
}

/** Production systems that can run beside the algorithms as a reference column (`--reference`). */
export const REFERENCES = ['etcd'] as const;
export type ReferenceSystem = (typeof REFERENCES)[number];

/**
 * A reference runs Raft's kv shape (the rows a replicated key-value store answers: databases,
 * leader election), unchanged but for what runs it, in the same rounds and with the same
 * seeds as the algorithms, so its column is measured exactly like theirs.
 */
function reference(system: ReferenceSystem): Shape {
  return { group: `kv/${system}`, rows: ['databases', 'election'], input: { ...kv('raft'), algo: system, options: {} } };
}

/** Every shape of the comparison for the given algorithms, in the order of one round. */
function shapes(algos: readonly SuiteAlgorithm[], disseminationN: number, references: readonly ReferenceSystem[] = []): Shape[] {
  const has = (a: SuiteAlgorithm) => algos.includes(a);
  return [
    ...ALL.filter(has).map((algo) => ({ group: `kv/${algo}`, rows: ['databases', 'election'] as Row[], input: kv(algo) })),
    ...references.map(reference),
    ...(['raft', 'paxos', 'twopc'] as const).filter(has).map((algo) => ({ group: `bank/${algo}`, rows: ['transactions'] as Row[], input: bank(algo) })),
    ...(['gossip', 'raft', 'paxos'] as const).filter(has).map((algo) => ({ group: `dissemination/${algo}-n${disseminationN}`, rows: ['decentralized'] as Row[], input: dissemination(algo, disseminationN) })),
  ];
}

/**
 * `trials` rounds of `shapes`, interleaved: round r holds every shape once, starting at a
 * different shape each round. Trial r of every shape shares the seed `seed + r`, so within
 * a round the algorithms face the same operations and the same fault schedule.
 */
export function interleaveTrials(list: readonly Shape[], trials: number, seed: number): SuiteScenario[] {
  const step = Math.max(1, Math.floor(list.length / trials));
  const out: SuiteScenario[] = [];
  for (let r = 0; r < trials; r++) {
    for (let k = 0; k < list.length; k++) {
      const shape = list[(k + r * step) % list.length]!;
      const index = r + 1;
      out.push({
        rows: shape.rows,
        input: { ...shape.input, name: `${shape.group}/${index}`, seed: (seed + r) % 2 ** 31 },
        trial: { group: shape.group, index, of: trials },
      });
    }
  }
  return out;
}

export interface SuitePlan {
  seed: number;
  /** Only these algorithms (default all four). */
  algos?: readonly SuiteAlgorithm[];
  /** Only scenarios whose name contains this. */
  only?: string;
  /** Reference systems run beside the algorithms (`--reference etcd`), whatever `algos` says. */
  references?: readonly ReferenceSystem[];
}

export function suiteScenarios(suite: Exclude<SuiteName, 'nightly'>, plan: SuitePlan = { seed: 1 }): SuiteScenario[] {
  const algos = plan.algos ?? ALL;
  const references = plan.references ?? [];
  const quick = ['kv/raft', 'kv/paxos', 'kv/gossip', 'bank/twopc', 'dissemination/gossip-n5', ...references.map((r) => `kv/${r}`)];
  const list = suite === 'quick' ? shapes(algos, 5, references).filter((s) => quick.includes(s.group)) : shapes(algos, 5, references);
  const all = interleaveTrials(list, suite === 'quick' ? 1 : TRIALS, plan.seed);
  return plan.only ? all.filter((s) => s.input.name!.includes(plan.only!)) : all;
}

/**
 * Nightly chaos: an endless, seeded stream of scenarios (each of `algos` in turn, a
 * workload it supports, list-append's Elle-style transactions included, half the kv runs on
 * independent keys, `chaos` nemeses); the bench runs them until its time is up. With one
 * algorithm the whole budget goes to it.
 */
export function* nightlyScenarios(seed: number, algos: readonly SuiteAlgorithm[] = ALL): Generator<SuiteScenario> {
  if (algos.length === 0) throw new RangeError('nightly chaos needs at least one algorithm');
  const rnd = Random.derive(seed, 'nightly');
  for (let i = 0; ; i++) {
    const algo = algos[i % algos.length]!;
    const workloads = algo === 'gossip' ? (['kv', 'dissemination'] as const) : (['kv', 'bank', 'dissemination', 'list-append'] as const);
    const workload = rnd.pick(workloads);
    const row: Row = workload === 'bank' || workload === 'list-append' ? 'transactions' : workload === 'dissemination' ? 'decentralized' : 'databases';
    // Half the kv runs on independent keys (each retired after 200 operations), where a lost
    // or stale write stays the key's last word instead of being overwritten.
    const independent = workload === 'kv' && rnd.chance(0.5) ? { opsPerKey: 200 } : {};
    yield {
      rows: [row],
      input: {
        name: `nightly/${i}-${algo}-${workload}`,
        algo,
        nodes: rnd.pick([3, 5]),
        clients: rnd.pick([4, 8, 16]),
        duration: '30s',
        warmup: '1s',
        seed: rnd.int(0, 2 ** 31 - 1),
        options: workload === 'bank' ? twopcSharded(algo) : {},
        workload: { type: workload, keys: rnd.pick([4, 8, 16]), ...independent },
        nemesis: { names: ['chaos'], interval: '5s', faultDuration: '3s', start: '2s' },
      },
    };
  }
}
