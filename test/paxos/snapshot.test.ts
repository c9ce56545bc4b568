/**
 * Multi-Paxos snapshots of the chosen prefix, through the scripted simulator with tiny
 * thresholds: acceptors forget the slots a snapshot holds; a learner far behind catches up
 * by snapshot under message loss; a proposer whose phase 1 starts among forgotten slots
 * learns they are chosen, gets their state, and leads; a restart from a snapshot plus the
 * log after it; a newest snapshot passed over for the previous one; leaderless anti-entropy.
 */
import { describe, expect, it } from 'vitest';
import { Random } from '../../nodes/common/random.js';
import { elect, idOf, leaderless, leaders, px, scripted, write, type PaxosSim } from './sim-helpers.js';

const SNAP = { snapshotEntries: 10, snapshotChunkBytes: 60 };

/** `count` writes through `via`, each delivered before the next; returns key -> last value. */
function writes(sim: PaxosSim, via: string, count: number, prefix: string): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const key = `${prefix}${i % 23}`;
    const reqId = sim.client(via, write(key, `${prefix}-${i}`));
    expect(sim.runUntil(() => sim.replyTo(reqId) !== undefined, 2000), `write ${prefix}-${i}`).toBe(true);
    expect(sim.replyTo(reqId)?.status).toBe(200);
    out.set(key, `${prefix}-${i}`);
  }
  return out;
}

const stateOf = (sim: PaxosSim, id: string) => Object.fromEntries(px(sim, id).state.entries());

describe('compaction of the chosen prefix', () => {
  it('every node snapshots every snapshotEntries slots and its acceptor keeps only the slots after the previous snapshot', () => {
    const sim = scripted(3, { n1: 150 }, SNAP);
    elect(sim);
    writes(sim, 'n1', 80, 'k');
    sim.runUntil(() => sim.ids.every((id) => px(sim, id).appliedIndex === px(sim, 'n1').commitIndex), 1000);
    for (const id of sim.ids) {
      const c = px(sim, id);
      expect(c.counters.snapshotsTaken, id).toBeGreaterThanOrEqual(6);
      expect(c.acceptor.base, id).toBeGreaterThan(0);
      expect(c.acceptor.lastSlot - c.acceptor.base, id).toBeLessThanOrEqual(2 * 10 + 1);
      expect(sim.disks.get(id)!.length, id).toBeLessThan(30);
      // A forgotten slot is chosen, and its value is no longer held.
      expect(c.acceptor.isChosen(1)).toBe(true);
      expect(c.acceptor.slot(1)).toBeUndefined();
    }
  });
});

describe('catching up by snapshot', () => {
  it('a learner far behind the forgotten slots gets the leader snapshot, under message loss', () => {
    const sim = scripted(3, { n1: 150 }, SNAP);
    elect(sim);
    sim.partition(['n3'], ['n1', 'n2']);
    writes(sim, 'n1', 100, 'k');
    expect(px(sim, 'n1').acceptor.base).toBeGreaterThan(px(sim, 'n3').commitIndex);
    sim.heal();
    const rnd = new Random(3);
    for (let step = 0; step < 5000 && px(sim, 'n3').appliedIndex < px(sim, 'n1').commitIndex; step++) {
      sim.tick(rnd.int(5, 30));
      sim.deliverRandomly(200, 0.2);
    }
    expect(px(sim, 'n3').appliedIndex).toBeGreaterThanOrEqual(px(sim, 'n1').commitIndex);
    expect(px(sim, 'n3').counters.snapshotsInstalled).toBeGreaterThanOrEqual(1);
    expect(px(sim, 'n1').counters.snapshotChunksSent).toBeGreaterThan(Math.ceil(px(sim, 'n1').snapshot!.image.length / 60));
    expect(stateOf(sim, 'n3')).toEqual(stateOf(sim, 'n1'));
  });

  it('a proposer whose phase 1 starts among slots the majority forgot learns they are chosen, gets their state, and leads', () => {
    // Followers that heard a leader refuse others for their (scripted, 5 s) minimum timeout; not here.
    const sim = scripted(5, { n1: 150, n3: 400 }, { ...SNAP, stickyLeader: false });
    elect(sim, 'n1');
    sim.partition(['n3'], ['n1', 'n2', 'n4', 'n5']);
    const written = writes(sim, 'n1', 80, 'k');
    sim.crash('n1');
    sim.heal();
    expect(px(sim, 'n2').acceptor.base).toBeGreaterThan(px(sim, 'n3').commitIndex);
    // n3 times out first, runs phase 1 from its own (old) chosen point; the promises say the
    // slots up to their base are chosen, and their acceptors send n3 a snapshot.
    expect(sim.runUntil(() => leaders(sim).includes('n3') && px(sim, 'n3').counters.snapshotsInstalled > 0, 10_000)).toBe(true);
    const after = writes(sim, 'n3', 15, 'n3-');
    sim.runUntil(() => ['n2', 'n3', 'n4', 'n5'].every((id) => px(sim, id).appliedIndex === px(sim, 'n3').commitIndex), 2000);
    for (const [key, value] of [...written, ...after]) expect(px(sim, 'n3').state.get(key), key).toBe(value);
    for (const id of ['n2', 'n4', 'n5']) expect(stateOf(sim, id), id).toEqual(stateOf(sim, 'n3'));
  });

  it('leaderless: a node that missed decisions gets a snapshot in answer to its sync', () => {
    const sim = leaderless(3, 5, SNAP);
    sim.partition(['n3'], ['n1', 'n2']);
    writes(sim, 'n1', 60, 'k');
    expect(px(sim, 'n1').acceptor.base).toBeGreaterThan(px(sim, 'n3').commitIndex);
    sim.heal();
    expect(sim.runUntil(() => px(sim, 'n3').appliedIndex >= px(sim, 'n1').commitIndex, 5000)).toBe(true);
    expect(px(sim, 'n3').counters.snapshotsInstalled).toBeGreaterThanOrEqual(1);
    expect(stateOf(sim, 'n3')).toEqual(stateOf(sim, 'n1'));
  });
});

