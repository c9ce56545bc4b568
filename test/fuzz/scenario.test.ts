/**
 * Scenario files and `parley run` flags as users write them, near-valid and not: each is
 * either refused with one UsageError line (exit 64) naming the field, or accepted, and
 * then it must be runnable: every node accepts its options and builds its core, every
 * fault names nodes that exist, the schedule expands, and every request the workload will
 * send is one the nodes accept. A scenario accepted and then failing once nodes are up is
 * a run that ends in exit 70 (or worse, in checks that never ran) for a typo.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../nodes/common/errors.js';
import { Random } from '../../nodes/common/random.js';
import { MAX_KEY_LENGTH, MAX_TXN_OPS } from '../../nodes/common/client-api.js';
import { runtimeOptionsSchema } from '../../nodes/common/options.js';
import { buildNodeConfig } from '../../nodes/main.js';
import { ALGORITHMS, loadAlgorithm, type AlgoName } from '../../nodes/registry.js';
import { FAULT_KINDS, FAULT_TARGET_WORDS, NEMESES, PARTITION_SHAPES, type Scenario } from '../../contracts/scenario.js';
import { scenarioFromFlags, type RunFlags } from '../../harness/run-command.js';
import { resolveScenario } from '../../harness/run.js';
import { nodeIds } from '../../harness/cluster.js';
import { workloadByName } from '../../workloads/registry.js';
import { openingBalances } from '../../workloads/bank.js';
import { fuzzRuns, fuzzTimeout } from './settings.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
let dir = '';
let fileCounter = 0;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-fuzz-scenario-'));
});
afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function writeFile(text: string, ext = 'yaml'): string {
  const file = path.join(dir, `s${++fileCounter}.${ext}`);
  fs.writeFileSync(file, text);
  return file;
}

const wrongType = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 2 }), fc.string({ maxLength: 6 }), fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 1 }));

/**
 * A field: mostly a valid value, now and then a value just out of range or of the wrong
 * type. A scenario has a dozen fields, so most files are valid or one mistake away.
 */
function field<T>(valid: fc.Arbitrary<T>, ...invalid: fc.Arbitrary<unknown>[]): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 150, arbitrary: valid as fc.Arbitrary<unknown> }, ...invalid.map((arbitrary) => ({ weight: 1, arbitrary })), { weight: 1, arbitrary: wrongType });
}

const durationArb = field(
  fc.oneof(fc.constantFrom('500ms', '1s', '2s', '1.5s', '1m', '0s', '0', ' 3s '), fc.integer({ min: 0, max: 100_000 })),
  fc.constantFrom('-1s', '1d', 's', '', '1e3', 'Infinity', -1),
  fc.string({ maxLength: 6 }),
);

const nodeNameArb = fc.constantFrom('n1', 'n2', 'n3', 'n5', 'n9', 'n10', 'x', '');
const targetArb = field(
  fc.oneof(fc.constantFrom('leader', 'coordinator', 'random', 'random-minority', 'all', 'minority-links'), nodeNameArb, fc.array(nodeNameArb, { minLength: 1, maxLength: 3 })),
  fc.constant([]),
);

const faultArb = fc.record(
  {
    kind: field(fc.constantFrom(...FAULT_KINDS), fc.constant('flood')),
    at: durationArb,
    duration: durationArb,
    target: targetArb,
    shape: field(fc.constantFrom(...PARTITION_SHAPES), fc.constant('star')),
    mode: field(fc.constantFrom('disable', 'blackhole')),
    latencyMs: field(fc.integer({ min: 0, max: 60_000 }), fc.constantFrom(-1, 60_001)),
    jitterMs: field(fc.integer({ min: 0, max: 100 })),
    rateKBps: field(fc.double({ min: 0.001, max: 1e6, noNaN: true }), fc.constantFrom(0, -1)),
    probability: field(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(-0.1, 1.5)),
    afterBytes: field(fc.integer({ min: 0, max: 10_000 }), fc.constantFrom(-1, 0.5)),
  },
  { requiredKeys: ['kind', 'at', 'duration'] },
);

