/**
 * A parley node that died of a bug it detected itself is a verdict (harness/node-deaths.ts);
 * any other death stays a run that could not finish.
 */
import { describe, expect, it } from 'vitest';
import { deathVerdicts, foldDeaths } from '../../harness/node-deaths.js';
import type { Verdict } from '../../workloads/checkers/verdict.js';

const exit = (name: string, ...logTail: string[]) => ({ name, exitCode: 1, signal: undefined, logTail });
const own = { ownNodes: true, fsync: true };

describe('deaths of parley nodes', () => {
  it('a core that stopped on its own assertion: the invariants are violated', () => {
    // As Node prints an uncaught error: the source line that threw (a template) comes first.
    const v = deathVerdicts(
      [exit('n4', 'file:///x/core.js:413', '        throw new Error(`raft invariant: leader ${from} conflicts with committed entry ${index}`);', '        ^', '', 'Error: raft invariant: leader n5 conflicts with committed entry 1921', '    at RaftCore.onAppend')],
      own,
    );
    expect(v).toEqual([expect.objectContaining({ checker: 'invariants', valid: false })]);
    expect(v[0]!.summary).toBe('n4 stopped on its own assertion: raft invariant: leader n5 conflicts with committed entry 1921');
  });

  it('a node that cannot start on its own files after allowed crashes: durability is violated (with fsync on only)', () => {
    const line = 'parley node n3: /tmp/run/data/n3/wal: corrupt record at byte 463950 (checksum mismatch) with intact data after it; refusing to start on a damaged log';
    const v = deathVerdicts([exit('n3', 'n3 raft node ready', line)], own);
    expect(v).toEqual([expect.objectContaining({ checker: 'durability', valid: false })]);
    expect(v[0]!.summary).toContain('n3 cannot start on its own data after crashes the contract allows');
    expect(v[0]!.summary).toContain('/tmp/run/data/n3/wal: corrupt record at byte 463950');
    // Without fsync a power loss may leave anything: that is what the user asked for.
    expect(deathVerdicts([exit('n3', line)], { ownNodes: true, fsync: false })).toEqual([]);
  });

  it('any other death, and any death of a node command\'s node, is no verdict (the run could not finish)', () => {
    expect(deathVerdicts([exit('n1', 'Error: ENOSPC: no space left on device, write'), { name: 'n2', exitCode: undefined, signal: 'SIGKILL', logTail: [] }], own)).toEqual([]);
    expect(deathVerdicts([exit('n1', 'Error: raft invariant: x')], { ownNodes: false, fsync: true })).toEqual([]);
  });

  it('folds into the verdict of the same checker: one row per checker, the death first', () => {
    const checks: Verdict[] = [
      { checker: 'invariants', valid: true, summary: 'the replicas agree', stats: { positions: 3 } },
      { checker: 'linearizability', valid: true, summary: 'ok', stats: {} },
    ];
    foldDeaths(checks, deathVerdicts([exit('n4', 'Error: paxos invariant: slot 7 chosen by our ballot but we hold no value for it')], own));
    expect(checks).toHaveLength(2);
    expect(checks[0]).toMatchObject({ checker: 'invariants', valid: false, summary: 'n4 stopped on its own assertion: paxos invariant: slot 7 chosen by our ballot but we hold no value for it', stats: { positions: 3, nodeDeaths: 1 } });
    foldDeaths(checks, deathVerdicts([exit('n2', 'parley node n2: /d/wal: corrupt record at byte 1 (bad length) with intact data after it; refusing to start on a damaged log')], own));
    expect(checks).toHaveLength(3);
    expect(checks[2]).toMatchObject({ checker: 'durability', valid: false });
  });
});
