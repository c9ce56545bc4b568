/**
 * The choosing rule (reports/choosing/rule.ts) as a pure function, case by case against the
 * sentence printed next to the table, then the measured table built from the bench fixture.
 */
import { describe, expect, it } from 'vitest';
import { chooseAlgorithm, describeRule, withinTolerance, type CellMeasure, type ChoosingRule } from '../../reports/choosing/rule.js';
import { measureChoosingTable, rowSafety } from '../../reports/choosing/measure.js';
import { USE_CASES } from '../../reports/choosing/use-cases.js';
import { benchRun, linearizable, scenarioResult } from './fixtures/results.js';
import { choosingSection } from '../../reports/page/choosing.js';
import type { ScenarioResult } from '../../harness/results.js';

const rule: ChoosingRule = {
  primary: { name: 'throughput', better: 'higher', format: (x) => `${x}/s` },
  secondary: { name: 'p99', better: 'lower', format: (x) => `${x} ms` },
  tolerance: 0.1,
};

const cell = (algo: CellMeasure['algo'], primary: number | null, secondary: number | null, safety: CellMeasure['safety'] = { state: 'passed' }, scenarios = 1): CellMeasure => ({
  algo, scenarios, safety, primary, secondary,
});

const verdictOf = (d: ReturnType<typeof chooseAlgorithm>, algo: string) => d.cells.find((c) => c.algo === algo)!.verdict;

