/**
 * Named nemeses (`--faults partition,crash`, or `chaos` for all of them) expanded into a
 * concrete, seeded fault schedule, as aggressive as Jepsen's: faults arrive at random
 * (exponential gaps around `interval`, so they cluster and overlap), each held for a random
 * time around `faultDuration` (partitions at least long enough for both sides to hold an
 * election), and `chaos` adds combinations that single faults never make:
 *
 *   partition + paused leader     the leader stops while its side is cut off
 *   crash during a partition      a node of either side dies while it is cut
 *   rolling restart               every node crashed in turn, one after the other
 *   kill while catching up        a node restarted and killed again before it caught up
 *   partition + slow leader clock the leader cut off while its clock runs slow (parley's nodes)
 *   new leader                    the leader crashed, then whoever replaced it
 *   power loss of a majority      unsynced writes gone on most nodes at once
 *   power loss of every node      a data centre's outage: only what was synced survives
 *   followers, then the leader    every follower loses power inside an fsync, and the leader is
 *                                 killed while they are down and stays down longer: the
 *                                 next leader is elected from what they made durable
 *   power lost twice              a majority or all lose power, come back, and crash again
 *                                 soon after: recovery must leave files the next one reads
 *   deposed leader                the leader cut off with followers (its clock slow at times),
 *                                 then its replacement killed or paused soon after the heal:
 *                                 logs that diverged from what was committed stand for election
 *   leader churn                  the leader crashed 3-5 times running, each time whoever
 *                                 replaced it, briefly: old leaders return with logs that
 *                                 diverged (Raft's figure 8 is one such history)
 *
 * On parley's own nodes a crash may land at a failpoint (POST /failpoint): a power loss in
 * the middle of the victim's next fsync (written, not yet durable: the cut keeps at times a
 * torn prefix), and a kill -9 right after one, before the Ready's messages leave. Where a
 * kill from outside lands is chance, and a node spends little of its time inside a sync.
 *
 * Partitions are drawn twice as often as any other single fault, and the boundary shape
 * (halves of an even cluster) twice as often as any other shape; half the majority-minority
 * cuts put the leader on the minority side. A clock fault reaches
 * parley's own nodes (POST /clock skews the clock their protocol timers run on); chaos
 * leaves clocks alone for etcd and a node command's nodes.
 *
 * `catch-up` reaches snapshots and compaction (nodes/common/snapshots.ts): one node is cut
 * off for nearly a whole `interval`, so the others may compact their logs past it (a node
 * must miss `snapshotEntries` entries: at 1,000 writes/s and the default 10,000, an
 * interval of 15 s or more), then crashed moments after it is back, while it installs a
 * snapshot, and restarted from what it made durable. (Cut off, not down: a real restart
 * takes a variable while, and a crash landing during it would hit a node still starting,
 * not one catching up. The simulator, whose restarts take no time, uses both.)
 *
 * A combination is several entries of the flat schedule with coordinated offsets and, where
 * it must be the same node twice, an explicit node id. The schedule is stored in
 * results.json, so a replay runs exactly the same faults at the same offsets.
 */
import { Random } from '../../nodes/common/random.js';
import { PARTITION_SHAPES, faultSchema, type FaultSpec, type Scenario } from '../../contracts/scenario.js';
import { ownNodes, oneWayImpossible } from '../traits.js';

type Nemesis = NonNullable<Scenario['nemesis']>['names'][number];
type Single = Exclude<Nemesis, 'chaos' | 'catch-up'>;
type Combo =
  | 'partition+pause-leader'
  | 'partition+slow-leader-clock'
  | 'crash-during-partition'
  | 'rolling-restart'
  | 'kill-while-catching-up'
  | 'new-leader'
  | 'power-loss-majority'
  | 'power-loss-all'
  | 'power-loss-twice'
  | 'power-loss-then-leader'
  | 'deposed-leader'
  | 'leader-churn';
