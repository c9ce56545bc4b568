/**
 * Can a bank read be explained: is its residual (the read minus the opening balances and
 * the transfers that must be in it) the sum of some subset of the transfers that may be?
 *
 * That is a multi-dimensional subset sum, hopeless item by item once a long run has left a
 * hundred transfers of unknown outcome. But a transfer is a multiple of one of only
 * n(n-1)/2 vectors: "move x from account u to account v". So the transfers on one pair of
 * accounts together contribute one number, the net amount they move, drawn from a small
 * set (the subset sums of their amounts), and the question becomes a flow problem on the
 * graph of accounts: choose a net flow per pair from its set so that every account's
 * balance changes by its residual. With the sets replaced by intervals this is Hoffman's
 * circulation problem (1960), which has an integral solution iff every cut can carry its
 * demand; so the search over pairs checks every cut's demand against what the pairs not
 * yet chosen can still move across it, after every choice. The check is necessary, so the
 * search stays exact (it can refute a read); where the sets have no gaps it is also
 * sufficient, so the search never backtracks; gaps (two transfers of 5 move 0, 5 or 10,
 * never 7) are what the backtracking and a memo of refuted states are for.
 *
 * Before that, a quick look near a good guess (the transfers the previous read was
 * explained by, plus those mostly done by the middle of this read) settles most reads
 * with a few hash lookups. Any explanation found proves the read fine, however found.
 */

/** A transfer that may or may not be in the read, as the search sees it. */
export interface Movable {
  /** Account slots. */
  from: number;
  to: number;
  amount: number;
  /** Per-account effect: -amount at `from`, +amount at `to`. */
  delta: Float64Array;
  /** The guess: whether it is probably in the read. */
  likely: boolean;
}

export type Explanation =
  | { result: 'yes'; steps: number; chosen: number[] }
  | { result: 'no' | 'unknown'; steps: number };

/** Balances are sums of user numbers: compare them with a little room for binary fractions. */
const EPS = 1e-6;
/** Beyond this many distinct net amounts on one pair of accounts (non-integer amounts), give up: 'unknown'. */
const MAX_PAIR_SUMS = 50_000;
/** With more accounts than this, check single accounts only, not every cut (2^n of them). */
const MAX_CUT_ACCOUNTS = 12;

export function explain(residual: Float64Array, items: readonly Movable[], budget: number): Explanation {
  const near = nearGuess(residual, items);
  if (near) return { result: 'yes', steps: 0, chosen: near };
  return searchFlows(residual, items, budget);
}

const vectorKey = (v: ArrayLike<number>): string => Array.prototype.join.call(v, ',');

/** An explanation within three flips of the guess, or undefined. */
function nearGuess(residual: Float64Array, items: readonly Movable[]): number[] | undefined {
  const dims = residual.length;
  const n = items.length;
  // target = residual - (what the guess adds); flipping j changes the sum by change[j].
  const target = Float64Array.from(residual);
  const change: Float64Array[] = items.map((x) => {
    if (x.likely) for (let a = 0; a < dims; a++) target[a]! -= x.delta[a]!;
    return x.likely ? x.delta.map((d) => -d) : x.delta;
  });
  const byChange = new Map<string, number[]>();
  change.forEach((c, j) => {
    const k = vectorKey(c);
    const list = byChange.get(k);
    if (list) list.push(j);
    else byChange.set(k, [j]);
  });
  const answer = (flips: number[]): number[] => items.flatMap((x, j) => (x.likely !== flips.includes(j) ? [j] : []));
  if (target.every((t) => t === 0)) return answer([]);
  const find = (need: Float64Array, not: number[]): number | undefined => byChange.get(vectorKey(need))?.find((j) => !not.includes(j));
  const one = find(target, []);
  if (one !== undefined) return answer([one]);
  const need = new Float64Array(dims);
  for (let j = 0; j < n; j++) {
    for (let a = 0; a < dims; a++) need[a] = target[a]! - change[j]![a]!;
    const k = find(need, [j]);
    if (k !== undefined) return answer([j, k]);
  }
  for (let j = 0; j < n; j++) {
    for (let k = j + 1; k < n; k++) {
      for (let a = 0; a < dims; a++) need[a] = target[a]! - change[j]![a]! - change[k]![a]!;
      const l = find(need, [j, k]);
      if (l !== undefined) return answer([j, k, l]);
    }
  }
  return undefined;
}

/**
 * The transfers between accounts u < v: the net amounts they can move from u to v (positive:
 * u to v), each with one way to pick transfers for it, and the guess's net amount.
 */
interface Pair {
  u: number;
  v: number;
  /** Net amounts, nearest to the guess first. */
  nets: number[];
  min: number;
  max: number;
  /** The greatest common divisor of the pair's amounts when they are all integers, else 0: every net is a multiple. */
  gcd: number;
  /** net -> [net before the last transfer picked, that transfer's index in `items`]; 0 -> none. */
  way: Map<number, [number, number] | null>;
}

