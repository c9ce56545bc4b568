/**
 * The per-seed workload knobs of a sweep (harness/sim/case-template.ts): hot keys, dense
 * faults and independent keys are drawn by the seed alone, in their documented shares,
 * never over what the user fixed, and a knob added later leaves the earlier draws alone.
 */
import { describe, expect, it } from 'vitest';
import { caseFor, type CaseTemplate } from '../../harness/sim/case-template.js';
import { simCase } from './helpers.js';

const SEEDS = Array.from({ length: 400 }, (_, i) => i + 1);

function template(over: Partial<CaseTemplate> = {}, input: Parameters<typeof simCase>[0] = { algo: 'raft' }): CaseTemplate {
  return { base: simCase(input), nemesis: ['chaos'], faultGapMs: 1000, knobs: true, hotKeys: true, denseFaults: true, independentKeys: true, ...over };
}

describe('the workload knobs of a sim sweep', () => {
  it('a quarter of kv seeds run on independent keys, a quarter on hot keys, some on both; each seed draws the same every time', () => {
    const cases = SEEDS.map((s) => caseFor(template(), s));
    const independent = cases.filter((c) => c.scenario.workload.opsPerKey === 50).length;
    const hot = cases.filter((c) => c.scenario.workload.keys === 2).length;
    const both = cases.filter((c) => c.scenario.workload.opsPerKey === 50 && c.scenario.workload.keys === 2).length;
    expect(independent).toBeGreaterThan(60);
    expect(independent).toBeLessThan(140);
    expect(hot).toBeGreaterThan(60);
    expect(hot).toBeLessThan(140);
    expect(both).toBeGreaterThan(0);
    expect(SEEDS.map((s) => caseFor(template(), s).scenario.workload)).toEqual(cases.map((c) => c.scenario.workload));
  });

  it('independent keys are drawn after the other knobs: without them every seed keeps its hot keys and its fault schedule', () => {
    for (const s of SEEDS.slice(0, 60)) {
      const withIt = caseFor(template(), s);
      const without = caseFor(template({ independentKeys: false }), s);
      expect(without.scenario.workload.keys, `seed ${s}`).toBe(withIt.scenario.workload.keys);
      expect(without.scenario.faults, `seed ${s}`).toEqual(withIt.scenario.faults);
      expect(without.scenario.workload.opsPerKey).toBeUndefined();
    }
  });

  it('never draws over what the user fixed, nor for workloads without keys to retire', () => {
    const fixed = template({}, { algo: 'raft', workload: { type: 'kv', opsPerKey: 7 } });
    for (const s of SEEDS.slice(0, 100)) expect(caseFor(fixed, s).scenario.workload.opsPerKey).toBe(7);
    const bank = template({}, { algo: 'twopc', workload: { type: 'bank' } });
    for (const s of SEEDS.slice(0, 100)) expect(caseFor(bank, s).scenario.workload.opsPerKey).toBeUndefined();
    for (const s of SEEDS.slice(0, 100)) expect(caseFor(template({ knobs: false }), s).scenario.workload.opsPerKey).toBeUndefined();
  });
});
