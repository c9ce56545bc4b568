/**
 * A client API serving one fault hook (POST /clock, POST /failpoint) over a stub node, for
 * tests of what the hook accepts and refuses: `call` sends to that path, `calls` records what
 * reached the node.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { startClientApi, type ClientApiHandlers } from '../../nodes/common/client-api.js';

export function serveFaultHook(pathname: '/clock' | '/failpoint', hook: (calls: unknown[][]) => Partial<ClientApiHandlers>) {
  let port = 0;
  const calls: unknown[][] = [];
  let server: Awaited<ReturnType<typeof startClientApi>>;
  beforeAll(async () => {
    const handlers = { operate: async () => ({ status: 200, body: { ok: true } }), status: () => ({}), metrics: () => ({}), ...hook(calls) };
    server = await startClientApi({ host: '127.0.0.1', port: 0 }, handlers as ClientApiHandlers, 1 << 20);
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const call = async (method: string, body?: unknown) => {
    const r = await fetch(`http://127.0.0.1:${port}${pathname}`, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };
  return { calls, call };
}
