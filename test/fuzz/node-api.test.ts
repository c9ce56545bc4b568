/**
 * A real node (one process per algorithm, on 127.0.0.1) fed what users can send its client
 * API: every malformed request gets a 4xx JSON error that names the problem, every
 * well-formed one an answer of the node contract that agrees with a model of the store,
 * no answer is a 500, nothing hangs, and the node keeps serving.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../../harness/cluster.js';
import type { ChildExit } from '../../harness/supervisor.js';
import type { HostPort } from '../../nodes/common/address.js';
import { requestArb, toHttp, type FuzzRequest, type Scalar, type TxnOp } from './node-requests.js';
import { REQUEST_TIMEOUT_MS, send, type Answer, type RawRequest } from './http.js';
import { fuzzRuns, fuzzTimeout } from './settings.js';

const ALGOS = ['raft', 'paxos', 'twopc', 'gossip'] as const;
/** Operations the node answers 501 because the algorithm has no consensus for them. */
const UNSUPPORTED: Record<(typeof ALGOS)[number], ReadonlySet<string>> = {
  raft: new Set(),
  paxos: new Set(),
  twopc: new Set(),
  gossip: new Set(['cas', 'txn']),
};

const sendTo = (api: HostPort, req: RawRequest): Promise<Answer> => send(api.host, api.port, req);

/** A same-process JSON round trip: what the client sent, as the node will have parsed it. */
const asSent = (v: Scalar): Scalar => JSON.parse(JSON.stringify(v)) as Scalar;

/**
 * What a single node must answer, in the order it was asked: a read sees the last
 * acknowledged write. A key whose last change has an unknown outcome (503, 504, or a
 * random request that happened to be a valid write) is learnt again from the next read.
 */
class StoreModel {
  private readonly known = new Map<string, Scalar>();
  private readonly unsure = new Set<string>();
  /** Every key not set since is unsure. */
  private allUnsure = false;

  /** What a read must see; undefined when the model does not know. */
  value(key: string): Scalar | undefined {
    if (this.unsure.has(key)) return undefined;
    if (this.known.has(key)) return this.known.get(key)!;
    return this.allUnsure ? undefined : null;
  }

  observe(key: string, value: Scalar): void {
    const expected = this.value(key);
    if (expected !== undefined) expect(value, `value of ${JSON.stringify(key)}`).toStrictEqual(expected);
    this.set(key, value);
  }

  set(key: string, value: Scalar): void {
    this.known.set(key, value);
    this.unsure.delete(key);
  }

  forget(keys: Iterable<string>): void {
    for (const k of keys) this.unsure.add(k);
  }

  forgetAll(): void {
    this.allUnsure = true;
    this.unsure.clear();
    this.known.clear();
  }
}

function keysOf(r: FuzzRequest): string[] {
  if (r.kind === 'read' || r.kind === 'write' || r.kind === 'cas') return [r.key];
  if (r.kind === 'txn') return r.ops.map((o) => o.key);
  return [];
}

function errorOf(a: Answer): string {
  const e = (a.json as { error?: unknown } | undefined)?.error;
  expect(typeof e, `an error text in ${a.text}`).toBe('string');
  expect((e as string).length).toBeGreaterThan(0);
  return e as string;
}

/** Check one answer against the contract and the model; update the model. */
function judge(algo: (typeof ALGOS)[number], r: FuzzRequest, a: Answer, model: StoreModel): void {
  const what = `${JSON.stringify(r).slice(0, 300)} -> ${a.status} ${a.text.slice(0, 300)}`;
  expect(a.json, `a JSON answer: ${what}`).toBeTypeOf('object');
  expect(a.json, what).not.toBeNull();
  if (r.kind === 'bad') {
    expect(r.statuses, what).toContain(a.status);
    expect(errorOf(a), what).toMatch(r.names);
    return;
  }
  if (r.kind === 'random') {
    expect(a.status, what).toBeGreaterThanOrEqual(200);
    // 501/503/504 are answers of the contract for an operation; 500 never is.
    expect([500, 502].includes(a.status) || a.status > 504, what).toBe(false);
    if (a.status >= 400) errorOf(a);
    else if (a.status === 200 && r.method !== 'GET') model.forgetAll();
    return;
  }
  if (UNSUPPORTED[algo].has(r.kind)) {
    expect(a.status, what).toBe(501);
    errorOf(a);
    return;
  }
  if (a.status === 503 || a.status === 504) {
    errorOf(a);
    if (r.kind !== 'read') model.forget(keysOf(r));
    return;
  }
  const body = a.json as Record<string, unknown>;
  switch (r.kind) {
    case 'read':
      expect(a.status, what).toBe(200);
      model.observe(r.key, body.value as Scalar);
      return;
    case 'write':
      expect(a.status, what).toBe(200);
      model.set(r.key, asSent(r.value));
      return;
    case 'cas':
      if (a.status === 409) {
        model.observe(r.key, body.value as Scalar);
        expect(body.value, what).not.toStrictEqual(asSent(r.from));
        return;
      }
      expect(a.status, what).toBe(200);
      model.observe(r.key, asSent(r.from));
      model.set(r.key, asSent(r.to));
      return;
    case 'txn':
      if (a.status === 409) {
        expect(body.error, what).toBe('aborted');
        return;
      }
      expect(a.status, what).toBe(200);
      applyTxn(r.ops, body.results as Scalar[], model, what);
  }
}