describe('leaderless rounds over forgotten slots', () => {
  it('a proposer whose phase 1 meets slots others forgot decides only what it holds, never a no-op in their place', () => {
    const sim = leaderless(5, 9, SNAP);
    sim.partition(['n4', 'n5'], ['n1', 'n2', 'n3']);
    writes(sim, 'n1', 60, 'k');
    sim.heal();
    // n5's own round runs phase 1 from its old chosen point: the promises say most of it is
    // forgotten. Its decides must not tell n4 (as far behind) that those slots hold no-ops.
    // (Snapshots for n4 and n5 are held back until n5's round is over, so it ends with those slots unknown to both.)
    sim.intercept = (m) => !(m.msg.t === 'snapshot' && (m.to === 'n5' || m.to === 'n4'));
    const reqId = sim.client('n5', write('late', 'x'));
    // Until its round has chosen its value and told the others (it may be refused a few times first).
    expect(sim.runUntil(() => px(sim, 'n5').counters.chosenValuesSent > 0, 5000)).toBe(true);
    expect(px(sim, 'n5').acceptor.chosenUpTo).toBeLessThan(px(sim, 'n1').acceptor.base);
    sim.intercept = null;
    expect(sim.runUntil(() => sim.replyTo(reqId) !== undefined, 5000)).toBe(true);
    expect(sim.runUntil(() => sim.ids.every((id) => px(sim, id).appliedIndex === px(sim, 'n1').commitIndex), 5000)).toBe(true);
    for (const id of sim.ids) {
      const a = px(sim, id).acceptor;
      for (let slot = a.base + 1; slot <= a.chosenUpTo; slot++) {
        for (const other of sim.ids) {
          const b = px(sim, other).acceptor;
          if (slot > b.base && b.isChosen(slot)) expect(idOf(a.value(slot)), `slot ${slot} on ${id} and ${other}`).toEqual(idOf(b.value(slot)));
        }
      }
    }
    for (const id of sim.ids) expect(stateOf(sim, id), id).toEqual(stateOf(sim, 'n1'));
  });
});

describe('restart', () => {
  it('restarts from the newest snapshot plus the log after it, restoring the state before any message', () => {
    const sim = scripted(3, { n1: 150 }, SNAP);
    elect(sim);
    const written = writes(sim, 'n1', 57, 'k');
    sim.runUntil(() => sim.ids.every((id) => px(sim, id).appliedIndex === px(sim, 'n1').commitIndex), 1000);
    const snapSlot = px(sim, 'n2').snapshot!.index;
    const chosen = px(sim, 'n2').commitIndex;
    for (const id of sim.ids) sim.crash(id);
    for (const id of sim.ids) sim.restart(id);
    const n2 = px(sim, 'n2');
    expect(n2.snapshot!.index).toBe(snapSlot);
    expect(n2.acceptor.base).toBe(snapSlot);
    // The snapshot, then the slots the log says are chosen after it (the logged chosen point).
    expect(n2.appliedIndex).toBeGreaterThanOrEqual(snapSlot);
    expect(n2.appliedIndex).toBeLessThanOrEqual(chosen);
    elect(sim);
    for (const [key, value] of written) expect(px(sim, 'n1').state.get(key), key).toBe(value);
  });

  it('passes over a newest snapshot that cannot be read: the previous one and the log still hold everything', () => {
    const sim = scripted(3, { n1: 150 }, SNAP);
    elect(sim);
    const written = writes(sim, 'n1', 45, 'k');
    sim.runUntil(() => px(sim, 'n2').appliedIndex === px(sim, 'n1').commitIndex, 1000);
    const newest = px(sim, 'n2').snapshot!.index;
    expect(sim.snapshots.get('n2')!.length).toBe(2);
    sim.crash('n2');
    sim.snapshots.get('n2')!.pop(); // the store found it torn (test/common/snapshots.test.ts)
    sim.restart('n2');
    const n2 = px(sim, 'n2');
    expect(n2.snapshot!.index).toBeLessThan(newest);
    // Before any message: the previous image, then the chosen slots the log holds after it.
    expect(n2.appliedIndex).toBeGreaterThanOrEqual(newest);
    expect(sim.runUntil(() => px(sim, 'n2').appliedIndex >= px(sim, 'n1').commitIndex, 2000)).toBe(true);
    for (const [key, value] of written) expect(n2.state.get(key), key).toBe(value);
  });

  it('refuses to start when its log begins after every snapshot it can read', () => {
    const sim = scripted(3, { n1: 150 }, SNAP);
    elect(sim);
    writes(sim, 'n1', 45, 'k');
    sim.crash('n2');
    sim.snapshots.set('n2', []);
    expect(() => sim.restart('n2')).toThrow(/refusing to start/);
  });
});
