/**
 * Which directed links a partition cuts. Links are named `from->to` like the proxies that
 * carry them. Shapes follow Jepsen's nemeses: halves, majority/minority, isolate one node,
 * bridge (two halves that both still see one node in the middle), ring (every node sees a
 * majority, no two nodes the same majority), and one-way (a node can hear but not speak).
 */
import type { Random } from '../../nodes/common/random.js';
import type { PARTITION_SHAPES } from '../../contracts/scenario.js';

export type PartitionShape = (typeof PARTITION_SHAPES)[number];

export const linkName = (from: string, to: string): string => `${from}->${to}`;

export function allLinks(ids: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of ids) for (const b of ids) if (a !== b) out.push(linkName(a, b));
  return out;
}

/** Every link into or out of any of `nodes`. */
export function linksTouching(ids: readonly string[], nodes: readonly string[]): string[] {
  const set = new Set(nodes);
  return allLinks(ids).filter((l) => {
    const [a, b] = l.split('->');
    return set.has(a!) || set.has(b!);
  });
}

function cutBetween(groupA: readonly string[], groupB: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of groupA) for (const b of groupB) out.push(linkName(a, b), linkName(b, a));
  return out;
}

export interface Cut {
  links: string[];
  /** The sides, for the record and the report. */
  groups: string[][];
  /** The nodes of the focus the cut was built around (the record's targets). */
  around?: string[];
}

/** Targets that name no nodes to build a minority around: its sides are drawn at random. */
const DRAWN: readonly string[] = ['random', 'all', 'minority-links', 'random-links'];

/**
 * The target a partition's `focus` is resolved from when it fires, or null when its sides
 * are drawn at random: the isolated node (isolate, one-way: `all` means a random one), the
 * leader (isolate-leader), and for majority-minority a node named by the target (the leader,
 * say) that the minority is built around: a deposed leader with followers it still holds.
 */
export function partitionFocus(spec: { shape: PartitionShape; target: string | string[] }): string | string[] | null {
  switch (spec.shape) {
    case 'isolate-leader':
      return 'leader';
    case 'isolate':
    case 'one-way':
      return spec.target === 'all' ? 'random' : spec.target;
    case 'majority-minority':
      return typeof spec.target === 'string' && DRAWN.includes(spec.target) ? null : spec.target;
    default:
      return null;
  }
}

/**
 * The focus of a partition once the runner resolved `partitionFocus` (the nodes, or why it
 * could not; null when there was nothing to resolve): the nodes; null to draw both sides,
 * which a majority-minority cut whose target names nobody now (no leader agreed) does, with
 * a note for its record; or `{ skip }` for a shape that cuts off one node and has none.
 */
export function settleFocus(shape: PartitionShape, resolved: string[] | string | null): { focus: string[] | null; note?: string } | { skip: string } {
  if (resolved === null || typeof resolved !== 'string') return { focus: resolved };
  if (shape !== 'majority-minority') return { skip: resolved };
  return { focus: null, note: `${resolved}: both sides drawn at random` };
}

/**
 * The links to cut for a shape. `focus` is the resolved target for shapes that take one
 * (`partitionFocus`): the node isolate, isolate-leader and one-way cut off (the first), the
 * nodes a majority-minority minority is built from (as many as it holds, in order); the
 * sides of the other shapes, and the rest of such a minority, are drawn from `random`.
 */
export function partitionLinks(shape: PartitionShape, ids: readonly string[], focus: readonly string[] | null, random: Random): Cut {
  const shuffled = random.shuffle(ids);
  switch (shape) {
    case 'halves': {
      const half = Math.floor(ids.length / 2);
      const a = shuffled.slice(0, half);
      const b = shuffled.slice(half);
      return { links: cutBetween(a, b), groups: [a, b] };
    }
    case 'majority-minority': {
      const size = Math.floor((ids.length - 1) / 2);
      if (focus !== null && focus.length > 0 && size > 0) {
        const chosen = [...new Set(focus)].filter((x) => ids.includes(x)).slice(0, size);
        const rest = shuffled.filter((x) => !chosen.includes(x));
        const minority = [...chosen, ...rest.slice(0, size - chosen.length)];
        const majority = rest.slice(size - chosen.length);
        return { links: cutBetween(minority, majority), groups: [majority, minority], around: chosen };
      }
      const minority = shuffled.slice(0, size);
      const majority = shuffled.slice(minority.length);
      return { links: cutBetween(minority, majority), groups: [majority, minority] };
    }
    case 'isolate':
    case 'isolate-leader': {
      const node = focus?.[0] ?? shuffled[0]!;
      const rest = ids.filter((x) => x !== node);
      return { links: cutBetween([node], rest), groups: [[node], rest], around: focus ? [node] : [] };
    }
    case 'bridge': {
      // Jepsen's bridge: two halves cut from each other, one node still talks to both.
      const bridge = shuffled[0]!;
      const others = shuffled.slice(1);
      const a = others.slice(0, Math.floor(others.length / 2));
      const b = others.slice(a.length);
      return { links: cutBetween(a, b), groups: [[...a, bridge], [bridge, ...b]] };
    }
    case 'ring': {
      // Each node keeps links to its ring neighbours within distance d, so it sees a
      // majority (itself and 2d others), and no two nodes see the same majority.
      const n = ids.length;
      const d = Math.max(1, Math.ceil(Math.floor(n / 2) / 2));
      const links: string[] = [];
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          if (i === j) continue;
          const dist = Math.min(Math.abs(i - j), n - Math.abs(i - j));
          if (dist > d) links.push(linkName(shuffled[i]!, shuffled[j]!));
        }
      }
      const groups = shuffled.map((_, i) => Array.from({ length: 2 * d + 1 }, (_, k) => shuffled[(i - d + k + n) % n]!));
      return { links, groups };
    }
    case 'one-way': {
      // The node still hears everyone; nobody hears it.
      const node = focus?.[0] ?? shuffled[0]!;
      const rest = ids.filter((x) => x !== node);
      return { links: rest.map((r) => linkName(node, r)), groups: [[node], rest], around: focus ? [node] : [] };
    }
  }
}
