/**
 * Checks only the embedded server runs: where upstream Toxiproxy crashes or hangs (so a real
 * one must not be sent these), where parley differs on purpose (docs/toxiproxy.md), and a
 * small fuzz of the API.
 */
import { expect, it } from 'vitest';
import { Random } from '../../nodes/common/random.js';
import { ToxiproxyClient } from '../../harness/toxiproxy/client.js';
import { ToxiproxyServer } from '../../harness/toxiproxy/server.js';
import { slicePieces } from '../../harness/toxiproxy/stages.js';
import { observe, portOf, raw, rawJson, waitFor, type Reader } from './net-helpers.js';
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

  it('a change that fails to bind leaves the proxy as it was, connections included; upstream leaves it disabled', async () => {
    const echo = await ctx.sockets.echo();
    const other = await ctx.client.createProxy({ name: ctx.name('taken'), upstream: '127.0.0.1:9' });
    const p = await ctx.proxyTo(echo.port, 'rebind');
    const path = `/proxies/${enc(p.name)}`;
    const before = (await raw(ctx.url, 'GET', path)).json;
    const live = await ctx.sockets.connect(p.port);
    await echoed(live, 'one');
    for (const body of [{ listen: other.listen }, { listen: other.listen, upstream: '127.0.0.1:10' }, { listen: other.listen, enabled: true }]) {
      const r = await rawJson(ctx.url, 'PATCH', path, body);
      expect(r.status, JSON.stringify(body)).toBe(500);
      expect((r.json as { error: string }).error).toBe(`listen tcp ${other.listen}: bind: address already in use`);
      expect((await raw(ctx.url, 'GET', path)).json, JSON.stringify(body)).toEqual(before);
    }
    await echoed(live, 'two');
    expect((await raw(ctx.url, 'POST', '/reset')).status).toBe(204);
    // And a change that works moves it: the old port is closed, the new one forwards.
    const moved = await rawJson(ctx.url, 'PATCH', path, { listen: '127.0.0.1:0' });
    expect(moved.status).toBe(200);
    const port = portOf((moved.json as { listen: string }).listen);
    expect(port).not.toBe(p.port);
    await live.untilClosed();
    await expect(ctx.sockets.connect(p.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await echoed(await ctx.sockets.connect(port), 'three');
  });

  it('reset that cannot start one proxy still resets every other, then answers the bind error', async () => {
    const holder = await ctx.client.createProxy({ name: ctx.name('holder'), upstream: '127.0.0.1:9' });
    const stuck = ctx.name('stuck');
    expect((await rawJson(ctx.url, 'POST', '/proxies', { name: stuck, upstream: '127.0.0.1:9', listen: holder.listen, enabled: false })).status).toBe(201);
    const other = await ctx.client.createProxy({ name: ctx.name('other'), upstream: '127.0.0.1:9' });
    await ctx.client.addToxic(other.name, { type: 'latency', attributes: { latency: 10 } });
    await ctx.client.setEnabled(other.name, false);
    const r = await raw(ctx.url, 'POST', '/reset');
    expect(r.status).toBe(500);
    expect((r.json as { error: string }).error).toBe(`listen tcp ${holder.listen}: bind: address already in use`);
    expect(await ctx.client.getProxy(other.name)).toMatchObject({ enabled: true });
    expect(await ctx.client.listToxics(other.name)).toEqual([]);
    await ctx.client.removeProxy(stuck);
    expect((await raw(ctx.url, 'POST', '/reset')).status).toBe(204);
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

  it('stop() closes the API listener, every proxy listener and every connection', async () => {
    const server = new ToxiproxyServer();
    const { url, port } = await server.start({ host: '127.0.0.1', port: 0 });
    const client = new ToxiproxyClient(url);
    const echo = await ctx.sockets.echo();
    const p = await client.createProxy({ name: 'stop->n2', upstream: `127.0.0.1:${echo.port}` });
    const proxyPort = Number(p.listen.split(':')[1]);
    await client.addToxic(p.name, { type: 'latency', attributes: { latency: 10_000 } });
    const c = await ctx.sockets.connect(proxyPort);
    c.socket.write('held in a latency toxic when the server stops');
    await server.stop();
    await c.untilClosed(3000);
    await expect(ctx.sockets.connect(proxyPort)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(ctx.sockets.connect(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('draws toxicity from the seeded PRNG: the same seed gives the same connections the toxic', async () => {
    const echo = await ctx.sockets.echo();
    const pattern = async (seed: number): Promise<boolean[]> => {
      const server = new ToxiproxyServer({ seed });
      const { url } = await server.start({ host: '127.0.0.1', port: 0 });
      try {
        const client = new ToxiproxyClient(url);
        const p = await client.createProxy({ name: 'seed->n2', upstream: `127.0.0.1:${echo.port}` });
        // limit_data shows whether it applied without a clock: a toxic connection echoes 1 byte of 2 and closes.
        await client.addToxic(p.name, { type: 'limit_data', toxicity: 0.5, attributes: { bytes: 1 } });
        const hits: boolean[] = [];
        for (let i = 0; i < 10; i++) {
          const c = await ctx.sockets.connect(Number(p.listen.split(':')[1]));
          c.socket.write('xy');
          await waitFor(() => c.bytes >= 2 || c.closedAt !== null, 5000, 'the echo or the close');
          hits.push(c.bytes < 2);
          c.socket.destroy();
        }
        return hits;
      } finally {
        await server.stop();
      }
    };
    const first = await pattern(99);
    expect(await pattern(99)).toEqual(first);
    expect(new Set(first).size, `10 draws at toxicity 0.5 all came out ${first[0]}`).toBe(2);
  });

  it('slicer pieces stay within average ± variation and add up to the chunk', () => {
    const rng = new Random(3);
    for (const [total, avg, variation] of [[65536, 100, 30], [1000, 10, 10], [5000, 7, 0], [50, 100, 10], [1, 1, 1]] as const) {
      const sizes = slicePieces(total, avg, variation, rng);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(total);
      for (const n of sizes) {
        expect(n).toBeGreaterThan(0);
        expect(n).toBeLessThanOrEqual(Math.max(avg + variation, total < avg ? total : 0));
      }
      if (total > 2 * (avg + variation)) expect(sizes.length).toBeGreaterThan(total / (avg + variation) / 2);
    }
  });

  it('an upstream it cannot dial (bad address, port 0, unknown host) closes the client and nothing else', async () => {
    for (const upstream of ['127.0.0.1:0', 'not-an-address', 'no-such-host.invalid:80']) {
      const p = await ctx.client.createProxy({ name: ctx.name('nodial'), upstream });
      const c = await ctx.sockets.connect(Number(p.listen.split(':')[1]));
      await c.untilClosed(5000);
      expect(c.bytes, upstream).toBe(0);
    }
    expect((await raw(ctx.url, 'GET', '/version')).status).toBe(200);
  });

  it('takes huge delays without spinning or firing early', async () => {
    const echo = await ctx.sockets.echo();
    const p = await ctx.proxyTo(echo.port);
    await ctx.client.addToxic(p.name, { type: 'latency', attributes: { latency: 4e12, jitter: 1e12 } });
    await ctx.client.addToxic(p.name, { type: 'slow_close', attributes: { delay: 9e15 } });
    const c = await ctx.sockets.connect(p.port);
    c.socket.write('x');
    await observe(200);
    expect(c.bytes).toBe(0);
    await ctx.client.removeToxic(p.name, 'latency_downstream');
    await c.untilBytes(1);
  });

  it('populate keeps an identical proxy, replaces a changed one, and a bind failure reports what it created', async () => {
    const kept = await ctx.client.createProxy({ name: ctx.name('keep'), upstream: '127.0.0.1:9' });
    await ctx.client.addToxic(kept.name, { type: 'noop', name: 'still-here' });
    const changed = await ctx.client.createProxy({ name: ctx.name('chg'), upstream: '127.0.0.1:9' });
    const fresh = ctx.name('new');
    const r = await rawJson(ctx.url, 'POST', '/populate', [
      { name: kept.name, upstream: kept.upstream, listen: kept.listen },
      { name: changed.name, upstream: '127.0.0.1:10', listen: '127.0.0.1:0' },
      { name: fresh, upstream: '127.0.0.1:9', listen: kept.listen },
    ]);
    expect(r.status).toBe(500);
    const body = r.json as { error: string; status: number; proxies: Array<{ name: string; upstream: string }> };
    expect(body.error).toBe(`listen tcp ${kept.listen}: bind: address already in use`);
    expect(body.status).toBe(500);
    expect(body.proxies.map((p) => [p.name, p.upstream])).toEqual([
      [kept.name, kept.upstream],
      [changed.name, '127.0.0.1:10'],
    ]);
    expect((await ctx.client.listToxics(kept.name)).map((t) => t.name)).toEqual(['still-here']);
    expect((await raw(ctx.url, 'GET', `/proxies/${enc(fresh)}`)).status).toBe(404);
  });

  it('populate whose replacement fails to bind leaves the proxy it was to replace, serving', async () => {
    const echo = await ctx.sockets.echo();
    const taken = await ctx.client.createProxy({ name: ctx.name('taken'), upstream: '127.0.0.1:9' });
    const p = await ctx.proxyTo(echo.port, 'replace');
    await ctx.client.addToxic(p.name, { type: 'noop', name: 'kept' });
    const before = (await raw(ctx.url, 'GET', `/proxies/${enc(p.name)}`)).json;
    const r = await rawJson(ctx.url, 'POST', '/populate', [{ name: p.name, upstream: '127.0.0.1:10', listen: taken.listen }]);
    expect(r.status).toBe(500);
    expect((r.json as { proxies: unknown[] }).proxies).toEqual([]);
    expect((await raw(ctx.url, 'GET', `/proxies/${enc(p.name)}`)).json).toEqual(before);
    await echoed(await ctx.sockets.connect(p.port), 'still here');
  });
}

async function echoed(c: Reader, text: string): Promise<void> {
  const before = c.bytes;
  c.socket.write(text);
  await c.untilBytes(before + text.length);
  expect(c.data.subarray(before).toString()).toBe(text);
}
