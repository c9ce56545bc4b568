/**
 * The programmatic API as a user gets it: the built package imported by name from a
 * temporary project (node_modules/parley links to this checkout, so package.json's
 * `exports` and `types` are what resolve it), a scenario run end to end, its history
 * checked and its report rendered; and the same calls type-checked against the shipped
 * declarations.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../harness/paths.js';

let project = '';
beforeAll(() => {
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-api-'));
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'uses-parley', private: true, type: 'module' }));
  fs.mkdirSync(path.join(project, 'node_modules'));
  fs.symlinkSync(PACKAGE_ROOT, path.join(project, 'node_modules', 'parley'), 'dir');
});
afterAll(() => fs.rmSync(project, { recursive: true, force: true }));

const PROGRAM = `
import fs from 'node:fs';
import { runScenario, checkHistory, renderReport, loadResults, UsageError, EXIT } from 'parley';

const notes = [];
const { results, exitCode, dir } = await runScenario(
  { algo: 'raft', nodes: 3, duration: '3s', warmup: '500ms', clients: 4, workload: { type: 'kv', keys: 4 },
    faults: [{ kind: 'crash', target: 'leader', at: '1s', duration: '1s' }] },
  { out: 'run', onNote: (line) => notes.push(line) },
);
const scenario = results.scenarios[0];
const verdict = await checkHistory(dir + '/history.jsonl', { model: 'cas-register' });
const html = await renderReport(await loadResults(dir), { out: 'run/page.html' });
let refused = null;
try {
  await runScenario({ algo: 'zab' });
} catch (err) {
  refused = { usage: err instanceof UsageError, message: err.message };
}
console.log(JSON.stringify({
  exitCode, ok: EXIT.ok, status: scenario.status, opsOk: scenario.ops.ok, faults: scenario.faults.map((f) => f.status),
  checks: scenario.checks.map((c) => [c.checker, c.valid]), verdict: verdict.valid, notes: notes.length,
  page: html.startsWith('<!doctype html>') && fs.readFileSync('run/page.html', 'utf8') === html, refused,
}));
`;

const TYPED = `
import { runScenario, checkHistory, type ResultsFile, type ScenarioInput, type Verdict } from 'parley';

const input: ScenarioInput = { algo: 'raft', nodes: 3, workload: { type: 'kv' } };
const run: Promise<{ results: ResultsFile; exitCode: number; dir: string }> = runScenario(input, { out: 'x' });
const verdict: Promise<Verdict> = checkHistory([], { model: 'register', timeLimitMs: 1000 });
// @ts-expect-error the bank model needs its opening balances
void checkHistory([], { model: 'bank' });
// @ts-expect-error nodes is a number
const wrong: ScenarioInput = { algo: 'raft', nodes: 'three' };
void run;
void verdict;
void wrong;
`;

describe('import ... from "parley"', () => {
  it('runs a scenario end to end, checks its history and renders its report', async () => {
    fs.writeFileSync(path.join(project, 'main.mjs'), PROGRAM);
    const r = await execa(process.execPath, ['main.mjs'], { cwd: project, reject: false, timeout: 120_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(out).toMatchObject({
      exitCode: 0,
      ok: 0,
      status: 'complete',
      faults: ['done'],
      checks: [['linearizability', true], ['durability', true], ['invariants', true]],
      verdict: true,
      page: true,
      refused: { usage: true },
    });
    expect(out.opsOk).toBeGreaterThan(10);
    expect(out.notes).toBeGreaterThan(0);
    expect((out.refused as { message: string }).message).toMatch(/^scenario: algo: expected one of raft, paxos, twopc, gossip/);
    expect(fs.existsSync(path.join(project, 'run', 'results.json'))).toBe(true);
  });

  it('ships type declarations that resolve through package.json and reject wrong calls', async () => {
    fs.writeFileSync(path.join(project, 'typed.ts'), TYPED);
    fs.writeFileSync(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, skipLibCheck: true }, files: ['typed.ts'] }),
    );
    const tsc = path.join(PACKAGE_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = await execa(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project, reject: false, timeout: 120_000 });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
  });
});
