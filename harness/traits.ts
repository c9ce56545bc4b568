/** What the run loop needs to know about an algorithm, beyond its name. */
import type { Scenario } from './scenario.js';

/** Whether the cluster has a leader (or coordinator) to wait for and to aim `target: leader` at. */
export function hasLeader(scenario: Pick<Scenario, 'algo' | 'options'>): boolean {
  return scenario.algo !== 'gossip' && scenario.options.mode !== 'leaderless';
}

/** Reads answered from a local replica: no linearizability promised (it still converges). */
export function isEventual(scenario: Pick<Scenario, 'algo'>): boolean {
  return scenario.algo === 'gossip';
}
