/**
 * What a user can send a node's client API (docs/nodes.md), as fast-check arbitraries:
 * well-formed operations a model can follow, malformed ones with the status and the field
 * the answer must name, and requests that are neither, made of arbitrary bytes.
 */
import fc from 'fast-check';

export type Scalar = string | number | boolean | null;

export type TxnOp = { f: 'read'; key: string } | { f: 'write'; key: string; value: Scalar } | { f: 'add'; key: string; delta: number; floor?: number };

export type FuzzRequest =
  | { kind: 'read'; key: string }
  | { kind: 'write'; key: string; value: Scalar; extra: Record<string, unknown> }
  | { kind: 'cas'; key: string; from: Scalar; to: Scalar }
  | { kind: 'txn'; ops: TxnOp[] }
  /** Malformed: must get one of `statuses`, with an error that matches `names`. */
  | { kind: 'bad'; method: string; path: string; body?: string; statuses: number[]; names: RegExp }
  /** Anything: must get an answer that is not a 5xx from the API itself. */
  | { kind: 'random'; method: string; path: string; body?: string | Uint8Array; headers: Record<string, string> };

export const MAX_KEY = 256;

/** Keys that collide often (so reads meet writes) and keys that break naive code. */
export const keyArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('a', 'b', 'c') },
  { weight: 2, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'k/with/slash', 'a b', '%41', '..', '.', '?x=1', '#h', 'ключ', '🙂', 'k'.repeat(MAX_KEY)) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }) },
);

/** JSON scalars, including -0, extremes and lone surrogates. */
export const scalarArb: fc.Arbitrary<Scalar> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 16 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
);

const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
const extreme = fc.constantFrom(Number.MAX_VALUE, -Number.MAX_VALUE, 1e308, Number.MIN_VALUE, 2 ** 53, -(2 ** 53));
const smallNumber = fc.oneof(fc.integer({ min: -100, max: 100 }), finite, extreme);

const txnOpArb: fc.Arbitrary<TxnOp> = fc.oneof(
  keyArb.map((key) => ({ f: 'read' as const, key })),
  fc.record({ f: fc.constant('write' as const), key: keyArb, value: scalarArb }),
  fc.record({ f: fc.constant('add' as const), key: keyArb, delta: smallNumber, floor: smallNumber }, { requiredKeys: ['f', 'key', 'delta'] }),
);

export const kvPath = (key: string, suffix = ''): string => `/kv/${encodeURIComponent(key)}${suffix}`;

const notScalar = fc.oneof(fc.array(fc.jsonValue(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue(), { maxKeys: 3 }));
const notObject = fc.oneof(fc.constant(null), fc.array(fc.jsonValue(), { maxLength: 3 }), fc.string(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean());
const notJson = fc.oneof(fc.constantFrom('{"value":', '{', '[', 'nul', '{"value": 1,}', "{'value': 1}", '{"value": NaN}', '\u0000'), fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }).filter((s) => !isJson(s)));

function isJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

const badKeyPath = fc.oneof(
  fc.constant(`/kv/${'k'.repeat(MAX_KEY + 1)}`),
  fc.constantFrom('/kv/%E0%A4%A', '/kv/%', '/kv/%zz', '/kv/%C0%AF'),
  // Within the 16 KiB request head; longer heads are the 431 case below.
  fc.string({ unit: 'grapheme', minLength: MAX_KEY + 1, maxLength: MAX_KEY + 20 }).map((k) => kvPath(k)).filter((p) => p.length < 12_000),
);

