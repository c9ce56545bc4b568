import type { Command } from 'commander';
import type { SetExitCode } from './shared.js';

export function registerBench(cli: Command, setCode: SetExitCode): void {
  cli
    .command('bench')
    .description('run a suite of scenarios over all four algorithms -> results.json, report.html, junit.xml')
    .option('--suite <name>', 'quick (under a minute) | default (the comparison, under 5 minutes) | nightly (seeded chaos)', 'default')
    .option('--out <dir>', 'output folder (default out/bench, or out/nightly-<seed>)')
    .option('--time <duration>', 'nightly: wall-clock budget (default 10m)')
    .option('--seed <n>', 'seed of the whole suite (nightly default: the time)')
    .option('--only <text>', 'only scenarios whose name contains this, e.g. raft or databases/')
    .option('--toxiproxy <url>', 'drive this Toxiproxy instead of the embedded one (or TOXIPROXY_URL)')
    .option('--reference <system>', 'etcd: also run etcd through the databases and leader-election scenarios, as a reference column')
    .option('--quiet', 'no progress output')
    .action(async (opts) => {
      const { benchCommand } = await import('../bench-command.js');
      setCode(await benchCommand(opts));
    });
}
