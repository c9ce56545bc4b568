/**
 * Raft snapshots and log compaction (§7) through the scripted simulator, with thresholds
 * tiny enough that every path runs in a few hundred writes: a follower far behind catching
 * up by InstallSnapshot under message loss, a crash in the middle of an install and between
 * its two durable steps, a restart from a snapshot plus the log after it, a newest snapshot
 * passed over for the previous one, and the safety properties across random schedules.
 */
import { describe, expect, it } from 'vitest';
import { Sim } from '../../harness/sim/sim.js';
import { RaftCore, type RaftMessage } from '../../nodes/raft/core.js';
import { raftOptionsSchema, type RaftOptions } from '../../nodes/raft/options.js';
import { Random } from '../../nodes/common/random.js';

type RaftSim = Sim<RaftMessage, RaftOptions>;
const algorithm = { create: (ctx: ConstructorParameters<typeof RaftCore>[0]) => new RaftCore(ctx) };
const ids = (n: number) => Array.from({ length: n }, (_, i) => `n${i + 1}`);
const raft = (sim: RaftSim, id: string) => sim.core<RaftCore>(id);
const leaders = (sim: RaftSim) => sim.ids.filter((id) => sim.isUp(id) && raft(sim, id).role === 'leader');

/** n1 times out first; the others wait far longer, so n1 leads. Snapshots every 20 entries, images in 60-character chunks. */
function cluster(n: number, extra: Partial<RaftOptions> = {}): RaftSim {
  return new Sim(algorithm, ids(n), (id) =>
    raftOptionsSchema.parse({
      snapshotEntries: 20,
      snapshotChunkBytes: 60,
      ...(id === 'n1' ? { electionTimeoutMinMs: 150, electionTimeoutMaxMs: 151 } : { electionTimeoutMinMs: 5000, electionTimeoutMaxMs: 5001 }),
      ...extra,
    }),
  );
}

function elect(sim: RaftSim): void {
  expect(sim.runUntil(() => leaders(sim).includes('n1'), 2000)).toBe(true);
}

/** `count` writes through the leader, each to its own key (so the image grows), delivered in order. */
function write(sim: RaftSim, count: number, prefix: string): Map<string, string> {
  const written = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const key = `${prefix}${i % 37}`;
    const value = `${prefix}-${i}`;
    const reqId = sim.client('n1', { f: 'write', key, value });
    sim.deliverAll();
    expect(sim.replyTo(reqId)?.status, `write ${value}`).toBe(200);
    written.set(key, value);
  }
  return written;
}

function expectSameState(sim: RaftSim, a: string, b: string): void {
  expect(Object.fromEntries(raft(sim, a).state.entries())).toEqual(Object.fromEntries(raft(sim, b).state.entries()));
}

describe('compaction', () => {
  it('takes a snapshot every snapshotEntries applied entries and keeps only the log after the previous one, in memory and on disk', () => {
    const sim = cluster(3);
    elect(sim);
    write(sim, 100, 'k');
    for (const id of sim.ids) {
      const r = raft(sim, id);
      expect(r.counters.snapshotsTaken, id).toBeGreaterThanOrEqual(4);
      // The log starts after the previous snapshot: at most two intervals of entries.
      expect(r.log.offset, id).toBeGreaterThan(0);
      expect(r.log.length, id).toBeLessThanOrEqual(2 * 20 + 1);
      // The disk holds the compacted log: hard state, base, entries after the previous snapshot.
      const disk = sim.disks.get(id)!;
      expect(disk.length, id).toBeLessThan(45);
      expect(disk[0], id).toEqual({ hs: [r.term, r.votedFor] });
      expect(disk[1], id).toEqual({ b: [r.log.offset, r.log.term(r.log.offset)] });
    }
  });
});

