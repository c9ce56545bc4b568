/**
 * Failpoints: a node told to die at a chosen point of its durability path, as etcd's
 * robustness tests kill a member at its gofail failpoints (raftBeforeSave, raftAfterSave).
 * A crash the harness sends from outside lands wherever the node happens to be, and a real
 * node spends a few hundred microseconds of every Ready inside an fsync: a kill -9 almost
 * never finds a write made but not synced, so bugs that show only then (a message sent
 * before the state it depends on is durable; a torn record kept by recovery) stay hidden.
 *
 *   before-sync   the next sync of any file: its bytes are written, not yet durable (with
 *                 a power loss after it, the harness cuts them, or keeps a torn prefix)
 *   after-sync    the next sync has returned and is recorded; nothing that follows in the
 *                 Ready (messages, replies) has left
 *
 * One node per process, so one armed point per process; it disarms itself by dying. The
 * simulator never reaches this: its disk (harness/sim/engine/disk.ts) loses power inside
 * its own sync windows.
 */
export const FAILPOINTS = ['before-sync', 'after-sync'] as const;
export type Failpoint = (typeof FAILPOINTS)[number];

let armed: Failpoint | null = null;
let onHit: ((point: Failpoint) => void) | null = null;

/** Arm `point` (null disarms); `log` is told just before the process dies. */
export function armFailpoint(point: Failpoint | null, log?: (point: Failpoint) => void): void {
  armed = point;
  onHit = log ?? null;
}

/** Die here, at once and with no clean-up (SIGKILL to itself), if `point` is armed. */
export function failpoint(point: Failpoint): void {
  if (armed !== point) return;
  onHit?.(point);
  process.kill(process.pid, 'SIGKILL');
}
