/** Shared set-up for the 2PC simulator tests: a cluster, key placement, and the trace. */
import { expect } from 'vitest';
import type { z } from 'zod';
import { Sim, type SimMessage } from '../../harness/sim/sim.js';
import type { ClientOp, ClientReply, CoreContext, Value } from '../../nodes/common/core.js';
import { TwoPcCore } from '../../nodes/twopc/core.js';
import { twoPcOptionsSchema, type TwoPcOptions } from '../../nodes/twopc/options.js';
import type { TwoPcMessage, TwoPcRecord } from '../../nodes/twopc/protocol.js';

export type TwoPcSim = Sim<TwoPcMessage, TwoPcOptions>;
type OptionsInput = Partial<z.input<typeof twoPcOptionsSchema>>;

const algorithm = { create: (ctx: CoreContext<TwoPcOptions>) => new TwoPcCore(ctx) };
export const ids = (n: number) => Array.from({ length: n }, (_, i) => `n${i + 1}`);

/** n nodes, n1 the coordinator; `perNode` overrides options of single nodes. */
export function cluster(n: number, options: OptionsInput = {}, perNode: Record<string, OptionsInput> = {}, seed = 1): TwoPcSim {
  return new Sim(algorithm, ids(n), (id) => twoPcOptionsSchema.parse({ ...options, ...perNode[id] }), seed);
}

export const twopc = (sim: TwoPcSim, id: string) => sim.core<TwoPcCore>(id);

/** The first key named `${prefix}<i>` that `owner` holds under sharding. */
export function keyOn(sim: TwoPcSim, owner: string, prefix = 'k'): string {
  const placement = twopc(sim, sim.ids.find((id) => sim.isUp(id))!).placement;
  for (let i = 0; ; i++) if (placement.owner(`${prefix}${i}`) === owner) return `${prefix}${i}`;
}

export const is =
  (t: TwoPcMessage['t'], from?: string, to?: string) =>
  (m: SimMessage<TwoPcMessage>): boolean =>
    m.msg.t === t && (from === undefined || m.from === from) && (to === undefined || m.to === to);

export function request(sim: TwoPcSim, node: string, op: ClientOp): string {
  return sim.client(node, op);
}

export function replied(sim: TwoPcSim, reqId: string): ClientReply {
  const r = sim.replyTo(reqId);
  expect(r, `a reply to ${reqId}`).toBeDefined();
  return r!;
}

/** Write opening values through 2PC at the coordinator and wait until every participant installed them. */
export function load(sim: TwoPcSim, values: Record<string, Value>): void {
  const reqId = sim.client('n1', { f: 'txn', ops: Object.entries(values).map(([key, value]) => ({ f: 'write' as const, key, value })) });
  sim.deliverAll();
  expect(sim.replyTo(reqId)?.status).toBe(200);
  expect(settled(sim)).toBe(true);
}

/** Run until nothing is in doubt anywhere and the coordinator awaits no acknowledgement. */
export function settled(sim: TwoPcSim, maxMs = 10_000): boolean {
  return sim.runUntil(
    () => sim.ids.every((id) => sim.isUp(id) && twopc(sim, id).participant.inDoubtTxids().length === 0) && (twopc(sim, 'n1').coordinator?.status().awaitingAcks ?? 0) === 0,
    maxMs,
  );
}

/** A node's log without the batch markers. */
export const records = (sim: TwoPcSim, id: string) => (sim.disks.get(id)! as TwoPcRecord[]).filter((r) => r.k !== 'batch');

/** The value a node's own state machine holds (what it would serve locally). */
export const valueAt = (sim: TwoPcSim, id: string, key: string) => twopc(sim, id).participant.state.get(key);

export function eventsOf(sim: TwoPcSim, txid: string) {
  return sim.events.filter((e) => e.txid === txid);
}

/** The txid of the prepare currently in flight (the one transaction under test). */
export function txidInFlight(sim: TwoPcSim): string {
  const m = sim.inflight.find((x) => x.msg.t === 'prepare');
  expect(m, 'a prepare in flight').toBeDefined();
  return (m!.msg as Extract<TwoPcMessage, { t: 'prepare' }>).txid;
}
