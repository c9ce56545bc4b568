/**
 * `parley bench --suite quick`: every algorithm through the scenarios that decide the
 * choosing table (about a minute on a quiet 2-core machine; how long is not asserted:
 * speed is the benchmarks' business), ending with the summary table, results.json, a
 * report and JUnit XML. A safety violation here is a bug in parley or a node.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { PARLEY_BIN } from '../../harness/paths.js';
import type { ResultsFile } from '../../contracts/results.js';

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-'));
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

describe('parley bench --suite quick', () => {
  it('runs all four algorithms and writes a report with every check passing', async () => {
    // The timeouts only guard against a hang: how long the suite takes is not asserted.
    const r = await execa(process.execPath, [PARLEY_BIN, 'bench', '--suite', 'quick', '--out', path.join(out, 'quick'), '--quiet'], { reject: false, timeout: 840_000 });
    const results = JSON.parse(fs.readFileSync(path.join(out, 'quick', 'results.json'), 'utf8')) as ResultsFile;
    // Every check passes; on a starved machine a time bound may instead be undecided (exit 2), but only with the machine as evidence.
    const notPassed = results.scenarios.flatMap((s) => s.checks.filter((v) => v.valid !== true && !s.informational.includes(v.checker)));
    expect(r.exitCode === 0 || (r.exitCode === 2 && notPassed.every((v) => v.valid === 'unknown' && v.starved !== undefined)), `exit ${r.exitCode}\n${r.stdout}\n${r.stderr}`).toBe(true);
    expect(results.meta.suite).toBe('quick');
    expect(new Set(results.scenarios.map((s) => s.algo))).toEqual(new Set(['raft', 'paxos', 'twopc', 'gossip']));
    for (const s of results.scenarios) {
      expect(s.status, s.name).toBe('complete');
      expect(s.ops.ok, s.name).toBeGreaterThan(0);
      // Each scenario's own folder holds a results.json that --replay accepts.
      const own = path.join(out, 'quick', s.name.replace(/[^A-Za-z0-9._-]+/g, '-'), 'results.json');
      expect(fs.existsSync(own), own).toBe(true);
    }
    expect(fs.readFileSync(path.join(out, 'quick', 'report.html'), 'utf8')).toMatch(/Choosing the right algorithm/);
    expect(fs.readFileSync(path.join(out, 'quick', 'junit.xml'), 'utf8')).toMatch(/<testsuites/);
    if (r.exitCode === 0) expect(r.stdout).toMatch(/every check passed/);
  }, 900_000);
});
