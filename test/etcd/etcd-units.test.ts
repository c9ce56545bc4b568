/**
 * etcd under parley, the parts that need no etcd: the kv operations as v3 JSON gateway
 * calls and their answers as the contract's outcomes (an error that may still commit must
 * stay unknown), the per-member hosts files, Prometheus counters, and which faults etcd
 * cannot express.
 */
import { describe, expect, it } from 'vitest';
import { etcdDialect } from '../../harness/etcd/dialect.js';
import { hostsFile, sourceAddress } from '../../harness/etcd/isolation.js';
import { refusal, sumOf } from '../../harness/etcd/system.js';
import { faultSchema } from '../../contracts/scenario.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('the kv workload through the v3 JSON gateway', () => {
  it('maps reads, writes and compare-and-set to range, put and txn, with JSON values base64-encoded', () => {
    expect(etcdDialect.call({ f: 'read', key: 'k1' })).toEqual({ method: 'POST', path: '/v3/kv/range', body: JSON.stringify({ key: b64('k1') }) });
    expect(etcdDialect.call({ f: 'write', key: 'k1', value: 'v' })).toEqual({ method: 'POST', path: '/v3/kv/put', body: JSON.stringify({ key: b64('k1'), value: b64('"v"') }) });
    const cas = JSON.parse(etcdDialect.call({ f: 'cas', key: 'k1', from: 'a', to: 'b' }).body!) as Record<string, unknown>;
    expect(cas).toEqual({
      compare: [{ key: b64('k1'), target: 'VALUE', result: 'EQUAL', value: b64('"a"') }],
      success: [{ request_put: { key: b64('k1'), value: b64('"b"') } }],
      failure: [{ request_range: { key: b64('k1') } }],
    });
    const fromNull = JSON.parse(etcdDialect.call({ f: 'cas', key: 'k1', from: null, to: 'b' }).body!) as { compare: unknown[] };
    expect(fromNull.compare).toEqual([{ key: b64('k1'), target: 'CREATE', result: 'EQUAL', create_revision: '0' }]);
    expect(() => etcdDialect.call({ f: 'txn', ops: [] })).toThrow(/kv workload only/);
  });

  it('reads back the scalar that was written, and null for a key never written', () => {
    const hit = etcdDialect.outcome({ f: 'read', key: 'k' }, 200, { header: {}, kvs: [{ key: b64('k'), value: b64('42') }], count: '1' });
    expect(hit).toMatchObject({ type: 'ok', body: { value: 42 } });
    expect(etcdDialect.outcome({ f: 'read', key: 'k' }, 200, { header: {} })).toMatchObject({ type: 'ok', body: { value: null } });
  });

  it('a txn whose compare failed is the contract\'s 409 precondition, with the current value', () => {
    const op = { f: 'cas' as const, key: 'k', from: 'a', to: 'b' };
    expect(etcdDialect.outcome(op, 200, { header: {}, succeeded: true, responses: [] })).toMatchObject({ type: 'ok' });
    // proto3 JSON leaves `succeeded: false` out.
    const failed = etcdDialect.outcome(op, 200, { header: {}, responses: [{ response_range: { kvs: [{ value: b64('"c"') }] } }] });
    expect(failed).toEqual({ type: 'fail', status: 409, body: { ok: false, error: 'precondition', value: 'c' }, error: 'precondition' });
  });

  it('keeps errors after which a write may still commit unknown, and only refusals definite', () => {
    const op = { f: 'write' as const, key: 'k', value: 'v' };
    // etcd's "request timed out" is gRPC Unavailable, which the gateway answers with 503: still unknown.
    expect(etcdDialect.outcome(op, 503, { error: 'etcdserver: request timed out', code: 14 }).type).toBe('info');
    expect(etcdDialect.outcome(op, 503, { error: 'etcdserver: leader changed', code: 14 }).type).toBe('info');
    expect(etcdDialect.outcome(op, 500, null).type).toBe('info');
    expect(etcdDialect.outcome(op, 429, { error: 'etcdserver: too many requests', code: 8 })).toMatchObject({ type: 'fail', error: 'etcdserver: too many requests' });
    expect(etcdDialect.outcome(op, 400, { error: 'etcdserver: key is not provided', code: 3 }).type).toBe('fail');
  });
});

describe('per-member proxies', () => {
  it("gives each member a hosts file that puts every peer's name on that member's own loopback address", () => {
    expect(sourceAddress(2)).toBe('127.77.0.2');
    expect(hostsFile(['n1', 'n2', 'n3'], 'n2')).toBe('127.0.0.1 localhost\n127.0.0.1 parley-n2\n127.77.0.2 parley-n1\n127.77.0.2 parley-n3\n');
  });

  it('sums a Prometheus counter over its labels', () => {
    const text = [
      '# HELP etcd_network_peer_sent_bytes_total The total number of bytes sent to peers.',
      'etcd_network_peer_sent_bytes_total{To="1"} 100',
      'etcd_network_peer_sent_bytes_total{To="2"} 2.5e3',
      'etcd_network_peer_sent_bytes_total_other 7',
      'etcd_disk_wal_fsync_duration_seconds_count 12',
    ].join('\n');
    expect(sumOf(text, 'etcd_network_peer_sent_bytes_total')).toBe(2600);
    expect(sumOf(text, 'etcd_disk_wal_fsync_duration_seconds_count')).toBe(12);
  });

  const fault = (f: Record<string, unknown>) => faultSchema.parse({ at: '1s', duration: '1s', ...f });
  const perLink = { mode: 'per-link', unshare: ['unshare'] } as const;
  const shared = { mode: 'per-destination', why: 'no namespaces here' } as const;

  it('refuses one-way partitions always, and with shared proxies everything that needs a link of its own', () => {
    expect(refusal(fault({ kind: 'partition', shape: 'one-way' }), perLink)).toMatch(/one-way partition cannot be expressed for etcd/);
    expect(refusal(fault({ kind: 'partition', shape: 'ring' }), perLink)).toBeNull();
    expect(refusal(fault({ kind: 'latency', target: 'n1' }), perLink)).toBeNull();
    expect(refusal(fault({ kind: 'partition', shape: 'isolate-leader' }), shared)).toMatch(/a partition \(isolate-leader\) needs a proxy per directed link.*no namespaces here/);
    expect(refusal(fault({ kind: 'drop', target: 'random' }), shared)).toMatch(/a drop on random needs a proxy per directed link/);
    expect(refusal(fault({ kind: 'latency', target: 'all' }), shared)).toBeNull();
    expect(refusal(fault({ kind: 'crash', target: 'leader' }), shared)).toBeNull();
  });
});
