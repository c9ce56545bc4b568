/**
 * Convergence for gossip: same final state on every live node, no acknowledged write
 * forgotten (present, or superseded by last-writer-wins), time to reach every live node,
 * and the stale-read rate (Demers et al. 1987 measure epidemic spread the same way).
 */
import { describe, expect, it } from 'vitest';
import { checkConvergence, type AppliedRecord, type ConvergenceInput, type SettleReport } from '../../workloads/checkers/convergence.js';
import type { LoadSample } from '../../workloads/checkers/starvation.js';
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

describe('a value its node holds but never traced', () => {
  // Gossip seed 677: n1 makes its own write v2 durable and is killed before the trace line
  // (and the 200) go out; it recovers v2 at restart, untraced, and v2 spreads from there.
  // v2 wins over v1 by last-writer-wins, so n1 holds v1 "or newer" from restart on.
  const h = history(
    write(0, 'v1', 5 * MS, 10 * MS, { key: 'x', node: 'n2' }),
    write(1, 'v2', 4 * MS, undefined, { key: 'x', node: 'n1' }), // n1 killed: outcome unknown
    read(9, 'v2', 59 * MS, 60 * MS, { key: 'x', node: 'n1' }), // the final reads
    read(9, 'v2', 61 * MS, 62 * MS, { key: 'x', node: 'n2' }),
  );
  const applied = [held('n2', 'x', 'v1', 9, 1), held('n2', 'x', 'v2', 40, 2)];
  const final = { n1: { x: 'v2' }, n2: { x: 'v2' } };

  it('a read on the node that returned it (or newer) shows the node held it by then', () => {
    const v = check({ history: h, applied, final, boundMs: 100 });
    expect(v.valid).toBe(true);
    expect(v.stats).toMatchObject({ acknowledgedWrites: 1, unconvergedWrites: 0, lateWrites: 0 });
    expect(v.samples!.convergenceMs).toEqual([50]);
  });

  it('that read is a time, not an excuse: past the bound it is late', () => {
    const v = check({ history: h, applied, final, boundMs: 20 });
    expect(v.valid).toBe(false);
    expect((v.evidence as ConvergenceEvidence).late).toEqual([{ index: 1, key: 'x', value: 'v1', convergedMs: 50, deadlineMs: 20 }]);
  });

  it('the trace, when it has the value, is the time; a read on another node proves nothing here', () => {
    const traced = [...applied, held('n1', 'x', 'v1', 70, 1)];
    const v = check({ history: h, applied: traced, final, boundMs: 100 });
    expect(v.samples!.convergenceMs).toEqual([60]);
    const elsewhere = h.map((e) => (e.f === 'read' ? { ...e, node: 'n2' } : e));
    expect(check({ history: elsewhere, applied, final, boundMs: 100 }).stats.unconvergedWrites).toBe(1);
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

describe('slow or wrong: how the replicas settled, and whether the machine was starved', () => {
  // One interval per second over the first 100 s: the system waited for a CPU 90% (starved)
  // or 1% (idle) of the time it was ready to run.
  const machine = (waitShare: number): LoadSample[] =>
    Array.from({ length: 100 }, (_, i) => ({
      from: i * 1000 * MS, to: (i + 1) * 1000 * MS, waitNs: waitShare * 100 * MS, execNs: (1 - waitShare) * 100 * MS,
      harnessLagP99Ms: 5, harnessLagMaxMs: 8, nodeLagP99Ms: null, runnablePerCore: waitShare > 0.5 ? 6 : 0.5, stealShare: 0, loadPerCore: waitShare > 0.5 ? 6 : 0.5,
    }));
  const settle = (outcome: SettleReport['outcome']): SettleReport => ({ outcome, from: 20 * MS, to: 80_020 * MS, lastChange: 79_000 * MS, boundMs: 10_000, quietMs: 5000 });
  // x=v1 reached n1 only: n2 still shows nothing.
  const halfway = { history: oneWrite, applied: [held('n1', 'x', 'v1', 8)], final: { n1: { x: 'v1' }, n2: { x: null } }, healedAt: 20 * MS };

  it('replicas still changing when the wait ended on a starved machine: undecided, with the machine as evidence', () => {
    const v = check({ ...halfway, settle: settle('still-changing'), machine: machine(0.9) });
    expect(v.valid).toBe('unknown');
    expect(v.starved).toMatchObject({ runQueueWaitShare: 0.9 });
    expect(v.starved!.reasons[0]).toMatch(/waited for a CPU 90% of the time/);
    expect(v.summary).toMatch(/still changing when the wait ended 80 s after healing.*The machine was starved: .*90%.*Slow, not shown wrong; no write is gone/);
    expect(v.stats).toMatchObject({ divergentKeys: 1, pendingWrites: 1, lostWrites: 0 });
    expect((v.evidence as ConvergenceEvidence).settle).toEqual({ outcome: 'still-changing', waitedMs: 80_000, boundMs: 10_000 });
  });

  it('replicas that stopped changing and differ: a violation, starved or not', () => {
    for (const share of [0.9, 0.01]) {
      const v = check({ ...halfway, settle: settle('stopped-changing'), machine: machine(share) });
      expect(v.valid).toBe(false);
      expect(v.summary).toMatch(/1 keys differ between live nodes, after they stopped changing/);
    }
  });

  it('replicas still changing at the end of the wait on a machine that was not starved: a violation', () => {
    const v = check({ ...halfway, settle: settle('still-changing'), machine: machine(0.01) });
    expect(v.valid).toBe(false);
    expect(v.summary).toMatch(/still changing 80 s after healing on a machine that was not starved/);
    expect(v.starved).toBeUndefined();
  });

  it('an acknowledged write gone from every live node is a violation even on a starved machine', () => {
    const v = check({ history: oneWrite, applied: [held('n1', 'x', 'v1', 8)], final: { n1: { x: null }, n2: { x: null } }, settle: settle('still-changing'), machine: machine(0.9) });
    expect(v.valid).toBe(false);
    expect(v.stats).toMatchObject({ lostWrites: 1 });
  });

  it('a write late against the bound is undecided while the machine was starved, a violation while it was not', () => {
    const late = { history: oneWrite, applied: spread, final: { n1: { x: 'v1' }, n2: { x: 'v1' } }, boundMs: 10 };
    const starved = check({ ...late, machine: machine(0.9) });
    expect(starved.valid).toBe('unknown');
    expect((starved.evidence as ConvergenceEvidence).late).toEqual([{ index: 0, key: 'x', value: 'v1', convergedMs: 15, deadlineMs: 10, starved: true }]);
    expect(starved.stats).toMatchObject({ lateWrites: 0, lateWhileStarved: 1 });
    expect(check({ ...late, machine: machine(0.01) }).valid).toBe(false);
  });

  it('a key that could not be read back on a live node is unknown there, not null', () => {
    const v = check({ ...halfway, unread: [{ node: 'n2', key: 'x' }], settle: settle('agreed') });
    expect(v.valid).toBe('unknown');
    expect((v.evidence as ConvergenceEvidence).unread).toEqual([{ node: 'n2', key: 'x' }]);
    expect(v.stats).toMatchObject({ divergentKeys: 0, lostWrites: 0, unreadKeys: 1 });
  });

  it('with no live node read back there is nothing to judge: undecided, never a pass', () => {
    const v = check({ history: oneWrite, applied: spread, final: {} });
    expect(v.valid).toBe('unknown');
    expect(v.summary).toMatch(/no live node was read back/);
  });

  it('converged on a starved machine: valid, with its times marked as measured there', () => {
    const v = check({ history: oneWrite, applied: spread, final: { n1: { x: 'v1' }, n2: { x: 'v1' } }, healedAt: 20 * MS, settle: settle('agreed'), machine: machine(0.9) });
    expect(v.valid).toBe(true);
    expect(v.starved).toBeDefined();
    expect(v.summary).toMatch(/times measured on a starved machine/);
  });
});
