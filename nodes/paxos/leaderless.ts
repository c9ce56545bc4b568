/**
 * Leaderless Multi-Paxos (`--set mode=leaderless`): no distinguished proposer. Every node
 * proposes its own clients' requests, each batch with a full phase 1 + 2 at a fresh ballot,
 * which also recovers and finishes whatever other proposers left in flight. It is Paxos
 * Made Simple §2 run per request, and it is here to measure what §3's distinguished proposer
 * saves: under contention proposers refuse each other's ballots.
 *
 *   - One round at a time per node; requests that arrive meanwhile wait and go together in
 *     the next round (batching). A round that is refused, or not finished within
 *     electionTimeoutMaxMs, is abandoned and retried after a randomized exponential backoff,
 *     so duelling proposers converge instead of livelocking.
 *   - A value of an abandoned round is in doubt: some acceptors may hold it, and a later
 *     round (anyone's) may still choose it. It is retried with the same id unless phase 1
 *     finds it in a slot; if it is chosen twice anyway, it is applied once (core.ts).
 *   - Learning: a finished round tells everyone the chosen values (decide); every
 *     heartbeatMs each node tells its peers its chosen point (sync), and a peer that knows
 *     more answers with decide, so a node that missed decisions catches up. A round that
 *     learns this way that a higher ballot chose another value in one of its slots ends, like
 *     a refused one (core.ts endOverruledRound). A node that holds accepted slots nobody has
 *     decided for a randomized electionTimeout runs a round itself to finish them (their
 *     proposer may have crashed with its decide unsent).
 *   - Reads are chosen in slots like writes: with no leader there is no read index.
 */
import type { ClientOp, CoreContext } from '../common/core.js';
import { PaxosCore, type Role } from './core.js';
import type { Proposal, SlotValue } from './messages.js';
import type { PaxosOptions } from './options.js';

export class LeaderlessCore extends PaxosCore {
  role: Role = 'idle';
  private inDoubt: Proposal[] = [];
  /** Our own values proposed in the current round. */
  private roundValues: Proposal[] = [];
  private roundDeadline = 0;
  private backoffUntil = 0;
  private conflicts = 0;
  private nextSync = 0;
  private roundTimeouts = 0;
  /** The chosen point we last saw move, and until when we wait before finishing stuck slots ourselves. */
  private lastChosen = -1;
  private stallDeadline = 0;

  constructor(ctx: CoreContext<PaxosOptions>) {
    super(ctx);
  }

  override metrics(): Record<string, unknown> {
    const base = super.metrics() as { paxos: Record<string, unknown> };
    return { paxos: { ...base.paxos, inDoubt: this.inDoubt.length, roundTimeouts: this.roundTimeouts } };
  }

  override get waiting(): number {
    return this.queue.length + this.inDoubt.length;
  }

  protected tick(): void {
    if (this.now >= this.nextSync) {
      this.nextSync = this.now + this.opts.heartbeatMs;
      for (const peer of this.peers) this.out.send(peer, { t: 'sync', chosen: this.acceptor.chosenUpTo });
    }
    if (this.proposer) {
      if (this.now >= this.roundDeadline) {
        this.roundTimeouts++;
        this.abandonRound();
      }
      return;
    }
    if (this.acceptor.chosenUpTo !== this.lastChosen) {
      this.lastChosen = this.acceptor.chosenUpTo;
      this.stallDeadline = this.now + this.random.int(this.opts.electionTimeoutMinMs, this.opts.electionTimeoutMaxMs);
    }
    // Slots accepted here but not known chosen, and no progress for a while: their proposer
    // may have crashed, or its decide was lost. Nobody else will run phase 1 for them until a
    // client asks, so a round of our own finishes them (what a new leader does at takeover).
    const stuck = this.acceptor.lastSlot > this.acceptor.chosenUpTo && this.now >= this.stallDeadline;
    this.maybeStartRound(stuck);
  }

  private maybeStartRound(force = false): void {
    if (this.proposer || this.now < this.backoffUntil || (this.waiting === 0 && !force)) return;
    this.role = 'proposer';
    this.roundDeadline = this.now + this.opts.electionTimeoutMaxMs;
    this.campaign();
  }

  protected takeOver(recovery: { slot: number; value: SlotValue }[]): void {
    const p = this.proposer!;
    // A value in doubt that phase 1 found in some slot (re-proposed there, or already chosen) is not proposed again.
    const found = new Set(recovery.map((r) => r.value?.id));
    // (Forgotten slots hide their values, but what they executed is in executor's ids.)
    for (let s = Math.max(p.firstSlot, this.acceptor.base + 1); s <= p.maxSlot; s++) if (this.acceptor.isChosen(s)) found.add(this.acceptor.value(s)?.id);
    const own = this.inDoubt.filter((v) => !found.has(v.id) && !this.executor.wasApplied(v.id));
    this.inDoubt = [];
    while (this.queue.length > 0) own.push(this.newProposal(this.queue.splice(0, this.opts.maxBatchOps)));
    this.roundValues = own;
    const proposals = [...recovery];
    for (const value of own) proposals.push({ slot: p.nextSlot++, value });
    if (this.proposeAll(proposals)) this.finishRound();
  }

  protected override onAcceptedBy(): void {
    this.finishRound();
  }

  /** When every slot of the round is chosen: tell the learners, and start the next round if work waits. */
  private finishRound(): void {
    const p = this.proposer;
    if (!p || p.phase !== 'accept' || p.unchosen > 0) return;
    const last = p.nextSlot - 1;
    for (const peer of this.peers) for (let s = p.firstSlot; s <= last; ) s = this.sendChosen(peer, s, last) + 1;
    this.proposer = null;
    this.role = 'idle';
    this.roundValues = [];
    this.conflicts = 0;
    this.maybeStartRound();
  }

  protected preempted(): void {
    this.abandonRound();
  }

  /** Refused or timed out: our values are in doubt (they may yet be chosen); retry after a randomized backoff. */
  private abandonRound(): void {
    for (const v of this.roundValues) if (this.executor.pending.has(v.id)) this.inDoubt.push(v);
    this.roundValues = [];
    this.proposer = null;
    this.role = 'idle';
    this.conflicts++;
    const cap = Math.min(this.opts.backoffMaxMs, this.opts.backoffBaseMs * 2 ** Math.min(this.conflicts, 16));
    this.backoffUntil = this.now + this.random.int(0, cap);
  }

  protected onClient(reqId: string, op: ClientOp): void {
    this.queue.push({ reqId, op });
    this.maybeStartRound();
  }

  protected override onForget(): void {
    this.inDoubt = this.inDoubt.filter((v) => this.executor.pending.has(v.id)); // nobody waits for it: stop retrying
  }

  protected override afterApply(): void {
    if (this.inDoubt.length > 0) this.inDoubt = this.inDoubt.filter((v) => !this.executor.wasApplied(v.id));
  }
}
