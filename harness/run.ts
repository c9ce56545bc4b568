/**
 * One scenario, end to end: config -> cluster + fault plane -> workload -> history +
 * metrics -> checkers -> ScenarioResult. Data flows one way (DESIGN.md).
 *
 * Phases: start the fault plane and wire a proxy per directed link; calibrate the network
 * floor; start the nodes; the workload's setup; warm-up (recorded in the history, since its
 * writes are real, but not in the metrics); the measured load with the fault schedule
 * running beside it; heal every fault and restart what is down; final reads on every node
 * (into the history: the checkers judge what survived); an optional autocannon saturation
 * phase; stop everything; read the nodes' traces; check.
 *
 * Whatever happens (Ctrl-C, a node that dies on its own, a fault that cannot be applied) the
 * processes are stopped and what was measured so far becomes a result marked partial.
 */
import fs from 'node:fs';
import path from 'node:path';
import { monoNs } from '../nodes/common/clock.js';
import { Random } from '../nodes/common/random.js';
import { formatHostPort, parseHostPort } from '../nodes/common/address.js';
import { HistoryWriter, readHistory } from '../workloads/history.js';
import { NodeClient } from '../workloads/client.js';
import { runLoad, type LoadResult, type OpRecord } from '../workloads/load.js';
import { CONVERGENCE_BOUND_MS, workloadByName, type Workload, type WorkloadContext } from '../workloads/workload.js';
import { checkConvergence, type AppliedRecord } from '../workloads/checkers/convergence.js';
import type { CommitEvent } from '../workloads/checkers/atomicity.js';
import type { Verdict } from '../workloads/checkers/verdict.js';
import type { Scalar } from '../workloads/history.js';
import { Cluster } from './cluster.js';
import type { ChildExit } from './supervisor.js';
import { FaultPlane } from './faults/plane.js';
import { FaultRunner, describe as describeFault } from './faults/runner.js';
import { expandNemesis } from './faults/nemesis.js';
import { calibrate, type Calibration } from './calibrate.js';
import { NodeObserver } from './observe.js';
import { analyze } from './analyze.js';
import { maxThroughput } from './saturate.js';

import type { Progress } from './progress.js';
import type { Scenario } from './scenario.js';
import type { ConvergenceSummary, NodeResult, ScenarioResult } from './results.js';

export interface RunOptions {
  /** This scenario's folder: history.jsonl, data/, logs/. */
  dir: string;
  command: string;
  signal: AbortSignal;
  progress: Progress;
}

/** Whether the cluster has a leader (or coordinator) to wait for and to aim `target: leader` at. */
export function hasLeader(scenario: Pick<Scenario, 'algo' | 'options'>): boolean {
  return scenario.algo !== 'gossip' && scenario.options.mode !== 'leaderless';
}

/** Reads answered from a local replica: no linearizability promised (still converges). */
const isEventual = (scenario: Pick<Scenario, 'algo'>): boolean => scenario.algo === 'gossip';

export class HarnessError extends Error {}

/** Fill in what a scenario leaves to the seed: the fault schedule of its named nemeses. */
export function resolveScenario(input: Scenario): Scenario {
  const scenario = input.remote
    ? {
        ...input,
        nodes: Object.keys(input.remote.nodes).length,
        workload: { ...input.workload, keyPrefix: `${input.workload.keyPrefix}r${Date.now().toString(36)}-` },
      }
    : input;
  if (scenario.faults.length > 0 || !scenario.nemesis) return scenario;
  return { ...scenario, faults: expandNemesis(scenario) };
}

