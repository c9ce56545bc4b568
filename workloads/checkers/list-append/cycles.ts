/**
 * Finding the cycles of a dependency graph and naming them (Adya 1999; Elle §4.3):
 *
 *   G0        a cycle of ww edges only (dirty write);
 *   G1c       a cycle of ww and wr edges, at least one wr (circular information flow);
 *   G-single  a cycle with exactly one rw edge (read skew, lost update);
 *   G2        a cycle with two or more rw edges (write skew).
 *
 * A serializable history has an acyclic graph, so first Tarjan's strongly connected
 * components (linear time; a healthy history stops here). In each non-trivial component,
 * each class gets its own search for a short cycle: G0 and G1c are exact (the components of
 * the ww, resp. ww+wr, subgraph: any edge inside one closes a cycle, found by breadth-first
 * search back to its source); G-single and G2 try the component's rw edges, up to a bound,
 * closing each by the shortest path of the right kind. Whatever a search returns is named by
 * what it contains, so a name is never a guess; and every component yields at least one
 * cycle, so a cyclic graph is never reported valid.
 */
import { MASK_ALL, MASK_WW, MASK_WW_WR, RW, WR, type DependencyGraph } from './graph.js';

export type CycleClass = 'G0' | 'G1c' | 'G-single' | 'G2';

export interface FoundCycle {
  type: CycleClass;
  /** Nodes in cycle order; `edges[i]` leads from `nodes[i]` to `nodes[(i + 1) % n]`. */
  nodes: number[];
  edges: number[];
}

/** rw edges tried per component for G-single and for G2 before giving up on that class there. */
const RW_ATTEMPTS = 64;

/** Reusable scratch space for searches over a graph of `size` nodes (states: 2 per node for G2). */
class Scratch {
  readonly stamp: Int32Array;
  readonly parentEdge: Int32Array;
  readonly parentState: Int32Array;
  readonly queue: Int32Array;
  private epoch = 0;
  constructor(size: number) {
    this.stamp = new Int32Array(2 * size);
    this.parentEdge = new Int32Array(2 * size);
    this.parentState = new Int32Array(2 * size);
    this.queue = new Int32Array(2 * size);
  }
  next(): number {
    return ++this.epoch;
  }
}

/**
 * Strongly connected components of the subgraph of `nodes` (those with member[v] === inside)
 * over edges whose type is in `mask`: iterative Tarjan (no recursion, so a 100,000-node
 * chain does not overflow the stack). Returns the components of two or more nodes and sets
 * `comp[v]` for every node visited to its component's number, which is unique across calls,
 * so one `comp` array can serve many calls without being cleared.
 */
export class Components {
  private readonly index: Int32Array;
  private readonly low: Int32Array;
  private readonly onStack: Uint8Array;
  private readonly visited: Int32Array;
  private epoch = 0;
  private counter = 0;

  constructor(private readonly g: DependencyGraph) {
    this.index = new Int32Array(g.size);
    this.low = new Int32Array(g.size);
    this.onStack = new Uint8Array(g.size);
    this.visited = new Int32Array(g.size);
  }

  find(nodes: Iterable<number>, mask: number, member: Int32Array | null, inside: number, comp: Int32Array): number[][] {
    const g = this.g;
    const epoch = ++this.epoch;
    const stack: number[] = [];
    const frames: number[] = []; // pairs (node, next edge)
    const comps: number[][] = [];
    let idx = 0;
    const allowed = (e: number) => ((mask >> g.types[e]!) & 1) === 1 && (member === null || member[g.targets[e]!] === inside);
    for (const root of nodes) {
      if (this.visited[root] === epoch) continue;
      this.visited[root] = epoch;
      this.index[root] = this.low[root] = idx++;
      stack.push(root);
      this.onStack[root] = 1;
      frames.push(root, g.offsets[root]!);
      while (frames.length > 0) {
        const v = frames[frames.length - 2]!;
        const e = frames[frames.length - 1]!;
        if (e < g.offsets[v + 1]!) {
          frames[frames.length - 1] = e + 1;
          if (!allowed(e)) continue;
          const w = g.targets[e]!;
          if (this.visited[w] !== epoch) {
            this.visited[w] = epoch;
            this.index[w] = this.low[w] = idx++;
            stack.push(w);
            this.onStack[w] = 1;
            frames.push(w, g.offsets[w]!);
          } else if (this.onStack[w]) {
            this.low[v] = Math.min(this.low[v]!, this.index[w]!);
          }
          continue;
        }
        frames.length -= 2;
        if (frames.length > 0) {
          const parent = frames[frames.length - 2]!;
          this.low[parent] = Math.min(this.low[parent]!, this.low[v]!);
        }
        if (this.low[v] === this.index[v]) {
          const id = this.counter++;
          const members: number[] = [];
          let w: number;
          do {
            w = stack.pop()!;
            this.onStack[w] = 0;
            comp[w] = id;
            members.push(w);
          } while (w !== v);
          if (members.length > 1) comps.push(members);
        }
      }
    }
    return comps;
  }
}

