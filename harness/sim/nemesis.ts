/**
 * The simulator's nemesis: denser and nastier than a real run's, because a simulated second
 * costs microseconds. Faults arrive about every second and overlap; each is held from a
 * fraction of an election timeout to several seconds, so both sides of a partition have
 * time to elect (some majority-minority cuts leave the leader with followers on the minority
 * side); crashes come as kill -9 and as power loss (of one node, a majority, or all), clocks
 * skew and jump, and single links clog (slow to a crawl while the others
 * run, so messages on other links overtake theirs) or drop and reset on their own. The schedule uses the same fault kinds, names and
 * format as `parley run` (contracts/scenario.ts), so a schedule file works in both.
 *
 * `catch-up` reaches snapshots and compaction: one node is cut off or down for seconds,
 * long enough for the others to compact their logs past it (with the simulator's tiny
 * thresholds, e.g. `--set snapshotEntries=20`), and is crashed again moments after it comes
 * back, while it catches up by snapshot, then restarts from whatever it made durable.
 */
import { Random } from '../../nodes/common/random.js';
import { PARTITION_SHAPES, faultSchema, type FaultSpec } from '../../contracts/scenario.js';

export const SIM_NEMESES = ['latency', 'clog', 'drop', 'partition', 'crash', 'pause', 'leader-crash', 'power-loss', 'clock', 'catch-up', 'chaos'] as const;
export type SimNemesis = (typeof SIM_NEMESES)[number];
const ALL: Exclude<SimNemesis, 'chaos'>[] = ['latency', 'clog', 'drop', 'partition', 'crash', 'pause', 'leader-crash', 'power-loss', 'clock', 'catch-up'];

/** Log-uniform in [lo, hi]: as many short holds as long ones. */
function holdMs(rnd: Random, lo: number, hi: number): number {
  return Math.round(Math.exp(Math.log(lo) + rnd.float() * (Math.log(hi) - Math.log(lo))));
}

/**
 * One crash in three is a blip: the node is back 5-150 ms later (a power loss 25-150 ms, as
 * it strikes within 20 ms), as under a supervisor that restarts at once, so it rejoins inside
 * the election or round it left, while what it said before the crash is still in flight
 * (what it forgot to persist then matters most).
 */
function blip(rnd: Random, duration: number, minMs = 5): number {
  return rnd.chance(1 / 3) ? Math.min(duration, holdMs(rnd, minMs, 150)) : duration;
}

/**
 * A node away long enough to fall behind the others' compacted logs (isolated, or down),
 * then crashed 20-400 ms after it is back (mid-install; a power loss one time in three).
 */
function catchUp(at: number, rnd: Random, nodes: number, last: number): FaultSpec[] {
  const victim = `n${rnd.int(1, nodes)}`;
  const away = Math.min(holdMs(rnd, 1500, 5000), last - at - 400);
  if (away < 500) return [];
  const first =
    rnd.chance(0.5) || nodes < 3
      ? faultSchema.parse({ at, duration: away, kind: 'crash', target: victim })
      : faultSchema.parse({ at, duration: away, kind: 'partition', shape: 'isolate', target: victim, mode: 'blackhole' });
  const crashAt = at + away + rnd.int(20, 400);
  const down = Math.min(holdMs(rnd, 150, 1500), last - crashAt);
  if (down < 50) return [first];
  return [first, faultSchema.parse({ at: crashAt, duration: down, kind: 'crash', mode: rnd.chance(1 / 3) ? 'power-loss' : 'kill', target: victim })];
}

