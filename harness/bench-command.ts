/**
 * `parley bench`: a suite of scenarios (harness/suites.ts) run one after another, each in
 * its own folder with its own results.json (so any one can be replayed), then one combined
 * results.json, report.html and junit.xml for the whole suite.
 *
 * `--suite nightly` runs seeded chaos scenarios until `--time` is spent and exits 1 on any
 * safety violation, printing the seed and a one-line replay command for each.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../nodes/common/errors.js';
import { parseDuration, parseScenario, type Scenario } from '../contracts/scenario.js';
import { ALGORITHMS, REFERENCES, SUITES, nightlyScenarios, suiteScenarios, type ReferenceSystem, type SuiteAlgorithm, type SuiteName, type SuiteScenario } from './suites.js';
import { machineInfo } from './machine.js';
import { RESULTS_SCHEMA, writeResults, type ResultsFile, type ScenarioResult, type SimSweepSummary } from '../contracts/results.js';
import { Progress } from './progress.js';
import { abortOnSignals, displayPath, reproduceCommand } from './run-command.js';
import { publishOutputs } from './outputs.js';
import { EXIT, countedVerdicts, exitCodeOf } from '../contracts/exit-codes.js';
import { readScaleStudy } from '../contracts/scale-study.js';

export interface BenchFlags {
  suite: string;
  out?: string;
  time?: string;
  seed?: string;
  toxiproxy?: string;
  only?: string;
  algo?: string;
  quiet?: boolean;
  reference?: string;
  simShare?: string;
  /** A scale.json from `npm run bench:gossip -- --sim`, carried into results.json for the report. */
  scale?: string;
}

/** `--algo raft` or `--algo raft,paxos`: which algorithms the suite runs. */
export function parseAlgos(flag: string | undefined): SuiteAlgorithm[] | undefined {
  if (flag === undefined) return undefined;
  const names = flag.split(',').map((x) => x.trim());
  for (const name of names) {
    if (!(ALGORITHMS as readonly string[]).includes(name)) throw new UsageError(`--algo ${flag}: expected one or more of ${ALGORITHMS.join(', ')}, comma-separated`);
  }
  return [...new Set(names)] as SuiteAlgorithm[];
}

/** `--reference etcd`: production systems measured beside the algorithms, never picked. */
function parseReferences(flag: string | undefined): ReferenceSystem[] | undefined {
  if (flag === undefined) return undefined;
  if (!(REFERENCES as readonly string[]).includes(flag)) throw new UsageError(`--reference ${flag}: expected ${REFERENCES.join(' or ')}`);
  return [flag as ReferenceSystem];
}

/** A nightly scenario takes about its load plus start-up, healing, final reads and checks. */
const NIGHTLY_OVERHEAD_MS = 15_000;

const folderName = (name: string) => name.replace(/[^A-Za-z0-9._-]+/g, '-');

