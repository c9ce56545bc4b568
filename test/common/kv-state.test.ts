/**
 * Lists in the replicated state machine (nodes/common/kv-state.ts) and in the client API: an
 * append extends the list at its key, reads of every kind return the list, and the mixed
 * cases (append to a scalar, add to a list, cas against a list) abort or fail cleanly.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientOp } from '../../nodes/common/core.js';
import { startClientApi } from '../../nodes/common/client-api.js';
import { KvState, tracedValue } from '../../nodes/common/kv-state.js';

const txn = (...ops: Extract<ClientOp, { f: 'txn' }>['ops']): ClientOp => ({ f: 'txn', ops });

describe('lists in KvState', () => {
  it('appends to a missing key as to the empty list, and every read returns the list', () => {
    const s = new KvState();
    const first = s.apply(txn({ f: 'read', key: 'x' }, { f: 'append', key: 'x', value: 1 }, { f: 'append', key: 'x', value: 2 }, { f: 'read', key: 'x' }));
    expect(first.reply).toEqual({ status: 200, body: { ok: true, results: [null, 1, 2, [1, 2]] } });
    // The trace records each element appended: when the node first held that value.
    expect(first.writes).toEqual([['x', 1], ['x', 2]]);
    expect(s.apply({ f: 'read', key: 'x' }).reply.body).toEqual({ value: [1, 2] });
    expect(tracedValue(s.get('x'))).toBe(2);
  });

  it('never changes a list already handed out', () => {
    const s = new KvState();
    s.apply(txn({ f: 'append', key: 'x', value: 'a' }));
    const seen = s.apply({ f: 'read', key: 'x' }).reply.body.value;
    s.apply(txn({ f: 'append', key: 'x', value: 'b' }));
    expect(seen).toEqual(['a']);
    expect(s.get('x')).toEqual(['a', 'b']);
  });

  it('aborts the whole transaction on an append to a scalar or an add to a list; a write replaces a list; a cas never matches one', () => {
    const s = new KvState();
    s.apply({ f: 'write', key: 'n', value: 5 });
    s.apply(txn({ f: 'append', key: 'x', value: 1 }));
    const appendToScalar = s.apply(txn({ f: 'append', key: 'x', value: 2 }, { f: 'append', key: 'n', value: 3 }));
    expect(appendToScalar.reply).toMatchObject({ status: 409, body: { error: 'aborted', reason: 'key n holds a scalar, not a list' } });
    expect(s.get('x')).toEqual([1]);
    expect(s.apply(txn({ f: 'add', key: 'x', delta: 1 })).reply).toMatchObject({ status: 409, body: { reason: 'key x holds a non-number' } });
    expect(s.apply({ f: 'cas', key: 'x', from: 1, to: 2 }).reply).toEqual({ status: 409, body: { ok: false, error: 'precondition', value: [1] } });
    s.apply({ f: 'write', key: 'x', value: 'v' });
    expect(s.get('x')).toBe('v');
    expect(s.validateTxn([{ f: 'append', key: 'x', value: 1 }])).toBe('key x holds a scalar, not a list');
  });
});

describe('append in the client API', () => {
  let port = 0;
  let seen: ClientOp[] = [];
  let server: Awaited<ReturnType<typeof startClientApi>>;
  beforeAll(async () => {
    server = await startClientApi({ host: '127.0.0.1', port: 0 }, { operate: async (op) => (seen.push(op), { status: 200, body: { ok: true } }), status: () => ({}), metrics: () => ({}) }, 1 << 20);
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const post = async (body: unknown) => {
    const r = await fetch(`http://127.0.0.1:${port}/txn`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };

  it('accepts an append of a scalar and hands it to the core', async () => {
    seen = [];
    expect((await post({ ops: [{ f: 'append', key: 'x', value: 3 }, { f: 'read', key: 'x' }] })).status).toBe(200);
    expect(seen).toEqual([{ f: 'txn', ops: [{ f: 'append', key: 'x', value: 3 }, { f: 'read', key: 'x' }] }]);
  });

  it('answers 400 naming the field for an append without a value or with a list for one', async () => {
    seen = [];
    expect(await post({ ops: [{ f: 'append', key: 'x' }] })).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^ops\.0\.value: /) } });
    expect(await post({ ops: [{ f: 'append', key: 'x', value: [1] }] })).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^ops\.0\.value: /) } });
    expect(seen).toEqual([]);
  });
});
