/**
 * A scenario is data: which algorithm, how many nodes, which workload with which knobs,
 * how long, which faults when, and the seed. It comes from flags or a JSON/YAML file and is
 * validated here with zod; `scenarioJsonSchema()` emits the same schema as JSON Schema for
 * editors. A bad value becomes a UsageError naming the field and what was expected (exit 64).
 *
 * The resolved scenario (every default filled in, named nemeses expanded into a concrete
 * fault schedule) is stored in results.json, so `parley run --replay results.json` runs
 * exactly the same thing again.
 */
import { z } from 'zod';
import { UsageError } from '../nodes/common/errors.js';
import { ALGORITHMS, isAlgoName, type AlgoName } from '../nodes/registry.js';
import { parseHostPort } from '../nodes/common/address.js';
import { CLOCK_JUMP_MAX_MS, CLOCK_RATE } from '../nodes/common/clock.js';
import { FAILPOINTS } from '../nodes/common/failpoints.js';
import { runtimeOptionsSchema } from '../nodes/common/options.js';
import { raftOptionsSchema } from '../nodes/raft/options.js';
import { paxosOptionsSchema } from '../nodes/paxos/options.js';
import { twoPcOptionsSchema } from '../nodes/twopc/options.js';
import { gossipOptionsSchema } from '../nodes/gossip/options.js';
import { workloadSchema } from '../workloads/spec.js';

/** "20s", "500ms", "2m", "1h" or a number of milliseconds. */
export function parseDuration(text: string | number): number | null {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text : null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!m) return null;
  const n = Number(m[1]);
  const unit = m[2] ?? 'ms';
  return Math.round(n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit]!);
}

