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
import { runLoad, type LoadOptions, type LoadResult, type OpRecord, type OpSource } from '../workloads/load.js';
import { runSetup, type Workload, type WorkloadContext } from '../workloads/workload.js';
import { workloadByName } from '../workloads/registry.js';
import { Cluster, Stretchable } from './cluster.js';
import type { ChildExit } from './supervisor.js';
import { FaultPlane } from './faults/plane.js';
import { FaultRunner, describe as describeFault } from './faults/runner.js';
import { plannedFaults } from './faults/nemesis.js';
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
  return { ...scenario, faults: plannedFaults(scenario) };
}

export async function runScenario(input: Scenario, opts: RunOptions): Promise<ScenarioResult> {
  const scenario = resolveScenario(input);
  fs.mkdirSync(opts.dir, { recursive: true });
  const run = new ScenarioRun(scenario, opts, await workloadByName(scenario.workload.type));
  try {
    const c = await run.startCluster();
    const ready = await run.prepareWorkload(c);
    await run.measuredLoad(c, ready);
    await run.afterLoad(c, ready);
  } catch (err) {
    run.fail(err instanceof Error ? err.message : String(err));
  } finally {
    await run.tearDown();
  }
  return run.assemble();
}

/** What the workload phases share once the cluster is up: its client, the workload's source, the load settings. */
interface LoadReady {
  client: NodeClient;
  source: OpSource;
  loadOptions: Omit<LoadOptions, 'durationMs'>;
}

/**
 * One scenario's run, phase by phase. Every phase may throw or be cut short by `stop`;
 * whatever a phase got as far as setting stays in the fields, so tearDown stops what was
 * started and assemble reports what was measured.
 */
class ScenarioRun {
  private readonly name: string;
  private readonly note: (line: string) => void;
  private readonly stop = new AbortController();
  private readonly problems: string[] = [];
  private readonly unexpectedExits: ChildExit[] = [];
  private readonly onSignal = () => this.fail(`interrupted (${String(this.opts.signal.reason ?? 'signal')})`);
  private readonly history: HistoryWriter;
  private readonly random: Random;
  private readonly machine: MachineWatch;
  private system: SystemSetup | null = null;
  private plane: FaultPlane | null = null;
  private cluster: Cluster | null = null;
  private observer: NodeObserver | null = null;
  private afterLoadFacts: AfterLoad = { unread: [] };
  private readonly phases: { started?: number; settled?: number } = {};
  private runner: FaultRunner | null = null;
  private client: NodeClient | null = null;
  private calibration: Calibration | null = null;
  private load: LoadResult | null = null;
  private originNs = Number(monoNs());
  private endNs = this.originNs;
  private healedAt: number | undefined;
  private saturation: ScenarioResult['maxThroughput'] = null;
  private leaderIndex = -1;
  private leaderTimer: NodeJS.Timeout | null = null;
  private readonly finalByNode: Record<string, Record<string, Scalar>> = {};
  /** Which nodes were up when the run ended (before the harness stopped them). */
  private readonly upAtEnd = new Set<string>();

  constructor(
    private readonly scenario: Scenario,
    private readonly opts: RunOptions,
    private readonly workload: Workload,
  ) {
    this.name = scenario.name ?? `${scenario.algo}-${scenario.workload.type}`;
    this.note = (line) => opts.progress.note(line);
    opts.signal.addEventListener('abort', this.onSignal);
    if (opts.signal.aborted) this.onSignal();
    this.history = new HistoryWriter(path.join(opts.dir, 'history.jsonl'));
    this.random = Random.derive(scenario.seed, 'workload');
    this.machine = new MachineWatch(() => this.cluster?.nodes.flatMap((n) => (n.child?.pid === undefined ? [] : [n.child.pid])) ?? [], this.note);
  }

  /** Record why the run cannot go on (once per reason) and stop it. */
  fail(why: string): void {
    if (!this.problems.includes(why)) this.problems.push(why);
    this.stop.abort();
  }

