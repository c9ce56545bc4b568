/**
 * Named nemeses (`--faults partition,crash`, or `chaos` for all of them) expanded into a
 * concrete, seeded fault schedule: a new fault every `interval`, each lasting
 * `faultDuration`, never two at once. The schedule is stored in results.json, so a replay
 * runs exactly the same faults at the same offsets.
 *
 * `catch-up` reaches snapshots and compaction (nodes/common/snapshots.ts): one node is cut
 * off for nearly the whole interval, so the others may compact their logs past it (a node
 * must miss `snapshotEntries` entries: at 1,000 writes/s and the default 10,000, an
 * interval of 15 s or more), then crashed moments after it is back, while it installs a
 * snapshot, and restarted from what it made durable. It takes its slot of the schedule
 * alone, like every other fault. (Cut off, not down: a real restart takes a variable
 * while, and a crash landing during it would hit a node still starting, not one catching
 * up. The simulator, whose restarts take no time, uses both.)
 */
import { Random } from '../../nodes/common/random.js';
import { PARTITION_SHAPES, faultSchema, type FaultSpec, type Scenario } from '../scenario.js';

type Nemesis = NonNullable<Scenario['nemesis']>['names'][number];
const ALL: Exclude<Nemesis, 'chaos'>[] = ['latency', 'drop', 'partition', 'crash', 'pause', 'leader-crash', 'catch-up'];

/** Isolated for most of the slot, then crashed 300-800 ms after coming back, for about a second. */
function catchUp(at: number, slot: number, rnd: Random, ids: readonly string[]): FaultSpec[] {
  const victim = rnd.pick(ids);
  const away = Math.max(1000, slot - 2500);
  return [
    faultSchema.parse({ at, duration: away, kind: 'partition', shape: 'isolate', target: victim, mode: 'blackhole' }),
    faultSchema.parse({ at: at + away + rnd.int(300, 800), duration: 1000, kind: 'crash', target: victim }),
  ];
}

function one(kind: Exclude<Nemesis, 'chaos' | 'catch-up'>, at: number, duration: number, rnd: Random, nodes: number): FaultSpec {
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
      const shapes = PARTITION_SHAPES.filter((s) => nodes >= 3 || s === 'isolate' || s === 'one-way');
      return faultSchema.parse({ ...base, kind: 'partition', shape: rnd.pick(shapes), target: 'random', mode: rnd.pick(['blackhole', 'disable']) });
    }
    case 'crash':
      return faultSchema.parse({ ...base, kind: 'crash', target: rnd.chance(0.3) ? 'random-minority' : 'random' });
    case 'pause':
      return faultSchema.parse({ ...base, kind: 'pause', target: rnd.chance(0.5) ? 'leader' : 'random' });
    case 'leader-crash':
      return faultSchema.parse({ ...base, kind: 'leader-crash', target: 'leader' });
    case 'power-loss':
      // A machine's power, or a whole rack's: a majority at once is what a lost synced write needs to show.
      return faultSchema.parse({ ...base, kind: 'crash', mode: 'power-loss', target: rnd.pick(['random', 'majority', 'leader', 'all']) });
    case 'clock':
      return faultSchema.parse({ ...base, kind: 'clock', target: 'random', clockRate: rnd.pick([0.5, 2, 5]), clockJumpMs: rnd.pick([0, 0, 500, 2000]) });
  }
}

export function expandNemesis(scenario: Scenario): FaultSpec[] {
  const nemesis = scenario.nemesis;
  if (!nemesis) return [];
  const rnd = Random.derive(scenario.seed, 'nemesis');
  const pool = nemesis.names.includes('chaos') ? ALL : (nemesis.names as Exclude<Nemesis, 'chaos'>[]);
  const out: FaultSpec[] = [];
  const step = Math.max(nemesis.interval, nemesis.faultDuration + 500);
  const ids = scenario.remote ? Object.keys(scenario.remote.nodes) : Array.from({ length: scenario.nodes }, (_, i) => `n${i + 1}`);
  for (let at = nemesis.start; at + nemesis.faultDuration <= scenario.duration; at += step) {
    const kind = rnd.pick(pool);
    if (kind !== 'catch-up') out.push(one(kind, at, nemesis.faultDuration, rnd, scenario.nodes));
    else if (at + step <= scenario.duration) out.push(...catchUp(at, step, rnd, ids));
  }
  return out;
}
