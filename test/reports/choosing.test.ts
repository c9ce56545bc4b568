/**
 * The choosing rule (reports/choosing/rule.ts) as a pure function, case by case against the
 * sentence printed next to the table, then the measured table built from the bench fixture.
 */
import { describe, expect, it } from 'vitest';
import { chooseAlgorithm, describeRule, isAhead, type CellMeasure, type ChoosingRule } from '../../reports/choosing/rule.js';
import { estimate, type Estimate } from '../../reports/choosing/interval.js';
import { choosingLines, measureChoosingTable, rowSafety } from '../../reports/choosing/measure.js';
import { USE_CASES } from '../../reports/choosing/use-cases.js';
import { choosingSection } from '../../reports/page/choosing.js';
import { TRIAL_FIGURES, benchRun, linearizable, scenarioResult, trialsRun } from './fixtures/results.js';
import type { ResultsFile, ScenarioResult } from '../../contracts/results.js';

const rule: ChoosingRule = {
  primary: { name: 'throughput', better: 'higher', format: (x) => `${x}/s` },
  secondary: { name: 'p99', better: 'lower', format: (x) => `${x} ms` },
  tolerance: 0.1,
};

/** Five trials spread evenly around `mean` (±`spread`): a narrow interval when spread is small. */
const trials = (mean: number, spread: number): number[] => [mean - spread, mean - spread / 2, mean, mean + spread / 2, mean + spread];
const est = (samples: number[] | null): Estimate | null => (samples === null ? null : estimate(samples));

const cell = (algo: CellMeasure['algo'], primary: number[] | null, secondary: number[] | null, safety: CellMeasure['safety'] = { state: 'passed' }, scenarios = 5): CellMeasure => ({
  algo, scenarios, safety, primary: est(primary), secondary: est(secondary),
});

const verdictOf = (d: ReturnType<typeof chooseAlgorithm>, algo: string) => d.cells.find((c) => c.algo === algo)!.verdict;

