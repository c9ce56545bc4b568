import { describe, expect, it } from 'vitest';
import { Random } from '../../nodes/common/random.js';
import { allLinks, linksTouching, partitionFocus, partitionLinks } from '../../harness/faults/topology.js';
import { expandNemesis } from '../../harness/faults/nemesis.js';
import { parseScenario } from '../../contracts/scenario.js';

const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];
const reach = (links: string[]) => {
  const cut = new Set(links);
  return (a: string, b: string) => a === b || !cut.has(`${a}->${b}`);
};

describe('partition shapes', () => {
  it('majority-minority cuts every link between the sides and no other', () => {
    const { links, groups } = partitionLinks('majority-minority', ids, null, new Random(3));
    const [majority, minority] = groups as [string[], string[]];
    expect(majority).toHaveLength(3);
    expect(minority).toHaveLength(2);
    const ok = reach(links);
    for (const a of ids) for (const b of ids) expect(ok(a, b)).toBe(majority.includes(a) === majority.includes(b));
  });

  it('majority-minority around a focus: the focus is on the minority side, with as many nodes as the minority holds', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { links, groups } = partitionLinks('majority-minority', ids, ['n3'], new Random(seed));
      const [majority, minority] = groups as [string[], string[]];
      expect(minority).toHaveLength(2);
      expect(minority[0]).toBe('n3');
      expect([...majority, ...minority].sort()).toEqual(ids);
      const ok = reach(links);
      for (const a of ids) for (const b of ids) expect(ok(a, b)).toBe(majority.includes(a) === majority.includes(b));
    }
    // Of three nodes the minority is the focus alone.
    expect(partitionLinks('majority-minority', ['n1', 'n2', 'n3'], ['n2'], new Random(1)).groups[1]).toEqual(['n2']);
    // Several nodes: as many as the minority holds, in order; the rest of it drawn.
    expect(partitionLinks('majority-minority', ids, ['n4', 'n1', 'n2'], new Random(2)).groups[1]).toEqual(['n4', 'n1']);
    expect(partitionLinks('majority-minority', ['n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7'], ['n6'], new Random(2)).groups[1]).toHaveLength(3);
    // Which target a shape resolves when it fires: none when the sides are drawn at random.
    for (const target of ['random', 'all', 'minority-links', 'random-links']) expect(partitionFocus({ shape: 'majority-minority', target })).toBeNull();
    expect(partitionFocus({ shape: 'majority-minority', target: ['n2', 'n3'] })).toEqual(['n2', 'n3']);
    expect(partitionFocus({ shape: 'majority-minority', target: 'leader' })).toBe('leader');
    expect(partitionFocus({ shape: 'isolate-leader', target: 'random' })).toBe('leader');
    expect(partitionFocus({ shape: 'isolate', target: 'all' })).toBe('random');
    expect(partitionFocus({ shape: 'halves', target: 'leader' })).toBeNull();
  });

  it('bridge: the halves cannot talk, the bridge node talks to both', () => {
    const { links, groups } = partitionLinks('bridge', ids, null, new Random(5));
    const bridge = groups[0]!.find((x) => groups[1]!.includes(x))!;
    const ok = reach(links);
    for (const x of ids) expect(ok(bridge, x) && ok(x, bridge)).toBe(true);
    const a = groups[0]!.filter((x) => x !== bridge);
    const b = groups[1]!.filter((x) => x !== bridge);
    for (const x of a) for (const y of b) expect(ok(x, y) || ok(y, x)).toBe(false);
  });

  it('ring: every node sees a majority, no two nodes the same one', () => {
    const { links } = partitionLinks('ring', ids, null, new Random(7));
    const ok = reach(links);
    const views = ids.map((a) => ids.filter((b) => ok(a, b)).sort().join(','));
    for (const v of views) expect(v.split(',').length).toBe(3);
    expect(new Set(views).size).toBe(ids.length);
  });

  it('one-way: the node hears everyone and nobody hears it', () => {
    const { links } = partitionLinks('one-way', ids, ['n2'], new Random(1));
    const ok = reach(links);
    for (const x of ids.filter((i) => i !== 'n2')) {
      expect(ok(x, 'n2')).toBe(true);
      expect(ok('n2', x)).toBe(false);
    }
  });

  it('isolate and link sets name directed links', () => {
    expect(partitionLinks('isolate', ids, ['n4'], new Random(1)).links.sort()).toEqual(linksTouching(ids, ['n4']).sort());
    expect(allLinks(['a', 'b', 'c'])).toEqual(['a->b', 'a->c', 'b->a', 'b->c', 'c->a', 'c->b']);
  });
});

