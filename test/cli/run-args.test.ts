/** `parley run` with bad flags and bad scenario files: exit 64, one line naming the field. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { PARLEY_BIN } from '../../harness/paths.js';
import { parleyInProcess } from '../helpers/cli.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-args-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
};

describe('parley run argument and scenario errors', () => {
  const cases: [string, string[], RegExp][] = [
    ['no algorithm', ['--duration', '1s'], /--algo: required/],
    ['unknown algorithm', ['--algo', 'zab'], /algo: expected one of raft, paxos, twopc, gossip/],
    ['bad node count', ['--algo', 'raft', '--nodes', '0'], /--nodes 0: expected a whole number from 1 to 200/],
    ['bad duration', ['--algo', 'raft', '--duration', 'soon'], /--duration soon: expected a duration/],
    ['bad rate', ['--algo', 'raft', '--rate', '-5'], /--rate -5: expected a positive number/],
    ['unknown workload', ['--algo', 'raft', '--workload', 'queue'], /workload.type: expected one of kv, bank, dissemination, list-append/],
    ['unknown nemesis', ['--algo', 'raft', '--faults', 'meteor'], /--faults meteor: expected a file or nemeses among/],
    ['bad mix', ['--algo', 'raft', '--mix', 'read=lots'], /--mix read=lots/],
    ['bank on gossip', ['--algo', 'gossip', '--workload', 'bank'], /workload.type: bank needs multi-key transactions/],
    ['list-append on gossip', ['--algo', 'gossip', '--workload', 'list-append'], /workload.type: list-append needs multi-key transactions/],
    ['bad ops per key', ['--algo', 'raft', '--ops-per-key', '0'], /--ops-per-key 0: expected a whole number from 1 to 1000000/],
    ['bad ops per transaction', ['--scenario', file('txn.yaml', 'algo: raft\nworkload: { type: list-append, opsPerTxn: 0 }\n')], /workload.opsPerTxn:/],
    ['bad toxiproxy url', ['--algo', 'raft', '--toxiproxy', 'not a url'], /toxiproxy:/],
    ['missing scenario file', ['--scenario', path.join(dir, 'nope.yaml')], /--scenario .*nope.yaml: cannot read it \(ENOENT\)/],
    ['scenario not YAML', ['--scenario', file('bad.yaml', 'algo: [raft')], /--scenario .*bad.yaml: not valid JSON or YAML/],
    ['scenario with a typo', ['--scenario', file('typo.yaml', 'algo: raft\nnodez: 3\n')], /nodez/],
    ['scenario with a bad nested field', ['--scenario', file('nested.json', '{"algo":"raft","workload":{"keys":-1}}')], /workload.keys:/],
    ['fault with a bad kind', ['--algo', 'raft', '--faults', file('f.yaml', '- kind: meteor\n  at: 1s\n  duration: 1s\n')], /faults.0.kind: expected one of/],
    ['fault with a bad time', ['--algo', 'raft', '--faults', file('g.yaml', '- kind: crash\n  at: later\n  duration: 1s\n')], /faults.0.at: expected a duration/],
    ['replay of a non-results file', ['--replay', file('r.json', '{"schema":"other"}')], /--replay .*r.json:/],
    ['a node command with an unknown placeholder', ['--node-command', 'node x.js --port {port}'], /nodeCommand: unknown placeholder \{port\}/],
    ['a node command whose program is missing', ['--node-command', 'no-such-program-here --api {api}'], /nodeCommand: cannot run no-such-program-here: not found on PATH/],
    ['a node command named like a parley algorithm', ['--node-command', 'node x.js', '--algo', 'raft'], /algo: raft is one of parley's own systems/],
    ['consistency without a node command', ['--algo', 'raft', '--consistency', 'eventual'], /consistency: only for a nodeCommand/],
    ['an unknown system', ['--system', 'zookeeper'], /--system zookeeper: expected etcd/],
    ['clock faults on etcd', ['--system', 'etcd', '--faults', 'clock'], /--faults clock: clock faults need parley's own nodes/],
    ['a clock fault on a node command', ['--node-command', 'node x.js --api {api}', '--algo', 'mine', '--faults', file('c.yaml', '- kind: clock\n  at: 1s\n  duration: 1s\n')], /faults.0.kind clock: clock faults need parley's own nodes/],
    ['a crash at a failpoint on etcd', ['--system', 'etcd', '--faults', file('p.yaml', '- { kind: crash, at: 1s, duration: 1s, point: before-sync }\n')], /faults.0.point: a crash at a failpoint needs parley's own nodes/],
    ['a failpoint on a partition', ['--algo', 'raft', '--faults', file('q.yaml', '- { kind: partition, at: 1s, duration: 1s, point: after-sync }\n')], /faults.0.point: a partition fault takes no point/],
    ['an unknown failpoint', ['--algo', 'raft', '--faults', file('u.yaml', '- { kind: crash, at: 1s, duration: 1s, point: mid-rename }\n')], /faults.0.point: expected one of/],
  ];
  it.each(cases)('%s', async (_name, args, message) => {
    const r = await parleyInProcess(['run', ...args, '--out', path.join(dir, 'never')]);
    expect(r.exitCode, r.stderr).toBe(64);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(fs.existsSync(path.join(dir, 'never', 'results.json'))).toBe(false);
  });

  it('is what the binary says: exit 64 and one line on stderr', async () => {
    const [, args, message] = cases[0]!;
    const r = await execa(process.execPath, [PARLEY_BIN, 'run', ...args, '--out', path.join(dir, 'never')], { reject: false, timeout: 20_000 });
    expect(r.exitCode, r.stderr).toBe(64);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it('emits the JSON Schema of scenario files for editors', async () => {
    const r = await execa(process.execPath, [PARLEY_BIN, 'run', '--json-schema'], { reject: false });
    expect(r.exitCode).toBe(0);
    const schema = JSON.parse(r.stdout) as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['algo', 'nodes', 'workload', 'faults', 'nemesis', 'seed']));
    expect(schema.required).toContain('algo');
  });
});
