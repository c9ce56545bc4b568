import { describe, expect, it } from 'vitest';
import { checkLogSafety, type LeaderEvent } from '../../workloads/checkers/log-safety.js';
import type { AppliedRecord } from '../../workloads/checkers/convergence.js';

let t = 0;
const w = (node: string, at: number | undefined, key: string, value: number): AppliedRecord => ({ node, key, value, t: ++t, ...(at !== undefined && { at }) });
const leader = (node: string, term: number): LeaderEvent => ({ node, event: 'leader', term, t: ++t });

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
});
