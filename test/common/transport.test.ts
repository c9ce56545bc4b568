import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PeerTransport } from '../../nodes/common/transport.js';
import { Random } from '../../nodes/common/random.js';
import { allocatePorts } from '../../harness/ports.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function waitFor(pred: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function transport(id: string, port: number, peers: [string, number][], onMessage: (from: string, m: unknown) => void = () => {}) {
  const t = new PeerTransport({
    id,
    listen: { host: '127.0.0.1', port },
    peers: new Map(peers.map(([p, port]) => [p, { host: '127.0.0.1', port }])),
    heartbeatMs: 20,
    deadAfterMs: 200,
    maxBufferedBytes: 64 * 1024,
    random: new Random(1),
    onMessage,
    log: () => {},
  });
  closers.push(() => t.close());
  return t;
}

describe('peer transport', () => {
  it('delivers messages in order over one outbound connection per peer, and reconnects after the peer restarts', async () => {
    const [pa, pb] = await allocatePorts(2);
    const got: unknown[] = [];
    const a = transport('a', pa!, [['b', pb!]]);
    let b = transport('b', pb!, [['a', pa!]], (from, m) => got.push([from, m]));
    await Promise.all([a.start(), b.start()]);
    await waitFor(() => a.isConnected('b'));
    for (let i = 0; i < 100; i++) expect(a.send('b', i)).toBe(true);
    await waitFor(() => got.length === 100);
    expect(got).toEqual(Array.from({ length: 100 }, (_, i) => ['a', i]));

    await b.close();
    await waitFor(() => !a.isConnected('b'));
    expect(a.send('b', 'lost')).toBe(false); // dropped, not queued
    b = transport('b', pb!, [['a', pa!]], (from, m) => got.push([from, m]));
    await b.start();
    await waitFor(() => a.isConnected('b'));
    a.send('b', 'again');
    await waitFor(() => got.at(-1)?.toString() === ['a', 'again'].toString());
    expect(a.counters().b!.dropped).toBeGreaterThanOrEqual(1);
    expect(a.counters().b!.connects).toBe(2);
  });

  it('detects a black-holed link (accepts, never answers) and redials it', async () => {
    const [pa, hole] = await allocatePorts(2);
    let accepted = 0;
    const sockets: net.Socket[] = [];
    const blackHole = net.createServer((s) => {
      accepted++;
      sockets.push(s);
      s.on('error', () => {});
    });
    await new Promise<void>((r) => blackHole.listen(hole, '127.0.0.1', () => r()));
    closers.push(() => new Promise<void>((r) => { for (const s of sockets) s.destroy(); blackHole.close(() => r()); }));
    const a = transport('a', pa!, [['b', hole!]]);
    await a.start();
    await waitFor(() => accepted >= 3, 10_000); // dead after 200 ms of silence, then redialled
    expect(a.counters().b!.connects).toBeGreaterThanOrEqual(2);
  });

  it('drops (and counts) a message too large for one frame instead of throwing', async () => {
    const [pa, pb] = await allocatePorts(2);
    const a = transport('a', pa!, [['b', pb!]]);
    const b = transport('b', pb!, [['a', pa!]]);
    await Promise.all([a.start(), b.start()]);
    await waitFor(() => a.isConnected('b'));
    expect(a.send('b', 'x'.repeat(17 * 1024 * 1024))).toBe(false);
    expect(a.counters().b!.dropped).toBe(1);
    expect(a.send('b', 'small')).toBe(true);
  });

  it('never buffers without bound for a peer that stops reading', async () => {
    const [pa, slow] = await allocatePorts(2);
    const sockets: net.Socket[] = [];
    const stalled = net.createServer((s) => {
      s.pause(); // reads nothing: the kernel buffers fill, then ours
      sockets.push(s);
      s.on('error', () => {});
    });
    await new Promise<void>((r) => stalled.listen(slow, '127.0.0.1', () => r()));
    closers.push(() => new Promise<void>((r) => { for (const s of sockets) s.destroy(); stalled.close(() => r()); }));
    const a = transport('a', pa!, [['b', slow!]]);
    await a.start();
    await waitFor(() => a.isConnected('b'));
    const big = 'x'.repeat(16 * 1024);
    let dropped = 0;
    for (let i = 0; i < 2000; i++) if (!a.send('b', big)) dropped++;
    expect(dropped).toBeGreaterThan(0);
    expect(a.counters().b!.bytesSent).toBeLessThan(32 * 1024 * 1024);
  });
});
