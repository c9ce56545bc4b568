/**
 * kv: a replicated key-value store under reads, writes and compare-and-set on a handful of
 * keys: the "distributed databases" row. It tests linearizability (cas-register model,
 * checked per key) and durability (every acknowledged write survives crashes: the keys are
 * read back once the faults heal). What a user learns: whether the system behaves like one
 * copy of the data while the network and the servers misbehave, and at what throughput.
 *
 * Values are unique per write, so a read names the write it saw. A cas takes as `from` the
 * last value its client saw for the key, so a good share of them succeed. With
 * `workload.opsPerKey`, keys are independent (keys.ts `KeySlots`): each gets that many
 * operations, then a fresh key takes its place, and the final reads cover every key written.
 */
import type { Value } from '../nodes/common/core.js';
import { checkDurability } from './checkers/durability.js';
import { checkConvergence } from './checkers/convergence.js';
import { checkLinearizability } from './checkers/linearizability/index.js';
import type { Verdict } from './checkers/verdict.js';
import type { Outcome } from './client.js';
import { KeySlots, keyChooser, uniqueValue } from './keys.js';
import type { Invocation, OpSource } from './load.js';
import { convergenceInput, type Workload } from './workload.js';
import type { WorkloadSpec } from './spec.js';
import type { JsonValue, Scalar } from './history.js';

export function outcomeEntry(outcome: Outcome, okValue?: JsonValue): { type: Outcome['type']; value?: JsonValue; error?: JsonValue } {
  if (outcome.type === 'ok') return okValue === undefined ? { type: 'ok' } : { type: 'ok', value: okValue };
  return { type: outcome.type, error: outcome.error ?? `http ${outcome.status}` };
}

export const kvKey = (spec: WorkloadSpec, i: number) => `${spec.keyPrefix}k${i}`;

/** The first live node's answers, as durability's "value after recovery". */
export function firstFinal(finalByNode: Record<string, Record<string, Scalar>>): Record<string, Scalar> {
  const nodes = Object.keys(finalByNode).sort();
  return nodes.length ? finalByNode[nodes[0]!]! : {};
}

/** A read whose ok completion carries what it saw. */
export function readOf(key: string, node: number): Invocation {
  return { node, f: 'read', key, value: null, op: { f: 'read', key }, complete: (o) => outcomeEntry(o, (o.body?.value ?? null) as Value) };
}

/**
 * The keys the final reads cover: every key written, when keys are independent (they
 * change during the run); else the fixed keys, written or not, as before.
 */
export function finalKeys(spec: WorkloadSpec, source: OpSource | undefined): string[] {
  const written = spec.opsPerKey !== undefined ? source?.writtenKeys?.() : undefined;
  return written ? [...written] : Array.from({ length: spec.keys }, (_, i) => kvKey(spec, i));
}

export const kv: Workload = {
  name: 'kv',
  source(ctx) {
    const { spec } = ctx;
    const chooser = keyChooser(spec.distribution, spec.keys, spec.zipfExponent);
    const total = spec.mix.read + spec.mix.write + spec.mix.cas;
    const lastSeen = new Map<string, Value>();
    const slots = new KeySlots(spec.keys, spec.opsPerKey);
    let counter = 0;
    return {
      writtenKeys: () => slots.writtenKeys().map((i) => kvKey(spec, i)),
      next(process): Invocation {
        const id = slots.take(chooser.next(ctx.random));
        const key = kvKey(spec, id);
        const node = ctx.nodeFor(process);
        const u = ctx.random.float() * total;
        if (u < spec.mix.read) {
          return {
            node, f: 'read', key, value: null, op: { f: 'read', key },
            complete: (o) => {
              const v = (o.body?.value ?? null) as Value;
              if (o.type === 'ok') lastSeen.set(key, v);
              return outcomeEntry(o, v);
            },
          };
        }
        slots.wrote(id);
        const value = uniqueValue(counter++, spec.valueSize);
        if (u < spec.mix.read + spec.mix.write) {
          return {
            node, f: 'write', key, value, op: { f: 'write', key, value },
            complete: (o) => {
              if (o.type === 'ok') lastSeen.set(key, value);
              return outcomeEntry(o, value);
            },
          };
        }
        const from = lastSeen.get(key) ?? null;
        return {
          node, f: 'cas', key, value: [from, value], op: { f: 'cas', key, from, to: value },
          complete: (o) => {
            if (o.type === 'ok') lastSeen.set(key, value);
            // 409 precondition: it saw another value than `from` (the checker uses that). Any
            // other refusal did not happen and observed nothing: a plain fail.
            if (o.type === 'fail' && o.status === 409 && o.body?.error === 'precondition') return { type: 'fail', error: 'precondition' };
            return outcomeEntry(o, [from, value]);
          },
        };
      },
    };
  },
  isWrite: (f) => f === 'write' || f === 'cas',
  finalOps: (spec, node, source) => finalKeys(spec, source).map((key) => readOf(key, node)),
  check(input) {
    const verdicts: Verdict[] = [checkLinearizability(input.history, { model: 'cas-register', timeLimitMs: input.timeLimitMs })];
    verdicts.push(checkDurability({ history: input.history, final: firstFinal(input.finalByNode) }));
    // An eventually consistent store promises convergence under its own (last-writer-wins)
    // order, not that the write acknowledged last in real time survives: there, durability
    // is judged by the convergence checker, which knows the store's versions.
    if (input.eventual) verdicts.push(checkConvergence(convergenceInput(input)));
    return verdicts;
  },
  informational: (eventual) => (eventual ? ['linearizability', 'durability'] : []),
};
