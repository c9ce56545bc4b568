/**
 * What a scenario's `workload:` may say: which workload and its knobs. The workloads own
 * this schema (each reads its own fields); the scenario schema embeds it, and the resolved
 * spec is stored in results.json with the rest of the scenario.
 */
import { z } from 'zod';
import { MAX_TXN_OPS } from '../nodes/common/client-api.js';

const probability = z.number().min(0).max(1);

export const workloadSchema = z.strictObject({
  type: z.enum(['kv', 'bank', 'dissemination', 'list-append']).default('kv'),
  /** Keys in use at once (with `opsPerKey`, each is replaced by a fresh key when its budget is spent). */
  keys: z.number().int().min(1).max(1_000_000).default(10),
  distribution: z.enum(['uniform', 'zipfian']).default('uniform'),
  zipfExponent: z.number().positive().max(10).default(0.99),
  /** kv: shares of reads, writes and cas (normalised). */
  mix: z
    .object({ read: z.number().min(0).default(0.5), write: z.number().min(0).default(0.4), cas: z.number().min(0).default(0.1) })
    .refine((m) => m.read + m.write + m.cas > 0, 'at least one of read, write, cas must be positive')
    .default({ read: 0.5, write: 0.4, cas: 0.1 }),
  /** Bytes per written value (unique values are padded to this length). */
  valueSize: z.number().int().min(1).max(1024 * 1024).default(16),
  /** bank: accounts, total money, largest transfer, share of reads. A read is one transaction over every account. */
  accounts: z.number().int().min(2).max(MAX_TXN_OPS).default(8),
  total: z.number().int().min(1).default(100),
  maxTransfer: z.number().int().min(1).default(5),
  readRatio: probability.default(0.2),
  /**
   * kv and list-append: independent keys (Jepsen's `independent`). A key gets at most this
   * many operations (list-append: reads and appends inside transactions), then the
   * generator moves on to a fresh key, so a lost write or a stale read is not buried under
   * later overwrites and each key's history stays cheap to check; the final reads cover
   * every key ever written. kv: absent = off (the same keys all run long); list-append:
   * absent = 200.
   */
  opsPerKey: z.number().int().min(1).max(1_000_000).optional(),
  /** list-append: operations per transaction, drawn from 1 to this. */
  opsPerTxn: z.number().int().min(1).max(100).default(4),
  /** list-append: distinct keys a transaction draws its operations from, at most. */
  keysPerTxn: z.number().int().min(1).max(100).default(2),
  /**
   * Prefix of every key the workload touches. Spawned clusters start empty; a remote
   * cluster keeps its data between runs, so each run there gets a fresh prefix and never
   * reads a value an earlier run wrote.
   */
  keyPrefix: z.string().max(64).regex(/^[A-Za-z0-9_.-]*$/).default(''),
});
export type WorkloadSpec = z.infer<typeof workloadSchema>;
