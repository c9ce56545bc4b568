/**
 * Gossip's knobs (`--set key=value`). Defaults follow the sources where they give one:
 * memberlist's LAN profile for the failure detector (probe every 1 s, 500 ms ack timeout,
 * 3 indirect probes, suspicion 4 x log10(N) probe periods, retransmit 4 x log10(N)).
 *
 * The rumor stop rule defaults to blind counter k = 3 at fanout 2, not the feedback counter
 * of Demers' Table 1: here every push is a message and feedback costs one more (the ack),
 * while batching many writes per push is what keeps messages per write low under load. In
 * the simulator (test/gossip/dissemination.test.ts, N = 50) blind k = 3 fanout 2 leaves
 * 0.2 % of nodes for anti-entropy with 6 pushes per node per update; feedback k = 2 leaves
 * 4 % with about as many messages counting the acks. The rumor round is shorter than
 * memberlist's 200 ms because here it carries the data, not only membership; a round with
 * nothing hot sends nothing, so a short round costs no idle traffic.
 *
 * Anti-entropy's interval and fanout (`antiEntropyIntervalMs`, `antiEntropyFanout`) and rumor
 * mongering's (`rumorIntervalMs`, `rumorFanout`) are separate: the backstop runs rarely and
 * costs a digest per exchange, the rumors run often and cost nothing when idle.
 */
import { z } from 'zod';
import { int } from '../common/options.js';
import { recordCompactionOptions } from '../common/compaction.js';

export const RUMOR_STOP_RULES = ['feedback', 'blind', 'coin'] as const;
export type RumorStopRule = (typeof RUMOR_STOP_RULES)[number];

export const MEMBERSHIP_MODES = ['swim', 'static'] as const;
export type MembershipMode = (typeof MEMBERSHIP_MODES)[number];

export const gossipOptionsSchema = z
  .object({
    /** Push-pull anti-entropy (Demers §1.3): every interval, exchange digests with this many live peers. */
    antiEntropyIntervalMs: int(10, 600_000).default(1000),
    antiEntropyFanout: int(1, 64).default(1),
    /** Rumor mongering (Demers §1.4): every round, each node with hot rumors pushes them to this many live peers. */
    rumorIntervalMs: int(1, 60_000).default(50),
    rumorFanout: int(1, 64).default(2),
    /**
     * A node's own fresh writes go, in their first round, to this many peers instead of
     * `rumorFanout` (an eager first push; relays then mong at `rumorFanout`). It trades a
     * few messages per write for hops: with 100 ms links, each hop saved is 100 ms of
     * convergence. Absent: the same as `rumorFanout`.
     */
    originFanout: int(1, 1024).optional(),
    /**
     * When a node loses interest in a rumor (Demers §1.4): `feedback` after `rumorK` pushes to
     * peers that already knew it; `blind` after `rumorK` rounds of pushing; `coin` with
     * probability 1/`rumorK` after each round.
     */
    rumorStop: z.enum(RUMOR_STOP_RULES).default('blind'),
    rumorK: int(1, 1_000_000).default(3),
    /** Versions received from peers are made durable in one batch this often; 0: with every batch, like own writes (core.ts). */
    replicaPersistMs: int(0, 600_000).default(1000),
    /** Most versions in one rumor or anti-entropy message: the rest ride the next rumor round, and a cut-short exchange goes on at once (core.ts). */
    maxBatch: int(1, 100_000).default(1000),
    /**
     * `swim`: SWIM membership and failure detection (membership.ts). `static`: the configured
     * member list, every member taken as alive, no failure detector (static-membership.ts):
     * the full knowledge of the membership Demers' analysis assumes, for a fixed list.
     */
    membership: z.enum(MEMBERSHIP_MODES).default('swim'),
    /** SWIM failure detector (Das et al. 2002 §3): protocol period, direct-ack timeout, indirect probes. */
    probeIntervalMs: int(10, 600_000).default(1000),
    probeTimeoutMs: int(5, 600_000).default(500),
    indirectChecks: int(0, 64).default(3),
    /** Lifeguard local health: probe interval and timeout grow up to this factor while this node seems to be the slow one (memberlist: 8). */
    awarenessMaxMultiplier: int(1, 100).default(8),
    /** Suspect -> dead after this long without a refutation; absent: memberlist's suspicionMult x max(1, log10 N) x probeIntervalMs. */
    suspicionTimeoutMs: int(10, 3_600_000).optional(),
    suspicionMult: int(1, 100).default(4),
    /** Each membership update rides on retransmitMult x ceil(log10(N + 1)) outgoing messages (SWIM §4.4, memberlist). */
    retransmitMult: int(1, 100).default(4),
    /** Membership updates piggybacked on one message. */
    maxPiggyback: int(1, 1000).default(8),
    /** After start, a member never heard from is not suspected for this long (peers of one cluster start seconds apart). */
    startupGraceMs: int(0, 600_000).default(5000),
    /** How often to ping one dead member, so a healed partition or a missed rejoin is noticed (Serf's reconnect). */
    reconnectIntervalMs: int(10, 3_600_000).default(2000),
    /** Compact the log (a snapshot of the winners, digest and incarnation) after this many records; 0: never. */
    ...recordCompactionOptions,
  })
  // After the timeout come the ping-reqs, and the helpers' nacks 0.8 x timeout later; all of
  // it must land inside the period (memberlist's 500 ms / 1 s leave 100 ms for the network).
  .refine((o) => o.probeTimeoutMs * 1.8 < o.probeIntervalMs, {
    path: ['probeTimeoutMs'],
    message: 'must be under probeIntervalMs / 1.8 (the indirect probes and their nacks need the rest of the period)',
  });

export type GossipOptions = z.infer<typeof gossipOptionsSchema>;
