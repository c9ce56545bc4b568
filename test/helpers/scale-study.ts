/** Scale studies for tests: simulated and real points with given convergence p50s, and a study of them. */
import { SCALE_TOLERANCE, agreement, type RealScalePoint, type ScaleStudy, type SimScalePoint } from '../../contracts/scale-study.js';

const q = (p50: number | null, max = p50) => ({ p50, p99: max, max });

export function simPoint(nodes: number, p50: number | null, perUpdate = 6 * nodes): SimScalePoint {
  return {
    nodes, updates: 20, complete: p50 === null ? 0 : 20, roundMs: 50, convergenceMs: q(p50), rounds: q(p50 === null ? null : p50 / 50), rumorRounds: q(p50 === null ? null : p50 / 50),
    messagesPerUpdate: perUpdate, messagesPerNode: perUpdate / nodes, missedByRumor: { mean: 0.1, max: 1, share: 0.1 / nodes }, backgroundPerSecond: 2 * nodes,
    cost: { simMs: 30_000, events: 1e5, wallMs: 100, cpuMs: 90, heapMiB: 30, peakRssMiB: 100 },
  };
}

export function realPoint(nodes: number, p50: number | null, perUpdate = 6 * nodes): RealScalePoint {
  return { nodes, updates: 20, complete: p50 === null ? 0 : 20, roundMs: 50, convergenceMs: q(p50), rounds: q(p50 === null ? null : p50 / 50), messagesPerUpdate: perUpdate, messagesPerNode: perUpdate / nodes, wallMs: 30_000, loadAverage: [1, 1, 1] };
}

export function study(sim: SimScalePoint[], real: RealScalePoint[]): ScaleStudy {
  const rows = agreement(sim, real);
  return {
    schema: 'parley.scale/1',
    meta: { machine: 'test machine', command: 'npm run bench:gossip -- --sim', startedAt: '2025-01-01T00:00:00Z', finishedAt: '2025-01-01T00:10:00Z', seed: 1 },
    settings: { membership: 'static', tickMs: '25' },
    net: { model: 'lognormal:p50=0.02ms,p99=0.15ms', source: 'test' },
    tolerance: SCALE_TOLERANCE,
    sim, real, agreement: rows, agrees: rows.length > 0 && rows.every((r) => r.within),
  };
}

