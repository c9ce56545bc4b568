/** Two-phase commit's knobs (`--set key=value`). */
import { z } from 'zod';
import { int } from '../common/options.js';
import { recordCompactionOptions } from '../common/compaction.js';

export const twoPcOptionsSchema = z.object({
  /** The node that coordinates every transaction; default the lowest id (shortest, then alphabetical: n2 < n10). */
  coordinator: z.string().min(1).optional(),
  /**
   * `sharded`: each key lives on one participant (see placement.ts); `replicated`: every
   * node holds every key, so a write needs every node's yes vote.
   */
  layout: z.enum(['sharded', 'replicated']).default('sharded'),
  /**
   * `blocking`: an in-doubt participant asks only the coordinator (textbook 2PC).
   * `cooperative`: it also asks the other participants (Bernstein, Hadzilacos & Goodman
   * 1987, ch. 7, the cooperative termination protocol).
   */
  termination: z.enum(['blocking', 'cooperative']).default('blocking'),
  /** The coordinator aborts a transaction whose votes have not all arrived in this time. */
  prepareTimeoutMs: int(1, 600_000).default(500),
  /** Re-send interval of unacknowledged commit decisions, inquiries and cooperative asks. */
  retryMs: int(1, 60_000).default(100),
  /** A prepared participant waits this long for the decision before it asks the coordinator. */
  inquireAfterMs: int(0, 600_000).default(200),
  /** With cooperative termination: how long an in-doubt participant waits before it asks its peers. */
  cooperativeAfterMs: int(0, 600_000).default(500),
  /** A read waits this long for a write lock (a prepared transaction) to clear, then fails. */
  lockWaitMs: int(0, 600_000).default(300),
  /** Compact the log (a snapshot, and only open transactions kept) after this many records; 0: never. */
  ...recordCompactionOptions,
});

export type TwoPcOptions = z.infer<typeof twoPcOptionsSchema>;
