/**
 * Atomic commitment over 2PC traces: the requirements of Gray & Lamport, "Consensus on
 * Transaction Commit" (2006) §2, and the blocking they describe (§3: a participant that
 * voted yes waits in doubt while the coordinator is down).
 */
import { describe, expect, it } from 'vitest';
import { checkAtomicity, parseCommitEvent, type CommitEvent, type CommitEventName } from '../../workloads/checkers/atomicity.js';
import type { AtomicityEvidence } from '../../workloads/checkers/verdict.js';

const MS = 1e6;
const ev = (txid: string, node: string, event: CommitEventName, tMs: number, extra: Partial<CommitEvent> = {}): CommitEvent => ({
  txid, node, role: event.startsWith('decided') ? 'coordinator' : 'participant', event, t: tMs * MS, ...extra,
});
const violations = (trace: CommitEvent[]): string[] => ((checkAtomicity(trace).evidence as AtomicityEvidence | undefined)?.violations ?? []).map((v) => v.type);

const committed = (txid: string, at = 0): CommitEvent[] => [
  ev(txid, 'p1', 'prepared', at + 1), ev(txid, 'p2', 'prepared', at + 2),
  ev(txid, 'c', 'decided-commit', at + 3),
  ev(txid, 'p1', 'applied-commit', at + 4), ev(txid, 'p2', 'applied-commit', at + 10),
];

describe('what atomic commit requires', () => {
  it('all yes votes, one commit decision, applied by every participant: valid, with in-doubt times', () => {
    const v = checkAtomicity([...committed('t1'), ...committed('t2', 100)]);
    expect(v.valid).toBe(true);
    expect(v.stats).toMatchObject({ transactions: 2, committed: 2, inDoubtResolved: 4, inDoubtAtEnd: 0, inDoubtMaxMs: 8, inDoubtMedianMs: 3 });
    expect(v.samples!.inDoubtMs).toEqual([3, 3, 8, 8]);
  });

  it('a no vote and an abort applied by everyone who prepared: valid', () => {
    const v = checkAtomicity([ev('t', 'p1', 'voted-no', 1), ev('t', 'p2', 'prepared', 2), ev('t', 'c', 'decided-abort', 3), ev('t', 'p2', 'applied-abort', 5), ev('t', 'p1', 'applied-abort', 5)]);
    expect(v.valid).toBe(true);
    expect(v.stats.aborted).toBe(1);
  });

  it('two different decisions for one transaction', () => {
    expect(violations([...committed('t'), ev('t', 'c2', 'decided-abort', 5)])).toContain('conflicting-decisions');
  });

  it('one participant commits while another aborts', () => {
    const trace = [ev('t', 'p1', 'prepared', 1), ev('t', 'p2', 'prepared', 1), ev('t', 'p1', 'applied-commit', 4), ev('t', 'p2', 'applied-abort', 4), ev('t', 'c', 'decided-commit', 3)];
    expect(violations(trace)).toEqual(expect.arrayContaining(['mixed-outcome', 'against-decision']));
  });

  it('a participant commits what the coordinator aborted', () => {
    const trace = [ev('t', 'p1', 'prepared', 1), ev('t', 'c', 'decided-abort', 3), ev('t', 'p1', 'applied-commit', 4)];
    expect(violations(trace)).toEqual(['against-decision', 'commit-without-decision']);
  });

  it('a commit without every yes vote: a no vote, or a participant that never prepared', () => {
    expect(violations([ev('t', 'p1', 'prepared', 1), ev('t', 'p2', 'voted-no', 1), ev('t', 'c', 'decided-commit', 3)])).toEqual(['commit-without-votes']);
    const silent = [ev('t', 'p1', 'prepared', 1), ev('t', 'c', 'decided-commit', 3, { participants: ['p1', 'p2'] })];
    const v = checkAtomicity(silent);
    expect(v.valid).toBe(false);
    expect((v.evidence as AtomicityEvidence).violations[0]).toMatchObject({ type: 'commit-without-votes', missing: ['p2'], votedNo: [] });
  });
});

describe('blocking', () => {
  it('a participant prepared when the coordinator died stays in doubt: reported, not a violation', () => {
    const trace = [...committed('t1'), ev('t2', 'p1', 'prepared', 20), ev('t2', 'p2', 'prepared', 21), ev('t3', 'p1', 'prepared', 50)];
    const v = checkAtomicity(trace);
    expect(v.valid).toBe(true);
    expect(v.stats).toMatchObject({ inDoubtAtEnd: 3, undecided: 2, inDoubtAtEndMaxMs: 30 });
    expect((v.evidence as AtomicityEvidence).inDoubt.map((d) => `${d.txid}/${d.node}`)).toEqual(['t2/p1', 't2/p2', 't3/p1']);
    expect(v.summary).toMatch(/3 still in doubt/);
  });
});

describe('reading traces', () => {
  it('accepts the runtime\'s events.jsonl lines (numeric txid, extra fields) and names a bad field with its line', () => {
    const e = parseCommitEvent('{"txid":7,"role":"participant","event":"prepared","node":"n2","t":5,"shard":1}', 'events.jsonl', 3);
    expect(e).toEqual({ txid: '7', node: 'n2', role: 'participant', event: 'prepared', t: 5 });
    expect(() => parseCommitEvent('{"txid":"x","role":"participant","event":"committed","node":"n2","t":5}', 'events.jsonl', 3)).toThrow(/^events.jsonl line 3, field "event"/);
  });
});
