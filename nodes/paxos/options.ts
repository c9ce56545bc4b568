/**
 * Multi-Paxos knobs (`--set key=value`). Timeouts default to Raft's, so the two run with the
 * same failure detector and can be compared line for line.
 */
import { z } from 'zod';
import { electionTiming, flag, int } from '../common/options.js';
import { compactionOptions } from '../common/compaction.js';

export const paxosOptionsSchema = z
  .object({
    /**
     * `leader`: a distinguished proposer runs phase 1 once for all future slots (Paxos Made
     * Simple §3). `leaderless`: every node proposes its own clients' requests, each with a
     * full phase 1 + 2, backing off on conflict; it shows what contention costs.
     */
    mode: z.enum(['leader', 'leaderless']).default('leader'),
    /** Randomized silence after which a follower suspects the leader and runs phase 1. */
    electionTimeoutMinMs: int(10, 60_000).default(150),
    electionTimeoutMaxMs: int(10, 60_000).default(300),
    heartbeatMs: int(1, 60_000).default(50),
    /**
     * An acceptor that heard from a live leader within electionTimeoutMinMs refuses other
     * proposers' prepares, so a node rejoining after a partition does not depose a healthy
     * leader (the analogue of Raft's §4.2.3 rule; it only ever withholds a promise).
     */
    stickyLeader: flag().default(true),
    /**
     * Before phase 1 a candidate asks whether a majority would promise (messages.ts `probe`),
     * so a node cut off with a minority does not raise the promises of the nodes it can reach,
     * which would make them refuse the live leader once the partition heals.
     */
    probe: flag().default(true),
    /**
     * CheckQuorum: every electionTimeoutMaxMs (on the first tick past it) a leader that has
     * not heard from a majority since the previous check steps down. So a leader cut off
     * steps down between one and two electionTimeoutMaxMs after it last heard from one.
     */
    checkQuorum: flag().default(true),
    /** Most client operations in one slot (a slot holds a batch of commands). */
    maxBatchOps: int(1, 100_000).default(1024),
    /** Most slots proposed and not yet chosen (the pipelining window). */
    maxInflightSlots: int(1, 100_000).default(32),
    /** Most slots in one promise page or one catch-up message. */
    maxCatchupSlots: int(1, 100_000).default(256),
    /** A lost accept or catch-up goes again to the same peer at most this often. */
    retransmitMs: int(1, 60_000).default(200),
    /** How a leader linearizes reads: a read-index confirmation round, or by choosing them in a slot. */
    readMode: z.enum(['readindex', 'log']).default('readindex'),
    /** Leaderless mode: randomized exponential backoff after a conflict, from base up to cap. */
    backoffBaseMs: int(1, 60_000).default(10),
    backoffMaxMs: int(1, 60_000).default(320),
    /** Snapshots of the chosen prefix: `snapshotEntries` (slots), `snapshotBytes`, `snapshotChunkBytes`. */
    ...compactionOptions,
  })
  .superRefine(electionTiming)
  .refine((o) => o.backoffBaseMs <= o.backoffMaxMs, {
    path: ['backoffMaxMs'],
    message: 'must be at least backoffBaseMs',
  });

export type PaxosOptions = z.infer<typeof paxosOptionsSchema>;
