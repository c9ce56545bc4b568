/**
 * How hard the fuzzers search. Under `npm test` each runs a fixed seed and a few dozen
 * cases, a few seconds in all; `npm run fuzz` (vitest --mode fuzz) runs FUZZ_SCALE times
 * as many. PARLEY_FUZZ_SCALE and PARLEY_FUZZ_SEED override both, to search longer or
 * elsewhere; a failure prints the seed and the path that replay it.
 */
import type fc from 'fast-check';

const FIXED_SEED = 20_240_611;
const FUZZ_SCALE = 25;

// vitest exposes its --mode as MODE.
const longRun = process.env.MODE === 'fuzz';

function envNumber(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name}=${text}: expected a whole number`);
  return n;
}

export const fuzzScale = envNumber('PARLEY_FUZZ_SCALE') ?? (longRun ? FUZZ_SCALE : 1);
export const fuzzSeed = envNumber('PARLEY_FUZZ_SEED') ?? FIXED_SEED;

/** fast-check parameters for a property that runs `runs` cases under `npm test`. */
export function fuzzRuns<T>(runs: number): fc.Parameters<T> {
  return { seed: fuzzSeed, numRuns: Math.max(1, Math.round(runs * fuzzScale)), endOnFailure: true };
}

/** A vitest timeout for a fuzz test that takes about `ms` under `npm test`, scaled with it. */
export function fuzzTimeout(ms: number): number {
  return ms * Math.max(1, fuzzScale);
}
