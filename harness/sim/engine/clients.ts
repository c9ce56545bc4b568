/**
 * Simulated clients: the same workload generators, the same outcome rules and the same
 * history format as `parley run` (workloads/load.ts, workloads/client.ts), over simulated
 * HTTP connections to the nodes.
 *
 * A client connection is not proxied (as in real runs, clients talk to node APIs directly),
 * so it knows no faults but the node's: a request to a node that is down is refused (fail:
 * nothing was sent); one whose node crashes before it answers, or that outlives the
 * client's timeout, ends `info` (it may still take effect); a paused node answers when it
 * resumes. Bodies cross as JSON, so nothing is shared between client and node.
 */
import type { ClientOp, NodeId } from '../../../nodes/common/core.js';
import type { Random } from '../../../nodes/common/random.js';
import { classify, type Outcome } from '../../../workloads/client.js';
import type { HistoryEvent, JsonValue } from '../../../workloads/history.js';
import type { Invocation, OpRecord, OpSource } from '../../../workloads/load.js';
import type { SimCluster } from './cluster.js';
import { sampleDelay, type DelayModel } from './delay.js';

/** Simulated milliseconds to the history's nanoseconds. */
export const ns = (ms: number): number => Math.round(ms * 1e6);

export class SimHistory {
  readonly events: HistoryEvent[] = [];

  append(e: Omit<HistoryEvent, 'index'>): void {
    this.events.push({ index: this.events.length, ...e } as HistoryEvent);
  }
}

interface PendingCall {
  node: NodeId;
  done: boolean;
  finish(o: Outcome): void;
}

export class SimApi {
  private readonly pending = new Set<PendingCall>();

  constructor(
    private readonly cluster: SimCluster,
    private readonly random: Random,
    private readonly delay: DelayModel,
    private readonly timeoutMs: number,
  ) {
    cluster.onCrash = (id) => {
      for (const call of this.pending) {
        if (call.node !== id) continue;
        const c = call;
        this.cluster.sched.after(this.hop(), () => c.finish({ type: 'info', status: 0, body: null, error: 'connection lost' }));
      }
    };
  }

  private hop(): number {
    return sampleDelay(this.delay, this.random);
  }

  /** Send one operation to node `index`; `cb` gets its classified outcome exactly once. */
  invoke(index: number, op: ClientOp, cb: (o: Outcome) => void): void {
    const node = this.cluster.nodes[index]!;
    const sched = this.cluster.sched;
    if (!node.up) {
      sched.after(this.hop(), () => cb({ type: 'fail', status: 0, body: null, error: 'econnrefused' }));
      return;
    }
    const incarnation = node.incarnation;
    const call: PendingCall = {
      node: node.id,
      done: false,
      finish: (o) => {
        if (call.done) return;
        call.done = true;
        this.pending.delete(call);
        sched.cancel(timeout);
        cb(o);
      },
    };
    this.pending.add(call);
    const timeout = sched.after(this.timeoutMs, () => call.finish({ type: 'info', status: 0, body: null, error: 'timeout' }));
    const wire = JSON.stringify(op);
    sched.after(this.hop(), () => {
      if (call.done) return;
      if (!node.up || node.incarnation !== incarnation) {
        call.finish({ type: 'info', status: 0, body: null, error: 'connection lost' });
        return;
      }
      node.request(JSON.parse(wire) as ClientOp, (reply) => {
        const body = JSON.stringify(reply.body);
        const status = reply.status;
        sched.at(node.departure() + this.hop(), () => call.finish(classify(status, JSON.parse(body) as Record<string, unknown>)));
      });
    });
  }
}

export interface SimLoadOptions {
  mode: 'open' | 'closed';
  concurrency: number;
  rate?: number;
  durationMs: number;
  source: OpSource;
  api: SimApi;
  history: SimHistory;
  records: OpRecord[];
  /** First process id (warm-up and measured load continue each other's numbering). */
  firstProcess?: number;
  pauseAfterRefusalMs?: number;
}