describe('nemesis schedules', () => {
  const scenario = (seed: number, names: string[] = ['chaos']) =>
    parseScenario({ algo: 'raft', nodes: 5, duration: '60s', seed, nemesis: { names, interval: '4s', faultDuration: '2s' } });

  it('are a pure function of the seed and stay inside the load', () => {
    const a = expandNemesis(scenario(42));
    expect(expandNemesis(scenario(42))).toEqual(a);
    expect(expandNemesis(scenario(43))).not.toEqual(a);
    expect(a.length).toBeGreaterThanOrEqual(8);
    for (const f of a) expect(f.at + f.duration).toBeLessThanOrEqual(60_000);
    expect(new Set(a.map((f) => f.kind)).size).toBeGreaterThan(2);
  });

  it('draw random gaps and holds, overlap faults, and hold partitions long enough for both sides to elect', () => {
    const all = Array.from({ length: 20 }, (_, i) => expandNemesis(scenario(i + 1)));
    const gaps = new Set<number>();
    const holds = new Set<number>();
    let overlaps = 0;
    for (const schedule of all) {
      for (let i = 1; i < schedule.length; i++) {
        gaps.add(schedule[i]!.at - schedule[i - 1]!.at);
        if (schedule[i]!.at < schedule[i - 1]!.at + schedule[i - 1]!.duration) overlaps++;
      }
      for (const f of schedule) {
        holds.add(f.duration);
        if (f.kind === 'partition') expect(f.duration).toBeGreaterThanOrEqual(1500);
      }
    }
    expect(gaps.size).toBeGreaterThan(50);
    expect(holds.size).toBeGreaterThan(50);
    expect(overlaps).toBeGreaterThan(10);
  });

  it('chaos makes the combinations: a paused leader inside a partition, rolling restarts of every node, power loss of a majority, a node killed again while it catches up', () => {
    const all = Array.from({ length: 40 }, (_, i) => expandNemesis(scenario(i + 1))).flat();
    const within = (inner: { at: number; duration: number }, outer: { at: number; duration: number }) => inner.at >= outer.at && inner.at + inner.duration <= outer.at + outer.duration;
    const partitions = all.filter((f) => f.kind === 'partition');
    expect(all.some((f) => f.kind === 'pause' && f.target === 'leader' && partitions.some((p) => within(f, p)))).toBe(true);
    for (const n of ['n1', 'n2', 'n3', 'n4', 'n5']) expect(all.some((f) => f.kind === 'crash' && f.target === n)).toBe(true);
    expect(all.some((f) => f.kind === 'crash' && f.mode === 'power-loss' && f.target === 'majority')).toBe(true);
    const byNode = new Map<string, typeof all>();
    for (const f of all) if (f.kind === 'crash' && typeof f.target === 'string' && /^n\d$/.test(f.target)) byNode.set(f.target, [...(byNode.get(f.target) ?? []), f]);
    const again = [...byNode.values()].some((fs) => fs.some((a) => fs.some((b) => b.at > a.at + a.duration && b.at <= a.at + a.duration + 400)));
    expect(again).toBe(true);
  });

  it('chaos also slows a cut-off leader\'s clock, skews clocks, and cuts every node\'s power at once', () => {
    const all = Array.from({ length: 40 }, (_, i) => expandNemesis(scenario(i + 1))).flat();
    const within = (inner: { at: number; duration: number }, outer: { at: number; duration: number }) => inner.at >= outer.at && inner.at + inner.duration <= outer.at + outer.duration;
    const slowLeader = all.filter((f) => f.kind === 'clock' && f.target === 'leader' && f.clockRate < 1);
    // The clock is slowed first and stays slow for the whole partition.
    expect(all.some((p) => p.kind === 'partition' && slowLeader.some((c) => c.at < p.at && within(p, c)))).toBe(true);
    expect(new Set(all.filter((f) => f.kind === 'clock').map((f) => f.clockRate)).size).toBeGreaterThanOrEqual(4);
    expect(all.some((f) => f.kind === 'clock' && f.clockJumpMs > 0)).toBe(true);
    expect(all.some((f) => f.kind === 'crash' && f.mode === 'power-loss' && f.target === 'all')).toBe(true);
  });

  it('chaos draws partitions most, and for an even cluster the halves where neither side has a majority more than the other single shapes', () => {
    const even = (seed: number) => parseScenario({ algo: 'paxos', nodes: 4, duration: '60s', seed, nemesis: { names: ['chaos'], interval: '4s', faultDuration: '2s' } });
    const all = Array.from({ length: 200 }, (_, i) => expandNemesis(even(i + 1))).flat();
    const count = (pred: (f: (typeof all)[number]) => boolean) => all.filter(pred).length;
    const partitions = count((f) => f.kind === 'partition');
    for (const other of ['latency', 'pause', 'drop'] as const) expect(partitions).toBeGreaterThan(count((f) => f.kind === other));
    const shapes = new Map<string, number>();
    for (const f of all) if (f.kind === 'partition') shapes.set(f.shape, (shapes.get(f.shape) ?? 0) + 1);
    const halves = shapes.get('halves') ?? 0;
    // (majority-minority is also what the partition combinations cut, and isolate what catch-up does.)
    for (const shape of ['bridge', 'ring', 'one-way', 'isolate-leader']) expect(halves, shape).toBeGreaterThan(shapes.get(shape) ?? 0);
  });

  it('chaos crashes parley\'s nodes at failpoints: power losses inside a sync, kills right after one; never etcd\'s', () => {
    const all = Array.from({ length: 40 }, (_, i) => expandNemesis(scenario(i + 1))).flat();
    const crashes = all.filter((f) => f.kind === 'crash' || f.kind === 'leader-crash');
    expect(crashes.some((f) => f.mode === 'power-loss' && f.point === 'before-sync')).toBe(true);
    expect(crashes.some((f) => f.mode === 'kill' && f.point === 'after-sync')).toBe(true);
    expect(crashes.some((f) => f.point === undefined)).toBe(true);
    // A kill before the sync would keep the write (the page cache survives): only power losses land there.
    expect(crashes.filter((f) => f.point === 'before-sync').every((f) => f.mode === 'power-loss')).toBe(true);
    const etcd = (seed: number) => parseScenario({ algo: 'etcd', nodes: 3, duration: '60s', seed, nemesis: { names: ['chaos'], interval: '2s', faultDuration: '2s' } });
    expect(Array.from({ length: 20 }, (_, i) => expandNemesis(etcd(i + 1))).flat().filter((f) => f.point !== undefined)).toEqual([]);
  });

  it('chaos cuts the followers\' power and then kills the leader before they are back, for longer', () => {
    const all = Array.from({ length: 60 }, (_, i) => expandNemesis(scenario(i + 1))).flat();
    const pairs = all.filter((f) => f.kind === 'crash' && f.mode === 'power-loss' && f.target === 'followers');
    const leaderAfter = (p: (typeof all)[number]) => all.find((l) => l.kind === 'leader-crash' && l.at >= p.at + 50 && l.at <= p.at + 200 && l.at + l.duration > p.at + p.duration + 1000);
    expect(pairs.length).toBeGreaterThan(0);
    for (const p of pairs) expect(p.point).toBe('before-sync');
    expect(pairs.every((p) => leaderAfter(p))).toBe(true);
    // The power-loss nemesis also spares the leader on its own, a majority of followers.
    expect(all.some((f) => f.kind === 'crash' && f.mode === 'power-loss' && f.target === 'follower-majority')).toBe(true);
  });

  it('chaos churns the leader (3-5 crashes in a row, each of whoever leads then) and cuts the same nodes\' power twice', () => {
    const all = Array.from({ length: 60 }, (_, i) => expandNemesis(scenario(i + 1)));
    const churn = all.some((schedule) => {
      const crashes = schedule.filter((f) => f.kind === 'leader-crash' && f.duration <= 800);
      return crashes.some((first) => crashes.filter((c) => c.at >= first.at && c.at <= first.at + 4 * 2500).length >= 3);
    });
    expect(churn).toBe(true);
    const twice = all.flat().filter((f) => f.kind === 'crash' && Array.isArray(f.target));
    const again = twice.some((a) => a.mode === 'power-loss' && twice.some((b) => b !== a && JSON.stringify(b.target) === JSON.stringify(a.target) && b.at >= a.at + a.duration + 1500 && b.at <= a.at + a.duration + 3000));
    expect(again).toBe(true);
  });

  it('chaos deposes the leader: cut off on a minority side with followers, its replacement killed or paused soon after the heal', () => {
    const all = Array.from({ length: 60 }, (_, i) => expandNemesis(scenario(i + 1))).flat();
    const cuts = all.filter((f) => f.kind === 'partition' && f.shape === 'majority-minority' && f.target === 'leader');
    expect(cuts.length).toBeGreaterThan(10);
    const next = (p: (typeof all)[number]) =>
      all.find((f) => (f.kind === 'leader-crash' || f.kind === 'pause') && f.target === 'leader' && f.at >= p.at + p.duration && f.at <= p.at + p.duration + 300);
    const deposed = cuts.filter((p) => next(p));
    expect(deposed.length).toBeGreaterThan(0);
    expect(new Set(deposed.map((p) => next(p)!.kind))).toEqual(new Set(['leader-crash', 'pause']));
    // Half the time the cut-off leader's clock runs slow for the whole cut, so it appends longer.
    expect(deposed.some((p) => all.some((c) => c.kind === 'clock' && c.target === 'leader' && c.clockRate === 0.25 && c.at <= p.at && c.at + c.duration >= p.at + p.duration))).toBe(true);
    // Leaderless systems get a plain partition instead.
    const gossip = (seed: number) => parseScenario({ algo: 'gossip', nodes: 5, duration: '60s', seed, nemesis: { names: ['chaos'], interval: '4s', faultDuration: '2s' } });
    expect(Array.from({ length: 30 }, (_, i) => expandNemesis(gossip(i + 1))).flat().filter((f) => f.target === 'leader')).toEqual([]);
  });

  it('chaos leaves clocks alone for nodes that cannot take a clock fault (etcd, a node command)', () => {
    const etcd = (seed: number) => parseScenario({ algo: 'etcd', nodes: 3, duration: '60s', seed, nemesis: { names: ['chaos'], interval: '2s', faultDuration: '2s' } });
    const all = Array.from({ length: 40 }, (_, i) => expandNemesis(etcd(i + 1))).flat();
    expect(all.length).toBeGreaterThan(100);
    expect(all.filter((f) => f.kind === 'clock')).toEqual([]);
  });

  it('named nemeses keep to their own kinds', () => {
    for (const f of expandNemesis(scenario(5, ['clock']))) expect(f.kind).toBe('clock');
    for (const f of expandNemesis(scenario(5, ['partition']))) expect(f.kind).toBe('partition');
    // The power-loss family: power losses, the same nodes crashed again once they are back, the
    // followers' power cut and the leader killed before they return.
    const power = Array.from({ length: 10 }, (_, i) => expandNemesis(scenario(i + 1, ['power-loss']))).flat();
    for (const f of power) expect(['crash', 'leader-crash']).toContain(f.kind);
    expect(power.filter((f) => f.mode === 'power-loss').length).toBeGreaterThan(power.length / 2);
    expect(power.some((f) => f.kind === 'leader-crash')).toBe(true);
    // Leader crashes, once or churning.
    for (const f of expandNemesis(scenario(5, ['leader-crash']))) expect(f).toMatchObject({ kind: 'leader-crash', target: 'leader' });
  });

  it('catch-up: one node cut off for most of an interval, then crashed soon after it is back', () => {
    const s = parseScenario({ algo: 'raft', nodes: 5, duration: '60s', seed: 7, nemesis: { names: ['catch-up'], interval: '20s', faultDuration: '2s' } });
    const faults = expandNemesis(s);
    const away = faults.filter((f) => f.kind === 'partition');
    expect(away.length).toBeGreaterThanOrEqual(1);
    expect(faults.length).toBe(2 * away.length);
    for (const cut of away) {
      expect(cut).toMatchObject({ shape: 'isolate', duration: 20_000 - 2500 });
      const again = faults.find((f) => f.kind === 'crash' && f.target === cut.target && f.at > cut.at + cut.duration);
      expect(again).toBeDefined();
      expect(again!.at - (cut.at + cut.duration)).toBeGreaterThanOrEqual(300);
      expect(again!.at - (cut.at + cut.duration)).toBeLessThanOrEqual(800);
      expect(again!.at + again!.duration).toBeLessThanOrEqual(60_000);
    }
  });
});

