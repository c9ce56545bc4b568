/**
 * Checks only the embedded server runs: where upstream Toxiproxy crashes or hangs (so a real
 * one must not be sent these), where parley differs on purpose (docs/toxiproxy.md), and a
 * small fuzz of the API.
 */
import { expect, it } from 'vitest';
import { Random } from '../../nodes/common/random.js';
import { raw, rawJson } from './net-helpers.js';
import type { SuiteContext } from './targets.js';

const enc = encodeURIComponent;

export function embeddedCases(ctx: SuiteContext): void {
  it('answers 400 where upstream crashes or hangs: bandwidth rate <= 0, slicer average 0 or variation > average', async () => {
    const p = await ctx.client.createProxy({ name: ctx.name('crash'), upstream: '127.0.0.1:9' });
    const path = `/proxies/${enc(p.name)}/toxics`;
    const bad = [
      { type: 'bandwidth', attributes: { rate: 0 } },
      { type: 'bandwidth' },
      { type: 'bandwidth', attributes: { rate: -5 } },
      { type: 'slicer', attributes: { average_size: 0 } },
      { type: 'slicer', attributes: { average_size: 10, size_variation: 11 } },
      { type: 'slicer', attributes: { average_size: 10, size_variation: -1 } },
    ];
    for (const body of bad) {
      const r = await rawJson(ctx.url, 'POST', path, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect((r.json as { error: string }).error).toMatch(/^bad request body: (bandwidth|slicer)/);
    }
    await ctx.client.addToxic(p.name, { type: 'bandwidth', name: 'bw', attributes: { rate: 10 } });
    expect((await rawJson(ctx.url, 'PATCH', `${path}/bw`, { attributes: { rate: 0 } })).status).toBe(400);
    expect((await ctx.client.listToxics(p.name))[0]!.attributes).toEqual({ rate: 10 });
  });

  it('decodes like Go: keys match case-insensitively, null keeps the default, unknown keys are ignored', async () => {
    const name = ctx.name('go');
    const r = await rawJson(ctx.url, 'POST', '/proxies', { Name: name, UPSTREAM: '127.0.0.1:9', listen: '127.0.0.1:0', enabled: null, color: 'red' });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ name, upstream: '127.0.0.1:9', enabled: true });
  });

  it('binds `localhost` and an empty listen on 127.0.0.1, and reports it so', async () => {
    for (const listen of ['localhost:0', '']) {
      const r = await rawJson(ctx.url, 'POST', '/proxies', { name: ctx.name('lo'), upstream: '127.0.0.1:9', listen });
      expect((r.json as { listen: string }).listen).toMatch(/^127\.0\.0\.1:[1-9]\d*$/);
    }
  });

  it('a bind failure is a 500 with the address, and creates nothing', async () => {
    const a = await ctx.client.createProxy({ name: ctx.name('bind'), upstream: '127.0.0.1:9' });
    const name = ctx.name('bind');
    const r = await rawJson(ctx.url, 'POST', '/proxies', { name, upstream: '127.0.0.1:9', listen: a.listen });
    expect(r.status).toBe(500);
    expect((r.json as { error: string }).error).toBe(`listen tcp ${a.listen}: bind: address already in use`);
    expect((await raw(ctx.url, 'GET', `/proxies/${enc(name)}`)).status).toBe(404);
  });

  it('survives a fuzz of random requests with 4xx answers, and keeps serving', async () => {
    const rng = new Random(7);
    const p = await ctx.client.createProxy({ name: ctx.name('fuzz'), upstream: '127.0.0.1:9' });
    const paths = ['/', '/proxies', '/proxies/', `/proxies/${enc(p.name)}`, `/proxies/${enc(p.name)}/toxics`, `/proxies/${enc(p.name)}/toxics/x`, '/populate', '/reset', '/version', '/proxies/%E0%A4%A', '/proxies/a/b/c/d/e', '//proxies'];
    const bodies = ['', '{', 'null', '[]', '[null]', '{"name":null}', '{"type":"latency","attributes":[]}', '{"type":"latency","toxicity":"x"}', '{"attributes":{"latency":1e400}}', '{"enabled":"yes"}', '{"type":"slicer","attributes":{"average_size":1e300}}', '"str"', '{"listen":"::::"}', '[{"name":"pc-f","upstream":"x","listen":"nope"}]', '\u0000\u00ff'];
    const methods = ['GET', 'POST', 'PATCH', 'DELETE', 'PUT'];
    for (let i = 0; i < 150; i++) {
      const [method, path] = [rng.pick(methods), rng.pick(paths)];
      // Deleting the fuzz proxy, or resetting, would be fine too; keep the run about bad input.
      if (method === 'DELETE' && path === `/proxies/${enc(p.name)}`) continue;
      const body = method === 'GET' || method === 'DELETE' ? undefined : rng.pick(bodies);
      const r = await raw(ctx.url, method, path, body, { 'content-type': 'application/json' });
      expect(r.status, `${method} ${path} ${body}`).toBeGreaterThanOrEqual(200);
      expect(r.status, `${method} ${path} ${body}: ${r.text}`).toBeLessThan(500);
      if (r.status >= 400) expect(typeof (r.json as { error: unknown }).error).toBe('string');
    }
    expect((await raw(ctx.url, 'GET', '/version')).status).toBe(200);
  });
}
