import { Option, type Command } from 'commander';
import type { SetExitCode } from './shared.js';

export function registerProxy(cli: Command, setCode: SetExitCode): void {
  cli
    .command('proxy')
    .description('run the embedded Toxiproxy-compatible server on its own (docs/toxiproxy.md)')
    .option('--host <host>', 'address the HTTP API listens on', '127.0.0.1')
    .option('--port <port>', 'API port; 0 picks a free one (the first stdout line says which)', '8474')
    .option('--seed <n>', 'seed for toxicity draws, jitter and slicer cuts')
    .addOption(new Option('--lifeline', 'exit when standard input closes (used by the harness)'))
    .action(async (opts) => {
      const { runProxyServer } = await import('../toxiproxy/main.js');
      setCode(await runProxyServer(opts));
    });
}
