/**
 * The nightly suite spends part of its budget in parley sim: results.json carries the
 * sweep, the report has its section, and a bad share is refused.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { exitCodeOf } from '../../contracts/exit-codes.js';
import type { ResultsFile } from '../../contracts/results.js';

const cli = path.resolve('bin/parley.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-nightly-sim-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('nightly chaos with a share in the simulator', () => {
  it('runs parley sim sweeps, records them in results.json and draws them in the report', async () => {
    const out = path.join(tmp, 'night');
    const r = await execa('node', [cli, 'bench', '--suite', 'nightly', '--time', '12s', '--sim-share', '1', '--algo', 'gossip', '--out', out, '--quiet'], { reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    const results = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as ResultsFile;
    expect(results.sim).toHaveLength(1);
    expect(results.sim![0]).toMatchObject({ algo: 'gossip', verdicts: { invalid: 0, unknown: 0 } });
    expect(results.sim![0]!.seeds).toBeGreaterThan(0);
    expect(fs.readFileSync(path.join(out, 'report.html'), 'utf8')).toContain('id="simulation"');
    expect(r.stdout).toMatch(/SIM +Gossip, kv: \d+ seeds/);
  });

  it('a failing simulated seed makes the whole run a violation (exit 1)', () => {
    const results = { schema: 'parley.results/1', partial: false, meta: {}, scenarios: [], sim: [{ algo: 'raft', workload: 'kv', options: {}, seeds: 3, verdicts: { valid: 2, invalid: 1, unknown: 0 }, wallMs: 1, simSeconds: 30, failing: [], errors: [] }] } as unknown as ResultsFile;
    expect(exitCodeOf(results)).toBe(1);
  });

  it('refuses a share outside 0..1, and a share for a suite that has none', async () => {
    const bad = await execa('node', [cli, 'bench', '--suite', 'nightly', '--sim-share', '2', '--out', path.join(tmp, 'x')], { reject: false });
    expect(bad.exitCode).toBe(64);
    expect(bad.stderr).toContain('--sim-share');
    const wrong = await execa('node', [cli, 'bench', '--suite', 'quick', '--sim-share', '0.5', '--out', path.join(tmp, 'y')], { reject: false });
    expect(wrong.exitCode).toBe(64);
    expect(wrong.stderr).toContain('--sim-share');
  });
});
