/**
 * `parley check` fed what users feed it (docs/history.md): histories that are plausible for
 * the model, the same with one mistake, lines that are not events at all, and options that
 * are right or wrong. Each gives a verdict (exit 0, 1 or 2) that renders, or one UsageError
 * line (exit 64) naming the file or option and, for a bad line, its number and field;
 * never another exception, never a hang.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../nodes/common/errors.js';
import { renderVerdict, runCheckFile, type CheckCommandOptions } from '../../workloads/checkers/run-check.js';
import { fuzzRuns, fuzzTimeout } from './settings.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
let dir = '';
let counter = 0;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-fuzz-check-'));
});
afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function writeFile(text: string, ext = 'jsonl'): string {
  const file = path.join(dir, `f${++counter}.${ext}`);
  fs.writeFileSync(file, text);
  return file;
}

type Model = 'register' | 'cas-register' | 'bank' | 'durability' | 'convergence' | 'atomicity';
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const scalar = fc.oneof({ weight: 6, arbitrary: fc.constantFrom<Json>('a', 'b', 'c', 1, 2, null, true) }, fc.oneof(fc.string({ maxLength: 4 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer()));
const wrongType = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 2 }), fc.string({ maxLength: 6 }), fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }));
const ACCOUNTS = ['a', 'b', 'c'];

/** One client step: start an operation, or complete the one the process has outstanding. */
interface Step {
  process: number;
  f: string;
  key: Json;
  value: Json;
  outcome: 'ok' | 'fail' | 'info';
  result: Json;
  error: Json;
  dt: number;
}

function stepArb(model: Model): fc.Arbitrary<Step> {
  const bank = model === 'bank';
  const f = bank ? fc.constantFrom('transfer', 'read') : model === 'cas-register' ? fc.constantFrom('read', 'write', 'cas') : fc.constantFrom('read', 'write', 'write', 'cas');
  return fc.record({
    process: fc.oneof({ weight: 30, arbitrary: fc.integer({ min: 0, max: 3 }) }, fc.constantFrom(-1, 'p1' as unknown as number)),
    f: fc.oneof({ weight: 60, arbitrary: f }, fc.constantFrom('add', 'noop', '')),
    key: bank ? fc.constant(null) : fc.oneof({ weight: 4, arbitrary: fc.constantFrom<Json>('k1', 'k2') }, fc.constantFrom<Json>(3, null)),
    value: bank
      ? fc.oneof({ weight: 60, arbitrary: fc.record({ from: fc.constantFrom(...ACCOUNTS), to: fc.constantFrom(...ACCOUNTS), amount: fc.oneof({ weight: 10, arbitrary: fc.integer({ min: -2, max: 60 }) }, fc.constantFrom(0.5, 1e308, -1e308, 2 ** 53 + 1)) }) as fc.Arbitrary<Json> }, wrongType as fc.Arbitrary<Json>)
      : fc.oneof({ weight: 60, arbitrary: scalar }, { weight: 20, arbitrary: fc.tuple(scalar, scalar) as fc.Arbitrary<Json> }, wrongType as fc.Arbitrary<Json>),
    outcome: fc.constantFrom('ok', 'ok', 'ok', 'fail', 'info'),
    result: bank
      ? fc.oneof({ weight: 60, arbitrary: fc.dictionary(fc.constantFrom(...ACCOUNTS, 'd'), fc.oneof({ weight: 10, arbitrary: fc.integer({ min: -5, max: 110 }) }, fc.constantFrom(null as unknown as number, 1e308, 0.1)), { minKeys: 1, maxKeys: 4 }) as fc.Arbitrary<Json> }, wrongType as fc.Arbitrary<Json>)
      : fc.oneof({ weight: 60, arbitrary: scalar }, wrongType as fc.Arbitrary<Json>),
    error: fc.constantFrom<Json>('timeout', 'precondition', 'aborted', null),
    dt: fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: 1_000_000 }) }, fc.constantFrom(0, 0.25, 1e15, 1e300)),
  });
}

