/**
 * The simulator at scale: the event queue keeps its (time, insertion) order with runs of
 * equal time, idle lazy links are retired without losing their counters or their
 * promises, and dissemination on 1,000 gossip nodes completes and converges
 * (harness/sim/scale.ts, the engine under `npm run bench:gossip -- --sim`).
 */
import { describe, expect, it } from 'vitest';
import { Random } from '../../nodes/common/random.js';
import { Scheduler, type SimEvent } from '../../harness/sim/engine/scheduler.js';
import { SimNetwork, type Conn, type NetEndpoint } from '../../harness/sim/engine/network.js';
import { runScale } from '../../harness/sim/scale.js';

const SCALE_SETTINGS = { membership: 'static', tickMs: 25, linkDial: 'lazy', linkIdleMs: 2000, linkHeartbeatMs: 2000, linkDeadMs: 10_000, requestTimeoutMs: 5000 };
const NET = { kind: 'lognormal', p50Ms: 0.02, p99Ms: 0.15 } as const;
const SYNC = { kind: 'uniform', minMs: 0.05, maxMs: 2 } as const;

describe('the event queue', () => {
  it('runs events in (time, insertion) order, however many share a time, whatever they schedule or cancel while running', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const random = new Random(seed);
      const sched = new Scheduler();
      const ran: [number, number][] = [];
      const cancelled = new Set<SimEvent>();
      const live: SimEvent[] = [];
      // Few distinct times, so most events share theirs with others (ticks of nodes started together).
      const time = () => (random.chance(0.7) ? random.int(0, 20) * 5 : random.float() * 100);
      let made = 0;
      const schedule = (t: number): void => {
        made++;
        const ev: SimEvent = sched.at(t, () => {
          ran.push([ev.t, ev.seq]);
          if (made < 3000) {
            for (let k = random.int(0, 2); k > 0; k--) schedule(sched.now + (random.chance(0.3) ? 0 : time() / 4));
          }
          if (random.chance(0.1) && live.length > 0) {
            const victim = live[random.int(0, live.length - 1)]!;
            if (victim.fn !== null) cancelled.add(victim);
            sched.cancel(victim);
          }
        });
        live.push(ev);
      };
      for (let i = 0; i < 200; i++) schedule(time());
      sched.runUntil(Infinity);
      for (let i = 1; i < ran.length; i++) {
        const [t0, s0] = ran[i - 1]!;
        const [t1, s1] = ran[i]!;
        if (!(t1 > t0 || (t1 === t0 && s1 > s0))) throw new Error(`seed ${seed}: event (${t1}, ${s1}) ran after (${t0}, ${s0})`);
      }
      expect(ran.length + cancelled.size, `seed ${seed}`).toBe(live.length);
      expect(sched.pending).toBe(0);
    }
  });
});

describe('lazy links at scale', () => {
  it('retires a link idle since the heartbeat before, keeps what it carried, and dials it again on the next message', () => {
    const sched = new Scheduler();
    const net = new SimNetwork(sched, new Random(5), NET, { heartbeatMs: 100, deadAfterMs: 1000, maxBufferedBytes: 1 << 20, lazy: true, idleMs: 200 });
    const received: number[] = [];
    const endpoint = (id: string): NetEndpoint => ({
      up: true,
      localNow: () => sched.now,
      departure: () => sched.now,
      receive: (conn: Conn, frame: Buffer) => net.read(conn, frame, (_from, payload) => id === 'b' && received.push(payload as number)),
      linkDown: () => undefined,
    });
    net.attach('a', endpoint('a'));
    net.attach('b', endpoint('b'));
    const beat = () => {
      net.heartbeat('a');
      net.heartbeat('b');
      sched.after(100, beat);
    };
    sched.after(100, beat);
    for (let i = 0; i < 3; i++) expect(net.send('a', 'b', i)).toBe(true);
    sched.runUntil(50);
    expect([...net.allLinks()].map((l) => l.name)).toEqual(['a->b']);
    sched.runUntil(1000);
    expect([...net.allLinks()]).toEqual([]);
    expect(net.sentBy('a').msgsSent).toBe(3);
    expect(net.counters('a')['*']?.msgsSent).toBe(3);
    expect(net.send('a', 'b', 3)).toBe(true);
    sched.runUntil(1100);
    expect(received).toEqual([0, 1, 2, 3]);
    expect(net.sentBy('a').msgsSent).toBe(4);
    expect(net.sentBy('a').connects).toBe(2);
  });

  it('keeps a link that carries a fault: a toxic is state a new link would not have', () => {
    const sched = new Scheduler();
    const net = new SimNetwork(sched, new Random(5), NET, { heartbeatMs: 100, deadAfterMs: 1000, maxBufferedBytes: 1 << 20, lazy: true, idleMs: 200 });
    const endpoint: NetEndpoint = { up: true, localNow: () => sched.now, departure: () => sched.now, receive: () => undefined, linkDown: () => undefined };
    net.attach('a', endpoint);
    net.attach('b', endpoint);
    net.addToxic([net.link('a', 'b')], { id: 1, kind: 'latency', probability: 1, latencyMs: 5 });
    for (let t = 100; t <= 1000; t += 100) sched.at(t, () => net.heartbeat('a'));
    sched.runUntil(1000);
    expect([...net.allLinks()].map((l) => l.name)).toEqual(['a->b']);
  });
});

describe('dissemination at scale in the simulator', () => {
  it('on 1,000 gossip nodes with static membership, every update reaches every node and the rumor behaves as the stop rule says', () => {
    const n = 1000;
    const p = runScale({ nodes: n, updates: 3, settings: SCALE_SETTINGS, net: NET, sync: SYNC, seed: 3 });
    expect(p.updates).toBe(3);
    expect(p.complete).toBe(3);
    // Blind counter k = 3 at fanout 2: every node that holds it pushes it in 3 rounds to 2 peers.
    expect(p.messagesPerNode).toBe(6);
    // Each holder informs at most 2 more per round, so no update can be everywhere in fewer than log3 N rounds.
    expect(p.rumorRounds.p50!).toBeGreaterThanOrEqual(Math.log(n) / Math.log(3));
    expect(p.rounds.p50!).toBeGreaterThanOrEqual(p.rumorRounds.p50!);
    // Demers' residue for blind k = 3 is a fraction of a percent; anti-entropy delivers it.
    expect(p.missedByRumor.share).toBeLessThan(0.02);
    expect(p.backgroundPerSecond).toBeGreaterThan(0); // anti-entropy runs, no SWIM
  });

  it('is one deterministic run per seed: the same spec gives the same figures', () => {
    const spec = { nodes: 40, updates: 4, settings: SCALE_SETTINGS, net: NET, sync: SYNC, seed: 9 };
    const { cost: c1, ...a } = runScale(spec);
    const { cost: c2, ...b } = runScale(spec);
    expect(b).toEqual(a);
    expect(c2.events).toBe(c1.events);
  });
});
