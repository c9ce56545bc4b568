/**
 * The scale study's agreement rule (contracts/scale-study.ts): at every N both the simulated
 * curve and the real processes cover, convergence p50 within 25 % or one rumor round, and
 * rumor messages per update within 10 %; and a scale.json that is not one exits 64 naming
 * the field.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../nodes/common/errors.js';
import { agreement, readScaleStudy } from '../../contracts/scale-study.js';
import { realPoint, simPoint, study } from '../helpers/scale-study.js';

describe('the agreement between the simulated curve and the real processes', () => {
  it('compares only the N both cover, convergence p50 and messages per update at each', () => {
    const rows = agreement([simPoint(5, 60), simPoint(10, 100), simPoint(1000, 900)], [realPoint(10, 110), realPoint(50, 200)]);
    expect(rows.map((r) => [r.nodes, r.figure])).toEqual([[10, 'convergence p50'], [10, 'messages per update']]);
    expect(rows[0]).toMatchObject({ sim: 100, real: 110, within: true });
    expect(rows[0]!.ratio).toBeCloseTo(100 / 110);
  });

  it('allows 25 % of the real p50, but never less than one rumor round', () => {
    // Real 400 ms: 25 % is 100 ms, wider than a round.
    expect(agreement([simPoint(25, 499)], [realPoint(25, 400)])[0]).toMatchObject({ allowed: 100, within: true });
    expect(agreement([simPoint(25, 501)], [realPoint(25, 400)])[0]).toMatchObject({ within: false });
    expect(agreement([simPoint(25, 299)], [realPoint(25, 400)])[0]).toMatchObject({ within: false });
    // Real 80 ms: 25 % is 20 ms, so one round (50 ms) is what is allowed.
    expect(agreement([simPoint(5, 129)], [realPoint(5, 80)])[0]).toMatchObject({ allowed: 50, within: true });
    expect(agreement([simPoint(5, 131)], [realPoint(5, 80)])[0]).toMatchObject({ within: false });
  });

  it('holds messages per update to 10 %', () => {
    const [, msgs] = agreement([simPoint(10, 100, 60)], [realPoint(10, 100, 66.5)]);
    expect(msgs).toMatchObject({ figure: 'messages per update', allowed: 6.65, within: true });
    expect(agreement([simPoint(10, 100, 60)], [realPoint(10, 100, 67)])[1]!.within).toBe(false);
  });

  it('skips an N where either side has no converged update: nothing to compare is not agreement', () => {
    expect(agreement([simPoint(10, null)], [realPoint(10, 100)])).toEqual([]);
    expect(agreement([simPoint(10, 100)], [realPoint(10, null)])).toEqual([]);
    expect(study([simPoint(10, 100)], [realPoint(10, null)]).agrees).toBe(false);
  });
});

describe('reading a scale study for parley bench --scale', () => {
  const write = (value: unknown) => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'parley-scale-')), 'scale.json');
    fs.writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
    return file;
  };

  it('reads back what the study writes', () => {
    const s = study([simPoint(10, 100), simPoint(10_000, 1100)], [realPoint(10, 95)]);
    expect(readScaleStudy(write(s))).toEqual(s);
  });

  it('refuses a file that is not a study, naming the first bad field', () => {
    expect(() => readScaleStudy(write('{not json'))).toThrow(UsageError);
    expect(() => readScaleStudy(write({ ...study([], []), schema: 'parley.results/1' }))).toThrow(/--scale .*: schema/);
    const bad = study([simPoint(10, 100)], []) as unknown as { sim: { convergenceMs: { p50: unknown } }[] };
    bad.sim[0]!.convergenceMs.p50 = 'fast';
    expect(() => readScaleStudy(write(bad))).toThrow(/sim\.0\.convergenceMs\.p50/);
    expect(() => readScaleStudy('/nonexistent/scale.json')).toThrow(UsageError);
  });
});
