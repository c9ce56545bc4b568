/**
 * Process-test helpers shared by every algorithm's suite: a cluster in a temporary folder
 * that is always stopped and removed after each test, and client calls that retry until a
 * deadline (a shared 2-core machine stalls processes for tens of milliseconds).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { Cluster } from '../../harness/cluster.js';
import { fetchJson } from '../../harness/http.js';
import type { AlgoName } from '../../nodes/registry.js';

/** Start clusters with `start()`; each is stopped and its folder removed after the test. */
export function clusterFixture(algo: AlgoName, defaults: Record<string, string | number> = {}) {
  let cluster: Cluster | null = null;
  let dir = '';
  afterEach(async () => {
    await cluster?.stop();
    cluster = null;
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    dir = '';
  });
  return {
    async start(size = 3, settings: Record<string, string | number> = {}): Promise<Cluster> {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), `parley-${algo}-`));
      cluster = await Cluster.plan({ algo, size, dir, settings: { ...defaults, ...settings } });
      cluster.onUnexpectedExit = (e) => {
        throw new Error(`node ${e.name} died unexpectedly: ${e.logTail.join('\n')}`);
      };
      await cluster.start();
      return cluster;
    },
  };
}

export async function waitFor(what: string, pred: () => Promise<boolean>, deadlineMs = 15_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Every node has dialled every peer at least once. A forwarded request comes back on the
 * owner's own outbound link, which at start-up may still be backing off after a dial that
 * found its peer not yet listening: until then the reply is dropped and the request times out.
 */
export async function linksUp(c: Cluster, deadlineMs = 15_000): Promise<void> {
  await waitFor(
    'every peer link to connect',
    async () => {
      const all = await Promise.all(c.ids.map((id) => c.metrics(id)));
      return all.every((m) => m !== null && Object.values(m.peers as Record<string, { connects: number }>).every((p) => p.connects > 0));
    },
    deadlineMs,
  );
}

/** PUT through `id`, retrying while it is refused or its outcome unknown: returns once acknowledged. */
export async function put(c: Cluster, id: string, key: string, value: string, deadlineMs = 15_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const r = await fetchJson(c.node(id).api, 'PUT', `/kv/${key}`, { value }, 5000).catch(() => ({ status: 0, body: null }));
    if (r.status === 200) return;
    if (Date.now() > deadline) throw new Error(`PUT ${key} via ${id} not acknowledged: ${r.status} ${JSON.stringify(r.body)}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

/** GET through `id`, retrying until it answers 200: returns the value. */
export async function get(c: Cluster, id: string, key: string, deadlineMs = 15_000): Promise<unknown> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const r = await fetchJson(c.node(id).api, 'GET', `/kv/${key}`, undefined, 5000).catch(() => ({ status: 0, body: null }));
    if (r.status === 200) return (r.body as { value: unknown }).value;
    if (Date.now() > deadline) throw new Error(`GET ${key} via ${id} failed: ${r.status} ${JSON.stringify(r.body)}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}
