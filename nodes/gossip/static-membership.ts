/**
 * `membership=static`: the configured member list is the view. Every member is taken as
 * alive, nothing is probed, suspected or piggybacked, and a dead member keeps being chosen
 * (its rumors and digests are simply lost; anti-entropy with the others makes up for it).
 *
 * Why it exists: Demers et al.'s analysis of rumor mongering and anti-entropy (PODC 1987)
 * assumes every site knows the full membership, which is what a fixed member list gives,
 * and what a dissemination study at 10,000 simulated nodes needs: SWIM keeps a table of
 * every member on every node (O(N^2) in all), this keeps one array of member ids that every
 * node of a process may share (CoreContext.members) and draws from it without copying.
 * What it gives up is failure detection: a crashed member costs each push aimed at it.
 */
import type { NodeId } from '../common/core.js';
import type { Random } from '../common/random.js';
import { choose, type MemberState, type MemberUpdate, type MemberView, type Membership } from './membership.js';

const NOTHING: MemberUpdate[] = [];

export class StaticMembership implements MemberView {
  readonly incarnation = 0;
  readonly counters: Membership['counters'] = { probes: 0, indirectProbes: 0, failedProbes: 0, graceProbes: 0, nacks: 0, refutations: 0, stalls: 0 };
  /** The other members, copied only when k draws would be a large share of them (a small cluster). */
  private others: NodeId[] | null = null;

  constructor(
    readonly self: NodeId,
    /** Every member, this node included; shared, never modified. */
    private readonly members: readonly NodeId[],
    private readonly random: Random,
  ) {}

  /**
   * Up to k distinct members other than this one, uniformly. With k small against N (the
   * case at scale) by rejection, O(k) draws and no copy of the list; otherwise a partial
   * Fisher-Yates over the others.
   */
  choose(k: number): NodeId[] {
    const members = this.members;
    const n = members.length - 1;
    const want = Math.min(k, n);
    if (want <= 0) return [];
    if (4 * want > n) {
      this.others ??= members.filter((m) => m !== this.self);
      return choose(this.random, this.others, want);
    }
    const out: NodeId[] = [];
    while (out.length < want) {
      const id = members[this.random.int(0, members.length - 1)]!;
      if (id !== this.self && !out.includes(id)) out.push(id);
    }
    return out;
  }

  stateOf(id: NodeId): MemberState | undefined {
    return this.members.includes(id) ? 'alive' : undefined;
  }

  table(): MemberUpdate[] {
    return NOTHING;
  }

  heardFrom(): void {}

  applyAll(): void {}

  piggyback(): MemberUpdate[] {
    return NOTHING;
  }

  tick(): void {}

  /** No failure detector here: probes from a SWIM node of another configuration go unanswered. */
  onProbeMessage(): void {}

  status(): Record<string, unknown> {
    return { membership: 'static', incarnation: 0, members: { alive: [...this.members].sort(), suspect: [], dead: [] } };
  }
}
