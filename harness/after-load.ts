/**
 * After the measured load: every fault healed and every node back, then Jepsen's final
 * reads on every node, recorded in the history, so the checkers judge what survived. An
 * eventually consistent system first gets time to settle (see settle()).
 */
import { monoNs } from '../nodes/common/clock.js';
import type { HistoryWriter, Key, Scalar } from '../workloads/history.js';
import type { NodeClient } from '../workloads/client.js';
import type { OpSource } from '../workloads/load.js';
import { convergenceBoundMs, type Workload } from '../workloads/workload.js';
import type { SettleReport } from '../workloads/checkers/convergence.js';
import { describeStarvation, quietEnough, starvedDuring } from '../workloads/checkers/starvation.js';
import { Stretchable, type Cluster } from './cluster.js';
import { STRETCH_CAP, type MachineWatch } from './machine-watch.js';
import type { FaultPlane } from './faults/plane.js';
import type { Scenario } from '../contracts/scenario.js';
import { hasLeader, isEventual } from './traits.js';

/** End every fault: proxies back to normal, crashed nodes restarted, paused ones resumed. */
export async function heal(cluster: Cluster, plane: FaultPlane | null): Promise<void> {
  // A reset is idempotent, so one that timed out on a starved machine is tried again.
  const bound = new Stretchable(cluster.patience, 'the fault proxies to reset every link', 30_000);
  for (;;) {
    try {
      await plane?.healAll();
      break;
    } catch (err) {
      if (!bound.goOn()) throw err;
    }
  }
  bound.done();
  for (const n of cluster.nodes) {
    if (!n.child) continue;
    if (n.child.paused) n.child.resume();
    if (!n.child.running) await cluster.restart(n.id);
  }
}

/** What the final reads found besides the values: how the replicas settled, and what could not be read. */
export interface AfterLoad {
  settle?: SettleReport;
  unread: { node: string; key: Key }[];
}