describe('InstallSnapshot (§7)', () => {
  it('a follower far behind the leader first retained entry catches up by snapshot under message loss', () => {
    const sim = cluster(3);
    elect(sim);
    write(sim, 10, 'early');
    sim.partition(['n3'], ['n1', 'n2']);
    write(sim, 150, 'k');
    const leader = raft(sim, 'n1');
    expect(leader.log.offset).toBeGreaterThan(raft(sim, 'n3').lastIndex); // n3 needs entries the leader no longer holds
    sim.heal();
    // A lossy network: a fifth of all messages lost, in a seeded random order.
    const rnd = new Random(7);
    for (let step = 0; step < 4000 && raft(sim, 'n3').appliedIndex < leader.commitIndex; step++) {
      sim.tick(rnd.int(5, 30));
      sim.deliverRandomly(200, 0.2);
    }
    expect(raft(sim, 'n3').appliedIndex).toBeGreaterThanOrEqual(leader.commitIndex);
    expect(raft(sim, 'n3').counters.snapshotsInstalled).toBeGreaterThanOrEqual(1);
    expectSameState(sim, 'n1', 'n3');
    // The image was many chunks, and some went twice: what was lost was sent again.
    const chunks = Math.ceil(leader.snapshot!.image.length / 60);
    expect(chunks).toBeGreaterThan(5);
    expect(leader.counters.snapshotChunksSent).toBeGreaterThan(chunks);
    // n3 wrote the installed image and a log that follows it.
    expect(sim.snapshots.get('n3')!.length).toBeGreaterThanOrEqual(1);
    // Afterwards it follows by AppendEntries again.
    const more = write(sim, 5, 'after');
    sim.runUntil(() => raft(sim, 'n3').appliedIndex >= leader.commitIndex, 2000);
    for (const [key, value] of more) expect(raft(sim, 'n3').state.get(key)).toBe(value);
  });

  it('a follower that crashes in the middle of an install starts over and still gets there', () => {
    const sim = cluster(3);
    elect(sim);
    sim.partition(['n3'], ['n1', 'n2']);
    write(sim, 120, 'k');
    sim.heal();
    // Let a few chunks in, then crash n3 while it holds part of the image.
    let chunksIn = 0;
    for (let i = 0; i < 400 && chunksIn < 4; i++) {
      const next = sim.inflight.findIndex((m) => m.to === 'n3' || m.from === 'n3');
      if (next < 0) {
        sim.tick(10);
        continue;
      }
      if (sim.inflight[next]!.msg.t === 'snapshot') chunksIn++;
      sim.deliverAt(next);
    }
    expect(chunksIn).toBe(4);
    expect(raft(sim, 'n3').counters.snapshotsInstalled).toBe(0);
    sim.crash('n3');
    sim.restart('n3');
    expect(sim.runUntil(() => raft(sim, 'n3').appliedIndex >= raft(sim, 'n1').commitIndex, 5000)).toBe(true);
    expect(raft(sim, 'n3').counters.snapshotsInstalled).toBe(1);
    expectSameState(sim, 'n1', 'n3');
  });

  it('a follower that crashes between writing the installed snapshot and compacting its log comes back consistent', () => {
    const sim = cluster(3);
    elect(sim);
    write(sim, 5, 'early');
    sim.partition(['n3'], ['n1', 'n2']);
    write(sim, 120, 'k');
    sim.heal();
    const oldLog = [...sim.disks.get('n3')!];
    // One message at a time, so n3 crashes right after the Ready that installed the image.
    for (let i = 0; i < 2000 && raft(sim, 'n3').counters.snapshotsInstalled === 0; i++) {
      if (sim.inflight.length > 0) sim.deliverAt(0);
      else sim.tick(10);
    }
    const installed = raft(sim, 'n3').snapshot!;
    expect(sim.disks.get('n3')).toEqual([{ hs: [raft(sim, 'n3').term, raft(sim, 'n3').votedFor] }, { b: [installed.index, installed.term] }]);
    // The crash window of snapshots.ts step 2: the new image is durable, the log on disk is
    // still the old one (with the hard state the install's Ready logged before it).
    sim.crash('n3');
    sim.disks.set('n3', [...oldLog, sim.disks.get('n3')![0]]);
    sim.restart('n3');
    const r = raft(sim, 'n3');
    expect(r.snapshot?.index).toBe(installed.index);
    expect(r.appliedIndex).toBe(installed.index);
    expect(r.log.offset).toBe(installed.index);
    expect(sim.runUntil(() => raft(sim, 'n3').appliedIndex >= raft(sim, 'n1').commitIndex, 5000)).toBe(true);
    expectSameState(sim, 'n1', 'n3');
  });
});