/** A three-node cluster whose n1 crashes, restarts and pauses as `n1` says; the runner sees only this. */
function fakeCluster(n1: { crash(): Promise<void>; restart(): Promise<void>; up(): boolean; paused?: () => boolean; pause?: (paused: boolean) => void }) {
  const paused = () => n1.paused?.() ?? false;
  return {
    ids: ['n1', 'n2', 'n3'],
    spec: {},
    isUp: (id: string) => id !== 'n1' || (n1.up() && !paused()),
    isRunning: (id: string) => id !== 'n1' || n1.up(),
    crash: () => n1.crash(),
    restart: () => n1.restart(),
    pause: () => n1.pause?.(true),
    resume: () => n1.pause?.(false),
    node: () => ({ dataDir: null }),
  };
}

async function runCrashes(cluster: ReturnType<typeof fakeCluster>, crashes: { at: number; duration: number; kind?: 'crash' | 'pause' }[]) {
  const { FaultRunner } = await import('../../harness/faults/runner.js');
  const { Random } = await import('../../nodes/common/random.js');
  const { monoNs } = await import('../../nodes/common/clock.js');
  const { faultSchema } = await import('../../contracts/scenario.js');
  const schedule = crashes.map((c) => faultSchema.parse({ kind: 'crash', target: 'n1', ...c }));
  const runner = new FaultRunner(schedule, cluster as never, null, new Random(1), Number(monoNs()), () => undefined);
  await runner.run();
  return runner.records;
}

