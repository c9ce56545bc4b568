/** `parley node-check`: flags to options (exit 64 on a bad one), then the checks. */
import { UsageError } from '../nodes/common/errors.js';
import { parseDuration } from '../contracts/scenario.js';
import { nodeCheck } from './node-check.js';

export async function nodeCheckCommand(flags: { nodeCommand: string; nodes: string; timeout: string; consistency: string; keep?: boolean }): Promise<number> {
  const nodes = Number(flags.nodes);
  if (!/^\d+$/.test(flags.nodes.trim()) || nodes < 1 || nodes > 9) throw new UsageError(`--nodes ${flags.nodes}: expected a whole number from 1 to 9`);
  const timeoutMs = parseDuration(flags.timeout);
  if (timeoutMs === null || timeoutMs < 100) throw new UsageError(`--timeout ${flags.timeout}: expected a duration like 15s`);
  if (flags.consistency !== 'linearizable' && flags.consistency !== 'eventual') throw new UsageError(`--consistency ${flags.consistency}: expected linearizable or eventual`);
  // Ctrl-C: exit now; the supervisor's exit hook kills every node (and the reaper would anyway).
  const interrupted = (sig: NodeJS.Signals) => {
    process.stderr.write(`parley node-check: ${sig}, stopping\n`);
    process.exit(70);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const { code } = await nodeCheck({ nodeCommand: flags.nodeCommand, nodes, timeoutMs, consistency: flags.consistency, keep: flags.keep === true }, (line) => process.stdout.write(`${line}\n`));
  return code;
}
