/**
 * The replicated state machine's contract as a client sees it through any leader-based core
 * (nodes/common/kv-state.ts): cas honours its precondition and reports the value it found,
 * and a transaction applies whole or aborts whole on an `add` below its floor.
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
}
