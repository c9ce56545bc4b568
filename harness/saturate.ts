/**
 * The saturation phase: autocannon against one node's HTTP API (PUTs of a small value on a
 * key of its own, outside the workload's keys, so the checked history is not touched).
 * Closed loop on purpose: it finds the most the system can do, which is a different
 * question from the latency an open-loop client sees at a given rate.
 */
import autocannon from 'autocannon';
import type { ScenarioResult } from '../contracts/results.js';

export interface SaturationRequest {
  method: 'PUT' | 'POST';
  path: string;
  body: string;
}

/** The node contract's write; a system with its own API (etcd) gives its own. */
export const CONTRACT_WRITE: SaturationRequest = { method: 'PUT', path: '/kv/__saturation', body: JSON.stringify({ value: 'x' }) };

export async function maxThroughput(address: string, connections: number, durationMs: number, request: SaturationRequest = CONTRACT_WRITE): Promise<NonNullable<ScenarioResult['maxThroughput']>> {
  const result = await autocannon({
    url: `http://${address}`,
    connections,
    duration: Math.max(1, Math.round(durationMs / 1000)),
    requests: [{ ...request, headers: { 'content-type': 'application/json' } }],
    timeout: 10,
  });
  return {
    requestsPerSec: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    connections,
    durationMs,
  };
}
