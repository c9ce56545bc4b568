/**
 * A dependency cycle drawn as Elle draws its anomalies: the transactions around a circle in
 * cycle order, an arrow from each to the next labelled with the dependency (ww, wr or rw)
 * and the key it is on. The colour says the kind of edge; the rw edges (anti-dependencies)
 * are the ones a serializable system would have had to avoid in G-single and G2.
 */
import type { CycleStep, ListAppendAnomaly, TxnView } from '../../workloads/checkers/verdict.js';
import { describeEdge, describeMicroOp } from '../../workloads/checkers/list-append/index.js';
import { ALARM, INK, MUTED } from './render.js';
import type { ChartFigure } from './run-charts.js';

export const EDGE_COLORS = { ww: '#2f6fb3', wr: '#1f9486', rw: ALARM } as const;

const WHAT: Record<string, string> = {
  G0: 'G0 (dirty write): a cycle of write-write dependencies',
  G1c: 'G1c (circular information flow): a cycle of write-write and write-read dependencies',
  'G-single': 'G-single (read skew): a cycle with exactly one read-write anti-dependency',
  G2: 'G2 (write skew): a cycle with two or more read-write anti-dependencies',
};

/** A transaction's ops in one short line for a label (the tooltip and the table below have them all). */
function opsLabel(t: TxnView): string {
  const text = t.ops.map(describeMicroOp).join(', ');
  return text.length > 44 ? `${text.slice(0, 43)}…` : text;
}

/** Where a point sits: left, right or (near the vertical axis) centre, for label alignment. */
function side(x: number): 'left' | 'right' | 'center' {
  return x < -0.2 ? 'left' : x > 0.2 ? 'right' : 'center';
}

export function cycleChart(anomaly: Extract<ListAppendAnomaly, { cycle: CycleStep[] }>, id: string): ChartFigure {
  const n = anomaly.cycle.length;
  // Clockwise from the top; y grows downwards (the scale is reversed), as on screen.
  const at = anomaly.cycle.map((_, i) => {
    const a = -Math.PI / 2 + (2 * Math.PI * i) / n;
    return { x: Math.cos(a), y: Math.sin(a) };
  });
  const nodes = anomaly.cycle.map((s, i) => {
    const p = at[i]!;
    return {
      x: p.x, y: p.y, lx: p.x * 1.22, ly: p.y * 1.22 + (p.y < -0.5 ? -0.08 : 0), side: side(p.x),
      outcome: s.txn.outcome,
      title: `#${s.txn.index} · process ${String(s.txn.process)}${s.txn.node !== undefined ? ` · ${String(s.txn.node)}` : ''}${s.txn.outcome === 'ok' ? '' : ` · ${s.txn.outcome === 'info' ? 'no reply' : 'failed'}`}`,
      ops: opsLabel(s.txn),
      tip: `#${s.txn.index}, process ${String(s.txn.process)}: ${s.txn.ops.map(describeMicroOp).join(', ')}`,
    };
  });
  const edges = anomaly.cycle.map((s, i) => {
    const from = at[i]!;
    const to = at[(i + 1) % n]!;
    const dx = to.x - from.x;
    const dy = to.y - from.y;
    const len = Math.hypot(dx, dy) || 1;
    // Shift each edge to its right, so the two edges of a 2-cycle do not overlap.
    const ox = (-dy / len) * 0.07;
    const oy = (dx / len) * 0.07;
    // Stop short of the node circles.
    const trim = Math.min(0.16 / len, 0.3);
    const x1 = from.x + dx * trim + ox;
    const y1 = from.y + dy * trim + oy;
    const x2 = to.x - dx * trim + ox;
    const y2 = to.y - dy * trim + oy;
    const next = anomaly.cycle[(i + 1) % n]!.txn;
    return {
      x1, y1, x2, y2, type: s.edge.type,
      // Screen angle of the arrow, clockwise from "up", for the triangle at its head.
      angle: (Math.atan2(dx, -dy) * 180) / Math.PI,
      mx: (x1 + x2) / 2 + ox * 2.2, my: (y1 + y2) / 2 + oy * 2.2,
      label: `${s.edge.type} ${JSON.stringify(s.edge.key)}`,
      tip: describeEdge(s.txn, s.edge, next),
    };
  });
  const x = (field: string) => ({ field, type: 'quantitative' as const, scale: { domain: [-2.8, 2.8], nice: false }, axis: null });
  const y = (field: string) => ({ field, type: 'quantitative' as const, scale: { domain: [-1.5, 1.5], nice: false, reverse: true }, axis: null });
  const color = { field: 'type', type: 'nominal', title: 'dependency', scale: { domain: Object.keys(EDGE_COLORS), range: Object.values(EDGE_COLORS) } } as const;
  const nodeLabels = (where: 'left' | 'right' | 'center') => {
    const align = where === 'left' ? ('right' as const) : where === 'right' ? ('left' as const) : ('center' as const);
    const values = nodes.filter((d) => d.side === where);
    return [
      {
        data: { values },
        mark: { type: 'text' as const, align, baseline: 'bottom' as const, fontSize: 11, fontWeight: 600 as const, color: INK },
        encoding: { x: x('lx'), y: y('ly'), text: { field: 'title' } },
      },
      {
        data: { values },
        mark: { type: 'text' as const, align, baseline: 'top' as const, fontSize: 10, color: MUTED, font: 'ui-monospace, SFMono-Regular, Menlo, monospace' },
        encoding: { x: x('lx'), y: y('ly'), text: { field: 'ops' } },
      },
    ];
  };
  return {
    id,
    title: WHAT[anomaly.type] ?? anomaly.type,
    caption:
      'Each transaction of the cycle (history index, client process, node it was sent to; its operations below), and an arrow to the next: ' +
      'ww, the next appended right after it; wr, the next read its append; rw, it read the version just before the next one\'s append.',
    wide: true,
    spec: {
      width: 860,
      height: 360,
      layer: [
        {
          data: { values: edges },
          mark: { type: 'rule', strokeWidth: 2 },
          encoding: { x: x('x1'), y: y('y1'), x2: { field: 'x2' }, y2: { field: 'y2' }, color, description: { field: 'tip' } },
        },
        {
          data: { values: edges },
          mark: { type: 'point', shape: 'triangle-up', filled: true, size: 140, opacity: 1 },
          encoding: { x: x('x2'), y: y('y2'), angle: { field: 'angle', type: 'quantitative', scale: { domain: [-360, 360], range: [-360, 360] } }, color: { ...color, legend: null }, description: { field: 'tip' } },
        },
        {
          data: { values: edges },
          mark: { type: 'text', fontSize: 11, fontWeight: 600 },
          encoding: { x: x('mx'), y: y('my'), text: { field: 'label' }, color: { ...color, legend: null } },
        },
        {
          data: { values: nodes },
          mark: { type: 'point', shape: 'circle', filled: true, size: 420, opacity: 1 },
          encoding: {
            x: x('x'), y: y('y'),
            color: { field: 'outcome', type: 'nominal', title: 'transaction', scale: { domain: ['ok', 'info', 'fail'], range: [INK, '#8a93a3', ALARM] } },
            description: { field: 'tip' },
          },
        },
        ...nodeLabels('left'),
        ...nodeLabels('right'),
        ...nodeLabels('center'),
      ],
      resolve: { scale: { color: 'independent' } },
    },
  };
}
