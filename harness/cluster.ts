/**
 * A cluster of real node processes: start N nodes of one algorithm, wait until each serves
 * its API, crash (kill -9) and restart one on the same data directory, pause and resume it,
 * and stop them all. Peers dial each other at the addresses `linkAddress(from, to)` gives:
 * the directed link proxies of the fault plane, or the peers themselves when there is none.
 *
 * Nodes may also be remote (addresses given, not spawned): then the cluster only talks to
 * their APIs, and process faults against them are refused with a clear error.
 *
 * Nodes that are not parley's (a user's program in harness/node-command.ts, etcd) come with
 * a `NodeSystem`, defined here, that says how to start one and how to read its status.
 */
import path from 'node:path';
import { formatHostPort, type HostPort } from '../nodes/common/address.js';
import { allocatePorts } from './ports.js';
import { Child, tailOfFile, type ChildExit, type ChildSpec } from './supervisor.js';
import { fetchJson } from './http.js';
import type { Failpoint } from '../nodes/common/failpoints.js';

export interface NodeHandle {
  id: string;
  /** Where the node listens for peers. */
  listen: HostPort;
  /** Its client HTTP API. */
  api: HostPort;
  dataDir: string;
  logFile: string;
  /** Null for a remote node. */
  child: Child | null;
}

export interface ClusterSpec {
  /** parley's algorithm (`parley node --algo`), or what a `system` runs. */
  algo: string;
  size: number;
  /** Folder for data/<id> and logs/<id>.log. */
  dir: string;
  /** `--set` options for every node. */
  settings?: Record<string, string | number | boolean>;
  /** Per-node extra settings (e.g. a seed per node). */
  nodeSettings?: (id: string) => Record<string, string | number | boolean>;
  host?: string;
  /** Ids; default n1..nN. */
  ids?: string[];
  /** Nodes that are not parley's; absent: `parley node --algo <algo>`. */
  system?: NodeSystem;
}

export interface PeerAddress {
  id: string;
  /** Where this node dials the peer: the link proxy from this node to it. */
  address: HostPort;
}

/** Nodes parley runs but did not write: how to start one and how to read its status. */
export interface NodeSystem {
  /** The GET path that answers 200 once a node serves (the contract: /status). */
  readonly readyPath: string;
  /** The process for node `n`, which dials each peer at `peers`. */
  child(n: NodeHandle, peers: readonly PeerAddress[], ids: readonly string[]): ChildSpec;
  /** The node's status in the contract's shape ({id, role, leader, ...}); absent: GET /status. */
  status?(n: NodeHandle, timeoutMs: number): Promise<Record<string, unknown> | null>;
  /** The contract's counters (msgsSent, bytesSent, fsyncs); absent: GET /metrics. */
  metrics?(n: NodeHandle, timeoutMs: number): Promise<Record<string, unknown> | null>;
  /** After start: wait for a leader if these nodes have one; remember whether they do. */
  settle(cluster: Cluster, note: (line: string) => void): Promise<void>;
  /** Why a `leader` target cannot be resolved on these nodes, or null when it can. */
  leaderless(): string | null;
}

/** A node refused one of the fault hooks parley's own nodes serve (POST /clock, POST /failpoint). */
export class HookRefused extends Error {}

export class NodeStartError extends Error {}

/**
 * Whether a wait that has run past its bound should go on, because the machine is starved
 * or the node waited for is still working (harness/machine-watch.ts). Without one, bounds
 * are fixed.
 */
export interface Patience {
  /** The reason to keep waiting, or null to give up. */
  extend(w: { what: string; pid?: number; waitedMs: number; boundMs: number }): string | null;
  /** A wait that went past its bound and then succeeded: recorded and reported. */
  stretched(what: string, boundMs: number, waitedMs: number, reason: string): void;
}

export function nodeIds(size: number): string[] {
  return Array.from({ length: size }, (_, i) => `n${i + 1}`);
}

