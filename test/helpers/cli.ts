/**
 * parley's command line in this process: `main(argv)` (what bin/parley.js calls) with what
 * it writes to stdout and stderr captured. For the tables of bad flags, which must fail
 * before anything starts: a process per case would spend its time loading Node, not
 * testing. Each table still runs one case through the real binary, which is what a user
 * types (its exit code and its one line on stderr).
 */
import { main } from '../../harness/cli.js';

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Run `parley ARGV` in-process. Not concurrent-safe: it swaps process.stdout/stderr.write while main runs. */
export async function parleyInProcess(argv: readonly string[]): Promise<CliResult> {
  const captured = { stdout: '', stderr: '' };
  const originals = { stdout: process.stdout.write, stderr: process.stderr.write };
  const capture = (stream: 'stdout' | 'stderr') =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      captured[stream] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      done?.();
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = capture('stdout');
  process.stderr.write = capture('stderr');
  try {
    const exitCode = await main([...argv]);
    return { exitCode, ...captured };
  } finally {
    process.stdout.write = originals.stdout;
    process.stderr.write = originals.stderr;
  }
}