  private readonly onUnexpectedExit = (e: ChildExit) => {
    this.unexpectedExits.push(e);
    this.fail(`${e.name} exited on its own (code ${e.exitCode ?? '-'}, signal ${e.signal ?? '-'}); last lines of its log:\n  ${e.logTail.slice(-8).join('\n  ')}`);
  };

  /** The fault plane with a proxy per directed link, the network floor calibrated, the nodes started and settled, the leader watched. */
  async startCluster(): Promise<Cluster> {
    const { scenario, opts } = this;
    this.machine.start();
    const system = (this.system = await systemFor(scenario, opts.dir));
    const plane = (this.plane = await FaultPlane.start({ url: scenario.toxiproxy, logDir: path.join(opts.dir, 'logs'), ...system.plane }));
    plane.onUnexpectedExit = this.onUnexpectedExit;
    const c = (this.cluster = await this.wire(system, plane));
    this.calibration = await calibrate(plane);
    this.note(`calibration: loopback RTT p50 ${this.calibration.directRttUs.p50} µs direct, ${this.calibration.proxiedRttUs?.p50 ?? '-'} µs through one proxy`);
    opts.progress.update({ phase: 'starting', elapsedMs: 0, totalMs: scenario.duration, opsPerSec: 0, errors: 0, faults: '' });
    this.phases.started = Number(monoNs());
    c.patience = this.machine;
    await c.start();
    await system.settle(c, this.note);
    const trackLeader = async () => {
      const leader = await c.leader().catch(() => null);
      if (leader) this.leaderIndex = c.ids.indexOf(leader);
    };
    await trackLeader();
    this.leaderTimer = setInterval(() => void trackLeader(), 200);
    this.observer = new NodeObserver(c, this.machine);
    this.observer.start();
    return c;
  }

  /** The cluster, planned (or the user's remote nodes) and wired through the fault plane. */
  private async wire(system: SystemSetup, plane: FaultPlane): Promise<Cluster> {
    const { scenario } = this;
    if (scenario.remote) {
      const remote = scenario.remote;
      const cluster = Cluster.remote(
        { algo: scenario.algo, size: Object.keys(remote.nodes).length, dir: this.opts.dir },
        Object.entries(remote.nodes).map(([id, n]) => ({ id, api: parseHostPort(n.api)!, listen: parseHostPort(n.peer)! })),
      );
      this.cluster = cluster;
      await plane.wireRemote(cluster, remote.nodes, remote.linkListenHost, remote.linkPortBase);
      return cluster;
    }
    const cluster = await Cluster.plan({
      algo: scenario.algo,
      size: scenario.nodes,
      dir: this.opts.dir,
      settings: scenario.options,
      nodeSettings: (id) => ({ seed: Random.derive(scenario.seed, `node:${id}`).int(0, 2 ** 31 - 1) }),
      system: system.nodes,
    });
    this.cluster = cluster;
    cluster.onUnexpectedExit = this.onUnexpectedExit;
    await system.wire(plane, cluster);
    return cluster;
  }

  /** The client, the workload's setup, and the warm-up (in the history, since its writes are real, but not in the metrics). */
  async prepareWorkload(c: Cluster): Promise<LoadReady> {
    const { scenario, workload } = this;
    const client = (this.client = new NodeClient(
      c.nodes.map((n) => n.api),
      { connections: scenario.clients + 4, timeoutMs: scenario.clientTimeout, dialect: this.system!.dialect },
    ));
    const ctx: WorkloadContext = {
      spec: scenario.workload,
      nodes: c.nodes.length,
      random: this.random,
      nodeFor: (process) => (scenario.target === 'leader' && this.leaderIndex >= 0 ? this.leaderIndex : process % c.nodes.length),
    };
    await runSetup(workload, client, ctx, (what, boundMs) => new Stretchable(c.patience, what, boundMs));
    const source = workload.source(ctx);
    const loadOptions = { mode: scenario.rate ? ('open' as const) : ('closed' as const), concurrency: scenario.clients, rate: scenario.rate, source, client, history: this.history, nodeIds: c.ids, signal: this.stop.signal };
    if (scenario.warmup > 0 && !this.stop.signal.aborted) {
      this.opts.progress.update({ phase: 'warm-up', elapsedMs: 0, totalMs: scenario.warmup, opsPerSec: 0, errors: 0, faults: '' });
      await runLoad({ ...loadOptions, durationMs: scenario.warmup });
    }
    return { client, source, loadOptions };
  }