/** Jepsen's final reads: once healthy, read every key on every node, into the history. */
export async function finalReads(
  workload: Workload,
  scenario: Scenario,
  cluster: Cluster,
  client: NodeClient,
  history: HistoryWriter,
  finalByNode: Record<string, Record<string, Scalar>>,
  signal: AbortSignal,
  note: (line: string) => void,
  machine: MachineWatch | null = null,
  source?: OpSource,
): Promise<AfterLoad> {
  if (hasLeader(scenario)) await cluster.waitForLeader(30_000).catch(() => undefined);
  const out: AfterLoad = { unread: [] };
  if (isEventual(scenario)) out.settle = await settle(workload, scenario, cluster, client, signal, note, machine, source);
  // Processes far above the load's, one per node, so they never overlap a load process.
  const base = 1_000_000;
  await Promise.all(
    cluster.nodes.map(async (n, i) => {
      const state: Record<string, Scalar> = {};
      let process = base + i * 1000;
      const bound = new Stretchable(cluster.patience, `the final reads on ${n.id}`, 30_000);
      let gaveUp = false;
      for (const inv of workload.finalOps(scenario.workload, i, source)) {
        for (;;) {
          if (signal.aborted) return;
          const start = Number(monoNs());
          const node = cluster.nodes[inv.node]?.id;
          history.append({ time: start, process, type: 'invoke', f: inv.f, ...(inv.key !== undefined && { key: inv.key }), ...(inv.value !== undefined && { value: inv.value }), ...(node !== undefined && { node }) });
          const outcome = await client.invoke(inv.node, inv.op);
          const done = inv.complete(outcome);
          history.append({ time: Number(monoNs()), process, type: done.type, f: inv.f, ...(inv.key !== undefined && { key: inv.key }), ...(done.value !== undefined && { value: done.value }), ...(done.error !== undefined && { error: done.error }), ...(node !== undefined && { node }) });
          if (done.type === 'info') process++;
          if (done.type === 'ok') {
            if (inv.key !== undefined) state[inv.key] = (done.value ?? null) as Scalar;
            else if (done.value && typeof done.value === 'object' && !Array.isArray(done.value)) Object.assign(state, done.value);
            break;
          }
          if (!bound.goOn(n.child?.pid)) {
            note(`final read of ${inv.key ?? inv.f} on ${n.id} did not succeed within ${bound.describe()}: ${outcome.status} ${outcome.error ?? ''}`);
            if (inv.key !== undefined) out.unread.push({ node: n.id, key: inv.key });
            gaveUp = true;
            break;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      if (!gaveUp) bound.done();
      finalByNode[n.id] = state;
    }),
  );
  return out;
}

/**
 * How long replicas must show no change to count as stopped: above gossip's anti-entropy
 * (1 s) and redial (2 s) periods. On a starved machine, this much of the CPU time the
 * processes were granted (workloads/checkers/starvation.ts quietEnough), so longer in wall time.
 */
export const SETTLE_QUIET_MS = 5000;

/**
 * An eventually consistent system is judged on the state it converges to, so before the
 * final reads the replicas get time to agree (these probe reads stay out of the history, so
 * they do not count as stale reads). Up to the convergence bound they just get it; past
 * it, the wait goes on while they still change, or while the machine is starved (their
 * quiet then proves nothing), up to a cap; it ends early only once they agree or have
 * shown no change for SETTLE_QUIET_MS on a machine that was not starved. How it ended is
 * reported to the convergence checker: differing replicas that stopped changing are a
 * violation, ones still changing on a starved machine are undecided.
 */
async function settle(
  workload: Workload, scenario: Scenario, cluster: Cluster, client: NodeClient, signal: AbortSignal, note: (line: string) => void, machine: MachineWatch | null, source?: OpSource,
): Promise<SettleReport> {
  const from = Number(monoNs());
  const boundMs = convergenceBoundMs(scenario.options);
  const report = (outcome: SettleReport['outcome'], lastChange: number): SettleReport => ({ outcome, from, to: Number(monoNs()), lastChange, boundMs, quietMs: SETTLE_QUIET_MS });
  let lastChange = from;
  // The last answer each node gave (null: none yet); a probe that fails changes nothing.
  const last: (string | null)[] = cluster.nodes.map(() => null);
  for (;;) {
    const views = await Promise.all(
      cluster.nodes.map(async (_, i) => {
        const answers = await Promise.all(
          workload.finalOps(scenario.workload, i, source).map(async (inv) => {
            const o = await client.invoke(inv.node, inv.op);
            return o.type === 'ok' ? JSON.stringify(o.body) : null;
          }),
        );
        return answers.includes(null) ? null : answers.join('\n');
      }),
    );
    const now = Number(monoNs());
    views.forEach((v, i) => {
      if (v === null || v === last[i]) return;
      last[i] = v;
      lastChange = now;
    });
    const waitedMs = (now - from) / 1e6;
    if (views.every((v) => v !== null && v === views[0])) {
      note(`replicas agree ${Math.round(waitedMs)} ms after healing`);
      if (waitedMs > boundMs) machine?.stretched('the replicas to agree', boundMs, waitedMs, 'they were still changing or the machine was starved');
      return report('agreed', lastChange);
    }
    if (signal.aborted) return report('still-changing', lastChange);
    if (waitedMs >= boundMs) {
      const quietMs = (now - lastChange) / 1e6;
      const starved = machine ? starvedDuring(machine.samples, lastChange, now) : null;
      // Quiet counts in the CPU time the processes got: on a starved machine a longer stretch.
      const quiet = quietEnough(quietMs, SETTLE_QUIET_MS, starved);
      if (quiet.enough) {
        const granted = starved ? `, ${Math.round(quiet.grantedMs)} ms of the CPU time they were granted on a starved machine (${describeStarvation(starved)})` : '';
        note(`replicas still disagree ${Math.round(waitedMs)} ms after healing, and none changed in the last ${Math.round(quietMs)} ms${granted}`);
        return report('stopped-changing', lastChange);
      }
      if (waitedMs >= STRETCH_CAP * boundMs || !machine) {
        note(`replicas still disagree ${Math.round(waitedMs)} ms after healing and were still changing ${Math.round(quietMs)} ms ago${starved ? `; the machine was starved: ${describeStarvation(starved)}` : ''}`);
        return report('still-changing', lastChange);
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