describe('the choosing rule', () => {
  it('picks the best primary figure when its interval clears the others and it leads by more than 10%', () => {
    const d = chooseAlgorithm([cell('paxos', trials(8000, 100), trials(5, 0.1)), cell('raft', trials(9000, 100), trials(9, 0.1)), cell('twopc', trials(5000, 100), trials(2, 0.1))], rule, ['paxos', 'raft']);
    expect(d.pick).toBe('raft');
    expect(d.decidedBy).toBe('primary');
    expect(d.tied).toEqual(['raft']);
    expect(verdictOf(d, 'paxos')).toBe('viable');
    expect(d.cells.find((c) => c.algo === 'paxos')!.reason).toMatch(/intervals apart/);
    expect(d.agreesWithTextbook).toBe(true);
  });

  it('overlapping intervals are a tie, however far apart the means, and the textbook breaks it', () => {
    // Raft's mean is 25% ahead, but its trials spread so widely that Paxos's interval reaches it.
    const d = chooseAlgorithm([cell('paxos', trials(8000, 400), trials(9, 0.1)), cell('raft', trials(10_000, 4000), trials(9, 0.1))], rule, ['paxos', 'raft']);
    const [p, r] = [estimate(trials(8000, 400))!, estimate(trials(10_000, 4000))!];
    expect(r.low!).toBeLessThan(p.high!);
    expect(d.tied.sort()).toEqual(['paxos', 'raft']);
    expect(d.pick).toBe('paxos');
    expect(d.decidedBy).toBe('textbook');
    expect(d.cells.find((c) => c.algo === 'raft')!.reason).toMatch(/not behind on throughput/);
  });

  it('separate intervals with a lead under 10% are still a tie: a small real lead does not change the answer', () => {
    const a = estimate(trials(9000, 10))!;
    const b = estimate(trials(8500, 10))!;
    expect(isAhead(a, b, rule.primary, 0.1)).toBe(false);
    expect(isAhead(a, b, rule.primary, 0.05)).toBe(true);
    const d = chooseAlgorithm([cell('paxos', trials(8500, 10), trials(9, 0.1)), cell('raft', trials(9000, 10), trials(9, 0.1))], rule, ['paxos']);
    expect(d.tied.sort()).toEqual(['paxos', 'raft']);
  });

  it('a tie on the primary goes to the secondary figure by the same test', () => {
    const d = chooseAlgorithm([cell('paxos', trials(9000, 500), trials(5, 0.2)), cell('raft', trials(9100, 500), trials(9, 0.2))], rule, ['raft']);
    expect(d.pick).toBe('paxos');
    expect(d.decidedBy).toBe('secondary');
    expect(d.agreesWithTextbook).toBe(false);
  });

  it('one trial decides nothing: a figure without an interval ties with everything', () => {
    const d = chooseAlgorithm([cell('paxos', [5000], [50], undefined, 1), cell('raft', [9000], [5], undefined, 1)], rule, ['paxos']);
    expect(estimate([9000])!.low).toBeNull();
    expect(d.tied.sort()).toEqual(['paxos', 'raft']);
    expect(d.pick).toBe('paxos');
    expect(d.decidedBy).toBe('textbook');
  });

  it('is a function of the samples alone: the same trials in any cell order give the same decision', () => {
    const cells = [cell('paxos', [8100, 7900, 8300, 8000, 8050], [9, 10, 11, 9, 10]), cell('raft', [9900, 10_100, 9800, 10_050, 10_000], [9, 9, 10, 10, 9]), cell('twopc', [9700, 10_400, 9500, 10_200, 9900], [12, 13, 12, 14, 13])];
    const d = chooseAlgorithm(cells, rule, ['paxos']);
    const again = chooseAlgorithm([...cells].reverse(), rule, ['paxos']);
    expect(again.pick).toBe(d.pick);
    expect(again.decidedBy).toBe(d.decidedBy);
    expect(again.tied.sort()).toEqual(d.tied.sort());
    // Raft and 2PC overlap each other and both clear Paxos; the secondary picks Raft.
    expect(d.tied.sort()).toEqual(['raft', 'twopc']);
    expect(d.pick).toBe('raft');
    expect(d.decidedBy).toBe('secondary');
  });

  it('a tie on both figures goes to the textbook pick, in textbook order', () => {
    const d = chooseAlgorithm([cell('paxos', trials(9000, 300), trials(9, 1)), cell('raft', trials(9100, 300), trials(9.2, 1)), cell('gossip', trials(9050, 300), trials(9.1, 1))], rule, ['raft', 'paxos']);
    expect(d.pick).toBe('raft');
    expect(d.decidedBy).toBe('textbook');
  });

  it('a tie with no textbook pick among the finalists goes to column order', () => {
    const d = chooseAlgorithm([cell('twopc', trials(9000, 300), trials(9, 1)), cell('gossip', trials(9100, 300), trials(9.2, 1))], rule, ['raft']);
    expect(d.pick).toBe('twopc');
    expect(d.decidedBy).toBe('column order');
  });

  it('never picks an algorithm whose safety check failed, however fast', () => {
    const d = chooseAlgorithm(
      [
        cell('paxos', trials(20_000, 10), trials(1, 0.1), { state: 'violated', checker: 'linearizability' }),
        cell('raft', trials(9000, 10), trials(9, 0.1)),
        cell('twopc', trials(30_000, 10), trials(1, 0.1), { state: 'undecided', checker: 'linearizability' }),
        cell('gossip', trials(50_000, 10), trials(1, 0.1), { state: 'not-promised', checker: 'linearizability' }),
      ],
      rule, ['paxos', 'raft'],
    );
    expect(d.pick).toBe('raft');
    expect(d.decidedBy).toBe('only candidate');
    expect(verdictOf(d, 'paxos')).toBe('unsuitable');
    expect(verdictOf(d, 'twopc')).toBe('unverified');
    expect(verdictOf(d, 'gossip')).toBe('unsuitable');
    expect(d.cells.find((c) => c.algo === 'gossip')!.reason).toBe('does not promise linearizability');
  });

  it('a required check that never ran makes the cell unverified, not a pass', () => {
    const d = chooseAlgorithm([cell('raft', trials(9000, 10), trials(9, 0.1), { state: 'unchecked', checker: 'bank' })], rule, ['raft']);
    expect(d.pick).toBeNull();
    expect(verdictOf(d, 'raft')).toBe('unverified');
  });

  it('says "not measured" for no scenario or no figure, and picks nothing when nobody qualifies', () => {
    const d = chooseAlgorithm([cell('raft', null, null, { state: 'passed' }, 0), cell('paxos', null, [3])], rule, ['raft']);
    expect(d.pick).toBeNull();
    expect(d.agreesWithTextbook).toBeNull();
    expect(verdictOf(d, 'raft')).toBe('not measured');
    expect(verdictOf(d, 'paxos')).toBe('not measured');
    expect(d.cells.find((c) => c.algo === 'paxos')!.reason).toBe('no throughput figure');
  });

  it('lower-is-better primaries pick the smallest figure', () => {
    const lower: ChoosingRule = { ...rule, primary: { name: 'failover', better: 'lower', format: String } };
    const d = chooseAlgorithm([cell('paxos', trials(470, 20), trials(500, 20)), cell('raft', trials(315, 20), trials(290, 20))], lower, ['paxos']);
    expect(d.pick).toBe('raft');
    expect(d.decidedBy).toBe('primary');
  });

  it('finalists without a secondary figure lose the tie to those with one', () => {
    const d = chooseAlgorithm([cell('paxos', trials(9000, 300), null), cell('raft', trials(8900, 300), trials(12, 1))], rule, ['paxos']);
    expect(d.pick).toBe('raft');
  });

  it('the printed rule names both metrics, their direction, the interval and the tolerance', () => {
    const text = describeRule(rule);
    expect(text).toContain('highest throughput');
    expect(text).toContain('lowest p99');
    expect(text).toContain('95% confidence interval');
    expect(text).toContain('more than 10%');
    expect(text).toContain('textbook pick');
  });
});

