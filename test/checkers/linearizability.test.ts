/**
 * The linearizability checker against histories with known answers: the classic traps
 * (Herlihy & Wing 1990's definition; Jepsen's and Porcupine's test cases are of these
 * kinds), a brute-force oracle on thousands of random tiny histories, and simulated
 * correct registers with and without a planted bug.
 */
import { describe, expect, it } from 'vitest';
import { Random } from '../../nodes/common/random.js';
import type { HistoryEvent, JsonValue } from '../../workloads/history.js';
import { checkLinearizability } from '../../workloads/checkers/linearizability/index.js';
import { simulateRegisterHistory } from '../../workloads/checkers/simulated-register.js';
import type { LinearizabilityEvidence } from '../../workloads/checkers/verdict.js';
import { cas, history, read, write } from './build.js';
import { plantFutureRead, plantStaleRead } from './mutations.js';
import { fuzzScale } from '../fuzz/settings.js';
import { referenceLinearizable } from './reference-register.js';

const check = (h: HistoryEvent[], model: 'register' | 'cas-register' = 'cas-register') => checkLinearizability(h, { model, timeLimitMs: 30_000 });

describe('classic traps', () => {
  it('a read after a completed write must see it, not the value before (stale read)', () => {
    const v = check(history(write(0, 1, 0, 10), write(0, 2, 20, 30), read(1, 1, 40, 50)), 'register');
    expect(v.valid).toBe(false);
    const e = v.evidence as LinearizabilityEvidence;
    expect(e.kind).toBe('linearizability');
    expect(e.stuck).toMatchObject({ f: 'read', result: 1, process: 1, role: 'stuck' });
    expect(e.stateBefore).toBe(2);
    expect(e.linearized).toBe(2);
    // The window ends the prefix at the write that set the value the read should have seen.
    expect(e.order).toEqual([2]);
    expect(e.window.map((w) => [w.index, w.role])).toEqual([[2, 'linearized'], [4, 'stuck']]);
    expect(v.summary).toMatch(/no order explains process 1 read → 1/);
  });

  it('a read of a value nobody wrote is invalid; a read of null before any write is not', () => {
    expect(check(history(write(0, 1, 0, 10), read(1, 3, 20, 30))).valid).toBe(false);
    expect(check(history(read(1, null, 0, 5), write(0, 1, 10, 20), read(1, 1, 30, 40))).valid).toBe(true);
  });

  it('an acknowledged write cannot be lost: reading null after it completed is invalid', () => {
    expect(check(history(write(0, 1, 0, 10), read(1, null, 20, 30))).valid).toBe(false);
  });

  it('concurrent writes may be ordered either way, but once both completed the order is fixed', () => {
    const writes = [write(0, 1, 0, 10), write(1, 2, 5, 15)];
    expect(check(history(...writes, read(2, 1, 20, 30))).valid).toBe(true);
    expect(check(history(...writes, read(2, 2, 20, 30))).valid).toBe(true);
    expect(check(history(...writes, read(2, 1, 20, 25), read(2, 2, 30, 35))).valid).toBe(false);
  });

  it('a read concurrent with a write may see the old or the new value, and the first new read pins it', () => {
    const w = write(0, 1, 0, 100);
    expect(check(history(w, read(1, null, 10, 20), read(1, 1, 30, 40), read(2, 1, 50, 60))).valid).toBe(true);
    expect(check(history(w, read(1, 1, 10, 20), read(1, null, 30, 40))).valid).toBe(false);
  });

  it('a timed-out cas is considered both ways: applied, not yet applied, or never', () => {
    const timedOut = cas(0, null, 1, 0, 5, { type: 'info', error: 'timeout' });
    expect(check(history(timedOut, read(1, 1, 10, 20))).valid).toBe(true);
    expect(check(history(timedOut, read(1, null, 10, 20))).valid).toBe(true);
    expect(check(history(timedOut, read(1, null, 10, 20), read(1, 1, 30, 40))).valid).toBe(true);
    // Neither way works: applied contradicts the second read, not applied the first.
    expect(check(history(timedOut, read(1, 1, 10, 20), read(1, null, 30, 40))).valid).toBe(false);
  });

  it('an info op may take effect after the history ends, or never: an invoke without completion is one', () => {
    expect(check(history(write(0, 1, 0), read(1, null, 10, 20), read(1, null, 30, 40))).valid).toBe(true);
    expect(check(history(write(0, 1, 0), read(1, 1, 10, 20))).valid).toBe(true);
  });

  it('a precondition-failed cas proves the value differed from `from` at some point in its interval', () => {
    // Nothing but 1 was ever in the register during the cas: the failure is a lie.
    expect(check(history(write(0, 1, 0, 10), cas(1, 1, 2, 20, 30, { type: 'fail', error: 'precondition' }))).valid).toBe(false);
    // A concurrent write of 3 explains it...
    expect(check(history(write(0, 1, 0, 10), write(2, 3, 15, 25), cas(1, 1, 2, 20, 30, { type: 'fail', error: 'precondition' }))).valid).toBe(true);
    // ...but then 3 was there, and a later read of 1 has no writer.
    expect(
      check(history(write(0, 1, 0, 10), write(2, 3, 15, 25), cas(1, 1, 2, 20, 30, { type: 'fail', error: 'precondition' }), read(1, 1, 40, 50))).valid,
    ).toBe(false);
  });

  it('a precondition failure may be explained by a timed-out write, which then must have happened', () => {
    const base = [write(0, 1, 0, 10), write(2, 5, 12, 14, { type: 'info' }), cas(1, 1, 2, 20, 30, { type: 'fail', error: 'precondition' })];
    expect(check(history(...base)).valid).toBe(true);
    expect(check(history(...base, read(1, 1, 40, 50))).valid).toBe(false);
    expect(check(history(...base, read(1, 5, 40, 50))).valid).toBe(true);
  });

  it('other failures did not happen: a failed write is never seen', () => {
    expect(check(history(write(0, 1, 0, 10, { type: 'fail', error: 'unavailable' }), read(1, 1, 20, 30))).valid).toBe(false);
    expect(check(history(cas(0, null, 1, 0, 10, { type: 'fail', error: 'unavailable' }), read(1, 1, 20, 30))).valid).toBe(false);
  });

  it('a successful cas needs `from` in the register', () => {
    expect(check(history(write(0, 1, 0, 10), cas(1, 1, 2, 20, 30), read(2, 2, 40, 50))).valid).toBe(true);
    expect(check(history(write(0, 1, 0, 10), cas(1, 7, 2, 20, 30))).valid).toBe(false);
  });

  it('operations touching at one instant are concurrent (the clocks cannot order them)', () => {
    expect(check(history(write(0, 1, 0, 10), read(1, null, 10, 20))).valid).toBe(true);
    expect(check(history(write(0, 1, 0, 10), read(1, null, 11, 20))).valid).toBe(false);
  });

  it('keys are independent: a violation names its key', () => {
    const v = check(history(write(0, 1, 0, 10, { key: 'a' }), write(1, 1, 0, 10, { key: 'b' }), read(2, 1, 20, 30, { key: 'a' }), read(3, null, 20, 30, { key: 'b' })));
    expect(v.valid).toBe(false);
    expect((v.evidence as LinearizabilityEvidence).key).toBe('b');
    expect(v.stats.keys).toBe(2);
  });

  it('values are compared with their JSON type: 1 and "1" differ', () => {
    expect(check(history(write(0, 1, 0, 10), read(1, '1', 20, 30))).valid).toBe(false);
    expect(check(history(write(0, true, 0, 10), read(1, true, 20, 30))).valid).toBe(true);
  });

  it('hundreds of unobserved timed-out writes do not blow up the search', () => {
    const ops = [write(0, 0, 0, 10)];
    for (let i = 1; i <= 300; i++) ops.push(write(i, 1000 + i, 20 + i, 21 + i, { type: 'info' }));
    for (let i = 0; i < 50; i++) ops.push(read(400 + i, i % 2 === 0 ? 0 : 1007, 400 + 10 * i, 405 + 10 * i));
    const v = check(history(...ops));
    // 1007 must have landed after the first read of 0 and before the read of 1007 ...; then 0 again has no writer.
    expect(v.valid).toBe(false);
    // Effort, not time: without pinning and pruning the 300 unobserved writes would cost 2^300 configurations.
    expect(v.stats.configurations).toBeLessThan(1000);
    const ok = check(history(...ops.slice(0, 301), read(500, 1007, 400, 405), read(501, 1200, 410, 415)));
    expect(ok.valid).toBe(true);
    expect(ok.stats.pruned).toBeGreaterThanOrEqual(298);
  });
});

