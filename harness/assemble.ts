/**
 * From everything a run gathered to its ScenarioResult: the nodes' traces read back, the
 * checks run on the history, the metrics analysed, the nodes' resource use, and the
 * status (complete, partial, failed) with the reasons.
 */
import path from 'node:path';
import { readHistory, type Scalar } from '../workloads/history.js';
import { readTrace } from '../workloads/json-lines.js';
import type { LoadResult } from '../workloads/load.js';
import { convergenceBoundMs, type Workload } from '../workloads/workload.js';
import { checkConvergence, type AppliedRecord, type SettleReport } from '../workloads/checkers/convergence.js';
import { loadDuring, starvedDuring, STARVATION_LIMITS, type LoadSample } from '../workloads/checkers/starvation.js';
import type { CommitEvent } from '../workloads/checkers/atomicity.js';
import { checkLogSafety, isLeaderEvent, isRecoveredEvent, type LeaderEvent, type RecoveredEvent } from '../workloads/checkers/log-safety.js';
import type { Verdict } from '../workloads/checkers/verdict.js';
import type { Cluster } from './cluster.js';
import type { ChildExit } from './supervisor.js';
import type { FaultRunner } from './faults/runner.js';
import type { Calibration } from './calibrate.js';
import type { NodeObserver } from './observe.js';
import { analyze } from './analyze.js';
import type { Scenario } from '../contracts/scenario.js';
import type { ConvergenceSummary, MachineLoad, NodeResult, ScenarioResult, SettleSummary, SystemFacts } from '../contracts/results.js';
import type { MachineWatch } from './machine-watch.js';
import type { AfterLoad } from './after-load.js';
import { fsyncOn, isEventual, ownNodes } from './traits.js';
import { deathVerdicts, foldDeaths } from './node-deaths.js';

function traces(cluster: Cluster | null): { applied: AppliedRecord[]; commitEvents: CommitEvent[]; leaders: LeaderEvent[]; recoveries: RecoveredEvent[] } {
  const applied: AppliedRecord[] = [];
  const commitEvents: CommitEvent[] = [];
  const leaders: LeaderEvent[] = [];
  const recoveries: RecoveredEvent[] = [];
  for (const n of cluster?.nodes ?? []) {
    if (!n.dataDir) continue;
    applied.push(
      ...readTrace(path.join(n.dataDir, 'applied.jsonl'), (r): AppliedRecord => {
        const rec: AppliedRecord = { node: n.id, key: String(r.k), value: r.v as Scalar, t: Number(r.t) };
        if (typeof r.version === 'number' || Array.isArray(r.version)) rec.version = r.version as AppliedRecord['version'];
        if (typeof r.at === 'number') rec.at = r.at;
        return rec;
      }),
    );
    for (const r of readTrace(path.join(n.dataDir, 'events.jsonl'), (r) => r)) {
      if (typeof r.txid === 'string' && typeof r.event === 'string') commitEvents.push(r as unknown as CommitEvent);
      else if (isLeaderEvent(r)) leaders.push(r as unknown as LeaderEvent);
      else if (isRecoveredEvent(r)) recoveries.push(r as unknown as RecoveredEvent);
    }
  }
  return { applied, commitEvents, leaders, recoveries };
}

export interface AssembleInput {
  name: string;
  scenario: Scenario;
  dir: string;
  command: string;
  workload: Workload;
  cluster: Cluster | null;
  calibration: Calibration | null;
  load: LoadResult | null;
  originNs: number;
  endNs: number;
  healedAt: number | undefined;
  finalByNode: Record<string, Record<string, Scalar>>;
  faults: FaultRunner['records'];
  observer: NodeObserver | null;
  saturation: ScenarioResult['maxThroughput'];
  unexpectedExits: ChildExit[];
  problems: string[];
  upAtEnd: Set<string>;
  system?: SystemFacts | undefined;
  machine?: MachineWatch | null;
  afterLoad?: AfterLoad;
  /** When the nodes were spawned, and when the final reads ended (history clock). */
  phases?: { started?: number; settled?: number };
}