describe('the measured table from five interleaved trials per cell', () => {
  const run = trialsRun();
  const rows = measureChoosingTable(run);
  const row = (id: string) => rows.find((r) => r.useCase.id === id)!;
  const cellOf = (id: string, algo: string) => row(id).cells.find((c) => c.algo === algo)!;

  it('each deciding figure is the mean of the five per-trial figures, with an interval', () => {
    const raft = cellOf('leader-election', 'raft');
    const failovers = TRIAL_FIGURES.kv.raft.failover;
    expect(raft.primary!.n).toBe(5);
    expect(raft.primary!.samples).toEqual([...failovers]);
    expect(raft.primary!.value).toBeCloseTo(failovers.reduce((a, b) => a + b, 0) / 5);
    expect(raft.primary!.low!).toBeLessThan(raft.primary!.value);
    expect(raft.figures.find((f) => f.role === 'primary')!.interval).toMatch(/^± \d/);
    expect(raft.figures.find((f) => f.role === 'primary')!.label).toContain('mean of 5 trials');
  });

  it('databases: Paxos and Raft overlap, so the textbook breaks the tie; 2PC is behind beyond its interval', () => {
    const d = row('databases').decision;
    expect(d.tied.sort()).toEqual(['paxos', 'raft']);
    expect(d.pick).toBe('paxos');
    expect(d.decidedBy).toBe('textbook');
    expect(d.cells.find((c) => c.algo === 'twopc')!.verdict).toBe('viable');
    expect(d.cells.find((c) => c.algo === 'gossip')!.verdict).toBe('unsuitable');
    expect(row('databases').comparable).toBe(true);
  });

  it('leader election: Raft, ahead beyond doubt', () => {
    const d = row('leader-election').decision;
    expect(d.pick).toBe('raft');
    expect(d.decidedBy).toBe('primary');
  });

  it('ACID: Raft ahead of 2PC beyond doubt, a pick that differs from the textbook and says so', async () => {
    const d = row('acid').decision;
    expect(d.pick).toBe('raft');
    expect(d.decidedBy).toBe('primary');
    expect(d.agreesWithTextbook).toBe(false);
    const page = (await choosingSection(run)).markup;
    expect(page).toMatch(/Differs from the textbook pick, 2PC/);
    expect(page).toMatch(/class="ci">± /);
    expect(page).toContain('The deciding figures, trial by trial');
    expect(page.match(/data-chart="interval-\d"/g)).toHaveLength(4);
  });

  it('decentralized: gossip, decided on messages per update', () => {
    const d = row('decentralized').decision;
    expect(d.pick).toBe('gossip');
    expect(d.decidedBy).toBe('primary');
  });

  it('sums the picks up in one line per row for the end of a bench run', () => {
    const lines = choosingLines(run);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^Distributed databases: Multi-Paxos \(tie of Multi-Paxos, Raft, broken by textbook\); throughput: Multi-Paxos [\d.,k]+ ops\/s ± [\d.,]+ ops\/s \(5\), Raft .*2PC .*\(5\)$/);
    expect(lines[0]).not.toContain('Gossip');
    expect(lines[1]).toMatch(/^Leader election: Raft \(decided on failover\); failover: Multi-Paxos 844 ms ± [\d.]+ ms \(5\), Raft 310 ms ± [\d.]+ ms \(5\), 2PC/);
    expect(lines[2]).toMatch(/^ACID transactions: Raft \(decided on committed transfers\/s\)/);
  });
});

