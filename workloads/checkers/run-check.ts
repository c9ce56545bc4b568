/**
 * `parley check`: check a recorded history (or a 2PC trace) on its own, print the verdict
 * in words, and return its exit code (contracts/exit-codes.ts: 0 valid, 1 invalid, 2 unknown). Bad input
 * is a UsageError (exit 64) naming the file, line and field, so a user fixing a converter
 * never has to guess which line broke it.
 */
import fs from 'node:fs';
import { z } from 'zod';
import { UsageError } from '../../nodes/common/errors.js';
import { HistoryFormatError, HistoryShapeError, readHistory, type HistoryEvent, type ParsedHistory } from '../history.js';
import { parseJsonLine, readJsonLines } from '../json-lines.js';
import { checkAtomicity, describeViolation as describeAtomicity, parseCommitEvent } from './atomicity.js';
import { checkBank, describeAnomaly } from './bank.js';
import { appliedRecordSchema, checkConvergence, finalStateSchema, type AppliedRecord } from './convergence.js';
import { checkDurability, finalValuesSchema } from './durability.js';
import { checkLinearizability, describeOp } from './linearizability/index.js';
import { checkListAppend, describeAnomaly as describeListAppend, describeCycle } from './list-append/index.js';
import { exitCodeFor, type Verdict } from './verdict.js';

export const MODELS = ['register', 'cas-register', 'bank', 'atomicity', 'convergence', 'durability', 'list-append'] as const;
export type CheckModel = (typeof MODELS)[number];

export interface CheckCommandOptions {
  model: string;
  timeLimit?: string;
  initial?: string;
  final?: string;
  applied?: string[];
  healedAt?: string;
  bound?: string;
  json?: boolean;
}

export interface CheckOutput {
  verdict: Verdict;
  code: 0 | 1 | 2;
}

/** Run one check and return the verdict; throws UsageError for bad usage or input. */
export async function runCheckFile(file: string, opts: CheckCommandOptions): Promise<CheckOutput> {
  const model = parseModel(opts.model);
  let verdict: Verdict;
  if (model === 'atomicity') {
    verdict = checkAtomicity(await readJsonLines(file, parseCommitEvent));
  } else if (model === 'convergence') {
    verdict = await runConvergence(file, opts);
  } else {
    const history = await readHistory(file);
    verdict = withLines(file, history, () => checkHistory(model, history.events, opts));
  }
  return { verdict, code: exitCodeFor(verdict.valid) };
}

/** The command's action: print, return the exit code. */
export async function runCheck(file: string, opts: CheckCommandOptions): Promise<number> {
  const { verdict, code } = await runCheckFile(file, opts);
  if (opts.json) process.stdout.write(JSON.stringify(verdict, null, 2) + '\n');
  else process.stdout.write(renderVerdict(verdict).join('\n') + '\n');
  return code;
}

function parseModel(name: string): CheckModel {
  if ((MODELS as readonly string[]).includes(name)) return name as CheckModel;
  throw new UsageError(`--model: unknown model "${name}" (one of ${MODELS.join(', ')})`);
}

function checkHistory(model: Exclude<CheckModel, 'atomicity' | 'convergence'>, events: HistoryEvent[], opts: CheckCommandOptions): Verdict {
  switch (model) {
    case 'register':
    case 'cas-register':
      return checkLinearizability(events, { model, timeLimitMs: seconds('--time-limit', opts.timeLimit ?? '60') * 1000 });
    case 'bank':
      return checkBank(events, { initial: parseInitial(opts.initial) });
    case 'durability':
      return checkDurability({ history: events, final: readJsonFile('--final', opts.final, finalValuesSchema) });
    case 'list-append':
      return checkListAppend(events, { timeLimitMs: seconds('--time-limit', opts.timeLimit ?? '60') * 1000 });
  }
}

/** Map a HistoryShapeError (an event position) to the file's line number. */
function withLines(file: string, history: ParsedHistory, check: () => Verdict): Verdict {
  try {
    return check();
  } catch (err) {
    if (err instanceof HistoryShapeError) throw new HistoryFormatError(file, history.lines[err.position] ?? err.position + 1, err.field, err.reason);
    throw err;
  }
}

async function runConvergence(file: string, opts: CheckCommandOptions): Promise<Verdict> {
  const history = await readHistory(file);
  const final = readJsonFile('--final', opts.final, finalStateSchema);
  if (!opts.applied || opts.applied.length === 0) throw new UsageError('--applied: convergence needs each node\'s applied trace (--applied n1=run/data/n1/applied.jsonl, repeatable)');
  const applied: AppliedRecord[] = [];
  for (const spec of opts.applied) {
    const eq = spec.indexOf('=');
    const node = eq > 0 ? spec.slice(0, eq) : undefined;
    const path = eq > 0 ? spec.slice(eq + 1) : spec;
    applied.push(...(await readJsonLines(path, (text, f, line) => parseApplied(text, f, line, node))));
  }
  const input: Parameters<typeof checkConvergence>[0] = { history: history.events, applied, final };
  if (opts.healedAt !== undefined) input.healedAt = number('--healed-at', opts.healedAt);
  if (opts.bound !== undefined) input.boundMs = number('--bound', opts.bound);
  return withLines(file, history, () => checkConvergence(input));
}