/** Option keys of every algorithm and of the runtime, a few unknown; values as a file holds them. */
const OPTION_KEYS = [...Object.keys(runtimeOptionsSchema.shape), 'electionTimeoutMinMs', 'electionTimeoutMaxMs', 'heartbeatMs', 'preVote', 'readMode', 'mode', 'coordinator', 'layout', 'termination', 'rumorFanout', 'antiEntropyIntervalMs', 'frobnicate', 'a=b', ''];
const optionValue = fc.oneof(fc.integer({ min: -5, max: 2_000_000 }), fc.constantFrom(true, false, 'yes', 'off', 'n1', 'n2', 'n9', 'log', 'leaderless', 'replicated', 'blocking', '1.5', ''), fc.double({ noNaN: true }));

const workloadArb = fc.record(
  {
    type: field(fc.constantFrom('kv', 'bank', 'dissemination'), fc.constant('queue')),
    keys: field(fc.integer({ min: 1, max: 50 }), fc.constantFrom(0, 1_000_001)),
    distribution: field(fc.constantFrom('uniform', 'zipfian')),
    zipfExponent: field(fc.double({ min: 0.01, max: 10, noNaN: true }), fc.constantFrom(0, 11)),
    mix: field(fc.record({ read: fc.double({ min: 0, max: 2, noNaN: true }), write: fc.double({ min: 0, max: 2, noNaN: true }), cas: fc.double({ min: 0, max: 1, noNaN: true }) }, { requiredKeys: [] }), fc.constant({ read: 0, write: 0, cas: 0 }), fc.constant({ read: -1 })),
    valueSize: field(fc.integer({ min: 1, max: 100 }), fc.constantFrom(0, 400_000, 600_000, 1024 * 1024, 1024 * 1024 + 1)),
    accounts: field(fc.integer({ min: 2, max: 20 }), fc.constantFrom(1, 1000, 1001, 5000, 10_000)),
    total: field(fc.integer({ min: 1, max: 1000 }), fc.constant(0)),
    maxTransfer: field(fc.integer({ min: 1, max: 100 }), fc.constant(0)),
    readRatio: field(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(-0.1, 1.1)),
    keyPrefix: field(fc.stringMatching(/^[a-z0-9_.-]{0,8}$/), fc.constantFrom('a/b', 'x'.repeat(64), 'x'.repeat(65))),
  },
  { requiredKeys: [] },
);

const remoteArb = fc.record({
  nodes: fc.dictionary(
    fc.constantFrom('n1', 'n2', 'n3', 'db-1', 'bad id'),
    fc.record({ api: fc.constantFrom('127.0.0.1:8001', 'db:8001', 'nope'), peer: fc.constantFrom('127.0.0.1:7001', 'db:7001') }),
    { maxKeys: 3 },
  ),
  linkPortBase: field(fc.constant(20_000), fc.constantFrom(1000, 56_000)),
});

const scenarioArb = fc
  .tuple(
    fc.record(
      {
        name: field(fc.string({ minLength: 1, maxLength: 10 }), fc.constant('')),
        algo: field(fc.constantFrom(...ALGORITHMS), fc.constant('zab')),
        nodes: field(fc.integer({ min: 1, max: 7 }), fc.constantFrom(0, 200, 201, -1, 2.5)),
        options: field(fc.dictionary(fc.constantFrom(...OPTION_KEYS), optionValue, { maxKeys: 3 })),
        workload: field(workloadArb),
        clients: field(fc.integer({ min: 1, max: 20 }), fc.constant(0)),
        rate: field(fc.double({ min: 1, max: 1e7, noNaN: true }), fc.constantFrom(0, -1, 1e8)),
        target: field(fc.constantFrom('any', 'leader'), fc.constant('all')),
        duration: durationArb,
        warmup: durationArb,
        clientTimeout: durationArb,
        nemesis: field(fc.record({ names: field(fc.array(fc.constantFrom(...NEMESES), { minLength: 1, maxLength: 3 }), fc.constant([]), fc.constant(['flood'])), interval: durationArb, faultDuration: durationArb, start: durationArb }, { requiredKeys: ['names'] })),
        faults: field(fc.array(faultArb, { maxLength: 3 })),
        maxThroughput: field(fc.record({ duration: durationArb, connections: field(fc.integer({ min: 1, max: 100 }), fc.constant(0)) }, { requiredKeys: [] })),
        seed: field(fc.nat({ max: 2 ** 31 - 1 }), fc.constantFrom(-1, 2 ** 31, 0.5)),
        toxiproxy: field(fc.constant('http://127.0.0.1:8474'), fc.constantFrom('localhost:8474', 'not a url')),
        checkBudget: durationArb,
      },
      { requiredKeys: ['algo'] },
    ),
    // Rare in real files: a remote cluster, a field parley does not know.
    fc.oneof({ weight: 7, arbitrary: fc.constant(undefined) }, remoteArb),
    fc.oneof({ weight: 7, arbitrary: fc.constant(undefined) }, fc.string({ maxLength: 4 })),
  )
  .map(([s, remote, colour]) => ({ ...s, ...(remote !== undefined && { remote }), ...(colour !== undefined && { colour }) }) as Record<string, unknown>);

