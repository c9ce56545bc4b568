/** What the run loop needs to know about an algorithm, beyond its name. */
import type { Scenario } from './scenario.js';

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
