import { describe, expect, it } from 'vitest';
import { nightlyScenarios, referenceScenarios, suiteScenarios } from '../../harness/suites.js';
import { parseScenario } from '../../harness/scenario.js';
import { resolveScenario } from '../../harness/run.js';

const take = <T>(it: Iterator<T>, n: number): T[] => Array.from({ length: n }, () => it.next().value as T);

describe('bench suites', () => {
  it('every scenario of the quick and default suites is valid, and together they cover all four algorithms and all four rows', () => {
    for (const suite of ['quick', 'default'] as const) {
      const scenarios = suiteScenarios(suite);
      for (const s of scenarios) expect(() => parseScenario(s.input, s.input.name)).not.toThrow();
      expect(new Set(scenarios.map((s) => s.input.algo))).toEqual(new Set(['raft', 'paxos', 'twopc', 'gossip']));
      expect(new Set(scenarios.map((s) => s.row))).toEqual(suite === 'default' ? new Set(['databases', 'election', 'transactions', 'decentralized']) : new Set(['databases', 'transactions', 'decentralized']));
      expect(new Set(scenarios.map((s) => s.input.name)).size).toBe(scenarios.length);
    }
  });

  it('nightly chaos is a seeded stream: the same seed gives the same scenarios and fault schedules, another seed others', () => {
    const a = take(nightlyScenarios(7), 8);
    expect(take(nightlyScenarios(7), 8)).toEqual(a);
    expect(take(nightlyScenarios(8), 8)).not.toEqual(a);
    expect(new Set(a.map((s) => s.input.algo))).toEqual(new Set(['raft', 'paxos', 'twopc', 'gossip']));
    for (const s of a) {
      const scenario = resolveScenario(parseScenario(s.input, s.input.name));
      expect(scenario.faults.length).toBeGreaterThan(3); // chaos expands into a concrete schedule
      expect(resolveScenario(parseScenario(s.input, s.input.name)).faults).toEqual(scenario.faults);
      if (s.input.algo === 'gossip') expect(s.input.workload?.type).not.toBe('bank');
    }
  });

  it('--reference etcd runs Raft\'s databases and leader-election scenarios on etcd, unchanged but for what runs them', () => {
    for (const suite of ['quick', 'default'] as const) {
      const raft = suiteScenarios(suite).filter((s) => s.input.algo === 'raft' && (s.row === 'databases' || s.row === 'election'));
      const etcd = referenceScenarios(suite);
      expect(etcd.map((s) => s.input.name)).toEqual(raft.map((s) => s.input.name!.replace('/raft', '/etcd')));
      for (const [i, s] of etcd.entries()) {
        expect(parseScenario(s.input, s.input.name).algo).toBe('etcd');
        expect(s.input.faults).toEqual(raft[i]!.input.faults);
      }
    }
  });

  it('named partition nemeses never draw a one-way partition for etcd, whose connections carry both directions', () => {
    const shapes = (algo: string) =>
      resolveScenario(parseScenario({ algo, seed: 3, duration: '600s', nemesis: { names: ['partition'], interval: '1s', faultDuration: '500ms' } })).faults.map((f) => f.shape);
    expect(shapes('raft')).toContain('one-way');
    expect(shapes('etcd')).not.toContain('one-way');
    expect(new Set(shapes('etcd')).size).toBeGreaterThan(4);
  });
});
