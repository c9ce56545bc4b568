/**
 * A sweep's recipe: one case per seed. The scenario is fixed except its seed, and its fault
 * schedule is either fixed (a schedule file) or drawn from the seed by the simulator's
 * nemesis (named nemeses), so every seed meets different faults.
 */
import type { SimCase } from './run-case.js';
import { simSchedule, type SimNemesis } from './nemesis.js';
import { hasLeader } from '../traits.js';
import { drawKnobs } from './knobs.js';
import { Random } from '../../nodes/common/random.js';
import { ALGORITHMS, isAlgoName, type AlgoName } from '../../nodes/registry.js';
import { UsageError } from '../../nodes/common/errors.js';
import type { Scenario } from '../../contracts/scenario.js';

/**
 * The algorithm a simulated case runs. The simulator hosts parley's own cores; etcd and a
 * node command are real programs, which only `parley run` can drive.
 */
export function simAlgorithm(scenario: Pick<Scenario, 'algo' | 'nodeCommand'> & Partial<Pick<Scenario, 'faults'>>): AlgoName {
  if (scenario.nodeCommand !== undefined) throw new UsageError("nodeCommand: parley sim simulates parley's own algorithms; run your node with parley run");
  if (!isAlgoName(scenario.algo)) throw new UsageError(`algo ${scenario.algo}: parley sim simulates ${ALGORITHMS.join(', ')}; run ${scenario.algo} with parley run`);
  const failpoint = (scenario.faults ?? []).findIndex((f) => f.point !== undefined);
  if (failpoint >= 0) {
    throw new UsageError(`faults.${failpoint}.point: failpoints are a real node's (POST /failpoint, parley run); the simulator already strikes its power losses inside a sync (docs/sim.md)`);
  }
  return scenario.algo;
}

export interface CaseTemplate {
  base: SimCase;
  /** Named nemeses to draw each seed's schedule from; null: `base.scenario.faults` as given. */
  nemesis: SimNemesis[] | null;
  /** Mean gap between faults of a drawn schedule (ms). */
  faultGapMs: number;
  /** Draw some of the algorithm's options per seed (knobs.ts); absent or false: only what --set gives. */
  knobs?: boolean;
  /**
   * With knobs: also draw hot keys (a quarter of the seeds run the workload on 2 keys), where
   * concurrent writes to one key, ties and lost updates are dense. False when --keys was given.
   */
  hotKeys?: boolean;
  /**
   * With knobs: a third of the seeds draw their faults four times as often (leader churn: a
   * new election before the last one's round settled). False when --fault-gap was given.
   */
  denseFaults?: boolean;
  /**
   * With knobs: a quarter of the kv seeds run on independent keys (each retired after
   * INDEPENDENT_OPS operations, as Jepsen's `independent`), where a lost, stale or divergent
   * write is its key's last word instead of being overwritten. False when --ops-per-key was given.
   */
  independentKeys?: boolean;
}

const HOT_KEYS = 2;
const INDEPENDENT_OPS = 50;

export function caseFor(t: CaseTemplate, seed: number): SimCase {
  const base = t.base.scenario;
  const options = t.knobs ? { ...drawKnobs(simAlgorithm(base), seed, base.options), ...base.options } : base.options;
  const draw = Random.derive(seed, 'sim:workload');
  const hot = t.knobs && t.hotKeys && base.workload.type !== 'bank' && draw.chance(0.25);
  const gap = t.knobs && t.denseFaults && draw.chance(1 / 3) ? t.faultGapMs / 4 : t.faultGapMs;
  // Drawn after the others, so a seed's other knobs are what they were before this one existed.
  const independent = t.knobs && t.independentKeys && base.workload.type === 'kv' && base.workload.opsPerKey === undefined && draw.chance(0.25);
  const workload = {
    ...base.workload,
    ...(hot && { keys: Math.min(base.workload.keys, HOT_KEYS) }),
    ...(independent && { opsPerKey: INDEPENDENT_OPS }),
  };
  const scenario = { ...base, options, seed, workload };
  const faults = t.nemesis
    ? simSchedule(t.nemesis, { seed, nodes: scenario.nodes, durationMs: scenario.duration, leaders: hasLeader(scenario), meanGapMs: gap })
    : scenario.faults;
  return { ...t.base, scenario: { ...scenario, faults } };
}
