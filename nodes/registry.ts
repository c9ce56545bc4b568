/**
 * The algorithms a node can run. Loaded lazily so a node process pays only for its own.
 */
import type { Algorithm } from './common/runtime.js';

export const ALGORITHMS = ['raft', 'paxos', 'twopc', 'gossip'] as const;
export type AlgoName = (typeof ALGORITHMS)[number];

export function isAlgoName(name: string): name is AlgoName {
  return (ALGORITHMS as readonly string[]).includes(name);
}

export async function loadAlgorithm(name: AlgoName): Promise<Algorithm> {
  switch (name) {
    case 'raft':
      return (await import('./raft/index.js')).raft as unknown as Algorithm;
    case 'paxos':
      return (await import('./paxos/index.js')).paxos as unknown as Algorithm;
    case 'gossip':
      return (await import('./gossip/index.js')).gossip as unknown as Algorithm;
    case 'twopc':
      return (await import('./twopc/index.js')).twopc as unknown as Algorithm;
    default:
      throw new Error(`algorithm ${name} is not built yet`);
  }
}