  /** The measured load with the fault schedule running beside it, and the progress line. */
  async measuredLoad(c: Cluster, { loadOptions }: LoadReady): Promise<void> {
    const { scenario, opts } = this;
    await this.observer!.openWindow();
    const originNs = (this.originNs = Number(monoNs()));
    const runner = (this.runner = new FaultRunner(scenario.faults, c, this.plane!, Random.derive(scenario.seed, 'faults'), originNs, this.note));
    const faultsDone = runner.run().catch((err: unknown) => this.fail(err instanceof Error ? err.message : String(err)));
    let window: OpRecord[] = [];
    let errors = 0;
    const ticker = setInterval(() => {
      const now = Number(monoNs());
      const recent = window.filter((x) => x.endNs > now - 1e9);
      window = recent;
      opts.progress.update({
        phase: 'load',
        elapsedMs: (now - originNs) / 1e6,
        totalMs: scenario.duration,
        opsPerSec: recent.filter((x) => x.type === 'ok').length,
        errors,
        faults: runner.active().map(describeFault).join('; '),
      });
    }, 250);
    try {
      this.load = await runLoad({
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
    this.endNs = Number(monoNs());
    await runner.stop();
    await faultsDone;
    opts.progress.stop();
  }

  /** Heal every fault and restart what is down; final reads on every node; the optional saturation phase; a last sample. */
  async afterLoad(c: Cluster, { client, source }: LoadReady): Promise<void> {
    const { scenario } = this;
    if (!this.stop.signal.aborted) {
      await heal(c, this.plane);
      this.healedAt = Number(monoNs());
      this.afterLoadFacts = await finalReads(this.workload, scenario, c, client, this.history, this.finalByNode, this.stop.signal, this.note, this.machine, source);
      this.phases.settled = Number(monoNs());
    }
    if (scenario.maxThroughput && !this.stop.signal.aborted) {
      const target = c.nodes[this.leaderIndex >= 0 ? this.leaderIndex : 0]!;
      this.note(`saturation: autocannon, ${scenario.maxThroughput.connections} connections, ${scenario.maxThroughput.duration} ms against ${target.id}`);
      this.saturation = await maxThroughput(formatHostPort(target.api), scenario.maxThroughput.connections, scenario.maxThroughput.duration, this.system!.saturation);
    }
    await this.observer!.sample();
    for (const id of c.ids) if (c.isUp(id)) this.upAtEnd.add(id);
  }

  /** Stop everything that was started, whatever phase the run got to. */
  async tearDown(): Promise<void> {
    if (this.leaderTimer) clearInterval(this.leaderTimer);
    this.opts.progress.stop();
    this.opts.signal.removeEventListener('abort', this.onSignal);
    await this.runner?.stop().catch(() => undefined);
    await this.observer?.stop();
    this.machine.stop();
    await this.client?.close().catch(() => undefined);
    await this.cluster?.stop().catch(() => undefined);
    await this.plane?.stop().catch(() => undefined);
    await this.system?.dispose().catch(() => undefined);
    this.history.close();
  }

  /** Read the nodes' traces back, check, and build the result (partial when the run was cut short). */
  assemble(): Promise<ScenarioResult> {
    return assemble({
      name: this.name, scenario: this.scenario, dir: this.opts.dir, command: this.opts.command, workload: this.workload, cluster: this.cluster,
      calibration: this.calibration, load: this.load, originNs: this.originNs, endNs: this.endNs, healedAt: this.healedAt, finalByNode: this.finalByNode,
      faults: this.runner?.records ?? [], observer: this.observer, saturation: this.saturation, unexpectedExits: this.unexpectedExits,
      problems: this.problems, upAtEnd: this.upAtEnd, system: this.system?.facts, machine: this.machine, afterLoad: this.afterLoadFacts, phases: this.phases,
    });
  }
}
