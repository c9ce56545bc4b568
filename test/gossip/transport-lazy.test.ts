/**
 * The transport's lazy links (linkDial=lazy), added so 50 gossip nodes do not keep 2,450
 * links and their heartbeats up: dial on first send without losing that message, no
 * background redial of a peer nobody talks to, and idle links closed.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PeerTransport } from '../../nodes/common/transport.js';
import { Random } from '../../nodes/common/random.js';
import { allocatePorts } from '../../harness/ports.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function waitFor(what: string, pred: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function lazyTransport(id: string, port: number, peers: [string, number][], idleMs = 0, onMessage: (from: string, m: unknown) => void = () => {}) {
  const t = new PeerTransport({
    id,
    listen: { host: '127.0.0.1', port },
    peers: new Map(peers.map(([p, port]) => [p, { host: '127.0.0.1', port }])),
    heartbeatMs: 20,
    deadAfterMs: 500,
    maxBufferedBytes: 64 * 1024,
    random: new Random(1),
    onMessage,
    log: () => {},
    dial: 'lazy',
    idleMs,
  });
  closers.push(() => t.close());
  return t;
}

/** A TCP server that counts connections and otherwise does nothing. */
async function countingServer(port: number): Promise<{ accepted: () => number }> {
  let accepted = 0;
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => {
    accepted++;
    sockets.push(s);
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  closers.push(() => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }));
  return { accepted: () => accepted };
}

describe('lazy peer links', () => {
  it('dials on the first send, and the messages sent while connecting arrive, in order', async () => {
    const [pa, pb] = await allocatePorts(2);
    const got: unknown[] = [];
    const a = lazyTransport('a', pa!, [['b', pb!]]);
    const b = lazyTransport('b', pb!, [['a', pa!]], 0, (from, m) => got.push([from, m]));
    await Promise.all([a.start(), b.start()]);
    await new Promise((r) => setTimeout(r, 100));
    expect(a.counters().b!.connects).toBe(0); // nothing dialled at start
    for (let i = 0; i < 50; i++) expect(a.send('b', i)).toBe(true);
    await waitFor('50 messages', () => got.length === 50);
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => ['a', i]));
    expect(a.counters().b!.connects).toBe(1);
    expect(b.counters().a!.connects).toBe(0); // b never spoke to a: no link that way
  });

  it('closes a link idle for idleMs and redials on the next send', async () => {
    const [pa, pb] = await allocatePorts(2);
    const got: unknown[] = [];
    const a = lazyTransport('a', pa!, [['b', pb!]], 150);
    const b = lazyTransport('b', pb!, [['a', pa!]], 0, (_from, m) => got.push(m));
    await Promise.all([a.start(), b.start()]);
    a.send('b', 'first');
    await waitFor('first', () => got.length === 1);
    await waitFor('the idle link to close', () => !a.isConnected('b'));
    expect(a.send('b', 'second')).toBe(true);
    await waitFor('second', () => got.length === 2);
    expect(got).toEqual(['first', 'second']);
    expect(a.counters().b!.connects).toBe(2);
  });

  it('a peer that is down costs one failed dial per backoff while there is traffic, and no background redials', async () => {
    const [pa, pb] = await allocatePorts(2);
    const a = lazyTransport('a', pa!, [['b', pb!]]);
    await a.start();
    expect(a.send('b', 'into the void')).toBe(true); // queued on the dialling socket
    await waitFor('the dial to fail', () => !a.isConnected('b') && !a.send('b', 'during backoff'));
    expect(a.counters().b!.dropped).toBeGreaterThanOrEqual(1);
    // b comes up; with nothing to send, a does not dial it.
    const server = await countingServer(pb!);
    await new Promise((r) => setTimeout(r, 300));
    expect(server.accepted()).toBe(0);
    await waitFor('a send after the backoff to dial', () => a.send('b', 'hello again') && server.accepted() === 1, 5000);
  });
});
