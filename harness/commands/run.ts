import { Option, type Command } from 'commander';
import { collect, type SetExitCode } from './shared.js';

export function registerRun(cli: Command, setCode: SetExitCode): void {
  cli
    .command('run')
    .description('run one scenario: a cluster, a workload, faults, checks -> results.json and report.html')
    .option('--algo <name>', 'raft | paxos | twopc | gossip; with --node-command, the name your node goes by in results')
    .option('--system <name>', 'etcd: run etcd members (a reference Raft) instead of parley nodes')
    .option('--node-command <template>', "run this program as every node, e.g. './mynode --id {id} --listen {listen} --api {api} --data {data} {peers}' (docs/nodes.md)")
    .option('--consistency <what>', 'with --node-command: what it promises, linearizable (default) or eventual')
    .option('--workload <name>', 'kv | bank | dissemination | list-append (default kv)')
    .option('--nodes <n>', 'cluster size (default 3)')
    .option('--duration <time>', 'measured load, e.g. 20s (default 20s)')
    .option('--warmup <time>', 'load before measuring (default 2s)')
    .option('--faults <names|file>', `nemeses, comma-separated (latency, drop, partition, crash, pause, leader-crash, power-loss, catch-up, chaos), "none", or a schedule file`)
    .option('--fault-interval <time>', 'with named nemeses: a new fault every (default 6s)')
    .option('--fault-duration <time>', 'with named nemeses: each lasts (default 3s)')
    .option('--rate <ops/s>', 'open loop at this total rate (default: closed loop)')
    .option('--clients <n>', 'concurrent clients (default 16)')
    .option('--target <where>', 'clients talk to: any node, or the leader (default any)')
    .option('--keys <n>', 'keys the workload uses (default 10)')
    .option('--distribution <d>', 'uniform | zipfian')
    .option('--mix <shares>', 'kv mix, e.g. read=0.5,write=0.4,cas=0.1')
    .option('--value-size <bytes>', 'bytes per written value (default 16)')
    .option('--ops-per-key <n>', 'independent keys: operations per key before a fresh key (kv: default off; list-append: 200)')
    .option('--set <key=value>', 'node option for every node (repeatable)', collect, [])
    .option('--seed <n>', 'seed of every random choice (default 1)')
    .option('--out <dir>', 'output folder (default out/<algo>-<workload>-<time>)')
    .option('--scenario <file>', 'a scenario file (JSON or YAML); flags override its fields')
    .option('--replay <results.json>', "run a previous run's scenario again, same seed and fault schedule")
    .option('--toxiproxy <url>', 'drive this Toxiproxy instead of the embedded one (or TOXIPROXY_URL)')
    .addOption(new Option('--max-throughput [time]', 'after the load, an autocannon saturation phase (default 3s)'))
    .option('--name <name>', 'scenario name in the report')
    .option('--check-budget <time>', 'time budget of the linearizability check (default 30s)')
    .option('--json-schema', 'print the JSON Schema of scenario files and exit')
    .option('--quiet', 'no progress output')
    .action(async (opts) => {
      const { runCommand } = await import('../run-command.js');
      setCode(await runCommand(opts));
    });
}