const SINGLES: Single[] = ['latency', 'drop', 'partition', 'crash', 'pause', 'leader-crash', 'power-loss', 'clock'];
const COMBOS: Combo[] = [
  'partition+pause-leader',
  'partition+slow-leader-clock',
  'crash-during-partition',
  'rolling-restart',
  'kill-while-catching-up',
  'new-leader',
  'power-loss-majority',
  'power-loss-all',
  'power-loss-twice',
  'power-loss-then-leader',
  'deposed-leader',
  'leader-churn',
];
/** What needs a clock fault, which only some nodes can take (harness/traits.ts ownNodes). */
const NEEDS_CLOCK: readonly string[] = ['clock', 'partition+slow-leader-clock'];
/**
 * How many times as often chaos draws a kind: partitions are what most agreement bugs need
 * (split brain, stale reads from a deposed leader, quorum arithmetic), so they come twice as
 * often as any other single fault.
 */
const WEIGHT: Partial<Record<Single | Combo | 'catch-up', number>> = { partition: 2 };

/** Partitions are held at least this long: several election timeouts, so both sides act. */
const MIN_PARTITION_MS = 1500;

interface Ctx {
  rnd: Random;
  nodes: number;
  /** The nemesis interval: how long a catch-up victim stays away. */
  interval: number;
  leaders: boolean;
  /** Whether one direction of a link can be cut on its own (not for etcd: harness/traits.ts). */
  oneWay: boolean;
  /** parley's own nodes (harness/traits.ts ownNodes): crashes may land at failpoints, clocks may be skewed. */
  ownNodes: boolean;
}

/**
 * Where a crash lands on nodes that serve failpoints: a power loss in the middle of the
 * victim's next fsync half the time, a kill -9 right after one a third of the time;
 * otherwise wherever the kill finds it. Nothing is drawn for other nodes, so their
 * schedules do not shift.
 */
function crashPoint({ rnd, ownNodes: failpoints }: Ctx, mode: 'kill' | 'power-loss'): { point?: 'before-sync' | 'after-sync' } {
  if (!failpoints) return {};
  if (mode === 'power-loss') return rnd.chance(0.5) ? { point: 'before-sync' } : {};
  return rnd.chance(1 / 3) ? { point: 'after-sync' } : {};
}

/**
 * The partition shapes to draw from, the boundary one twice: the cut whose sides are as even
 * as the cluster allows (halves for an even cluster, where neither side has a majority; for
 * an odd one halves is majority-minority again) is the one that tests quorum arithmetic.
 */
function partitionShapes({ nodes, leaders, oneWay }: Ctx): (typeof PARTITION_SHAPES)[number][] {
  const shapes = PARTITION_SHAPES.filter((s) => (nodes >= 3 || s === 'isolate' || s === 'one-way') && (leaders || s !== 'isolate-leader') && (oneWay || s !== 'one-way'));
  return nodes >= 4 && nodes % 2 === 0 ? [...shapes, 'halves'] : shapes;
}

const fault = (spec: Record<string, unknown>): FaultSpec => faultSchema.parse(spec);