describe('the choosing rule', () => {
  it('picks the best primary figure when the others are more than 10% behind', () => {
    const d = chooseAlgorithm([cell('paxos', 8000, 5), cell('raft', 9000, 9), cell('twopc', 5000, 2)], rule, ['paxos', 'raft']);
    expect(d.pick).toBe('raft');
    expect(d.decidedBy).toBe('primary');
    expect(d.tied).toEqual(['raft']);
    expect(verdictOf(d, 'paxos')).toBe('viable');
    expect(d.agreesWithTextbook).toBe(true);
  });

  it('treats figures within 10% as a tie and lets the secondary figure decide', () => {
    // 9000 vs 8200: 8.9% behind, a tie; paxos has the better p99.
    const d = chooseAlgorithm([cell('paxos', 8200, 5), cell('raft', 9000, 9)], rule, ['raft']);
    expect(d.tied.sort()).toEqual(['paxos', 'raft']);
    expect(d.pick).toBe('paxos');
    expect(d.decidedBy).toBe('secondary');
    expect(d.agreesWithTextbook).toBe(false);
    expect(d.cells.find((c) => c.algo === 'raft')!.reason).toMatch(/within 10%/);
  });

  it('the 10% boundary: exactly 10% behind ties, 10.5% does not', () => {
    expect(withinTolerance(90, 100, rule.primary, 0.1)).toBe(true);
    expect(withinTolerance(89.5, 100, rule.primary, 0.1)).toBe(false);
    // For a lower-is-better figure the tie is on the high side.
    expect(withinTolerance(110, 100, rule.secondary, 0.1)).toBe(true);
    expect(withinTolerance(111, 100, rule.secondary, 0.1)).toBe(false);
    expect(withinTolerance(0, 0, rule.secondary, 0.1)).toBe(true);
  });

  it('a tie on both figures goes to the textbook pick, in textbook order', () => {
    const d = chooseAlgorithm([cell('paxos', 9000, 9), cell('raft', 9100, 9.2), cell('gossip', 9050, 9.1)], rule, ['raft', 'paxos']);
    expect(d.pick).toBe('raft');
    expect(d.decidedBy).toBe('textbook');
  });

  it('a tie with no textbook pick among the finalists goes to column order', () => {
    const d = chooseAlgorithm([cell('twopc', 9000, 9), cell('gossip', 9100, 9.2)], rule, ['raft']);
    expect(d.pick).toBe('twopc');
    expect(d.decidedBy).toBe('column order');
  });

  it('never picks an algorithm whose safety check failed, however fast', () => {
    const d = chooseAlgorithm(
      [
        cell('paxos', 20_000, 1, { state: 'violated', checker: 'linearizability' }),
        cell('raft', 9000, 9),
        cell('twopc', 30_000, 1, { state: 'undecided', checker: 'linearizability' }),
        cell('gossip', 50_000, 1, { state: 'not-promised', checker: 'linearizability' }),
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
    const d = chooseAlgorithm([cell('raft', 9000, 9, { state: 'unchecked', checker: 'bank' })], rule, ['raft']);
    expect(d.pick).toBeNull();
    expect(verdictOf(d, 'raft')).toBe('unverified');
  });

  it('says "not measured" for no scenario or no figure, and picks nothing when nobody qualifies', () => {
    const d = chooseAlgorithm([cell('raft', null, null, { state: 'passed' }, 0), cell('paxos', null, 3)], rule, ['raft']);
    expect(d.pick).toBeNull();
    expect(d.agreesWithTextbook).toBeNull();
    expect(verdictOf(d, 'raft')).toBe('not measured');
    expect(verdictOf(d, 'paxos')).toBe('not measured');
    expect(d.cells.find((c) => c.algo === 'paxos')!.reason).toBe('no throughput figure');
  });

  it('lower-is-better primaries pick the smallest figure', () => {
    const lower: ChoosingRule = { ...rule, primary: { name: 'failover', better: 'lower', format: String } };
    const d = chooseAlgorithm([cell('paxos', 470, 500), cell('raft', 315, 290)], lower, ['raft']);
    expect(d.pick).toBe('raft');
  });

  it('finalists without a secondary figure lose the tie to those with one', () => {
    const d = chooseAlgorithm([cell('paxos', 9000, null), cell('raft', 8900, 12)], rule, ['paxos']);
    expect(d.pick).toBe('raft');
  });

  it('the printed rule names both metrics, their direction and the tolerance', () => {
    const text = describeRule(rule);
    expect(text).toContain('highest throughput');
    expect(text).toContain('lowest p99');
    expect(text).toContain('within 10%');
    expect(text).toContain('textbook pick');
  });
});

describe('the measured table from the bench fixture', () => {
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

  it('leader election: the shorter median failover wins; gossip had no leader to crash', () => {
    const r = row('leader-election');
    expect(r.decision.pick).toBe('raft');
    expect(verdicts('leader-election')).toEqual({ paxos: 'viable', raft: 'pick', twopc: 'not measured', gossip: 'unsuitable' });
    const raft = r.cells.find((c) => c.algo === 'raft')!;
    expect(raft.primary).toBeCloseTo((287 + 342) / 2);
    expect(r.cells.find((c) => c.algo === 'gossip')!.note).toContain('gossip has no leader');
  });

  it('ACID: the measured pick differs from the textbook, and the table says so', () => {
    const r = row('acid');
    expect(r.decision.pick).toBe('raft');
    expect(r.decision.agreesWithTextbook).toBe(false);
    expect(verdicts('acid')).toMatchObject({ raft: 'pick', twopc: 'viable', paxos: 'not measured', gossip: 'not measured' });
    const twopc = r.cells.find((c) => c.algo === 'twopc')!;
    expect(twopc.figures.find((f) => f.label.includes('in doubt'))!.value).toBe('2.48 s');
  });

  it('decentralized: gossip, decided on messages per update at the largest N measured', () => {
    const r = row('decentralized');
    expect(r.decision.pick).toBe('gossip');
    const gossip = r.cells.find((c) => c.algo === 'gossip')!;
    expect(gossip.secondary).toBe(Math.round(95 * Math.log2(25)));
    expect(gossip.figures.map((f) => f.label)).toEqual(expect.arrayContaining(['messages per update at N=25', 'convergence p50 at N=25', "busiest node's messages per update at N=25"]));
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

describe('etcd as a reference column', () => {
  const asEtcd = (s: ReturnType<typeof scenarioResult>): ScenarioResult => ({
    ...s,
    algo: 'etcd',
    scenario: { ...s.scenario, algo: 'etcd' },
    system: { kind: 'etcd', command: '/usr/bin/etcd', version: '3.4.23', links: 'per-link', streams: 'both', notes: [] },
  });
  const run = benchRun();
  // Faster than every algorithm, so that the rule would pick it if it were a candidate.
  run.scenarios.push(
    asEtcd(scenarioResult({ name: 'etcd-kv-partition', algo: 'raft', workload: 'kv', throughput: 30_000, p50: 0.5, p99: 2, faults: [{ kind: 'partition', at: 5000, duration: 3000 }], checks: [linearizable()] })),
    asEtcd(scenarioResult({ name: 'etcd-failover', algo: 'raft', workload: 'kv', throughput: 29_000, p50: 0.5, p99: 2, faults: [{ kind: 'leader-crash', at: 4000, duration: 2000, target: 'leader' }], failoverMs: [120], checks: [linearizable()] })),
  );
  const rows = measureChoosingTable(run);
  const row = (id: string) => rows.find((r) => r.useCase.id === id)!;

  it('is measured in the databases and leader-election rows with the same figures, and never picked', () => {
    const db = row('databases');
    expect(db.references.map((r) => r.id)).toEqual(['etcd']);
    expect(db.references[0]!.cell).toMatchObject({ scenarios: 2, safety: { state: 'passed' }, primary: 29_500 });
    expect(db.decision.pick).toBe('raft');
    expect(db.decision.cells.map((c) => c.algo)).not.toContain('etcd');
    expect(row('leader-election').references[0]!.cell!.primary).toBe(120);
    expect(row('leader-election').decision.pick).toBe('raft');
    expect(row('acid').references[0]!.cell).toBeNull();
    expect(row('decentralized').references[0]!.cell).toBeNull();
  });

  it('has a column of its own, labelled with its version, and the rule says it is a reference', () => {
    const page = choosingSection(run).toString();
    expect(page).toContain('<th class="reference">etcd 3.4<span class="small muted">Raft, production; reference</span></th>');
    expect(page).toMatch(/etcd 3\.4, Raft, production<\/b> is a reference, not a candidate/);
    expect(page.match(/class="cell cell-reference[^"]*"/g)).toHaveLength(4);
    expect(page).toContain('parley drives etcd with the kv workload only');
  });

  it('is absent from runs without etcd', () => {
    const plain = measureChoosingTable(benchRun());
    expect(plain.every((r) => r.references.length === 0)).toBe(true);
    expect(choosingSection(benchRun()).toString()).not.toContain('cell-reference');
  });
});