describe('restart', () => {
  it('a node restarts from its newest snapshot plus the log after it, without replaying what the snapshot holds', () => {
    const sim = cluster(3);
    elect(sim);
    const written = write(sim, 93, 'k');
    const before = raft(sim, 'n2');
    const snapIndex = before.snapshot!.index;
    expect(snapIndex).toBeGreaterThan(0);
    expect(before.lastIndex).toBeGreaterThan(snapIndex); // a tail after the snapshot
    for (const id of sim.ids) sim.crash(id);
    for (const id of sim.ids) sim.restart(id);
    // Restored at once, before any message: the snapshot's state, applied up to its index.
    const after = raft(sim, 'n2');
    expect(after.appliedIndex).toBe(snapIndex);
    expect(after.lastIndex).toBe(before.lastIndex);
    // The compacted log and what came after it (one record per write), not 93 writes.
    expect(sim.disks.get('n2')!.length).toBeLessThanOrEqual(3 + 20);
    elect(sim);
    expect(sim.runUntil(() => sim.ids.every((id) => raft(sim, id).appliedIndex === raft(sim, 'n1').commitIndex), 3000)).toBe(true);
    for (const id of sim.ids) for (const [key, value] of written) expect(raft(sim, id).state.get(key), `${id} ${key}`).toBe(value);
  });

  it('a newest snapshot that cannot be read is passed over for the previous one, and the log still covers the rest', () => {
    const sim = cluster(3);
    elect(sim);
    const written = write(sim, 70, 'k');
    expect(sim.snapshots.get('n2')!.length).toBe(2);
    const newest = raft(sim, 'n2').snapshot!.index;
    sim.crash('n2');
    // The store found the newest image torn (test/common/snapshots.test.ts) and loads the one before.
    sim.snapshots.get('n2')!.pop();
    sim.restart('n2');
    const r = raft(sim, 'n2');
    expect(r.snapshot!.index).toBeLessThan(newest);
    expect(r.snapshot!.index).toBeGreaterThanOrEqual(r.log.offset);
    expect(r.lastIndex).toBeGreaterThanOrEqual(newest);
    expect(sim.runUntil(() => raft(sim, 'n2').appliedIndex >= raft(sim, 'n1').commitIndex, 3000)).toBe(true);
    for (const [key, value] of written) expect(r.state.get(key)).toBe(value);
  });

  it('refuses to start when its log begins after every snapshot it can read (nothing can fill the gap)', () => {
    const sim = cluster(3);
    elect(sim);
    write(sim, 70, 'k');
    sim.crash('n2');
    sim.snapshots.set('n2', []);
    expect(() => sim.restart('n2')).toThrow(/no intact snapshot covers it/);
  });
});

describe('safety with compaction', () => {
  it('log matching and state machine safety hold, and no acknowledged write is lost, across crashes, partitions and loss (12 seeds)', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const sim = new Sim(algorithm, ids(5), raftOptionsSchema.parse({ snapshotEntries: 7, snapshotChunkBytes: 40 }), seed);
      const rnd = new Random(seed * 17);
      const sent = new Map<string, string>();
      let v = 0;
      for (let step = 0; step < 250; step++) {
        sim.tick(rnd.int(5, 40));
        const target = rnd.pick(sim.ids);
        if (sim.isUp(target) && rnd.chance(0.6)) {
          const value = `v${v++}`;
          sent.set(sim.client(target, { f: 'write', key: `k${v % 5}`, value }), value);
        }
        sim.deliverRandomly(rnd.int(0, 60), 0.05);
        sim.randomFaults(rnd);
        const up = sim.ids.filter((id) => sim.isUp(id)).map((id) => raft(sim, id));
        for (const x of up) {
          for (const y of up) {
            const n = Math.min(x.commitIndex, y.commitIndex);
            for (let j = Math.max(x.log.offset, y.log.offset) + 1; j <= n; j++) {
              expect(x.log.entry(j), `seed ${seed}: committed entry ${j} differs on ${x.id} and ${y.id}`).toEqual(y.log.entry(j));
            }
          }
        }
      }
      sim.heal();
      for (const id of sim.ids) if (!sim.isUp(id)) sim.restart(id);
      const settled = sim.runUntil(() => {
        const l = leaders(sim);
        return l.length === 1 && sim.ids.every((id) => raft(sim, id).appliedIndex === raft(sim, l[0]!).lastIndex);
      }, 20_000);
      expect(settled, `seed ${seed}: cluster did not settle`).toBe(true);
      // Every node holds the same state; every acknowledged write was applied (by the
      // leader that acknowledged it: a node that installed a snapshot never saw the
      // values overwritten before it).
      const leader = leaders(sim)[0]!;
      for (const id of sim.ids) expectSameState(sim, id, leader);
      expect(sim.ids.some((id) => raft(sim, id).counters.snapshotsTaken > 0), `seed ${seed}: no snapshot taken`).toBe(true);
      const acked = sim.replies.filter((r) => r.reply.status === 200 && sent.has(r.reqId)).map((r) => sent.get(r.reqId)!);
      const traced = new Set(sim.ids.flatMap((id) => sim.applied.get(id)!.map(([, value]) => value)));
      for (const value of acked) expect(traced.has(value), `seed ${seed}: acknowledged ${value} never applied`).toBe(true);
    }
  });
});
