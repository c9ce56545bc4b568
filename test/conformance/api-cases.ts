/**
 * HTTP API conformance (docs/toxiproxy.md): status codes, JSON shapes, defaults and
 * error bodies, through raw HTTP and through parley's client wrapper.
 */
import { expect, it } from 'vitest';
import { ToxiproxyCallError } from '../../harness/toxiproxy/client.js';
import { portOf, raw, rawJson, type Reader, type RawResponse } from './net-helpers.js';
import type { SuiteContext } from './targets.js';

const enc = encodeURIComponent;

/**
 * The documented fields of a proxy's JSON (docs/toxiproxy.md). Servers may send more: the real
 * 2.12 also marshals its `Logger`.
 */
const PROXY_FIELDS = ['name', 'listen', 'upstream', 'enabled', 'toxics'] as const;

function proxyFields(json: unknown): Record<string, unknown> {
  const p = json as Record<string, unknown>;
  for (const f of PROXY_FIELDS) expect(p, `proxy JSON lacks "${f}": ${JSON.stringify(p)}`).toHaveProperty(f);
  return Object.fromEntries(PROXY_FIELDS.map((f) => [f, p[f]]));
}

function expectError(r: RawResponse, status: number, message: string | RegExp): void {
  expect(r.status).toBe(status);
  const body = r.json as { error: unknown; status: unknown };
  expect(body.status).toBe(status);
  if (typeof message === 'string') expect(body.error).toBe(message);
  else expect(String(body.error)).toMatch(message);
}

