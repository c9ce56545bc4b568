/**
 * `parley bench` with flags it cannot honour: exit 64 with one line naming the flag, before
 * anything runs. A flag that a suite would silently ignore (`--only` for nightly chaos, whose
 * scenarios are generated) is refused the same way, so a nightly job runs what it asked for.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT, PARLEY_BIN } from '../../harness/paths.js';
import { parseBenchArgs } from '../../harness/bench/args.js';
import { UsageError } from '../../nodes/common/errors.js';
import { parleyInProcess } from '../helpers/cli.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-args-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function badScale(): string {
  const file = path.join(dir, 'scale.json');
  fs.writeFileSync(file, JSON.stringify({ schema: 'parley.scale/1' }));
  return file;
}

describe('parley bench argument errors', () => {
  const cases: [string, string[], RegExp][] = [
    ['--only with nightly chaos, which has nothing to select by name', ['--suite', 'nightly', '--only', 'raft', '--time', '1m'], /^parley: --only: .*nightly.*--algo/],
    ['an unknown algorithm', ['--algo', 'zab'], /^parley: --algo zab: expected one or more of raft, paxos, twopc, gossip/],
    ['an unknown algorithm among known ones', ['--suite', 'nightly', '--algo', 'raft,zab'], /^parley: --algo raft,zab:/],
    ['--time without nightly', ['--time', '1m'], /^parley: --time:/],
    ['--only matching nothing for the chosen algorithm', ['--algo', 'gossip', '--only', 'bank/'], /^parley: --only bank\/: matches no scenario of the default suite for gossip/],
    ['an unknown reference system', ['--reference', 'zookeeper'], /^parley: --reference zookeeper: expected etcd/],
    ['--reference with nightly chaos, which runs parley\'s algorithms only', ['--suite', 'nightly', '--reference', 'etcd', '--time', '1m'], /^parley: --reference: the nightly suite/],
    ['an unknown flag', ['--algorithm', 'raft'], /^parley: unknown option '--algorithm'/],
    ['an unknown suite', ['--suite', 'weekly'], /^parley: --suite weekly:/],
    ['a scale study that is not there', ['--scale', path.join(dir, 'missing.json')], /^parley: --scale .*missing\.json: ENOENT/],
    ['a scale study with a bad field', ['--scale', badScale()], /^parley: --scale .*scale\.json: meta: /],
  ];
  it.each(cases)('%s', async (_name, args, message) => {
    const out = path.join(dir, 'never');
    const r = await parleyInProcess(['bench', ...args, '--out', out, '--quiet']);
    expect(r.exitCode, r.stderr).toBe(64);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('is what the binary says: exit 64 and one line on stderr', async () => {
    const [, args, message] = cases[0]!;
    const out = path.join(dir, 'never');
    const r = await execa(process.execPath, [PARLEY_BIN, 'bench', ...args, '--out', out, '--quiet'], { reject: false, timeout: 20_000 });
    expect(r.exitCode, r.stderr).toBe(64);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe('the bench scripts\' flags (harness/bench/args.ts)', () => {
  const flags = {
    nodes: { type: 'string', default: '5,10' },
    out: { type: 'string' },
    'sim-only': { type: 'boolean' },
    set: { type: 'settings' },
  } as const;

  it('gives each flag its default, or the value given, under the name it was declared with', () => {
    expect(parseBenchArgs('x', flags, [])).toEqual({ nodes: '5,10', out: undefined, 'sim-only': false, set: {} });
    expect(parseBenchArgs('x', flags, ['--nodes', '3', '--out=dir', '--sim-only'])).toEqual({ nodes: '3', out: 'dir', 'sim-only': true, set: {} });
  });

  it('collects repeated --set key=value into settings, the later winning', () => {
    expect(parseBenchArgs('x', flags, ['--set', 'fsync=false', '--set', 'a=b=c', '--set', 'fsync=true']).set).toEqual({ fsync: 'true', a: 'b=c' });
  });

  it.each([
    ['an unknown flag', ['--node', '3'], /^unknown option '--node'/],
    ['a flag without its value', ['--nodes'], /^option '--nodes <value>' argument missing/],
    ['a --set that is not key=value', ['--set', 'fsync'], /argument 'fsync' is invalid\. expected key=value/],
    ['a --set with no key', ['--set', '=1'], /argument '=1' is invalid/],
    ['a stray argument', ['raft'], /too many arguments/],
  ])('refuses %s with a UsageError naming it', (_name, argv, message) => {
    expect(() => parseBenchArgs('x', flags, argv)).toThrow(UsageError);
    expect(() => parseBenchArgs('x', flags, argv)).toThrow(message);
  });

  it('a script given a bad flag exits 64 with one line, before it runs', async () => {
    const r = await execa(process.execPath, [path.join(PACKAGE_ROOT, 'dist', 'harness', 'bench', 'check.js'), '--seed', '3'], { reject: false, timeout: 20_000 });
    expect(r.exitCode).toBe(64);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual(["bench:check: unknown option '--seed' (Did you mean --seeds?)"]);
  });
});
