/**
 * `parley run`: a scenario from flags, a JSON/YAML file, or a previous run's results.json
 * (--replay), run once, written to --out as results.json, history.jsonl, logs/, report.html
 * and junit.xml, summarised on the terminal. Exit code from the checks (contracts/exit-codes.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { UsageError } from '../nodes/common/errors.js';
import { parseSetPairs } from '../nodes/common/options.js';
import { NEMESES, parseDuration, parseScenario, scenarioJsonSchema, type Scenario } from '../contracts/scenario.js';
import { ownNodes } from './traits.js';
import { machineInfo } from './machine.js';
import { RESULTS_SCHEMA, readResults, writeResults, type ResultsFile, type ScenarioResult } from '../contracts/results.js';
import { Progress } from './progress.js';
import { EXIT, exitCodeOf } from '../contracts/exit-codes.js';
import { publishOutputs } from './outputs.js';

export interface RunFlags {
  algo?: string;
  workload?: string;
  nodes?: string;
  duration?: string;
  warmup?: string;
  faults?: string;
  faultInterval?: string;
  faultDuration?: string;
  rate?: string;
  clients?: string;
  seed?: string;
  out?: string;
  scenario?: string;
  set: string[];
  keys?: string;
  distribution?: string;
  mix?: string;
  valueSize?: string;
  opsPerKey?: string;
  target?: string;
  toxiproxy?: string;
  maxThroughput?: string | boolean;
  name?: string;
  replay?: string;
  checkBudget?: string;
  jsonSchema?: boolean;
  quiet?: boolean;
  nodeCommand?: string;
  system?: string;
  consistency?: string;
}

function int(flag: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || n < min || n > max) throw new UsageError(`${flag} ${text}: expected a whole number from ${min} to ${max}`);
  return n;
}

function positive(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} ${text}: expected a positive number`);
  return n;
}

function duration(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === null) throw new UsageError(`${flag} ${text}: expected a duration like 500ms, 20s or 2m`);
  return ms;
}

/** Read a scenario (or fault schedule) file: JSON or YAML by content. */
export function readConfigFile(file: string, flag: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`${flag} ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    return YAML.parse(text) as unknown; // YAML is a superset of JSON
  } catch (err) {
    throw new UsageError(`${flag} ${file}: not valid JSON or YAML (${(err as Error).message.split('\n')[0]})`);
  }
}

/** Turn flags (over an optional file or replayed scenario) into a validated scenario. */
export function scenarioFromFlags(flags: RunFlags): { scenario: Scenario; source: string } {
  let base: Record<string, unknown> = {};
  let source = 'flags';
  if (flags.replay) {
    let results: ResultsFile;
    try {
      results = readResults(flags.replay);
    } catch (err) {
      throw new UsageError(`--replay ${flags.replay}: ${(err as Error).message}`);
    }
    const first = results.scenarios[0];
    if (!first) throw new UsageError(`--replay ${flags.replay}: it holds no scenario`);
    base = structuredClone(first.scenario) as unknown as Record<string, unknown>;
    delete base.nemesis; // its schedule is already expanded into `faults`
    source = flags.replay;
  } else if (flags.scenario) {
    const raw = readConfigFile(flags.scenario, '--scenario');
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UsageError(`--scenario ${flags.scenario}: expected a mapping of scenario fields`);
    base = raw as Record<string, unknown>;
    source = flags.scenario;
  }
  const s: Record<string, unknown> = { ...base };
  const workload: Record<string, unknown> = { ...((base.workload as Record<string, unknown> | undefined) ?? {}) };
  if (flags.system !== undefined) {
    if (flags.system !== 'etcd') throw new UsageError(`--system ${flags.system}: expected etcd (parley's own algorithms are chosen with --algo)`);
    if (flags.algo !== undefined && flags.algo !== 'etcd') throw new UsageError(`--system etcd: runs etcd, not ${flags.algo}; drop --algo`);
    if (flags.nodeCommand !== undefined) throw new UsageError('--system etcd: etcd is started by parley; drop --node-command');
    s.algo = 'etcd';
    delete s.nodeCommand;
  }
  if (flags.nodeCommand !== undefined) {
    s.nodeCommand = flags.nodeCommand;
    // Results need a name for what ran; parley's own names are taken.
    if (flags.algo === undefined && (s.algo === undefined || base.nodeCommand === undefined)) s.algo = 'custom';
  }
  if (flags.consistency !== undefined) s.consistency = flags.consistency;
  if (flags.algo !== undefined) s.algo = flags.algo;
  if (flags.name !== undefined) s.name = flags.name;
  if (flags.nodes !== undefined) s.nodes = int('--nodes', flags.nodes, 1, 200);
  if (flags.clients !== undefined) s.clients = int('--clients', flags.clients, 1, 10_000);
  if (flags.seed !== undefined) s.seed = int('--seed', flags.seed, 0, 2 ** 31 - 1);
  if (flags.rate !== undefined) s.rate = positive('--rate', flags.rate);
  if (flags.duration !== undefined) s.duration = duration('--duration', flags.duration);
  if (flags.warmup !== undefined) s.warmup = duration('--warmup', flags.warmup);
  if (flags.checkBudget !== undefined) s.checkBudget = duration('--check-budget', flags.checkBudget);
  if (flags.target !== undefined) s.target = flags.target;
  const toxiproxy = flags.toxiproxy ?? process.env.TOXIPROXY_URL;
  if (toxiproxy) s.toxiproxy = toxiproxy;
  if (flags.set.length) s.options = { ...((base.options as Record<string, unknown>) ?? {}), ...parseSetPairs(flags.set) };
  if (flags.workload !== undefined) workload.type = flags.workload;
  if (flags.keys !== undefined) workload.keys = int('--keys', flags.keys, 1, 1_000_000);
  if (flags.distribution !== undefined) workload.distribution = flags.distribution;
  if (flags.valueSize !== undefined) workload.valueSize = int('--value-size', flags.valueSize, 1, 1024 * 1024);
  if (flags.opsPerKey !== undefined) workload.opsPerKey = int('--ops-per-key', flags.opsPerKey, 1, 1_000_000);
  if (flags.mix !== undefined) workload.mix = parseMix(flags.mix);
  if (Object.keys(workload).length) s.workload = workload;
  if (flags.maxThroughput !== undefined && flags.maxThroughput !== false) {
    s.maxThroughput = flags.maxThroughput === true ? {} : { duration: duration('--max-throughput', flags.maxThroughput) };
  }
  if (flags.faults !== undefined) applyFaults(s, flags);
  if (s.algo === undefined) throw new UsageError('--algo: required (raft, paxos, twopc or gossip), or --system etcd, --node-command TEMPLATE or --scenario FILE');
  const scenario = parseScenario(s, source === 'flags' ? 'scenario' : source);
  if (scenario.algo === 'gossip' && (scenario.workload.type === 'bank' || scenario.workload.type === 'list-append')) {
    throw new UsageError(`${source === 'flags' ? 'scenario' : source}: workload.type: ${scenario.workload.type} needs multi-key transactions, which gossip does not offer (use kv or dissemination)`);
  }
  return { scenario, source };
}

