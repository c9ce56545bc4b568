/**
 * One simulated run (a "case": a scenario, a seed, a network and disk model), end to end on
 * the simulated clock, in the phases of `parley run` (harness/run.ts): start the cluster,
 * wait for a leader, the workload's setup, warm-up, the measured load with the fault
 * schedule beside it, heal everything, wait for the cluster to serve again (and, for an
 * eventually consistent store, to agree), Jepsen's final reads on every node, then the
 * workload's own checkers on the history and the nodes' traces.
 *
 * The same case always produces the same history: every choice comes from PRNG streams
 * derived from the scenario's seed, and nothing reads a real clock.
 */
import type { ClientOp, NodeId } from '../../nodes/common/core.js';
import { Random } from '../../nodes/common/random.js';
import { nodeOptions } from '../../nodes/main.js';
import type { Algorithm } from '../../nodes/common/runtime.js';
import type { Key, Scalar } from '../../workloads/history.js';
import type { OpRecord, OpSource } from '../../workloads/load.js';
import type { Outcome } from '../../workloads/client.js';
import { convergenceBoundMs, type Workload, type WorkloadContext } from '../../workloads/workload.js';
import type { Verdict } from '../../workloads/checkers/verdict.js';
import { checkLogSafety } from '../../workloads/checkers/log-safety.js';
import type { FaultRecord } from '../../contracts/results.js';
import type { Scenario } from '../../contracts/scenario.js';
import { fsyncOn, hasLeader, isEventual } from '../traits.js';
import { SimCluster } from './engine/cluster.js';
import { SimApi, SimHistory, ns, startSimLoad } from './engine/clients.js';
import { SimFaultRunner } from './engine/faults.js';
import type { DelayModel } from './engine/delay.js';

export interface SimCase {
  /** What `parley run` would run: the fault schedule already expanded. */
  scenario: Scenario;
  /** One-way delay of a peer message or a client request, before toxics. */
  net: DelayModel;
  /** How long a sync takes. */
  sync: DelayModel;
}

export interface SimModules {
  algorithm: Algorithm;
  workload: Workload;
}

export type CaseVerdict = 'valid' | 'invalid' | 'unknown';

export interface CaseResult {
  verdict: CaseVerdict;
  /** Checkers that found a violation (counted ones only). */
  failed: string[];
  checks: Verdict[];
  informational: string[];
  faults: FaultRecord[];
  /** Simulated ms of the whole case, and the events it took. */
  simMs: number;
  events: number;
  ops: number;
  /** Filled when `capture` was asked for: what outputs.ts writes. */
  capture?: CaseCapture;
}

export interface CaseCapture {
  history: SimHistory;
  records: OpRecord[];
  originNs: number;
  endNs: number;
  healedAt: number;
  finalByNode: Record<string, Record<string, Scalar>>;
  cluster: SimCluster;
  neverSent: number;
  notes: string[];
}

const LEADER_WAIT_MS = 30_000;
/**
 * Work one case may do, in events plus one per 256 bytes sent: a default case does about
 * 50,000. A core that sends without making progress (two nodes trading the same rejection
 * forever) is a liveness bug; this stops it deterministically instead of keeping a worker
 * busy for minutes.
 */
export const EVENT_BUDGET = 2_000_000;
const FINAL_READ_MS = 30_000;

/** Run the simulation until `done()` (checked as events run) or `maxMs` of simulated time passes. */
function until(cluster: SimCluster, done: () => boolean, maxMs: number): boolean {
  cluster.sched.runUntil(cluster.sched.now + maxMs, done);
  return done();
}

/** One client call, run to its outcome. */
function call(cluster: SimCluster, api: SimApi, node: number, op: ClientOp): Outcome {
  let outcome: Outcome | null = null;
  api.invoke(node, op, (o) => (outcome = o));
  until(cluster, () => outcome !== null, 10 * 60_000);
  return outcome ?? { type: 'info', status: 0, body: null, error: 'no answer' };
}

