/**
 * The simulator's reason to exist: it finds a protocol bug, says what it saw, and shrinks
 * the failing case to a smaller one that still fails. The bug here is the oldest in the
 * book, quorum arithmetic one short (a "majority" of 2 in a cluster of 5), planted in a
 * subclass of the real Raft core so the shipped code stays correct.
 */
import { describe, expect, it } from 'vitest';
import { RaftCore } from '../../nodes/raft/core.js';
import { raft } from '../../nodes/raft/index.js';
import type { Algorithm } from '../../nodes/common/runtime.js';
import { workloadByName } from '../../workloads/registry.js';
import { runCase } from '../../harness/sim/run-case.js';
import { caseFor } from '../../harness/sim/case-template.js';
import { shrink } from '../../harness/sim/shrink.js';
import { simCase } from './helpers.js';

class ShortQuorumRaft extends RaftCore {}
Object.defineProperty(ShortQuorumRaft.prototype, 'quorum', {
  get(this: { peers: string[] }) {
    return Math.floor((this.peers.length + 1) / 2);
  },
});
const broken: Algorithm = { ...(raft as unknown as Algorithm), create: (ctx) => new ShortQuorumRaft(ctx as never) };

describe('the simulator finds a planted bug and shrinks it', () => {
  it('finds split brain from a quorum one short within a few seeds, and shrinks the case to fewer faults and operations', async () => {
    const modules = { algorithm: broken, workload: await workloadByName('kv') };
    const template = { base: simCase({ algo: 'raft', duration: 8000 }), nemesis: ['partition' as const], faultGapMs: 700 };
    let failing: { seed: number; failed: string[] } | null = null;
    for (let seed = 1; seed <= 40 && !failing; seed++) {
      const r = runCase(caseFor(template, seed), modules);
      if (r.verdict === 'invalid') failing = { seed, failed: r.failed };
    }
    expect(failing, 'no seed of 40 found the planted bug').not.toBeNull();
    const original = caseFor(template, failing!.seed);
    const shrunk = shrink(original, failing!.failed, modules, { maxAttempts: 60, maxWallMs: 120_000 });
    expect(shrunk.result.verdict).toBe('invalid');
    expect(shrunk.result.failed.some((f) => failing!.failed.includes(f))).toBe(true);
    expect(shrunk.steps.length).toBeGreaterThan(0);
    const size = (c: typeof original) => c.scenario.faults.length * 1e6 + c.scenario.duration * (c.scenario.rate ?? c.scenario.clients);
    expect(size(shrunk.case)).toBeLessThan(size(original));
    // The same code without the bug passes the shrunk case.
    const fixed = runCase(shrunk.case, { ...modules, algorithm: raft as unknown as Algorithm });
    expect(fixed.verdict).toBe('valid');
  });
});