export function apiCases(ctx: SuiteContext): void {
  it('GET /version answers a version string, and the client reads it', async () => {
    const r = await raw(ctx.url, 'GET', '/version');
    expect(r.status).toBe(200);
    expect(typeof (r.json as { version: unknown }).version).toBe('string');
    expect(await ctx.client.version()).toBe((r.json as { version: string }).version);
  });

  it('POST /proxies creates (201) with the bound address and upstream JSON shape; 409 on a duplicate', async () => {
    const name = ctx.name('create');
    const r = await rawJson(ctx.url, 'POST', '/proxies', { name, upstream: '127.0.0.1:9', listen: 'localhost:0' });
    expect(r.status).toBe(201);
    const p = proxyFields(r.json);
    expect(p).toMatchObject({ name, upstream: '127.0.0.1:9', enabled: true, toxics: [] });
    expect(p.listen).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(p.listen).not.toBe('127.0.0.1:0');
    const again = await rawJson(ctx.url, 'POST', '/proxies', { name, upstream: '127.0.0.1:9', listen: '127.0.0.1:0' });
    expectError(again, 409, 'proxy already exists');
  });

  it('POST /proxies: 400 for bad JSON, a missing name, then a missing upstream; a disabled proxy echoes listen', async () => {
    expectError(await raw(ctx.url, 'POST', '/proxies', '{"name":'), 400, /^bad request body/);
    expectError(await rawJson(ctx.url, 'POST', '/proxies', { upstream: 'x:1' }), 400, 'missing required field: name');
    expectError(await rawJson(ctx.url, 'POST', '/proxies', {}), 400, 'missing required field: name');
    expectError(await rawJson(ctx.url, 'POST', '/proxies', { name: ctx.name('noup') }), 400, 'missing required field: upstream');
    expectError(await rawJson(ctx.url, 'POST', '/proxies', { name: 5, upstream: 'x:1' }), 400, /^bad request body/);
    const name = ctx.name('disabled');
    const r = await rawJson(ctx.url, 'POST', '/proxies', { name, upstream: '127.0.0.1:9', listen: '127.0.0.1:0', enabled: false, extra: 1 });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ name, listen: '127.0.0.1:0', enabled: false });
  });

  it('GET /proxies lists every proxy by name; GET /proxies/{p} decodes names with ->; 404 otherwise', async () => {
    const a = await ctx.client.createProxy({ name: ctx.name('list'), upstream: '127.0.0.1:9' });
    const all = await raw(ctx.url, 'GET', '/proxies');
    expect(all.status).toBe(200);
    expect((all.json as Record<string, unknown>)[a.name]).toMatchObject({ name: a.name, listen: a.listen, toxics: [] });
    const one = await raw(ctx.url, 'GET', `/proxies/${enc(a.name)}`);
    expect(one.status).toBe(200);
    expect(proxyFields(one.json)).toEqual({ ...a, toxics: [] });
    expect(await ctx.client.getProxy(a.name)).toEqual(a);
    expectError(await raw(ctx.url, 'GET', '/proxies/pc-nope'), 404, 'proxy not found');
  });

  it('POST and PATCH /proxies/{p} change only the fields given; DELETE answers 204 then 404', async () => {
    const a = await ctx.client.createProxy({ name: ctx.name('upd'), upstream: '127.0.0.1:9' });
    const off = await rawJson(ctx.url, 'PATCH', `/proxies/${enc(a.name)}`, { enabled: false });
    expect(off.status).toBe(200);
    expect(off.json).toMatchObject({ name: a.name, upstream: '127.0.0.1:9', enabled: false, listen: a.listen });
    const up = await rawJson(ctx.url, 'POST', `/proxies/${enc(a.name)}`, { upstream: '127.0.0.1:10' });
    expect(up.json).toMatchObject({ upstream: '127.0.0.1:10', enabled: false, listen: a.listen });
    expectError(await rawJson(ctx.url, 'PATCH', '/proxies/pc-nope', { enabled: true }), 404, 'proxy not found');
    expectError(await raw(ctx.url, 'PATCH', `/proxies/${enc(a.name)}`, 'nope'), 400, /^bad request body/);
    const del = await raw(ctx.url, 'DELETE', `/proxies/${enc(a.name)}`);
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
    expectError(await raw(ctx.url, 'DELETE', `/proxies/${enc(a.name)}`), 404, 'proxy not found');
  });

  it('POST /proxies/{p}/toxics applies the defaults (downstream, toxicity 1, <type>_<stream>, zero attributes)', async () => {
    const a = await ctx.client.createProxy({ name: ctx.name('tox'), upstream: '127.0.0.1:9' });
    const r = await rawJson(ctx.url, 'POST', `/proxies/${enc(a.name)}/toxics`, { type: 'latency' });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 0, jitter: 0 } });
    const s = await rawJson(ctx.url, 'POST', `/proxies/${enc(a.name)}/toxics`, { type: 'slicer', stream: 'upstream', attributes: { average_size: 10, size_variation: 2 } });
    expect(s.json).toEqual({
      name: 'slicer_upstream',
      type: 'slicer',
      stream: 'upstream',
      toxicity: 1,
      attributes: { average_size: 10, size_variation: 2, delay: 0 },
    });
  });

  it('toxic creation errors: 404, 400 bad JSON / stream / type / fractional integer, 409 across streams', async () => {
    const a = await ctx.client.createProxy({ name: ctx.name('toxerr'), upstream: '127.0.0.1:9' });
    const path = `/proxies/${enc(a.name)}/toxics`;
    expectError(await rawJson(ctx.url, 'POST', '/proxies/pc-nope/toxics', { type: 'latency' }), 404, 'proxy not found');
    expectError(await raw(ctx.url, 'POST', path, '{'), 400, /^bad request body/);
    expectError(await rawJson(ctx.url, 'POST', path, { type: 'latency', stream: 'sideways' }), 400, 'stream was invalid, can be either upstream or downstream');
    expectError(await rawJson(ctx.url, 'POST', path, { type: 'frobnicate' }), 400, 'invalid toxic type');
    expectError(await rawJson(ctx.url, 'POST', path, { type: 'latency', attributes: { latency: 1.5 } }), 400, /^bad request body/);
    expectError(await rawJson(ctx.url, 'POST', path, { type: 'latency', attributes: { latency: '100' } }), 400, /^bad request body/);
    await ctx.client.addToxic(a.name, { type: 'latency', name: 'same', stream: 'upstream' });
    expectError(await rawJson(ctx.url, 'POST', path, { type: 'timeout', name: 'same', stream: 'downstream' }), 409, 'toxic already exists');
  });

  it('GET /proxies/{p}/toxics lists upstream toxics first, each stream in insertion order; GET one; 404s', async () => {
    const a = await ctx.client.createProxy({ name: ctx.name('order'), upstream: '127.0.0.1:9' });
    await ctx.client.addToxic(a.name, { type: 'latency', name: 'd1' });
    await ctx.client.addToxic(a.name, { type: 'latency', name: 'u1', stream: 'upstream' });
    await ctx.client.addToxic(a.name, { type: 'noop', name: 'd2' });
    await ctx.client.addToxic(a.name, { type: 'bandwidth', name: 'u2', stream: 'upstream', attributes: { rate: 100 } });
    const list = await raw(ctx.url, 'GET', `/proxies/${enc(a.name)}/toxics`);
    expect(list.status).toBe(200);
    expect((list.json as Array<{ name: string }>).map((t) => t.name)).toEqual(['u1', 'u2', 'd1', 'd2']);
    expect((await ctx.client.listToxics(a.name)).map((t) => t.name)).toEqual(['u1', 'u2', 'd1', 'd2']);
    expect(((await raw(ctx.url, 'GET', `/proxies/${enc(a.name)}`)).json as { toxics: unknown[] }).toxics).toHaveLength(4);
    const one = await raw(ctx.url, 'GET', `/proxies/${enc(a.name)}/toxics/u2`);
    expect(one.json).toEqual({ name: 'u2', type: 'bandwidth', stream: 'upstream', toxicity: 1, attributes: { rate: 100 } });
    expectError(await raw(ctx.url, 'GET', `/proxies/${enc(a.name)}/toxics/zz`), 404, 'toxic not found');
    expectError(await raw(ctx.url, 'GET', '/proxies/pc-nope/toxics/u2'), 404, 'proxy not found');
    expectError(await raw(ctx.url, 'GET', '/proxies/pc-nope/toxics'), 404, 'proxy not found');
  });

  it('POST/PATCH /proxies/{p}/toxics/{t} merges attributes and toxicity; DELETE 204 then 404', async () => {
    const a = await ctx.client.createProxy({ name: ctx.name('tupd'), upstream: '127.0.0.1:9' });
    await ctx.client.addToxic(a.name, { type: 'latency', name: 'lat', attributes: { latency: 100, jitter: 5 } });
    const path = `/proxies/${enc(a.name)}/toxics/lat`;
    const r = await rawJson(ctx.url, 'PATCH', path, { attributes: { jitter: 9 } });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ name: 'lat', toxicity: 1, attributes: { latency: 100, jitter: 9 } });
    const t = await ctx.client.updateToxic(a.name, 'lat', { toxicity: 0.5 });
    expect(t).toMatchObject({ toxicity: 0.5, attributes: { latency: 100, jitter: 9 } });
    expectError(await rawJson(ctx.url, 'POST', `/proxies/${enc(a.name)}/toxics/zz`, { toxicity: 1 }), 404, 'toxic not found');
    expectError(await rawJson(ctx.url, 'POST', path, { attributes: { latency: 0.25 } }), 400, /^bad request body/);
    expect((await raw(ctx.url, 'DELETE', path)).status).toBe(204);
    expectError(await raw(ctx.url, 'DELETE', path), 404, 'toxic not found');
  });

  it('refuses browsers: a User-Agent starting with Mozilla/ gets 403', async () => {
    const r = await raw(ctx.url, 'GET', '/proxies', undefined, { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64)' });
    expect(r.status).toBe(403);
  });

  it('POST /reset removes every toxic and enables every proxy (204)', async () => {
    const a = await ctx.client.createProxy({ name: ctx.name('reset'), upstream: '127.0.0.1:9' });
    await ctx.client.addToxic(a.name, { type: 'latency', attributes: { latency: 10 } });
    await ctx.client.setEnabled(a.name, false);
    const r = await raw(ctx.url, 'POST', '/reset');
    expect(r.status).toBe(204);
    expect(await ctx.client.getProxy(a.name)).toMatchObject({ enabled: true, listen: a.listen });
    expect(await ctx.client.listToxics(a.name)).toEqual([]);
  });

  it('a PATCH to an address that cannot resolve answers 500 and leaves the proxy as it was: address, enabled, forwarding; reset works', async () => {
    const echo = await ctx.sockets.echo();
    const p = await ctx.proxyTo(echo.port, 'badpatch');
    const before = proxyFields((await raw(ctx.url, 'GET', `/proxies/${enc(p.name)}`)).json);
    const live = await ctx.sockets.connect(p.port);
    await roundTrip(live, 'before');
    const r = await rawJson(ctx.url, 'PATCH', `/proxies/${enc(p.name)}`, { listen: '256.1.1.1:1' });
    expect(r.status).toBe(500);
    expect(typeof (r.json as { error: unknown }).error).toBe('string');
    expect(proxyFields((await raw(ctx.url, 'GET', `/proxies/${enc(p.name)}`)).json)).toEqual(before);
    await roundTrip(live, 'after, same connection');
    await roundTrip(await ctx.sockets.connect(p.port), 'after, new connection');
    expect((await raw(ctx.url, 'POST', '/reset')).status).toBe(204);
    expect((await raw(ctx.url, 'POST', '/reset')).status).toBe(204);
    expect(portOf(before.listen as string)).toBe(p.port);
  });

  it('POST /populate creates in input order (201), validates every entry first, and [] is harmless', async () => {
    const [n1, n2] = [ctx.name('pop'), ctx.name('pop')];
    const r = await rawJson(ctx.url, 'POST', '/populate', [
      { name: n1, upstream: '127.0.0.1:9', listen: '127.0.0.1:0' },
      { name: n2, upstream: '127.0.0.1:10', listen: '127.0.0.1:0', enabled: false },
    ]);
    expect(r.status).toBe(201);
    const proxies = (r.json as { proxies: Array<{ name: string; enabled: boolean }> }).proxies;
    expect(proxies.map((p) => [p.name, p.enabled])).toEqual([
      [n1, true],
      [n2, false],
    ]);
    const n3 = ctx.name('pop');
    const bad = await rawJson(ctx.url, 'POST', '/populate', [{ name: n3, upstream: '127.0.0.1:9', listen: '127.0.0.1:0' }, { upstream: '127.0.0.1:9' }]);
    expectError(bad, 400, 'missing required field: name at proxy 2');
    expectError(await rawJson(ctx.url, 'POST', '/populate', [{ name: n3, listen: '127.0.0.1:0' }]), 400, 'missing required field: upstream at proxy 1');
    expect((await raw(ctx.url, 'GET', `/proxies/${enc(n3)}`)).status).toBe(404);
    expectError(await raw(ctx.url, 'POST', '/populate', '{"name":'), 400, /^bad request body/);
    expect(await ctx.client.populate([])).toEqual([]);
    const names = [ctx.name('popc'), ctx.name('popc'), ctx.name('popc')].reverse();
    const viaClient = await ctx.client.populate(names.map((name) => ({ name, upstream: '127.0.0.1:9' })));
    expect(viaClient.map((p) => p.name)).toEqual(names);
  });

  it("client errors name the call, the proxy, the toxic, the status and the server's message", async () => {
    const a = await ctx.client.createProxy({ name: ctx.name('errs'), upstream: '127.0.0.1:9' });
    await ctx.client.addToxic(a.name, { type: 'latency', name: 'dup' });
    const err = await ctx.client.addToxic(a.name, { type: 'latency', name: 'dup' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToxiproxyCallError);
    const e = err as ToxiproxyCallError;
    expect([e.call, e.status, e.detail, e.target.proxy, e.target.toxic]).toEqual(['addToxic', 409, 'toxic already exists', a.name, 'dup']);
    expect(e.message).toContain(a.name);
    expect(e.message).toContain('toxic already exists');
    await expect(ctx.client.getProxy('pc-missing')).rejects.toThrow(/getProxy \(proxy "pc-missing"\): HTTP 404 proxy not found/);
    await expect(ctx.client.updateToxic(a.name, 'zz', { toxicity: 1 })).rejects.toThrow(/HTTP 404 toxic not found/);
    await expect(ctx.client.createProxy({ name: a.name, upstream: 'x:1' })).rejects.toThrow(/HTTP 409 proxy already exists/);
  });
}

/** Send `text` through an echo proxy and wait for it to come back. */
async function roundTrip(c: Reader, text: string): Promise<void> {
  const before = c.bytes;
  c.socket.write(text);
  await c.untilBytes(before + text.length);
  expect(c.data.subarray(before).toString()).toBe(text);
}