export function runCase(c: SimCase, modules: SimModules, capture = false): CaseResult {
  const scenario = c.scenario;
  const { algorithm, workload } = modules;
  const { runtime, algo } = nodeOptions(scenario.algo, algorithm, scenario.options);
  const ids: NodeId[] = Array.from({ length: scenario.nodes }, (_, i) => `n${i + 1}`);
  const cluster = new SimCluster({ ids, algorithm, algoOptions: algo, runtime: { ...runtime, trace: true }, seed: scenario.seed, net: c.net, sync: c.sync });
  const sched = cluster.sched;
  sched.budget = EVENT_BUDGET;
  const notes: string[] = [];
  const liveness: string[] = [];
  const leaders = hasLeader(scenario);
  const startFailures = cluster.startAll().map((id) => `${id} would not start: ${cluster.node(id).startFailure}`);
  if (leaders && !cluster.waitFor(() => cluster.leader() !== null, LEADER_WAIT_MS)) liveness.push(`no leader agreed within ${LEADER_WAIT_MS / 1000} s of a healthy start`);

  const api = new SimApi(cluster, Random.derive(scenario.seed, 'sim:clients'), c.net, scenario.clientTimeout);
  let leaderIndex = -1;
  const ctx: WorkloadContext = {
    spec: scenario.workload,
    nodes: ids.length,
    random: Random.derive(scenario.seed, 'workload'),
    nodeFor: (process) => (scenario.target === 'leader' && leaderIndex >= 0 ? leaderIndex : process % ids.length),
  };
  if (scenario.target === 'leader') {
    // The real run loop polls who leads every 200 ms.
    const track = () => {
      const l = cluster.leader();
      if (l) leaderIndex = ids.indexOf(l);
      sched.after(200, track);
    };
    track();
  }
  for (const op of workload.setupOps?.(ctx) ?? []) {
    const deadline = sched.now + 30_000;
    for (let attempt = 0; ; attempt++) {
      if (call(cluster, api, ctx.nodeFor(attempt), op).type === 'ok') break;
      if (sched.now > deadline) {
        liveness.push(`the workload's setup (${op.f}) did not succeed within 30 s of a healthy start`);
        break;
      }
      until(cluster, () => false, 100);
    }
  }

  const history = new SimHistory();
  const source = workload.source(ctx);
  const loadBase = { mode: scenario.rate ? ('open' as const) : ('closed' as const), concurrency: scenario.clients, rate: scenario.rate, source, api, history };
  let nextProcess = scenario.clients;
  if (scenario.warmup > 0) {
    const warm = startSimLoad(cluster, { ...loadBase, durationMs: scenario.warmup, records: [], firstProcess: nextProcess });
    until(cluster, warm.finished, scenario.warmup + scenario.clientTimeout + 1000);
    nextProcess = warm.processes();
  }

  const originMs = sched.now;
  const faults = new SimFaultRunner(scenario.faults, cluster, Random.derive(scenario.seed, 'faults'), originMs);
  faults.start();
  const records: OpRecord[] = [];
  const load = startSimLoad(cluster, { ...loadBase, durationMs: scenario.duration, records, firstProcess: nextProcess + scenario.clients });
  until(cluster, load.finished, scenario.duration + scenario.clientTimeout + 1000);
  const endMs = sched.now;
  faults.stop();

  // Heal: every link back, every node up and running at its normal pace.
  cluster.net.healAll();
  for (const n of cluster.nodes) {
    if (n.paused) n.resume();
    if (!n.up && !n.start()) startFailures.push(`${n.id} would not restart after the faults: ${n.startFailure}`);
    if (n.up && n.clockRate !== 1) n.setClock(1);
  }
  for (const f of faults.startFailures) startFailures.push(`${f.node} would not restart at ${f.atMs} ms: ${f.reason}`);
  const healedAt = sched.now;
  if (leaders && !cluster.waitFor(() => cluster.leader() !== null, LEADER_WAIT_MS)) liveness.push(`no leader agreed within ${LEADER_WAIT_MS / 1000} s after every fault healed`);
  if (isEventual(scenario)) waitForAgreement(cluster, api, workload, scenario, notes, source);

  const unread: { node: string; key: Key }[] = [];
  const finalByNode = finalReads(cluster, api, workload, scenario, history, liveness, unread, source);
  const checks = check(workload, scenario, history, cluster, finalByNode, unread, ns(healedAt));
  const safety = checkLogSafety({ applied: cluster.applied, leaders: cluster.leaderEvents, recoveries: fsyncOn(scenario.options) ? cluster.recoveredEvents : [] });
  if (safety) checks.push(safety);
  for (const f of cluster.fatal) checks.push({ checker: 'invariants', valid: false, summary: `${f.node} died at ${f.atMs} ms of simulated time: ${f.error}`, stats: { atMs: f.atMs } });
  for (const why of startFailures) checks.push({ checker: 'durability', valid: false, summary: `a node cannot recover its own log after a crash the contract allows: ${why}`, stats: {} });
  if (sched.exhausted) {
    // What follows a stopped simulation (every later wait failing) says nothing more.
    liveness.splice(0, liveness.length, `the simulation stopped after ${EVENT_BUDGET.toLocaleString('en-US')} units of work (events, and bytes sent / 256) at ${Math.round(sched.exhaustedAt ?? sched.now)} ms of simulated time: messages that made no progress (${busiestLinks(cluster)})`);
  }
  if (liveness.length > 3) liveness.splice(3, liveness.length, `and ${liveness.length - 3} more`);
  if (liveness.length > 0) checks.push({ checker: 'liveness', valid: false, summary: `the cluster did not serve again after every fault healed: ${liveness.join('; ')}`, stats: { problems: liveness.length } });
  const informational = workload.informational(isEventual(scenario));
  const counted = checks.filter((v) => !informational.includes(v.checker));
  const failed = [...new Set(counted.filter((v) => v.valid === false).map((v) => v.checker))];
  const verdict: CaseVerdict = failed.length > 0 ? 'invalid' : counted.some((v) => v.valid === 'unknown') ? 'unknown' : 'valid';
  return {
    verdict,
    failed,
    checks,
    informational,
    faults: faults.records,
    simMs: Math.round(sched.now),
    events: sched.processed,
    ops: records.length,
    ...(capture && {
      capture: { history, records, originNs: ns(originMs), endNs: ns(endMs), healedAt: ns(healedAt), finalByNode, cluster, neverSent: load.neverSent(), notes },
    }),
  };
}

