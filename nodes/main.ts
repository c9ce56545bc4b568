/**
 * `parley node`: one node process of the node contract (docs/nodes.md).
 *
 *   parley node --algo raft --id n1 --listen 127.0.0.1:7001 --api 127.0.0.1:8001 \
 *     --peer n2=127.0.0.1:17012 ... --data ./run/data/n1 [--set key=value ...] [--lifeline]
 *
 * With --lifeline the node exits when its standard input closes: the harness holds the
 * other end of that pipe, so even a harness killed with SIGKILL leaves no node behind.
 */
import { UsageError } from './common/errors.js';
import { parseHostPort, type HostPort } from './common/address.js';
import { parseOptions, parseSetPairs, runtimeOptionsSchema } from './common/options.js';
import { NodeRuntime, type Algorithm, type NodeConfig } from './common/runtime.js';
import type { RuntimeOptions } from './common/options.js';
import { untilStopped } from './common/lifeline.js';
import { ALGORITHMS, isAlgoName, loadAlgorithm } from './registry.js';

export interface NodeArgs {
  algo: string;
  id: string;
  listen: string;
  api: string;
  peer: string[];
  data: string;
  set: string[];
  lifeline?: boolean;
}

const ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

function address(flag: string, text: string): HostPort {
  const a = parseHostPort(text);
  if (!a) throw new UsageError(`${flag} ${text}: expected host:port`);
  return a;
}

export async function buildNodeConfig(args: NodeArgs): Promise<{ config: NodeConfig; algoName: (typeof ALGORITHMS)[number] }> {
  if (!isAlgoName(args.algo)) throw new UsageError(`--algo ${args.algo}: expected one of ${ALGORITHMS.join(', ')}`);
  if (!ID_PATTERN.test(args.id)) throw new UsageError(`--id ${args.id}: expected 1-64 letters, digits, '.', '_' or '-'`);
  const peers = new Map<string, HostPort>();
  for (const spec of args.peer) {
    const eq = spec.indexOf('=');
    const id = spec.slice(0, eq);
    if (eq <= 0 || !ID_PATTERN.test(id)) throw new UsageError(`--peer ${spec}: expected id=host:port`);
    if (id === args.id) throw new UsageError(`--peer ${spec}: a node is not its own peer`);
    if (peers.has(id)) throw new UsageError(`--peer ${id}: given twice`);
    peers.set(id, address(`--peer ${id}=`, spec.slice(eq + 1)));
  }
  if (!args.data) throw new UsageError('--data: a directory is required');
  const algorithm = await loadAlgorithm(args.algo);
  const { runtime, algo } = nodeOptions(args.algo, algorithm, parseSetPairs(args.set));
  return {
    algoName: args.algo,
    config: {
      id: args.id,
      listen: address('--listen', args.listen),
      api: address('--api', args.api),
      peers,
      dataDir: args.data,
      runtime,
      algoOptions: algo,
    },
  };
}

/**
 * Split `--set` settings into the runtime's knobs and the algorithm's, each validated; an
 * unknown key is a UsageError listing the known ones. Values are what a command line gives
 * (strings) or what a scenario file gives (numbers, booleans): both go through the same
 * coercion, so a scenario means what the same flags would.
 */
export function nodeOptions(algoName: string, algorithm: Algorithm, raw: Record<string, string | number | boolean>): { runtime: RuntimeOptions; algo: Record<string, unknown> } {
  const runtimeKeys = new Set(Object.keys(runtimeOptionsSchema.shape));
  const runtimeRaw: Record<string, string> = {};
  const algoRaw: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) (runtimeKeys.has(k) ? runtimeRaw : algoRaw)[k] = String(v);
  const algoKeys = Object.keys(algorithm.optionsSchema.shape);
  for (const k of Object.keys(algoRaw)) {
    if (!algoKeys.includes(k)) {
      const known = [...runtimeKeys, ...algoKeys].sort().join(', ');
      throw new UsageError(`--set ${k}: unknown option for ${algoName} (known: ${known})`);
    }
  }
  return { runtime: parseOptions(runtimeOptionsSchema, runtimeRaw), algo: parseOptions(algorithm.optionsSchema, algoRaw) };
}

/** Start a node and keep the process alive until a signal or the lifeline ends it. */
export async function runNode(args: NodeArgs): Promise<number> {
  const { config, algoName } = await buildNodeConfig(args);
  const runtime = new NodeRuntime(config, await loadAlgorithm(algoName));
  try {
    await runtime.start();
  } catch (err) {
    await runtime.stop().catch(() => undefined);
    // A core may reject its options only once it sees the cluster (e.g. a coordinator that
    // is not a member): that is bad usage, not a failure of the node.
    if (err instanceof UsageError) throw err;
    process.stderr.write(`parley node ${config.id}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 70;
  }
  return untilStopped(args.lifeline === true, () => runtime.stop(), (line) => process.stderr.write(`${new Date().toISOString()} ${config.id} ${line}\n`));
}