export class Cluster {
  readonly nodes: NodeHandle[];
  private readonly byId: Map<string, NodeHandle>;
  onUnexpectedExit: ((exit: ChildExit) => void) | null = null;
  patience: Patience | null = null;

  private constructor(
    readonly spec: ClusterSpec,
    nodes: NodeHandle[],
    private linkAddress: (from: string, to: string) => HostPort,
    readonly isRemote = false,
  ) {
    this.nodes = nodes;
    this.byId = new Map(nodes.map((n) => [n.id, n]));
  }

  /** Choose ports and paths for every node without starting anything (proxies need the addresses first). */
  static async plan(spec: ClusterSpec): Promise<Cluster> {
    const host = spec.host ?? '127.0.0.1';
    const ids = spec.ids ?? nodeIds(spec.size);
    const ports = await allocatePorts(ids.length * 2, host);
    const nodes = ids.map((id, i) => ({
      id,
      listen: { host, port: ports[2 * i]! },
      api: { host, port: ports[2 * i + 1]! },
      dataDir: path.join(spec.dir, 'data', id),
      logFile: path.join(spec.dir, 'logs', `${id}.log`),
      child: null,
    }));
    const cluster: Cluster = new Cluster(spec, nodes, (_from, to): HostPort => cluster.node(to).listen);
    return cluster;
  }

  /** Nodes that run elsewhere: only their API (and peer) addresses are known. */
  static remote(spec: ClusterSpec, nodes: { id: string; api: HostPort; listen: HostPort }[]): Cluster {
    const handles = nodes.map((n) => ({ ...n, dataDir: '', logFile: '', child: null }));
    const cluster: Cluster = new Cluster(spec, handles, (_from, to): HostPort => cluster.node(to).listen, true);
    return cluster;
  }

  /** Route peer traffic through other addresses (the link proxies). Call before start(). */
  routeLinks(linkAddress: (from: string, to: string) => HostPort): void {
    this.linkAddress = linkAddress;
  }

  node(id: string): NodeHandle {
    const n = this.byId.get(id);
    if (!n) throw new Error(`no node ${id} in this cluster (nodes: ${[...this.byId.keys()].join(', ')})`);
    return n;
  }

  get ids(): string[] {
    return this.nodes.map((n) => n.id);
  }

  private args(n: NodeHandle): string[] {
    const args = ['node', '--algo', this.spec.algo, '--id', n.id, '--listen', formatHostPort(n.listen), '--api', formatHostPort(n.api), '--data', n.dataDir];
    for (const peer of this.nodes) {
      if (peer.id !== n.id) args.push('--peer', `${peer.id}=${formatHostPort(this.linkAddress(n.id, peer.id))}`);
    }
    const settings = { ...this.spec.settings, ...this.spec.nodeSettings?.(n.id) };
    for (const [k, v] of Object.entries(settings)) args.push('--set', `${k}=${v}`);
    return args;
  }

  /** Spawn every local node and wait until each node, local or remote, answers GET /status. */
  async start(readyTimeoutMs = 15_000): Promise<void> {
    if (!this.isRemote) for (const n of this.nodes) this.spawn(n);
    await Promise.all(this.nodes.map((n) => this.waitReady(n.id, readyTimeoutMs)));
  }

  private peersOf(n: NodeHandle): PeerAddress[] {
    return this.nodes.filter((p) => p.id !== n.id).map((p) => ({ id: p.id, address: this.linkAddress(n.id, p.id) }));
  }

  private spawn(n: NodeHandle): void {
    if (!n.child) {
      const system = this.spec.system;
      n.child = new Child(system ? system.child(n, this.peersOf(n), this.ids) : { name: n.id, args: this.args(n), logFile: n.logFile });
      n.child.onUnexpectedExit = (exit) => this.onUnexpectedExit?.(exit);
    }
    n.child.start();
  }