const duration = (what = 'a duration like 500ms, 20s or 2m') =>
  z.union([z.string(), z.number()], { error: (issue) => `expected ${what}, got ${JSON.stringify(issue.input) ?? 'nothing'}` }).transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === null) {
      ctx.addIssue({ code: 'custom', message: `expected ${what}, got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return ms;
  });

const probability = z.number().min(0).max(1);

const hostPort = z.string().refine((v) => parseHostPort(v) !== null, 'expected host:port');

export const PARTITION_SHAPES = ['halves', 'majority-minority', 'isolate', 'isolate-leader', 'bridge', 'ring', 'one-way'] as const;
export const FAULT_KINDS = ['latency', 'bandwidth', 'drop', 'reset', 'partition', 'crash', 'pause', 'leader-crash', 'clock'] as const;
export const NEMESES = ['latency', 'drop', 'partition', 'crash', 'pause', 'leader-crash', 'power-loss', 'clock', 'catch-up', 'chaos'] as const;
/** Link faults: how a cut link behaves. Crashes: a kill -9, or a power loss that also loses what was written but not synced. */
export const FAULT_MODES = ['disable', 'blackhole', 'kill', 'power-loss'] as const;
const LINK_MODES: readonly string[] = ['disable', 'blackhole'];
const CRASH_MODES: readonly string[] = ['kill', 'power-loss'];

/**
 * Who a fault hits, resolved when it fires (the leader then, not the leader at start): one
 * of these words, a node id, or a list of node ids. `random-links`: link faults on a random
 * set of directed links, one to N of them (a clogged link here and there, as FoundationDB's
 * simulator clogs them). `follower-majority`: a majority of the nodes with the leader not
 * among them, and `followers`: every node but the leader (with no leader: any majority, and
 * all): what they acknowledged, the leader counted.
 */
export const FAULT_TARGET_WORDS = ['leader', 'coordinator', 'random', 'random-minority', 'majority', 'follower-majority', 'followers', 'all', 'minority-links', 'random-links'] as const;
const target = z.union([z.enum(FAULT_TARGET_WORDS), z.string().regex(/^[A-Za-z0-9_.-]+$/), z.array(z.string()).min(1)]);

export const faultSchema = z
  .strictObject({
    kind: z.enum(FAULT_KINDS),
    /** When it starts, after the load starts. */
    at: duration(),
    /** How long it lasts; for crash, how long the node stays down before its restart. */
    duration: duration(),
    target: target.default('random'),
    /**
     * partition: which cut. isolate and one-way cut off their target; majority-minority
     * builds its minority around its target unless that is `random` or `all` (then both
     * sides are drawn at random): `target: leader` leaves the leader with followers.
     */
    shape: z.enum(PARTITION_SHAPES).default('majority-minority'),
    /**
     * partition and drop: disable the proxies (connections refused) or black-hole them
     * (silent loss; the default). crash and leader-crash: kill (kill -9, the default) or
     * power-loss (kill -9, then every file cut back to what the node had synced).
     */
    mode: z.enum(FAULT_MODES).optional(),
    /**
     * crash and leader-crash: where the node dies. Unset: wherever it is when the fault
     * fires. `before-sync` or `after-sync`: at that failpoint of its next fsync (parley's own
     * nodes, POST /failpoint; nodes/common/failpoints.ts), or wherever it is 1.5 s later if
     * it reached none (an idle node syncs nothing).
     */
    point: z.enum(FAILPOINTS).optional(),
    /** latency: added one-way delay per direction, and ± uniform jitter. */
    latencyMs: z.number().min(0).max(60_000).default(100),
    jitterMs: z.number().min(0).max(60_000).default(0),
    /** bandwidth: KB/s per connection. */
    rateKBps: z.number().positive().default(100),
    /** drop and reset: share of connections affected (Toxiproxy toxicity, decided per connection). */
    probability: probability.default(1),
    /** reset: 0 resets a connection at its first bytes (reset_peer); N > 0 lets N bytes through, then closes it (limit_data), cutting a frame mid-way. */
    afterBytes: z.number().int().min(0).default(0),
    /** clock (parley sim, and parley's own nodes in parley run: POST /clock): the node's clock runs this many times as fast, and jumps forward this far when the fault starts. */
    clockRate: z.number().min(CLOCK_RATE.min).max(CLOCK_RATE.max).default(2),
    clockJumpMs: z.number().min(0).max(CLOCK_JUMP_MAX_MS).default(0),
  })
  .superRefine((f, ctx) => {
    const crash = f.kind === 'crash' || f.kind === 'leader-crash';
    if (f.point !== undefined && !crash) ctx.addIssue({ code: 'custom', path: ['point'], message: `a ${f.kind} fault takes no point: only crash and leader-crash do` });
    if (f.mode === undefined) return;
    const allowed = crash ? CRASH_MODES : f.kind === 'partition' || f.kind === 'drop' ? LINK_MODES : null;
    if (allowed && !allowed.includes(f.mode)) ctx.addIssue({ code: 'custom', path: ['mode'], message: `a ${f.kind} fault takes mode ${allowed.join(' or ')}` });
  })
  .transform((f) => ({ ...f, mode: f.mode ?? (f.kind === 'crash' || f.kind === 'leader-crash' ? ('kill' as const) : ('blackhole' as const)) }));
export type FaultSpec = z.infer<typeof faultSchema>;

/** What can run as the nodes without a node command: parley's algorithms, and etcd as a reference. */
export const SYSTEMS = [...ALGORITHMS, 'etcd'] as const;

const scenarioFields = z.strictObject({
  name: z.string().min(1).max(200).optional(),
  /** parley's algorithm, `etcd`, or the name a node command's results go by. */
  algo: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/, 'expected a name of letters, digits, ".", "_" or "-"'),
  /**
   * Run this program as every node instead of parley's own (harness/node-command.ts): a
   * template such as `./mynode --id {id} --listen {listen} --api {api} --data {data} {peers}`.
   */
  nodeCommand: z.string().min(1).max(4096).optional(),
  /** What a node command promises: linearizable (checked as such) or eventual (convergence). */
  consistency: z.enum(['linearizable', 'eventual']).optional(),
  nodes: z.number().int().min(1).max(200).default(3),
  /** `--set` options for every node (algorithm and runtime knobs). */
  options: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  workload: workloadSchema.default(workloadSchema.parse({})),
  /** Concurrent clients (closed loop) or the most in flight at once (open loop). */
  clients: z.number().int().min(1).max(10_000).default(16),
  /** Open-loop target rate in operations per second; absent = closed loop. */
  rate: z.number().positive().max(10_000_000).optional(),
  /** Which node each client talks to: any node (spread), or the current leader. */
  target: z.enum(['any', 'leader']).default('any'),
  duration: duration().default(20_000),
  warmup: duration().default(2_000),
  /** A client gives up (outcome unknown) after this long. */
  clientTimeout: duration().default(3_000),
  /** Named nemeses (expanded into `faults` by the seed) or an explicit schedule. */
  nemesis: z
    .object({
      names: z.array(z.enum(NEMESES)).min(1),
      /** A new fault every `interval`, each lasting `faultDuration`. */
      interval: duration().default(6_000),
      faultDuration: duration().default(3_000),
      /** The first fault starts this long after the load starts. */
      start: duration().default(3_000),
    })
    .optional(),
  faults: z.array(faultSchema).default([]),
  /** An autocannon phase against the healthy cluster after the main load, for saturation throughput. */
  maxThroughput: z
    .object({ duration: duration().default(3_000), connections: z.number().int().min(1).max(10_000).default(64) })
    .optional(),
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(1),
  /** Where the fault proxy is: absent = parley's embedded server. */
  toxiproxy: z.string().url().optional(),
  /**
   * Nodes parley does not spawn (containers, other hosts), addressed by host and port. Each
   * node was started with `--peer` pointing at the link proxies, whose listen ports follow
   * one rule: the proxy of link `a->b` listens on linkPortBase + 100 * i(a) + i(b), where
   * i() is the node's 1-based position in `nodes`. parley creates those proxies in the
   * Toxiproxy it drives, with the peer addresses as upstreams.
   */
  remote: z
    .strictObject({
      nodes: z
        .record(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/), z.strictObject({ api: hostPort, peer: hostPort }))
        .refine((nodes) => Object.keys(nodes).length > 0, 'expected at least one node'),
      linkListenHost: z.string().min(1).default('127.0.0.1'),
      linkPortBase: z.number().int().min(1024).max(55_000).default(20_000),
    })
    .optional(),
  /** Per-check time budget for the linearizability search, after which the verdict is unknown. */
  checkBudget: duration().default(30_000),
});

export const scenarioSchema = scenarioFields.superRefine((s, ctx) => {
  const known = (SYSTEMS as readonly string[]).includes(s.algo);
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: path.split('.'), message });
  if (s.nodeCommand === undefined) {
    if (!known) issue('algo', `expected one of ${SYSTEMS.join(', ')} (or name your own node and give its nodeCommand)`);
    if (s.consistency !== undefined) issue('consistency', 'only for a nodeCommand: parley knows what its own algorithms promise');
    if (s.algo === 'etcd') {
      if (s.workload.type !== 'kv') issue('workload.type', `${s.workload.type}: etcd runs the kv workload (put, linearizable range reads, txn for cas)`);
      if (s.remote) issue('remote', 'etcd members are spawned by parley; remote nodes are started by you');
      if (Object.keys(s.options).length > 0) issue('options', "parley's node options do not apply to etcd");
    }
    return;
  }
  if (known) issue('algo', `${s.algo} is one of parley's own systems; give your node command another name`);
  if (s.remote) issue('remote', 'a nodeCommand is spawned by parley; remote nodes are started by you');
  if (Object.keys(s.options).length > 0) issue('options', "parley's node options do not reach a node command; put them in the command itself");
});

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Scenario = z.infer<typeof scenarioSchema>;

/** Validate a scenario object, turning the first problem into a one-line UsageError. */
export function parseScenario(raw: unknown, source = 'scenario'): Scenario {
  const r = scenarioSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const field = issue.path.length ? issue.path.join('.') : '(root)';
    let message = issue.message;
    if (issue.code === 'invalid_value' && 'values' in issue) message = `expected one of ${(issue.values as unknown[]).join(', ')}`;
    if (issue.code === 'unrecognized_keys') message = `unknown field(s) ${(issue as { keys: string[] }).keys.join(', ')}`;
    throw new UsageError(`${source}: ${field}: ${message}`);
  }
  checkRunnable(r.data, source);
  return r.data;
}

