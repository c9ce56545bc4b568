/** What the run loop needs to know about an algorithm, beyond its name. */
import type { Scenario } from '../contracts/scenario.js';
import { runtimeOptionsSchema } from '../nodes/common/options.js';

/**
 * Whether the cluster has a leader (or coordinator) to wait for and to aim `target: leader`
 * at. A node command's nodes say so themselves, in GET /status (NodeCommandSystem.settle).
 */
export function hasLeader(scenario: Pick<Scenario, 'algo' | 'options'> & Partial<Pick<Scenario, 'nodeCommand'>>): boolean {
  return scenario.nodeCommand === undefined && scenario.algo !== 'gossip' && scenario.options.mode !== 'leaderless';
}

/** Reads answered from a local replica: no linearizability promised (it still converges). */
export function isEventual(scenario: Pick<Scenario, 'algo'> & Partial<Pick<Scenario, 'consistency'>>): boolean {
  return scenario.consistency === undefined ? scenario.algo === 'gossip' : scenario.consistency === 'eventual';
}

/**
 * Whether the nodes send messages on connections their peers dialled (etcd streams its
 * messages to a peer over the peer's own connection): then one direction of a link cannot
 * be cut on its own, and one-way partitions are not offered.
 */
export function oneWayImpossible(scenario: Pick<Scenario, 'algo'> & Partial<Pick<Scenario, 'nodeCommand'>>): boolean {
  return scenario.algo === 'etcd' && scenario.nodeCommand === undefined;
}

/**
 * Whether the nodes are parley's own, which serve the fault hooks: a clock fault (POST /clock:
 * their protocol timers run on a clock it skews) and a crash at a failpoint (POST /failpoint).
 * etcd and a node command's nodes run on the machine's clock, which processes on one machine
 * share, and die only where a kill -9 finds them.
 */
export function ownNodes(scenario: Pick<Scenario, 'algo'> & Partial<Pick<Scenario, 'nodeCommand'>>): boolean {
  return scenario.nodeCommand === undefined && scenario.algo !== 'etcd';
}

/** Whether the nodes sync what they write (`--set fsync=false` turns it off, and with it every promise across a power loss). */
export function fsyncOn(options: Scenario['options']): boolean {
  const parsed = runtimeOptionsSchema.shape.fsync.safeParse(options.fsync);
  return !parsed.success || parsed.data;
}