export async function assemble(a: AssembleInput): Promise<ScenarioResult> {
  const { scenario, workload } = a;
  const records = a.load?.records ?? [];
  const analysis = analyze(records, a.faults, a.originNs, a.endNs, workload.isWrite);
  const { events } = await readHistory(path.join(a.dir, 'history.jsonl'));
  const { applied, commitEvents, leaders, recoveries } = traces(a.cluster);
  const eventual = isEventual(scenario);
  const samples = a.machine?.samples ?? [];
  const judgedUntil = a.phases?.settled ?? a.endNs;
  let checks: Verdict[] = [];
  try {
    checks = workload.check(
      {
        history: events, applied, commitEvents, finalByNode: a.finalByNode, healedAt: a.healedAt, timeLimitMs: scenario.checkBudget, convergenceBoundMs: convergenceBoundMs(scenario.options), eventual, algo: scenario.algo,
        machine: samples, unread: a.afterLoad?.unread ?? [], ...(a.afterLoad?.settle && { settle: a.afterLoad.settle }),
      },
      scenario.workload,
    );
  } catch (err) {
    // A history the checkers cannot read is the harness's own bug: say so, do not guess a verdict.
    a.problems.push(`the checkers could not read this run's history: ${err instanceof Error ? err.message : String(err)}`);
  }
  // The replicas' own invariants, from their traces (cores with a log or terms only).
  // A node without fsync may lose what it applied to a power loss: that is what it was told.
  const safety = checkLogSafety({ applied, leaders, recoveries: fsyncOn(a.scenario.options) ? recoveries : [] });
  if (safety) checks.push(safety);
  // A node of parley's own that died of a bug it detected itself (node-deaths.ts).
  foldDeaths(checks, deathVerdicts(a.unexpectedExits, { ownNodes: ownNodes(scenario), fsync: fsyncOn(scenario.options) }));

  // Convergence as a measurement, for every algorithm: ack -> the last live node holding it.
  let convergence: ConvergenceSummary | null = null;
  if (applied.length > 0 && Object.keys(a.finalByNode).length > 0) {
    const measured = checks.find((v) => v.checker === 'convergence') ?? checkConvergence({ history: events, applied, final: a.finalByNode });
    const convergenceMs = measured.samples?.convergenceMs ?? [];
    convergence = {
      writes: convergenceMs.length,
      p50Ms: measured.stats.convergenceP50Ms ?? 0,
      p99Ms: measured.stats.convergenceP99Ms ?? 0,
      maxMs: measured.stats.convergenceMaxMs ?? 0,
      incomplete: measured.stats.unconvergedWrites ?? 0,
      samples: thin(convergenceMs, 2000),
      ...((measured.starved ?? starvedDuring(samples, a.originNs, judgedUntil)) && { starved: true }),
    };
  }
  markStarvedTimings(checks, samples, a.originNs, judgedUntil);
  const failover = analysis.failover.map((f) => {
    const to = a.originNs + (f.nextWriteMs ?? (a.endNs - a.originNs) / 1e6) * 1e6;
    return starvedDuring(samples, a.originNs + f.crashMs * 1e6, to) ? { ...f, starved: true } : f;
  });

  const observed = a.observer?.report() ?? new Map();
  const nodesDetail: NodeResult[] = (a.cluster?.nodes ?? []).map((n) => {
    const o = observed.get(n.id);
    const exit = a.unexpectedExits.find((e) => e.name === n.id);
    return {
      id: n.id,
      cpuSeconds: o?.cpuSeconds ?? null,
      peakRssBytes: o?.peakRssBytes ?? null,
      msgsSent: o?.msgsSent ?? 0,
      bytesSent: o?.bytesSent ?? 0,
      fsyncs: o?.fsyncs ?? 0,
      up: a.upAtEnd.has(n.id),
      ...(exit && { unexpectedExit: { exitCode: exit.exitCode ?? null, signal: exit.signal ?? null, logTail: exit.logTail } }),
    };
  });
  const totalMsgs = nodesDetail.reduce((s, n) => s + n.msgsSent, 0);
  const totalBytes = nodesDetail.reduce((s, n) => s + n.bytesSent, 0);
  const ok = Math.max(1, analysis.ops.ok);
  const status: ScenarioResult['status'] = a.problems.length === 0 ? 'complete' : a.load ? 'partial' : 'failed';
  return {
    name: a.name,
    algo: scenario.algo,
    workload: scenario.workload.type,
    nodes: scenario.nodes,
    scenario,
    command: a.command,
    status,
    ...(a.problems.length > 0 && { error: a.problems.join('; ') }),
    calibration: a.calibration,
    durationMs: Math.round((a.endNs - a.originNs) / 1e6),
    mode: scenario.rate ? 'open' : 'closed',
    clients: scenario.clients,
    targetRate: scenario.rate ?? null,
    ops: { ...analysis.ops, neverSent: a.load?.neverSent ?? 0 },
    throughput: analysis.throughput,
    throughputOverTime: analysis.throughputOverTime,
    latency: analysis.latency,
    availability: analysis.availability,
    faults: a.faults,
    failover,
    convergence,
    messages: { total: totalMsgs, bytes: totalBytes, perOk: round2(totalMsgs / ok), bytesPerOk: Math.round(totalBytes / ok) },
    maxThroughput: a.saturation,
    nodesDetail,
    checks,
    informational: workload.informational(eventual),
    ...(a.machine && { machineLoad: machineLoad(a.machine, a.originNs, a.endNs, a.healedAt, a.phases ?? {}) }),
    ...(a.afterLoad?.settle && { settle: settleSummary(a.afterLoad.settle) }),
    files: { history: 'history.jsonl', logs: 'logs' },
    ...(a.system && { system: a.system }),
  };
}

