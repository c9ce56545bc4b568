/**
 * A node of parley's own that died on its own during a run, and said why in the words
 * parley's cores and storage use for what only a bug can cause, is a verdict on the system
 * under test, as the simulator counts a core that threw (harness/sim/run-case.ts):
 *
 *   a core's own assertion      `raft invariant: leader n5 conflicts with committed entry
 *                               1921`: the protocol broke a rule it checks itself
 *                                                                   -> invariants violated
 *   a data directory it cannot  `corrupt record at byte N ... refusing to start on a damaged
 *   start on                    log`: after nothing but kill -9 and power losses that cut
 *                               only what was not synced (the crashes the contract allows,
 *                               with fsync on), its own files no longer read back
 *                                                                   -> durability violated
 *
 * Any other death (an exit code or a signal with no such line: a full disk, a kill from
 * outside parley) stays what it was: the run could not finish (exit 70), never a red
 * verdict. A node command's nodes speak their own words, so only parley's own are read.
 */
import type { Verdict } from '../workloads/checkers/verdict.js';
import type { ChildExit } from './supervisor.js';

const ASSERTION = /\b(?:raft|paxos|twopc|gossip) invariant: .*/;
/** The thrown error's own line: Node prints the source line that threw (a template, `${index}`) above it. */
const THROWN = /^\w*Error: ((?:raft|paxos|twopc|gossip) invariant: .*)/;
const DAMAGED = /refusing to start on a damaged (?:log|data directory).*/;

export function deathVerdicts(exits: readonly ChildExit[], opts: { ownNodes: boolean; fsync: boolean }): Verdict[] {
  if (!opts.ownNodes) return [];
  const out: Verdict[] = [];
  for (const e of exits) {
    const assertion = e.logTail.map((l) => THROWN.exec(l)?.[1]).find((m) => m !== undefined) ?? e.logTail.map((l) => ASSERTION.exec(l)?.[0]).find((m) => m !== undefined);
    if (assertion) {
      out.push({ checker: 'invariants', valid: false, summary: `${e.name} stopped on its own assertion: ${assertion}`, stats: { nodeDeaths: 1 } });
      continue;
    }
    const damaged = opts.fsync ? e.logTail.find((l) => DAMAGED.test(l)) : undefined;
    if (damaged) {
      out.push({
        checker: 'durability',
        valid: false,
        summary: `${e.name} cannot start on its own data after crashes the contract allows (kill -9, power loss of what was not synced): ${damaged.replace(/^parley node [^:]+: /, '')}`,
        stats: { nodeDeaths: 1 },
      });
    }
  }
  return out;
}

/**
 * Add death verdicts to a run's checks: one that names a checker already there makes that
 * verdict a violation, with the death first in its summary (one row per checker in reports).
 */
export function foldDeaths(checks: Verdict[], deaths: readonly Verdict[]): void {
  for (const d of deaths) {
    const same = checks.find((v) => v.checker === d.checker);
    if (!same) {
      checks.push(d);
      continue;
    }
    same.summary = same.valid === false ? `${d.summary}; ${same.summary}` : d.summary;
    same.valid = false;
    same.stats = { ...same.stats, nodeDeaths: (same.stats.nodeDeaths ?? 0) + 1 };
  }
}
