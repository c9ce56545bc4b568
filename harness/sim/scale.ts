/**
 * Dissemination at scale in the simulator: N gossip nodes (the real core, node host and WAL
 * on parley sim's engine), and isolated updates, as `npm run bench:gossip` makes them on
 * real processes: one write at a time to a random node, followed until every node holds it
 * and no node still mongers it, then a gap before the next.
 *
 * Per update it measures what the real benchmark measures (from each node's applied trace:
 * acknowledgement until the last node held it; rumor pushes sent), and what only the
 * simulator can see exactly: which nodes no rumor ever reached (a tap on the network sees
 * every message a node reads), the residue Demers et al. leave to anti-entropy.
 *
 * At 10,000 nodes this needs `membership=static` (SWIM's table is O(N^2) in all) and the
 * runtime settings large real clusters use (lazy links, a slower tick and link heartbeat):
 * bench:gossip passes the same settings to the simulated and the real nodes.
 */
import type { NodeId } from '../../nodes/common/core.js';
import { Random } from '../../nodes/common/random.js';
import { nodeOptions } from '../../nodes/main.js';
import { gossip } from '../../nodes/gossip/index.js';
import type { GossipCore, GossipMessage } from '../../nodes/gossip/core.js';
import type { Outcome } from '../../workloads/client.js';
import { SimCluster } from './engine/cluster.js';
import { SimApi } from './engine/clients.js';
import type { DelayModel } from './engine/delay.js';
import type { Quantiles, SimScalePoint } from '../../contracts/scale-study.js';

export interface ScaleSpec {
  nodes: number;
  /** Isolated updates, one after the other. */
  updates: number;
  /** `--set` options of every node: gossip's and the runtime's. */
  settings: Record<string, string | number | boolean>;
  net: DelayModel;
  sync: DelayModel;
  seed: number;
  /** Simulated time from the start to the first update. */
  settleMs?: number;
  /** At least this long from an update's acknowledgement to the next update (the real benchmark waits 1.2 s). */
  gapMs?: number;
  /** An update still missing somewhere after this long counts as incomplete. */
  maxWaitMs?: number;
}

/** One N of the curve (its fields are documented in contracts/scale-study.ts). */
export type ScalePoint = SimScalePoint;

export const SCALE_DEFAULTS = { settleMs: 2000, gapMs: 1200, maxWaitMs: 30_000 } as const;

/** Nearest-rank quantile (the real benchmark's). */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

export const quantiles = (xs: readonly number[]): Quantiles =>
  xs.length === 0 ? { p50: null, p99: null, max: null } : { p50: quantile(xs, 0.5), p99: quantile(xs, 0.99), max: Math.max(...xs) };

/** How a node first got the update being followed. */
const NONE = 0;
const ORIGIN = 1;
const BY_RUMOR = 2;
const BY_ANTI_ENTROPY = 3;

function carries(msg: GossipMessage, key: string): boolean {
  if (msg.t !== 'rumor' && msg.t !== 'aeAck' && msg.t !== 'aeAck2') return false;
  for (const v of msg.v) if (v[0] === key) return true;
  return false;
}

