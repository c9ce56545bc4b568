/**
 * What a simulated case leaves on disk, in `parley run`'s formats so the same tools read
 * it: history.jsonl, results.json (a ScenarioResult per case), report.html and junit.xml,
 * plus `case.json`, the exact case (scenario with its fault schedule, network and disk
 * models) that `parley sim --replay case.json` runs again bit for bit.
 */
import fs from 'node:fs';
import path from 'node:path';
import { formatEvent, type HistoryEvent } from '../../workloads/history.js';
import { checkConvergence } from '../../workloads/checkers/convergence.js';
import { analyze } from '../analyze.js';
import { machineInfo } from '../machine.js';
import { RESULTS_SCHEMA, writeResults, type ConvergenceSummary, type NodeResult, type ResultsFile, type ScenarioResult } from '../../contracts/results.js';
import type { Workload } from '../../workloads/workload.js';
import { isEventual } from '../traits.js';
import { describeDelay } from './engine/delay.js';
import type { CaseResult, SimCase } from './run-case.js';

export const SIM_CASE_SCHEMA = 'parley.sim-case/1';

export interface CaseFile {
  schema: typeof SIM_CASE_SCHEMA;
  /** What the case found when it was written. */
  verdict: CaseResult['verdict'];
  failed: string[];
  /** The one command that runs it again. */
  replay: string;
  case: SimCase;
}

export function scenarioResultOf(c: SimCase, r: CaseResult, workload: Workload, command: string): ScenarioResult {
  const cap = r.capture;
  if (!cap) throw new Error('scenarioResultOf needs a captured case');
  const { scenario } = c;
  const analysis = analyze(cap.records, r.faults, cap.originNs, cap.endNs, workload.isWrite);
  let convergence: ConvergenceSummary | null = null;
  if (cap.cluster.applied.length > 0) {
    const measured = r.checks.find((v) => v.checker === 'convergence') ?? checkConvergence({ history: cap.history.events, applied: cap.cluster.applied, final: cap.finalByNode });
    const samples = measured.samples?.convergenceMs ?? [];
    convergence = {
      writes: samples.length,
      p50Ms: measured.stats.convergenceP50Ms ?? 0,
      p99Ms: measured.stats.convergenceP99Ms ?? 0,
      maxMs: measured.stats.convergenceMaxMs ?? 0,
      incomplete: measured.stats.unconvergedWrites ?? 0,
      samples: samples.length > 2000 ? samples.filter((_, i) => i % Math.ceil(samples.length / 2000) === 0) : samples,
    };
  }
  const nodesDetail: NodeResult[] = cap.cluster.nodes.map((n) => {
    const links = Object.values(cap.cluster.net.counters(n.id));
    return {
      id: n.id,
      cpuSeconds: null,
      peakRssBytes: null,
      msgsSent: links.reduce((s, l) => s + l.msgsSent, 0),
      bytesSent: links.reduce((s, l) => s + l.bytesSent, 0),
      fsyncs: n.disk.syncs,
      up: n.up,
    };
  });
  const totalMsgs = nodesDetail.reduce((s, n) => s + n.msgsSent, 0);
  const totalBytes = nodesDetail.reduce((s, n) => s + n.bytesSent, 0);
  const ok = Math.max(1, analysis.ops.ok);
  return {
    name: scenario.name ?? `sim ${scenario.algo}/${scenario.workload.type} seed ${scenario.seed}`,
    algo: scenario.algo,
    workload: scenario.workload.type,
    nodes: scenario.nodes,
    scenario,
    command,
    status: 'complete',
    calibration: null,
    durationMs: Math.round((cap.endNs - cap.originNs) / 1e6),
    mode: scenario.rate ? 'open' : 'closed',
    clients: scenario.clients,
    targetRate: scenario.rate ?? null,
    ops: { ...analysis.ops, neverSent: cap.neverSent },
    throughput: analysis.throughput,
    throughputOverTime: analysis.throughputOverTime,
    latency: analysis.latency,
    availability: analysis.availability,
    faults: r.faults,
    failover: analysis.failover,
    convergence,
    messages: { total: totalMsgs, bytes: totalBytes, perOk: Math.round((totalMsgs / ok) * 100) / 100, bytesPerOk: Math.round(totalBytes / ok) },
    maxThroughput: null,
    nodesDetail,
    checks: r.checks,
    informational: workload.informational(isEventual(scenario)),
    files: { history: 'history.jsonl', logs: 'case.json' },
    sim: { net: describeDelay(c.net), sync: describeDelay(c.sync), simMs: r.simMs, events: r.events, notes: cap.notes },
  };
}

function writeHistory(file: string, events: readonly HistoryEvent[]): void {
  let text = '';
  for (const e of events) text += `${formatEvent(e)}\n`;
  fs.writeFileSync(file, text);
}

/** Write a captured case to `dir`: history, results.json, case.json, report.html, junit.xml. */
export async function writeCase(dir: string, c: SimCase, r: CaseResult, workload: Workload, replay: string, opts: { report?: boolean } = {}): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const cap = r.capture!;
  writeHistory(path.join(dir, 'history.jsonl'), cap.history.events);
  const file: CaseFile = { schema: SIM_CASE_SCHEMA, verdict: r.verdict, failed: r.failed, replay, case: c };
  fs.writeFileSync(path.join(dir, 'case.json'), `${JSON.stringify(file, null, 1)}\n`);
  const now = new Date().toISOString();
  const results: ResultsFile = {
    schema: RESULTS_SCHEMA,
    partial: false,
    meta: { ...machineInfo(), startedAt: now, finishedAt: now, command: replay, seed: c.scenario.seed },
    scenarios: [scenarioResultOf(c, r, workload, replay)],
  };
  writeResults(dir, results);
  if (opts.report !== false) {
    const { renderReport, writeJunit } = await import('../../reports/index.js');
    await renderReport([results], path.join(dir, 'report.html'));
    writeJunit(results, path.join(dir, 'junit.xml'));
  }
}
