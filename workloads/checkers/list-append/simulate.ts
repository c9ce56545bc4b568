/**
 * A correct in-memory list-append store with concurrent clients, aborts and timeouts, as a
 * source of histories with a known answer: each committed transaction takes effect
 * atomically at one instant inside its interval, so every history it produces is strictly
 * serializable (unless `staleReadRate` breaks it on purpose). The checker tests use it for
 * large clean histories and known-bad ones; `npm run bench:check` times the checker on it.
 *
 * A timed-out transaction records `info` and takes effect before the timeout or never; an
 * aborted one records `fail` and never takes effect. Like Jepsen, a client that timed out
 * continues as a new process.
 */
import { Random } from '../../../nodes/common/random.js';
import type { HistoryEvent, JsonValue, Scalar } from '../../history.js';
import { KeySlots } from '../../keys.js';

export interface ListAppendSimulation {
  seed: number;
  transactions: number;
  clients: number;
  /** Keys in use at once. */
  keys: number;
  /** Micro-ops per transaction, 1 to this (default 4). */
  opsPerTxn?: number;
  /** Distinct keys per transaction, at most (default 2). */
  keysPerTxn?: number;
  /** Independent keys: micro-ops per key before a fresh one (default 200). */
  opsPerKey?: number;
  /** Chance a transaction times out (default 0.02); half of those never take effect. */
  timeoutRate?: number;
  /** Chance a transaction aborts (default 0.02). */
  abortRate?: number;
  /**
   * A broken store, for known-bad histories: the chance a read returns an older version of
   * its key (a random prefix of the list), as a replica that lags would. Default 0.
   */
  staleReadRate?: number;
}

type Micro = [string, string, JsonValue];

const US = 1_000;

export function simulateListAppendHistory(o: ListAppendSimulation): HistoryEvent[] {
  const rng = Random.derive(o.seed, 'simulated-list-append');
  const opsPerTxn = o.opsPerTxn ?? 4;
  const keysPerTxn = o.keysPerTxn ?? 2;
  const timeoutRate = o.timeoutRate ?? 0.02;
  const abortRate = o.abortRate ?? 0.02;
  const staleReadRate = o.staleReadRate ?? 0;
  const slots = new KeySlots(o.keys, o.opsPerKey ?? 200);
  const state = new Map<string, Scalar[]>();
  const events: HistoryEvent[] = [];
  let counter = 0;
  let started = 0;
  let nextProcess = o.clients;

  interface Client {
    process: number;
    /** Next event time; what happens then. */
    at: number;
    phase: 'idle' | 'effect' | 'reply';
    micro: Micro[];
    outcome: 'ok' | 'fail' | 'info';
    applies: boolean;
  }
  const clients: Client[] = Array.from({ length: o.clients }, (_, i) => ({ process: i, at: rng.int(0, 50) * US, phase: 'idle', micro: [], outcome: 'ok', applies: true }));
  const emit = (e: Omit<HistoryEvent, 'index'>) => events.push({ index: events.length, ...e });

  for (;;) {
    let c: Client | undefined;
    for (const x of clients) if ((x.phase !== 'idle' || started < o.transactions) && (!c || x.at < c.at)) c = x;
    if (!c) break;
    if (c.phase === 'idle') {
      started++;
      const length = rng.int(1, opsPerTxn);
      const picked: number[] = [];
      while (picked.length < Math.min(keysPerTxn, length, o.keys)) {
        const s = rng.int(0, o.keys - 1);
        if (!picked.includes(s)) picked.push(s);
      }
      c.micro = [];
      for (let i = 0; i < length; i++) {
        const key = `k${slots.take(picked[rng.int(0, picked.length - 1)]!)}`;
        c.micro.push(rng.chance(0.5) ? ['r', key, null] : ['append', key, ++counter]);
      }
      const u = rng.float();
      c.outcome = u < timeoutRate ? 'info' : u < timeoutRate + abortRate ? 'fail' : 'ok';
      c.applies = c.outcome === 'ok' || (c.outcome === 'info' && rng.chance(0.5));
      emit({ time: c.at, process: c.process, type: 'invoke', f: 'txn', value: c.micro });
      c.phase = 'effect';
      c.at += rng.int(1, 400) * US;
    } else if (c.phase === 'effect') {
      if (c.applies) {
        c.micro = c.micro.map(([f, key, v]): Micro => {
          const list = state.get(key) ?? [];
          if (f === 'append') {
            state.set(key, [...list, v as Scalar]);
            return [f, key, v];
          }
          const seen = staleReadRate > 0 && rng.chance(staleReadRate) ? list.slice(0, rng.int(0, list.length)) : list;
          return [f, key, seen.length ? [...seen] : null];
        });
      }
      c.phase = 'reply';
      c.at += rng.int(1, 400) * US;
    } else {
      if (c.outcome === 'ok') emit({ time: c.at, process: c.process, type: 'ok', f: 'txn', value: c.micro });
      else if (c.outcome === 'fail') emit({ time: c.at, process: c.process, type: 'fail', f: 'txn', error: 'aborted' });
      else {
        emit({ time: c.at, process: c.process, type: 'info', f: 'txn', error: 'timeout' });
        c.process = nextProcess++;
      }
      c.phase = 'idle';
      c.at += rng.int(0, 100) * US;
    }
  }
  return events;
}