function one(kind: Exclude<SimNemesis, 'chaos' | 'catch-up'>, at: number, duration: number, rnd: Random, nodes: number, leaders: boolean): FaultSpec {
  const base = { at, duration };
  const leaderOr = (other: string) => (leaders && rnd.chance(0.4) ? 'leader' : other);
  switch (kind) {
    case 'latency':
      return faultSchema.parse({ ...base, kind: 'latency', target: rnd.chance(0.5) ? 'all' : leaderOr('random'), latencyMs: rnd.pick([5, 20, 50, 150, 400]), jitterMs: rnd.pick([0, 5, 50, 200]) });
    case 'clog':
      // A few directed links slow to a crawl while the rest run: messages on other links overtake them.
      return faultSchema.parse({ ...base, kind: 'latency', target: 'random-links', latencyMs: rnd.pick([30, 100, 300, 1000]), jitterMs: rnd.pick([0, 20, 200]) });
    case 'drop': {
      const target = rnd.pick(['all', 'random-links', leaderOr('random')]);
      const probability = rnd.pick([0.2, 0.5, 1]);
      const how = rnd.int(0, 2);
      if (how === 0) return faultSchema.parse({ ...base, kind: 'drop', target, probability });
      return faultSchema.parse({ ...base, kind: 'reset', target, probability, afterBytes: how === 1 ? 0 : rnd.int(50, 4000) });
    }
    case 'partition': {
      const shapes = PARTITION_SHAPES.filter((s) => (nodes >= 3 || s === 'isolate' || s === 'one-way') && (leaders || s !== 'isolate-leader'));
      const shape = rnd.pick(shapes);
      // As in real chaos, some majority-minority cuts leave the leader on the minority side
      // with followers it still replicates to: a suffix the majority overwrites.
      const target = shape === 'majority-minority' ? leaderOr('random') : 'random';
      return faultSchema.parse({ ...base, kind: 'partition', shape, target, mode: rnd.chance(0.75) ? 'blackhole' : 'disable' });
    }
    case 'crash':
      return faultSchema.parse({ ...base, duration: blip(rnd, duration), kind: 'crash', target: rnd.pick(['random', 'random', 'random-minority', leaderOr('random')]) });
    case 'leader-crash':
      return leaders ? faultSchema.parse({ ...base, kind: 'leader-crash', target: 'leader' }) : faultSchema.parse({ ...base, kind: 'crash', target: 'random' });
    case 'power-loss':
      // At least 25 ms: a power loss strikes within 20 ms (inside a sync), before the power is back.
      return faultSchema.parse({ ...base, duration: blip(rnd, duration, 25), kind: 'crash', mode: 'power-loss', target: rnd.pick(['random', 'majority', 'all', leaderOr('random')]) });
    case 'pause':
      return faultSchema.parse({ ...base, kind: 'pause', target: rnd.pick(['random', 'random-minority', leaderOr('random')]) });
    case 'clock':
      return faultSchema.parse({ ...base, kind: 'clock', target: leaderOr('random'), clockRate: rnd.pick([0.25, 0.5, 2, 4]), clockJumpMs: rnd.pick([0, 0, 300, 1500]) });
  }
}

/**
 * A seeded schedule over `durationMs`: faults from `names` arriving about every
 * `meanGapMs` (exponential gaps, so they cluster and overlap), each held 150 ms to 4 s
 * (a third of the crashes only 5-150 ms).
 */
export function simSchedule(names: readonly SimNemesis[], opts: { seed: number; nodes: number; durationMs: number; leaders: boolean; meanGapMs?: number }): FaultSpec[] {
  const rnd = Random.derive(opts.seed, 'sim:nemesis');
  const pool = names.includes('chaos') ? ALL : (names.filter((n) => n !== 'chaos') as Exclude<SimNemesis, 'chaos'>[]);
  const gap = opts.meanGapMs ?? 1000;
  const out: FaultSpec[] = [];
  // The last fault ends a little before the load does, so what follows the heal is measured too.
  const last = opts.durationMs - 500;
  let at = 200 + rnd.int(0, 600);
  while (at < last) {
    const duration = Math.min(holdMs(rnd, 150, 4000), last - at);
    const kind = rnd.pick(pool);
    if (kind === 'catch-up') out.push(...catchUp(at, rnd, opts.nodes, last));
    else if (duration >= 50) out.push(one(kind, at, duration, rnd, opts.nodes, opts.leaders));
    at += Math.max(50, Math.round(-Math.log(1 - rnd.float()) * gap));
  }
  return out;
}
