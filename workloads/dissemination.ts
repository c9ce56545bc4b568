/**
 * dissemination: writes land on random nodes and must reach every node: the "large-scale
 * decentralized networks" row. Each node reports when it first holds each value (the
 * applied trace, on the machine's shared monotonic clock), so the time from a write's
 * acknowledgement until the last live node has it is measured exactly, not sampled; reads
 * on random nodes measure how often a replica is stale. The convergence checker requires
 * every live node to end with the same state and every acknowledged write to be present or
 * superseded; for the consensus algorithms the same history is also held to
 * linearizability (register model).
 */
import { checkConvergence } from './checkers/convergence.js';
import { checkLinearizability } from './checkers/linearizability/index.js';
import type { Verdict } from './checkers/verdict.js';
import { keyChooser, uniqueValue } from './keys.js';
import { outcomeEntry, readOf } from './kv.js';
import type { Invocation } from './load.js';
import { convergenceInput, type Workload } from './workload.js';
import type { WorkloadSpec } from './spec.js';

const key = (spec: WorkloadSpec, i: number) => `${spec.keyPrefix}d${i}`;

export const dissemination: Workload = {
  name: 'dissemination',
  source(ctx) {
    const { spec } = ctx;
    const chooser = keyChooser(spec.distribution, spec.keys, spec.zipfExponent);
    const readShare = spec.mix.read / (spec.mix.read + spec.mix.write + spec.mix.cas);
    let counter = 0;
    return {
      next(): Invocation {
        const k = key(spec, chooser.next(ctx.random));
        // Spread over all nodes, whatever the target: dissemination is about every replica.
        const node = ctx.random.int(0, ctx.nodes - 1);
        if (ctx.random.chance(readShare)) return readOf(k, node);
        const value = uniqueValue(counter++, spec.valueSize);
        return { node, f: 'write', key: k, value, op: { f: 'write', key: k, value }, complete: (o) => outcomeEntry(o, value) };
      },
    };
  },
  isWrite: (f) => f === 'write',
  finalOps: (spec, node) => Array.from({ length: spec.keys }, (_, i) => readOf(key(spec, i), node)),
  check(input) {
    const verdicts: Verdict[] = [
      checkConvergence(convergenceInput(input)),
      checkLinearizability(input.history, { model: 'register', timeLimitMs: input.timeLimitMs }),
    ];
    return verdicts;
  },
  informational: (eventual) => (eventual ? ['linearizability'] : []),
};
