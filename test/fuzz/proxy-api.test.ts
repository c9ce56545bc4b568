/**
 * The embedded Toxiproxy fed sequences of API calls a user (or a harness with a bug) could
 * make: near-valid and malformed proxies, toxics, populates, resets, addresses that do not
 * resolve or are taken. After every call: the answer is a 2xx, a 4xx naming the problem, or
 * upstream's 500 for an address that cannot be bound; a call that failed changed nothing;
 * what a call answered is what the server then reports. After each sequence every enabled
 * proxy accepts connections, on loopback only.
 */
import net from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToxiproxyServer } from '../../harness/toxiproxy/server.js';
import { TOXIC_TYPES } from '../../harness/toxiproxy/toxics.js';
import { send, type Answer } from './http.js';
import { fuzzRuns, fuzzTimeout } from './settings.js';

const enc = encodeURIComponent;

/** Placeholders resolved when a call is made: addresses that exist only at run time. */
type Address = string | { taken: 'api' | 'echo' } | { proxyListen: string };

interface Call {
  method: string;
  /** Path segments before encoding; a string is sent as it is. */
  path: string[] | string;
  body?: unknown;
  /** Sent as it is instead of JSON. */
  rawBody?: string;
}

// Mostly the names SETUP creates, so that calls meet proxies and toxics that exist.
const proxyNames = fc.oneof({ weight: 3, arbitrary: fc.constantFrom('p1', 'n1->n2') }, fc.constantFrom('p2', 'a/b', '%', ' ', 'ü'));
const toxicNames = fc.oneof({ weight: 2, arbitrary: fc.constant('t1') }, fc.constantFrom('t2', 'latency_downstream', 'timeout_upstream', '', '/'));

const listenArb: fc.Arbitrary<Address> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('127.0.0.1:0', 'localhost:0', '', ':0') },
  { weight: 2, arbitrary: fc.constantFrom({ taken: 'api' as const }, { taken: 'echo' as const }) },
  { weight: 2, arbitrary: proxyNames.map((n) => ({ proxyListen: n })) },
  {
    weight: 3,
    arbitrary: fc.oneof(
      fc.constantFrom('256.1.1.1:1', '127.0.0.1:99999', '127.0.0.1:-1', 'nope', '::::', '[::1', '127.0.0.1:', ':'),
      // Names under .invalid never resolve (RFC 6761); arbitrary names could resolve to a
      // wildcard address ("0" is 0.0.0.0), and nothing here may listen beyond loopback.
      fc.tuple(fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/), fc.nat({ max: 65535 })).map(([h, p]) => `${h}.invalid:${p}`),
      fc.string({ unit: 'grapheme', maxLength: 12 }).filter((s) => !/^[\d.:[\]x]*$/i.test(s) && !/:\d+$/.test(s)),
    ),
  },
);

const upstreamArb: fc.Arbitrary<Address> = fc.oneof(fc.constant({ taken: 'echo' as const }), fc.constantFrom('127.0.0.1:1', 'not-an-address', '', '127.0.0.1:0'), fc.string({ maxLength: 10 }));

/** A value of the wrong JSON type, for any field. */
const wrongType = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 2 }), fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }), fc.string({ maxLength: 6 }));

/** Occasionally a field's key in another case: Go's decoder matches keys case-insensitively. */
function keyed(record: Record<string, unknown>, upper: boolean): Record<string, unknown> {
  return upper ? Object.fromEntries(Object.entries(record).map(([k, v]) => [k.toUpperCase(), v])) : record;
}

const anyProxyBody = fc.record(
  {
    name: fc.oneof(proxyNames, wrongType),
    listen: fc.oneof({ weight: 4, arbitrary: listenArb }, wrongType),
    upstream: fc.oneof({ weight: 4, arbitrary: upstreamArb }, wrongType),
    enabled: fc.oneof({ weight: 4, arbitrary: fc.boolean() }, wrongType),
    extra: fc.jsonValue({ maxDepth: 1 }),
  },
  { requiredKeys: [] },
);
const validProxyBody = fc.record({ name: proxyNames, upstream: upstreamArb, listen: listenArb, enabled: fc.boolean() }, { requiredKeys: ['name', 'upstream'] });
const proxyBody = fc
  .tuple(fc.oneof({ weight: 3, arbitrary: validProxyBody }, anyProxyBody), fc.integer({ min: 0, max: 5 }))
  .map(([r, dice]) => keyed(r, dice === 0));

