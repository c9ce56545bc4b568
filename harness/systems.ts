/**
 * What runs as the nodes of a scenario, and what that changes for the run loop: parley's
 * own nodes (nothing), a user's program (`nodeCommand`), or etcd. Each is a `SystemSetup`:
 * how nodes start and report their status, how clients speak to them, how the fault plane
 * wires their peer links, and what the results should say about it.
 *
 * `checkSystem` runs before anything starts, so a scenario the system cannot run (a
 * missing program, a fault it cannot express) is a usage error (exit 64), not a failed run.
 */
import type { ClientDialect } from '../workloads/client.js';
import type { Cluster } from './cluster.js';
import type { FaultPlane, FaultPlaneOptions } from './faults/plane.js';
import { expandNemesis } from './faults/nemesis.js';
import { NodeCommandSystem, checkProgram, parseNodeCommand, type NodeSystem } from './node-command.js';
import type { SaturationRequest } from './saturate.js';
import type { FaultSpec, Scenario } from '../contracts/scenario.js';
import type { SystemFacts } from '../contracts/results.js';
import { hasLeader } from './traits.js';
import { nodeIds } from './cluster.js';

export interface SystemSetup {
  /** Nodes that are not parley's; absent: `parley node`. */
  nodes?: NodeSystem;
  /** How clients speak to the nodes; absent: the node contract. */
  dialect?: ClientDialect;
  plane: Pick<FaultPlaneOptions, 'streams'>;
  /** Create the link proxies and route the cluster's peers through them. */
  wire(plane: FaultPlane, cluster: Cluster): Promise<void>;
  /** After start: wait for the leader, if there is one to wait for. */
  settle(cluster: Cluster, note: (line: string) => void): Promise<void>;
  saturation?: SaturationRequest;
  /** For results.json (absent for parley's own nodes). */
  facts?: SystemFacts;
  /** Undo what setting up needed beyond processes (nothing yet; called even after a failure). */
  dispose(): Promise<void>;
}

/** The faults a scenario will run: its schedule, or its nemeses expanded by its seed. */
export function plannedFaults(scenario: Scenario): FaultSpec[] {
  return scenario.faults.length > 0 || !scenario.nemesis ? scenario.faults : expandNemesis(scenario);
}

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
