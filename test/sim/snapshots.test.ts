/**
 * The catch-up nemesis in the simulator, with tiny compaction thresholds: a node away long
 * enough to fall behind the others' compacted logs, crashed again while it catches up,
 * restarted from its own snapshot. Every algorithm's checks stay valid, and the paths ran:
 * snapshots were taken and (for Raft and Multi-Paxos) installed from a peer.
 */
import { describe, expect, it } from 'vitest';
import { runCase } from '../../harness/sim/run-case.js';
import { simSchedule } from '../../harness/sim/nemesis.js';
import type { Core, CoreContext } from '../../nodes/common/core.js';
import type { AlgoName } from '../../nodes/registry.js';
import { modules, simCase } from './helpers.js';

async function run(algo: AlgoName, seed: number, options: Record<string, string | number>) {
  const m = await modules(algo);
  const cores: Core<unknown>[] = [];
  const algorithm = {
    ...m.algorithm,
    create: (ctx: CoreContext<never>) => {
      const core = m.algorithm.create(ctx);
      cores.push(core);
      return core;
    },
  };
  const faults = simSchedule(['catch-up'], { seed, nodes: 5, durationMs: 8000, leaders: algo !== 'gossip' && algo !== 'twopc', meanGapMs: 2500 });
  const result = runCase(simCase({ algo, seed, duration: 8000, options }, faults), { ...m, algorithm }, true);
  const metric = (path: [string, string]) => cores.reduce((sum, c) => sum + Number((c.metrics?.()[path[0]] as Record<string, unknown> | undefined)?.[path[1]] ?? 0), 0);
  return { result, cores, metric, faults };
}

describe('the catch-up nemesis reaches snapshots', () => {
  for (const algo of ['raft', 'paxos'] as const) {
    it(`${algo}: valid across seeds, and nodes installed snapshots from their peers`, async () => {
      let installed = 0;
      for (const seed of [1, 2, 3]) {
        const { result, metric, faults } = await run(algo, seed, { snapshotEntries: 20, snapshotChunkBytes: 200 });
        expect(faults.some((f) => f.kind === 'crash' && typeof f.target === 'string' && /^n\d$/.test(f.target))).toBe(true);
        expect(result.verdict, `seed ${seed}: ${result.failed.join(', ')} ${result.informational.join(' ')}`).toBe('valid');
        expect(metric([algo, 'snapshotsTaken']), `seed ${seed}`).toBeGreaterThan(0);
        installed += metric([algo, 'snapshotsInstalled']);
        // Every node's data directory holds snapshots and a short log, not the whole run.
        for (const node of result.capture!.cluster.nodes) expect(node.disk.list().some((f) => f.startsWith('snap-')), `${node.id}`).toBe(true);
      }
      expect(installed).toBeGreaterThan(0);
    });
  }

  for (const algo of ['twopc', 'gossip'] as const) {
    it(`${algo}: valid across seeds with its log compacted`, async () => {
      for (const seed of [1, 2]) {
        const { result, cores } = await run(algo, seed, { snapshotEntries: 20 });
        expect(result.verdict, `seed ${seed}: ${result.failed.join(', ')} ${result.informational.join(' ')}`).toBe('valid');
        expect(cores.reduce((n, c) => n + Number(c.status().compactions ?? 0), 0), `seed ${seed}`).toBeGreaterThan(0);
      }
    });
  }
});
