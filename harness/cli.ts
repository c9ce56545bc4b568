/**
 * The parley command line. Each command lives in harness/commands/<name>.ts and imports its
 * implementation only when it runs, so `parley node` starts a node without loading the
 * harness, the checkers or the reports.
 *
 * Exit codes (contracts/exit-codes.ts, docs/architecture.md): 0 every check valid, 1 a safety violation found, 2 a checker
 * could not decide, 64 bad usage or config (one line naming the field), 70 the harness failed.
 */
import { Command, CommanderError } from 'commander';
import { UsageError } from '../nodes/common/errors.js';
import { EXIT } from '../contracts/exit-codes.js';
import { registerNode } from './commands/node.js';
import { registerRun } from './commands/run.js';
import { registerBench } from './commands/bench.js';
import { registerCheck } from './commands/check.js';
import { registerReport } from './commands/report.js';
import { registerProxy } from './commands/proxy.js';
import { registerSim } from './commands/sim.js';
import { registerNodeCheck } from './commands/node-check.js';

function program(setCode: (code: number) => void): Command {
  const cli = new Command('parley')
    .description('Benchmark and chaos-test agreement protocols (Multi-Paxos, Raft, 2PC, Gossip) as real processes behind Toxiproxy')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text.split('\n')[0]!.replace(/^error: /, 'parley: ') + '\n') });
  registerNode(cli, setCode);
  registerRun(cli, setCode);
  registerSim(cli, setCode);
  registerBench(cli, setCode);
  registerCheck(cli, setCode);
  registerReport(cli, setCode);
  registerProxy(cli, setCode);
  registerNodeCheck(cli, setCode);
  return cli;
}

export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  try {
    await program((c) => (code = c)).parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; every other parse error is bad usage.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`parley: ${err.message}\n`);
      return EXIT.usage;
    }
    throw err;
  }
  return code;
}