function single(kind: Single, at: number, duration: number, ctx: Ctx): FaultSpec[] {
  const { rnd, leaders } = ctx;
  const base = { at, duration };
  const leaderOr = (other: string) => (leaders && rnd.chance(0.5) ? 'leader' : other);
  switch (kind) {
    case 'latency':
      return [fault({ ...base, kind: 'latency', target: rnd.chance(0.5) ? 'all' : leaderOr('random'), latencyMs: rnd.pick([20, 50, 100, 200]), jitterMs: rnd.pick([0, 10, 50]) })];
    case 'drop': {
      // Black holes, resets, and connections cut after a few frames (mid-frame, for limit_data).
      const target = rnd.chance(0.5) ? leaderOr('random') : 'all';
      const probability = rnd.pick([0.25, 0.5, 1]);
      const how = rnd.int(0, 2);
      if (how === 0) return [fault({ ...base, kind: 'drop', target, probability })];
      return [fault({ ...base, kind: 'reset', target, probability, afterBytes: how === 1 ? 0 : rnd.int(100, 5000) })];
    }
    case 'partition': {
      const shape = rnd.pick(partitionShapes(ctx));
      // Half of the majority-minority cuts leave the leader on the minority side, with
      // followers it still replicates to: their logs grow a suffix the majority overwrites.
      const target = shape === 'majority-minority' && leaders && rnd.chance(0.5) ? 'leader' : 'random';
      return [fault({ ...base, duration: Math.max(duration, MIN_PARTITION_MS), kind: 'partition', shape, target, mode: rnd.pick(['blackhole', 'disable']) })];
    }
    case 'crash':
      return [fault({ ...base, kind: 'crash', target: rnd.chance(0.3) ? 'random-minority' : leaderOr('random'), ...crashPoint(ctx, 'kill') })];
    case 'pause':
      return [fault({ ...base, kind: 'pause', target: leaderOr('random') })];
    case 'leader-crash':
      // A third of the time the leader churns: crashed again and again, each time whoever leads.
      if (leaders && rnd.chance(1 / 3)) return combo('leader-churn', at, duration, ctx);
      return [fault({ ...base, kind: leaders ? 'leader-crash' : 'crash', target: leaders ? 'leader' : 'random' })];
    case 'power-loss': {
      // A power-loss nemesis is the whole family, a third each: the same nodes losing power
      // twice (what the first recovery left must read back), the followers losing it with the
      // leader killed before they are back, and one power loss of some nodes.
      const draw = rnd.float();
      if (draw < 1 / 3) return combo('power-loss-twice', at, duration, ctx);
      if (draw < 2 / 3 && leaders) return combo('power-loss-then-leader', at, duration, ctx);
      return [fault({ ...base, kind: 'crash', mode: 'power-loss', target: rnd.pick(['random', 'majority', leaders ? 'follower-majority' : 'majority', leaderOr('random')]), ...crashPoint(ctx, 'power-loss') })];
    }
    case 'clock':
      // As the simulator's: slow or fast, sometimes with a jump forward (a monotonic clock never runs back).
      return [fault({ ...base, kind: 'clock', target: leaderOr('random'), clockRate: rnd.pick([0.25, 0.5, 2, 4]), clockJumpMs: rnd.pick([0, 0, 300, 1500]) })];
  }
}