  private localChild(id: string): Child {
    const child = this.node(id).child;
    if (!child) throw new Error(`node ${id} is remote: parley cannot crash, restart or pause it`);
    return child;
  }

  async waitReady(id: string, timeoutMs = 15_000): Promise<void> {
    const n = this.node(id);
    const readyPath = this.spec.system?.readyPath ?? '/status';
    const what = `${id} to answer GET ${readyPath}`;
    const bound = new Stretchable(this.patience, what, timeoutMs);
    let lastError = '';
    while (bound.goOn(n.child?.pid)) {
      if (n.child && !n.child.running) {
        throw new NodeStartError(`node ${id} exited during start-up; last lines of ${n.logFile}:\n  ${tailOfFile(n.logFile).join('\n  ')}`);
      }
      try {
        const { status } = await fetchJson(n.api, 'GET', readyPath, undefined, 500);
        if (status === 200) return bound.done();
        lastError = `status ${status}`;
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new NodeStartError(`node ${id} did not answer GET ${readyPath} on ${formatHostPort(n.api)} within ${bound.describe()} (${lastError})`);
  }

  /** kill -9: a crash. The data directory stays as the crash left it. */
  async crash(id: string): Promise<void> {
    await this.localChild(id).kill();
  }

  /**
   * A crash at a failpoint (POST /failpoint, nodes/common/failpoints.ts): the node kills
   * itself there, or is killed after `withinMs` if it reached none. Says which; throws
   * HookRefused when the node refuses (it serves no failpoints), and then it is still up.
   */
  async crashAt(id: string, point: Failpoint, withinMs: number): Promise<'failpoint' | 'killed'> {
    const child = this.localChild(id);
    // Expected before it is armed: the node may die before its answer is read.
    child.expectExit();
    // No answer (still starting, or already dead): killed where it is.
    const answer = await fetchJson(this.node(id).api, 'POST', '/failpoint', { point }, Math.min(2000, withinMs)).catch(() => null);
    if (answer && answer.status !== 200 && child.running) {
      child.expectExit(false);
      throw new HookRefused(`node ${id} refused POST /failpoint (status ${answer.status}: ${JSON.stringify(answer.body)})`);
    }
    if (answer?.status === 200) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([child.waitExit(), new Promise((resolve) => (timer = setTimeout(resolve, withinMs)))]);
      clearTimeout(timer);
    }
    if (!child.running) return 'failpoint';
    await child.kill();
    return 'killed';
  }

  /** Start a crashed node again on the same data directory and wait until it serves. */
  async restart(id: string, readyTimeoutMs = 15_000): Promise<void> {
    const n = this.node(id);
    this.localChild(id);
    this.spawn(n);
    await this.waitReady(id, readyTimeoutMs);
  }

  pause(id: string): void {
    this.localChild(id).pause();
  }

  resume(id: string): void {
    this.localChild(id).resume();
  }

  /**
   * A clock fault: the node's protocol clock runs `rate` times as fast after jumping `jumpMs`
   * forward, for `forMs` if given (POST /clock, which parley's own nodes serve). Throws when
   * the node refuses.
   */
  async skewClock(id: string, clock: { rate: number; jumpMs: number; forMs?: number }, timeoutMs = 2000): Promise<void> {
    const { status, body } = await fetchJson(this.node(id).api, 'POST', '/clock', clock, timeoutMs);
    if (status !== 200) throw new HookRefused(`node ${id} refused POST /clock (status ${status}: ${JSON.stringify(body)})`);
  }

  isUp(id: string): boolean {
    const child = this.node(id).child;
    return child === null || (child.running && !child.paused);
  }

  /** Its process exists, paused or not (a node parley did not start always counts). */
  isRunning(id: string): boolean {
    const child = this.node(id).child;
    return child === null || child.running;
  }

  async status(id: string, timeoutMs = 1000): Promise<Record<string, unknown> | null> {
    if (this.spec.system?.status) return this.spec.system.status(this.node(id), timeoutMs);
    try {
      const { status, body } = await fetchJson(this.node(id).api, 'GET', '/status', undefined, timeoutMs);
      return status === 200 ? (body as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  }

  async metrics(id: string, timeoutMs = 1000): Promise<Record<string, unknown> | null> {
    if (this.spec.system?.metrics) return this.spec.system.metrics(this.node(id), timeoutMs);
    try {
      const { status, body } = await fetchJson(this.node(id).api, 'GET', '/metrics', undefined, timeoutMs);
      return status === 200 ? (body as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  }

  /** The leader as the live nodes report it: the id a majority of all nodes name, if any. */
  async leader(opts: { whileMajorityDown?: boolean } = {}): Promise<string | null> {
    const up = this.ids.filter((id) => this.isUp(id));
    const statuses = await Promise.all(up.map((id) => this.status(id, 500)));
    const votes = new Map<string, number>();
    for (const s of statuses) {
      const leader = s?.leader;
      if (typeof leader === 'string') votes.set(leader, (votes.get(leader) ?? 0) + 1);
    }
    let best: string | null = null;
    let bestVotes = 0;
    for (const [id, count] of votes) if (count > bestVotes) [best, bestVotes] = [id, count];
    if (bestVotes > this.nodes.length / 2) return best;
    // `whileMajorityDown` (a fault aimed at the leader while most nodes are down): no new leader
    // can be elected without a majority, so the one every live node names, itself included,
    // is the leader they know of, and no other can take its place meanwhile.
    if (!opts.whileMajorityDown || best === null || up.length > this.nodes.length / 2) return null;
    const answered = statuses.filter((s) => s !== null).length;
    return bestVotes === answered && up.includes(best) ? best : null;
  }

  /** Wait until the live nodes agree on a leader that itself says it leads (2PC's coordinator says 'coordinator'). */
  async waitForLeader(timeoutMs = 10_000, exclude: string[] = []): Promise<string> {
    const bound = new Stretchable(this.patience, 'the nodes to agree on a leader', timeoutMs);
    while (bound.goOn()) {
      const leader = await this.leader();
      if (leader && !exclude.includes(leader) && this.isUp(leader)) {
        const s = await this.status(leader, 500);
        if (s?.role === 'leader' || s?.role === 'coordinator') {
          bound.done();
          return leader;
        }
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`no leader agreed within ${bound.describe()}`);
  }

  /** Stop every node: SIGCONT, SIGTERM, SIGKILL after a grace period. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.child?.stop()));
  }
}

/** A deadline that Patience may push back, one second at a time, saying why. */
export class Stretchable {
  private readonly began = Date.now();
  private deadline: number;
  private reason: string | null = null;

  constructor(
    private readonly patience: Patience | null,
    private readonly what: string,
    private readonly boundMs: number,
  ) {
    this.deadline = this.began + boundMs;
  }

  /** Whether to try again: before the deadline, or past it while patience says so. */
  goOn(pid?: number): boolean {
    if (Date.now() < this.deadline) return true;
    const waitedMs = Date.now() - this.began;
    const why = this.patience?.extend({ what: this.what, ...(pid !== undefined && { pid }), waitedMs, boundMs: this.boundMs }) ?? null;
    if (why === null) return false;
    this.reason = why;
    this.deadline = Date.now() + 1000;
    return true;
  }

  /** The wait succeeded; if it went past its bound, say so. */
  done(): void {
    if (this.reason !== null) this.patience?.stretched(this.what, this.boundMs, Date.now() - this.began, this.reason);
  }

  /** For the error when it did not: how long, and whether and why the bound was stretched. */
  describe(): string {
    const waited = Date.now() - this.began;
    return this.reason === null ? `${this.boundMs} ms` : `${waited} ms (bound ${this.boundMs} ms, stretched while ${this.reason})`;
  }
}
