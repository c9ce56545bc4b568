/**
 * The replicated state machine's contract as a client sees it through any leader-based core
 * (nodes/common/kv-state.ts): cas honours its precondition and reports the value it found,
 * a transaction applies whole or aborts whole on an `add` below its floor, and appends build
 * lists that every read returns (an append to a number aborts).
 */
import { expect } from 'vitest';
import type { Sim } from '../../harness/sim/sim.js';

export function expectCasAndTxnContract<M, O>(sim: Sim<M, O>, leader: string): void {
  const ops = [
    sim.client(leader, { f: 'cas', key: 'k', from: null, to: 1 }),
    sim.client(leader, { f: 'cas', key: 'k', from: 7, to: 2 }),
    sim.client(leader, { f: 'txn', ops: [{ f: 'add', key: 'a', delta: 10 }] }),
    sim.client(leader, { f: 'txn', ops: [{ f: 'add', key: 'a', delta: -4, floor: 0 }, { f: 'add', key: 'b', delta: 4 }] }),
    sim.client(leader, { f: 'txn', ops: [{ f: 'add', key: 'b', delta: -5, floor: 0 }, { f: 'add', key: 'a', delta: 5 }] }),
    sim.client(leader, { f: 'txn', ops: [{ f: 'read', key: 'a' }, { f: 'read', key: 'b' }] }),
  ];
  sim.deliverAll();
  expect(ops.map((r) => sim.replyTo(r)?.status)).toEqual([200, 409, 200, 200, 409, 200]);
  expect(sim.replyTo(ops[5]!)?.body).toEqual({ ok: true, results: [6, 4] });
  expect(sim.replyTo(ops[1]!)?.body).toMatchObject({ error: 'precondition', value: 1 });

  const lists = [
    sim.client(leader, { f: 'txn', ops: [{ f: 'append', key: 'l', value: 1 }, { f: 'append', key: 'l', value: 2 }] }),
    sim.client(leader, { f: 'txn', ops: [{ f: 'append', key: 'l', value: 9 }, { f: 'append', key: 'a', value: 3 }] }),
    sim.client(leader, { f: 'txn', ops: [{ f: 'read', key: 'l' }, { f: 'append', key: 'l', value: 3 }, { f: 'read', key: 'l' }] }),
    sim.client(leader, { f: 'read', key: 'l' }),
  ];
  sim.deliverAll();
  expect(lists.map((r) => sim.replyTo(r)?.status)).toEqual([200, 409, 200, 200]);
  expect(sim.replyTo(lists[2]!)?.body).toEqual({ ok: true, results: [[1, 2], 3, [1, 2, 3]] });
  expect(sim.replyTo(lists[3]!)?.body).toEqual({ value: [1, 2, 3] });
}