describe('the measured table from the older bench fixture: one scenario per cell', () => {
  const rows = measureChoosingTable(benchRun());
  const row = (id: string) => rows.find((r) => r.useCase.id === id)!;
  const verdicts = (id: string) => Object.fromEntries(row(id).decision.cells.map((c) => [c.algo, c.verdict]));

  it('has the four use cases, each with the four algorithms in column order', () => {
    expect(rows.map((r) => r.useCase.id)).toEqual(['databases', 'leader-election', 'acid', 'decentralized']);
    for (const r of rows) expect(r.cells.map((c) => c.algo)).toEqual(['paxos', 'raft', 'twopc', 'gossip']);
  });

  it('databases: Raft; Paxos had a violation, 2PC an undecided check, Gossip does not promise linearizability', () => {
    expect(row('databases').decision.pick).toBe('raft');
    expect(verdicts('databases')).toEqual({ paxos: 'unsuitable', raft: 'pick', twopc: 'unverified', gossip: 'unsuitable' });
    expect(row('databases').decision.agreesWithTextbook).toBe(true);
    // Raft ran one more kv scenario (the unfaulted one) than the others: flagged.
    expect(row('databases').comparable).toBe(false);
  });

  it('leader election: one trial each decides nothing, so the textbook does; gossip had no leader to crash', () => {
    const r = row('leader-election');
    expect(r.decision.pick).toBe('raft');
    expect(r.decision.decidedBy).toBe('textbook');
    expect(verdicts('leader-election')).toEqual({ paxos: 'viable', raft: 'pick', twopc: 'not measured', gossip: 'unsuitable' });
    const raft = r.cells.find((c) => c.algo === 'raft')!;
    // The trial's figure is the median over its leader crashes.
    expect(raft.primary!.value).toBeCloseTo((287 + 342) / 2);
    expect(raft.primary!.low).toBeNull();
    expect(raft.figures.find((f) => f.role === 'primary')!.label).toContain('1 trial, no interval');
    expect(r.cells.find((c) => c.algo === 'gossip')!.note).toContain('gossip has no leader');
  });

  it('ACID: Raft committed more in its one run, but one run is no evidence: the textbook pick stands', () => {
    const r = row('acid');
    const [raft, twopc] = ['raft', 'twopc'].map((a) => r.cells.find((c) => c.algo === a)!);
    expect(raft!.primary!.value).toBeGreaterThan(twopc!.primary!.value * 1.1);
    expect(r.decision.pick).toBe('twopc');
    expect(r.decision.agreesWithTextbook).toBe(true);
    expect(verdicts('acid')).toMatchObject({ raft: 'viable', twopc: 'pick', paxos: 'not measured', gossip: 'not measured' });
    expect(twopc!.figures.find((f) => f.label.includes('in doubt'))!.value).toBe('2.48 s');
  });

  it('decentralized: gossip, decided on messages per update at the largest N measured', () => {
    const r = row('decentralized');
    expect(r.decision.pick).toBe('gossip');
    const gossip = r.cells.find((c) => c.algo === 'gossip')!;
    expect(gossip.secondary!.value).toBe(Math.round(95 * Math.log2(25)));
    const labels = gossip.figures.map((f) => f.label);
    for (const l of ['messages per update at N=25', 'convergence p50 at N=25', "busiest node's messages per update at N=25"]) expect(labels.some((x) => x.startsWith(l)), l).toBe(true);
  });

  it('a scenario missing a required check counts as unchecked for its row', () => {
    const s = scenarioResult({ name: 'x', algo: 'raft', workload: 'kv', throughput: 1, p50: 1, p99: 2, checks: [] });
    expect(rowSafety([s], ['linearizability'])).toEqual({ state: 'unchecked', checker: 'linearizability' });
    const ok = scenarioResult({ name: 'y', algo: 'raft', workload: 'kv', throughput: 1, p50: 1, p99: 2, checks: [linearizable()] });
    expect(rowSafety([ok], ['linearizability'])).toEqual({ state: 'passed' });
  });

  it('every row states its rule from the same objects the code applies', () => {
    for (const u of USE_CASES) expect(describeRule(u.rule)).toContain(u.rule.primary.name);
  });
});

