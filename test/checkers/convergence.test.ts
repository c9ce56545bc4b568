/**
 * Convergence for gossip: same final state on every live node, no acknowledged write
 * forgotten (present, or superseded by last-writer-wins), time to reach every live node,
 * and the stale-read rate (Demers et al. 1987 measure epidemic spread the same way).
 */
import { describe, expect, it } from 'vitest';
import { checkConvergence, type AppliedRecord, type ConvergenceInput } from '../../workloads/checkers/convergence.js';
import type { ConvergenceEvidence } from '../../workloads/checkers/verdict.js';
import { history, read, write } from './build.js';

const MS = 1e6;
const held = (node: string, key: string, value: string, tMs: number, version?: number): AppliedRecord => ({ node, key, value, t: tMs * MS, ...(version !== undefined ? { version } : {}) });
const check = (input: Partial<ConvergenceInput> & Pick<ConvergenceInput, 'history'>) => checkConvergence({ applied: [], final: {}, ...input });

// Write x=v1 acknowledged at 10 ms; n1 holds it at 8 ms, n2 at 25 ms.
const oneWrite = history(write(0, 'v1', 5 * MS, 10 * MS, { key: 'x' }));
const spread = [held('n1', 'x', 'v1', 8), held('n2', 'x', 'v1', 25)];

describe('final state', () => {
  it('every live node holds the acknowledged write: valid, with the time until the last one had it', () => {
    const v = check({ history: oneWrite, applied: spread, final: { n1: { x: 'v1' }, n2: { x: 'v1' } } });
    expect(v.valid).toBe(true);
    expect(v.samples!.convergenceMs).toEqual([15]);
    expect(v.stats).toMatchObject({ liveNodes: 2, acknowledgedWrites: 1, convergenceMaxMs: 15, lostWrites: 0 });
  });

  it('live nodes that end with different values diverged', () => {
    const v = check({ history: oneWrite, applied: [...spread, held('n2', 'x', 'v0', 30, undefined)], final: { n1: { x: 'v1' }, n2: { x: 'v0' } } });
    expect(v.valid).toBe(false);
    expect((v.evidence as ConvergenceEvidence).divergent).toEqual([{ key: 'x', values: { n1: 'v1', n2: 'v0' } }]);
  });

  it('an acknowledged write missing everywhere, with nothing newer, was lost', () => {
    const v = check({ history: oneWrite, applied: [held('n1', 'x', 'v1', 8)], final: { n1: {}, n2: {} } });
    expect(v.valid).toBe(false);
    expect((v.evidence as ConvergenceEvidence).lost).toEqual([{ index: 0, key: 'x', value: 'v1', final: null }]);
    expect(v.stats.unconvergedWrites).toBe(1);
  });

  it('a write superseded by a newer one (last-writer-wins) is not lost; it converged when the newer value arrived', () => {
    const h = history(write(0, 'v1', 5 * MS, 10 * MS, { key: 'x' }), write(1, 'v2', 6 * MS, 12 * MS, { key: 'x' }));
    const applied = [held('n1', 'x', 'v1', 8, 1), held('n1', 'x', 'v2', 11, 2), held('n2', 'x', 'v2', 40, 2)];
    const v = check({ history: h, applied, final: { n1: { x: 'v2' }, n2: { x: 'v2' } } });
    expect(v.valid).toBe(true);
    expect(v.samples!.convergenceMs).toEqual([28, 30]);
  });

  it('a node that kept an older version while claiming to be done lost the newer write', () => {
    const h = history(write(0, 'v1', 5 * MS, 10 * MS, { key: 'x' }), write(1, 'v2', 20 * MS, 22 * MS, { key: 'x' }));
    const applied = [held('n1', 'x', 'v1', 8, 1), held('n1', 'x', 'v2', 21, 2)];
    const v = check({ history: h, applied, final: { n1: { x: 'v1' } } });
    expect(v.valid).toBe(false);
    expect((v.evidence as ConvergenceEvidence).lost.map((l) => l.value)).toEqual(['v2']);
  });
});

describe('bound after healing', () => {
  it('a write reaching the last live node later than the bound after healing is late', () => {
    const v = check({ history: oneWrite, applied: spread, final: { n1: { x: 'v1' }, n2: { x: 'v1' } }, boundMs: 10 });
    expect(v.valid).toBe(false);
    expect((v.evidence as ConvergenceEvidence).late).toEqual([{ index: 0, key: 'x', value: 'v1', convergedMs: 15, deadlineMs: 10 }]);
  });

  it('the deadline counts from when the faults healed', () => {
    const v = check({ history: oneWrite, applied: spread, final: { n1: { x: 'v1' }, n2: { x: 'v1' } }, boundMs: 10, healedAt: 20 * MS });
    expect(v.valid).toBe(true);
  });
});

describe('stale reads', () => {
  it('counts reads that returned a value older than a write acknowledged before they began', () => {
    const h = history(
      write(0, 'v1', 5 * MS, 10 * MS, { key: 'x' }),
      read(1, null, 11 * MS, 12 * MS, { key: 'x' }), // stale: v1 was acknowledged
      read(1, 'v1', 13 * MS, 14 * MS, { key: 'x' }),
      read(2, null, 6 * MS, 7 * MS, { key: 'x' }), // concurrent with the write: not stale
    );
    const v = check({ history: h, applied: spread, final: { n1: { x: 'v1' }, n2: { x: 'v1' } } });
    expect(v.stats).toMatchObject({ reads: 3, staleReads: 1, staleReadRate: 0.333 });
    expect(v.valid).toBe(true);
  });
});
