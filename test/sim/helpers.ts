/**
 * Building simulated cases in tests: a scenario from a few fields, with parley sim's own
 * defaults, and the modules loaded once.
 */
import { parseScenario, type ScenarioInput, type FaultSpec } from '../../contracts/scenario.js';
import { loadAlgorithm, type AlgoName } from '../../nodes/registry.js';
import { workloadByName } from '../../workloads/registry.js';
import { CALIBRATED } from '../../harness/sim/engine/delay.js';
import type { SimCase, SimModules } from '../../harness/sim/run-case.js';
import type { WorkloadSpec } from '../../workloads/spec.js';

export function simCase(input: Partial<ScenarioInput> & { algo: AlgoName }, faults: Partial<FaultSpec>[] = []): SimCase {
  const scenario = parseScenario({ nodes: 5, rate: 100, clients: 10, duration: 6000, warmup: 300, checkBudget: 10_000, ...input, faults });
  return { scenario, net: CALIBRATED, sync: { kind: 'uniform', minMs: 0.05, maxMs: 2 } };
}

export async function modules(algo: AlgoName, workload: WorkloadSpec['type'] = 'kv'): Promise<SimModules> {
  return { algorithm: await loadAlgorithm(algo), workload: await workloadByName(workload) };
}
