/**
 * An Elle-style checker for list-append histories (Kingsbury & Alvaro, "Elle: Inferring
 * Isolation Anomalies from Experimental Observations", VLDB 2020). Transactions append
 * unique values to lists and read whole lists; because a list keeps its order and every
 * element names its writer, a history reveals the version order of every key, and from it
 * the write-write, write-read and read-write dependencies between transactions (Adya 1999).
 * A cycle among them is a serializability violation, named by its edges (G0, G1c, G-single,
 * G2); reads alone show aborted and intermediate reads, lost updates, incompatible orders,
 * and, in real time, reads that miss an acknowledged append.
 *
 * The steps, one file each: txns.ts (the history as transactions), orders.ts (each key's
 * version order), graph.ts (the dependency graph), cycles.ts (components and cycles),
 * reads.ts (the anomalies without cycles). Linear in the history plus, only where the graph
 * has cycles, a bounded search per component.
 */
import type { HistoryEvent, Key } from '../../history.js';
import type { CycleStep, ListAppendAnomaly, ListAppendAnomalyType, ListAppendEvidence, MicroOpView, TxnView, Verdict } from '../verdict.js';
import { findCycles } from './cycles.js';
import { buildGraph, EDGE_NAMES, type DependencyGraph } from './graph.js';
import { collectReads, inferOrders } from './orders.js';
import { readAnomalies } from './reads.js';
import { parseTxns, viewOf, type Txn } from './txns.js';

export interface ListAppendOptions {
  /** Bound on the optional cycle searches (ms); the first cycle of every component is always found. */
  timeLimitMs?: number;
}

/** Anomalies listed in the evidence: at most this many of one type, and this many in all. */
const PER_TYPE = 10;
const LISTED = 50;

/** Evidence order: cycles by strength, then what single reads show. */
export const ANOMALY_ORDER: readonly ListAppendAnomalyType[] = [
  'G0', 'G1c', 'G-single', 'G2', 'G1a', 'G1b', 'lost-append', 'lost-update', 'incompatible-order', 'duplicate-elements', 'garbage-read', 'internal',
];

const STAT_NAMES: Record<ListAppendAnomalyType, string> = {
  G0: 'g0', G1c: 'g1c', 'G-single': 'gSingle', G2: 'g2', G1a: 'g1a', G1b: 'g1b', 'lost-append': 'lostAppend', 'lost-update': 'lostUpdate',
  'incompatible-order': 'incompatibleOrder', 'duplicate-elements': 'duplicateElements', 'garbage-read': 'garbageRead', internal: 'internal',
};

/** A cycle as evidence, starting from its earliest transaction so the same cycle always reads the same. */
function cycleEvidence(g: DependencyGraph, txns: readonly Txn[], nodes: readonly number[], edges: readonly number[]): CycleStep[] {
  const steps = nodes.map((v, i) => {
    const e = edges[i]!;
    return { txn: viewOf(txns[v]!), edge: { type: EDGE_NAMES[g.types[e]!]!, key: g.keys[e]!, value: g.values[e]! } };
  });
  const first = steps.reduce((best, s, i) => (s.txn.index < steps[best]!.txn.index ? i : best), 0);
  return [...steps.slice(first), ...steps.slice(0, first)];
}

export function checkListAppend(events: readonly HistoryEvent[], opts: ListAppendOptions = {}): Verdict {
  const began = performance.now();
  const { txns, appends, origin } = parseTxns(events);
  const reads = collectReads(txns);
  const { orders, conflicts } = inferOrders(reads);
  const graph = buildGraph(txns, appends, reads, orders);
  const { components, cycles } = findCycles(graph, began + (opts.timeLimitMs ?? 10_000));
  const anomalies: ListAppendAnomaly[] = [
    ...cycles.map((c): ListAppendAnomaly => ({ type: c.type, cycle: cycleEvidence(graph, txns, c.nodes, c.edges) })),
    ...readAnomalies(txns, appends, reads, orders, conflicts),
  ];

  const counts = new Map<ListAppendAnomalyType, number>();
  for (const a of anomalies) counts.set(a.type, (counts.get(a.type) ?? 0) + 1);
  const listed: ListAppendAnomaly[] = [];
  for (const type of ANOMALY_ORDER) listed.push(...anomalies.filter((a) => a.type === type).slice(0, PER_TYPE));

  const outcome = { ok: 0, fail: 0, info: 0 };
  for (const t of txns) outcome[t.outcome]++;
  const keys = new Set<Key>([...appends.keys(), ...reads.map((r) => r.key)]);
  const stats: Record<string, number> = {
    transactions: txns.length, committed: outcome.ok, failed: outcome.fail, unknown: outcome.info,
    keys: keys.size, reads: reads.length, appends: [...appends.values()].reduce((n, m) => n + m.size, 0),
    wwEdges: graph.counts.ww, wrEdges: graph.counts.wr, rwEdges: graph.counts.rw, cyclicComponents: components,
    anomalies: anomalies.length,
  };
  for (const type of ANOMALY_ORDER) stats[STAT_NAMES[type]] = counts.get(type) ?? 0;
  stats.elapsedMs = Math.round(performance.now() - began);

  const base = { checker: 'list-append' as const, stats };
  if (anomalies.length === 0) {
    return {
      ...base,
      valid: true,
      summary:
        `All ${txns.length} transactions (${outcome.ok} committed, ${outcome.info} unknown, ${outcome.fail} failed) over ${keys.size} keys are serializable: ` +
        `every read is a prefix of its key's order, the ${graph.counts.ww + graph.counts.wr + graph.counts.rw} dependencies form no cycle, and no read missed an append acknowledged before it began.`,
    };
  }
  const tally = ANOMALY_ORDER.filter((t) => counts.has(t)).map((t) => `${counts.get(t)} ${t}`).join(', ');
  const evidence: ListAppendEvidence = { kind: 'list-append', origin, anomalies: listed.slice(0, LISTED) };
  return { ...base, valid: false, summary: `${anomalies.length} anomal${anomalies.length === 1 ? 'y' : 'ies'} in ${txns.length} transactions: ${tally}. First: ${describeAnomaly(listed[0]!)}`, evidence };
}