const DEFAULT_MAX_BODY = runtimeOptionsSchema.shape.maxBodyBytes.parse(undefined) as number;

/** What the cluster of a scenario is made of, as run.ts builds it. */
function idsOf(s: Scenario): string[] {
  return s.remote ? Object.keys(s.remote.nodes) : nodeIds(s.nodes);
}

/** Everything run.ts will do with an accepted scenario before and while the load runs, minus the processes. */
async function expectRunnable(s: Scenario, what: string): Promise<void> {
  const resolved = resolveScenario(s);
  const ids = idsOf(resolved);
  expect(ids.length, `a cluster of at least one node: ${what}`).toBeGreaterThan(0);
  for (const f of resolved.faults) {
    const named = Array.isArray(f.target) ? f.target : (FAULT_TARGET_WORDS as readonly string[]).includes(f.target) ? [] : [f.target];
    for (const n of named) expect(ids, `fault target ${n}: ${what}`).toContain(n);
  }
  let maxBody = DEFAULT_MAX_BODY;
  if (!resolved.remote) {
    const algorithm = await loadAlgorithm(resolved.algo as AlgoName);
    // Every node's options as Cluster passes them; the first nodes and the last stand for all.
    const sample = ids.length <= 6 ? ids : [...ids.slice(0, 3), ids[ids.length - 1]!];
    for (const id of sample) {
      const settings = { ...resolved.options, seed: 1 };
      const args = {
        algo: resolved.algo, id, listen: '127.0.0.1:1', api: '127.0.0.1:2', data: path.join(dir, 'unused'),
        peer: ids.filter((p) => p !== id).map((p) => `${p}=127.0.0.1:3`),
        set: Object.entries(settings).map(([k, v]) => `${k}=${v}`),
      };
      const { config } = await buildNodeConfig(args).catch((err: unknown) => {
        throw new Error(`accepted, but node ${id} refuses its options (${(err as Error).message}): ${what}`);
      });
      maxBody = config.runtime.maxBodyBytes;
      try {
        algorithm.create({ id, peers: [...config.peers.keys()], options: config.algoOptions, recovered: [], random: new Random(1), now: 0 });
      } catch (err) {
        throw new Error(`accepted, but node ${id} cannot build its core (${(err as Error).message}): ${what}`);
      }
    }
  }
  // Every request the workload sends fits what a node accepts (docs/nodes.md); remote
  // nodes have limits of their own, which parley cannot know.
  if (resolved.remote) return;
  const workload = await workloadByName(resolved.workload.type);
  const ctx = { spec: resolved.workload, nodes: ids.length, random: new Random(resolved.seed), nodeFor: () => 0 };
  const source = workload.source(ctx);
  const invocations = [...Array.from({ length: 40 }, (_, p) => source.next(p)), ...workload.finalOps(resolved.workload, 0).slice(0, 3)];
  if (resolved.workload.type === 'bank') {
    // The opening balances: one transaction writing every account (bank.setup).
    const ops = Object.entries(openingBalances(resolved.workload)).map(([key, value]) => ({ f: 'write' as const, key, value }));
    invocations.push({ op: { f: 'txn', ops } } as never);
  }
  for (const inv of invocations) {
    if (!inv) continue;
    const op = inv.op;
    const body = op.f === 'write' ? { value: op.value } : op.f === 'cas' ? { from: op.from, to: op.to } : op.f === 'txn' ? { ops: op.ops } : undefined;
    if (body !== undefined) expect(Buffer.byteLength(JSON.stringify(body)), `a ${op.f} body within maxBodyBytes ${maxBody}: ${what}`).toBeLessThanOrEqual(maxBody);
    if (op.f === 'txn') expect(op.ops.length, `a txn within ${MAX_TXN_OPS} ops: ${what}`).toBeLessThanOrEqual(MAX_TXN_OPS);
    const keys = op.f === 'txn' ? op.ops.map((o) => o.key) : [op.key];
    for (const k of keys) expect(k.length, `key ${k.slice(0, 20)}... within ${MAX_KEY_LENGTH}: ${what}`).toBeLessThanOrEqual(MAX_KEY_LENGTH);
  }
}