export async function runScenario(input: Scenario, opts: RunOptions): Promise<ScenarioResult> {
  const scenario = resolveScenario(input);
  const { dir, progress } = opts;
  fs.mkdirSync(dir, { recursive: true });
  const name = scenario.name ?? `${scenario.algo}-${scenario.workload.type}`;
  const note = (line: string) => progress.note(line);
  const stop = new AbortController();
  const problems: string[] = [];
  const fail = (why: string) => {
    if (!problems.includes(why)) problems.push(why);
    stop.abort();
  };
  const onSignal = () => fail(`interrupted (${String(opts.signal.reason ?? 'signal')})`);
  opts.signal.addEventListener('abort', onSignal);
  if (opts.signal.aborted) onSignal();
  const unexpectedExits: ChildExit[] = [];
  const onUnexpectedExit = (e: ChildExit) => {
    unexpectedExits.push(e);
    fail(`${e.name} exited on its own (code ${e.exitCode ?? '-'}, signal ${e.signal ?? '-'}); last lines of its log:\n  ${e.logTail.slice(-8).join('\n  ')}`);
  };

  const history = new HistoryWriter(path.join(dir, 'history.jsonl'));
  const workload = await workloadByName(scenario.workload.type);
  const random = Random.derive(scenario.seed, 'workload');
  let plane: FaultPlane | null = null;
  let cluster: Cluster | null = null;
  let observer: NodeObserver | null = null;
  let runner: FaultRunner | null = null;
  let client: NodeClient | null = null;
  let calibration: Calibration | null = null;
  let load: LoadResult | null = null;
  let originNs = Number(monoNs());
  let endNs = originNs;
  let healedAt: number | undefined;
  let saturation: ScenarioResult['maxThroughput'] = null;
  let leaderIndex = -1;
  let leaderTimer: NodeJS.Timeout | null = null;
  const finalByNode: Record<string, Record<string, Scalar>> = {};
  /** Which nodes were up when the run ended (before the harness stopped them). */
  const upAtEnd = new Set<string>();

  try {
    plane = await FaultPlane.start({ url: scenario.toxiproxy, logDir: path.join(dir, 'logs') });
    plane.onUnexpectedExit = onUnexpectedExit;
    if (scenario.remote) {
      const remote = scenario.remote;
      cluster = Cluster.remote(
        { algo: scenario.algo, size: Object.keys(remote.nodes).length, dir },
        Object.entries(remote.nodes).map(([id, n]) => ({ id, api: parseHostPort(n.api)!, listen: parseHostPort(n.peer)! })),
      );
      await plane.wireRemote(cluster, remote.nodes, remote.linkListenHost, remote.linkPortBase);
    } else {
      cluster = await Cluster.plan({
        algo: scenario.algo,
        size: scenario.nodes,
        dir,
        settings: scenario.options,
        nodeSettings: (id) => ({ seed: Random.derive(scenario.seed, `node:${id}`).int(0, 2 ** 31 - 1) }),
      });
      cluster.onUnexpectedExit = onUnexpectedExit;
      await plane.wire(cluster);
    }
    calibration = await calibrate(plane);
    note(`calibration: loopback RTT p50 ${calibration.directRttUs.p50} µs direct, ${calibration.proxiedRttUs?.p50 ?? '-'} µs through one proxy`);
    progress.update({ phase: 'starting', elapsedMs: 0, totalMs: scenario.duration, opsPerSec: 0, errors: 0, faults: '' });
    await cluster.start();
    const c = cluster;
    if (hasLeader(scenario)) await c.waitForLeader(30_000);
    const trackLeader = async () => {
      const leader = await c.leader().catch(() => null);
      if (leader) leaderIndex = c.ids.indexOf(leader);
    };
    await trackLeader();
    leaderTimer = setInterval(() => void trackLeader(), 200);
    observer = new NodeObserver(c);
    observer.start();

    client = new NodeClient(
      c.nodes.map((n) => n.api),
      { connections: scenario.clients + 4, timeoutMs: scenario.clientTimeout },
    );
    const ctx: WorkloadContext = {
      spec: scenario.workload,
      nodes: c.nodes.length,
      random,
      nodeFor: (process) => (scenario.target === 'leader' && leaderIndex >= 0 ? leaderIndex : process % c.nodes.length),
    };
    await workload.setup?.(client, ctx);
    const source = workload.source(ctx);
    const loadOptions = { mode: scenario.rate ? ('open' as const) : ('closed' as const), concurrency: scenario.clients, rate: scenario.rate, source, client, history, signal: stop.signal };
    if (scenario.warmup > 0 && !stop.signal.aborted) {
      progress.update({ phase: 'warm-up', elapsedMs: 0, totalMs: scenario.warmup, opsPerSec: 0, errors: 0, faults: '' });
      await runLoad({ ...loadOptions, durationMs: scenario.warmup });
    }

    await observer.openWindow();
    originNs = Number(monoNs());
    runner = new FaultRunner(scenario.faults, c, plane, Random.derive(scenario.seed, 'faults'), originNs, note);
    const faultsDone = runner.run().catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)));
    let window: OpRecord[] = [];
    let errors = 0;
    const r = runner;
    const ticker = setInterval(() => {
      const now = Number(monoNs());
      const recent = window.filter((x) => x.endNs > now - 1e9);
      window = recent;
      progress.update({
        phase: 'load',
        elapsedMs: (now - originNs) / 1e6,
        totalMs: scenario.duration,
        opsPerSec: recent.filter((x) => x.type === 'ok').length,
        errors,
        faults: r.active().map(describeFault).join('; '),
      });
    }, 250);
    try {
      load = await runLoad({
        ...loadOptions,
        durationMs: scenario.duration,
        onComplete: (rec) => {
          window.push(rec);
          if (rec.type !== 'ok') errors++;
        },
      });
    } finally {
      clearInterval(ticker);
    }
    endNs = Number(monoNs());
    await runner.stop();
    await faultsDone;
    progress.stop();

    if (!stop.signal.aborted) {
      await heal(c, plane);
      healedAt = Number(monoNs());
      await finalReads(workload, scenario, c, client, history, finalByNode, stop.signal, note);
    }
    if (scenario.maxThroughput && !stop.signal.aborted) {
      const target = c.nodes[leaderIndex >= 0 ? leaderIndex : 0]!;
      note(`saturation: autocannon, ${scenario.maxThroughput.connections} connections, ${scenario.maxThroughput.duration} ms against ${target.id}`);
      saturation = await maxThroughput(formatHostPort(target.api), scenario.maxThroughput.connections, scenario.maxThroughput.duration);
    }
    await observer.sample();
    for (const id of c.ids) if (c.isUp(id)) upAtEnd.add(id);
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  } finally {
    if (leaderTimer) clearInterval(leaderTimer);
    progress.stop();
    opts.signal.removeEventListener('abort', onSignal);
    await runner?.stop().catch(() => undefined);
    await observer?.stop();
    await client?.close().catch(() => undefined);
    await cluster?.stop().catch(() => undefined);
    await plane?.stop().catch(() => undefined);
    history.close();
  }

  return assemble({
    name, scenario, opts, workload, cluster, calibration, load, originNs, endNs, healedAt, finalByNode,
    faults: runner?.records ?? [], observer, saturation, unexpectedExits, problems, upAtEnd,
  });
}

