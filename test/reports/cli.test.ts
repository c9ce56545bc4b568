/**
 * `parley report` through the real command line (in process, so it runs from source):
 * exit 64 with one line for a missing or invalid file; a report, JUnit and summary otherwise.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../harness/cli.js';
import { benchRun } from './fixtures/results.js';

let root = '';
const stderr: string[] = [];
const stdout: string[] = [];

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-report-cli-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
afterEach(() => {
  vi.restoreAllMocks();
  stderr.length = 0;
  stdout.length = 0;
});

async function parley(...args: string[]): Promise<number> {
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (stderr.push(String(chunk)), true));
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (stdout.push(String(chunk)), true));
  return main(args);
}

function writeRun(name: string, value: unknown): string {
  const dir = path.join(root, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'results.json'), typeof value === 'string' ? value : JSON.stringify(value));
  return dir;
}

describe('parley report: bad input is exit 64 and one line naming the problem', () => {
  const cases: [string, () => string, RegExp][] = [
    ['a folder without results.json', () => fs.mkdtempSync(path.join(root, 'empty-')), /results\.json: no such file$/],
    ['a missing file', () => path.join(root, 'nope.json'), /nope\.json: no such file$/],
    ['not JSON', () => writeRun('garbled', '{"schema": '), /results\.json: not valid JSON/],
    ['another schema', () => writeRun('future', { ...benchRun(), schema: 'parley.results/2' }), /schema "parley\.results\/2" is not parley\.results\/1$/],
    [
      'a scenario missing a field the report reads',
      () => {
        const run = benchRun();
        delete (run.scenarios[3] as Partial<(typeof run.scenarios)[number]>).latency;
        return writeRun('truncated', run);
      },
      /results\.json: scenarios\[3\]\.latency\.overall: expected object, got nothing$/,
    ],
  ];
  it.each(cases)('%s', async (_name, make, message) => {
    expect(await parley('report', make())).toBe(64);
    const lines = stderr.join('').trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^parley: /);
    expect(lines[0]).toMatch(message);
  });
});

describe('parley report: good input', () => {
  it('writes report.html into the first folder, JUnit where asked, and prints the summary', async () => {
    const dir = writeRun('good', benchRun());
    const junit = path.join(root, 'junit', 'parley.xml');
    expect(await parley('report', dir, '--junit', junit)).toBe(0);
    const page = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(page).toContain('Choosing the right algorithm, measured');
    expect(fs.readFileSync(junit, 'utf8')).toContain('<testsuites');
    expect(stdout.join('')).toMatch(/1 safety violation: .*report: .*good\/report\.html/);
    // No temporary file is left beside it.
    expect(fs.readdirSync(dir).sort()).toEqual(['report.html', 'results.json']);
  });

  it('compares several runs, given in any order, and honours --out', async () => {
    const late = writeRun('late', benchRun({ startedAt: '2025-11-22T02:00:00.000Z', scale: { raft: 0.5 } }));
    const early = writeRun('early', benchRun({ startedAt: '2025-11-21T02:00:00.000Z' }));
    const out = path.join(root, 'pages', 'nightly.html');
    expect(await parley('report', late, path.join(early, 'results.json'), '--out', out, '--no-summary')).toBe(0);
    const page = fs.readFileSync(out, 'utf8');
    expect(page).toContain('Comparison across 2 runs');
    expect(page).toContain('latest of 2 runs');
    expect(page).toContain('started 2025-11-22T02:00:00.000Z');
    expect(stdout.join('')).toBe(`report: ${out}\n`);
  });
});
