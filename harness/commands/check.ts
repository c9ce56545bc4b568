import type { Command } from 'commander';
import { collect, type SetExitCode } from './shared.js';

export function registerCheck(cli: Command, setCode: SetExitCode): void {
  cli
    .command('check')
    .description('check a recorded history on its own: exit 0 valid, 1 invalid, 2 unknown (docs/history.md)')
    .argument('<file>', 'history.jsonl (for --model atomicity: the 2PC events trace)')
    .requiredOption('--model <name>', 'register | cas-register | bank | atomicity | convergence | durability | list-append')
    .option('--time-limit <seconds>', 'register models: give up with "unknown" after this long; list-append: bound on the cycle search', '60')
    .option('--initial <json>', 'bank: opening balances, e.g. \'{"a":50,"b":50}\'')
    .option('--final <file>', 'durability: {key: value} read after recovery; convergence: {node: {key: value}} of live nodes')
    .option('--applied <node=file>', 'convergence: a node\'s applied trace (repeatable)', collect, [])
    .option('--healed-at <ns>', 'convergence: monotonic time the last fault healed')
    .option('--bound <ms>', 'convergence: every acknowledged write must reach every live node this soon after healing')
    .option('--json', 'print the verdict as JSON (the results.json shape)')
    .action(async (file: string, opts) => {
      const { runCheck } = await import('../../workloads/checkers/run-check.js');
      setCode(await runCheck(file, opts));
    });
}