const attributeNames = fc.constantFrom('latency', 'jitter', 'rate', 'delay', 'timeout', 'average_size', 'size_variation', 'bytes', 'unknown');
const attributeValue = fc.oneof(fc.integer({ min: -10, max: 100_000 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(0, 1, 1e300, -1, 2 ** 63), wrongType);

const anyToxicBody = fc.record(
  {
    name: fc.oneof(toxicNames, wrongType),
    type: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...TOXIC_TYPES) }, fc.constantFrom('LATENCY', 'frobnicate', ''), wrongType),
    stream: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('upstream', 'downstream', 'UpStream') }, fc.constantFrom('sideways', ''), wrongType),
    toxicity: fc.oneof({ weight: 4, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) }, fc.constantFrom(-1, 2, 1e308), wrongType),
    attributes: fc.oneof({ weight: 5, arbitrary: fc.dictionary(attributeNames, attributeValue, { maxKeys: 3 }) }, wrongType),
  },
  { requiredKeys: [] },
);
const validToxicBody = fc.record(
  {
    name: toxicNames,
    type: fc.constantFrom(...TOXIC_TYPES),
    stream: fc.constantFrom('upstream', 'downstream'),
    toxicity: fc.double({ min: 0, max: 1, noNaN: true }),
    attributes: fc.dictionary(attributeNames, fc.integer({ min: 1, max: 100_000 }), { maxKeys: 3 }),
  },
  { requiredKeys: ['type'] },
);
const toxicBody = fc.oneof({ weight: 2, arbitrary: validToxicBody }, anyToxicBody);

const rawBody = fc.oneof(fc.constantFrom('', '{', 'null', '[]', '[null]', '"str"', '{"name":', '\u0000\u00ff', '{} {}'), fc.string({ unit: 'binary', maxLength: 40 }));

const callArb: fc.Arbitrary<Call> = fc.oneof(
  { weight: 5, arbitrary: proxyBody.map((body) => ({ method: 'POST', path: ['proxies'], body })) },
  {
    weight: 4,
    arbitrary: fc.tuple(proxyNames, fc.constantFrom('POST', 'PATCH'), proxyBody).map(([n, method, body]) => ({ method, path: ['proxies', n], body })),
  },
  { weight: 2, arbitrary: proxyNames.map((n) => ({ method: 'DELETE', path: ['proxies', n] })) },
  { weight: 2, arbitrary: fc.array(proxyBody, { maxLength: 3 }).map((body) => ({ method: 'POST', path: ['populate'], body })) },
  { weight: 5, arbitrary: fc.tuple(proxyNames, toxicBody).map(([n, body]) => ({ method: 'POST', path: ['proxies', n, 'toxics'], body })) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(proxyNames, toxicNames, fc.constantFrom('POST', 'PATCH'), toxicBody)
      .map(([n, t, method, body]) => ({ method, path: ['proxies', n, 'toxics', t], body: { attributes: body.attributes, toxicity: body.toxicity } })),
  },
  { weight: 2, arbitrary: fc.tuple(proxyNames, toxicNames).map(([n, t]) => ({ method: 'DELETE', path: ['proxies', n, 'toxics', t] })) },
  { weight: 1, arbitrary: fc.constant<Call>({ method: 'POST', path: ['reset'] }) },
  {
    weight: 2,
    arbitrary: fc.record({
      method: fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'PUT'),
      path: fc.oneof(
        fc.constantFrom('/', '/proxies/', '//proxies', '/proxies/%E0%A4%A', '/proxies/a/b/c/d/e', '/version', '/populate', '/proxies/p1/toxics/'),
        fc.array(fc.webSegment(), { minLength: 1, maxLength: 4 }).map((s) => `/${s.join('/')}`),
      ),
      rawBody,
    }),
  },
);

/** Every sequence starts from two proxies in front of the echo server, one with a toxic. */
const SETUP: Call[] = [
  { method: 'POST', path: ['populate'], body: [{ name: 'p1', upstream: { taken: 'echo' } }, { name: 'n1->n2', upstream: { taken: 'echo' }, listen: 'localhost:0' }] },
  { method: 'POST', path: ['proxies', 'p1', 'toxics'], body: { type: 'latency', name: 't1', attributes: { latency: 5 } } },
];

type State = Record<string, { name: string; listen: string; upstream: string; enabled: boolean; toxics: unknown[] }>;

class Session {
  constructor(
    readonly apiAddress: string,
    readonly echoAddress: string,
  ) {}

  request(method: string, path: string, body?: string): Promise<Answer> {
    const [host, port] = [this.apiAddress.slice(0, this.apiAddress.lastIndexOf(':')), Number(this.apiAddress.slice(this.apiAddress.lastIndexOf(':') + 1))];
    return send(host, port, body === undefined ? { method, path } : { method, path, body });
  }

  async state(): Promise<State> {
    const r = await this.request('GET', '/proxies');
    expect(r.status, r.text).toBe(200);
    return r.json as State;
  }

  resolve(a: unknown, state: State): unknown {
    if (typeof a !== 'object' || a === null) return a;
    if ('taken' in a) return (a as { taken: string }).taken === 'api' ? this.apiAddress : this.echoAddress;
    if ('proxyListen' in a) return state[(a as { proxyListen: string }).proxyListen]?.listen ?? '127.0.0.1:1';
    return a;
  }