describe('bad input', () => {
  it('rejects a cas under the register model, naming the event and field', () => {
    expect(() => check(history(write(0, 1, 0, 10), cas(1, 1, 2, 20, 30)), 'register')).toThrow(/event 3, field "f": the register model has read and write only/);
  });

  it('rejects a cas whose value is not [from, to], and a read without a result', () => {
    expect(() => check(history({ p: 0, f: 'cas', v: 5, start: 0, end: 1 }))).toThrow(/field "value": a cas takes \[from, to\]/);
    expect(() => check(history({ p: 0, f: 'read', r: { x: 1 }, start: 0, end: 1 }))).toThrow(/field "value": a read's ok value/);
  });

  it('rejects an operation the model does not know', () => {
    expect(() => check(history({ p: 0, f: 'append', v: 1, start: 0, end: 1 }))).toThrow(/field "f": "append" is not an operation/);
  });
});

describe('budget', () => {
  // 16 concurrent writes force the search through every subset before it can refute the reads.
  const hard = (): HistoryEvent[] => {
    const ops = [];
    for (let i = 0; i < 16; i++) ops.push(write(i, i + 1, 0, 100));
    ops.push(read(20, 1, 200, 210), read(20, 2, 220, 230), read(20, 1, 240, 250));
    return history(...ops);
  };

  it('answers unknown when the time limit passes, never a guess', () => {
    const v = checkLinearizability(hard(), { model: 'register', timeLimitMs: 1 });
    expect(v.valid).toBe('unknown');
    expect(v.evidence).toMatchObject({ kind: 'unknown', reason: 'time-limit' });
  });

  it('answers unknown when the memo is full', () => {
    const v = checkLinearizability(hard(), { model: 'register', memoLimitMiB: 0.01 });
    expect(v.valid).toBe('unknown');
    expect(v.evidence).toMatchObject({ kind: 'unknown', reason: 'state-limit' });
  });

  it('decides the same history given the time', () => {
    expect(checkLinearizability(hard(), { model: 'register', timeLimitMs: 60_000 }).valid).toBe(false);
  });
});

describe('agrees with a brute-force oracle on random tiny histories', () => {
  const randomHistory = (seed: number, uniqueValues: boolean): HistoryEvent[] => {
    const rng = new Random(seed);
    const small: JsonValue[] = seed % 2 ? [null, 1, 2] : [null, 1, 2, 3];
    const written: JsonValue[] = [null];
    const fresh = (): JsonValue => (uniqueValues ? (written.push(written.length + 10), written[written.length - 1]!) : rng.pick(small.slice(1)));
    const free = [0, 0, 0];
    const ops = [];
    for (let i = 0, n = rng.int(2, 8); i < n; i++) {
      const p = rng.int(0, 2);
      const start = Math.max(free[p]!, rng.int(0, 10));
      const end = start + rng.int(0, 6);
      free[p] = end + 1;
      const roll = rng.float();
      const type = roll < 0.55 ? 'ok' : roll < 0.85 ? 'info' : 'fail';
      const f = rng.pick(['read', 'write', 'cas'] as const);
      const seen = uniqueValues ? rng.pick(written) : rng.pick(small);
      const extra = { type, ...(type === 'fail' && f === 'cas' && rng.chance(0.8) ? { error: 'precondition' } : {}) } as const;
      if (f === 'read') ops.push(read(p, type === 'ok' ? seen : null, start, end, extra));
      else if (f === 'write') ops.push(write(p, fresh(), start, end, extra));
      else ops.push(cas(p, uniqueValues ? rng.pick(written) : rng.pick(small), fresh(), start, end, extra));
    }
    return history(...ops);
  };

  // 1,000 per kind in npm test; `npm run fuzz` (or PARLEY_FUZZ_SCALE) runs more.
  const HISTORIES = 1000 * fuzzScale;
  for (const unique of [false, true]) {
    it(`${unique ? 'unique' : 'repeated'} values, ${HISTORIES} histories`, () => {
      let invalid = 0;
      for (let seed = 0; seed < HISTORIES; seed++) {
        const h = randomHistory(seed, unique);
        const expected = referenceLinearizable(h);
        const got = check(h).valid;
        if (got !== expected) throw new Error(`seed ${seed}: checker says ${got}, oracle ${expected}: ${JSON.stringify(h)}`);
        if (!expected) invalid++;
      }
      // Both answers must be well represented, or the comparison proves little.
      expect(invalid).toBeGreaterThan(HISTORIES * 0.2);
      expect(invalid).toBeLessThan(HISTORIES * 0.8);
    });
  }
});

describe('simulated correct registers', () => {
  const seeds = Array.from({ length: 25 }, (_, i) => i + 1);

  it.each(['register', 'cas-register'] as const)('%s histories with timeouts are linearizable (25 seeds)', (model) => {
    for (const seed of seeds) {
      const h = simulateRegisterHistory({ seed, operations: 600, clients: 8, keys: 3, model, timeoutRate: 0.08 });
      const v = check(h, model);
      expect(v.valid, `seed ${seed}: ${v.summary}`).toBe(true);
      expect(v.stats.infoOperations).toBeGreaterThan(0);
    }
  });

  it.each(['register', 'cas-register'] as const)('one planted stale or future read makes a %s history invalid (25 seeds each)', (model) => {
    for (const seed of seeds) {
      const h = simulateRegisterHistory({ seed, operations: 600, clients: 8, keys: 3, model, timeoutRate: 0.08 });
      for (const plant of [plantStaleRead, plantFutureRead]) {
        const m = plant(h, seed);
        expect(m, `seed ${seed}: nothing to mutate`).toBeDefined();
        const v = check(m!.events, model);
        expect(v.valid, `seed ${seed} ${plant.name}`).toBe(false);
        expect((v.evidence as LinearizabilityEvidence).key).toBe(m!.key);
      }
    }
  });
});
