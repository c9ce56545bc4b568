/**
 * Toxiproxy conformance: the same suite against every available server (targets.ts): the
 * embedded one always, a real Toxiproxy too when TOXIPROXY_URL is set. The contract is
 * upstream Toxiproxy's HTTP API as docs/toxiproxy.md states it; the cases are in
 * api-cases.ts, data-cases.ts and, for what only the embedded server is asked,
 * embedded-cases.ts.
 */
import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import { ToxiproxyClient } from '../../harness/toxiproxy/client.js';
import { apiCases } from './api-cases.js';
import { dataCases } from './data-cases.js';
import { embeddedCases } from './embedded-cases.js';
import { SuiteContext, TARGETS, type Target } from './targets.js';

describe.each(TARGETS)('toxiproxy conformance: $name', (target: Target) => {
  const ctx = new SuiteContext(target);
  let stop: () => Promise<void> = async () => undefined;

  beforeAll(async () => {
    const started = await target.start();
    stop = started.stop;
    ctx.url = started.url;
    ctx.client = new ToxiproxyClient(started.url, { timeoutMs: 10_000 });
  });
  afterEach(() => ctx.cleanup());
  afterAll(() => stop());

  describe('HTTP API', () => apiCases(ctx));
  describe('data path', () => dataCases(ctx));
  if (target.embedded) describe('embedded server only', () => embeddedCases(ctx));
});