function parseMix(text: string): Record<string, number> {
  const mix: Record<string, number> = { read: 0, write: 0, cas: 0 };
  for (const part of text.split(',')) {
    const [k, v] = part.split('=');
    if (!k || !(k in mix) || v === undefined || !Number.isFinite(Number(v)) || Number(v) < 0) {
      throw new UsageError(`--mix ${text}: expected read=R,write=W,cas=C with non-negative shares`);
    }
    mix[k] = Number(v);
  }
  return mix;
}

/** --faults: named nemeses (comma-separated) or a schedule file. */
function applyFaults(s: Record<string, unknown>, flags: RunFlags): void {
  const text = flags.faults!;
  if (text === 'none') {
    s.faults = [];
    delete s.nemesis;
    return;
  }
  if (fs.existsSync(text)) {
    const raw = readConfigFile(text, '--faults');
    const list = Array.isArray(raw) ? raw : (raw as { faults?: unknown })?.faults;
    if (!Array.isArray(list)) throw new UsageError(`--faults ${text}: expected a list of faults (or {faults: [...]})`);
    s.faults = list;
    delete s.nemesis;
    return;
  }
  const names = text.split(',').map((x) => x.trim());
  for (const n of names) {
    if (!(NEMESES as readonly string[]).includes(n)) throw new UsageError(`--faults ${n}: expected a file or nemeses among ${NEMESES.join(', ')}`);
  }
  const nemesis: Record<string, unknown> = { names };
  if (flags.faultInterval) nemesis.interval = duration('--fault-interval', flags.faultInterval);
  if (flags.faultDuration) nemesis.faultDuration = duration('--fault-duration', flags.faultDuration);
  s.nemesis = nemesis;
  s.faults = [];
}

