/** Raft's knobs (`--set key=value`), with the paper's recommended defaults where it gives them. */
import { z } from 'zod';
import { electionTiming, flag, int } from '../common/options.js';
import { compactionOptions } from '../common/compaction.js';

export const raftOptionsSchema = z
  .object({
    /** Randomized election timeout range (§5.2, §9.3: 150-300 ms). */
    electionTimeoutMinMs: int(10, 60_000).default(150),
    electionTimeoutMaxMs: int(10, 60_000).default(300),
    heartbeatMs: int(1, 60_000).default(50),
    preVote: flag().default(true),
    checkQuorum: flag().default(true),
    /** Most entries in one AppendEntries. */
    maxBatchEntries: int(1, 100_000).default(1024),
    /** Most AppendEntries with entries outstanding per follower (pipelining window). */
    maxInflight: int(1, 10_000).default(32),
    /** How reads are linearized: ReadIndex (§6.4) or by appending them to the log. */
    readMode: z.enum(['readindex', 'log']).default('readindex'),
    /** Snapshots and log compaction (§7): `snapshotEntries`, `snapshotBytes`, `snapshotChunkBytes`. */
    ...compactionOptions,
  })
  .superRefine(electionTiming);

export type RaftOptions = z.infer<typeof raftOptionsSchema>;