describe('cell figures measure the protocol, not the harness', () => {
  const useCase = (id: string) => USE_CASES.find((u) => u.id === id)!;
  const kv = () => scenarioResult({ name: 'kv/raft/1', algo: 'raft', workload: 'kv', throughput: 1000, p50: 1, p99: 5, faults: [{ kind: 'partition', at: 5000, duration: 2000 }, { kind: 'crash', at: 9000, duration: 3000, target: 'leader' }], failoverMs: [400], checks: [linearizable()] });

  it('databases: throughput over the healthy stretch only, not across the faults where clients wait out timeouts', () => {
    const s = kv();
    // Healthy buckets before the partition (from 5003 ms) hold ~1000 ok/s; under the faults, almost nothing.
    s.throughputOverTime.buckets = s.throughputOverTime.buckets.map((b) => ({ ...b, ok: b.tMs < 5000 ? 1000 : 10 }));
    const cell = useCase('databases').measure([s]);
    expect(cell.primary!.value).toBe(1000);
    expect(cell.figures[0]!.label).toMatch(/^throughput before faults/);
  });

  it('leader election: a crash whose next write came only once the node was restarting is marked as no failover', () => {
    const s = kv();
    const crash = s.faults.find((f) => f.kind === 'crash')!;
    s.failover = [{ faultId: crash.id, kind: 'crash', crashMs: crash.startMs!, nextWriteMs: crash.endMs! + 300, recoveryMs: crash.endMs! + 300 - crash.startMs! }];
    const cell = useCase('leader-election').measure([s]);
    expect(cell.figures.find((f) => f.label.startsWith('no failover'))!.value).toBe('1 of 1');
    const quick = kv();
    expect(useCase('leader-election').measure([quick]).figures.some((f) => f.label.startsWith('no failover'))).toBe(false);
  });

  it('ACID: the abort rate counts what the system aborted (409), not refusals whose number follows the retry pace; transfers/s leaves out the warm-up', () => {
    const s = scenarioResult({ name: 'bank/raft/1', algo: 'raft', workload: 'bank', throughput: 50, p50: 1, p99: 5, checks: [] });
    // 900 committed, 100 aborted by the system, 5000 refused while the leader was down.
    s.ops.byF = { transfer: { ok: 900, fail: 5100, info: 20, conflict: 100 }, read: { ok: 300, fail: 0, info: 0, conflict: 0 } };
    // The bank checker's count covers the warm-up too: it must not be the figure.
    s.checks = [{ checker: 'bank', valid: true, summary: '', stats: { transfersCommitted: 1500, transfersFailed: 5100, transfersUnknown: 20 } }];
    const cell = useCase('acid').measure([s]);
    expect(cell.primary!.value).toBeCloseTo(900 / (s.durationMs / 1000));
    expect(cell.secondary!.value).toBeCloseTo(0.1);
    expect(cell.figures.find((f) => f.label.startsWith('transfers refused'))!.value).toBe('83.4%'); // (5000 refused + 20 unanswered) of 6020
  });

  it('decentralized: messages per update divide by acknowledged writes, not by every successful operation', () => {
    const s = scenarioResult({ name: 'dissemination/raft-n5/1', algo: 'raft', workload: 'dissemination', nodes: 5, throughput: 100, p50: 1, p99: 5, convergence: { p50: 10, max: 50 }, messagesPerOk: 8, checks: [] });
    s.messages.total = 16_000;
    s.convergence = { ...s.convergence!, writes: 950, incomplete: 50 };
    expect(useCase('decentralized').measure([s]).primary!.value).toBe(16);
  });
});

