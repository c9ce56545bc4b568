import { describe, expect, it } from 'vitest';
import { checkLogSafety, type LeaderEvent, type RecoveredEvent } from '../../workloads/checkers/log-safety.js';
import type { AppliedRecord } from '../../workloads/checkers/convergence.js';

let t = 0;
const w = (node: string, at: number | undefined, key: string, value: number): AppliedRecord => ({ node, key, value, t: ++t, ...(at !== undefined && { at }) });
const leader = (node: string, term: number): LeaderEvent => ({ node, event: 'leader', term, t: ++t });
const start = (node: string, through: number): RecoveredEvent => ({ node, event: 'recovered', through, t: ++t });

describe('the invariants checker (state-machine and election safety from the traces)', () => {
  it('passes replicas that applied the same writes at every position, whatever order they traced them in', () => {
    const applied = [w('n1', 1, 'a', 1), w('n1', 2, 'b', 2), w('n1', 2, 'c', 3), w('n2', 1, 'a', 1), w('n3', 2, 'b', 2), w('n3', 2, 'c', 3), w('n2', 2, 'b', 2), w('n2', 2, 'c', 3)];
    const v = checkLogSafety({ applied, leaders: [leader('n1', 1), leader('n2', 2), leader('n2', 2)] })!;
    expect(v.valid).toBe(true);
    expect(v.stats).toMatchObject({ positions: 2, divergentPositions: 0, terms: 2, splitTerms: 0 });
  });

  it('finds two nodes that applied different writes at one position (a committed entry overwritten)', () => {
    const v = checkLogSafety({ applied: [w('n1', 7, 'k', 1), w('n2', 7, 'k', 2), w('n3', 7, 'k', 1)] })!;
    expect(v.valid).toBe(false);
    expect(v.summary).toContain('log position 7');
    expect(v.summary).toContain('n1 and n2 disagree');
    expect(v.stats.divergentPositions).toBe(1);
  });

  it('finds a node that applied one position differently after a restart', () => {
    const v = checkLogSafety({ applied: [w('n1', 3, 'k', 1), w('n1', 4, 'k', 5), w('n1', 3, 'k', 2)] })!;
    expect(v.valid).toBe(false);
    expect(v.summary).toContain('n1 applied it twice, differently');
  });

  it('finds two leaders in one term', () => {
    const v = checkLogSafety({ applied: [], leaders: [leader('n1', 4), leader('n3', 4), leader('n2', 5)] })!;
    expect(v.valid).toBe(false);
    expect(v.summary).toContain('term 4 had 2 leaders: n1, n3');
    expect(v.stats.splitTerms).toBe(1);
  });

  it('raises no false alarm on a trace cut short by a crash, or on writes without a position', () => {
    // n2 traced only the first write of position 5 before it died: a prefix, not a disagreement.
    const applied = [w('n1', 5, 'a', 1), w('n1', 5, 'b', 1), w('n2', 5, 'a', 1), w('n2', undefined, 'x', 9), w('n3', undefined, 'x', 8)];
    expect(checkLogSafety({ applied })!.valid).toBe(true);
    expect(checkLogSafety({ applied: [w('n1', undefined, 'x', 1)] })).toBeNull();
  });

  describe('no node forgets what it applied', () => {
    it('passes starts that each recovered at least what the node had applied before them', () => {
      const s1 = start('n1', 0);
      const applied = [w('n1', 1, 'a', 1), w('n1', 2, 'b', 2), w('n2', 1, 'a', 1)];
      const s2 = start('n1', 2);
      const later = [w('n1', 3, 'c', 3)];
      const s3 = start('n1', 5); // it had written more than it applied: fine
      const v = checkLogSafety({ applied: [...applied, ...later], recoveries: [s1, s2, s3, start('n2', 1)] })!;
      expect(v.valid).toBe(true);
      expect(v.stats).toMatchObject({ restartsChecked: 4, forgetfulRestarts: 0 });
      expect(v.summary).toContain('4 starts that each recovered all the node had applied');
    });

    it('finds a node that came back with less than it had applied (its disk or its recovery lost synced records)', () => {
      const applied = [w('n1', 1, 'a', 1), w('n1', 2, 'b', 2), w('n1', 3, 'c', 3), w('n2', 3, 'c', 3)];
      const v = checkLogSafety({ applied, recoveries: [start('n1', 1), start('n2', 3)] })!;
      expect(v.valid).toBe(false);
      expect(v.summary).toMatch(/^a node forgot what it applied: n1 applied log position 3 before its start #1, which recovered only through 1/);
      expect(v.stats.forgetfulRestarts).toBe(1);
    });

    it('judges each start by what was applied before it, not after (the same node applies more once it is back)', () => {
      const first = [w('n1', 1, 'a', 1)];
      const s = start('n1', 1);
      const v = checkLogSafety({ applied: [...first, w('n1', 2, 'b', 2), w('n1', 3, 'c', 3)], recoveries: [s] })!;
      expect(v.valid).toBe(true);
    });
  });
});