/** Shortest path from `from` to `to` over `mask` edges inside component `inside`: its edges, or null. */
function shortestPath(g: DependencyGraph, s: Scratch, from: number, to: number, mask: number, member: Int32Array, inside: number): number[] | null {
  const epoch = s.next();
  let head = 0;
  let tail = 0;
  s.queue[tail++] = from;
  s.stamp[from] = epoch;
  s.parentEdge[from] = -1;
  while (head < tail) {
    const v = s.queue[head++]!;
    if (v === to) break;
    for (let e = g.offsets[v]!; e < g.offsets[v + 1]!; e++) {
      if (((mask >> g.types[e]!) & 1) === 0) continue;
      const w = g.targets[e]!;
      if (member[w] !== inside || s.stamp[w] === epoch) continue;
      s.stamp[w] = epoch;
      s.parentEdge[w] = e;
      s.parentState[w] = v;
      s.queue[tail++] = w;
    }
  }
  if (s.stamp[to] !== epoch) return null;
  const path: number[] = [];
  for (let v = to; v !== from; v = s.parentState[v]!) path.push(s.parentEdge[v]!);
  return path.reverse();
}

/**
 * Shortest path from `from` to `to` inside the component that takes at least one rw edge:
 * breadth-first over (node, has taken an rw edge) states. The walk may repeat a node;
 * callers keep only simple ones.
 */
function pathWithRw(g: DependencyGraph, s: Scratch, from: number, to: number, member: Int32Array, inside: number): number[] | null {
  const epoch = s.next();
  let head = 0;
  let tail = 0;
  const start = from * 2;
  const goal = to * 2 + 1;
  s.queue[tail++] = start;
  s.stamp[start] = epoch;
  while (head < tail) {
    const state = s.queue[head++]!;
    if (state === goal) break;
    const v = state >> 1;
    const took = state & 1;
    for (let e = g.offsets[v]!; e < g.offsets[v + 1]!; e++) {
      const w = g.targets[e]!;
      if (member[w] !== inside) continue;
      const next = w * 2 + (took | (g.types[e] === RW ? 1 : 0));
      if (s.stamp[next] === epoch) continue;
      s.stamp[next] = epoch;
      s.parentEdge[next] = e;
      s.parentState[next] = state;
      s.queue[tail++] = next;
    }
  }
  if (s.stamp[goal] !== epoch) return null;
  const path: number[] = [];
  for (let state = goal; state !== start; state = s.parentState[state]!) path.push(s.parentEdge[state]!);
  return path.reverse();
}

/** What a cycle is, by the edges it holds. */
export function classify(g: DependencyGraph, edges: readonly number[]): CycleClass {
  let rw = 0;
  let wr = 0;
  for (const e of edges) {
    if (g.types[e] === RW) rw++;
    else if (g.types[e] === WR) wr++;
  }
  return rw >= 2 ? 'G2' : rw === 1 ? 'G-single' : wr > 0 ? 'G1c' : 'G0';
}