const NODE_OPTIONS: Record<AlgoName, z.ZodObject> = { raft: raftOptionsSchema, paxos: paxosOptionsSchema, twopc: twoPcOptionsSchema, gossip: gossipOptionsSchema };
const TARGET_WORDS: ReadonlySet<string> = new Set(FAULT_TARGET_WORDS);
/** `{"value":...}` and `{"from":...,"to":...}` around the values, and the digits of a value's id. */
const BODY_OVERHEAD_BYTES = 32;

/**
 * What the schema cannot see because it depends on other fields: a scenario that passes
 * must also run, or a typo in a file ends as a harness failure (exit 70) once nodes are up,
 * or as a run whose requests the nodes all refuse.
 */
function checkRunnable(s: Scenario, source: string): void {
  const fail = (field: string, message: string) => new UsageError(`${source}: ${field}: ${message}`);
  // Named both ways: a file has `options`, the command line `--set`.
  const option = (key: string) => `options.${key} (--set ${key})`;
  const ids = s.remote ? Object.keys(s.remote.nodes) : Array.from({ length: s.nodes }, (_, i) => `n${i + 1}`);
  // The options each node gets as `--set key=value`: parsed here as the node will parse them.
  // A node parley did not write (etcd, --node-command) takes no parley node options.
  const algoSchema = isAlgoName(s.algo) ? NODE_OPTIONS[s.algo] : z.object({});
  const runtimeRaw: Record<string, string> = {};
  const algoRaw: Record<string, string> = {};
  for (const [key, value] of Object.entries(s.options)) {
    if (key in runtimeOptionsSchema.shape) runtimeRaw[key] = String(value);
    else if (key in algoSchema.shape) algoRaw[key] = String(value);
    else throw fail(option(key), `unknown option for ${s.algo} (known: ${[...Object.keys(runtimeOptionsSchema.shape), ...Object.keys(algoSchema.shape)].sort().join(', ')})`);
  }
  const parseOptions = <T>(schema: z.ZodType<T>, raw: Record<string, string>): T => {
    const r = schema.safeParse(raw);
    if (r.success) return r.data;
    const issue = r.error.issues[0]!;
    throw fail(option(issue.path.join('.')), issue.message);
  };
  const runtime = parseOptions(runtimeOptionsSchema, runtimeRaw);
  const algoOptions = parseOptions(algoSchema, algoRaw) as { coordinator?: string };
  if (s.algo === 'twopc' && algoOptions.coordinator !== undefined && !ids.includes(algoOptions.coordinator)) {
    throw fail(option('coordinator'), `${algoOptions.coordinator} is not a node of this cluster (${ids.join(', ')})`);
  }
  s.faults.forEach((f, i) => {
    const named = Array.isArray(f.target) ? f.target : TARGET_WORDS.has(f.target) ? [] : [f.target];
    const unknown = named.filter((n) => !ids.includes(n));
    if (unknown.length > 0) throw fail(`faults.${i}.target`, `no node ${unknown.join(', ')} in this cluster (${ids.join(', ')})`);
  });
  // Nodes parley does not start have their own limits, which it cannot know.
  if (!s.remote) {
    const w = s.workload;
    if (w.type === 'bank') {
      // The largest is the opening balances: one transaction writing every account.
      const perAccount = BODY_OVERHEAD_BYTES + w.keyPrefix.length + String(w.accounts).length + String(w.total).length + 8;
      const largest = w.accounts * perAccount + BODY_OVERHEAD_BYTES;
      if (largest > runtime.maxBodyBytes) {
        throw fail('workload.accounts', `${w.accounts} accounts make transactions of up to ${largest} bytes, above the nodes' maxBodyBytes ${runtime.maxBodyBytes}: lower it or raise options.maxBodyBytes`);
      }
    } else {
      const values = w.type === 'kv' && w.mix.cas > 0 ? 2 : 1;
      const largest = values * w.valueSize + BODY_OVERHEAD_BYTES;
      if (largest > runtime.maxBodyBytes) {
        throw fail('workload.valueSize', `${w.valueSize} bytes make requests of up to ${largest} bytes${values === 2 ? ' (a cas carries two values)' : ''}, above the nodes' maxBodyBytes ${runtime.maxBodyBytes}: lower it or raise options.maxBodyBytes`);
      }
    }
  }
}

/** The JSON Schema of a scenario file, for editors (`parley run --json-schema`). */
export function scenarioJsonSchema(): unknown {
  return z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' });
}
