/**
 * The harness's JSON-over-HTTP calls to nodes (status, metrics, checks), through undici.
 * Load generation has its own pooled clients (workloads/client.ts); this is for the
 * low-rate control path, where a clear error beats raw speed.
 */
import { Agent, request } from 'undici';
import { formatHostPort, type HostPort } from '../nodes/common/address.js';

const agent = new Agent({ keepAliveTimeout: 10_000, connections: 4 });

export interface JsonResponse {
  status: number;
  body: unknown;
}

export async function fetchJson(address: HostPort, method: string, path: string, body?: unknown, timeoutMs = 2000): Promise<JsonResponse> {
  const res = await request(`http://${formatHostPort(address)}${path}`, {
    method: method as 'GET',
    dispatcher: agent,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.body.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = { error: `non-JSON body: ${text.slice(0, 200)}` };
  }
  return { status: res.statusCode, body: parsed };
}