/**
 * The load generator of workloads/load.ts on the simulated clock: open loop (operations due
 * at a fixed rate, latency from the intended time, a backlog when every client is busy) or
 * closed loop; a client whose operation ended `info` continues as a new process.
 * Returns a poll that says when every operation it started has ended.
 */
export function startSimLoad(cluster: SimCluster, opts: SimLoadOptions): { finished(): boolean; neverSent(): number; processes(): number } {
  const sched = cluster.sched;
  const startMs = sched.now;
  const endMs = startMs + opts.durationMs;
  let nextProcess = opts.firstProcess ?? opts.concurrency;
  const base = nextProcess - opts.concurrency;
  const slotProcess = Array.from({ length: opts.concurrency }, (_, i) => base + i);
  let running = 0;
  let neverSent = 0;
  const stopped = () => sched.now >= endMs;

  const execute = (slot: number, intendedMs: number, then: (status: number) => void): void => {
    const process = slotProcess[slot]!;
    const inv: Invocation | null = opts.source.next(process);
    if (!inv) {
      sched.after(1, () => then(-1));
      return;
    }
    running++;
    const sent = sched.now;
    const node = cluster.nodes[inv.node]?.id;
    opts.history.append({ time: ns(sent), process, type: 'invoke', f: inv.f, ...(inv.key !== undefined && { key: inv.key }), ...(inv.value !== undefined && { value: inv.value }), ...(node !== undefined && { node }) });
    opts.api.invoke(inv.node, inv.op, (outcome) => {
      running--;
      const done = inv.complete(outcome);
      const now = sched.now;
      opts.history.append({
        time: ns(now),
        process,
        type: done.type,
        f: inv.f,
        ...(inv.key !== undefined && { key: inv.key }),
        ...(done.value !== undefined && { value: done.value as JsonValue }),
        ...(done.error !== undefined && { error: done.error as JsonValue }),
        ...(node !== undefined && { node }),
      });
      if (done.type === 'info') slotProcess[slot] = nextProcess++;
      opts.records.push({ f: inv.f, type: done.type, node: inv.node, intendedNs: ns(intendedMs || sent), sentNs: ns(sent), endNs: ns(now), status: outcome.status });
      then(outcome.status);
    });
  };

  if (opts.mode === 'closed') {
    const pause = opts.pauseAfterRefusalMs ?? 10;
    const loop = (slot: number): void => {
      if (stopped()) return;
      execute(slot, 0, (status) => {
        if (pause > 0 && status !== 200 && status !== 409 && status !== -1) sched.after(pause, () => loop(slot));
        else loop(slot);
      });
    };
    for (let slot = 0; slot < opts.concurrency; slot++) loop(slot);
  } else {
    const rate = opts.rate;
    if (!rate || rate <= 0) throw new RangeError('open-loop load needs a positive rate');
    const interval = 1000 / rate;
    const free: number[] = slotProcess.map((_, slot) => slot).reverse();
    const backlog: number[] = [];
    let head = 0;
    const launch = (slot: number, intended: number): void => {
      execute(slot, intended, () => {
        if (head < backlog.length && !stopped()) launch(slot, backlog[head++]!);
        else free.push(slot);
      });
    };
    const total = Math.ceil(opts.durationMs / interval);
    // One due operation at a time on the queue, each scheduling the next: the queue stays small.
    const due = (i: number): void => {
      const intended = startMs + i * interval;
      sched.at(intended, () => {
        const slot = free.pop();
        if (slot === undefined) backlog.push(intended);
        else launch(slot, intended);
        if (i + 1 < total) due(i + 1);
      });
    };
    if (total > 0) due(0);
    sched.at(endMs, () => {
      neverSent = backlog.length - head;
      backlog.length = head;
    });
  }
  return { finished: () => stopped() && running === 0, neverSent: () => neverSent, processes: () => nextProcess };
}
