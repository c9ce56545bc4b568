/**
 * CheckQuorum (Raft dissertation §9.6), shared by Raft and Multi-Paxos: a leader that has
 * not heard from a majority (itself included) during one check interval steps down, so a
 * leader cut off from its followers stops claiming to lead.
 */
import type { NodeId } from './core.js';

export class CheckQuorum {
  private heard = new Set<NodeId>();
  private lastCheck = 0;

  constructor(private readonly intervalMs: number) {}

  /** A new leadership: every peer counts as heard until the first check. */
  start(now: number, peers: readonly NodeId[]): void {
    this.heard = new Set(peers);
    this.lastCheck = now;
  }

  heardFrom(peer: NodeId): void {
    this.heard.add(peer);
  }

  /** At most once per interval, whether a quorum was heard since the last check; true between checks. */
  holds(now: number, quorum: number): boolean {
    if (now - this.lastCheck < this.intervalMs) return true;
    this.lastCheck = now;
    const held = this.heard.size + 1 >= quorum;
    this.heard.clear();
    return held;
  }
}
