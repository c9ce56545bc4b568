/**
 * The gossip replica on its own: the hybrid logical clock (Kulkarni et al. 2014), the
 * last-writer-wins merge (a join: commutative, associative, idempotent), and the digest
 * comparison of push-pull anti-entropy (Demers et al. 1987 §1.3).
 */
import { describe, expect, it } from 'vitest';
import { HybridClock, MAX_LOGICAL, compareTimestamps, packTimestamp, type Timestamp } from '../../nodes/gossip/hlc.js';
import { SeqSet } from '../../nodes/gossip/seq-set.js';
import { VersionStore, compareVersions, type Versioned } from '../../nodes/gossip/store.js';
import { Random } from '../../nodes/common/random.js';

describe('hybrid logical clock (Kulkarni et al. 2014, Figure 5)', () => {
  it('local events are strictly increasing even when physical time stands still or runs backwards', () => {
    const clock = new HybridClock();
    const rnd = new Random(7);
    let last: Timestamp = [-1, 0];
    let pt = 1000;
    for (let i = 0; i < 5000; i++) {
      pt += rnd.int(-3, 3); // a physical clock that jitters backwards must not move the HLC back
      const t = i % 3 === 0 ? clock.observe([pt + rnd.int(-50, 50), rnd.int(0, 5)], pt) : clock.now(pt);
      expect(compareTimestamps(t, last)).toBeGreaterThan(0);
      expect(t[0]).toBeGreaterThanOrEqual(Math.floor(pt)); // l >= pt: the clock never trails physical time
      last = t;
    }
  });

  it('a receive event orders after the message it received (causality: e hb f => hlc(e) < hlc(f))', () => {
    const a = new HybridClock();
    const b = new HybridClock();
    const sent = a.now(5000); // a's physical clock is ahead of b's
    const received = b.observe(sent, 4000);
    expect(compareTimestamps(received, sent)).toBeGreaterThan(0);
    expect(received).toEqual([5000, 1]);
    expect(compareTimestamps(b.now(4001), received)).toBeGreaterThan(0);
    // Physical time catching up resets the counter: l follows physical time when it can.
    expect(b.now(6000)).toEqual([6000, 0]);
  });

  it('the counter never overflows the 16 bits packed into the trace version', () => {
    const clock = new HybridClock([100, MAX_LOGICAL - 1]);
    const t1 = clock.now(100);
    const t2 = clock.now(100);
    expect(t1).toEqual([100, MAX_LOGICAL]);
    expect(t2).toEqual([101, 0]);
    expect(packTimestamp(t2)).toBeGreaterThan(packTimestamp(t1));
  });

  it('restore never moves the clock back (recovery after a restart)', () => {
    const clock = new HybridClock();
    clock.restore([900, 4]);
    clock.restore([800, 9]);
    expect(clock.current).toEqual([900, 4]);
    expect(compareTimestamps(clock.now(10), [900, 4])).toBeGreaterThan(0);
  });
});

describe('per-origin seq sets (version vector with exceptions)', () => {
  it('keeps disjoint sorted ranges, merging neighbours, against a plain set', () => {
    const rnd = new Random(3);
    for (let trial = 0; trial < 50; trial++) {
      const s = new SeqSet();
      const truth = new Set<number>();
      for (let i = 0; i < 60; i++) {
        const from = rnd.int(1, 80);
        const to = rnd.chance(0.7) ? from : from + rnd.int(0, 6);
        if (from === to) s.add(from);
        else s.addRange(from, to);
        for (let x = from; x <= to; x++) truth.add(x);
      }
      for (let x = 0; x <= 90; x++) expect(s.has(x)).toBe(truth.has(x));
      const flat = s.flat();
      for (let i = 2; i < flat.length; i += 2) expect(flat[i]!).toBeGreaterThan(flat[i - 1]! + 1);
      expect(SeqSet.from(flat).equals(s)).toBe(true);
      expect(s.max).toBe(Math.max(...truth));
    }
  });

  it('an origin whose updates arrive in order costs one range', () => {
    const s = new SeqSet();
    for (let i = 1; i <= 1000; i++) s.add(i);
    expect(s.flat()).toEqual([1, 1000]);
  });
});

const ORIGINS = ['a', 'b', 'c', 'd'];

/** Random writes as origins make them: per-origin increasing seqs and HLC timestamps. */
function randomVersions(seed: number, count: number, keys = 6): Versioned[] {
  const rnd = new Random(seed);
  const clocks = new Map(ORIGINS.map((o) => [o, new HybridClock()]));
  const seqs = new Map(ORIGINS.map((o) => [o, 0]));
  const out: Versioned[] = [];
  for (let i = 0; i < count; i++) {
    const origin = rnd.pick(ORIGINS);
    // Physical clocks that disagree (ties in l are likely): the counter and the origin break them.
    const [l, c] = clocks.get(origin)!.now(rnd.int(0, 20));
    const seq = seqs.get(origin)! + 1;
    seqs.set(origin, seq);
    out.push([`k${rnd.int(1, keys)}`, `${origin}${seq}`, l, c, origin, seq]);
  }
  return out;
}

