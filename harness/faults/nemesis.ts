/**
 * Named nemeses (`--faults partition,crash`, or `chaos` for all of them) expanded into a
 * concrete, seeded fault schedule: a new fault every `interval`, each lasting
 * `faultDuration`, never two at once. The schedule is stored in results.json, so a replay
 * runs exactly the same faults at the same offsets.
 */
import { Random } from '../../nodes/common/random.js';
import { PARTITION_SHAPES, faultSchema, type FaultSpec, type Scenario } from '../scenario.js';
import { oneWayImpossible } from '../traits.js';

type Nemesis = NonNullable<Scenario['nemesis']>['names'][number];
const ALL: Exclude<Nemesis, 'chaos'>[] = ['latency', 'drop', 'partition', 'crash', 'pause', 'leader-crash'];

function one(kind: Exclude<Nemesis, 'chaos'>, at: number, duration: number, rnd: Random, nodes: number, oneWay: boolean): FaultSpec {
  const base = { at, duration };
  switch (kind) {
    case 'latency':
      return faultSchema.parse({ ...base, kind: 'latency', target: 'all', latencyMs: rnd.pick([20, 50, 100, 200]), jitterMs: rnd.pick([0, 10, 50]) });
    case 'drop': {
      // Black holes, resets, and connections cut after a few frames (mid-frame, for limit_data).
      const target = rnd.chance(0.5) ? 'random' : 'all';
      const probability = rnd.pick([0.25, 0.5, 1]);
      const how = rnd.int(0, 2);
      if (how === 0) return faultSchema.parse({ ...base, kind: 'drop', target, probability });
      return faultSchema.parse({ ...base, kind: 'reset', target, probability, afterBytes: how === 1 ? 0 : rnd.int(100, 5000) });
    }
    case 'partition': {
      const shapes = PARTITION_SHAPES.filter((s) => (nodes >= 3 || s === 'isolate' || s === 'one-way') && (oneWay || s !== 'one-way'));
      return faultSchema.parse({ ...base, kind: 'partition', shape: rnd.pick(shapes), target: 'random', mode: rnd.pick(['blackhole', 'disable']) });
    }
    case 'crash':
      return faultSchema.parse({ ...base, kind: 'crash', target: rnd.chance(0.3) ? 'random-minority' : 'random' });
    case 'pause':
      return faultSchema.parse({ ...base, kind: 'pause', target: rnd.chance(0.5) ? 'leader' : 'random' });
    case 'leader-crash':
      return faultSchema.parse({ ...base, kind: 'leader-crash', target: 'leader' });
  }
}

export function expandNemesis(scenario: Scenario): FaultSpec[] {
  const nemesis = scenario.nemesis;
  if (!nemesis) return [];
  const rnd = Random.derive(scenario.seed, 'nemesis');
  const pool = nemesis.names.includes('chaos') ? ALL : (nemesis.names as Exclude<Nemesis, 'chaos'>[]);
  const out: FaultSpec[] = [];
  const step = Math.max(nemesis.interval, nemesis.faultDuration + 500);
  for (let at = nemesis.start; at + nemesis.faultDuration <= scenario.duration; at += step) {
    out.push(one(rnd.pick(pool), at, nemesis.faultDuration, rnd, scenario.nodes, !oneWayImpossible(scenario)));
  }
  return out;
}
