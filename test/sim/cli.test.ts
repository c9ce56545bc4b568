/**
 * `parley sim` as a user meets it: bad flags and files exit 64 with one line naming the
 * field, a sweep writes its summary, and Ctrl-C stops the workers and still writes what
 * was found so far.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { parleyInProcess } from '../helpers/cli.js';

const cli = path.resolve('bin/parley.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-sim-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const sim = (args: string[]) => execa('node', [cli, 'sim', ...args], { reject: false, cwd: tmp });

describe('parley sim on the command line', () => {
  const cases: [string[], string][] = [
    [['--algo', 'raft', '--seeds', '0'], '--seeds'],
    [['--algo', 'raft', '--seeds', '5', '--time', '5s'], '--seeds and --time'],
    [['--algo', 'raft', '--net', 'gaussian:1ms'], '--net'],
    [['--algo', 'raft', '--sync', 'uniform:5ms-1ms'], '--sync'],
    [['--algo', 'raft', '--faults', 'meteor'], '--faults meteor'],
    [['--algo', 'raft', '--workers', '0'], '--workers'],
    [['--algo', 'raft', '--set', 'quorum=2'], '--set quorum'],
    [['--algo', 'nope'], 'algo'],
    [['--algo', 'etcd'], 'algo etcd: parley sim simulates raft, paxos, twopc, gossip'],
    [['--replay', path.join(tmp, 'missing.json')], 'missing.json'],
    [['--algo', 'raft', '--fault-gap', '1ms'], '--fault-gap'],
  ];
  it.each(cases)('exits 64 naming the problem: %j', async (args, named) => {
    const r = await parleyInProcess(['sim', ...args]);
    expect(r.exitCode, r.stderr).toBe(64);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(named);
  });

  it('is what the binary says: exit 64 and one line on stderr', async () => {
    const [args, named] = cases[0]!;
    const r = await sim(args);
    expect(r.exitCode, r.stderr).toBe(64);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(named);
  });

  it('refuses a case file that is not one, and a fault schedule with a bad field, naming the field', async () => {
    fs.writeFileSync(path.join(tmp, 'notacase.json'), JSON.stringify({ schema: 'parley.results/1' }));
    const r = await parleyInProcess(['sim', '--replay', path.join(tmp, 'notacase.json')]);
    expect(r.exitCode).toBe(64);
    expect(r.stderr).toContain('not a parley sim case');
    fs.writeFileSync(path.join(tmp, 'faults.yaml'), '- { kind: crash, at: 1s, duration: 1s, mode: blackhole }\n');
    const f = await parleyInProcess(['sim', '--algo', 'raft', '--faults', path.join(tmp, 'faults.yaml'), '--seeds', '1']);
    expect(f.exitCode).toBe(64);
    expect(f.stderr).toContain('faults.0.mode');
    // A node command is a real program: only parley run drives it.
    fs.writeFileSync(path.join(tmp, 'own-node.yaml'), 'algo: mynode\nnodeCommand: ./mynode --api {api}\n');
    const own = await parleyInProcess(['sim', '--scenario', path.join(tmp, 'own-node.yaml'), '--seeds', '1']);
    expect(own.exitCode).toBe(64);
    expect(own.stderr.trim().split('\n')).toHaveLength(1);
    expect(own.stderr).toContain('nodeCommand: parley sim simulates');
    // Failpoints are a real node's; the simulator strikes its power losses inside syncs itself.
    fs.writeFileSync(path.join(tmp, 'failpoint.yaml'), '- { kind: crash, at: 1s, duration: 1s, mode: power-loss, point: before-sync }\n');
    const fp = await parleyInProcess(['sim', '--algo', 'raft', '--faults', path.join(tmp, 'failpoint.yaml'), '--seeds', '1']);
    expect(fp.exitCode).toBe(64);
    expect(fp.stderr.trim().split('\n')).toHaveLength(1);
    expect(fp.stderr).toContain('faults.0.point: failpoints are a real node');
  });

  it('runs a sweep and writes its summary with every seed counted', async () => {
    const out = path.join(tmp, 'sweep');
    const r = await sim(['--algo', 'gossip', '--workload', 'dissemination', '--seeds', '4', '--duration', '2s', '--workers', '2', '--out', out, '--quiet']);
    expect(r.exitCode, r.stderr).toBe(0);
    const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
    expect(summary.seeds).toBe(4);
    expect(summary.verdicts).toEqual({ valid: 4, invalid: 0, unknown: 0 });
    expect(r.stdout).toContain('4 seeds');
  });

  it('stops on Ctrl-C, ends its workers and writes what it found', async () => {
    const out = path.join(tmp, 'interrupted');
    const child = execa('node', [cli, 'sim', '--algo', 'raft', '--time', '10m', '--out', out], { reject: false, cwd: tmp });
    const deadline = Date.now() + 60_000;
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    while (!/\d+ seeds, /.test(err) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(err).toMatch(/\d+ seeds, /);
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(70);
    const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
    expect(summary.stoppedBy).toBe('interrupted');
    expect(summary.seeds).toBeGreaterThan(0);
  });
});
