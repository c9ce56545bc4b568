/**
 * What runs as the nodes of a scenario, and what that changes for the run loop: parley's
 * own nodes (nothing), a user's program (`nodeCommand`), or etcd. Each is a `SystemSetup`:
 * how nodes start and report their status, how clients speak to them, how the fault plane
 * wires their peer links, and what the results should say about it.
 *
 * `checkSystem` runs before anything starts, so a scenario the system cannot run (a
 * missing program, a fault it cannot express) is a usage error (exit 64), not a failed run.
 */
import { NodeCommandSystem, checkProgram, parseNodeCommand } from './node-command.js';
import type { Scenario } from '../contracts/scenario.js';
import type { SystemSetup } from './system-setup.js';
import { hasLeader } from './traits.js';
import { nodeIds } from './cluster.js';

/** Refuse, before anything starts, what this system cannot run. */
export async function checkSystem(scenario: Scenario): Promise<void> {
  if (scenario.nodeCommand !== undefined) {
    checkProgram(parseNodeCommand(scenario.nodeCommand, nodeIds(scenario.nodes)));
    return;
  }
  if (scenario.algo === 'etcd') {
    const { checkEtcd } = await import('./etcd/system.js');
    await checkEtcd(scenario);
  }
}

export async function systemFor(scenario: Scenario, dir: string): Promise<SystemSetup> {
  if (scenario.algo === 'etcd' && scenario.nodeCommand === undefined) {
    const { etcdSystem } = await import('./etcd/system.js');
    return etcdSystem(dir);
  }
  if (scenario.nodeCommand !== undefined) {
    const nodes = new NodeCommandSystem(parseNodeCommand(scenario.nodeCommand, nodeIds(scenario.nodes)));
    return {
      nodes,
      plane: { streams: 'both' },
      wire: (plane, cluster) => plane.wire(cluster),
      settle: (cluster, note) => nodes.settle(cluster, note),
      facts: { kind: 'node-command', command: scenario.nodeCommand, links: 'per-link', streams: 'both', notes: [] },
      dispose: async () => undefined,
    };
  }
  return {
    plane: {},
    wire: (plane, cluster) => plane.wire(cluster),
    settle: async (cluster) => {
      if (hasLeader(scenario)) await cluster.waitForLeader(30_000);
    },
    dispose: async () => undefined,
  };
}
