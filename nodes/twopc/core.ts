/**
 * Two-phase commit (Gray, "Notes on Data Base Operating Systems", 1978; Gray & Lamport,
 * "Consensus on Transaction Commit", 2006, §3) with presumed abort (Mohan, Lindsay &
 * Obermarck 1986), as a pure state machine behind the one `step` door of
 * nodes/common/core.ts.
 *
 * Every node is a participant holding its keys (protocol.ts `Placement`: one owner per key
 * when sharded, every node when replicated); one designated node (`--set coordinator=`,
 * default the lowest id) is also the coordinator, as in R* and Spanner, where the
 * coordinator is one of the participants. The two roles of a node talk to each other with
 * the same messages they send to peers, delivered within the step, so the coordinator's
 * own participant follows the same protocol (and the same Ready order: its prepare record
 * is forced before the commit decision leaves the node).
 *
 * Client requests, wherever they arrive:
 *   - a read (GET, or a txn of reads) of keys this node holds: served here, under the
 *     participant's locks (participant.ts says why that is linearizable);
 *   - a read of keys one other node holds: forwarded to that node;
 *   - a read spanning nodes: forwarded to the coordinator, which reads a snapshot at its
 *     latest commit number from each shard (coordinator.ts);
 *   - anything else (writes, cas, txns that write): forwarded to the coordinator, which
 *     runs 2PC. If the coordinator cannot be reached, the runtime answers 503; while it is
 *     down, prepared participants stay in doubt, with their locks.
 *
 * GET /status reports `role: 'coordinator' | 'participant'` and `leader: <coordinator>`
 * (so fault targets named `leader` or `coordinator` resolve to it), and how many
 * transactions are in doubt here and since when; GET /metrics adds the counters.
 *
 * Compaction: every `snapshotEntries` log records, the node writes a snapshot (the
 * participant's keys and the outcomes it must still remember, the coordinator's
 * incarnation and commit number) and keeps in its log only the transactions still open,
 * and what was written since the previous snapshot (nodes/common/compaction.ts): finished
 * transactions, acknowledged by every participant, leave the log. The outcomes kept in
 * memory are bounded the same way (outcomes.ts, coordinator.ts).
 *
 * Limits: membership is fixed (placement changes with N).
 */
import { ReadyBuffer, reply, type ClientOp, type Core, type CoreContext, type Input, type NodeId, type Ready } from '../common/core.js';
import { RecordTail } from '../common/compaction.js';
import { KvState } from '../common/kv-state.js';
import { UsageError } from '../common/errors.js';
import { Coordinator } from './coordinator.js';
import { Participant } from './participant.js';
import { compareIds, Placement, type NodeEnv, type TwoPcMessage, type TwoPcRecord } from './protocol.js';
import type { TwoPcOptions } from './options.js';

export class TwoPcCore implements Core<TwoPcMessage> {
  readonly id: NodeId;
  readonly coordinatorId: NodeId;
  readonly placement: Placement;
  readonly participant: Participant;
  readonly coordinator: Coordinator | null;
  private readonly opts: TwoPcOptions;
  private readonly out = new ReadyBuffer<TwoPcMessage>();
  /** Messages this node sent to itself, delivered before the step returns. */
  private readonly local: TwoPcMessage[] = [];
  private now: number;
  /** Highest coordinator incarnation seen in a prepare (a participant's `term`). */
  private epochSeen = 0;
  private readonly tail: RecordTail<TwoPcRecord>;
  private compactions = 0;
  /** The next Ready is this incarnation's first: it carries the events recovery traced again. */
  private firstReadyRetraces: boolean;

  constructor(ctx: CoreContext<TwoPcOptions>) {
    this.id = ctx.id;
    this.opts = ctx.options;
    this.now = ctx.now;
    const members = [ctx.id, ...ctx.peers].sort(compareIds);
    this.coordinatorId = ctx.options.coordinator ?? members[0]!;
    if (!members.includes(this.coordinatorId)) {
      throw new UsageError(`--set coordinator=${this.coordinatorId}: not a member of the cluster (members: ${members.join(', ')})`);
    }
    this.placement = new Placement(ctx.options.layout, members);
    const env: NodeEnv = {
      id: this.id,
      now: () => this.now,
      send: (to, msg) => (to === this.id ? this.local.push(msg) : this.out.send(to, msg)),
      persist: (record) => this.out.persist(record),
      reply: (reqId, r) => this.out.reply(reqId, r),
      applied: (key, value) => this.out.applied(key, value),
      event: (txid, role, event, participants) => this.out.event(participants ? { txid, role, event, participants } : { txid, role, event }),
    };
    this.participant = new Participant(env, ctx.options);
    this.coordinator = this.id === this.coordinatorId ? new Coordinator(env, ctx.options, this.placement) : null;
    this.tail = new RecordTail(ctx.options.snapshotEntries, ctx.recovered);
    if (ctx.snapshot) {
      const image = JSON.parse(ctx.snapshot) as TwoPcImage;
      if (image.twopc !== 1) throw new Error('twopc: not a 2PC snapshot image');
      this.participant.restore(image.participant);
      if (image.coordinator) this.coordinator?.restore(image.coordinator);
    }
    const recovered = ctx.recovered as TwoPcRecord[];
    const retraceFrom = retraceStart(recovered);
    this.firstReadyRetraces = recovered.length > 0;
    recovered.forEach((record, i) => {
      this.participant.recover(record, i >= retraceFrom);
      this.coordinator?.recover(record, i >= retraceFrom);
    });
    this.participant.finishRecovery();
    this.coordinator?.finishRecovery();
  }