/** Faults these nodes cannot take: a clock fault needs parley's own nodes (POST /clock) or parley sim. */
export function refuseSimOnly(scenario: Scenario): void {
  if (ownNodes(scenario)) return;
  const clock = scenario.faults.findIndex((f) => f.kind === 'clock');
  if (clock >= 0 || scenario.nemesis?.names.includes('clock')) {
    throw new UsageError(`${clock >= 0 ? `faults.${clock}.kind` : '--faults'} clock: clock faults need parley's own nodes (POST /clock) or parley sim; these nodes run on the machine's clock, which processes on one machine share`);
  }
  const failpoint = scenario.faults.findIndex((f) => f.point !== undefined);
  if (failpoint >= 0) throw new UsageError(`faults.${failpoint}.point: a crash at a failpoint needs parley's own nodes (POST /failpoint); crash these where they are (leave point out)`);
}

/** A path as a user would type it here: relative under the working directory, absolute elsewhere. */
export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : path.resolve(file);
}

export function reproduceCommand(scenarioFile: string): string {
  return `npx parley run --scenario ${displayPath(scenarioFile)}`;
}

/** Ctrl-C and SIGTERM abort the run cleanly; a second Ctrl-C stops at once. */
export function abortOnSignals(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  let count = 0;
  const handler = (sig: NodeJS.Signals) => {
    count++;
    if (count > 1) {
      process.stderr.write(`parley: ${sig} again, stopping now\n`);
      process.exit(EXIT.internal); // the exit hook SIGKILLs every child
    }
    process.stderr.write(`parley: ${sig}: stopping the run, writing what was measured (press again to stop at once)\n`);
    controller.abort(sig);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

export async function runCommand(flags: RunFlags): Promise<number> {
  if (flags.jsonSchema) {
    process.stdout.write(`${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
    return EXIT.ok;
  }
  const { scenario } = scenarioFromFlags(flags);
  refuseSimOnly(scenario);
  const out = path.resolve(flags.out ?? path.join('out', `${scenario.algo}-${scenario.workload.type}-${new Date().toISOString().replace(/[:.]/g, '-')}`));
  const { checkSystem } = await import('./systems.js');
  await checkSystem(scenario);
  const { signal, dispose } = abortOnSignals();
  const progress = new Progress(`[${scenario.name ?? `${scenario.algo}/${scenario.workload.type}`}]`, process.stderr, flags.quiet === true);
  let results: ResultsFile;
  try {
    results = await runInto(scenario, out, { signal, progress, command: process.argv.slice(2).join(' ') });
  } finally {
    dispose();
  }
  await publishOutputs(results, out);
  return exitCodeOf(results);
}

/**
 * Run a validated scenario into folder `out` (which must not hold a run yet): scenario.json,
 * the run's files, and results.json, which is returned. Shared by `parley run` and the API.
 */
export async function runInto(scenario: Scenario, out: string, opts: { signal: AbortSignal; progress: Progress; command: string }): Promise<ResultsFile> {
  if (fs.existsSync(path.join(out, 'results.json')) || fs.existsSync(path.join(out, 'data'))) {
    throw new UsageError(`--out ${out}: already holds a run; choose another folder or remove it`);
  }
  fs.mkdirSync(out, { recursive: true });
  const scenarioFile = path.join(out, 'scenario.json');
  fs.writeFileSync(scenarioFile, JSON.stringify(scenario, null, 2));
  // The run loop (and everything it loads) only once the scenario is known to be valid.
  const { runScenario } = await import('./run.js');
  const startedAt = new Date().toISOString();
  const result: ScenarioResult = await runScenario(scenario, { dir: out, command: reproduceCommand(scenarioFile), signal: opts.signal, progress: opts.progress });
  const results: ResultsFile = {
    schema: RESULTS_SCHEMA,
    partial: result.status !== 'complete',
    meta: { ...machineInfo(), startedAt, finishedAt: new Date().toISOString(), command: opts.command, seed: scenario.seed },
    scenarios: [result],
  };
  writeResults(out, results);
  return results;
}
