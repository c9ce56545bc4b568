import { describe, expect, it } from 'vitest';
import { Random } from '../../nodes/common/random.js';
import { allLinks, linksTouching, partitionLinks } from '../../harness/faults/topology.js';
import { expandNemesis } from '../../harness/faults/nemesis.js';
import { parseScenario } from '../../harness/scenario.js';

const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];
const reach = (links: string[]) => {
  const cut = new Set(links);
  return (a: string, b: string) => a === b || !cut.has(`${a}->${b}`);
};

describe('partition shapes', () => {
  it('majority-minority cuts every link between the sides and no other', () => {
    const { links, groups } = partitionLinks('majority-minority', ids, null, new Random(3));
    const [majority, minority] = groups as [string[], string[]];
    expect(majority).toHaveLength(3);
    expect(minority).toHaveLength(2);
    const ok = reach(links);
    for (const a of ids) for (const b of ids) expect(ok(a, b)).toBe(majority.includes(a) === majority.includes(b));
  });

  it('bridge: the halves cannot talk, the bridge node talks to both', () => {
    const { links, groups } = partitionLinks('bridge', ids, null, new Random(5));
    const bridge = groups[0]!.find((x) => groups[1]!.includes(x))!;
    const ok = reach(links);
    for (const x of ids) expect(ok(bridge, x) && ok(x, bridge)).toBe(true);
    const a = groups[0]!.filter((x) => x !== bridge);
    const b = groups[1]!.filter((x) => x !== bridge);
    for (const x of a) for (const y of b) expect(ok(x, y) || ok(y, x)).toBe(false);
  });

  it('ring: every node sees a majority, no two nodes the same one', () => {
    const { links } = partitionLinks('ring', ids, null, new Random(7));
    const ok = reach(links);
    const views = ids.map((a) => ids.filter((b) => ok(a, b)).sort().join(','));
    for (const v of views) expect(v.split(',').length).toBe(3);
    expect(new Set(views).size).toBe(ids.length);
  });

  it('one-way: the node hears everyone and nobody hears it', () => {
    const { links } = partitionLinks('one-way', ids, 'n2', new Random(1));
    const ok = reach(links);
    for (const x of ids.filter((i) => i !== 'n2')) {
      expect(ok(x, 'n2')).toBe(true);
      expect(ok('n2', x)).toBe(false);
    }
  });

  it('isolate and link sets name directed links', () => {
    expect(partitionLinks('isolate', ids, 'n4', new Random(1)).links.sort()).toEqual(linksTouching(ids, ['n4']).sort());
    expect(allLinks(['a', 'b', 'c'])).toEqual(['a->b', 'a->c', 'b->a', 'b->c', 'c->a', 'c->b']);
  });
});

describe('nemesis schedules', () => {
  const scenario = (seed: number) => parseScenario({ algo: 'raft', nodes: 5, duration: '30s', seed, nemesis: { names: ['chaos'], interval: '4s', faultDuration: '2s' } });

  it('are a pure function of the seed, never overlap, and stay inside the load', () => {
    const a = expandNemesis(scenario(42));
    expect(expandNemesis(scenario(42))).toEqual(a);
    expect(expandNemesis(scenario(43))).not.toEqual(a);
    expect(a.length).toBeGreaterThanOrEqual(5);
    for (let i = 0; i < a.length; i++) {
      expect(a[i]!.at + a[i]!.duration).toBeLessThanOrEqual(30_000);
      if (i > 0) expect(a[i]!.at).toBeGreaterThanOrEqual(a[i - 1]!.at + a[i - 1]!.duration);
    }
    expect(new Set(a.map((f) => f.kind)).size).toBeGreaterThan(2);
  });

  it('catch-up: one node cut off for most of its slot, then crashed soon after it is back', () => {
    const s = parseScenario({ algo: 'raft', nodes: 5, duration: '60s', seed: 7, nemesis: { names: ['catch-up'], interval: '20s', faultDuration: '2s' } });
    const faults = expandNemesis(s);
    expect(faults.length).toBeGreaterThanOrEqual(4);
    for (let i = 0; i + 1 < faults.length; i += 2) {
      const [away, again] = [faults[i]!, faults[i + 1]!];
      expect(away.kind === 'partition' && away.shape === 'isolate').toBe(true);
      expect(away.duration).toBe(20_000 - 2500);
      expect(again.kind).toBe('crash');
      expect(again.target).toBe(away.target);
      expect(again.at - (away.at + away.duration)).toBeGreaterThanOrEqual(300);
      expect(again.at - (away.at + away.duration)).toBeLessThanOrEqual(800);
      expect(again.at + again.duration).toBeLessThanOrEqual(away.at + 20_000);
    }
  });
});
