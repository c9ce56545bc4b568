/**
 * The kv workload through etcd's v3 JSON gateway (grpc-gateway, on the client port): a
 * write is `POST /v3/kv/put`, a read `POST /v3/kv/range` (linearizable: the default, a
 * ReadIndex round through the leader), a compare-and-set `POST /v3/kv/txn` comparing the
 * value (or, from null, that the key was never created), reading the key when it fails.
 * Keys and values travel base64-encoded; values are stored as JSON, so a read gives back
 * the scalar that was written.
 *
 * Answers are mapped onto the contract's outcomes. etcd reports a proposal it gave up
 * waiting for ("request timed out", "leader changed", ...) as gRPC Unavailable, which the
 * gateway turns into HTTP 503, although the write may still commit: so only errors that
 * are refused before anything is proposed count as definite failures, and every other
 * error is an unknown outcome.
 */
import type { ClientOp, Value } from '../../nodes/common/core.js';
import type { ClientDialect, HttpCall, Outcome } from '../../workloads/client.js';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const encodeValue = (v: Value) => b64(JSON.stringify(v));

function decodeValue(encoded: unknown): Value {
  if (typeof encoded !== 'string') return null;
  const text = Buffer.from(encoded, 'base64').toString('utf8');
  try {
    return JSON.parse(text) as Value;
  } catch {
    return text; // written by something else than parley: the bytes as they are
  }
}

/** Errors etcd returns before proposing anything: the operation certainly did not happen. */
const DEFINITE = ['etcdserver: too many requests', 'etcdserver: request is too large', 'etcdserver: not capable', 'etcdserver: mvcc: database space exceeded', 'etcdserver: no space'];

const json = (body: unknown) => JSON.stringify(body);

export const etcdDialect: ClientDialect = {
  call(op: ClientOp): HttpCall {
    switch (op.f) {
      case 'read':
        return { method: 'POST', path: '/v3/kv/range', body: json({ key: b64(op.key) }) };
      case 'write':
        return { method: 'POST', path: '/v3/kv/put', body: json({ key: b64(op.key), value: encodeValue(op.value) }) };
      case 'cas': {
        const key = b64(op.key);
        // From null: the key must never have been created (create_revision 0).
        const compare = op.from === null ? { key, target: 'CREATE', result: 'EQUAL', create_revision: '0' } : { key, target: 'VALUE', result: 'EQUAL', value: encodeValue(op.from) };
        return { method: 'POST', path: '/v3/kv/txn', body: json({ compare: [compare], success: [{ request_put: { key, value: encodeValue(op.to) } }], failure: [{ request_range: { key } }] }) };
      }
      case 'txn':
        throw new Error('etcd runs the kv workload only (multi-key transactions are not mapped)');
    }
  },

  outcome(op: ClientOp, status: number, body: Record<string, unknown> | null): Outcome {
    if (status === 200 && body) {
      if (op.f === 'read') return { type: 'ok', status, body: { value: decodeValue((body.kvs as { value?: unknown }[] | undefined)?.[0]?.value) } };
      if (op.f === 'cas' && body.succeeded !== true) {
        // proto3 JSON leaves out `succeeded: false`; the failure branch read the current value.
        const range = (body.responses as { response_range?: { kvs?: { value?: unknown }[] } }[] | undefined)?.[0]?.response_range;
        return { type: 'fail', status: 409, body: { ok: false, error: 'precondition', value: decodeValue(range?.kvs?.[0]?.value) }, error: 'precondition' };
      }
      return { type: 'ok', status, body: { ok: true } };
    }
    const message = typeof body?.error === 'string' ? body.error : typeof body?.message === 'string' ? body.message : `http ${status}`;
    if (status === 400 || DEFINITE.some((m) => message.startsWith(m))) return { type: 'fail', status, body, error: message };
    return { type: 'info', status, body, error: message };
  },
};
