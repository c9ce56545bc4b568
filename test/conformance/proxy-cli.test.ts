/**
 * `parley proxy` as a harness spawns it: the one stdout line with the bound address, a
 * clean exit on SIGTERM and when the lifeline (stdin) closes, exit 64 on bad flags.
 * Runs the compiled CLI (`npm test` builds first); skipped when there is no build.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from './net-helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(root, 'bin/parley.js');
const built = existsSync(path.join(root, 'dist/harness/toxiproxy/main.js'));

interface Run {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exit: number | null;
  signal: NodeJS.Signals | null;
}

const runs: Run[] = [];

function start(args: string[]): Run {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const run: Run = { child, stdout: '', stderr: '', exit: null, signal: null };
  child.stdout!.on('data', (d: Buffer) => (run.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (run.stderr += d.toString()));
  child.on('exit', (code, signal) => {
    run.exit = code;
    run.signal = signal;
  });
  runs.push(run);
  return run;
}

const exited = (run: Run) => waitFor(() => run.exit !== null || run.signal !== null, 10_000, 'the proxy process to exit');

async function listening(run: Run): Promise<string> {
  await waitFor(() => run.stdout.includes('\n') || run.exit !== null, 10_000, 'the listening line');
  const m = /^toxiproxy listening on (127\.0\.0\.1:\d+)\n$/.exec(run.stdout);
  expect(m, `stdout: ${JSON.stringify(run.stdout)} stderr: ${run.stderr}`).not.toBeNull();
  return m![1]!;
}

afterEach(() => {
  for (const r of runs.splice(0)) if (r.exit === null && r.signal === null) r.child.kill('SIGKILL');
});

describe.skipIf(!built)('parley proxy (the command)', () => {
  it('prints exactly one line with the bound address, serves the API, and exits 0 on SIGTERM', async () => {
    // --lifeline here too: should this test process die, the child goes with it.
    const run = start(['proxy', '--host', '127.0.0.1', '--port', '0', '--lifeline']);
    const address = await listening(run);
    const version = (await (await fetch(`http://${address}/version`)).json()) as { version: string };
    expect(version.version).toMatch(/^2\.12/);
    run.child.kill('SIGTERM');
    await exited(run);
    expect(run.exit).toBe(0);
    expect(run.stdout.split('\n')).toEqual([`toxiproxy listening on ${address}`, '']);
  });

  it('with --lifeline, exits when standard input closes', async () => {
    const run = start(['proxy', '--port', '0', '--lifeline']);
    await listening(run);
    run.child.stdin!.end();
    await exited(run);
    expect(run.exit).toBe(0);
  });

  it('bad flags exit 64 with one line', async () => {
    for (const args of [['--port', 'http'], ['--port', '70000'], ['--frobnicate'], ['--seed', 'x']]) {
      const run = start(['proxy', ...args]);
      await exited(run);
      expect(run.exit, args.join(' ')).toBe(64);
      expect(run.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(run.stdout).toBe('');
    }
  });
});
