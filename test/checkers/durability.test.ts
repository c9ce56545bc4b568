/** Durability across crash and restart: an acknowledged write survives, or something later or concurrent replaced it. */
import { describe, expect, it } from 'vitest';
import { checkDurability } from '../../workloads/checkers/durability.js';
import type { DurabilityEvidence } from '../../workloads/checkers/verdict.js';
import { cas, history, write } from './build.js';

describe('durability', () => {
  it('the last acknowledged write is what the key holds after recovery', () => {
    const v = checkDurability({ history: history(write(0, 1, 0, 10, { key: 'x' }), write(0, 2, 20, 30, { key: 'x' })), final: { x: 2 } });
    expect(v.valid).toBe(true);
    expect(v.stats).toMatchObject({ acknowledgedWrites: 2, lostWrites: 0 });
  });

  it('a key that went back to an older value lost the newer acknowledged write', () => {
    const v = checkDurability({ history: history(write(0, 1, 0, 10, { key: 'x' }), write(3, 2, 20, 30, { key: 'x' })), final: { x: 1 } });
    expect(v.valid).toBe(false);
    expect((v.evidence as DurabilityEvidence).lost).toEqual([{ index: 2, process: 3, key: 'x', value: 2, start: 20, end: 30, final: 1 }]);
    expect(v.summary).toMatch(/1 acknowledged write was lost/);
  });

  it('a key that is empty after recovery lost its acknowledged write', () => {
    expect(checkDurability({ history: history(write(0, 1, 0, 10, { key: 'x' })), final: { x: null } }).valid).toBe(false);
  });

  it('a concurrent write may have won, even one whose outcome is unknown', () => {
    expect(checkDurability({ history: history(write(0, 1, 0, 10, { key: 'x' }), write(1, 2, 5, 15, { key: 'x' })), final: { x: 1 } }).valid).toBe(true);
    expect(checkDurability({ history: history(write(0, 1, 20, 30, { key: 'x' }), write(1, 2, 5, 6, { key: 'x', type: 'info' })), final: { x: 2 } }).valid).toBe(true);
  });

  it('a successful cas is an acknowledged write of its `to`', () => {
    const h = history(write(0, 1, 0, 10, { key: 'x' }), cas(0, 1, 2, 20, 30, { key: 'x' }));
    expect(checkDurability({ history: h, final: { x: 2 } }).valid).toBe(true);
    expect(checkDurability({ history: h, final: { x: 1 } }).valid).toBe(false);
  });

  it('a value nobody wrote (or only a failed write wrote) is a phantom', () => {
    const v = checkDurability({ history: history(write(0, 1, 0, 10, { key: 'x' }), write(1, 9, 20, 30, { key: 'x', type: 'fail' })), final: { x: 9, y: 'z' } });
    expect(v.valid).toBe(false);
    expect((v.evidence as DurabilityEvidence).phantom).toEqual([{ key: 'x', final: 9 }, { key: 'y', final: 'z' }]);
  });

  it('keys not read back are not judged', () => {
    const v = checkDurability({ history: history(write(0, 1, 0, 10, { key: 'x' }), write(0, 2, 20, 30, { key: 'y' })), final: { x: 1 } });
    expect(v.valid).toBe(true);
    expect(v.stats.uncheckedWrites).toBe(1);
  });
});