function pairsOf(items: readonly Movable[]): Pair[] | 'too-many' {
  const byPair = new Map<number, number[]>();
  const dims = items[0]?.delta.length ?? 0;
  items.forEach((x, j) => {
    if (x.from === x.to || x.amount === 0) return;
    const id = Math.min(x.from, x.to) * dims + Math.max(x.from, x.to);
    const list = byPair.get(id);
    if (list) list.push(j);
    else byPair.set(id, [j]);
  });
  const pairs: Pair[] = [];
  for (const [id, members] of [...byPair].sort((x, y) => x[0] - y[0])) {
    const u = Math.floor(id / dims);
    const way = new Map<number, [number, number] | null>([[0, null]]);
    let guess = 0;
    let g = 0;
    for (const j of members) {
      const x = items[j]!;
      g = g >= 0 && Number.isInteger(x.amount) ? gcd(g, Math.abs(x.amount)) : -1;
      const signed = x.from === u ? x.amount : -x.amount;
      if (x.likely) guess += signed;
      for (const net of [...way.keys()]) if (!way.has(net + signed)) way.set(net + signed, [net, j]);
      if (way.size > MAX_PAIR_SUMS) return 'too-many';
    }
    const nets = [...way.keys()].sort((x, y) => Math.abs(x - guess) - Math.abs(y - guess) || x - y);
    pairs.push({ u, v: id % dims, nets, min: Math.min(...nets), max: Math.max(...nets), gcd: Math.max(0, g), way });
  }
  return pairs;
}

function gcd(x: number, y: number): number {
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

interface Cut {
  accounts: number[];
  /** has[a] === 1 iff account a is in the cut. */
  has: Uint8Array;
}

/**
 * The cuts to check: every set of accounts that holds account 0 (the whole set among them,
 * whose demand must be 0; the other sets are their complements, so implied); with many
 * accounts only the single accounts and the whole set.
 */
function cutsOf(dims: number): Cut[] {
  const sets: number[][] = [];
  if (dims <= MAX_CUT_ACCOUNTS) {
    for (let m = 1; m < 1 << dims; m += 2) sets.push(Array.from({ length: dims }, (_, a) => a).filter((a) => (m & (1 << a)) !== 0));
  } else {
    for (let a = 0; a < dims; a++) sets.push([a]);
    sets.push(Array.from({ length: dims }, (_, a) => a));
  }
  return sets.map((accounts) => {
    const has = new Uint8Array(dims);
    for (const a of accounts) has[a] = 1;
    return { accounts, has };
  });
}

/**
 * Depth-first over the pairs of accounts, choosing each pair's net amount, pruned by the
 * cut condition and a memo of (depth, residual) states already refuted. Each step checks
 * every cut, so the budget counts steps, not transfers.
 */
function searchFlows(residual: Float64Array, items: readonly Movable[], budget: number): Explanation {
  const dims = residual.length;
  const pairs = pairsOf(items);
  if (pairs === 'too-many') return { result: 'unknown', steps: 0 };
  const cuts = cutsOf(dims);
  const C = cuts.length;
  const P = pairs.length;
  // lo/hi[d*C + c]: the least and most that pairs d.. can move into cut c; grain[d*C + c]:
  // what all they move is a multiple of (0: unknown, the amounts are not all integers).
  const lo = new Float64Array((P + 1) * C);
  const hi = new Float64Array((P + 1) * C);
  const grain = new Float64Array((P + 1) * C);
  const integral = pairs.every((p) => p.gcd > 0);
  for (let d = P - 1; d >= 0; d--) {
    const p = pairs[d]!;
    for (let c = 0; c < C; c++) {
      const inU = cuts[c]!.has[p.u] === 1;
      const inV = cuts[c]!.has[p.v] === 1;
      const into = inV && !inU ? 1 : inU && !inV ? -1 : 0;
      lo[d * C + c] = lo[(d + 1) * C + c]! + (into > 0 ? p.min : into < 0 ? -p.max : 0);
      hi[d * C + c] = hi[(d + 1) * C + c]! + (into > 0 ? p.max : into < 0 ? -p.min : 0);
      grain[d * C + c] = into === 0 ? grain[(d + 1) * C + c]! : gcd(grain[(d + 1) * C + c]!, p.gcd);
    }
  }
  const rest = Float64Array.from(residual);
  const feasible = (d: number): boolean => {
    for (let c = 0; c < C; c++) {
      let demand = 0;
      for (const a of cuts[c]!.accounts) demand += rest[a]!;
      if (demand < lo[d * C + c]! - EPS || demand > hi[d * C + c]! + EPS) return false;
      const g = grain[d * C + c]!;
      if (integral && g > 0 && Math.abs(demand - g * Math.round(demand / g)) > EPS) return false;
    }
    return true;
  };

  const refuted = new Set<string>();
  const chosenNet: number[] = new Array<number>(P).fill(0);
  let steps = 0;
  const search = (d: number): boolean | 'unknown' => {
    if (++steps > budget) return 'unknown';
    if (!feasible(d)) return false;
    if (d === P) return rest.every((r) => Math.abs(r) <= EPS);
    const memo = `${d}|${vectorKey(rest)}`;
    if (refuted.has(memo)) return false;
    const p = pairs[d]!;
    for (const net of p.nets) {
      rest[p.v]! -= net;
      rest[p.u]! += net;
      const found = search(d + 1);
      rest[p.v]! += net;
      rest[p.u]! -= net;
      if (found === true) chosenNet[d] = net;
      if (found !== false) return found;
    }
    refuted.add(memo);
    return false;
  };
  const result = search(0);
  if (result === 'unknown') return { result, steps };
  if (!result) return { result: 'no', steps };
  const chosen: number[] = [];
  pairs.forEach((p, d) => {
    for (let net = chosenNet[d]!, step = p.way.get(net); step; net = step[0], step = p.way.get(net)) chosen.push(step[1]);
  });
  return { result: 'yes', steps, chosen };
}
