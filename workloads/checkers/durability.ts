/**
 * Durability across crash and restart: an acknowledged write must survive. After the run
 * the harness recovers the cluster and reads every key once more; a write that was
 * acknowledged, whose value is not what the key holds now, and that nothing could have
 * overwritten (no write of the final value began after it, or was still running when it
 * began) was lost. This is the question a user asks of `fsync=off` or of a Raft that
 * acknowledges before persisting; linearizability asks it too, but only while the history
 * runs, and a crash at the very end escapes it.
 *
 * Inputs: the client history and the final value of each key read after recovery (null:
 * the key is empty). Keys not in the final map were not read and are not judged.
 */
import { z } from 'zod';
import { pairOperations, type HistoryEvent, type JsonValue, type Key, type Operation, type Scalar } from '../history.js';
import type { DurabilityEvidence, Verdict } from './verdict.js';

export interface DurabilityInput {
  history: readonly HistoryEvent[];
  /** key -> value read after recovery. */
  final: Record<string, Scalar>;
}

export const finalValuesSchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]));

const MAX_LISTED = 50;

/** The value an op leaves in its key if it took effect, or undefined for ops that never write. */
function writes(op: Operation): JsonValue | undefined {
  if (op.outcome === 'fail') return undefined;
  if (op.f === 'write') return op.value ?? null;
  if (op.f === 'cas' && Array.isArray(op.value) && op.value.length === 2) return op.value[1] ?? null;
  return undefined;
}

export function checkDurability(input: DurabilityInput): Verdict {
  const began = performance.now();
  const writers = new Map<string, Operation[]>();
  for (const op of pairOperations(input.history)) {
    if (writes(op) === undefined) continue;
    const k = String(op.key ?? '');
    let list = writers.get(k);
    if (!list) writers.set(k, (list = []));
    list.push(op);
  }

  const evidence: DurabilityEvidence = { kind: 'durability', lost: [], phantom: [] };
  let acknowledged = 0;
  let lostCount = 0;
  let unchecked = 0;
  for (const [k, ops] of writers) {
    if (!(k in input.final)) {
      unchecked += ops.filter((o) => o.outcome === 'ok').length;
      continue;
    }
    const final = input.final[k]!;
    const producers = ops.filter((o) => writes(o) === final);
    if (final !== null && producers.length === 0) evidence.phantom.push({ key: k, final });
    for (const w of ops) {
      if (w.outcome !== 'ok') continue;
      acknowledged++;
      if (writes(w) === final) continue;
      // Overwritten if some write of the final value may have taken effect after w: it did not finish before w began.
      if (producers.some((p) => p !== w && !(p.end < w.start))) continue;
      lostCount++;
      if (evidence.lost.length < MAX_LISTED) {
        const key: Key = w.key ?? k;
        evidence.lost.push({ index: input.history[w.position]!.index, process: w.process, key, value: writes(w)!, start: w.start, end: w.end, final });
      }
    }
  }
  for (const [k, final] of Object.entries(input.final)) {
    if (final !== null && !writers.has(k)) evidence.phantom.push({ key: k, final });
  }

  const stats = {
    keysRead: Object.keys(input.final).length,
    acknowledgedWrites: acknowledged,
    lostWrites: lostCount,
    phantomValues: evidence.phantom.length,
    uncheckedWrites: unchecked,
    elapsedMs: Math.round((performance.now() - began) * 100) / 100,
  };
  if (lostCount > 0 || evidence.phantom.length > 0) {
    const first = evidence.lost[0];
    const parts: string[] = [];
    if (first) parts.push(`${lostCount} acknowledged write${lostCount === 1 ? ' was' : 's were'} lost (first: ${first.key} = ${JSON.stringify(first.value)}, event ${first.index}; the key now holds ${JSON.stringify(first.final)})`);
    if (evidence.phantom.length > 0) parts.push(`${evidence.phantom.length} key${evidence.phantom.length === 1 ? '' : 's'} hold a value no operation wrote`);
    return { checker: 'durability', valid: false, summary: `Not durable: ${parts.join('; ')}.`, evidence, stats };
  }
  return {
    checker: 'durability', valid: true, stats,
    summary: `Durable: all ${acknowledged} acknowledged writes on the ${stats.keysRead} keys read after recovery are present or overwritten by a later or concurrent write` +
      (unchecked > 0 ? ` (${unchecked} writes on keys not read back were not judged).` : '.'),
  };
}
