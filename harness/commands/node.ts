import { Option, type Command } from 'commander';
import { collect, type SetExitCode } from './shared.js';

export function registerNode(cli: Command, setCode: SetExitCode): void {
  cli
    .command('node')
    .description('run one node process (the node contract: docs/nodes.md)')
    .requiredOption('--algo <name>', 'raft | paxos | twopc | gossip')
    .requiredOption('--id <id>', 'this node id, e.g. n1')
    .requiredOption('--listen <host:port>', 'peer TCP address to listen on')
    .requiredOption('--api <host:port>', 'client HTTP address to listen on')
    .option('--peer <id=host:port>', 'where this node dials a peer (repeatable)', collect, [])
    .requiredOption('--data <dir>', 'durable state directory')
    .option('--set <key=value>', 'algorithm or runtime option (repeatable)', collect, [])
    .addOption(new Option('--lifeline', 'exit when standard input closes (used by the harness)'))
    .action(async (opts) => {
      const { runNode } = await import('../../nodes/main.js');
      setCode(await runNode(opts));
    });
}