/** Edge `first` (from `source`) followed by `path` back to `source`, as a cycle; null unless it is simple. */
function close(g: DependencyGraph, source: number, first: number, path: readonly number[]): FoundCycle | null {
  const edges = [first, ...path];
  const nodes = [source];
  for (let i = 0; i < edges.length - 1; i++) nodes.push(g.targets[edges[i]!]!);
  if (new Set(nodes).size !== nodes.length) return null;
  return { type: classify(g, edges), nodes, edges };
}

/** The edges of component `inside` of a given type, as [source, edge] pairs. */
function* edgesOfType(g: DependencyGraph, nodes: readonly number[], member: Int32Array, inside: number, typeMask: number): Generator<[number, number]> {
  for (const v of nodes) {
    for (let e = g.offsets[v]!; e < g.offsets[v + 1]!; e++) {
      if (((typeMask >> g.types[e]!) & 1) === 1 && member[g.targets[e]!] === inside) yield [v, e];
    }
  }
}

/** In a subgraph's components, a cycle through an edge of `through` type (G0: any ww edge; G1c: a wr edge). */
function exactCycle(g: DependencyGraph, s: Scratch, tarjan: Components, comp: Int32Array, nodes: readonly number[], member: Int32Array, inside: number, mask: number, through: number): FoundCycle | null {
  const comps = tarjan.find(nodes, mask, member, inside, comp);
  for (const sub of comps) {
    const id = comp[sub[0]!]!;
    for (const [v, e] of edgesOfType(g, sub, comp, id, through)) {
      const path = shortestPath(g, s, g.targets[e]!, v, mask, comp, id);
      if (path) return close(g, v, e, path);
    }
  }
  return null;
}

/**
 * Every non-trivial component of the graph, and up to one cycle per class in each
 * (fewer if a class is absent there, never none). `deadline` (performance.now() ms) bounds
 * the optional searches; the one cycle per component is always found.
 */
export function findCycles(g: DependencyGraph, deadline = Infinity): { components: number; cycles: FoundCycle[] } {
  const tarjan = new Components(g);
  const all = Array.from({ length: g.size }, (_, v) => v);
  const comp = new Int32Array(g.size).fill(-1);
  const comps = tarjan.find(all, MASK_ALL, null, 0, comp);
  const subComp = new Int32Array(g.size).fill(-1);
  const s = new Scratch(g.size);
  const cycles: FoundCycle[] = [];
  for (const nodes of comps) {
    const inside = comp[nodes[0]!]!;
    const found = new Map<CycleClass, FoundCycle>();
    const keep = (c: FoundCycle | null) => {
      if (c && !found.has(c.type)) found.set(c.type, c);
    };
    keep(exactCycle(g, s, tarjan, subComp, nodes, comp, inside, MASK_WW, MASK_WW));
    keep(exactCycle(g, s, tarjan, subComp, nodes, comp, inside, MASK_WW_WR, 1 << WR));
    let attempts = 0;
    for (const [v, e] of edgesOfType(g, nodes, comp, inside, 1 << RW)) {
      if (found.has('G-single') || attempts++ >= RW_ATTEMPTS || performance.now() > deadline) break;
      const path = shortestPath(g, s, g.targets[e]!, v, MASK_WW_WR, comp, inside);
      if (path) keep(close(g, v, e, path));
    }
    attempts = 0;
    for (const [v, e] of edgesOfType(g, nodes, comp, inside, 1 << RW)) {
      if (found.has('G2') || attempts++ >= RW_ATTEMPTS || performance.now() > deadline) break;
      const path = pathWithRw(g, s, g.targets[e]!, v, comp, inside);
      if (path) keep(close(g, v, e, path));
    }
    if (found.size === 0) {
      // Every search above was cut short: any cycle, named by what it holds.
      const v = nodes[0]!;
      for (let e = g.offsets[v]!; e < g.offsets[v + 1]! && found.size === 0; e++) {
        if (comp[g.targets[e]!] !== inside) continue;
        const path = shortestPath(g, s, g.targets[e]!, v, MASK_ALL, comp, inside);
        if (path) keep(close(g, v, e, path));
      }
    }
    const order: CycleClass[] = ['G0', 'G1c', 'G-single', 'G2'];
    for (const type of order) {
      const c = found.get(type);
      if (c) cycles.push(c);
    }
  }
  return { components: comps.length, cycles };
}