function storeOf(versions: readonly Versioned[]): VersionStore {
  const s = new VersionStore();
  for (const v of versions) s.merge(v);
  return s;
}

/** Join of two replicas by one complete push-pull exchange: b ships what a's digest lacks, a adopts b's digest. */
function join(a: VersionStore, b: VersionStore): VersionStore {
  const out = storeOf(a.winnersList());
  out.adopt(a.digest());
  const { versions, complete } = b.missing(out.digest(), Infinity);
  expect(complete).toBe(true);
  for (const v of versions) out.merge(v);
  out.adopt(b.digest());
  return out;
}

const contents = (s: VersionStore) =>
  s
    .winnersList()
    .map((v) => JSON.stringify(v))
    .sort();

describe('last-writer-wins merge is a join (state-based CRDT), so delivery order does not matter', () => {
  it('every delivery order, with duplicates, yields the same winners and the same digest (300 seeds)', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const versions = randomVersions(seed, 40);
      const rnd = new Random(seed * 7919);
      const reference = storeOf(versions);
      // The winner of each key is the maximum of its versions by (HLC, origin): no other rule.
      for (const key of new Set(versions.map((v) => v[0]))) {
        const max = versions.filter((v) => v[0] === key).reduce((x, y) => (compareVersions(x, y) >= 0 ? x : y));
        expect(reference.get(key)).toEqual(max);
      }
      for (let order = 0; order < 4; order++) {
        const shuffled = rnd.shuffle([...versions, ...rnd.sample(versions, 10)]);
        const s = storeOf(shuffled);
        expect(contents(s), `seed ${seed}`).toEqual(contents(reference));
        expect(s.digest()).toEqual(reference.digest());
      }
    }
  });

  it('replica join is commutative, associative and idempotent (200 seeds)', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const all = randomVersions(seed, 30);
      const rnd = new Random(seed);
      const [a, b, c] = [0, 1, 2].map(() => storeOf(rnd.sample(all, rnd.int(0, all.length))));
      expect(contents(join(a!, b!))).toEqual(contents(join(b!, a!)));
      expect(join(a!, b!).digest()).toEqual(join(b!, a!).digest());
      expect(contents(join(join(a!, b!), c!))).toEqual(contents(join(a!, join(b!, c!))));
      expect(contents(join(a!, a!))).toEqual(contents(a!));
      expect(join(a!, a!).digest()).toEqual(a!.digest());
    }
  });
});

describe('digest comparison (Demers §1.3 push-pull)', () => {
  it('ships exactly the winners the peer does not cover, and nothing when digests match', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const all = randomVersions(seed, 50);
      const rnd = new Random(seed * 13);
      const mine = storeOf(all);
      const theirs = storeOf(rnd.sample(all, rnd.int(0, 50)));
      const { versions, complete } = mine.missing(theirs.digest(), Infinity);
      expect(complete).toBe(true);
      const expected = mine.winnersList().filter((w) => !theirs.digest()[w[4]] || !SeqSet.from(theirs.digest()[w[4]]!).has(w[5]));
      expect(versions.map((v) => JSON.stringify(v)).sort()).toEqual(expected.map((v) => JSON.stringify(v)).sort());
      // No version is shipped that the peer already holds or has overwritten: nothing redundant.
      for (const v of versions) expect(theirs.covers(v)).toBe(false);
      expect(mine.missing(mine.digest(), Infinity).versions).toEqual([]);
    }
  });

  it('a capped exchange is marked incomplete and still makes progress: repeated exchanges converge', () => {
    const all = randomVersions(42, 400, 200);
    const source = storeOf(all);
    const target = new VersionStore();
    let exchanges = 0;
    for (;;) {
      const { versions, complete } = source.missing(target.digest(), 25);
      for (const v of versions) target.merge(v);
      exchanges++;
      if (complete) {
        target.adopt(source.digest());
        break;
      }
      expect(versions).toHaveLength(25);
    }
    expect(exchanges).toBe(Math.ceil(source.size / 25));
    expect(contents(target)).toEqual(contents(source));
    expect(target.digest()).toEqual(source.digest());
  });

  it('the digest grows with writers, not keys: one range per origin once versions overwritten in transit are adopted', () => {
    const all = randomVersions(5, 2000, 500);
    const source = storeOf(all);
    const target = new VersionStore();
    for (const v of source.missing(target.digest(), Infinity).versions) target.merge(v);
    // Overwritten versions never reach the target on their own: holes, until it adopts.
    expect(target.digestRanges()).toBeGreaterThan(ORIGINS.length);
    target.adopt(source.digest());
    expect(target.digestRanges()).toBe(ORIGINS.length);
    expect(JSON.stringify(target.digest()).length).toBeLessThan(100);
  });
});
