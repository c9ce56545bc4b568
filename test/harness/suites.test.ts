import { describe, expect, it } from 'vitest';
import { TRIALS, interleaveTrials, nightlyScenarios, suiteScenarios } from '../../harness/suites.js';
import { parseScenario, type ScenarioInput } from '../../contracts/scenario.js';
import { resolveScenario } from '../../harness/run.js';

const take = <T>(it: Iterator<T>, n: number): T[] => Array.from({ length: n }, () => it.next().value as T);

describe('bench suites', () => {
  it('every scenario of the quick and default suites is valid, and together they cover all four algorithms and all four rows', () => {
    for (const suite of ['quick', 'default'] as const) {
      const scenarios = suiteScenarios(suite);
      for (const s of scenarios) expect(() => parseScenario(s.input, s.input.name)).not.toThrow();
      expect(new Set(scenarios.map((s) => s.input.algo))).toEqual(new Set(['raft', 'paxos', 'twopc', 'gossip']));
      expect(new Set(scenarios.flatMap((s) => s.rows))).toEqual(new Set(['databases', 'election', 'transactions', 'decentralized']));
      expect(new Set(scenarios.map((s) => s.input.name)).size).toBe(scenarios.length);
    }
  });

  it('the default suite runs every shape of every algorithm at least 5 times, as numbered trials of one group', () => {
    const scenarios = suiteScenarios('default');
    const groups = new Map<string, number[]>();
    for (const s of scenarios) groups.set(s.trial!.group, [...(groups.get(s.trial!.group) ?? []), s.trial!.index]);
    expect(TRIALS).toBeGreaterThanOrEqual(5);
    // kv for all four, bank for the three with transactions, dissemination for gossip, raft, paxos.
    expect(groups.size).toBe(10);
    for (const [group, indices] of groups) {
      expect(indices, group).toEqual([1, 2, 3, 4, 5]);
      const inputs = scenarios.filter((s) => s.trial!.group === group).map((s) => ({ ...s.input, name: undefined, seed: undefined }));
      for (const i of inputs) expect(i, group).toEqual(inputs[0]);
    }
  });

  it('interleaves trials: round r holds every shape once, before any of round r+1, starting each round elsewhere, and shares its seed', () => {
    const scenarios = suiteScenarios('default', { seed: 40 });
    const shapes = new Set(scenarios.map((s) => s.trial!.group)).size;
    for (let r = 0; r < TRIALS; r++) {
      const round = scenarios.slice(r * shapes, (r + 1) * shapes);
      expect(round.every((s) => s.trial!.index === r + 1)).toBe(true);
      expect(new Set(round.map((s) => s.trial!.group)).size).toBe(shapes);
      expect(new Set(round.map((s) => s.input.seed))).toEqual(new Set([40 + r]));
    }
    const firsts = Array.from({ length: TRIALS }, (_, r) => scenarios[r * shapes]!.trial!.group);
    expect(new Set(firsts).size).toBe(TRIALS);
    // Within a round the algorithms of a shape run next to each other, so drift hits them alike.
    const round1 = scenarios.slice(0, shapes).map((s) => s.trial!.group);
    expect(round1.slice(0, 4)).toEqual(['kv/raft', 'kv/paxos', 'kv/twopc', 'kv/gossip']);
  });

  it('the interleaving is a pure function of its input: a rotation per round, wrapping around', () => {
    const shape = (group: string) => ({ group, rows: ['databases' as const], input: { algo: 'raft' as const } });
    const order = interleaveTrials(['a', 'b', 'c', 'd'].map(shape), 2, 7).map((s) => s.input.name);
    expect(order).toEqual(['a/1', 'b/1', 'c/1', 'd/1', 'c/2', 'd/2', 'a/2', 'b/2']);
    expect(interleaveTrials(['a', 'b'].map(shape), 3, 2 ** 31 - 1).map((s) => s.input.seed)).toEqual([2 ** 31 - 1, 2 ** 31 - 1, 0, 0, 1, 1]);
  });

  it('--algo keeps only the named algorithms; --only then filters by name', () => {
    const raft = suiteScenarios('default', { seed: 1, algos: ['raft'] });
    expect(new Set(raft.map((s) => s.input.algo))).toEqual(new Set(['raft']));
    expect(raft).toHaveLength(3 * TRIALS);
    const kv = suiteScenarios('default', { seed: 1, algos: ['raft', 'gossip'], only: 'kv/' });
    expect(kv.map((s) => s.input.name)).toEqual(expect.arrayContaining(['kv/raft/1', 'kv/gossip/5']));
    expect(kv).toHaveLength(2 * TRIALS);
  });

  it('nightly chaos is a seeded stream: the same seed gives the same scenarios and fault schedules, another seed others', () => {
    const a = take(nightlyScenarios(7), 8);
    expect(take(nightlyScenarios(7), 8)).toEqual(a);
    expect(take(nightlyScenarios(8), 8)).not.toEqual(a);
    expect(new Set(a.map((s) => s.input.algo))).toEqual(new Set(['raft', 'paxos', 'twopc', 'gossip']));
    let faults = 0;
    for (const s of a) {
      const scenario = resolveScenario(parseScenario(s.input, s.input.name));
      expect(scenario.faults.length).toBeGreaterThanOrEqual(2); // chaos expands into a concrete schedule
      faults += scenario.faults.length;
      expect(resolveScenario(parseScenario(s.input, s.input.name)).faults).toEqual(scenario.faults);
      if (s.input.algo === 'gossip') expect(['kv', 'dissemination']).toContain(s.input.workload?.type);
    }
    expect(faults).toBeGreaterThan(8 * 3);
  });

  it('nightly chaos for one algorithm spends every scenario on it', () => {
    const raft = take(nightlyScenarios(7, ['raft']), 12);
    expect(new Set(raft.map((s) => s.input.algo))).toEqual(new Set(['raft']));
    expect(new Set(raft.map((s) => s.input.workload?.type)).size).toBeGreaterThan(1);
    expect(take(nightlyScenarios(7, ['raft']), 12)).toEqual(raft);
    // Over a longer stream: Elle-style transactions and kv on independent keys both come up.
    const more = take(nightlyScenarios(7, ['raft']), 40).map((s) => s.input.workload);
    expect(more.some((w) => w?.type === 'list-append')).toBe(true);
    expect(more.some((w) => w?.type === 'kv' && w.opsPerKey === 200)).toBe(true);
    expect(more.some((w) => w?.type === 'kv' && w.opsPerKey === undefined)).toBe(true);
    const gossip = take(nightlyScenarios(3, ['gossip']), 12);
    expect(gossip.every((s) => s.input.algo === 'gossip' && s.input.workload?.type !== 'bank')).toBe(true);
  });

  it('--reference etcd runs Raft\'s kv trials on etcd, in the same rounds with the same seeds and faults, unchanged but for what runs them', () => {
    const strip = ({ name: _n, algo: _a, options: _o, ...rest }: ScenarioInput) => rest;
    for (const suite of ['quick', 'default'] as const) {
      const plain = suiteScenarios(suite, { seed: 9 });
      const all = suiteScenarios(suite, { seed: 9, references: ['etcd'] });
      const raft = all.filter((s) => s.trial!.group === 'kv/raft');
      const etcd = all.filter((s) => s.input.algo === 'etcd');
      expect(etcd.map((s) => s.input.name)).toEqual(raft.map((s) => s.input.name!.replace('kv/raft/', 'kv/etcd/')));
      for (const [i, s] of etcd.entries()) {
        expect(parseScenario(s.input, s.input.name).algo).toBe('etcd');
        expect(strip(s.input)).toEqual(strip(raft[i]!.input));
        expect(s.rows).toEqual(['databases', 'election']);
        expect(s.trial).toEqual({ ...raft[i]!.trial, group: 'kv/etcd' });
      }
      // The algorithms' own scenarios are the same with or without the reference.
      expect(all.filter((s) => s.input.algo !== 'etcd').map((s) => s.input.name).sort()).toEqual(plain.map((s) => s.input.name).sort());
      // Interleaved like the rest: each round holds its etcd trial.
      const shapes = new Set(all.map((s) => s.trial!.group)).size;
      for (const [r, s] of etcd.entries()) expect(all.slice(r * shapes, (r + 1) * shapes)).toContain(s);
    }
    // --algo chooses among the algorithms; the reference still runs beside them.
    expect(suiteScenarios('default', { seed: 1, algos: ['paxos'], references: ['etcd'] }).filter((s) => s.input.algo === 'etcd')).toHaveLength(TRIALS);
  });

  it('named partition nemeses never draw a one-way partition for etcd, whose connections carry both directions', () => {
    const shapes = (algo: string) =>
      resolveScenario(parseScenario({ algo, seed: 3, duration: '600s', nemesis: { names: ['partition'], interval: '1s', faultDuration: '500ms' } })).faults.map((f) => f.shape);
    expect(shapes('raft')).toContain('one-way');
    expect(shapes('etcd')).not.toContain('one-way');
    expect(new Set(shapes('etcd')).size).toBeGreaterThan(4);
  });
});
