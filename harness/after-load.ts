/**
 * After the measured load: every fault healed and every node back, then Jepsen's final
 * reads on every node, recorded in the history, so the checkers judge what survived. An
 * eventually consistent system first gets up to the convergence bound to agree.
 */
import { monoNs } from '../nodes/common/clock.js';
import type { HistoryWriter, Scalar } from '../workloads/history.js';
import type { NodeClient } from '../workloads/client.js';
import type { OpSource } from '../workloads/load.js';
import { CONVERGENCE_BOUND_MS, type Workload } from '../workloads/workload.js';
import type { Cluster } from './cluster.js';
import type { FaultPlane } from './faults/plane.js';
import type { Scenario } from './scenario.js';
import { hasLeader, isEventual } from './traits.js';

/** End every fault: proxies back to normal, crashed nodes restarted, paused ones resumed. */
export async function heal(cluster: Cluster, plane: FaultPlane | null): Promise<void> {
  await plane?.healAll();
  for (const n of cluster.nodes) {
    if (!n.child) continue;
    if (n.child.paused) n.child.resume();
    if (!n.child.running) await cluster.restart(n.id);
  }
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
  source?: OpSource,
): Promise<void> {
  if (hasLeader(scenario)) await cluster.waitForLeader(30_000).catch(() => undefined);
  if (isEventual(scenario)) await waitForAgreement(workload, scenario, cluster, client, signal, note, source);
  // Processes far above the load's, one per node, so they never overlap a load process.
  const base = 1_000_000;
  const deadline = Date.now() + 30_000;
  await Promise.all(
    cluster.nodes.map(async (n, i) => {
      const state: Record<string, Scalar> = {};
      let process = base + i * 1000;
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
          if (Date.now() > deadline) {
            note(`final read of ${inv.key ?? inv.f} on ${n.id} did not succeed: ${outcome.status} ${outcome.error ?? ''}`);
            break;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      finalByNode[n.id] = state;
    }),
  );
}

/**
 * An eventually consistent system is judged on the state it converges to: give it up to the
 * convergence bound to agree (these probe reads stay out of the history, so they do not
 * count as stale reads), then take the final reads. If it never agrees, the recorded final
 * reads show the divergence and the convergence checker says so.
 */
async function waitForAgreement(workload: Workload, scenario: Scenario, cluster: Cluster, client: NodeClient, signal: AbortSignal, note: (line: string) => void, source?: OpSource): Promise<void> {
  const deadline = Date.now() + CONVERGENCE_BOUND_MS;
  const started = Date.now();
  while (!signal.aborted && Date.now() < deadline) {
    const views = await Promise.all(
      cluster.nodes.map(async (_, i) => {
        const answers = await Promise.all(workload.finalOps(scenario.workload, i, source).map(async (inv) => JSON.stringify((await client.invoke(inv.node, inv.op)).body)));
        return answers.join('\n');
      }),
    );
    if (views.every((v) => v === views[0])) {
      note(`replicas agree ${Date.now() - started} ms after healing`);
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  note(`replicas still disagree ${CONVERGENCE_BOUND_MS} ms after healing`);
}