/**
 * Verdicts that report times (2PC's time in doubt) but judge none: when the machine was
 * starved while they were measured, say so on the verdict. (Convergence judges its times
 * and marks itself.)
 */
function markStarvedTimings(checks: Verdict[], samples: readonly LoadSample[], from: number, to: number): void {
  for (const v of checks) {
    if (v.checker !== 'atomicity' || v.starved) continue;
    const starved = starvedDuring(samples, from, to);
    if (starved) v.starved = starved;
  }
}

function machineLoad(machine: MachineWatch, originNs: number, endNs: number, healedAt: number | undefined, phases: { started?: number; settled?: number }): MachineLoad {
  const windows: Partial<Record<'start' | 'load' | 'settle', [number, number]>> = { load: [originNs, endNs] };
  if (phases.started !== undefined) windows.start = [phases.started, originNs];
  if (healedAt !== undefined && phases.settled !== undefined) windows.settle = [healedAt, phases.settled];
  const out: MachineLoad = { starved: false, limits: { ...STARVATION_LIMITS }, phases: {}, stretchedWaits: [...machine.stretchedWaits] };
  for (const [phase, [from, to]] of Object.entries(windows) as [keyof MachineLoad['phases'], [number, number]][]) {
    const e = loadDuring(machine.samples, from, to);
    if (!e) continue;
    const { from: _f, to: _t, ...figures } = e;
    out.phases[phase] = { fromMs: Math.round((from - originNs) / 1e6), toMs: Math.round((to - originNs) / 1e6), starved: e.reasons.length > 0, ...figures };
    if (e.reasons.length > 0) out.starved = true;
  }
  return out;
}

function settleSummary(s: SettleReport): SettleSummary {
  return { outcome: s.outcome, waitedMs: Math.round((s.to - s.from) / 1e6), boundMs: s.boundMs, quietMs: s.quietMs, lastChangeMs: Math.round((s.lastChange - s.from) / 1e6) };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** At most `n` evenly spaced items of a sorted sample, for charts. */
function thin(sorted: readonly number[], n: number): number[] {
  if (sorted.length <= n) return [...sorted];
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(sorted[Math.floor((i * (sorted.length - 1)) / (n - 1))]!);
  return out;
}
