import type { Command } from 'commander';
import type { SetExitCode } from './shared.js';

export function registerNodeCheck(cli: Command, setCode: SetExitCode): void {
  cli
    .command('node-check')
    .description('probe your own node program against the node contract (docs/nodes.md) before a chaos run: exit 0 ready, 1 something is missing')
    .requiredOption('--node-command <template>', "the program, e.g. './mynode --id {id} --listen {listen} --api {api} --data {data} {peers}'")
    .option('--nodes <n>', 'cluster size to start (default 3)', '3')
    .option('--timeout <time>', 'how long a node may take to start or to settle a leader (default 15s)', '15s')
    .option('--consistency <what>', 'what the node promises: linearizable (reads on any node see acknowledged writes) or eventual', 'linearizable')
    .option('--keep', 'keep the data and logs folder')
    .action(async (opts: { nodeCommand: string; nodes: string; timeout: string; consistency: string; keep?: boolean }) => {
      const { nodeCheckCommand } = await import('../node-check-command.js');
      setCode(await nodeCheckCommand(opts));
    });
}