/** Accepts the runtime's own trace lines ({k, v, t}) as well as full records ({node, key, value, t, version?}). */
function parseApplied(text: string, file: string, line: number, node: string | undefined): AppliedRecord {
  const record = z.preprocess((raw) => {
    const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    return { node: r.node ?? node, key: r.key ?? r.k, value: 'value' in r ? r.value : r.v, t: r.t, version: r.version };
  }, appliedRecordSchema);
  const data = parseJsonLine(text, file, line, record, (field) => (field.split('.')[0] === 'node' ? ' (give it as --applied NODE=FILE)' : ''));
  const r: AppliedRecord = { node: data.node, key: data.key, value: data.value, t: data.t };
  if (data.version !== undefined) r.version = data.version;
  return r;
}

function readJsonFile<T>(option: string, file: string | undefined, schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }): T {
  if (file === undefined) throw new UsageError(`${option}: this model needs ${option} FILE`);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`${option}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(`${option}: ${file}, field "${issue.path.map(String).join('.') || '(top)'}": ${issue.message}`);
  }
  return parsed.data;
}

function parseInitial(text: string | undefined): Record<string, number> {
  if (text === undefined) throw new UsageError('--initial: the bank model needs the opening balances, e.g. --initial \'{"a":50,"b":50}\'');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new UsageError(`--initial: not JSON: ${text}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || Object.keys(raw).length === 0) {
    throw new UsageError('--initial: expected an object of account -> opening balance');
  }
  for (const [account, balance] of Object.entries(raw)) {
    if (typeof balance !== 'number' || !Number.isFinite(balance)) throw new UsageError(`--initial: account ${account}: balance must be a number`);
  }
  return raw as Record<string, number>;
}

function seconds(option: string, text: string): number {
  const s = number(option, text);
  if (s <= 0) throw new UsageError(`${option}: must be positive, got ${text}`);
  return s;
}

function number(option: string, text: string): number {
  const x = Number(text);
  if (text.trim() === '' || !Number.isFinite(x)) throw new UsageError(`${option}: not a number: ${text}`);
  return x;
}

const LISTED = 10;

/** The verdict in words: the summary, then what a user needs to look at, one item a line. */
export function renderVerdict(v: Verdict): string[] {
  const label = v.valid === true ? 'valid' : v.valid === false ? 'INVALID' : 'unknown';
  const out = [`${v.checker}${v.model ? ` (${v.model})` : ''}: ${label}. ${v.summary}`];
  const e = v.evidence;
  if (!e) return out;
  switch (e.kind) {
    case 'linearizability': {
      out.push(`  the operations around it on key ${JSON.stringify(e.key)}, by start time (the prefix placed the linearized ones in the order ${e.order.join(', ')}):`);
      for (const w of e.window) out.push(`    ${w.role.padEnd(10)} #${w.index} ${describeOp(w, e.origin)}`);
      break;
    }
    case 'unknown':
      out.push(`  gave up (${e.reason}) on key ${JSON.stringify(e.key ?? null)}; raise --time-limit to decide it`);
      break;
    case 'bank':
      for (const a of e.anomalies.slice(0, LISTED)) out.push(`  ${describeAnomaly(a)}`);
      if (e.undecided.length > 0) out.push(`  undecided reads: ${e.undecided.slice(0, LISTED).join(', ')}`);
      break;
    case 'atomicity':
      for (const a of e.violations.slice(0, LISTED)) out.push(`  ${describeAtomicity(a)}`);
      for (const d of e.inDoubt.slice(0, LISTED)) out.push(`  in doubt at the end: ${d.node} on transaction ${d.txid}`);
      break;
    case 'convergence':
      for (const d of e.divergent.slice(0, LISTED)) out.push(`  key ${JSON.stringify(d.key)} differs: ${JSON.stringify(d.values)}`);
      for (const l of e.lost.slice(0, LISTED)) out.push(`  lost: event ${l.index} wrote ${JSON.stringify(l.value)} to ${JSON.stringify(l.key)}; a live node ends with ${JSON.stringify(l.final)}`);
      for (const l of e.late.slice(0, LISTED)) out.push(`  late: event ${l.index} (${JSON.stringify(l.key)} = ${JSON.stringify(l.value)}) reached every live node after ${l.convergedMs === null ? 'never' : `${l.convergedMs} ms`}, deadline ${l.deadlineMs} ms`);
      break;
    case 'durability':
      for (const l of e.lost.slice(0, LISTED)) out.push(`  lost: event ${l.index}, process ${l.process} wrote ${JSON.stringify(l.value)} to ${JSON.stringify(l.key)}; after recovery it holds ${JSON.stringify(l.final)}`);
      for (const p of e.phantom.slice(0, LISTED)) out.push(`  phantom: ${JSON.stringify(p.key)} holds ${JSON.stringify(p.final)}, which no operation wrote`);
      break;
    case 'list-append':
      for (const a of e.anomalies.slice(0, LISTED)) {
        out.push(`  ${describeListAppend(a)}`);
        if ('cycle' in a) for (const line of describeCycle(a.cycle)) out.push(`    ${line}`);
      }
      break;
  }
  return out;
}