describe('the fault runner with overlapping crashes of one node', () => {
  it('a node crashed again while it restarts: the first restart is superseded, not a harness failure', async () => {
    const { NodeStartError } = await import('../../harness/cluster.js');
    // n1's first restart does not finish until the second crash kills it mid-start, as a
    // real node would; the second restart succeeds.
    let running = true;
    let restarts = 0;
    let killStarting: (() => void) | null = null;
    const cluster = fakeCluster({
      up: () => running,
      crash: async () => {
        running = false;
        killStarting?.();
      },
      restart: async () => {
        running = true;
        if (++restarts > 1) return;
        await new Promise<void>((_, reject) => (killStarting = () => reject(new NodeStartError('node n1 exited during start-up'))));
      },
    });
    const records = await runCrashes(cluster, [{ at: 0, duration: 20 }, { at: 60, duration: 20 }]);
    expect(records.map((r) => r.status)).toEqual(['done', 'done']);
    expect(records[0]!.reason).toContain('n1 crashed by overlapping faults');
    expect(restarts).toBe(2);
    expect(running).toBe(true);
  });

  /**
   * n1 as a real node behaves under two overlapping crashes: the first kill is still under way
   * (n1 still counts as up) when the second crash resolves its targets, and completes only
   * once the second one has begun; a restart refuses a node that is running; a pause holds it.
   */
  function overlappingKills() {
    const n1 = { running: true, paused: false, restarts: 0 };
    let kills = 0;
    let secondKill: (() => void) | null = null;
    const cluster = fakeCluster({
      up: () => n1.running,
      paused: () => n1.paused,
      pause: (p) => (n1.paused = p),
      crash: async () => {
        if (++kills === 1) await new Promise<void>((r) => (secondKill = r));
        else secondKill?.();
        n1.running = false;
        n1.paused = false;
      },
      restart: async () => {
        if (n1.running) throw new Error('n1 is already running');
        n1.running = true;
        n1.restarts++;
      },
    });
    return { n1, cluster };
  }

  it('two crashes at once restart the node once: the second revert finds it running and leaves it be', async () => {
    const { n1, cluster } = overlappingKills();
    const records = await runCrashes(cluster, [{ at: 0, duration: 50 }, { at: 5, duration: 60 }]);
    expect(records.map((r) => r.status)).toEqual(['done', 'done']);
    expect(n1.restarts).toBe(1);
    expect(records[1]!.reason).toContain('restarted by another of them');
  });

  it('a node restarted by the first crash and then paused is running: the second crash leaves it be, not fails', async () => {
    // The machine's case (nightly chaos, starved): a kill and a power loss of every node
    // overlap on n1; the kill's end restarts it, a pause holds it, and the power loss ends
    // while the pause still does. Paused is not down: starting it again would be a second process.
    const { n1, cluster } = overlappingKills();
    const records = await runCrashes(cluster, [
      { at: 0, duration: 30 },
      { at: 5, duration: 150 },
      { at: 70, duration: 200, kind: 'pause' },
    ]);
    expect(records.map((r) => [r.spec.kind, r.status])).toEqual([['crash', 'done'], ['crash', 'done'], ['pause', 'done']]);
    expect(n1.restarts).toBe(1);
    expect(records[1]!.reason).toContain('restarted by another of them');
    expect(n1.running && !n1.paused).toBe(true);
  });
});