// ---------------------------------------------------------------------------- words

const json = (v: unknown) => JSON.stringify(v);

/** A micro-op as Elle prints it: `append x 3`, `r y [1 2]`. */
export function describeMicroOp(m: MicroOpView): string {
  if (m.f === 'append') return `append ${json(m.key)} ${json(m.value)}`;
  if (m.value === undefined) return `r ${json(m.key)} ?`;
  if (m.value === null) return `r ${json(m.key)} null`;
  const list = (m.value as unknown[]).map((v) => json(v)).join(' ');
  return `r ${json(m.key)} [${m.elided ? `…${m.elided} more ` : ''}${list}]`;
}

/** `#12 (process 3, ok) [append "x" 3, r "y" [1 2]]` */
export function describeTxn(t: TxnView): string {
  const where = t.node !== undefined ? ` on ${String(t.node)}` : '';
  return `#${t.index} (process ${String(t.process)}${where}, ${t.outcome}) [${t.ops.map(describeMicroOp).join(', ')}]`;
}

/** Why step i's transaction comes before the next one. */
export function describeEdge(from: TxnView, step: CycleStep['edge'], to: TxnView): string {
  const k = json(step.key);
  const v = json(step.value);
  switch (step.type) {
    case 'ww':
      return `ww on ${k}: #${to.index}'s ${v} comes right after #${from.index}'s append in the list`;
    case 'wr':
      return `wr on ${k}: #${to.index} read a list ending in #${from.index}'s ${v}`;
    case 'rw':
      return `rw on ${k}: #${from.index} read the version just before #${to.index} appended ${v}`;
  }
}

/** The cycle as lines: each transaction, then the edge to the next. */
export function describeCycle(cycle: readonly CycleStep[]): string[] {
  return cycle.flatMap((s, i) => {
    const next = cycle[(i + 1) % cycle.length]!.txn;
    return [describeTxn(s.txn), `  -> ${describeEdge(s.txn, s.edge, next)}`];
  });
}

/** One sentence per anomaly (a cycle: its shape; `describeCycle` gives its steps). */
export function describeAnomaly(a: ListAppendAnomaly): string {
  switch (a.type) {
    case 'G0':
    case 'G1c':
    case 'G-single':
    case 'G2':
      return `${a.type}: a cycle of ${a.cycle.length} transactions, ${a.cycle.map((s) => `#${s.txn.index} -${s.edge.type}-> `).join('')}#${a.cycle[0]!.txn.index}`;
    case 'G1a':
      return `G1a (aborted read): ${describeTxn(a.reader)} saw ${json(a.value)} in ${json(a.key)}, appended by ${describeTxn(a.writer)}, which failed`;
    case 'G1b':
      return `G1b (intermediate read): ${describeTxn(a.reader)} read ${json(a.key)} ending in ${json(a.value)}, which ${describeTxn(a.writer)} followed with another append`;
    case 'lost-append':
      return `lost append: ${describeTxn(a.reader)} began after ${describeTxn(a.writer)} was acknowledged, yet its read of ${json(a.key)} lacks ${json(a.value)}`;
    case 'lost-update':
      return `lost update: ${a.txns.length} committed transactions read ${json(a.key)} = ${json(a.read)} and appended to it: ${a.txns.map((t) => `#${t.index}`).join(', ')}`;
    case 'incompatible-order':
      return `incompatible orders of ${json(a.key)}: ${a.reads.map(describeTxn).join(' and ')} read lists neither of which is a prefix of the other`;
    case 'duplicate-elements':
      return `duplicate elements: ${describeTxn(a.reader)} read ${json(a.value)} twice in ${json(a.key)}`;
    case 'garbage-read':
      return `garbage read: ${describeTxn(a.reader)} read ${json(a.value)} in ${json(a.key)}, which no transaction appended`;
    case 'internal':
      return `internal inconsistency: ${describeTxn(a.reader)} read ${json(a.key)}, where its own earlier read and appends give ${a.expected}`;
  }
}