/** The links that carried the most messages: where a storm is. */
function busiestLinks(cluster: SimCluster): string {
  const all = cluster.nodes.flatMap((n) => Object.entries(cluster.net.counters(n.id)).map(([to, c]) => [`${n.id}->${to}`, c.msgsSent] as const));
  return all.sort((a, b) => b[1] - a[1]).slice(0, 3).map(([l, n]) => `${l} ${n.toLocaleString('en-US')}`).join(', ');
}

/** An eventually consistent store gets up to the convergence bound to agree (probe reads, not in the history). */
function waitForAgreement(cluster: SimCluster, api: SimApi, workload: Workload, scenario: Scenario, notes: string[], source: OpSource): void {
  const start = cluster.sched.now;
  const boundMs = convergenceBoundMs(scenario.options);
  while (cluster.sched.now - start < boundMs) {
    // Agreement is every node answering, and answering alike: matching refusals are not agreement.
    let answered = true;
    const views = cluster.nodes.map((_, i) =>
      workload
        .finalOps(scenario.workload, i, source)
        .map((inv) => {
          const o = call(cluster, api, inv.node, inv.op);
          if (o.type !== 'ok') answered = false;
          return JSON.stringify(o.body);
        })
        .join('\n'),
    );
    if (answered && views.every((v) => v === views[0])) {
      notes.push(`replicas agree ${Math.round(cluster.sched.now - start)} ms after healing`);
      return;
    }
    until(cluster, () => false, 100);
  }
  notes.push(`replicas still disagree ${boundMs} ms after healing`);
}

/** Jepsen's final reads on every node, into the history; each retried until it succeeds or 30 s pass. */
function finalReads(
  cluster: SimCluster, api: SimApi, workload: Workload, scenario: Scenario, history: SimHistory, liveness: string[], unread: { node: string; key: Key }[], source: OpSource,
): Record<string, Record<string, Scalar>> {
  const finalByNode: Record<string, Record<string, Scalar>> = {};
  const sched = cluster.sched;
  cluster.nodes.forEach((n, i) => {
    const state: Record<string, Scalar> = {};
    finalByNode[n.id] = state;
    if (!n.up) return; // it would not start: a durability verdict says so
    const deadline = sched.now + FINAL_READ_MS;
    let process = 1_000_000 + i * 1000;
    for (const inv of workload.finalOps(scenario.workload, i, source)) {
      const node = cluster.nodes[inv.node]?.id;
      for (;;) {
        history.append({ time: ns(sched.now), process, type: 'invoke', f: inv.f, ...(inv.key !== undefined && { key: inv.key }), ...(inv.value !== undefined && { value: inv.value }), ...(node !== undefined && { node }) });
        const outcome = call(cluster, api, inv.node, inv.op);
        const done = inv.complete(outcome);
        history.append({ time: ns(sched.now), process, type: done.type, f: inv.f, ...(inv.key !== undefined && { key: inv.key }), ...(done.value !== undefined && { value: done.value }), ...(done.error !== undefined && { error: done.error }), ...(node !== undefined && { node }) });
        if (done.type === 'info') process++;
        if (done.type === 'ok') {
          if (inv.key !== undefined) state[inv.key] = (done.value ?? null) as Scalar;
          else if (done.value && typeof done.value === 'object' && !Array.isArray(done.value)) Object.assign(state, done.value);
          break;
        }
        if (sched.now > deadline) {
          liveness.push(`the final read of ${inv.key ?? inv.f} on ${n.id} did not succeed within ${FINAL_READ_MS / 1000} s (${outcome.status} ${outcome.error ?? ''})`);
          if (inv.key !== undefined) unread.push({ node: n.id, key: inv.key });
          break;
        }
        until(cluster, () => false, 100);
      }
    }
  });
  return finalByNode;
}

/**
 * The run's checkers, with no machine load and no settle report: simulated time is never
 * starved, so no timing is excused and the final state counts as settled. A final read that
 * never succeeded is unread (unknown), not null; the liveness verdict already fails for it.
 */
function check(
  workload: Workload, scenario: Scenario, history: SimHistory, cluster: SimCluster, finalByNode: Record<string, Record<string, Scalar>>, unread: readonly { node: string; key: Key }[], healedAt: number,
): Verdict[] {
  try {
    return workload.check(
      {
        history: history.events, applied: cluster.applied, commitEvents: cluster.commitEvents, finalByNode, unread, healedAt,
        timeLimitMs: scenario.checkBudget, convergenceBoundMs: convergenceBoundMs(scenario.options), eventual: isEventual(scenario), algo: scenario.algo,
      },
      scenario.workload,
    );
  } catch (err) {
    return [{ checker: 'linearizability', valid: 'unknown', summary: `the checkers could not read this history: ${err instanceof Error ? err.message : String(err)}`, stats: {} }];
  }
}