describe('etcd as a reference column', () => {
  const asEtcd = (s: ScenarioResult): ScenarioResult => ({
    ...s,
    algo: 'etcd',
    scenario: { ...s.scenario, algo: 'etcd' },
    system: { kind: 'etcd', command: '/usr/bin/etcd', version: '3.4.23', links: 'per-link', streams: 'both', notes: [] },
  });
  // Faster than every algorithm and failing over sooner, so that the rule would pick it if it were a candidate.
  const ETCD = { throughput: [30_000, 31_000, 29_500, 30_500, 29_800], failover: [120, 130, 110, 125, 115] };
  const etcdTrial = (t: number) =>
    asEtcd({
      ...scenarioResult({ name: `kv/etcd/${t + 1}`, algo: 'raft', workload: 'kv', throughput: ETCD.throughput[t]!, p50: 0.5, p99: 2, faults: [{ kind: 'partition', at: 5000, duration: 2000 }, { kind: 'crash', at: 9000, duration: 3000, target: 'leader' }], failoverMs: [ETCD.failover[t]!], checks: [linearizable()] }, 90 + t),
      trial: { group: 'kv/etcd', index: t + 1, of: 5 },
    });
  const withEtcd = (run: ResultsFile, trials: number): ResultsFile => ({ ...run, scenarios: [...run.scenarios, ...Array.from({ length: trials }, (_, t) => etcdTrial(t))] });
  const run = withEtcd(trialsRun(), 5);
  const rows = measureChoosingTable(run);
  const row = (id: string) => rows.find((r) => r.useCase.id === id)!;

  it('is measured over its trials in the databases and leader-election rows with the same figures, and never picked', () => {
    const db = row('databases');
    expect(db.references.map((r) => r.id)).toEqual(['etcd']);
    const etcd = db.references[0]!.cell!;
    expect(etcd).toMatchObject({ scenarios: 5, safety: { state: 'passed' } });
    expect(etcd.primary!.n).toBe(5);
    for (const c of db.cells) if (c.primary) expect(etcd.primary!.value).toBeGreaterThan(c.primary.value);
    expect(etcd.figures.find((f) => f.role === 'primary')!.interval).toMatch(/^± \d/);
    // The same decision as without etcd: a tie of Paxos and Raft that the textbook breaks.
    expect(db.decision.pick).toBe('paxos');
    expect(db.decision.cells.map((c) => c.algo)).not.toContain('etcd');
    const election = row('leader-election').references[0]!.cell!;
    expect(election.primary!.samples).toEqual(ETCD.failover);
    expect(election.primary!.low).not.toBeNull();
    expect(row('leader-election').decision.pick).toBe('raft');
    expect(row('acid').references[0]!.cell).toBeNull();
    expect(row('decentralized').references[0]!.cell).toBeNull();
  });

  it('has a column of its own, labelled with its version; the rule says it is a reference; its trials are in the charts', async () => {
    const page = (await choosingSection(run)).markup;
    expect(page).toContain('<th class="reference">etcd 3.4<span class="small muted">Raft, production; reference</span></th>');
    expect(page).toMatch(/etcd 3\.4, Raft, production<\/b> is a reference, not a candidate/);
    expect(page.match(/class="cell cell-reference[^"]*"/g)).toHaveLength(4);
    expect(page.match(/class="cell cell-reference cell-not-applicable"/g)).toHaveLength(2);
    expect(page).toContain('parley drives etcd with the kv workload only');
    expect(page).toContain('etcd (reference), trial 5');
    expect(page).toContain('A reference system is shown for comparison and never picked.');
  });

  it('is summed up after the picks of its rows in the lines a bench prints, never as a pick', () => {
    const lines = choosingLines(run);
    expect(lines[0]).toMatch(/^Distributed databases: Multi-Paxos \(tie of Multi-Paxos, Raft, broken by textbook\); .*; reference etcd [\d.,k]+ ops\/s ± [\d.,]+ ops\/s \(5\)$/);
    expect(lines[1]).toMatch(/^Leader election: Raft .*; reference etcd 1\d\d ms ± [\d.]+ ms \(5\)$/);
    expect(lines[2]).not.toContain('etcd');
  });

  it('with one trial it shows that trial\'s figure, without an interval', () => {
    const one = measureChoosingTable(withEtcd(benchRun(), 1));
    const cell = one.find((r) => r.useCase.id === 'leader-election')!.references[0]!.cell!;
    expect(cell.primary).toMatchObject({ n: 1, value: ETCD.failover[0], low: null, high: null });
    expect(cell.figures.find((f) => f.role === 'primary')!.label).toContain('1 trial, no interval');
  });

  it('is absent from runs without etcd', async () => {
    expect(measureChoosingTable(trialsRun()).every((r) => r.references.length === 0)).toBe(true);
    expect((await choosingSection(trialsRun())).markup).not.toContain('cell-reference');
  });
});
