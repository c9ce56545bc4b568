/**
 * The simulated network promises what the real transport gets from TCP through a link
 * proxy, no more, no less (docs/sim.md): per directed link, messages arrive in the order
 * sent, at most once, never duplicated; a message is lost only with its connection, to a
 * black hole, or when sent while the link is down. The same property is checked here on
 * the model under random faults and on the real PeerTransport through the embedded
 * Toxiproxy under the same kinds of toxics, so the two cannot drift apart unnoticed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Random } from '../../nodes/common/random.js';
import { PeerTransport } from '../../nodes/common/transport.js';
import { allocatePorts } from '../../harness/ports.js';
import { ToxiproxyServer } from '../../harness/toxiproxy/server.js';
import { ToxiproxyClient } from '../../harness/toxiproxy/client.js';
import { parseHostPort } from '../../nodes/common/address.js';
import { Scheduler } from '../../harness/sim/engine/scheduler.js';
import { SimNetwork, type Conn, type Link, type NetEndpoint } from '../../harness/sim/engine/network.js';

/**
 * What a receiver saw of one link is a FIFO subsequence of what was sent: strictly
 * increasing sequence numbers (no reordering, no duplicate), each one sent.
 */
function expectFifoSubsequence(sent: readonly number[], received: readonly number[]): void {
  const sentSet = new Set(sent);
  for (let i = 0; i < received.length; i++) {
    expect(sentSet.has(received[i]!), `received ${received[i]} that was never sent`).toBe(true);
    if (i > 0) expect(received[i]!, `message ${received[i]} arrived after ${received[i - 1]}`).toBeGreaterThan(received[i - 1]!);
  }
}

/** Two simulated nodes on one network: a sends to b, b to a. */
function simPair(seed: number) {
  const sched = new Scheduler();
  const net = new SimNetwork(sched, new Random(seed), { kind: 'lognormal', p50Ms: 0.13, p99Ms: 0.95 }, { heartbeatMs: 100, deadAfterMs: 1000, maxBufferedBytes: 1 << 20, lazy: false, idleMs: 0 });
  const received = new Map<string, number[]>([['a', []], ['b', []]]);
  const downs: string[] = [];
  const endpoint = (id: string): NetEndpoint => ({
    up: true,
    localNow: () => sched.now,
    departure: () => sched.now,
    receive: (conn: Conn, frame: Buffer) => net.read(conn, frame, (_from, payload) => received.get(id)!.push(payload as number)),
    linkDown: (peer) => downs.push(`${id}->${peer}`),
  });
  net.attach('a', endpoint('a'));
  net.attach('b', endpoint('b'));
  net.nodeStarted('a', ['b']);
  net.nodeStarted('b', ['a']);
  // Heartbeats, as each node's runtime runs them.
  const beat = () => {
    net.heartbeat('a');
    net.heartbeat('b');
    sched.after(100, beat);
  };
  sched.after(100, beat);
  return { sched, net, received, downs };
}

describe('the simulated network model', () => {
  it('delivers everything in order once a link is up and nothing is wrong', () => {
    const { sched, net, received } = simPair(1);
    sched.runUntil(50);
    const sent: number[] = [];
    for (let i = 0; i < 500; i++) {
      sched.at(50 + i * 0.3, () => {
        if (net.send('a', 'b', i)) sent.push(i);
      });
    }
    sched.runUntil(1000);
    expect(sent).toHaveLength(500);
    expect(received.get('b')).toEqual(sent);
  });

  it('under random black holes, resets, cuts after N bytes, refused connections and jitter, every link stays a FIFO subsequence', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const { sched, net, received } = simPair(seed);
      const rnd = new Random(seed * 7919);
      const links: Link[] = [net.link('a', 'b'), net.link('b', 'a')];
      const sentAB: number[] = [];
      const sentBA: number[] = [];
      let id = 100;
      let lastFaultEnd = 0;
      for (let t = 10; t < 20_000; t += rnd.int(1, 5)) {
        const i = sentAB.length + sentBA.length + t;
        sched.at(t, () => {
          if (net.send('a', 'b', i)) sentAB.push(i);
          if (net.send('b', 'a', i)) sentBA.push(i);
        });
      }
      for (let t = 200; t < 16_000; t += rnd.int(100, 1500)) {
        const kind = rnd.pick(['blackhole', 'reset', 'limit', 'latency', 'disable'] as const);
        const target = rnd.chance(0.5) ? [links[0]!] : links;
        const hold = rnd.int(50, 2500);
        lastFaultEnd = Math.max(lastFaultEnd, t + hold);
        const toxicId = id++;
        sched.at(t, () => {
          if (kind === 'disable') net.disable(target);
          else if (kind === 'blackhole') net.addToxic(target, { id: toxicId, kind: 'blackhole', probability: rnd.pick([0.5, 1]) });
          else if (kind === 'reset') net.addToxic(target, { id: toxicId, kind: 'reset', probability: 1, afterBytes: 0 });
          else if (kind === 'limit') net.addToxic(target, { id: toxicId, kind: 'reset', probability: 1, afterBytes: rnd.int(20, 400) });
          else net.addToxic(target, { id: toxicId, kind: 'latency', probability: 1, latencyMs: rnd.int(1, 200), jitterMs: rnd.int(0, 200) });
        });
        sched.at(t + hold, () => (kind === 'disable' ? net.enable(target) : net.removeToxic(target, toxicId)));
      }
      sched.runUntil(25_000);
      expectFifoSubsequence(sentAB, received.get('b')!);
      expectFifoSubsequence(sentBA, received.get('a')!);
      // Faults lost something, and the links recovered: once redialled after the last fault
      // (a dead link is noticed within linkDeadMs), everything sent arrived.
      expect(received.get('b')!.length).toBeLessThan(sentAB.length);
      const tailSent = sentAB.filter((i) => i > lastFaultEnd + 1500);
      expect(tailSent.length).toBeGreaterThan(0);
      expect(received.get('b')!.slice(-tailSent.length)).toEqual(tailSent);
    }
  });

  it('loses what is in flight when a connection breaks, and tells the sender its link went down', () => {
    const { sched, net, received, downs } = simPair(3);
    sched.runUntil(50);
    const link = net.link('a', 'b');
    net.addToxic([link], { id: 1, kind: 'latency', probability: 1, latencyMs: 100 });
    for (let i = 0; i < 10; i++) net.send('a', 'b', i);
    sched.runUntil(60);
    net.breakConn(link.conn!);
    sched.runUntil(500);
    expect(received.get('b')).toEqual([]);
    expect(downs).toContain('a->b');
    expect(net.lost.broken).toBe(10);
    // Redialled: new messages arrive, the lost ones never do.
    net.removeToxic([link], 1);
    expect(net.send('a', 'b', 99)).toBe(true);
    sched.runUntil(800); // behind the last ping sent under the latency toxic: FIFO

    expect(received.get('b')).toEqual([99]);
  });
});