export async function benchCommand(flags: BenchFlags): Promise<number> {
  if (!(SUITES as readonly string[]).includes(flags.suite)) throw new UsageError(`--suite ${flags.suite}: expected one of ${SUITES.join(', ')}`);
  const suite = flags.suite as SuiteName;
  const timeBudget = flags.time === undefined ? 10 * 60_000 : parseDuration(flags.time);
  if (timeBudget === null || timeBudget <= 0) throw new UsageError(`--time ${flags.time}: expected a duration like 10m`);
  if (flags.time !== undefined && suite !== 'nightly') throw new UsageError('--time: only the nightly suite runs for a wall-clock budget');
  const seed = flags.seed === undefined ? (suite === 'nightly' ? Math.floor(Date.now() / 1000) % 2 ** 31 : 1) : Number(flags.seed);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 31) throw new UsageError(`--seed ${flags.seed}: expected a whole number from 0 to 2147483647`);
  const algos = parseAlgos(flags.algo);
  const references = parseReferences(flags.reference);
  if (references && suite === 'nightly') throw new UsageError('--reference: the nightly suite runs parley\'s algorithms only');
  // Nightly scenarios are generated from the seed, not chosen from a list: a name filter
  // would silently run something else than asked, so it is refused rather than ignored.
  if (flags.only !== undefined && suite === 'nightly') throw new UsageError('--only: the nightly suite generates its scenarios from --seed and has none to select by name; choose algorithms with --algo');
  const simShareFraction = flags.simShare === undefined ? (suite === 'nightly' ? 0.3 : 0) : Number(flags.simShare);
  if (!Number.isFinite(simShareFraction) || simShareFraction < 0 || simShareFraction > 1) throw new UsageError(`--sim-share ${flags.simShare}: expected a fraction from 0 to 1`);
  if (flags.simShare !== undefined && suite !== 'nightly') throw new UsageError('--sim-share: only the nightly suite spends part of its budget in parley sim');
  const toxiproxy = flags.toxiproxy ?? process.env.TOXIPROXY_URL;
  const scale = flags.scale === undefined ? undefined : readScaleStudy(flags.scale);
  const out = path.resolve(flags.out ?? path.join('out', suite === 'nightly' ? `nightly-${seed}` : 'bench'));
  if (fs.existsSync(path.join(out, 'results.json'))) throw new UsageError(`--out ${out}: already holds a run; choose another folder or remove it`);

  const finite = suite === 'nightly' ? null : suiteScenarios(suite, { seed, ...(algos && { algos }), ...(flags.only !== undefined && { only: flags.only }), ...(references && { references }) });
  if (finite && finite.length === 0) throw new UsageError(`--only ${flags.only}: matches no scenario of the ${suite} suite${algos ? ` for ${algos.join(', ')}` : ''}`);
  const resolve = (s: SuiteScenario): Scenario =>
    parseScenario({ seed, ...s.input, ...(toxiproxy && { toxiproxy }) }, `suite ${suite} scenario ${s.input.name}`);
  // Validate the whole finite suite before starting anything.
  const planned = finite?.map((s) => ({ scenario: resolve(s), trial: s.trial })) ?? [];
  const { checkSystem } = await import('./systems.js');
  for (const { scenario } of planned) await checkSystem(scenario);

  fs.mkdirSync(out, { recursive: true });
  const { runScenario } = await import('./run.js');
  const { signal, dispose } = abortOnSignals();
  const startedAt = new Date().toISOString();
  const began = Date.now();
  const scenarios: ScenarioResult[] = [];
  const violations: { result: ScenarioResult; folder: string }[] = [];
  let sim: SimSweepSummary[] | undefined;
  try {
    if (suite === 'nightly' && simShareFraction > 0) {
      // The simulator first: a simulated second costs milliseconds, so its share of the night
      // meets far more faults than the real runs can; the real runs then meet the runtime and the OS.
      const { simShare } = await import('./sim/nightly.js');
      const simAlgos = algos ?? [...ALGORITHMS];
      const variants = simAlgos.flatMap((algo): { algo: SuiteAlgorithm; set: string[] }[] => (algo === 'paxos' ? [{ algo, set: [] }, { algo, set: ['mode=leaderless'] }] : [{ algo, set: [] }]));
      sim = await simShare({ algos: simAlgos, variants, budgetMs: timeBudget * simShareFraction, out, signal, log: (line) => flags.quiet || process.stderr.write(`${line}\n`) });
    }
    const queue: Iterable<{ scenario: Scenario; trial?: SuiteScenario['trial'] } | SuiteScenario> = suite === 'nightly' ? nightlyScenarios(seed, algos) : planned;
    let i = 0;
    for (const next of queue) {
      if (signal.aborted) break;
      const { scenario, trial } = 'scenario' in next ? next : { scenario: resolve(next), trial: next.trial };
      if (suite === 'nightly' && Date.now() - began + scenario.duration + NIGHTLY_OVERHEAD_MS > timeBudget) break;
      i++;
      const folder = path.join(out, folderName(scenario.name!));
      const label = `[${finite ? `${i}/${finite.length}` : `#${i}`} ${scenario.name}]`;
      const progress = new Progress(label, process.stderr, flags.quiet === true);
      progress.note(`${scenario.algo}, ${scenario.nodes} nodes, ${scenario.workload.type}, ${scenario.duration / 1000}s, seed ${scenario.seed}`);
      fs.mkdirSync(folder, { recursive: true });
      fs.writeFileSync(path.join(folder, 'scenario.json'), JSON.stringify(scenario, null, 2));
      const ran = await runScenario(scenario, { dir: folder, command: reproduceCommand(path.join(folder, 'scenario.json')), signal, progress });
      const result: ScenarioResult = trial ? { ...ran, trial } : ran;
      scenarios.push(result);
      const own: ResultsFile = { schema: RESULTS_SCHEMA, partial: result.status !== 'complete', meta: meta(startedAt, seed, suite), scenarios: [result] };
      writeResults(folder, own);
      if (countedVerdicts(own).some((v) => v.verdict.valid === false)) violations.push({ result, folder });
    }
  } finally {
    dispose();
  }
  const results: ResultsFile = { schema: RESULTS_SCHEMA, partial: signal.aborted || scenarios.some((s) => s.status !== 'complete'), meta: meta(startedAt, seed, suite), scenarios, ...(sim && { sim }), ...(scale && { scale }) };
  writeResults(out, results);
  await publishOutputs(results, out);
  if (suite !== 'nightly' && scenarios.length > 0) {
    const { choosingLines } = await import('../reports/choosing/measure.js');
    process.stdout.write(`\nChoosing the right algorithm (mean ± 95% interval over trials):\n${choosingLines(results).map((l) => `  ${l}\n`).join('')}`);
  }
  for (const v of violations) {
    const replay = `npx parley run --replay ${displayPath(path.join(v.folder, 'results.json'))}`;
    process.stderr.write(`SAFETY VIOLATION in ${v.result.name} (seed ${v.result.scenario.seed}): replay with\n  ${replay}\n`);
  }
  for (const s of sim ?? []) {
    for (const f of s.failing.filter((x) => x.verdict === 'invalid')) {
      process.stderr.write(`SAFETY VIOLATION in parley sim ${s.algo}${Object.keys(s.options).length ? ` (${Object.entries(s.options).map(([k, v]) => `${k}=${v}`).join(' ')})` : ''} seed ${f.seed}: replay with\n  ${f.replay ?? `npx parley sim --algo ${s.algo} --seed ${f.seed}`}\n`);
    }
  }
  if (scenarios.length === 0 && !sim?.length) return signal.aborted ? EXIT.internal : EXIT.ok;
  return exitCodeOf(results);
}

function meta(startedAt: string, seed: number, suite: string): ResultsFile['meta'] {
  return { ...machineInfo(), startedAt, finishedAt: new Date().toISOString(), command: process.argv.slice(2).join(' '), seed, suite };
}