/** Malformed requests, each with what the answer must say. */
const badArb: fc.Arbitrary<FuzzRequest> = fc.oneof(
  fc.record({ method: fc.constantFrom('GET', 'PUT'), path: badKeyPath }).map(({ method, path }) => ({
    kind: 'bad' as const, method, path, body: '{"value":1}', statuses: [400], names: /^key: /,
  })),
  fc.tuple(keyArb, notJson).map(([key, body]) => ({ kind: 'bad' as const, method: 'PUT', path: kvPath(key), body, statuses: [400], names: /JSON/ })),
  fc.tuple(keyArb, notScalar).map(([key, value]) => ({ kind: 'bad' as const, method: 'PUT', path: kvPath(key), body: JSON.stringify({ value }), statuses: [400], names: /^value: / })),
  fc.tuple(keyArb, notObject).map(([key, body]) => ({ kind: 'bad' as const, method: 'PUT', path: kvPath(key), body: JSON.stringify(body), statuses: [400], names: /^(body|value): / })),
  keyArb.map((key) => ({ kind: 'bad' as const, method: 'PUT', path: kvPath(key), body: JSON.stringify({ val: 1 }), statuses: [400], names: /^value: / })),
  keyArb.map((key) => ({ kind: 'bad' as const, method: 'PUT', path: kvPath(key), statuses: [400], names: /^body: / })),
  fc.tuple(keyArb, fc.oneof(fc.record({ from: scalarArb }), fc.record({ to: scalarArb }), fc.record({ from: notScalar, to: scalarArb })))
    .map(([key, b]) => ({ kind: 'bad' as const, method: 'POST', path: kvPath(key, '/cas'), body: JSON.stringify(b), statuses: [400], names: /^(from|to): / })),
  fc
    .oneof(
      fc.constant({ ops: [] }),
      fc.constant({ ops: Array.from({ length: 1001 }, () => ({ f: 'read', key: 'a' })) }),
      fc.record({ ops: fc.tuple(fc.record({ f: fc.constantFrom('drop', 'READ', '', 'cas'), key: keyArb })) }),
      fc.record({ ops: fc.tuple(fc.record({ f: fc.constant('add'), key: keyArb, delta: fc.oneof(fc.string(), fc.constant(null), fc.boolean()) })) }),
      fc.record({ ops: fc.tuple(fc.record({ f: fc.constant('write'), key: fc.constantFrom('', 'k'.repeat(MAX_KEY + 1)), value: scalarArb })) }),
      fc.record({ ops: fc.tuple(fc.record({ f: fc.constant('write'), key: keyArb, value: notScalar })) }),
      fc.record({ ops: notObject }),
    )
    .map((b) => ({ kind: 'bad' as const, method: 'POST', path: '/txn', body: JSON.stringify(b), statuses: [400], names: /^ops/ })),
  fc.tuple(keyArb, fc.constantFrom('DELETE', 'PATCH', 'POST', 'OPTIONS')).map(([key, method]) => ({
    kind: 'bad' as const, method, path: kvPath(key), statuses: [405], names: /takes GET or PUT/,
  })),
  fc.tuple(keyArb, fc.constantFrom('GET', 'PUT', 'DELETE')).map(([key, method]) => ({
    kind: 'bad' as const, method, path: kvPath(key, '/cas'), statuses: [405], names: /takes POST/,
  })),
  fc.tuple(fc.constantFrom('/status', '/metrics', '/txn'), fc.constantFrom('PUT', 'DELETE', 'PATCH')).map(([path, method]) => ({
    kind: 'bad' as const, method, path, statuses: [405], names: /takes (GET|POST)/,
  })),
  fc.tuple(fc.integer({ min: 17_000, max: 40_000 }), fc.constantFrom('/kv/', '/txn?', '/')).map(([n, prefix]) => ({
    kind: 'bad' as const, method: 'GET', path: prefix + 'x'.repeat(n), statuses: [431], names: /^request line and headers exceed 16384 bytes$/,
  })),
  fc.constantFrom('/', '/kv', '/kv/', '/kv/a/b', '/kv/a/cas/x', '/txn/x', '/STATUS', '//kv/a').map((path) => ({
    kind: 'bad' as const, method: 'GET', path, statuses: [404], names: /^no route /,
  })),
);

const segment = fc.oneof(fc.constantFrom('kv', 'txn', 'status', 'metrics', 'cas', 'a', '', '..', '%00', '%2F', '%E0%A4%A'), fc.webSegment());

const randomArb: fc.Arbitrary<FuzzRequest> = fc.record({
  kind: fc.constant('random' as const),
  method: fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS'),
  path: fc.tuple(fc.array(segment, { minLength: 1, maxLength: 4 }), fc.option(fc.webQueryParameters(), { nil: undefined })).map(([segs, q]) => `/${segs.join('/')}${q ? `?${q}` : ''}`),
  body: fc.option(fc.oneof(fc.json(), fc.string({ unit: 'binary', maxLength: 64 }), fc.uint8Array({ maxLength: 64 })), { nil: undefined }),
  headers: fc.dictionary(fc.constantFrom('content-type', 'accept', 'x-parley', 'expect-ct', 'transfer-encoding-x'), fc.string({ unit: 'grapheme-ascii', maxLength: 20 }), { maxKeys: 2 }),
});

export const requestArb: fc.Arbitrary<FuzzRequest> = fc.oneof(
  { weight: 3, arbitrary: keyArb.map((key) => ({ kind: 'read' as const, key })) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('write' as const),
      key: keyArb,
      value: scalarArb,
      // Unknown fields are ignored, as documented.
      extra: fc.dictionary(fc.constantFrom('version', 'ttl', 'values', 'Value'), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 1 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cas' as const), key: keyArb, from: scalarArb, to: scalarArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('txn' as const), ops: fc.array(txnOpArb, { minLength: 1, maxLength: 4 }) }) },
  { weight: 4, arbitrary: badArb },
  { weight: 2, arbitrary: randomArb },
);

/** The HTTP request a FuzzRequest stands for. */
export function toHttp(r: FuzzRequest): { method: string; path: string; body?: string | Uint8Array; headers: Record<string, string> } {
  const json = { 'content-type': 'application/json' };
  switch (r.kind) {
    case 'read':
      return { method: 'GET', path: kvPath(r.key), headers: {} };
    case 'write':
      return { method: 'PUT', path: kvPath(r.key), body: JSON.stringify({ ...r.extra, value: r.value }), headers: json };
    case 'cas':
      return { method: 'POST', path: kvPath(r.key, '/cas'), body: JSON.stringify({ from: r.from, to: r.to }), headers: json };
    case 'txn':
      return { method: 'POST', path: '/txn', body: JSON.stringify({ ops: r.ops }), headers: json };
    case 'bad':
      return r.body === undefined ? { method: r.method, path: r.path, headers: json } : { method: r.method, path: r.path, body: r.body, headers: json };
    case 'random':
      return r.body === undefined ? { method: r.method, path: r.path, headers: r.headers } : { method: r.method, path: r.path, body: r.body, headers: r.headers };
  }
}