describe('the real transport keeps the same promise through the embedded Toxiproxy', () => {
  const closers: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
  });

  it('under latency with jitter, black holes, resets and mid-frame cuts, b receives a FIFO subsequence of what a sent', async () => {
    const server = new ToxiproxyServer({ seed: 5 });
    const api = await server.start({ port: 0 });
    closers.push(() => server.stop());
    const client = new ToxiproxyClient(api.url, { timeoutMs: 10_000 });
    const [pa, pb] = await allocatePorts(2);
    const proxy = await client.createProxy({ name: 'a->b', upstream: `127.0.0.1:${pb}` });
    const got: number[] = [];
    const make = (id: string, port: number, peer: string, at: { host: string; port: number }, onMessage: (from: string, m: unknown) => void) => {
      const t = new PeerTransport({ id, listen: { host: '127.0.0.1', port }, peers: new Map([[peer, at]]), heartbeatMs: 20, deadAfterMs: 200, maxBufferedBytes: 1 << 20, random: new Random(2), onMessage, log: () => {} });
      closers.push(() => t.close());
      return t;
    };
    const a = make('a', pa!, 'b', parseHostPort(proxy.listen)!, () => {});
    const b = make('b', pb!, 'a', { host: '127.0.0.1', port: pa! }, (_from, m) => got.push(m as number));
    await Promise.all([a.start(), b.start()]);
    const sent: number[] = [];
    let n = 0;
    let sending = true;
    const pump = (async () => {
      while (sending) {
        for (let k = 0; k < 20; k++, n++) if (a.send('b', n)) sent.push(n);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const phases: { type: 'latency' | 'timeout' | 'reset_peer' | 'limit_data'; attributes: Record<string, number> }[] = [
      { type: 'latency', attributes: { latency: 20, jitter: 20 } },
      { type: 'timeout', attributes: { timeout: 0 } },
      { type: 'reset_peer', attributes: { timeout: 0 } },
      { type: 'limit_data', attributes: { bytes: 300 } },
    ];
    const settle = async (count: number) => {
      const target = got.length + count;
      const deadline = Date.now() + 15_000;
      while (got.length < target && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    };
    await settle(100);
    const until = async (what: string, pred: () => boolean) => {
      const deadline = Date.now() + 15_000;
      while (!pred()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    for (const phase of phases) {
      const connects = a.counters().b!.connects;
      const sentBefore = sent.length;
      await client.addToxic('a->b', { name: 'fault', type: phase.type, stream: 'upstream', attributes: phase.attributes });
      // Hold the toxic until it has done its work: a broken connection redialled, or (latency) a few hundred messages through it.
      if (phase.type === 'latency') await until('messages sent under latency', () => sent.length > sentBefore + 300);
      else await until(`${phase.type} to break the connection`, () => a.counters().b!.connects > connects);
      await client.removeToxic('a->b', 'fault');
      await settle(100); // the link carries messages again before the next fault
    }
    sending = false;
    await pump;
    const lastSent = sent[sent.length - 1]!;
    const deadline = Date.now() + 15_000;
    while (got[got.length - 1] !== lastSent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expectFifoSubsequence(sent, got);
    expect(got[got.length - 1]).toBe(lastSent);
    // The black hole, the resets and the cut lost messages; nothing else did.
    expect(got.length).toBeLessThan(sent.length);
  });
});
