/**
 * A correct in-memory register with concurrent clients and timeouts, as a source of
 * histories with a known answer: every history it produces is linearizable, because each
 * operation takes effect atomically at one instant inside its interval. The checker tests
 * mutate these to get known-invalid ones, and `npm run bench:check` times the checker on
 * them.
 *
 * Timeouts are the interesting part: a timed-out client records `info`, and the operation
 * may still take effect before the timeout, after it, or never, exactly the cases a
 * checker must accept. Like Jepsen, a client that timed out continues as a new process, so
 * a process never has two operations outstanding.
 */
import { Random } from '../../nodes/common/random.js';
import type { HistoryEvent, Scalar } from '../history.js';

export interface SimulationOptions {
  seed: number;
  operations: number;
  clients: number;
  keys: number;
  /** 'register' issues reads and writes; 'cas-register' adds compare-and-set. */
  model: 'register' | 'cas-register';
  /** Chance a reply is lost and the client records info. Default 0.02. */
  timeoutRate?: number;
  /** Chance a timed-out operation never takes effect at all. Default 0.5. */
  neverAppliedRate?: number;
  /** Fraction of reads. Default 0.5 (cas-register: 0.4, with 0.3 cas). */
  readRate?: number;
}

interface Pending {
  process: number;
  f: 'read' | 'write' | 'cas';
  key: string;
  value: Scalar | [Scalar, Scalar];
  timedOut: boolean;
  result?: Scalar;
  succeeded?: boolean;
}

type SimEvent = { time: number; seq: number; kind: 'invoke' | 'effect' | 'reply' | 'give-up'; client: number; op?: Pending };

const US = 1_000;

export function simulateRegisterHistory(options: SimulationOptions): HistoryEvent[] {
  const rng = Random.derive(options.seed, 'simulated-register');
  const timeoutRate = options.timeoutRate ?? 0.02;
  const neverRate = options.neverAppliedRate ?? 0.5;
  const readRate = options.readRate ?? (options.model === 'cas-register' ? 0.4 : 0.5);
  const casRate = options.model === 'cas-register' ? 0.3 : 0;
  const timeout = 5_000 * US;

  const state = new Map<string, Scalar>();
  const out: { time: number; seq: number; event: Omit<HistoryEvent, 'index'> }[] = [];
  const heap = new EventHeap();
  let seq = 0;
  let invoked = 0;
  let nextValue = 1;
  const processOf = Array.from({ length: options.clients }, (_, i) => i);

  const record = (time: number, e: Omit<HistoryEvent, 'index' | 'time'>): void => {
    out.push({ time, seq: seq++, event: { time, ...e } });
  };

  for (let c = 0; c < options.clients; c++) heap.push({ time: 1e9 + rng.int(0, 500) * US, seq: seq++, kind: 'invoke', client: c });

  while (heap.size > 0) {
    const ev = heap.pop()!;
    if (ev.kind === 'invoke') {
      if (invoked >= options.operations) continue;
      invoked++;
      const key = `k${rng.int(0, options.keys - 1)}`;
      const roll = rng.float();
      const f = roll < readRate ? 'read' : roll < readRate + casRate ? 'cas' : 'write';
      const current = state.get(key) ?? null;
      const value: Pending['value'] =
        f === 'read' ? null
        : f === 'write' ? nextValue++
        : [rng.chance(0.7) ? current : rng.int(Math.max(1, nextValue - 20), nextValue), nextValue++];
      const op: Pending = { process: processOf[ev.client]!, f, key, value, timedOut: rng.chance(timeoutRate) };
      record(ev.time, { process: op.process, type: 'invoke', f, key, value: f === 'read' ? null : value });
      const latency = rng.int(200, 3_000) * US;
      if (op.timedOut) {
        heap.push({ time: ev.time + timeout, seq: seq++, kind: 'give-up', client: ev.client, op });
        // The request may still be applied, long after the client stopped waiting, or never.
        if (!rng.chance(neverRate)) heap.push({ time: ev.time + rng.int(1, 3 * timeout / US) * US, seq: seq++, kind: 'effect', client: ev.client, op });
      } else {
        const effectAt = ev.time + rng.int(0, latency / US) * US;
        heap.push({ time: effectAt, seq: seq++, kind: 'effect', client: ev.client, op });
        heap.push({ time: ev.time + latency, seq: seq++, kind: 'reply', client: ev.client, op });
      }
      continue;
    }
    const op = ev.op!;
    if (ev.kind === 'effect') {
      const current = state.get(op.key) ?? null;
      if (op.f === 'read') op.result = current;
      else if (op.f === 'write') state.set(op.key, op.value as Scalar);
      else {
        const [from, to] = op.value as [Scalar, Scalar];
        op.succeeded = current === from;
        if (op.succeeded) state.set(op.key, to);
      }
      continue;
    }
    if (ev.kind === 'reply') {
      const base = { process: op.process, f: op.f, key: op.key };
      if (op.f === 'read') record(ev.time, { ...base, type: 'ok', value: op.result ?? null });
      else if (op.f === 'write') record(ev.time, { ...base, type: 'ok', value: op.value });
      else if (op.succeeded) record(ev.time, { ...base, type: 'ok', value: op.value });
      else record(ev.time, { ...base, type: 'fail', value: op.value, error: 'precondition' });
    } else {
      record(ev.time, { process: op.process, type: 'info', f: op.f, key: op.key, value: op.f === 'read' ? null : op.value, error: 'timeout' });
      processOf[ev.client]! += options.clients;
    }
    heap.push({ time: ev.time + rng.int(0, 300) * US, seq: seq++, kind: 'invoke', client: ev.client });
  }
  out.sort((x, y) => x.time - y.time || x.seq - y.seq);
  return out.map((o, index) => ({ index, ...o.event }));
}

/** A binary min-heap on (time, seq): the simulation's event queue. */
class EventHeap {
  private readonly items: SimEvent[] = [];

  get size(): number {
    return this.items.length;
  }

  push(e: SimEvent): void {
    const a = this.items;
    a.push(e);
    for (let i = a.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (!before(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }

  pop(): SimEvent | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l]!, a[m]!)) m = l;
        if (r < a.length && before(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before(x: SimEvent, y: SimEvent): boolean {
  return x.time < y.time || (x.time === y.time && x.seq < y.seq);
}
