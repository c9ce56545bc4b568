/**
 * Shared by the Paxos simulator tests: a deterministic Sim of Multi-Paxos cores, scripted
 * election timeouts, and short names for what the tests look at.
 */
import { expect } from 'vitest';
import { Sim, type SimMessage } from '../../harness/sim/sim.js';
import type { PaxosCore } from '../../nodes/paxos/core.js';
import { createPaxosCore } from '../../nodes/paxos/index.js';
import type { PaxosMessage, SlotValue } from '../../nodes/paxos/messages.js';
import { paxosOptionsSchema, type PaxosOptions } from '../../nodes/paxos/options.js';
import type { ClientOp } from '../../nodes/common/core.js';

export type PaxosSim = Sim<PaxosMessage, PaxosOptions>;
export type Accept = Extract<PaxosMessage, { t: 'accept' }>;
export const algorithm = { create: createPaxosCore };
export const ids = (n: number) => Array.from({ length: n }, (_, i) => `n${i + 1}`);

/** Election timeouts per node; unlisted nodes wait 5 s, so who campaigns is scripted. */
export function scripted(n: number, timeouts: Record<string, number> = { n1: 150 }, extra: Partial<PaxosOptions> = {}): PaxosSim {
  return new Sim(algorithm, ids(n), (id) => {
    const t = timeouts[id] ?? 5000;
    return paxosOptionsSchema.parse({ electionTimeoutMinMs: t, electionTimeoutMaxMs: t + 1, ...extra });
  });
}

export function leaderless(n: number, seed = 1, extra: Partial<PaxosOptions> = {}): PaxosSim {
  return new Sim(algorithm, ids(n), paxosOptionsSchema.parse({ mode: 'leaderless', ...extra }), seed);
}

export const px = (sim: PaxosSim, id: string) => sim.core<PaxosCore>(id);
export const leaders = (sim: PaxosSim) => sim.ids.filter((id) => sim.isUp(id) && px(sim, id).role === 'leader');
export const is = (t: PaxosMessage['t'], from?: string, to?: string) => (m: SimMessage<PaxosMessage>) =>
  m.msg.t === t && (from === undefined || m.from === from) && (to === undefined || m.to === to);
export const write = (key: string, value: string | number): ClientOp => ({ f: 'write', key, value });
export const idOf = (v: SlotValue | undefined) => (v === undefined ? undefined : v === null ? 'no-op' : v.id);
/** What `id` knows is chosen in `slot`: a proposal id, 'no-op', or undefined. */
export const chosenAt = (sim: PaxosSim, id: string, slot: number) => {
  const a = px(sim, id).acceptor;
  return a.isChosen(slot) ? idOf(a.value(slot)) : undefined;
};
export const opsAt = (sim: PaxosSim, id: string, slot: number) => px(sim, id).acceptor.value(slot)?.ops;

export function elect(sim: PaxosSim, id = 'n1'): void {
  sim.runUntil(() => leaders(sim).includes(id), 2000);
  expect(leaders(sim)).toEqual([id]);
  sim.runUntil(() => sim.ids.every((x) => !sim.isUp(x) || px(sim, x).leader === id), 500);
}