  /** The call's body with run-time addresses filled in. */
  bodyOf(call: Call, state: State): string | undefined {
    if (call.rawBody !== undefined) return call.rawBody;
    if (call.body === undefined) return undefined;
    const fill = (p: unknown): unknown => {
      if (typeof p !== 'object' || p === null || Array.isArray(p)) return p;
      return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, /^(listen|upstream)$/i.test(k) ? this.resolve(v, state) : v]));
    };
    return JSON.stringify(Array.isArray(call.body) ? call.body.map(fill) : fill(call.body));
  }
}

const pathOf = (call: Call): string => (typeof call.path === 'string' ? call.path : `/${call.path.map(enc).join('/')}`);

/** Check one answer, and the state after it against the state before it. */
function judge(call: Call, a: Answer, before: State, after: State): void {
  const what = `${call.method} ${pathOf(call)} ${JSON.stringify(call.body ?? call.rawBody ?? '')} -> ${a.status} ${a.text.slice(0, 300)}`;
  if (a.status >= 200 && a.status < 300) {
    if (a.status !== 204) expect(a.json, `a JSON answer: ${what}`).toBeDefined();
    const [, name, sub] = Array.isArray(call.path) ? call.path : [];
    // What a proxy call answered is what the server reports next.
    if (Array.isArray(call.path) && call.path[0] === 'proxies' && call.method !== 'DELETE' && sub === undefined && name !== undefined) {
      expect(after[name], what).toStrictEqual(a.json);
    }
    if (Array.isArray(call.path) && call.path[0] === 'proxies' && call.path.length === 1) {
      const created = a.json as { name: string };
      expect(after[created.name], what).toStrictEqual(a.json);
    }
    return;
  }
  const body = a.json as { error?: unknown; status?: unknown } | undefined;
  expect(body, `a JSON error body: ${what}`).toBeTypeOf('object');
  expect(typeof body!.error === 'string' && body!.error.length > 0, `an error that names the problem: ${what}`).toBe(true);
  expect(body!.status, what).toBe(a.status);
  if (a.status >= 500) {
    // Upstream's one 500: an address that cannot be resolved or bound.
    expect(a.status, what).toBe(500);
    expect(body!.error, what).toMatch(/^listen tcp[ :]/);
  } else {
    expect(a.status, what).toBeGreaterThanOrEqual(400);
  }
  const path = Array.isArray(call.path) ? call.path : [];
  if (path[0] === 'reset') {
    // Reset goes on past a proxy it cannot start: every toxic is gone all the same.
    for (const p of Object.values(after)) expect(p.toxics, what).toEqual([]);
    return;
  }
  if (path[0] === 'populate' && a.status === 500) {
    // A bind failure part-way keeps what was done before it, and reports it.
    const done = new Set(((body as { proxies?: { name: string }[] }).proxies ?? []).map((p) => p.name));
    for (const name of new Set([...Object.keys(before), ...Object.keys(after)])) {
      if (!done.has(name)) expect(after[name], `${name} untouched: ${what}`).toStrictEqual(before[name]);
    }
    return;
  }
  // A call that failed changed nothing.
  expect(after, `nothing changed: ${what}`).toStrictEqual(before);
}

async function accepts(address: string): Promise<boolean> {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i).replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    const s = net.connect({ host, port: Number(address.slice(i + 1)) });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe('the embedded Toxiproxy API, fuzzed with call sequences', () => {
  let echo: net.Server;
  let echoAddress = '';

  beforeAll(async () => {
    echo = net.createServer((s) => {
      s.on('error', () => undefined);
      s.pipe(s);
    });
    await new Promise<void>((resolve) => echo.listen({ host: '127.0.0.1', port: 0 }, resolve));
    echoAddress = `127.0.0.1:${(echo.address() as net.AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((r) => echo.close(r));
  });

  it(
    'answers 2xx, a 4xx naming the problem, or a 500 for an address it cannot bind; a failed call changes nothing; proxies stay on loopback',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(callArb, { minLength: 1, maxLength: 12 }), async (calls) => {
          const server = new ToxiproxyServer({ seed: 1 });
          const { host, port } = await server.start({ host: '127.0.0.1', port: 0 });
          const session = new Session(`${host}:${port}`, echoAddress);
          try {
            let state = await session.state();
            for (const call of [...SETUP, ...calls]) {
              const answer = await session.request(call.method, pathOf(call), session.bodyOf(call, state));
              const after = await session.state();
              judge(call, answer, state, after);
              state = after;
            }
            for (const p of Object.values(state)) {
              if (!p.enabled) continue;
              expect(p.listen, `${p.name} listens on loopback`).toMatch(/^(127\.0\.0\.1|\[::1\]):\d+$/);
              expect(await accepts(p.listen), `${p.name} is enabled, so ${p.listen} accepts`).toBe(true);
            }
            expect((await session.request('GET', '/version')).status).toBe(200);
          } finally {
            await server.stop();
          }
        }),
        fuzzRuns(40),
      );
    },
    fuzzTimeout(60_000),
  );
});
