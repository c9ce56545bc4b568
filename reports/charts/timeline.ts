/**
 * A linearizability violation drawn the way Knossos and Porcupine draw theirs: one row per
 * client process, a bar from invoke to completion, coloured by what the checker made of it.
 * The stuck operation (the one no order could place) is red; the operations concurrent with
 * it are amber, since any of them might have been ordered differently; the linearized prefix
 * is numbered in the order the checker placed it. An operation that never returned (unknown
 * outcome) runs off the right edge, dashed: it may take effect at any later time.
 */
import type { JsonValue } from '../../workloads/history.js';
import type { LinearizabilityEvidence, TimelineOp } from '../../workloads/checkers/verdict.js';
import { fmtMs } from '../format.js';
import { ALARM, FAULT_FILL } from './render.js';
import type { ChartFigure } from './run-charts.js';

export const ROLE_COLORS: Record<TimelineOp['role'], string> = { linearized: '#4f8f6a', concurrent: FAULT_FILL, stuck: ALARM };

/** A JSON value as a short label: strings quoted so "1" and 1 differ, long values cut. */
export function showValue(value: JsonValue | undefined): string {
  if (value === undefined) return '';
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

/** What an operation did, as it reads in the history: `read → "v1"`, `write "v2"`, `cas ["a","b"] (fail)`. */
export function describeOp(op: TimelineOp): string {
  const arg = op.f === 'read' ? '' : ` ${showValue(op.value)}`;
  const result = op.result !== undefined ? ` → ${showValue(op.result)}` : '';
  const outcome = op.outcome === 'ok' ? '' : op.outcome === 'info' ? ' (no reply)' : ' (fail)';
  return `${op.f}${arg}${result}${outcome}`;
}

export function timelineChart(evidence: LinearizabilityEvidence, id: string): ChartFigure {
  const ms = (ns: number) => (ns - evidence.origin) / 1e6;
  const starts = evidence.window.map((o) => ms(o.start));
  const ends = evidence.window.flatMap((o) => (o.end === null ? [] : [ms(o.end)]));
  const first = Math.min(...starts);
  const last = Math.max(...starts, ...ends);
  // Open-ended bars stop a little past the last event rather than at infinity.
  const openEnd = last + Math.max((last - first) * 0.15, 0.5);
  const position = new Map(evidence.order.map((index, i) => [index, i + 1]));
  const rows = evidence.window.map((o) => {
    const order = position.get(o.index);
    const what = describeOp(o);
    return {
      process: `process ${String(o.process)}`,
      start: ms(o.start),
      end: o.end === null ? openEnd : ms(o.end),
      open: o.end === null,
      role: o.role,
      label: order ? `${order}. ${what}` : what,
      tip: `${o.role}: process ${String(o.process)} ${what}, ${fmtMs(ms(o.start))} to ${o.end === null ? 'never returned' : fmtMs(ms(o.end))}`,
    };
  });
  const processes = [...new Set(rows.map((r) => r.process))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const y = { field: 'process', type: 'nominal', title: null, sort: processes, axis: { labelFontWeight: 600 } } as const;
  return {
    id,
    title: `Operations around the violation on key ${evidence.key === null ? '(single register)' : showValue(evidence.key)}`,
    caption:
      `Red: the operation no order could place; amber: concurrent with it; green: part of the linearizable prefix (numbered in the order placed). ` +
      `Dashed bars never returned. Times in ms since the history's first event.`,
    wide: true,
    spec: {
      width: 860,
      height: { step: 46 },
      data: { values: rows },
      encoding: { y },
      layer: [
        {
          mark: { type: 'bar', height: 16, cornerRadius: 2, strokeWidth: 1.5 },
          encoding: {
            x: { field: 'start', type: 'quantitative', title: 'time (ms)', scale: { domain: [Math.max(0, first - (openEnd - first) * 0.03), openEnd], nice: false } },
            x2: { field: 'end' },
            color: { field: 'role', type: 'nominal', title: null, scale: { domain: Object.keys(ROLE_COLORS), range: Object.values(ROLE_COLORS) } },
            fillOpacity: { condition: { test: 'datum.open', value: 0.25 }, value: 0.9 },
            stroke: { field: 'role', type: 'nominal', title: null, scale: { domain: Object.keys(ROLE_COLORS), range: Object.values(ROLE_COLORS) } },
            strokeDash: { condition: { test: 'datum.open', value: [4, 3] }, value: [1, 0] },
            description: { field: 'tip' },
          },
        },
        {
          mark: { type: 'text', align: 'left', baseline: 'bottom', dy: -10, fontSize: 11, color: '#1d2330' },
          encoding: { x: { field: 'start', type: 'quantitative' }, text: { field: 'label' } },
        },
      ],
    },
  };
}