/** Steps into events, Jepsen's way: a process's next event completes its outstanding operation. */
function build(steps: Step[]): Record<string, Json>[] {
  const open = new Map<Json, Step>();
  const events: Record<string, Json>[] = [];
  let time = 1000;
  for (const s of steps) {
    time += s.dt;
    const outstanding = open.get(s.process);
    const e: Record<string, Json> = { index: events.length, time, process: s.process };
    if (outstanding) {
      open.delete(s.process);
      Object.assign(e, { type: s.outcome, f: outstanding.f });
      if (outstanding.key !== null) e.key = outstanding.key;
      if (s.outcome === 'ok') e.value = outstanding.f === 'read' ? s.result : outstanding.value;
      else e.error = s.error;
    } else {
      open.set(s.process, s);
      Object.assign(e, { type: 'invoke', f: s.f, value: s.f === 'read' ? null : s.value });
      if (s.key !== null) e.key = s.key;
    }
    events.push(e);
  }
  return events;
}

const FIELDS = ['index', 'time', 'process', 'type', 'f', 'key', 'value', 'error', 'txid', 'node', 'role', 'event', 't', 'participants', 'k', 'v'];

/** One mistake a converter or a hand edit makes. */
const mutationArb = fc.oneof(
  fc.record({ kind: fc.constant('drop' as const), at: fc.nat(), field: fc.constantFrom(...FIELDS) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), field: fc.constantFrom(...FIELDS), value: wrongType }),
  fc.record({ kind: fc.constant('swap' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('garbage' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom('{', 'null', '[]', '"x"', '{"index":}', '\u0000', '{"index":1e999}'), fc.string({ unit: 'binary', maxLength: 30 })) }),
);
type Mutation = typeof mutationArb extends fc.Arbitrary<infer T> ? T : never;

function toLines(records: readonly Record<string, Json>[], mutations: readonly Mutation[], crlf: boolean): string {
  const lines: (Record<string, Json> | string)[] = records.map((r) => ({ ...r }));
  for (const m of mutations) {
    if (lines.length === 0) break;
    const i = m.at % lines.length;
    const line = lines[i]!;
    if (m.kind === 'garbage') lines[i] = m.text;
    else if (m.kind === 'swap' && i + 1 < lines.length) [lines[i], lines[i + 1]] = [lines[i + 1]!, line];
    else if (m.kind === 'duplicate') lines.splice(i, 0, line);
    else if (typeof line !== 'string' && m.kind === 'drop') delete line[m.field];
    else if (typeof line !== 'string' && m.kind === 'set') line[m.field] = m.value as Json;
  }
  const eol = crlf ? '\r\n' : '\n';
  return lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join(eol) + eol;
}

const commitEventArb = fc.record(
  {
    txid: fc.oneof({ weight: 5, arbitrary: fc.constantFrom<Json>('t1', 't2', 3) }, wrongType as fc.Arbitrary<Json>),
    node: fc.constantFrom<Json>('n1', 'n2', 'n3'),
    role: fc.constantFrom<Json>('coordinator', 'participant'),
    event: fc.constantFrom<Json>('prepared', 'voted-no', 'decided-commit', 'decided-abort', 'applied-commit', 'applied-abort'),
    t: fc.oneof(fc.integer({ min: 0, max: 1e9 }), fc.constant(-1)),
    participants: fc.array(fc.constantFrom('n1', 'n2', 'n3'), { maxLength: 3 }) as fc.Arbitrary<Json>,
  },
  { requiredKeys: ['txid', 'node', 'role', 'event', 't'] },
);

const appliedLineArb = fc.record({ k: fc.constantFrom<Json>('k1', 'k2'), v: scalar, t: fc.integer({ min: 0, max: 1e9 }) }, { requiredKeys: ['k', 'v', 't'] });

/** A value for an option as a user types it. */
const optionText = (...valid: string[]) => fc.oneof({ weight: 20, arbitrary: fc.constantFrom(...valid) }, fc.constantFrom('', ' ', 'x', '-1', '0', 'NaN', '1e400', '{', '[]', 'null'), fc.string({ maxLength: 6 }));

