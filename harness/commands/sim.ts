import type { Command } from 'commander';
import { collect, type SetExitCode } from './shared.js';

export function registerSim(cli: Command, setCode: SetExitCode): void {
  cli
    .command('sim')
    .description('the real cores in a seeded simulated cluster: many seeds of dense faults in seconds, failing seeds written, shrunk and replayable (docs/sim.md)')
    .option('--algo <name>', 'raft | paxos | twopc | gossip')
    .option('--workload <name>', 'kv | bank | dissemination (default kv)')
    .option('--nodes <n>', 'cluster size (default 3)')
    .option('--seeds <n>', 'how many seeds to run, from --seed (default 100)')
    .option('--time <time>', 'run seeds until this much wall time is spent, e.g. 60s (instead of --seeds)')
    .option('--seed <n>', 'the first seed of a sweep; alone, run just this seed and write it')
    .option('--faults <names|file>', 'simulator nemeses, comma-separated (latency, clog, drop, partition, crash, pause, leader-crash, power-loss, clock, catch-up, chaos; default chaos), "none", or a schedule file as parley run takes')
    .option('--knobs <how>', 'random (default): each seed draws some of the algorithm\'s options from supported values (docs/sim.md); default: only --set')
    .option('--fault-gap <time>', 'mean time between faults of a drawn schedule (default 1s; they overlap)')
    .option('--set <key=value>', 'node option for every node (repeatable), as parley run', collect, [])
    .option('--duration <time>', 'simulated measured load per seed (default 10s)')
    .option('--warmup <time>', 'simulated load before measuring (default 500ms)')
    .option('--rate <ops/s>', 'open loop at this rate (default 100)')
    .option('--clients <n>', 'concurrent clients (default 10; closed loop unless --rate)')
    .option('--client-timeout <time>', 'a client gives up after (default 3s)')
    .option('--target <where>', 'clients talk to: any node, or the leader (default any)')
    .option('--keys <n>', 'keys the workload uses (default 10)')
    .option('--ops-per-key <n>', 'independent keys: operations per key before a fresh key (kv: default off, or drawn by --knobs random)')
    .option('--mix <shares>', 'kv mix, e.g. read=0.5,write=0.4,cas=0.1')
    .option('--value-size <bytes>', 'bytes per written value (default 16)')
    .option('--distribution <d>', 'uniform | zipfian')
    .option('--net <model>', 'one-way delay: calibrated (default), constant:0.2ms, uniform:0.1ms-2ms, lognormal:p50=0.15ms,p99=2ms')
    .option('--sync <model>', 'time a sync takes, same forms (default uniform:0.05ms-2ms)')
    .option('--scenario <file>', 'a scenario file (JSON or YAML) as parley run takes; flags override its fields')
    .option('--replay <case.json>', 'run a written case again, bit for bit')
    .option('--workers <n>', 'worker threads (default: one per core)')
    .option('--keep-going', 'do not stop at the first failing seed')
    .option('--no-shrink', 'write failing seeds as found, without shrinking them')
    .option('--check-budget <time>', 'time budget of the linearizability check per seed (default 10s)')
    .option('--name <name>', 'scenario name in reports')
    .option('--out <dir>', 'output folder (default out/sim-<time>)')
    .option('--quiet', 'no progress output')
    .action(async (opts) => {
      const { simCommand } = await import('../sim/command.js');
      setCode(await simCommand(opts));
    });
}
