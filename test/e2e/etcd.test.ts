/**
 * etcd as a reference system, end to end through the CLI: three etcd members under the
 * kv workload, a partition and a crash of the leader, checks passed and the report with
 * etcd's reference column; and the usage errors a missing etcd or an inexpressible fault
 * give. Needs etcd (`apt-get install etcd-server`, which .ci/run does).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { PARLEY_BIN } from '../../harness/paths.js';
import type { ResultsFile } from '../../contracts/results.js';
import { isolation } from '../../harness/etcd/isolation.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-etcd-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  fs.writeFileSync(path.join(root, name), text);
  return path.join(root, name);
};

describe('parley run --system etcd', () => {
  it('runs 3 members through a partition and a leader crash: checks pass, and the report shows etcd as a reference', async () => {
    const out = path.join(root, 'run');
    const faults = file('faults.yaml', [
      '- { kind: partition, shape: isolate-leader, mode: blackhole, at: 1s, duration: 3s }',
      '- { kind: crash, target: leader, at: 6s, duration: 2s }',
    ].join('\n'));
    const r = await execa(process.execPath, [PARLEY_BIN, 'run', '--system', 'etcd', '--duration', '10s', '--warmup', '1s', '--clients', '8', '--faults', faults, '--out', out, '--quiet'], { reject: false, timeout: 180_000 });
    const iso = isolation();
    if (iso.mode === 'per-destination') {
      // Without mount namespaces etcd's members share proxies, and a partition of one node cannot be expressed.
      expect(r.exitCode).toBe(64);
      expect(r.stderr).toMatch(/faults\.0: a partition \(isolate-leader\) needs a proxy per directed link/);
      return;
    }
    expect(r.exitCode, r.stderr).toBe(0);
    const results = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as ResultsFile;
    const s = results.scenarios[0]!;
    expect(s.status).toBe('complete');
    expect(s.algo).toBe('etcd');
    expect(s.system).toMatchObject({ kind: 'etcd', links: 'per-link', streams: 'both' });
    expect(s.system!.version).toMatch(/^3\.\d+\.\d+$/);
    expect(s.faults.map((f) => [f.kind, f.status])).toEqual([['partition', 'done'], ['crash', 'done']]);
    expect(s.faults[0]!.targets).toHaveLength(1);
    expect(s.faults[0]!.links).toHaveLength(4);
    // The proxies carried its peer traffic: cut off, the leader stepped down (etcd's CheckQuorum).
    const isolated = s.faults[0]!.targets[0]!;
    expect(fs.readFileSync(path.join(out, 'logs', `${isolated}.log`), 'utf8')).toMatch(/raft\.node: (\w+) lost leader \1 at term/);
    expect(s.faults[1]!.recoveredMs).toBeGreaterThan(s.faults[1]!.endMs!);
    expect(s.checks.map((c) => [c.checker, c.valid])).toEqual([['linearizability', true], ['durability', true]]);
    expect(s.ops.ok).toBeGreaterThan(50);
    expect(s.failover.length).toBeGreaterThan(0);
    expect(s.nodesDetail.every((n) => n.up && (n.cpuSeconds ?? 0) > 0 && n.bytesSent > 0 && n.fsyncs > 0)).toBe(true);
    const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(html).toContain('<th class="reference">etcd 3.4<span class="small muted">Raft, production; reference</span></th>');
    expect(html).toMatch(/is a reference, not a candidate/);
    expect(html).not.toContain('class="banner banner-violation"');
    expect(html).toContain('class="banner banner-passed"');
    // The members resolved their peers through hosts files of their own.
    expect(fs.readFileSync(path.join(out, 'etcd', 'hosts-n1'), 'utf8')).toMatch(/^127\.77\.0\.1 parley-n2$/m);
  });

  it.each([
    ['a one-way partition', ['--faults', file('oneway.yaml', '- { kind: partition, shape: one-way, at: 1s, duration: 1s }\n')], {}, /faults\.0: a one-way partition cannot be expressed for etcd/],
    ['a workload etcd does not run', ['--workload', 'bank'], {}, /workload\.type: bank: etcd runs the kv workload/],
    ['an ETCD_BIN that is not there', [], { ETCD_BIN: path.join(root, 'no-etcd') }, /ETCD_BIN .*no-etcd: not an executable file; install it with `apt-get install etcd-server`/],
    ['no etcd on PATH', [], { PATH: root }, /--system etcd: etcd is not installed \(not found on PATH\); install it with `apt-get install etcd-server`/],
  ])('refuses %s with exit 64 and one line', async (_what, args, env, message) => {
    const r = await execa(process.execPath, [PARLEY_BIN, 'run', '--system', 'etcd', ...args, '--out', path.join(root, 'never')], { reject: false, timeout: 30_000, env });
    expect(r.exitCode, r.stderr).toBe(64);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(fs.existsSync(path.join(root, 'never', 'results.json'))).toBe(false);
  });
});