/** A refusal: a UsageError, one line, that names the file (or flag) and a field. */
function expectRefusal(err: unknown, what: string): void {
  if (!(err instanceof UsageError)) throw new Error(`not a usage error (${String(err)}): ${what}`, { cause: err });
  expect(err.message, what).not.toContain('\n');
  expect(err.message.length, what).toBeGreaterThan(10);
}

async function judgeScenarioFile(file: string, flags: Partial<RunFlags>, what: string): Promise<void> {
  let accepted: Scenario;
  try {
    accepted = scenarioFromFlags({ set: [], ...flags, scenario: file }).scenario;
  } catch (err) {
    expectRefusal(err, what);
    expect((err as Error).message, `the refusal names the file or the flag: ${what}`).toMatch(new RegExp(`${path.basename(file)}|^--`));
    return;
  }
  await expectRunnable(accepted, what);
}

describe('scenario files and run flags, fuzzed', () => {
  it(
    'a scenario file is refused with one line naming the field, or it is runnable',
    async () => {
      await fc.assert(
        fc.asyncProperty(scenarioArb, fc.boolean(), async (s, asYaml) => {
          const text = asYaml ? YAML.stringify(s) : JSON.stringify(s);
          await judgeScenarioFile(writeFile(text, asYaml ? 'yaml' : 'json'), {}, text.slice(0, 600));
        }),
        { ...fuzzRuns<[Record<string, unknown>, boolean]>(150), examples: FOUND },
      );
    },
    fuzzTimeout(30_000),
  );

  it(
    'a file that is not a scenario at all (text, YAML oddities, bytes) is refused with one line',
    async () => {
      const texts = fc.oneof(
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.constantFrom('', '---', '- 1\n- 2', 'null', '"str"', 'algo: [raft', 'a: &x [*x]', 'algo: raft\nalgo: paxos', '{"algo": "raft",}', '\ufeffalgo: raft\nnodes: 1e400', 'algo: !!binary aGk=', 'algo: raft\nnodes: 0x10'),
        fc.jsonValue({ maxDepth: 3 }).map((v) => YAML.stringify(v)),
        // Billion laughs: the YAML parser must refuse it rather than expand it.
        fc.constant(`a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e]\nalgo: raft`),
      );
      await fc.assert(
        fc.asyncProperty(texts, async (text) => {
          await judgeScenarioFile(writeFile(text), {}, JSON.stringify(text.slice(0, 300)));
        }),
        fuzzRuns(100),
      );
      for (const file of [path.join(dir, 'missing.yaml'), dir]) {
        await judgeScenarioFile(file, {}, file);
      }
    },
    fuzzTimeout(30_000),
  );

  it(
    'run flags are refused with one line naming the flag, or give a runnable scenario',
    async () => {
      const garbage = fc.oneof(fc.constantFrom('0', '-1', '1.5', '1e3', 'x', '', ' ', '99999999999', 'crash,flood', 'read=-1', 'a=b'), fc.string({ maxLength: 8 }));
      // Each flag as a user types it (commander hands over strings), now and then mistyped.
      const flag = (...valid: string[]) => fc.oneof({ weight: 30, arbitrary: fc.constantFrom(...valid) }, garbage);
      const setPair = fc.oneof(
        { weight: 6, arbitrary: fc.tuple(fc.constantFrom(...OPTION_KEYS), fc.constantFrom('1', '300', '5000', 'true', 'n1', 'n9', 'log', 'leaderless', '')).map(([k, v]) => `${k}=${v}`) },
        fc.string({ maxLength: 8 }),
      );
      const flagsArb = fc.record(
        {
          algo: flag(...ALGORITHMS),
          workload: flag('kv', 'bank', 'dissemination'),
          nodes: flag('1', '3', '5'),
          duration: flag('1s', '500ms', '2m'),
          warmup: flag('0s', '1s'),
          faults: flag('none', 'crash', 'chaos', 'latency,drop', 'leader-crash'),
          faultInterval: flag('2s'),
          faultDuration: flag('1s'),
          rate: flag('100', '2.5'),
          clients: flag('1', '16'),
          seed: flag('0', '7'),
          keys: flag('1', '10'),
          distribution: flag('uniform', 'zipfian'),
          mix: flag('read=1,write=1,cas=0', 'read=0.5,write=0.4,cas=0.1'),
          valueSize: flag('16', '600000', '1048576'),
          target: flag('any', 'leader'),
          checkBudget: flag('5s'),
          maxThroughput: fc.oneof(fc.boolean(), flag('1s')),
          set: fc.array(setPair, { maxLength: 2 }),
        },
        { requiredKeys: ['set', 'algo'] },
      );
      await fc.assert(
        fc.asyncProperty(flagsArb, async (flags) => {
          const what = JSON.stringify(flags);
          let accepted: Scenario;
          try {
            accepted = scenarioFromFlags(flags as RunFlags).scenario;
          } catch (err) {
            expectRefusal(err, what);
            return;
          }
          await expectRunnable(accepted, what);
        }),
        fuzzRuns(150),
      );
    },
    fuzzTimeout(30_000),
  );
});