describe('the fault runner with clock faults', () => {
  /** A cluster whose nodes answer POST /clock as `answer` says, recording every call. */
  function clockCluster(answer: (id: string) => Promise<void>) {
    const calls: [string, { rate: number; jumpMs: number; forMs?: number }][] = [];
    return {
      calls,
      cluster: {
        ids: ['n1', 'n2', 'n3'],
        spec: {},
        isUp: () => true,
        skewClock: async (id: string, clock: { rate: number; jumpMs: number; forMs?: number }) => {
          calls.push([id, clock]);
          await answer(id);
        },
      },
    };
  }
  async function runClock(cluster: object, target: string | string[]) {
    const { FaultRunner } = await import('../../harness/faults/runner.js');
    const { Random } = await import('../../nodes/common/random.js');
    const { monoNs } = await import('../../nodes/common/clock.js');
    const { faultSchema } = await import('../../contracts/scenario.js');
    const schedule = [faultSchema.parse({ kind: 'clock', target, at: 0, duration: 30, clockRate: 0.25, clockJumpMs: 300 })];
    const runner = new FaultRunner(schedule, cluster as never, null, new Random(1), Number(monoNs()), () => undefined);
    await runner.run();
    return runner.records[0]!;
  }

  it('tells each node the rate, the jump and how long (so a node it cannot reach later still ends it), then sets the rate back', async () => {
    const { calls, cluster } = clockCluster(async () => undefined);
    const record = await runClock(cluster, ['n1', 'n3']);
    expect(record).toMatchObject({ status: 'done', targets: ['n1', 'n3'] });
    expect(calls).toEqual([
      ['n1', { rate: 0.25, jumpMs: 300, forMs: 30 }],
      ['n3', { rate: 0.25, jumpMs: 300, forMs: 30 }],
      ['n1', { rate: 1, jumpMs: 0 }],
      ['n3', { rate: 1, jumpMs: 0 }],
    ]);
  });

  it('leaves out a node that does not answer (still starting), and skips the fault when none does', async () => {
    const some = await runClock(clockCluster(async (id) => (id === 'n2' ? Promise.reject(new Error('connect ECONNREFUSED')) : undefined)).cluster, 'all');
    expect(some).toMatchObject({ status: 'done', targets: ['n1', 'n3'] });
    const none = await runClock(clockCluster(async () => Promise.reject(new Error('timeout'))).cluster, 'all');
    expect(none.status).toBe('skipped');
    expect(none.reason).toContain('did not answer POST /clock');
  });

  it('fails the run when a node refuses: a node without a clock hook must not pass for a skewed one', async () => {
    const { HookRefused } = await import('../../harness/cluster.js');
    const { FaultError } = await import('../../harness/faults/runner.js');
    const refused = clockCluster(async (id) => Promise.reject(new HookRefused(`node ${id} refused POST /clock (status 404)`)));
    await expect(runClock(refused.cluster, 'all')).rejects.toBeInstanceOf(FaultError);
  });
});

