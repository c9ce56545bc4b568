/**
 * Executes the chosen log against the replicated KV state machine, in slot order (Paxos Made
 * Simple §3: a server executes command i only once it has learned commands 1 to i), and
 * answers the clients whose requests were in the executed values.
 *
 * A value can be chosen in two slots when a leaderless proposer retries a value it could not
 * see chosen (leaderless.ts); every replica then skips the second copy, by proposal id, at
 * the same point of the same log, so they stay identical. A stable leader never proposes a
 * value in a second slot (recovered values are re-proposed in place), so it keeps no set of
 * ids, which would grow with the log. (In leaderless mode the set does grow with every
 * proposal, and snapshots carry it: a limit of that comparison mode.)
 */
import type { ReadyBuffer } from '../common/core.js';
import { KvState } from '../common/kv-state.js';
import type { Acceptor } from './acceptor.js';
import type { PaxosImage, PaxosMessage } from './messages.js';

export class LogExecutor {
  readonly state = new KvState();
  appliedIndex = 0;
  /** Bytes (as JSON) of the operations executed since the last snapshot (`snapshotBytes`). */
  appliedBytes = 0;
  private readonly appliedIds: Set<string> | null;
  /** Per proposal id of ours, the request each of its ops answers (null once the client gave up). */
  readonly pending = new Map<string, (string | null)[]>();

  constructor(
    private readonly acceptor: Acceptor,
    private readonly out: ReadyBuffer<PaxosMessage>,
    dedupe: boolean,
    private readonly countBytes: boolean,
  ) {
    this.appliedIds = dedupe ? new Set() : null;
  }

  /** The state machine as a snapshot image, after every slot executed so far. */
  image(): PaxosImage {
    return { slot: this.appliedIndex, kv: this.state.entries(), ids: this.appliedIds && [...this.appliedIds] };
  }

  /** Become the state of a snapshot image (ours at a restart, or a peer's). */
  restore(image: PaxosImage): void {
    this.state.restore(image.kv);
    this.appliedIndex = image.slot;
    this.appliedBytes = 0;
    if (this.appliedIds) {
      this.appliedIds.clear();
      for (const id of image.ids ?? []) this.appliedIds.add(id);
    }
  }

  /** Rebuild from the chosen prefix on disk, silently: it was applied and traced before the crash. */
  recover(): void {
    while (this.appliedIndex < this.acceptor.chosenUpTo) {
      const v = this.acceptor.value(++this.appliedIndex);
      if (v === null || !this.firstApplication(v.id)) continue;
      for (const op of v.ops) this.state.apply(op);
    }
  }

  /** Execute every newly chosen slot; answer our clients, trace the writes. */
  apply(): void {
    while (this.appliedIndex < this.acceptor.chosenUpTo) {
      const v = this.acceptor.value(++this.appliedIndex);
      if (v === null || !this.firstApplication(v.id)) continue;
      const waiting = this.pending.get(v.id);
      if (waiting) this.pending.delete(v.id);
      if (this.countBytes) this.appliedBytes += JSON.stringify(v.ops).length;
      for (let i = 0; i < v.ops.length; i++) {
        const result = this.state.apply(v.ops[i]!);
        for (const [key, value] of result.writes) this.out.appliedAt(this.appliedIndex, key, value);
        const reqId = waiting?.[i];
        if (reqId) this.out.reply(reqId, result.reply);
      }
    }
  }

  wasApplied(id: string): boolean {
    return this.appliedIds?.has(id) ?? false;
  }

  /** The runtime answered `reqId` itself (504): stop tracking it. */
  forget(reqId: string): void {
    for (const [id, reqIds] of this.pending) {
      const i = reqIds.indexOf(reqId);
      if (i < 0) continue;
      reqIds[i] = null;
      if (reqIds.every((r) => r === null)) this.pending.delete(id);
    }
  }

  private firstApplication(id: string): boolean {
    if (this.appliedIds === null) return true;
    if (this.appliedIds.has(id)) return false;
    this.appliedIds.add(id);
    return true;
  }
}