/** Scenarios the fuzzer found accepted but not runnable, asked first on every run. */
const FOUND: [Record<string, unknown>, boolean][] = [
  [{ algo: 'raft', options: { frobnicate: 1 } }, true],
  [{ algo: 'raft', options: { electionTimeoutMinMs: 500, electionTimeoutMaxMs: 100 } }, true],
  [{ algo: 'twopc', nodes: 3, options: { coordinator: 'n9' } }, false],
  [{ algo: 'raft', nodes: 3, faults: [{ kind: 'crash', at: '1s', duration: '1s', target: 'n9' }] }, true],
  [{ algo: 'twopc', workload: { type: 'bank', accounts: 5000 } }, true],
  [{ algo: 'raft', workload: { valueSize: 1024 * 1024 } }, false],
  [{ algo: 'raft', options: { maxBodyBytes: 300 }, workload: { type: 'bank', keyPrefix: 'x'.repeat(64) } }, true],
  [{ algo: 'raft', remote: { nodes: {} } }, false],
];

const built = fs.existsSync(path.join(root, 'dist/harness/cli.js'));

describe.skipIf(!built)('parley run with a bad scenario (the command)', () => {
  it('exits 64 with one line on stderr, before it starts anything', () => {
    for (const s of [{ algo: 'raft', options: { frobnicate: 1 } }, { algo: 'raft', faults: [{ kind: 'crash', at: '1s', duration: '1s', target: 'n9' }] }]) {
      const file = writeFile(YAML.stringify(s));
      const out = path.join(dir, `out${++fileCounter}`);
      const r = spawnSync(process.execPath, [path.join(root, 'bin/parley.js'), 'run', '--scenario', file, '--out', out, '--quiet'], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, `${JSON.stringify(s)}: ${r.stderr}`).toBe(64);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).toContain(path.basename(file));
      expect(fs.existsSync(out), 'nothing was started or written').toBe(false);
    }
  });
});
