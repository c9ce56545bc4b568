/** The soak benchmark's streamed durability check: the durability checker's rule, on a window of each key's writes. */
import { describe, expect, it } from 'vitest';
import { StreamingDurability, type WriteOutcome } from '../../harness/bench/soak-check.js';

const ms = 1e6;
const w = (key: string, value: string, invoke: number, end: number, type: WriteOutcome['type'] = 'ok'): WriteOutcome => ({ key, value, invokeNs: invoke * ms, endNs: end * ms, type });

describe('streaming durability', () => {
  it('accepts a final value that is the last acknowledged write, or one running beside it', () => {
    const c = new StreamingDurability(30_000);
    c.record(w('k', 'a', 0, 10));
    c.record(w('k', 'b', 20, 30));
    c.record(w('k', 'c', 25, 40, 'info'));
    expect(c.verdict({ n1: { k: 'b' }, n2: { k: 'b' } }).valid).toBe(true);
    expect(c.verdict({ n1: { k: 'c' } }).valid).toBe(true);
  });

  it('finds an acknowledged write lost, a value never written, and nodes that disagree', () => {
    const c = new StreamingDurability(30_000);
    c.record(w('k', 'a', 0, 10));
    c.record(w('k', 'b', 20, 30));
    const lost = c.verdict({ n1: { k: 'a' } });
    expect(lost.valid).toBe(false);
    expect(lost.lost).toEqual([{ key: 'k', value: 'b', final: 'a' }]);
    expect(c.verdict({ n1: { k: 'zzz' } }).phantom).toEqual([{ key: 'k', final: 'zzz' }]);
    expect(c.verdict({ n1: { k: 'b' }, n2: { k: 'a' } }).disagree).toHaveLength(1);
    // A definitely failed write is not a value the key may hold.
    c.record(w('k', 'f', 40, 41, 'fail'));
    expect(c.verdict({ n1: { k: 'f' } }).phantom).toHaveLength(1);
  });

  it('keeps only a window of each key: a final value older than it loses every acknowledged write since', () => {
    const c = new StreamingDurability(1000);
    for (let i = 0; i < 10_000; i++) c.record(w('k', `v${i}`, i * 10, i * 10 + 5));
    expect(c.verdict({ n1: { k: 'v9999' } }).valid).toBe(true);
    const stale = c.verdict({ n1: { k: 'v9000' } });
    expect(stale.valid).toBe(false);
    expect(stale.lost.length).toBeGreaterThan(50);
    expect(stale.lost.length).toBeLessThanOrEqual(101);
    // Older still: past what it remembers of the key's values, it cannot tell it from an invented one; invalid either way.
    expect(c.verdict({ n1: { k: 'v100' } }).valid).toBe(false);
  });
});