  step(input: Input<TwoPcMessage>): void {
    switch (input.type) {
      case 'tick':
        this.now = input.now;
        this.coordinator?.tick(input.now);
        this.participant.tick(input.now);
        break;
      case 'message':
        this.onMessage(input.from, input.msg);
        break;
      case 'client':
        this.onClient(input.reqId, input.op, input.forwarded);
        break;
      case 'clientGone':
        this.coordinator?.clientGone(input.reqId);
        this.participant.readGone(input.reqId);
        break;
    }
    for (let m = this.local.shift(); m !== undefined; m = this.local.shift()) this.onMessage(this.id, m);
  }

  ready(): Ready<TwoPcMessage> {
    if (this.out.persisting.length > 0) this.out.persist(this.firstReadyRetraces ? { k: 'batch', retraced: true } : { k: 'batch' });
    this.firstReadyRetraces = false;
    this.tail.note(this.out.persisting);
    if (this.tail.due) {
      // Image first, open records second: both as of the end of this batch.
      const image: TwoPcImage = { twopc: 1, participant: this.participant.image(), coordinator: this.coordinator?.image() ?? null };
      const open: TwoPcRecord[] = [...(this.coordinator?.openRecords() ?? []), ...this.participant.openRecords(), { k: 'batch' }];
      this.out.compact(JSON.stringify(image), this.tail.compact(open));
      this.compactions++;
    }
    return this.out.take();
  }

  private onMessage(from: NodeId, m: TwoPcMessage): void {
    if (from !== this.id && !this.placement.members.includes(from)) return;
    switch (m.t) {
      case 'prepare':
        this.epochSeen = Math.max(this.epochSeen, Number(m.txid.split('.').at(-2)) || 0);
        return this.participant.onPrepare(from, m);
      case 'decide':
        return this.participant.onDecide(from, m);
      case 'peerAsk':
        return this.participant.onPeerAsk(from, m.txids);
      case 'peerAnswer':
        return this.participant.onPeerAnswer(m.answers);
      case 'vote':
        return this.coordinator?.onVote(from, m);
      case 'ack':
        return this.coordinator?.onAck(from, m.txid);
      case 'inquire':
        return this.coordinator?.onInquire(from, m.txids);
      case 'snapRead':
        return this.participant.onSnapRead(from, m);
      case 'snapValues':
        return this.coordinator?.onSnapValues(from, m);
    }
  }

  private onClient(reqId: string, op: ClientOp, forwarded: boolean): void {
    if (KvState.isReadOnly(op)) {
      const holders = this.placement.participantsOf(KvState.keysOf(op));
      if (holders.includes(this.id) && (holders.length === 1 || this.placement.layout === 'replicated')) return this.participant.read(reqId, op);
      if (holders.length === 1) {
        if (!forwarded) return this.out.forward(reqId, holders[0]!);
        return this.out.reply(reqId, reply.unavailable(`${this.id} does not hold the key; ${holders[0]} does`, { owner: holders[0] }));
      }
    }
    if (this.coordinator) return this.coordinator.begin(reqId, op);
    if (!forwarded) return this.out.forward(reqId, this.coordinatorId);
    this.out.reply(reqId, reply.unavailable(`${this.id} is not the coordinator`, { leader: this.coordinatorId }));
  }

  leaderId(): NodeId | null {
    return this.coordinatorId;
  }

  status(): Record<string, unknown> {
    const c = this.coordinator?.status();
    return {
      role: this.coordinator ? 'coordinator' : 'participant',
      leader: this.coordinatorId,
      coordinator: this.coordinatorId,
      term: c?.epoch ?? this.epochSeen,
      commitIndex: this.participant.counters.committed,
      layout: this.opts.layout,
      termination: this.opts.termination,
      ...this.participant.inDoubt(this.now),
      inDoubtOldest: this.participant.inDoubtSample(5),
      compactions: this.compactions,
      logRecordsKept: this.tail.size,
      outcomesRemembered: this.participant.outcomesRemembered,
      ...(c && { commitSeq: c.commitSeq, activeTxns: c.activeTxns, activeReads: c.activeReads, awaitingAcks: c.awaitingAcks }),
    };
  }

  metrics(): Record<string, unknown> {
    return {
      twopc: {
        ...this.participant.inDoubt(this.now),
        participant: { ...this.participant.counters },
        ...(this.coordinator && { coordinator: { ...this.coordinator.counters, ...this.coordinator.status() } }),
      },
    };
  }
}

/**
 * Where the records whose trace events a crash may have lost begin: the last complete
 * batch and any partial one after it; and while that batch is marked `retraced` (a
 * restart's first, which carried the events of the batches before it), the batch before
 * it too, and so on back (protocol.ts, the batch record).
 */
export function retraceStart(recovered: readonly TwoPcRecord[]): number {
  const ends = recovered.flatMap((r, i) => (r.k === 'batch' ? [i] : []));
  let last = ends.length - 1;
  while (last >= 1 && (recovered[ends[last]!] as Extract<TwoPcRecord, { k: 'batch' }>).retraced) last--;
  return last >= 1 ? ends[last - 1]! + 1 : 0;
}

/** A 2PC node's snapshot image. */
interface TwoPcImage {
  twopc: 1;
  participant: ReturnType<Participant['image']>;
  coordinator: ReturnType<Coordinator['image']> | null;
}
