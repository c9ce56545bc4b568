/**
 * Gossip stays bounded by keys and members, not by writes: the store holds one winner per
 * key and a digest of ranges, and the log is compacted into a snapshot; a node restarts
 * from its snapshot plus the log after it (or the previous snapshot) without losing an
 * acknowledged write or reusing a seq.
 */
import { describe, expect, it } from 'vitest';
import { converged, gossipSim, node, replicaState, write, type GossipSim } from './sim-helpers.js';

const KEYS = 12;

function writes(sim: GossipSim, count: number, from = 0): void {
  for (let i = from; i < from + count; i++) {
    write(sim, sim.ids[i % sim.ids.length]!, `k${i % KEYS}`, `v${i}`);
    if (i % 10 === 0) sim.runUntil(() => false, 60);
  }
  sim.runUntil(() => converged(sim), 10_000);
}

describe('gossip compaction', () => {
  it('holds one winner per key and a few digest ranges, and keeps its log short, whatever the number of writes', () => {
    const sim = gossipSim(3, { snapshotEntries: 40, replicaPersistMs: 200 });
    writes(sim, 600);
    expect(converged(sim)).toBe(true);
    for (const id of sim.ids) {
      const g = node(sim, id);
      expect(g.store.size, id).toBe(KEYS);
      expect(g.store.digestRanges(), id).toBeLessThanOrEqual(3 * 2);
      expect(Number(g.status().compactions), id).toBeGreaterThan(3);
      expect(sim.disks.get(id)!.length, id).toBeLessThan(2 * 40 + 10);
    }
  });

  it('restarts from its snapshot plus the log after it, or from the previous snapshot, with every acknowledged write and no seq reused', () => {
    for (const which of ['newest', 'previous'] as const) {
      const sim = gossipSim(3, { snapshotEntries: 40, replicaPersistMs: 0 });
      writes(sim, 300);
      const before = replicaState(sim, 'n1');
      const seq = Number(node(sim, 'n1').status().seq);
      sim.crash('n1');
      if (which === 'previous') sim.snapshots.get('n1')!.pop();
      sim.restart('n1');
      expect(replicaState(sim, 'n1'), which).toBe(before);
      expect(Number(node(sim, 'n1').status().seq), which).toBe(seq);
      // A new write of n1 takes the next seq and wins (its clock did not go back).
      write(sim, 'n1', 'k0', 'after-restart');
      expect(Number(node(sim, 'n1').status().seq), which).toBe(seq + 1);
      sim.runUntil(() => converged(sim), 10_000);
      for (const id of sim.ids) expect(node(sim, id).store.value('k0'), `${which} ${id}`).toBe('after-restart');
    }
  });
});
