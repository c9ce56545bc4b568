/**
 * Reading results.json for a report: a folder means its results.json. Anything missing,
 * unreadable or not in the documented shape is a UsageError naming the file and the first
 * bad field (exit 64), because a report drawn from half a file would show zeros where
 * figures are missing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../nodes/common/errors.js';
import { RESULTS_SCHEMA, type ResultsFile } from '../contracts/results.js';
import { scaleStudySchema } from '../contracts/scale-study.js';

export interface LoadedResults {
  file: string;
  results: ResultsFile;
}

/** DIR -> DIR/results.json; a file stays itself. */
export function resultsPath(arg: string): string {
  try {
    if (fs.statSync(arg).isDirectory()) return path.join(arg, 'results.json');
  } catch {
    // Missing: reported by loadResults with the path the user typed.
  }
  return arg;
}

type Kind = 'string' | 'number' | 'boolean' | 'object' | 'array';

const kindOf = (v: unknown): string => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);

/** Fields the report reads, by path; `?` after the kind allows null. */
const TOP: [string, Kind, boolean?][] = [
  ['partial', 'boolean'], ['meta', 'object'], ['meta.startedAt', 'string'], ['meta.finishedAt', 'string'], ['meta.command', 'string'], ['meta.seed', 'number'],
  ['meta.parleyVersion', 'string'], ['meta.node', 'string'], ['meta.cpuModel', 'string'], ['meta.cpus', 'number'], ['scenarios', 'array'],
];
const SCENARIO: [string, Kind, boolean?][] = [
  ['name', 'string'], ['algo', 'string'], ['workload', 'string'], ['nodes', 'number'], ['scenario', 'object'], ['command', 'string'], ['status', 'string'],
  ['durationMs', 'number'], ['ops', 'object'], ['throughput', 'number'], ['throughputOverTime.buckets', 'array'], ['latency.overall', 'object'],
  ['latency.curve', 'array'], ['latency.byPhase', 'object'], ['latency.byF', 'object'], ['availability', 'object'], ['availability.windows', 'array'],
  ['faults', 'array'], ['failover', 'array'], ['convergence', 'object', true], ['messages', 'object'], ['nodesDetail', 'array'], ['checks', 'array'],
  ['informational', 'array'], ['files', 'object'], ['calibration', 'object', true], ['maxThroughput', 'object', true],
];

function at(value: unknown, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), value);
}

function firstProblem(value: unknown, fields: [string, Kind, boolean?][], prefix: string): string | null {
  for (const [field, kind, nullable] of fields) {
    const v = at(value, field);
    if (v === null && nullable) continue;
    if (kindOf(v) !== kind) return `${prefix}${field}: expected ${kind}${nullable ? ' or null' : ''}, got ${v === undefined ? 'nothing' : kindOf(v)}`;
  }
  return null;
}

/** Check the shape the report relies on; returns the first problem, or null. */
export function resultsProblem(value: unknown): string | null {
  if (kindOf(value) !== 'object') return `expected a JSON object, got ${kindOf(value)}`;
  const schema = (value as { schema?: unknown }).schema;
  if (schema !== RESULTS_SCHEMA) return `schema ${JSON.stringify(schema)} is not ${RESULTS_SCHEMA}`;
  const top = firstProblem(value, TOP, '');
  if (top) return top;
  const scale = (value as { scale?: unknown }).scale;
  if (scale !== undefined) {
    const parsed = scaleStudySchema.safeParse(scale);
    if (!parsed.success) return `scale.${parsed.error.issues[0]!.path.join('.')}: ${parsed.error.issues[0]!.message}`;
  }
  const scenarios = (value as { scenarios: unknown[] }).scenarios;
  for (let i = 0; i < scenarios.length; i++) {
    const problem = firstProblem(scenarios[i], SCENARIO, `scenarios[${i}].`);
    if (problem) return problem;
    const checks = (scenarios[i] as { checks: unknown[] }).checks;
    const bad = checks.findIndex((c) => kindOf(at(c, 'checker')) !== 'string' || kindOf(at(c, 'summary')) !== 'string' || kindOf(at(c, 'stats')) !== 'object');
    if (bad >= 0) return `scenarios[${i}].checks[${bad}]: expected {checker, valid, summary, stats}`;
  }
  return null;
}

export function loadResultsFile(arg: string): LoadedResults {
  const file = resultsPath(arg);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot read (${code ?? String(err)})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file}: not valid JSON (${(err as Error).message.split('\n')[0]})`);
  }
  const problem = resultsProblem(parsed);
  if (problem) throw new UsageError(`${file}: ${problem}`);
  return { file, results: parsed as ResultsFile };
}

export function loadResults(args: readonly string[]): LoadedResults[] {
  if (args.length === 0) throw new UsageError('report: give at least one results folder or results.json');
  return args.map(loadResultsFile);
}