function applyTxn(ops: TxnOp[], results: Scalar[], model: StoreModel, what: string): void {
  expect(results, what).toHaveLength(ops.length);
  ops.forEach((op, i) => {
    const got = results[i]!;
    if (op.f === 'read') model.observe(op.key, got);
    else if (op.f === 'write') {
      expect(got, what).toStrictEqual(asSent(op.value));
      model.set(op.key, got);
    } else {
      const before = model.value(op.key);
      if (before !== undefined) expect(got, what).toBe((before === null ? 0 : (before as number)) + op.delta);
      expect(Number.isFinite(got), `an add leaves a finite number: ${what}`).toBe(true);
      if (op.floor !== undefined) expect(got as number, what).toBeGreaterThanOrEqual(op.floor);
      model.set(op.key, got);
    }
  });
}

/** What the fuzzer found once, asked first on every run. */
const FOUND: [FuzzRequest][] = [
  // An add that overflowed to Infinity was applied, and answered and stored as null.
  [{ kind: 'txn', ops: [{ f: 'add', key: 'overflow', delta: Number.MAX_VALUE }, { f: 'add', key: 'overflow', delta: Number.MAX_VALUE }, { f: 'read', key: 'overflow' }] }],
  // A key that failed validation was blamed on the body.
  [{ kind: 'bad', method: 'GET', path: `/kv/${encodeURIComponent('ключ'.repeat(65))}`, statuses: [400], names: /^key: / }],
  // A request head past Node's limit was called "malformed".
  [{ kind: 'bad', method: 'GET', path: `/kv/${'k'.repeat(20_000)}`, statuses: [431], names: /^request line and headers exceed 16384 bytes$/ }],
];

/** Bytes that are not HTTP: the node answers 400 (or nothing) and closes, and keeps serving. */
async function sendRaw(api: HostPort, bytes: Uint8Array): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: api.host, port: api.port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`raw request: no answer and no close within ${REQUEST_TIMEOUT_MS} ms`));
    }, REQUEST_TIMEOUT_MS);
    s.on('connect', () => s.end(bytes));
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
  });
}

describe.each(ALGOS)('the client API of a %s node, fuzzed', (algo) => {
  let cluster: Cluster | null = null;
  let dir = '';
  const exits: ChildExit[] = [];
  let api: HostPort;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), `parley-fuzz-${algo}-`));
    cluster = await Cluster.plan({ algo, size: 1, dir });
    cluster.onUnexpectedExit = (e) => exits.push(e);
    await cluster.start();
    api = cluster.node('n1').api;
    if (algo === 'raft' || algo === 'paxos') await cluster.waitForLeader(30_000);
  });

  afterAll(async () => {
    await cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it(
    'answers every request by the contract, names what is malformed, agrees with a model of the store, and keeps serving',
    async () => {
      const model = new StoreModel();
      await fc.assert(
        fc.asyncProperty(requestArb, async (r) => {
          judge(algo, r, await sendTo(api, toHttp(r)), model);
        }),
        { ...fuzzRuns<[FuzzRequest]>(120), examples: FOUND },
      );
      expect(exits, exits.map((e) => e.logTail.join('\n')).join('\n')).toEqual([]);
      expect((await sendTo(api, { method: 'GET', path: '/status', headers: {} })).status).toBe(200);
    },
    fuzzTimeout(60_000),
  );

  it(
    'answers bytes that are not HTTP with a 400 or a close, and keeps serving',
    async () => {
      const lines = fc.oneof(
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.string({ unit: 'binary', maxLength: 100 }).map((s) => new TextEncoder().encode(`PUT /kv/a HTTP/1.1\r\n${s}\r\n\r\n`)),
        fc.string({ unit: 'grapheme-ascii', maxLength: 40 }).map((s) => new TextEncoder().encode(`${s} / HTTP/1.1\r\nhost: x\r\n\r\n`)),
        fc.nat({ max: 100 }).map((n) => new TextEncoder().encode(`POST /txn HTTP/1.1\r\ncontent-length: ${n}\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n`)),
      );
      await fc.assert(
        fc.asyncProperty(lines, async (bytes) => {
          const text = await sendRaw(api, bytes);
          if (text !== '') {
            const status = /^HTTP\/1\.[01] (\d{3}) /.exec(text);
            expect(status, text.slice(0, 200)).not.toBeNull();
            expect(Number(status![1]), text.slice(0, 200)).toBeLessThan(500);
          }
        }),
        fuzzRuns(30),
      );
      expect(exits).toEqual([]);
      expect((await sendTo(api, { method: 'GET', path: '/status', headers: {} })).status).toBe(200);
    },
    fuzzTimeout(30_000),
  );

  // One algorithm is enough: the body limit is the shared client API's.
  if (algo !== 'raft') return;
  it("answers an oversized body with a 413 that Node's fetch can read, every time, while the client is still sending", async () => {
    const body = JSON.stringify({ value: 'x'.repeat(10 * 1024 * 1024) });
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`http://${api.host}:${api.port}/kv/big`, { method: 'PUT', body, headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(413);
      expect(((await res.json()) as { error: string }).error).toMatch(/exceeds the limit of 1048576/);
    }
    const chunked = await fetch(`http://${api.host}:${api.port}/kv/big`, {
      method: 'PUT',
      body: new Blob([body]).stream(),
      duplex: 'half',
      headers: { 'content-type': 'application/json' },
    } as RequestInit);
    expect(chunked.status).toBe(413);
    await chunked.text();
    expect((await sendTo(api, { method: 'PUT', path: '/kv/big', body: '{"value":1}' })).status).toBe(200);
  });
});
