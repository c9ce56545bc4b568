/**
 * What the real transport (nodes/common/transport.ts) can do to messages, and nothing more,
 * for driving Paxos cores in the simulator:
 *
 *   - Each directed link delivers in send order while a connection lives; there is no
 *     duplication and no reordering within a link.
 *   - A connection break loses everything in flight on the link at that moment (what the
 *     old connection carried); what is sent afterwards goes on a new connection, in order.
 *     A break can never separate a message from a later one of the same Ready (they are
 *     written to the same socket in one go), and the simulator queues a Ready's messages
 *     together, so "drop everything in flight on the link" is the whole model of a break.
 *   - Messages on different links interleave arbitrarily.
 *
 * Sim.deliverRandomly reorders within a link, which TCP never does, so a schedule found with
 * it may be a false alarm; these helpers are what a schedule that claims a real bug uses.
 * (parley sim's network model replaces the randomized scheduler here.)
 */
import { expect } from 'vitest';
import type { SimMessage } from '../../harness/sim/sim.js';
import type { Random } from '../../nodes/common/random.js';
import type { PaxosMessage } from '../../nodes/paxos/messages.js';
import type { PaxosSim } from './sim-helpers.js';

type Sent = SimMessage<PaxosMessage>;

const onLink = (from: string, to: string) => (m: Sent) => m.from === from && m.to === to;

/** The messages in flight on from→to, oldest first. */
export function pending(sim: PaxosSim, from: string, to: string): PaxosMessage[] {
  return sim.inflight.filter(onLink(from, to)).map((m) => m.msg);
}

/**
 * Deliver the oldest message in flight on from→to (the only one a FIFO link can deliver next),
 * checking it is the kind the schedule expects.
 */
export function next<T extends PaxosMessage['t']>(sim: PaxosSim, from: string, to: string, t: T): Extract<PaxosMessage, { t: T }> {
  const i = sim.inflight.findIndex(onLink(from, to));
  expect(i, `nothing in flight on ${from}->${to}`).toBeGreaterThanOrEqual(0);
  expect(sim.inflight[i]!.msg.t, `head of ${from}->${to}`).toBe(t);
  return sim.deliverAt(i).msg as Extract<PaxosMessage, { t: T }>;
}

/** The connection from→to breaks: whatever was in flight on it is lost. */
export function breakLink(sim: PaxosSim, from: string, to: string): number {
  return sim.drop(onLink(from, to));
}

/**
 * A seeded scheduler that only takes the liberties above: it delivers the head of a random
 * busy link (links get latency classes, so some hold messages back for a long time), breaks
 * links, partitions (which breaks every crossing link, then refuses sends across the cut
 * until healed), and crashes nodes (their connections break).
 */
export class FifoNetwork {
  /** Per link, how likely its head is to go when picked: links differ in latency, and change. */
  private readonly speed = new Map<string, number>();

  constructor(
    private readonly sim: PaxosSim,
    private readonly rnd: Random,
  ) {}

  /** Give every link a new latency class: half fast, a quarter slow, a quarter nearly stalled. */
  reshuffleLatency(): void {
    for (const from of this.sim.ids) for (const to of this.sim.ids) if (from !== to) this.speed.set(`${from}->${to}`, this.rnd.pick([1, 1, 0.05, 0.005]));
  }

  /**
   * Deliver up to `n` messages, each the oldest of a link picked at random (busier and faster
   * links more often); before each, with probability `breakChance`, a random busy link breaks instead.
   */
  deliver(n: number, breakChance: number): void {
    const sim = this.sim;
    for (let k = 0; k < n && sim.inflight.length > 0; k++) {
      let pick = sim.inflight[this.rnd.int(0, sim.inflight.length - 1)]!;
      for (let tries = 0; tries < 8 && !this.rnd.chance(this.speed.get(`${pick.from}->${pick.to}`) ?? 1); tries++) {
        pick = sim.inflight[this.rnd.int(0, sim.inflight.length - 1)]!;
      }
      if (this.rnd.chance(breakChance)) {
        breakLink(sim, pick.from, pick.to);
        continue;
      }
      sim.deliverAt(sim.inflight.findIndex(onLink(pick.from, pick.to)));
    }
  }

  /** Cut `side` off from the rest, both ways: connections across the cut break. */
  partition(side: string[]): void {
    const sim = this.sim;
    const rest = sim.ids.filter((id) => !side.includes(id));
    sim.partition(side, rest);
    sim.drop((m) => sim.cut.has(`${m.from}->${m.to}`));
  }

  heal(): void {
    this.sim.heal();
  }

  /**
   * The process dies with its memory and its connections. What it had already written may
   * still arrive (the kernel flushes a closing socket) or be lost with the connection.
   */
  crash(id: string, loseSent: boolean): void {
    this.sim.crash(id);
    if (loseSent) this.sim.drop((m) => m.from === id);
  }

  restart(id: string): void {
    this.sim.restart(id);
  }
}