export function runScale(spec: ScaleSpec): ScalePoint {
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  const { settleMs, gapMs, maxWaitMs } = { ...SCALE_DEFAULTS, ...spec };
  const { runtime, algo } = nodeOptions('gossip', gossip, spec.settings);
  const roundMs = (algo as { rumorIntervalMs: number }).rumorIntervalMs;
  const n = spec.nodes;
  const ids: NodeId[] = Array.from({ length: n }, (_, i) => `n${i + 1}`);
  const index = new Map(ids.map((id, i) => [id, i]));
  const cluster = new SimCluster({ ids, algorithm: gossip, algoOptions: algo, runtime: { ...runtime, trace: true }, seed: spec.seed, net: spec.net, sync: spec.sync });
  const sched = cluster.sched;
  // Real processes start at different moments, so their ticks (and the rumor rounds, which
  // fire on a tick) have independent phases. Started together, every node would tick at the
  // same instants and a hop would wait for the next shared tick: rounds in lockstep, a
  // longer wait per hop than any real cluster has. Phases in whole milliseconds keep the
  // ticks of one phase together in the event queue.
  const phases = Random.derive(spec.seed, 'scale:phases');
  for (const node of cluster.nodes) {
    sched.at(phases.int(0, runtime.tickMs - 1), () => {
      if (!node.start()) throw new Error(`simulated node ${node.id} would not start: ${node.startFailure}`);
    });
  }
  const api = new SimApi(cluster, Random.derive(spec.seed, 'scale:clients'), spec.net, 60_000);
  const random = Random.derive(spec.seed, 'scale:origins');
  const core = (i: number) => cluster.nodes[i]!.host?.core as GossipCore | undefined;
  const rumorsSent = () => {
    let total = 0;
    for (let i = 0; i < n; i++) total += core(i)?.sent.rumor ?? 0;
    return total;
  };
  const allMessages = () => {
    let total = 0;
    for (const id of ids) total += cluster.net.sentBy(id).msgsSent;
    return total;
  };
  const cold = () => {
    for (let i = 0; i < n; i++) if ((core(i)?.rumors.size ?? 0) > 0) return false;
    return true;
  };

  // The update being followed: how each node first got it (tap), and when it first held it (trace).
  let key = '';
  const route = new Uint8Array(n);
  const rumorReached = new Uint8Array(n);
  const firstAt = new Float64Array(n);
  let holders = 0;
  cluster.net.tap = (_from, to, payload) => {
    if (!Array.isArray(payload) || payload[0] !== 'c') return;
    const msg = payload[1] as GossipMessage;
    if (key === '' || !carries(msg, key)) return;
    const i = index.get(to)!;
    if (msg.t === 'rumor') rumorReached[i] = 1;
    if (route[i] === NONE) route[i] = msg.t === 'rumor' ? BY_RUMOR : BY_ANTI_ENTROPY;
  };
  const readTraces = () => {
    const applied = cluster.applied;
    for (const a of applied) {
      if (a.key !== key) continue;
      const i = index.get(a.node)!;
      if (Number.isNaN(firstAt[i]!)) {
        firstAt[i] = a.t / 1e6;
        holders++;
      }
    }
    applied.length = 0;
  };

  sched.runUntil(sched.now + settleMs);
  const simStart = sched.now;
  const messagesStart = allMessages();
  const rumorsStart = rumorsSent();
  const convergence: number[] = [];
  const rounds: number[] = [];
  const rumorRounds: number[] = [];
  const missed: number[] = [];
  let acknowledged = 0;
  for (let u = 0; u < spec.updates; u++) {
    key = `iso${u}`;
    route.fill(NONE);
    rumorReached.fill(0);
    firstAt.fill(NaN);
    holders = 0;
    cluster.applied.length = 0;
    const origin = random.int(0, n - 1);
    let outcome: Outcome | null = null;
    api.invoke(origin, { f: 'write', key, value: key }, (o) => (outcome = o));
    sched.runUntil(sched.now + maxWaitMs, () => outcome !== null);
    const ackAt = sched.now;
    if ((outcome as Outcome | null)?.type !== 'ok') continue;
    acknowledged++;
    route[origin] = ORIGIN;
    // Follow it until every node holds it and nobody mongers it any more (or maxWaitMs).
    const deadline = ackAt + maxWaitMs;
    for (;;) {
      readTraces();
      if ((holders === n && cold()) || sched.now >= deadline) break;
      sched.runUntil(Math.min(deadline, sched.now + roundMs / 2));
    }
    readTraces();
    let lastRumor = 0;
    let missedHere = 0;
    for (let i = 0; i < n; i++) {
      if (i !== origin && rumorReached[i] === 0) missedHere++;
      if (route[i] !== BY_ANTI_ENTROPY && !Number.isNaN(firstAt[i]!)) lastRumor = Math.max(lastRumor, firstAt[i]! - ackAt);
    }
    missed.push(missedHere);
    rumorRounds.push(lastRumor / roundMs);
    if (holders === n) {
      let last = 0;
      for (let i = 0; i < n; i++) last = Math.max(last, firstAt[i]! - ackAt);
      convergence.push(last);
      rounds.push(last / roundMs);
    }
    sched.runUntil(Math.max(sched.now, ackAt + gapMs));
  }
  key = '';
  cluster.net.tap = null;
  const simMs = sched.now - simStart;
  const rumors = rumorsSent() - rumorsStart;
  const background = allMessages() - messagesStart - rumors;
  const cpu = process.cpuUsage(cpu0);
  const perUpdate = rumors / Math.max(1, acknowledged);
  const missedMean = missed.reduce((a, b) => a + b, 0) / Math.max(1, missed.length);
  return {
    nodes: n,
    updates: acknowledged,
    complete: convergence.length,
    roundMs,
    convergenceMs: quantiles(convergence),
    rounds: quantiles(rounds),
    rumorRounds: quantiles(rumorRounds),
    messagesPerUpdate: perUpdate,
    messagesPerNode: perUpdate / n,
    missedByRumor: { mean: missedMean, max: missed.length ? Math.max(...missed) : 0, share: missedMean / n },
    backgroundPerSecond: background / Math.max(1e-9, simMs / 1000),
    cost: {
      simMs: Math.round(sched.now),
      events: sched.processed,
      wallMs: Math.round(performance.now() - wall0),
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      heapMiB: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    },
  };
}
