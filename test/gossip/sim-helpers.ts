/** Shared set-up for the gossip core tests on the deterministic simulator (harness/sim/sim.ts). */
import { Sim } from '../../harness/sim/sim.js';
import { GossipCore, type GossipMessage } from '../../nodes/gossip/core.js';
import { gossipOptionsSchema, type GossipOptions } from '../../nodes/gossip/options.js';

export type GossipSim = Sim<GossipMessage, GossipOptions>;

export const algorithm = { create: (ctx: ConstructorParameters<typeof GossipCore>[0]) => new GossipCore(ctx) };
export const ids = (n: number) => Array.from({ length: n }, (_, i) => `n${i + 1}`);

/** Timers so far away they never fire within a test: isolates one mechanism from the others. */
export const NEVER = { antiEntropyIntervalMs: 600_000, probeIntervalMs: 600_000, probeTimeoutMs: 300_000, reconnectIntervalMs: 3_600_000 } as const;

export function options(extra: Partial<Record<keyof GossipOptions, unknown>> = {}): GossipOptions {
  return gossipOptionsSchema.parse(extra);
}

export function gossipSim(n: number, extra: Partial<Record<keyof GossipOptions, unknown>> = {}, seed = 1): GossipSim {
  return new Sim(algorithm, ids(n), options(extra), seed);
}

export const node = (sim: GossipSim, id: string) => sim.core<GossipCore>(id);
export const live = (sim: GossipSim) => sim.ids.filter((id) => sim.isUp(id));

/** Node ids that hold `value` for `key` right now. */
export const holders = (sim: GossipSim, key: string, value: unknown) => live(sim).filter((id) => node(sim, id).store.value(key) === value);

/** Each live node's winners, as comparable text. */
export function replicaState(sim: GossipSim, id: string): string {
  return JSON.stringify(
    node(sim, id)
      .store.winnersList()
      .map((v) => [v[0], v[1], v[4], v[5]])
      .sort(),
  );
}

export const converged = (sim: GossipSim) => new Set(live(sim).map((id) => replicaState(sim, id))).size === 1;

/** The member view `observer` holds of `member`. */
export const viewOf = (sim: GossipSim, observer: string, member: string) => node(sim, observer).membership.stateOf(member);

export function write(sim: GossipSim, id: string, key: string, value: string): void {
  const reqId = sim.client(id, { f: 'write', key, value });
  const reply = sim.replyTo(reqId);
  if (reply?.status !== 200) throw new Error(`write ${key}=${value} on ${id}: ${JSON.stringify(reply)}`);
}

/** Messages the live nodes sent, of one type or all. */
export function allMessages(sim: GossipSim, type?: string): number {
  let total = 0;
  for (const id of live(sim)) for (const [t, count] of Object.entries(node(sim, id).sent)) if (type === undefined || t === type) total += count;
  return total;
}
