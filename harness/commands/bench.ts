import type { Command } from 'commander';
import type { SetExitCode } from './shared.js';

export function registerBench(cli: Command, setCode: SetExitCode): void {
  cli
    .command('bench')
    .description('run a suite of scenarios over all four algorithms -> results.json, report.html, junit.xml')
    .option('--suite <name>', 'quick (under a minute) | default (the comparison: 5 interleaved trials of each shape, under 5 minutes) | nightly (seeded chaos)', 'default')
    .option('--out <dir>', 'output folder (default out/bench, or out/nightly-<seed>)')
    .option('--time <duration>', 'nightly: wall-clock budget (default 10m)')
    .option('--seed <n>', 'seed of the whole suite (nightly default: the time)')
    .option('--algo <names>', 'only these algorithms, comma-separated (raft, paxos, twopc, gossip); nightly spends its whole budget on them')
    .option('--only <text>', 'quick/default: only scenarios whose name contains this, e.g. kv/ or /1 (the first round of trials)')
    .option('--toxiproxy <url>', 'drive this Toxiproxy instead of the embedded one (or TOXIPROXY_URL)')
    .option('--reference <system>', 'etcd: also run etcd through Raft\'s kv trials (databases, leader election), as a reference column that is never picked')
    .option('--sim-share <fraction>', 'nightly: share of the budget spent in parley sim across the algorithms (default 0.3; 0 for none)')
    .option('--scale <file>', 'a gossip scale study (scale.json from npm run bench:gossip -- --sim) for the report\'s decentralized row')
    .option('--quiet', 'no progress output')
    .action(async (opts) => {
      const { benchCommand } = await import('../bench-command.js');
      setCode(await benchCommand(opts));
    });
}
