/**
 * Bring your own node, end to end through the CLI: the Python example's naive replication
 * is caught and shown in the report, and nodes parley did not write are gone when the
 * harness is killed outright.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT, PARLEY_BIN } from '../../harness/paths.js';
import type { ResultsFile } from '../../contracts/results.js';
import { alive, waitUntil } from '../helpers/procs.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-own-node-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const PYTHON_NODE = 'python3 examples/primary_backup.py --id {id} --listen {listen} --api {api} --data {data} {peers}';

describe('a node command under parley run', () => {
  it('catches the Python example: a partition of its primary breaks linearizability, and the report shows it', async () => {
    const out = path.join(root, 'python');
    const faults = path.join(root, 'isolate.yaml');
    // Its failure detector presumes a primary dead after 1 s; 4 s leaves 3 s of two primaries.
    fs.writeFileSync(faults, '- { kind: partition, shape: isolate-leader, mode: blackhole, at: 1s, duration: 4s }\n');
    const r = await execa(
      process.execPath,
      [PARLEY_BIN, 'run', '--node-command', PYTHON_NODE, '--algo', 'primary-backup', '--duration', '7s', '--warmup', '1s', '--clients', '6', '--faults', faults, '--out', out, '--quiet'],
      { cwd: PACKAGE_ROOT, reject: false, timeout: 180_000 },
    );
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/SAFETY VIOLATION\s+linearizability \(cas-register\) in primary-backup-kv \(primary-backup\)/);
    const results = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as ResultsFile;
    const s = results.scenarios[0]!;
    expect(s.status).toBe('complete');
    expect(s.algo).toBe('primary-backup');
    expect(s.system).toMatchObject({ kind: 'node-command', command: PYTHON_NODE, links: 'per-link', streams: 'both' });
    expect(s.faults[0]).toMatchObject({ kind: 'partition', status: 'done' });
    expect(s.faults[0]!.targets).toHaveLength(1);
    expect(s.checks.find((c) => c.checker === 'linearizability')?.valid).toBe(false);
    expect(s.ops.ok).toBeGreaterThan(20);
    expect(s.nodesDetail.every((n) => n.up && (n.cpuSeconds ?? 0) > 0 && n.msgsSent > 0)).toBe(true);
    const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(html).toMatch(/class="banner banner-violation"[\s\S]*?linearizability \(cas-register\)[\s\S]*?primary-backup-kv/);
    expect(fs.readFileSync(path.join(out, 'logs', 'n1.log'), 'utf8')).toMatch(/n1 ready: peers on 127\.0\.0\.1:\d+/);
  });

  it('leaves no node and none of its processes behind when the harness is killed with SIGKILL', async () => {
    const out = path.join(root, 'sigkill');
    const template = `${process.execPath} test/fixtures/contract-node.mjs --id {id} --api {api} --data {data} --helper`;
    const harness = execa(process.execPath, [PARLEY_BIN, 'run', '--node-command', template, '--algo', 'fixture', '--duration', '60s', '--warmup', '0s', '--out', out, '--quiet'], { cwd: PACKAGE_ROOT, reject: false });
    const pids = () =>
      ['n1', 'n2', 'n3'].flatMap((id) => {
        const data = path.join(out, 'data', id);
        try {
          const node = JSON.parse(fs.readFileSync(path.join(data, 'starts.jsonl'), 'utf8').split('\n')[0]!) as { pid: number };
          return [node.pid, Number(fs.readFileSync(path.join(data, 'helper.pid'), 'utf8'))];
        } catch {
          return [];
        }
      });
    await waitUntil('the nodes to serve the load', () => pids().length === 6 && fs.existsSync(path.join(out, 'history.jsonl')) && fs.statSync(path.join(out, 'history.jsonl')).size > 0, 60_000);
    const started = pids();
    expect(started.every(alive)).toBe(true);
    harness.kill('SIGKILL');
    await harness;
    await waitUntil('every node and helper to exit', () => started.every((p) => !alive(p)), 15_000);
  });
});
