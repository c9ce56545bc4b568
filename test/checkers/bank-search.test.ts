/**
 * The bank checker's search on its own: is a residual the sum of some subset of the
 * transfers that may be in a read? Small instances are compared with trying every subset,
 * so every 'yes' and every 'no' is checked against the truth.
 */
import { describe, expect, it } from 'vitest';
import { Random } from '../../nodes/common/random.js';
import { explain, type Movable } from '../../workloads/checkers/bank-search.js';

function movable(dims: number, from: number, to: number, amount: number, likely = false): Movable {
  const delta = new Float64Array(dims);
  delta[from]! -= amount;
  delta[to]! += amount;
  return { from, to, amount, delta, likely };
}

function sumOf(dims: number, items: readonly Movable[], chosen: readonly number[]): Float64Array {
  const out = new Float64Array(dims);
  for (const j of chosen) for (let a = 0; a < dims; a++) out[a]! += items[j]!.delta[a]!;
  return out;
}

function bruteForce(residual: Float64Array, items: readonly Movable[]): boolean {
  for (let m = 0; m < 1 << items.length; m++) {
    const chosen = items.map((_, j) => j).filter((j) => (m & (1 << j)) !== 0);
    if (sumOf(residual.length, items, chosen).every((x, a) => x === residual[a])) return true;
  }
  return false;
}

describe('explaining a residual', () => {
  it('agrees with trying every subset on 3000 random small instances, and its explanations add up', () => {
    const rng = Random.derive(11, 'bank-search');
    const seen = { yes: 0, no: 0 };
    for (let trial = 0; trial < 3000; trial++) {
      const dims = rng.int(2, 6);
      const items = Array.from({ length: rng.int(0, 12) }, () => {
        const from = rng.int(0, dims - 1);
        let to = rng.int(0, dims - 2);
        if (to >= from) to++;
        return movable(dims, from, to, rng.int(1, 5), rng.chance(0.5));
      });
      const truth = items.map((_, j) => j).filter(() => rng.chance(0.5));
      const residual = sumOf(dims, items, truth);
      // Half the time, disturb it in a way that keeps the total (a transfer applied twice, or made up).
      if (rng.chance(0.5)) {
        const from = rng.int(0, dims - 1);
        const to = (from + 1 + rng.int(0, dims - 2)) % dims;
        const amount = rng.int(1, 5);
        residual[from]! -= amount;
        residual[to]! += amount;
      }
      const expected = bruteForce(residual, items);
      const answer = explain(residual, items, 100_000);
      expect(answer.result, `trial ${trial}`).toBe(expected ? 'yes' : 'no');
      if (answer.result === 'yes') expect([...sumOf(dims, items, answer.chosen)]).toEqual([...residual]);
      seen[expected ? 'yes' : 'no']++;
    }
    expect(seen.yes).toBeGreaterThan(500);
    expect(seen.no).toBeGreaterThan(500);
  });

  it('refutes at once a transfer applied twice on accounts no open transfer touches, among 200 that may be in the read', () => {
    const dims = 8;
    const rng = Random.derive(3, 'bank-search-refute');
    const items = Array.from({ length: 200 }, () => movable(dims, rng.int(0, 3), rng.int(4, 5), rng.int(1, 5)));
    const residual = sumOf(dims, items, items.map((_, j) => j).filter((j) => j % 3 === 0));
    residual[6]! -= 4;
    residual[7]! += 4;
    const answer = explain(residual, items, 100_000);
    expect(answer).toMatchObject({ result: 'no' });
    expect(answer.steps).toBeLessThan(10);
  });

  it('refutes a half unit when every amount is whole, however many transfers are open', () => {
    const dims = 4;
    const items = Array.from({ length: 120 }, (_, j) => movable(dims, j % 4, (j + 1) % 4, (j % 5) + 1));
    const residual = Float64Array.from([0.5, -0.5, 0, 0]);
    expect(explain(residual, items, 100_000).result).toBe('no');
  });

  it('explains with fractional amounts, and says unknown rather than guess when the budget is spent', () => {
    const items = [movable(2, 0, 1, 0.25), movable(2, 0, 1, 0.5), movable(2, 1, 0, 0.125)];
    expect(explain(Float64Array.from([-0.625, 0.625]), items, 100_000).result).toBe('yes');
    expect(explain(Float64Array.from([-0.375, 0.375]), items, 100_000).result).toBe('yes');
    expect(explain(Float64Array.from([-0.0625, 0.0625]), items, 100_000).result).toBe('no');
    // Four transfers (more than the quick look flips) explain it; one step of search does not.
    const binary = [1, 2, 4, 8].map((x) => movable(2, 0, 1, x));
    expect(explain(Float64Array.from([-15, 15]), binary, 1).result).toBe('unknown');
    expect(explain(Float64Array.from([-15, 15]), binary, 100_000).result).toBe('yes');
  });
});
