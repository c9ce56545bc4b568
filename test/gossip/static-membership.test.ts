/**
 * `membership=static`: the configured member list as the view, no failure detector, one
 * member array shared by every core (what a 10,000-node simulation needs), and dissemination
 * that works as it does over SWIM.
 */
import { describe, expect, it } from 'vitest';
import { Random } from '../../nodes/common/random.js';
import { UsageError } from '../../nodes/common/errors.js';
import { NodeHost, type HostIo } from '../../nodes/common/host.js';
import type { Core, CoreContext } from '../../nodes/common/core.js';
import { nodeOptions } from '../../nodes/main.js';
import { gossip } from '../../nodes/gossip/index.js';
import { StaticMembership } from '../../nodes/gossip/static-membership.js';
import { WriteAheadLog } from '../../nodes/common/storage.js';
import { SimDisk } from '../../harness/sim/engine/disk.js';
import { NEVER, allMessages, gossipSim, holders, node, write } from './sim-helpers.js';

const ids = (n: number) => Object.freeze(Array.from({ length: n }, (_, i) => `n${i + 1}`));

describe('membership=static', () => {
  it('is an option of gossip, swim by default; anything else exits 64 naming the field', () => {
    expect(nodeOptions('gossip', gossip, {}).algo.membership).toBe('swim');
    expect(nodeOptions('gossip', gossip, { membership: 'static' }).algo.membership).toBe('static');
    expect(() => nodeOptions('gossip', gossip, { membership: 'gossipy' })).toThrow(UsageError);
    expect(() => nodeOptions('gossip', gossip, { membership: 'gossipy' })).toThrow(/--set membership/);
  });

  it('draws k distinct members, never itself, every member in time, from a shared array it never copies at scale', () => {
    const members = ids(10_000);
    const view = new StaticMembership('n42', members, new Random(1));
    const seen = new Set<string>();
    const bad: string[][] = [];
    for (let i = 0; i < 20_000; i++) {
      const picked = view.choose(3);
      if (picked.length !== 3 || new Set(picked).size !== 3 || picked.includes('n42')) bad.push(picked);
      for (const p of picked) seen.add(p);
    }
    expect(bad).toEqual([]);
    // 60,000 draws over 9,999 members: missing any is a (1 - 1/9999)^60000 ≈ 0.25 % event per member,
    // so a fixed seed covering nearly all of them says the draw is not stuck on a subset.
    expect(seen.size).toBeGreaterThan(9_900);
    expect(members).toHaveLength(10_000); // the frozen shared array: a write would have thrown
  });

  it('in a small cluster asking for as many as there are gives every other member once', () => {
    const view = new StaticMembership('n2', ids(5), new Random(3));
    expect(view.choose(10).sort()).toEqual(['n1', 'n3', 'n4', 'n5']);
    expect(new StaticMembership('n1', ids(1), new Random(3)).choose(2)).toEqual([]);
  });

  it('spreads a write to every node with no failure detector traffic, and says what it is in /status', () => {
    const sim = gossipSim(20, { membership: 'static', antiEntropyIntervalMs: 600_000 }, 4);
    write(sim, 'n3', 'k', 'v');
    for (let i = 0; i < 40 && holders(sim, 'k', 'v').length < 20; i++) {
      sim.tick(50);
      sim.deliverAll();
    }
    expect(holders(sim, 'k', 'v')).toHaveLength(20);
    expect(allMessages(sim, 'ping') + allMessages(sim, 'pingReq') + allMessages(sim, 'ack')).toBe(0);
    const status = node(sim, 'n1').status();
    expect(status.membership).toBe('static');
    expect((status.members as { alive: string[] }).alive).toHaveLength(20);
  });

  it('anti-entropy still repairs what rumors missed, with no membership table on the wire', () => {
    const sim = gossipSim(6, { ...NEVER, membership: 'static', antiEntropyIntervalMs: 100, rumorK: 1, rumorFanout: 1 }, 2);
    // Cut n6 off from rumors: only anti-entropy can reach it.
    sim.intercept = (m) => !(m.to === 'n6' && (m.msg as { t: string }).t === 'rumor');
    write(sim, 'n1', 'k', 'v');
    const tables: number[] = [];
    const seen = sim.intercept;
    sim.intercept = (m) => {
      const msg = m.msg as { t: string; m?: unknown[] };
      if (msg.t === 'aeSyn') tables.push(msg.m!.length);
      return seen(m);
    };
    for (let i = 0; i < 100 && !holders(sim, 'k', 'v').includes('n6'); i++) {
      sim.tick(50);
      sim.deliverAll();
    }
    expect(holders(sim, 'k', 'v')).toContain('n6');
    expect(tables.length).toBeGreaterThan(0);
    expect(tables.every((n) => n === 0)).toBe(true);
  });
});

describe('a host given the shared member list', () => {
  function host(members: readonly string[], onContext: (ctx: CoreContext<unknown>) => void): NodeHost<unknown> {
    const io: HostIo = {
      nowMs: () => 0, nowNs: () => 0, setTimer: () => ({}), clearTimer: () => undefined, defer: () => undefined,
      send: () => true, traceApplied: () => undefined, traceEvents: () => undefined, log: () => undefined,
    };
    const wal = WriteAheadLog.in(new SimDisk('n2', { now: () => 0, sync: () => 0 }), false).wal;
    const core: Core<unknown> = { step: () => undefined, ready: () => ({ early: [], persist: [], messages: [], forwards: [], replies: [], applied: [], events: [] }), status: () => ({}) };
    return new NodeHost({ id: 'n2', members, createCore: (ctx) => (onContext(ctx), core), algoOptions: {}, wal, recovered: [], random: new Random(1), requestTimeoutMs: 1000 }, io);
  }

  it('hands the core the same array, and builds `peers` (every other member) only when the core reads it', () => {
    const members = ids(4);
    let ctx: CoreContext<unknown> | null = null;
    host(members, (c) => (ctx = c));
    expect(ctx!.members).toBe(members);
    expect(ctx!.peers).toEqual(['n1', 'n3', 'n4']);
    expect(ctx!.peers).toBe(ctx!.peers); // built once
  });
});
