/**
 * `--set key=value` options. Each algorithm declares a zod schema of its knobs with
 * defaults; the runtime adds its own. Values arrive as strings and are coerced; an unknown
 * key or a bad value is a UsageError naming the key and what was expected.
 */
import { z } from 'zod';
import { UsageError } from './errors.js';

/** A boolean that also accepts the strings a command line gives: true/false, 1/0, yes/no, on/off. */
export const flag = () =>
  z.preprocess((v) => {
    if (typeof v !== 'string') return v;
    const s = v.toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(s)) return true;
    if (['false', '0', 'no', 'off'].includes(s)) return false;
    return v;
  }, z.boolean());

export const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
export const num = (min: number, max: number) => z.coerce.number().min(min).max(max);

/**
 * The timing rule of the leader-based algorithms (Raft, Multi-Paxos): a range to randomize
 * election timeouts in (§5.2), and heartbeats well inside its lower end.
 */
export function electionTiming(o: { electionTimeoutMinMs: number; electionTimeoutMaxMs: number; heartbeatMs: number }, ctx: z.RefinementCtx): void {
  if (o.electionTimeoutMinMs >= o.electionTimeoutMaxMs) {
    ctx.addIssue({ code: 'custom', path: ['electionTimeoutMaxMs'], message: 'must be greater than electionTimeoutMinMs' });
  }
  if (o.heartbeatMs >= o.electionTimeoutMinMs) {
    ctx.addIssue({ code: 'custom', path: ['heartbeatMs'], message: 'must be less than electionTimeoutMinMs' });
  }
}

/** Knobs of the node runtime, shared by every algorithm. */
export const runtimeOptionsSchema = z.object({
  /** fdatasync the write-ahead log before acknowledging; false for in-memory comparisons. */
  fsync: flag().default(true),
  /** Interval of the core's tick input. */
  tickMs: int(1, 1000).default(10),
  /** A client request not answered in this time gets 504 (outcome unknown). */
  requestTimeoutMs: int(10, 600_000).default(1000),
  maxBodyBytes: int(64, 64 * 1024 * 1024).default(1024 * 1024),
  /** Transport: ping interval on each outbound link, and silence after which a link is dead. */
  linkHeartbeatMs: int(5, 60_000).default(100),
  linkDeadMs: int(20, 600_000).default(1000),
  /** Transport: `eager` keeps a link to every peer up from the start; `lazy` dials on first send (transport.ts). */
  linkDial: z.enum(['eager', 'lazy']).default('eager'),
  /** Lazy links: close an outbound link idle this long (0: never). */
  linkIdleMs: int(0, 3_600_000).default(0),
  /** Messages for a peer whose socket already buffers this much are dropped, not queued. */
  maxBufferedBytes: int(1024, 1024 * 1024 * 1024).default(8 * 1024 * 1024),
  /** Seed of the node's PRNG (election timeouts, gossip peers); derived from the id when absent. */
  seed: int(-(2 ** 31), 2 ** 31 - 1).optional(),
  /** Write the applied-writes trace (data/applied.jsonl) used for exact convergence times. */
  trace: flag().default(true),
});

export type RuntimeOptions = z.infer<typeof runtimeOptionsSchema>;

/** Parse `key=value` pairs into an object, rejecting malformed pairs and duplicates. */
export function parseSetPairs(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set ${pair}: expected key=value`);
    const key = pair.slice(0, eq);
    if (key in out) throw new UsageError(`--set ${key}: given twice`);
    out[key] = pair.slice(eq + 1);
  }
  return out;
}

/** Validate raw settings against a schema; the first problem becomes a one-line UsageError. */
export function parseOptions<S extends z.ZodObject>(schema: S, raw: Record<string, unknown>, what = '--set'): z.infer<S> {
  const known = new Set(Object.keys(schema.shape));
  for (const key of Object.keys(raw)) {
    if (!known.has(key)) throw new UsageError(`${what} ${key}: unknown option (known: ${[...known].sort().join(', ')})`);
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new UsageError(`${what} ${issue.path.join('.')}: ${issue.message}`);
  }
  return result.data;
}