describe('the fault runner with crashes at failpoints', () => {
  function failpointCluster(outcome: (id: string) => Promise<'failpoint' | 'killed'>) {
    const calls: string[] = [];
    const up = new Set(['n1', 'n2', 'n3']);
    return {
      calls,
      cluster: {
        ids: ['n1', 'n2', 'n3'],
        spec: {},
        isUp: (id: string) => up.has(id),
        isRunning: (id: string) => up.has(id),
        node: () => ({ dataDir: null }),
        crash: async (id: string) => {
          calls.push(`kill ${id}`);
          up.delete(id);
        },
        crashAt: async (id: string, point: string) => {
          calls.push(`${point} ${id}`);
          const how = await outcome(id);
          up.delete(id);
          return how;
        },
        restart: async (id: string) => {
          calls.push(`restart ${id}`);
          up.add(id);
        },
      },
    };
  }
  async function run(cluster: object, spec: Record<string, unknown>) {
    const { FaultRunner } = await import('../../harness/faults/runner.js');
    const { Random } = await import('../../nodes/common/random.js');
    const { monoNs } = await import('../../nodes/common/clock.js');
    const { faultSchema } = await import('../../contracts/scenario.js');
    const runner = new FaultRunner([faultSchema.parse({ kind: 'crash', at: 0, duration: 20, ...spec })], cluster as never, null, new Random(1), Number(monoNs()), () => undefined);
    await runner.run();
    return runner.records[0]!;
  }

  it('sends each target to its failpoint instead of killing it, and restarts it after the hold', async () => {
    const { calls, cluster } = failpointCluster(async () => 'failpoint');
    const record = await run(cluster, { target: ['n1', 'n3'], point: 'after-sync' });
    expect(record).toMatchObject({ status: 'done', targets: ['n1', 'n3'] });
    expect(record.reason).toBeUndefined();
    expect(calls.slice(0, 2).sort()).toEqual(['after-sync n1', 'after-sync n3']);
    expect(calls.slice(2).sort()).toEqual(['restart n1', 'restart n3']);
  });

  it('says which node reached no failpoint in time (it was killed where it was)', async () => {
    const { cluster } = failpointCluster(async (id) => (id === 'n2' ? 'killed' : 'failpoint'));
    const record = await run(cluster, { target: 'all', point: 'after-sync' });
    expect(record.status).toBe('done');
    expect(record.reason).toMatch(/^n2 reached no after-sync within \d+ ms: killed where it was$/);
  });

  it('fails the run when a node refuses: a node without failpoints must not pass for one that died at one', async () => {
    const { HookRefused } = await import('../../harness/cluster.js');
    const { FaultError } = await import('../../harness/faults/runner.js');
    const { cluster } = failpointCluster(async (id) => Promise.reject(new HookRefused(`node ${id} refused POST /failpoint (status 404)`)));
    await expect(run(cluster, { target: 'n1', point: 'before-sync' })).rejects.toBeInstanceOf(FaultError);
  });
});
