/**
 * The gossip scale study on one picture: the simulated curve to 10,000 nodes and the real
 * processes at N <= 50, convergence and rumor messages per update against N (log axis),
 * with the agreement tolerance drawn as a bar around each real p50, so the simulated p50
 * passing through the bars is the agreement the study measured.
 */
import type { ScaleStudy } from '../../contracts/scale-study.js';
import { MUTED } from './render.js';
import type { ChartFigure } from './run-charts.js';

const SIMULATED = 'simulated';
const REAL = 'real processes';
const COLORS = { domain: [SIMULATED, REAL], range: ['#2f6fb3', '#c07a12'] };

const ms = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(0)} ms`);

export function scaleChart(study: ScaleStudy, id = 'scale'): ChartFigure | null {
  if (study.sim.length === 0 && study.real.length === 0) return null;
  const convergence: Record<string, unknown>[] = [];
  const messages: Record<string, unknown>[] = [];
  for (const [source, points] of [[SIMULATED, study.sim], [REAL, study.real]] as const) {
    for (const p of points) {
      // p50 and max: with the study's 20 updates per N the p99 is the max (both are in scale.json).
      for (const stat of ['p50', 'max'] as const) {
        const v = p.convergenceMs[stat];
        if (v === null) continue;
        const rounds = p.rounds[stat];
        convergence.push({ n: p.nodes, source, stat, ms: Math.max(1, v), tip: `${source}, N = ${p.nodes}: convergence ${stat} ${ms(v)}${rounds === null ? '' : ` (${rounds.toFixed(1)} rounds)`} over ${p.complete} updates` });
      }
      messages.push({ n: p.nodes, source, perNode: p.messagesPerNode, tip: `${source}, N = ${p.nodes}: ${p.messagesPerUpdate.toFixed(0)} rumor messages per update, ${p.messagesPerNode.toFixed(2)} per node` });
    }
  }
  const values = convergence.map((c) => c.ms as number);
  if (values.length === 0) return null;
  // The axis follows the curves; a tolerance bar reaching below them is cut at the axis.
  const domain = [Math.max(1, Math.min(...values) / 1.5), Math.max(...values) * 1.5];
  const band = study.agreement
    .filter((a) => a.figure === 'convergence p50')
    .map((a) => ({
      n: a.nodes, low: Math.max(domain[0]!, a.real - a.allowed), high: Math.min(domain[1]!, a.real + a.allowed),
      tip: `N = ${a.nodes}: real p50 ${ms(a.real)}, allowed ${ms(a.real - a.allowed)} to ${ms(a.real + a.allowed)}; simulated ${ms(a.sim)}: ${a.within ? 'agrees' : 'does NOT agree'}`,
    }));
  const x = { field: 'n', type: 'quantitative' as const, title: 'nodes (N)', scale: { type: 'log' as const }, axis: { values: [5, 10, 25, 50, 100, 1000, 10000], format: '~s' } };
  const color = { field: 'source', type: 'nominal' as const, title: null, scale: COLORS };
  const agreed = study.agreement.length === 0 ? 'no N was measured by both' : study.agrees ? `agree within the tolerance at every N both cover (${[...new Set(study.agreement.map((a) => a.nodes))].join(', ')})` : 'do NOT agree within the tolerance everywhere both were measured';
  return {
    id,
    title: 'Gossip dissemination against N: simulated to 10,000 nodes, real processes at N ≤ 50',
    caption:
      `Isolated updates, acknowledgement until the last node held it (solid p50, dashed max; one rumor round = ${study.sim[0]?.roundMs ?? study.real[0]?.roundMs ?? 50} ms). ` +
      `Grey bars: the agreement tolerance around each real p50. Simulated and real ${agreed}. Right: rumor pushes per update, per node.`,
    wide: true,
    spec: {
      hconcat: [
        {
          width: 420, height: 240,
          layer: [
            {
              data: { values: band },
              mark: { type: 'rule', strokeWidth: 8, opacity: 0.35, color: MUTED },
              encoding: { x, y: { field: 'low', type: 'quantitative', scale: { type: 'log', domain } }, y2: { field: 'high' }, description: { field: 'tip' } },
            },
            {
              data: { values: convergence },
              mark: { type: 'line', point: { size: 30 } },
              encoding: {
                x,
                y: { field: 'ms', type: 'quantitative', title: 'convergence (ms)', scale: { type: 'log', domain } },
                color,
                strokeDash: { field: 'stat', type: 'nominal', title: null, sort: ['p50', 'max'], scale: { domain: ['p50', 'max'], range: [[1, 0], [5, 3]] } },
                detail: { field: 'source' },
                description: { field: 'tip' },
              },
            },
          ],
        },
        {
          width: 260, height: 240,
          data: { values: messages },
          mark: { type: 'line', point: { size: 30 } },
          encoding: {
            x,
            y: { field: 'perNode', type: 'quantitative', title: 'rumor messages per update, per node', scale: { zero: true } },
            color,
            description: { field: 'tip' },
          },
        },
      ],
      resolve: { scale: { color: 'shared' } },
    },
  };
}
