/**
 * Data-path conformance (docs/toxiproxy.md, the data path and the toxics): bytes through raw
 * sockets, timed in this process against upstream servers in this process. A toxic's
 * delay is asserted from below only (a loaded machine makes things later, never earlier),
 * and "not delayed" as faster than the delayed path measured beside it, never as a bound
 * in milliseconds: the tests must pass on a starved machine too.
 */
import { randomBytes } from 'node:crypto';
import type net from 'node:net';
import { expect, it } from 'vitest';
import { now, observe, rawJson, type Reader } from './net-helpers.js';
import type { SuiteContext } from './targets.js';

/** Round trip of one small message through an echo path. */
async function rtt(c: Reader, payload = 'ping'): Promise<number> {
  const before = c.bytes;
  const t0 = now();
  c.socket.write(payload);
  await c.untilBytes(before + payload.length);
  return c.arrivalOf(before + payload.length) - t0;
}

/** An upstream server that sends `data` to each client as soon as it connects. */
const sender = (ctx: SuiteContext, data: Buffer, then?: (s: net.Socket) => void) =>
  ctx.sockets.server((s) => {
    s.write(data);
    then?.(s);
  });

export function dataCases(ctx: SuiteContext): void {
  it('forwards 1 MB of random bytes both ways exactly, with and without toxics in the chain', async () => {
    const echo = await ctx.sockets.echo();
    const p = await ctx.proxyTo(echo.port);
    const payload = randomBytes(1 << 20);
    const fast = await ctx.sockets.connect(p.port);
    fast.socket.write(payload);
    await fast.untilBytes(payload.length, 15_000);
    expect(fast.data.equals(payload)).toBe(true);
    await ctx.client.addToxic(p.name, { type: 'noop', stream: 'upstream' });
    await ctx.client.addToxic(p.name, { type: 'latency', stream: 'downstream', attributes: { latency: 1 } });
    const chained = await ctx.sockets.connect(p.port);
    chained.socket.write(payload);
    await chained.untilBytes(payload.length, 15_000);
    expect(chained.data.equals(payload)).toBe(true);
  });

  it('latency acts on its own stream only: upstream delays client->server, downstream server->client', async () => {
    for (const stream of ['upstream', 'downstream'] as const) {
      const arrivals: number[] = [];
      const srv = await ctx.sockets.server((s) =>
        s.on('data', (d) => {
          arrivals.push(now());
          s.write(d);
        }),
      );
      const p = await ctx.proxyTo(srv.port);
      await ctx.client.addToxic(p.name, { type: 'latency', stream, attributes: { latency: 200 } });
      const c = await ctx.sockets.connect(p.port);
      const t0 = now();
      c.socket.write('x');
      await c.untilBytes(1);
      const [toServer, toClient] = [arrivals[0]! - t0, c.arrivalOf(1) - arrivals[0]!];
      const [delayed, direct] = stream === 'upstream' ? [toServer, toClient] : [toClient, toServer];
      expect(delayed, `${stream} leg`).toBeGreaterThanOrEqual(195);
      expect(direct, `the other leg of ${stream}`).toBeLessThan(delayed);
    }
  });

  it('jitter keeps every delay within latency ± jitter and varies it; two latency toxics add up', async () => {
    const echo = await ctx.sockets.echo();
    const p = await ctx.proxyTo(echo.port);
    await ctx.client.addToxic(p.name, { type: 'latency', attributes: { latency: 100, jitter: 50 } });
    const c = await ctx.sockets.connect(p.port);
    const samples: number[] = [];
    for (let i = 0; i < 8; i++) samples.push(await rtt(c));
    for (const s of samples) expect(s).toBeGreaterThanOrEqual(45);
    expect(Math.max(...samples) - Math.min(...samples)).toBeGreaterThan(5);
    await ctx.client.updateToxic(p.name, 'latency_downstream', { attributes: { latency: 60, jitter: 0 } });
    await ctx.client.addToxic(p.name, { type: 'latency', name: 'second', attributes: { latency: 60 } });
    const both = await rtt(await ctx.sockets.connect(p.port));
    expect(both).toBeGreaterThanOrEqual(115);
  });

  it('bandwidth paces a connection at roughly `rate` KB/s', async () => {
    const data = randomBytes(25_000);
    let sentAt = 0;
    const srv = await sender(ctx, data, () => (sentAt = now()));
    const p = await ctx.proxyTo(srv.port);
    await ctx.client.addToxic(p.name, { type: 'bandwidth', attributes: { rate: 50 } });
    const c = await ctx.sockets.connect(p.port);
    await c.untilBytes(data.length, 10_000);
    const elapsed = c.arrivalOf(data.length) - sentAt;
    // 25 000 B at 50 000 B/s is 500 ms.
    expect(elapsed).toBeGreaterThanOrEqual(400);
    expect(c.data.equals(data)).toBe(true);
  });

  it('timeout 0 is a black hole: drops data and never closes; removing it closes the connection', async () => {
    const received: Buffer[] = [];
    const srv = await ctx.sockets.server((s) => s.on('data', (d) => received.push(d)));
    const p = await ctx.proxyTo(srv.port);
    await ctx.client.addToxic(p.name, { type: 'timeout', stream: 'upstream', attributes: { timeout: 0 } });
    const c = await ctx.sockets.connect(p.port);
    c.socket.write('into the void');
    await observe(400);
    expect(received).toEqual([]);
    expect(c.closedAt).toBeNull();
    expect(c.endedAt).toBeNull();
    await ctx.client.removeToxic(p.name, 'timeout_upstream');
    await c.untilClosed(3000);
  });

  it('timeout > 0 drops data and closes after that long without incoming data', async () => {
    const srv = await sender(ctx, Buffer.from('never seen'));
    const p = await ctx.proxyTo(srv.port);
    await ctx.client.addToxic(p.name, { type: 'timeout', attributes: { timeout: 200 } });
    const t0 = now();
    const c = await ctx.sockets.connect(p.port);
    await c.untilClosed(5000);
    expect(c.closedAt! - t0).toBeGreaterThanOrEqual(150);
    expect(c.bytes).toBe(0);
  });

  it('reset_peer resets the connection after the first chunk plus timeout: the client sees ECONNRESET', async () => {
    const echo = await ctx.sockets.echo();
    const p = await ctx.proxyTo(echo.port);
    await ctx.client.addToxic(p.name, { type: 'reset_peer', attributes: { timeout: 100 } });
    const c = await ctx.sockets.connect(p.port);
    const t0 = now();
    c.socket.write('hello');
    await c.untilClosed(5000);
    expect(c.error?.code).toBe('ECONNRESET');
    expect(c.closedAt! - t0).toBeGreaterThanOrEqual(90);
    expect(c.bytes).toBe(0);
  });

  it('limit_data passes exactly N bytes, then closes', async () => {
    const data = randomBytes(5000);
    const srv = await sender(ctx, data);
    const p = await ctx.proxyTo(srv.port);
    await ctx.client.addToxic(p.name, { type: 'limit_data', attributes: { bytes: 1000 } });
    const c = await ctx.sockets.connect(p.port);
    await c.untilClosed(5000);
    expect(c.bytes).toBe(1000);
    expect(c.data.equals(data.subarray(0, 1000))).toBe(true);
  });

  it('slicer cuts one write into several pieces carrying the same bytes', async () => {
    const data = randomBytes(2000);
    const srv = await sender(ctx, data);
    const p = await ctx.proxyTo(srv.port);
    await ctx.client.addToxic(p.name, { type: 'slicer', attributes: { average_size: 100, size_variation: 20, delay: 3000 } });
    const c = await ctx.sockets.connect(p.port);
    await c.untilBytes(data.length);
    expect(c.data.equals(data)).toBe(true);
    expect(c.chunks.length).toBeGreaterThanOrEqual(5);
  });

  it('slow_close passes data at once and holds the close back by `delay`', async () => {
    const srv = await sender(ctx, Buffer.from('bye'), (s) => s.end());
    const p = await ctx.proxyTo(srv.port);
    await ctx.client.addToxic(p.name, { type: 'slow_close', attributes: { delay: 400 } });
    const c = await ctx.sockets.connect(p.port);
    await c.untilClosed(5000);
    expect(c.data.toString()).toBe('bye');
    expect((c.endedAt ?? c.closedAt!) - c.arrivalOf(3)).toBeGreaterThanOrEqual(350);
  });

  it('toxicity 0 never applies, 1 always does, redrawn for a live connection when the toxic changes', async () => {
    const echo = await ctx.sockets.echo();
    const p = await ctx.proxyTo(echo.port);
    await ctx.client.addToxic(p.name, { type: 'latency', toxicity: 0, attributes: { latency: 300 } });
    const a = await ctx.sockets.connect(p.port);
    const never = await rtt(a);
    await ctx.client.updateToxic(p.name, 'latency_downstream', { toxicity: 1 });
    const always = await rtt(a);
    expect(always).toBeGreaterThanOrEqual(280);
    expect(never).toBeLessThan(always);
    expect(await rtt(await ctx.sockets.connect(p.port))).toBeGreaterThanOrEqual(280);
  });

  it('adding, updating and removing toxics on an open connection loses no byte and keeps order', async () => {
    const echo = await ctx.sockets.echo();
    const p = await ctx.proxyTo(echo.port);
    const c = await ctx.sockets.connect(p.port);
    const payload = randomBytes(96 * 4096);
    const steps: Array<() => Promise<unknown>> = [
      () => ctx.client.addToxic(p.name, { type: 'latency', name: 'lat', stream: 'upstream', attributes: { latency: 30, jitter: 10 } }),
      () => ctx.client.addToxic(p.name, { type: 'slicer', name: 'sl', attributes: { average_size: 500, size_variation: 100, delay: 100 } }),
      () => ctx.client.updateToxic(p.name, 'lat', { attributes: { latency: 5 } }),
      () => ctx.client.addToxic(p.name, { type: 'bandwidth', name: 'bw', attributes: { rate: 20_000 } }),
      () => ctx.client.addToxic(p.name, { type: 'latency', name: 'lat2', attributes: { latency: 200 } }),
      () => ctx.client.removeToxic(p.name, 'sl'),
      () => ctx.client.removeToxic(p.name, 'lat2'),
      () => ctx.client.updateToxic(p.name, 'bw', { toxicity: 0 }),
      () => ctx.client.removeToxic(p.name, 'lat'),
      () => ctx.client.removeToxic(p.name, 'bw'),
    ];
    for (let i = 0; i < 96; i++) {
      c.socket.write(payload.subarray(i * 4096, (i + 1) * 4096));
      if (i % 8 === 4) await steps[(i - 4) / 8]?.();
      else await new Promise((r) => setImmediate(r));
    }
    await c.untilBytes(payload.length, 15_000);
    expect(c.data.equals(payload)).toBe(true);
    expect(await ctx.client.listToxics(p.name)).toEqual([]);
  });

  it('disabling closes the listener and every connection; toxics survive; enabling reopens', async () => {
    const echo = await ctx.sockets.echo();
    const p = await ctx.proxyTo(echo.port);
    await ctx.client.addToxic(p.name, { type: 'noop', name: 'keep' });
    const c = await ctx.sockets.connect(p.port);
    await rtt(c);
    await ctx.client.setEnabled(p.name, false);
    await c.untilClosed(3000);
    await expect(ctx.sockets.connect(p.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const back = await ctx.client.setEnabled(p.name, true);
    expect(back.listen).toBe(`127.0.0.1:${p.port}`);
    expect((await ctx.client.listToxics(p.name)).map((t) => t.name)).toEqual(['keep']);
    await rtt(await ctx.sockets.connect(p.port));
  });

  it('changing the upstream restarts the proxy: old connections drop, new ones reach the new upstream', async () => {
    const first = await ctx.sockets.echo();
    const second = await ctx.sockets.server((s) => s.on('data', () => s.write('second')));
    const p = await ctx.proxyTo(first.port);
    const old = await ctx.sockets.connect(p.port);
    await rtt(old);
    const r = await rawJson(ctx.url, 'PATCH', `/proxies/${encodeURIComponent(p.name)}`, { upstream: `127.0.0.1:${second.port}` });
    expect(r.status).toBe(200);
    await old.untilClosed(3000);
    const fresh = await ctx.sockets.connect(p.port);
    fresh.socket.write('x');
    await fresh.untilBytes(6);
    expect(fresh.data.toString()).toBe('second');
  });

  it('an unreachable upstream closes the client (it sees a close, not a refusal)', async () => {
    const p = await ctx.proxyTo(await ctx.sockets.closedPort());
    const c = await ctx.sockets.connect(p.port);
    await c.untilClosed(3000);
    expect(c.bytes).toBe(0);
  });

  it('either side ending closes the whole connection', async () => {
    const echo = await ctx.sockets.echo();
    const p = await ctx.proxyTo(echo.port);
    const c = await ctx.sockets.connect(p.port);
    await rtt(c);
    c.socket.end();
    await c.untilClosed(3000);
    expect(c.endedAt).not.toBeNull();
    await waitForServerSide(echo.accepted);
  });
}

async function waitForServerSide(accepted: net.Socket[]): Promise<void> {
  const deadline = now() + 3000;
  while (!accepted.every((s) => s.readableEnded || s.destroyed)) {
    if (now() > deadline) throw new Error('the upstream side was not closed');
    await new Promise((r) => setTimeout(r, 5));
  }
}
