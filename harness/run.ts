/**
 * One scenario, end to end: config -> cluster + fault plane -> workload -> history +
 * metrics -> checkers -> ScenarioResult. Data flows one way (docs/architecture.md).
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
import { HistoryWriter, type Scalar } from '../workloads/history.js';
import { NodeClient } from '../workloads/client.js';
import { runLoad, type LoadResult, type OpRecord } from '../workloads/load.js';
import { runSetup, type WorkloadContext } from '../workloads/workload.js';
import { workloadByName } from '../workloads/registry.js';
import { Cluster, Stretchable } from './cluster.js';
import type { ChildExit } from './supervisor.js';
import { FaultPlane } from './faults/plane.js';
import { FaultRunner, describe as describeFault } from './faults/runner.js';
import { expandNemesis } from './faults/nemesis.js';
import { calibrate, type Calibration } from './calibrate.js';
import { NodeObserver } from './observe.js';
import { MachineWatch } from './machine-watch.js';
import { maxThroughput } from './saturate.js';
import { finalReads, heal, type AfterLoad } from './after-load.js';
import { assemble } from './assemble.js';
import { systemFor } from './systems.js';
import type { SystemSetup } from './system-setup.js';
import type { Progress } from './progress.js';
import type { Scenario } from '../contracts/scenario.js';
import type { ScenarioResult } from '../contracts/results.js';

export interface RunOptions {
  /** This scenario's folder: history.jsonl, data/, logs/. */
  dir: string;
  command: string;
  signal: AbortSignal;
  progress: Progress;
}


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
  let system: SystemSetup | null = null;
  let plane: FaultPlane | null = null;
  let cluster: Cluster | null = null;
  let observer: NodeObserver | null = null;
  let afterLoad: AfterLoad = { unread: [] };
  const phases: { started?: number; settled?: number } = {};
  const machine = new MachineWatch(() => cluster?.nodes.flatMap((n) => (n.child?.pid === undefined ? [] : [n.child.pid])) ?? [], note);
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
    machine.start();
    system = await systemFor(scenario, dir);
    plane = await FaultPlane.start({ url: scenario.toxiproxy, logDir: path.join(dir, 'logs'), ...system.plane });
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
        system: system.nodes,
      });
      cluster.onUnexpectedExit = onUnexpectedExit;
      await system.wire(plane, cluster);
    }
    calibration = await calibrate(plane);
    note(`calibration: loopback RTT p50 ${calibration.directRttUs.p50} µs direct, ${calibration.proxiedRttUs?.p50 ?? '-'} µs through one proxy`);
    progress.update({ phase: 'starting', elapsedMs: 0, totalMs: scenario.duration, opsPerSec: 0, errors: 0, faults: '' });
    phases.started = Number(monoNs());
    cluster.patience = machine;
    await cluster.start();
    const c = cluster;
    await system.settle(c, note);
    const trackLeader = async () => {
      const leader = await c.leader().catch(() => null);
      if (leader) leaderIndex = c.ids.indexOf(leader);
    };
    await trackLeader();
    leaderTimer = setInterval(() => void trackLeader(), 200);
    observer = new NodeObserver(c, machine);
    observer.start();

    client = new NodeClient(
      c.nodes.map((n) => n.api),
      { connections: scenario.clients + 4, timeoutMs: scenario.clientTimeout, dialect: system.dialect },
    );
    const ctx: WorkloadContext = {
      spec: scenario.workload,
      nodes: c.nodes.length,
      random,
      nodeFor: (process) => (scenario.target === 'leader' && leaderIndex >= 0 ? leaderIndex : process % c.nodes.length),
    };
    await runSetup(workload, client, ctx, (what, boundMs) => new Stretchable(c.patience, what, boundMs));
    const source = workload.source(ctx);
    const loadOptions = { mode: scenario.rate ? ('open' as const) : ('closed' as const), concurrency: scenario.clients, rate: scenario.rate, source, client, history, nodeIds: c.ids, signal: stop.signal };
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
      afterLoad = await finalReads(workload, scenario, c, client, history, finalByNode, stop.signal, note, machine, source);
      phases.settled = Number(monoNs());
    }
    if (scenario.maxThroughput && !stop.signal.aborted) {
      const target = c.nodes[leaderIndex >= 0 ? leaderIndex : 0]!;
      note(`saturation: autocannon, ${scenario.maxThroughput.connections} connections, ${scenario.maxThroughput.duration} ms against ${target.id}`);
      saturation = await maxThroughput(formatHostPort(target.api), scenario.maxThroughput.connections, scenario.maxThroughput.duration, system.saturation);
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
    machine.stop();
    await client?.close().catch(() => undefined);
    await cluster?.stop().catch(() => undefined);
    await plane?.stop().catch(() => undefined);
    await system?.dispose().catch(() => undefined);
    history.close();
  }

  return assemble({
    name, scenario, dir, command: opts.command, workload, cluster, calibration, load, originNs, endNs, healedAt, finalByNode,
    faults: runner?.records ?? [], observer, saturation, unexpectedExits, problems, upAtEnd, system: system?.facts,
    machine, afterLoad, phases,
  });
}
