/** `parley node` with bad arguments: exit 64 and one line naming the flag; nothing starts. */
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { PARLEY_BIN } from '../../harness/paths.js';
import { parleyInProcess } from '../helpers/cli.js';

const base = ['node', '--algo', 'raft', '--id', 'n1', '--listen', '127.0.0.1:1', '--api', '127.0.0.1:2', '--data', '/tmp/parley-never-created'];

async function parley(args: string[]) {
  return execa(process.execPath, [PARLEY_BIN, ...args], { reject: false, timeout: 20_000 });
}

describe('parley node argument errors', () => {
  const cases: [string, string[], RegExp][] = [
    ['unknown algorithm', ['node', '--algo', 'zab', ...base.slice(3)], /--algo zab: expected one of raft, paxos, twopc, gossip/],
    ['missing --id', base.filter((_, i) => i !== 3 && i !== 4), /--id/],
    ['bad id', base.map((a) => (a === 'n1' ? 'n 1' : a)), /--id n 1/],
    ['bad listen address', base.map((a) => (a === '127.0.0.1:1' ? 'localhost' : a)), /--listen localhost: expected host:port/],
    ['port out of range', base.map((a) => (a === '127.0.0.1:2' ? '127.0.0.1:70000' : a)), /--api 127.0.0.1:70000/],
    ['peer without address', [...base, '--peer', 'n2'], /--peer n2: expected id=host:port/],
    ['peer is itself', [...base, '--peer', 'n1=127.0.0.1:3'], /not its own peer/],
    ['duplicate peer', [...base, '--peer', 'n2=127.0.0.1:3', '--peer', 'n2=127.0.0.1:4'], /--peer n2: given twice/],
    ['unknown option', [...base, '--set', 'turbo=1'], /--set turbo: unknown option for raft/],
    ['malformed option', [...base, '--set', 'fsync'], /--set fsync: expected key=value/],
    ['bad option value', [...base, '--set', 'heartbeatMs=soon'], /--set heartbeatMs:/],
    ['bad boolean', [...base, '--set', 'fsync=maybe'], /--set fsync:/],
    ['inconsistent timeouts', [...base, '--set', 'electionTimeoutMinMs=400', '--set', 'electionTimeoutMaxMs=300'], /--set electionTimeoutMaxMs: must be greater/],
    ['unknown flag', [...base, '--turbo'], /unknown option '--turbo'/],
  ];
  it.each(cases)('%s', async (_name, args, message) => {
    const r = await parleyInProcess(args);
    expect(r.exitCode, r.stderr).toBe(64);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });

  it('is what the binary says: exit 64 and one line on stderr', async () => {
    const [, args, message] = cases[0]!;
    const r = await parley(args);
    expect(r.exitCode, r.stderr).toBe(64);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it('a port already in use is a start-up failure (exit 70) that names the address', async () => {
    const net = await import('node:net');
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    try {
      const r = await parley(['node', '--algo', 'raft', '--id', 'n1', '--listen', `127.0.0.1:${port}`, '--api', '127.0.0.1:0', '--data', `/tmp/parley-test-busy-${process.pid}`]);
      expect(r.exitCode).toBe(70);
      expect(r.stderr).toMatch(new RegExp(`cannot listen for peers on 127.0.0.1:${port}`));
    } finally {
      server.close();
    }
  });
});