function combo(kind: Combo, at: number, duration: number, ctx: Ctx): FaultSpec[] {
  const { rnd, nodes, leaders } = ctx;
  const hold = Math.max(duration, MIN_PARTITION_MS);
  const node = () => `n${rnd.int(1, nodes)}`;
  switch (kind) {
    case 'partition+pause-leader':
      return [
        fault({ at, duration: hold, kind: 'partition', shape: nodes >= 3 ? 'majority-minority' : 'isolate', target: 'random' }),
        fault({ at: at + Math.round(hold / 4), duration: Math.round(hold / 2), kind: 'pause', target: leaders ? 'leader' : 'random' }),
      ];
    case 'partition+slow-leader-clock':
      // A leader cut off whose clock runs slow: it is the last to notice it lost its quorum, so
      // anything it still answers alone (a read served on a lease) overlaps the new leader's
      // writes. The clock is slowed first, so the leader's own timeout is already stretched.
      if (!leaders) return single('clock', at, duration, ctx);
      return [
        fault({ at, duration: hold + 100, kind: 'clock', target: 'leader', clockRate: rnd.pick([0.1, 0.25]) }),
        fault({ at: at + 50, duration: hold, kind: 'partition', shape: nodes >= 3 ? rnd.pick(['isolate-leader', 'majority-minority'] as const) : 'isolate', target: 'random' }),
      ];
    case 'crash-during-partition':
      return [
        fault({ at, duration: hold, kind: 'partition', shape: rnd.pick(nodes >= 3 ? (['halves', 'majority-minority', 'bridge'] as const) : (['isolate'] as const)), target: 'random' }),
        fault({ at: at + Math.round(hold / 3), duration: Math.round(hold / 2), kind: 'crash', target: 'random' }),
      ];
    case 'rolling-restart': {
      // Every node in turn, each down briefly, the next one killed soon after the last came back.
      const down = rnd.int(300, 1000);
      const gap = down + rnd.int(200, 800);
      return Array.from({ length: nodes }, (_, i) => fault({ at: at + i * gap, duration: down, kind: 'crash', target: `n${i + 1}` }));
    }
    case 'kill-while-catching-up': {
      const victim = node();
      return [
        fault({ at, duration: hold, kind: 'crash', target: victim }),
        fault({ at: at + hold + rnd.int(50, 400), duration: rnd.int(300, 1500), kind: 'crash', target: victim, mode: rnd.chance(0.5) ? 'power-loss' : 'kill' }),
      ];
    }
    case 'new-leader':
      if (!leaders) return single('crash', at, duration, ctx);
      // The replacement has been elected by then (a few election timeouts): it is the target.
      return [
        fault({ at, duration, kind: 'leader-crash', target: 'leader' }),
        fault({ at: at + rnd.int(1000, 2000), duration, kind: rnd.chance(0.5) ? 'leader-crash' : 'pause', target: 'leader' }),
      ];
    case 'power-loss-majority':
      // Half the time the leader is spared: it counted what those followers acknowledged.
      return [fault({ at, duration, kind: 'crash', mode: 'power-loss', target: leaders && rnd.chance(0.5) ? 'follower-majority' : 'majority', ...crashPoint(ctx, 'power-loss') })];
    case 'power-loss-all':
      // A whole data centre loses power: only what every node synced survives.
      return [fault({ at, duration, kind: 'crash', mode: 'power-loss', target: 'all', ...crashPoint(ctx, 'power-loss') })];
    case 'power-loss-twice': {
      // The same nodes twice: what the first recovery left (a torn tail, a half-done
      // compaction) must read back after the second, once more records followed it. The
      // second strike comes 1.5-3 s after the restart was due, once a real node serves again.
      const ids = Array.from({ length: nodes }, (_, i) => `n${i + 1}`);
      const victims = rnd.chance(0.5) ? ids : rnd.sample(ids, Math.floor(nodes / 2) + 1);
      return [
        fault({ at, duration, kind: 'crash', mode: 'power-loss', target: victims, ...crashPoint(ctx, 'power-loss') }),
        fault({ at: at + duration + rnd.int(1500, 3000), duration: rnd.int(300, 1000), kind: 'crash', mode: rnd.chance(0.5) ? 'power-loss' : 'kill', target: victims }),
      ];
    }
    case 'power-loss-then-leader': {
      if (!leaders) return combo('power-loss-majority', at, duration, ctx);
      // Every follower loses power in the middle of its next fsync (where the nodes serve
      // failpoints), so whatever it acknowledged ahead of that fsync is gone; the leader is
      // killed before they are back, so it cannot repair their logs, and stays down until a
      // new leader was elected from theirs. (With a follower spared, that one is up first,
      // holds the longest log and wins: the combination would test nothing.)
      return [
        fault({ at, duration, kind: 'crash', mode: 'power-loss', target: 'followers', ...(ctx.ownNodes && { point: 'before-sync' }) }),
        fault({ at: at + rnd.int(50, 200), duration: duration + rnd.int(1500, 3000), kind: 'leader-crash', target: 'leader' }),
      ];
    }
    case 'deposed-leader': {
      if (!leaders) return single('partition', at, duration, ctx);
      // The leader cut off on the minority side, with followers from five nodes up (alone in
      // three or four): clients still reach it, so it
      // appends entries of its term that only its side holds, while the majority elects and
      // commits over the same positions (on parley's nodes its clock runs slow half the time,
      // so it notices late and appends longer). Soon after the heal the new leader is killed
      // or paused: the old leader and its followers, their logs diverging from what was
      // committed, stand in the next election and must lose it or be repaired.
      const slow = ctx.ownNodes && rnd.chance(0.5);
      const cut = at + (slow ? 50 : 0);
      const heal = cut + hold;
      return [
        ...(slow ? [fault({ at, duration: hold + 100, kind: 'clock', target: 'leader', clockRate: 0.25 })] : []),
        fault({ at: cut, duration: hold, kind: 'partition', shape: nodes >= 3 ? 'majority-minority' : 'isolate', target: 'leader', mode: 'blackhole' }),
        fault({ at: heal + rnd.int(0, 300), duration: rnd.int(800, 2500), kind: rnd.chance(0.5) ? 'leader-crash' : 'pause', target: 'leader' }),
      ];
    }
    case 'leader-churn': {
      if (!leaders) return single('crash', at, duration, ctx);
      // Down briefly, so the old leaders are back (with whatever their logs held) for the next
      // election; the next crash comes once a replacement has been elected.
      const times = rnd.int(3, 5);
      let t = at;
      const out: FaultSpec[] = [];
      // On nodes with failpoints each leader dies at its next fsync: right after it made its
      // newest entries durable and before it sent them (a log only it holds, of its term, as
      // in Raft's figure 8), or, losing power, in the middle of that fsync.
      for (let i = 0; i < times; i++) {
        const mode = rnd.chance(1 / 3) ? 'power-loss' : 'kill';
        const point = ctx.ownNodes ? { point: mode === 'kill' ? 'after-sync' : 'before-sync' } : {};
        out.push(fault({ at: t, duration: rnd.int(200, 800), kind: 'leader-crash', target: 'leader', mode, ...point }));
        t += rnd.int(1200, 2500);
      }
      return out;
    }
  }
}