/** End every fault: proxies back to normal, crashed nodes restarted, paused ones resumed. */
async function heal(cluster: Cluster, plane: FaultPlane | null): Promise<void> {
  await plane?.healAll();
  for (const n of cluster.nodes) {
    if (!n.child) continue;
    if (n.child.paused) n.child.resume();
    if (!n.child.running) await cluster.restart(n.id);
  }
}

/** Jepsen's final reads: once healthy, read every key on every node, into the history. */
async function finalReads(
  workload: Workload,
  scenario: Scenario,
  cluster: Cluster,
  client: NodeClient,
  history: HistoryWriter,
  finalByNode: Record<string, Record<string, Scalar>>,
  signal: AbortSignal,
  note: (line: string) => void,
): Promise<void> {
  if (hasLeader(scenario)) await cluster.waitForLeader(30_000).catch(() => undefined);
  if (isEventual(scenario)) await waitForAgreement(workload, scenario, cluster, client, signal, note);
  // Processes far above the load's, one per node, so they never overlap a load process.
  const base = 1_000_000;
  const deadline = Date.now() + 30_000;
  await Promise.all(
    cluster.nodes.map(async (n, i) => {
      const state: Record<string, Scalar> = {};
      let process = base + i * 1000;
      for (const inv of workload.finalOps(scenario.workload, i)) {
        for (;;) {
          if (signal.aborted) return;
          const start = Number(monoNs());
          history.append({ time: start, process, type: 'invoke', f: inv.f, ...(inv.key !== undefined && { key: inv.key }), ...(inv.value !== undefined && { value: inv.value }) });
          const outcome = await client.invoke(inv.node, inv.op);
          const done = inv.complete(outcome);
          history.append({ time: Number(monoNs()), process, type: done.type, f: inv.f, ...(inv.key !== undefined && { key: inv.key }), ...(done.value !== undefined && { value: done.value }), ...(done.error !== undefined && { error: done.error }) });
          if (done.type === 'info') process++;
          if (done.type === 'ok') {
            if (inv.key !== undefined) state[inv.key] = (done.value ?? null) as Scalar;
            else if (done.value && typeof done.value === 'object' && !Array.isArray(done.value)) Object.assign(state, done.value);
            break;
          }
          if (Date.now() > deadline) {
            note(`final read of ${inv.key ?? inv.f} on ${n.id} did not succeed: ${outcome.status} ${outcome.error ?? ''}`);
            break;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      finalByNode[n.id] = state;
    }),
  );
}

/**
 * An eventually consistent system is judged on the state it converges to: give it up to the
 * convergence bound to agree (these probe reads stay out of the history, so they do not
 * count as stale reads), then take the final reads. If it never agrees, the recorded final
 * reads show the divergence and the convergence checker says so.
 */
async function waitForAgreement(workload: Workload, scenario: Scenario, cluster: Cluster, client: NodeClient, signal: AbortSignal, note: (line: string) => void): Promise<void> {
  const deadline = Date.now() + CONVERGENCE_BOUND_MS;
  const started = Date.now();
  while (!signal.aborted && Date.now() < deadline) {
    const views = await Promise.all(
      cluster.nodes.map(async (_, i) => {
        const answers = await Promise.all(workload.finalOps(scenario.workload, i).map(async (inv) => JSON.stringify((await client.invoke(inv.node, inv.op)).body)));
        return answers.join('\n');
      }),
    );
    if (views.every((v) => v === views[0])) {
      note(`replicas agree ${Date.now() - started} ms after healing`);
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  note(`replicas still disagree ${CONVERGENCE_BOUND_MS} ms after healing`);
}

function readJsonLines<T>(file: string, map: (row: Record<string, unknown>) => T | null): T[] {
  if (!fs.existsSync(file)) return [];
  const out: T[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    try {
      const v = map(JSON.parse(line) as Record<string, unknown>);
      if (v !== null) out.push(v);
    } catch {
      /* a line torn by kill -9: the trace is best effort, the history is the record */
    }
  }
  return out;
}

function traces(cluster: Cluster | null): { applied: AppliedRecord[]; commitEvents: CommitEvent[] } {
  const applied: AppliedRecord[] = [];
  const commitEvents: CommitEvent[] = [];
  for (const n of cluster?.nodes ?? []) {
    if (!n.dataDir) continue;
    applied.push(
      ...readJsonLines(path.join(n.dataDir, 'applied.jsonl'), (r): AppliedRecord => {
        const rec: AppliedRecord = { node: n.id, key: String(r.k), value: r.v as Scalar, t: Number(r.t) };
        if (typeof r.version === 'number' || Array.isArray(r.version)) rec.version = r.version as AppliedRecord['version'];
        return rec;
      }),
    );
    commitEvents.push(...readJsonLines(path.join(n.dataDir, 'events.jsonl'), (r) => (typeof r.txid === 'string' && typeof r.event === 'string' ? (r as unknown as CommitEvent) : null)));
  }
  return { applied, commitEvents };
}

interface AssembleInput {
  name: string;
  scenario: Scenario;
  opts: RunOptions;
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
}

async function assemble(a: AssembleInput): Promise<ScenarioResult> {
  const { scenario, workload } = a;
  const records = a.load?.records ?? [];
  const analysis = analyze(records, a.faults, a.originNs, a.endNs, workload.isWrite);
  const { events } = await readHistory(path.join(a.opts.dir, 'history.jsonl'));
  const { applied, commitEvents } = traces(a.cluster);
  const eventual = isEventual(scenario);
  let checks: Verdict[] = [];
  try {
    checks = workload.check(
      { history: events, applied, commitEvents, finalByNode: a.finalByNode, healedAt: a.healedAt, timeLimitMs: scenario.checkBudget, eventual, algo: scenario.algo },
      scenario.workload,
    );
  } catch (err) {
    // A history the checkers cannot read is the harness's own bug: say so, do not guess a verdict.
    a.problems.push(`the checkers could not read this run's history: ${err instanceof Error ? err.message : String(err)}`);
  }

  // Convergence as a measurement, for every algorithm: ack -> the last live node holding it.
  let convergence: ConvergenceSummary | null = null;
  if (applied.length > 0 && Object.keys(a.finalByNode).length > 0) {
    const measured = checks.find((v) => v.checker === 'convergence') ?? checkConvergence({ history: events, applied, final: a.finalByNode });
    const samples = measured.samples?.convergenceMs ?? [];
    convergence = {
      writes: samples.length,
      p50Ms: measured.stats.convergenceP50Ms ?? 0,
      p99Ms: measured.stats.convergenceP99Ms ?? 0,
      maxMs: measured.stats.convergenceMaxMs ?? 0,
      incomplete: measured.stats.unconvergedWrites ?? 0,
      samples: thin(samples, 2000),
    };
  }

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
    command: a.opts.command,
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
    failover: analysis.failover,
    convergence,
    messages: { total: totalMsgs, bytes: totalBytes, perOk: round2(totalMsgs / ok), bytesPerOk: Math.round(totalBytes / ok) },
    maxThroughput: a.saturation,
    nodesDetail,
    checks,
    informational: workload.informational(eventual),
    files: { history: 'history.jsonl', logs: 'logs' },
  };
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
