/**
 * A seed is a complete run: the same case gives the same history, traces and verdicts,
 * bit for bit, in this process, in another process, and through `parley sim --replay`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { runCase } from '../../harness/sim/run-case.js';
import { caseFor } from '../../harness/sim/case-template.js';
import { simCase, modules } from './helpers.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-sim-replay-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const cli = path.resolve('bin/parley.js');

describe('a seed replays bit for bit', () => {
  it('runs the same case twice to the same history, traces, fault timeline and verdicts', async () => {
    const m = await modules('raft');
    const c = caseFor({ base: simCase({ algo: 'raft', seed: 11 }), nemesis: ['chaos'], faultGapMs: 800 }, 11);
    expect(c.scenario.faults.length).toBeGreaterThan(3);
    const a = runCase(c, m, true);
    const b = runCase(structuredClone(c), m, true);
    expect(a.capture!.history.events.length).toBeGreaterThan(500);
    expect(JSON.stringify(b.capture!.history.events)).toBe(JSON.stringify(a.capture!.history.events));
    expect(JSON.stringify(b.capture!.cluster.applied)).toBe(JSON.stringify(a.capture!.cluster.applied));
    expect(b.faults).toEqual(a.faults);
    // Verdicts alike; only the checkers' own wall time (elapsedMs) may differ.
    const verdicts = (r: typeof a) => r.checks.map((v) => ({ ...v, stats: { ...v.stats, elapsedMs: 0 } }));
    expect(verdicts(b)).toEqual(verdicts(a));
    expect(b.events).toBe(a.events);
    // Another seed is another run.
    const other = runCase(caseFor({ base: c, nemesis: ['chaos'], faultGapMs: 800 }, 12), m, true);
    expect(JSON.stringify(other.capture!.history.events)).not.toBe(JSON.stringify(a.capture!.history.events));
  });

  it('writes a seed with `--seed` and `--replay case.json` reproduces its history byte for byte in a new process', async () => {
    const out = path.join(tmp, 'one');
    const first = await execa('node', [cli, 'sim', '--algo', 'paxos', '--nodes', '3', '--seed', '5', '--duration', '3s', '--out', out], { reject: false });
    expect(first.exitCode, first.stderr).toBe(0);
    const dir = path.join(out, 'seed-5');
    for (const f of ['case.json', 'history.jsonl', 'results.json', 'report.html']) expect(fs.existsSync(path.join(dir, f)), f).toBe(true);
    const replayOut = path.join(tmp, 'again');
    const again = await execa('node', [cli, 'sim', '--replay', path.join(dir, 'case.json'), '--out', replayOut], { reject: false });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(fs.readFileSync(path.join(replayOut, 'history.jsonl'), 'utf8')).toBe(fs.readFileSync(path.join(dir, 'history.jsonl'), 'utf8'));
    expect(first.stdout).toContain('parley sim --replay');
  });
});
