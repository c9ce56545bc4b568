/**
 * Load that does not lie.
 *
 * Closed loop: `concurrency` clients, each sending its next operation when the last one
 * ends; it finds saturation throughput, but it slows down when the system does, so its
 * latencies under-sample stalls (Gil Tene's coordinated omission). After a refusal or no
 * answer (anything but 200 or 409) a client pauses 10 ms before its next operation, so a
 * node that refuses everything at once does not flood the history with failures.
 *
 * Open loop: operations are due at a fixed rate whatever happens (t_i = t_0 + i / rate).
 * A due operation goes to a free client; if none is free it waits in a backlog, and its
 * latency is measured from its *intended* send time, so a 2-second stall shows up as
 * 2-second latencies for everything that should have been sent during it (as wrk2 does).
 *
 * Either way every operation is recorded in the history (invoke at the real send time,
 * completion when the answer arrives) and as an `OpRecord` for the metrics. A client
 * whose operation ended `info` may still have it in flight, so, as in Jepsen, it continues
 * under a new process id: a process never has two operations outstanding.
 */
import type { ClientOp } from '../nodes/common/core.js';
import { monoNs } from '../nodes/common/clock.js';
import type { HistoryWriter, JsonValue } from './history.js';
import type { NodeClient, Outcome, OutcomeType } from './client.js';

export interface Invocation {
  /** Index of the node to send it to. */
  node: number;
  op: ClientOp;
  /** The history's view of the invoke: what the checker models (f, key, value). */
  f: string;
  key?: string;
  value?: JsonValue;
  /** The completion's value and error for this outcome (e.g. the value a read saw). */
  complete(outcome: Outcome): { type: OutcomeType; value?: JsonValue; error?: JsonValue };
}

export interface OpSource {
  /** The next operation for a client, or null to let it rest this time. */
  next(process: number): Invocation | null;
  /**
   * Every key this source has sent a write to so far, for workloads that move on to fresh
   * keys (independent keys): the final reads must cover all of them.
   */
  writtenKeys?(): readonly string[];
}

export interface OpRecord {
  f: string;
  type: OutcomeType;
  node: number;
  /** When it was due (open loop) or sent (closed loop), ns on the shared monotonic clock. */
  intendedNs: number;
  sentNs: number;
  endNs: number;
  status: number;
}

export interface LoadOptions {
  mode: 'closed' | 'open';
  concurrency: number;
  /** Operations per second in open-loop mode. */
  rate?: number;
  durationMs: number;
  source: OpSource;
  client: NodeClient;
  history?: HistoryWriter | null;
  /** Node ids by index: each history event then names the node its operation went to. */
  nodeIds?: readonly string[];
  /** Called after every completion (progress, live counters). */
  onComplete?(record: OpRecord): void;
  /** Stop early (Ctrl-C, a dead node). */
  signal?: AbortSignal;
  /** Closed loop: pause after a refused or unanswered request (default 10 ms; 0: none). */
  pauseAfterRefusalMs?: number;
}

export interface LoadResult {
  records: OpRecord[];
  startNs: number;
  endNs: number;
  /** Open loop: operations that were due but never sent because every client was busy. */
  neverSent: number;
  processes: number;
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const records: OpRecord[] = [];
  const startNs = Number(monoNs());
  const endNs = startNs + opts.durationMs * 1e6;
  let nextProcess = opts.concurrency;
  const slotProcess = Array.from({ length: opts.concurrency }, (_, i) => i);
  const stopped = () => opts.signal?.aborted === true || Number(monoNs()) >= endNs;

  /** Run one operation on a client slot; resolves with its HTTP status (-1: the source rested). */
  async function execute(slot: number, intendedNs: number): Promise<number> {
    const process = slotProcess[slot]!;
    const inv = opts.source.next(process);
    if (!inv) {
      await new Promise((r) => setTimeout(r, 1));
      return -1;
    }
    const sentNs = Number(monoNs());
    const node = opts.nodeIds?.[inv.node];
    opts.history?.append({ time: sentNs, process, type: 'invoke', f: inv.f, ...(inv.key !== undefined && { key: inv.key }), ...(inv.value !== undefined && { value: inv.value }), ...(node !== undefined && { node }) });
    const outcome = await opts.client.invoke(inv.node, inv.op);
    const done = inv.complete(outcome);
    const now = Number(monoNs());
    opts.history?.append({
      time: now,
      process,
      type: done.type,
      f: inv.f,
      ...(inv.key !== undefined && { key: inv.key }),
      ...(done.value !== undefined && { value: done.value }),
      ...(done.error !== undefined && { error: done.error }),
      ...(node !== undefined && { node }),
    });
    if (done.type === 'info') slotProcess[slot] = nextProcess++;
    const record: OpRecord = { f: inv.f, type: done.type, node: inv.node, intendedNs: intendedNs || sentNs, sentNs, endNs: now, status: outcome.status };
    records.push(record);
    opts.onComplete?.(record);
    return outcome.status;
  }

  let neverSent = 0;
  if (opts.mode === 'closed') {
    const pause = opts.pauseAfterRefusalMs ?? 10;
    await Promise.all(
      slotProcess.map(async (_, slot) => {
        while (!stopped()) {
          const status = await execute(slot, 0);
          // A refused or unanswered request (not a 200, not a 409 the system meant) is
          // followed by a short pause, as a client library's retry would be: a node that
          // refuses everything at once should not turn a closed loop into a flood.
          if (pause > 0 && status !== 200 && status !== 409 && status !== -1) await new Promise((r) => setTimeout(r, pause));
        }
      }),
    );
  } else {
    const rate = opts.rate;
    if (!rate || rate <= 0) throw new RangeError('open-loop load needs a positive rate');
    const intervalNs = 1e9 / rate;
    const free: number[] = slotProcess.map((_, slot) => slot).reverse();
    const backlog: number[] = [];
    let head = 0;
    let issued = 0;
    const running = new Set<Promise<unknown>>();
    const launch = (slot: number, intendedNs: number) => {
      const p: Promise<unknown> = execute(slot, intendedNs).finally(() => {
        running.delete(p);
        if (head < backlog.length && !stopped()) launch(slot, backlog[head++]!);
        else free.push(slot);
      });
      running.add(p);
    };
    while (!stopped()) {
      const now = Number(monoNs());
      const due = Math.min(Math.floor((now - startNs) / intervalNs) + 1, Math.ceil((endNs - startNs) / intervalNs));
      for (; issued < due; issued++) {
        const intended = startNs + issued * intervalNs;
        const slot = free.pop();
        if (slot === undefined) backlog.push(intended);
        else launch(slot, intended);
      }
      const nextDue = startNs + issued * intervalNs;
      await new Promise((r) => setTimeout(r, Math.max(0, Math.min(5, (nextDue - Number(monoNs())) / 1e6))));
    }
    neverSent = backlog.length - head;
    backlog.length = 0;
    await Promise.all(running);
  }
  return { records, startNs, endNs: Number(monoNs()), neverSent, processes: nextProcess };
}