/** Isolated for most of an interval, then crashed 300-800 ms after coming back, for about a second. */
function catchUp(at: number, { rnd, nodes, interval }: Ctx): FaultSpec[] {
  const victim = `n${rnd.int(1, nodes)}`;
  const away = Math.max(1000, interval - 2500);
  return [
    fault({ at, duration: away, kind: 'partition', shape: 'isolate', target: victim, mode: 'blackhole' }),
    fault({ at: at + away + rnd.int(300, 800), duration: 1000, kind: 'crash', target: victim }),
  ];
}

/** How long a combination's entries span, so the schedule keeps them inside the load. */
function span(faults: readonly FaultSpec[], at: number): number {
  return Math.max(...faults.map((f) => f.at + f.duration)) - at;
}

export function expandNemesis(scenario: Scenario): FaultSpec[] {
  const nemesis = scenario.nemesis;
  if (!nemesis) return [];
  const rnd = Random.derive(scenario.seed, 'nemesis');
  const ctx: Ctx = { rnd, nodes: scenario.nodes, interval: nemesis.interval, leaders: scenario.algo !== 'gossip' && scenario.options.mode !== 'leaderless', oneWay: !oneWayImpossible(scenario), ownNodes: ownNodes(scenario) };
  const chaos = nemesis.names.includes('chaos');
  // Named nemeses are taken as asked (run-command.ts refuses clock where it cannot reach);
  // chaos leaves out what these nodes cannot take.
  const kinds: (Single | Combo | 'catch-up')[] = chaos
    ? ([...SINGLES, ...COMBOS, 'catch-up'] as const).filter((k) => ctx.ownNodes || !NEEDS_CLOCK.includes(k))
    : (nemesis.names.filter((n) => n !== 'chaos') as (Single | 'catch-up')[]);
  const pool = kinds.flatMap((k) => Array<typeof k>(WEIGHT[k] ?? 1).fill(k));
  const out: FaultSpec[] = [];
  const end = scenario.duration;
  let at = nemesis.start;
  for (let tries = 0; at < end - 500 && pool.length > 0 && tries < 10_000; tries++) {
    const kind = rnd.pick(pool);
    // Held from a third to twice the nominal duration (log-uniform: as many short as long).
    const lo = Math.max(200, nemesis.faultDuration / 3);
    const hi = Math.max(lo, nemesis.faultDuration * 2);
    const duration = Math.round(Math.exp(Math.log(lo) + rnd.float() * (Math.log(hi) - Math.log(lo))));
    const faults =
      kind === 'catch-up' ? catchUp(at, ctx) : (COMBOS as readonly string[]).includes(kind) ? combo(kind as Combo, at, duration, ctx) : single(kind as Single, at, duration, ctx);
    const fits = at + span(faults, at) <= end;
    if (fits) out.push(...faults);
    // Exponential gaps around the interval: faults cluster and overlap, as in Jepsen's nemeses.
    at += Math.max(300, Math.round(-Math.log(1 - rnd.float()) * nemesis.interval));
    if (!fits && at >= end - 500) break;
  }
  return out.sort((a, b) => a.at - b.at);
}

/** The faults a scenario will run: its schedule, or its nemeses expanded by its seed. */
export function plannedFaults(scenario: Scenario): FaultSpec[] {
  return scenario.faults.length > 0 || !scenario.nemesis ? scenario.faults : expandNemesis(scenario);
}