interface Case {
  model: string;
  text: string;
  opts: Omit<CheckCommandOptions, 'model'>;
  /** Side files: --final and --applied contents. */
  final?: string;
  applied?: { node: string; text: string }[];
}

const historyCase = (model: Exclude<Model, 'atomicity'>): fc.Arbitrary<Case> =>
  fc
    .record({
      steps: fc.array(stepArb(model), { maxLength: 24 }),
      mutations: fc.oneof({ weight: 3, arbitrary: fc.constant<Mutation[]>([]) }, fc.array(mutationArb, { minLength: 1, maxLength: 2 })),
      crlf: fc.boolean(),
      timeLimit: optionText('2', '0.5'),
      initial: optionText('{"a":50,"b":50}', '{"a":50,"b":50,"c":0}', '{"a":"x"}', '{}'),
      final: fc.oneof(
        // durability: {key: value}; convergence: {node: {key: value}}.
        { weight: 10, arbitrary: (model === 'convergence' ? fc.dictionary(fc.constantFrom('n1', 'n2'), fc.dictionary(fc.constantFrom('k1', 'k2'), scalar, { maxKeys: 2 }), { minKeys: 1, maxKeys: 2 }) : fc.dictionary(fc.constantFrom('k1', 'k2'), scalar, { maxKeys: 2 })).map((o) => JSON.stringify(o)) },
        fc.dictionary(fc.constantFrom('k1', 'n1'), wrongType, { maxKeys: 2 }).map((o) => JSON.stringify(o)),
        fc.constantFrom('', '{', '[]', 'null'),
      ),
      applied: fc.array(
        fc.record({
          node: fc.oneof({ weight: 10, arbitrary: fc.constantFrom('n1', 'n2') }, fc.constantFrom('', 'n1=x')),
          lines: fc.array(appliedLineArb, { maxLength: 4 }),
          mutations: fc.oneof({ weight: 3, arbitrary: fc.constant<Mutation[]>([]) }, fc.array(mutationArb, { minLength: 1, maxLength: 1 })),
        }),
        { minLength: 1, maxLength: 2 },
      ),
      healedAt: fc.option(optionText('0', '5000'), { nil: undefined }),
      bound: fc.option(optionText('100', '10000'), { nil: undefined }),
    })
    .map((r) => {
      const opts: Case['opts'] = {};
      if (model === 'register' || model === 'cas-register') opts.timeLimit = r.timeLimit;
      if (model === 'bank') opts.initial = r.initial;
      if (r.healedAt !== undefined) opts.healedAt = r.healedAt;
      if (r.bound !== undefined) opts.bound = r.bound;
      return {
        model,
        text: toLines(build(r.steps), r.mutations, r.crlf),
        opts,
        final: r.final,
        applied: r.applied.map((a) => ({ node: a.node, text: toLines(a.lines, a.mutations, false) })),
      };
    });

const atomicityCase: fc.Arbitrary<Case> = fc
  .record({ events: fc.array(commitEventArb, { maxLength: 12 }), mutations: fc.array(mutationArb, { maxLength: 2 }) })
  .map((r) => ({ model: 'atomicity', text: toLines(r.events as Record<string, Json>[], r.mutations, false), opts: {} }));

const caseArb: fc.Arbitrary<Case> = fc.oneof(
  historyCase('register'),
  historyCase('cas-register'),
  historyCase('bank'),
  historyCase('durability'),
  historyCase('convergence'),
  atomicityCase,
  // Not a history at all, or a model that does not exist.
  fc.record({ model: fc.constantFrom('register', 'bank', 'atomicity', 'linearizable', ''), text: fc.string({ unit: 'binary', maxLength: 120 }), opts: fc.constant({}) }),
);

/** Run one case in-process; a refusal must be a one-line UsageError naming the file or an option. */
async function judge(c: Case): Promise<void> {
  const file = writeFile(c.text);
  const opts: CheckCommandOptions = { model: c.model, ...c.opts };
  if (c.final !== undefined) opts.final = writeFile(c.final, 'json');
  if (c.applied !== undefined) opts.applied = c.applied.map((a) => `${a.node}${a.node ? '=' : ''}${writeFile(a.text)}`);
  const what = `--model ${c.model} ${JSON.stringify(c.opts)} final=${c.final ?? '-'}\n${c.text.slice(0, 800)}`;
  let out: Awaited<ReturnType<typeof runCheckFile>>;
  try {
    out = await runCheckFile(file, opts);
  } catch (err) {
    if (!(err instanceof UsageError)) throw new Error(`not a usage error (${err instanceof Error ? err.stack : String(err)}): ${what}`);
    expect(err.message, what).not.toContain('\n');
    expect(err.message, `names the file or the option: ${what}`).toMatch(/^(--[a-z-]+|.*\.jsonl?\b)/);
    if (err.message.startsWith(file)) expect(err.message, `names the line and the field: ${what}`).toMatch(/ line \d+, field "[^"]+": ./);
    return;
  }
  expect([0, 1, 2], what).toContain(out.code);
  expect(out.verdict.summary.length, what).toBeGreaterThan(0);
  expect(renderVerdict(out.verdict).length, what).toBeGreaterThan(0);
  expect(() => JSON.stringify(out.verdict), what).not.toThrow();
}

describe('parley check inputs, fuzzed', () => {
  it(
    'gives a verdict that renders, or one line naming the file, line and field or the option',
    async () => {
      await fc.assert(
        fc.asyncProperty(caseArb, judge),
        fuzzRuns<[Case]>(200),
      );
      // Paths that are not readable files: a directory, a file that is not there.
      const history = writeFile('{"index":0,"time":1,"process":0,"type":"invoke","f":"write","key":"k1","value":1}\n');
      const missing = path.join(dir, 'missing.json');
      for (const [file, opts] of [
        [dir, { model: 'register' }],
        [missing, { model: 'atomicity' }],
        [history, { model: 'durability', final: dir }],
        [history, { model: 'convergence', final: writeFile('{"n1":{}}', 'json'), applied: [`n1=${dir}`] }],
        [history, { model: 'convergence', final: writeFile('{"n1":{}}', 'json'), applied: [`n1=${missing}`] }],
      ] as [string, CheckCommandOptions][]) {
        const err = await runCheckFile(file, opts).then(() => null, (e: unknown) => e);
        expect(err, `${file} ${JSON.stringify(opts)}`).toBeInstanceOf(UsageError);
        expect((err as Error).message).toMatch(/cannot read/);
      }
    },
    fuzzTimeout(60_000),
  );
});

const built = fs.existsSync(path.join(root, 'dist/harness/cli.js'));

describe.skipIf(!built)('parley check (the command)', () => {
  const check = (args: string[]) => spawnSync(process.execPath, [path.join(root, 'bin/parley.js'), 'check', ...args], { encoding: 'utf8', timeout: 60_000 });

  it('exits 64 with one line for bad input, and 0 for a good history', () => {
    const good = writeFile('{"index":0,"time":1,"process":0,"type":"invoke","f":"write","key":"k","value":1}\n{"index":1,"time":2,"process":0,"type":"ok","f":"write","key":"k","value":1}\n');
    const bad = writeFile('{"index":0,"time":1,"process":0,"type":"invoke","f":"write","key":"k","value":1}\n{"index":1,"time":2,"process":0,"type":"done","f":"write"}\n');
    for (const [args, names] of [
      [[bad, '--model', 'register'], /line 2, field "type"/],
      [[good, '--model', 'bank', '--initial', '{'], /^parley: --initial: not JSON/],
      [[path.join(dir, 'missing.jsonl'), '--model', 'register'], /cannot read .*missing\.jsonl/],
    ] as [string[], RegExp][]) {
      const r = check(args);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(64);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(names);
    }
    const ok = check([good, '--model', 'register']);
    expect(ok.status, ok.stderr).toBe(0);
  });
});
