/**
 * The servers the conformance suite runs against: the embedded one always, and a real
 * Toxiproxy when TOXIPROXY_URL is set (it must reach 127.0.0.1 of this machine, where the
 * suite's upstream servers listen). Tests create proxies named `pc-...` and remove them.
 */
import { ToxiproxyServer } from '../../harness/toxiproxy/server.js';
import { ToxiproxyClient } from '../../harness/toxiproxy/client.js';
import { Sockets } from './net-helpers.js';

export interface Target {
  name: string;
  /** Embedded-only checks: parley's answers where upstream crashes or differs on purpose. */
  embedded: boolean;
  start(): Promise<{ url: string; stop(): Promise<void> }>;
}

export const TARGETS: Target[] = [
  {
    name: 'embedded',
    embedded: true,
    async start() {
      const server = new ToxiproxyServer({ seed: 20240611 });
      const { url } = await server.start({ host: '127.0.0.1', port: 0 });
      return { url, stop: () => server.stop() };
    },
  },
];

const realUrl = process.env.TOXIPROXY_URL;
if (realUrl) {
  TARGETS.push({ name: `real (${realUrl})`, embedded: false, start: async () => ({ url: realUrl.replace(/\/+$/, ''), stop: async () => undefined }) });
}

/** What every test gets; filled in by the suite's beforeAll/beforeEach. */
export class SuiteContext {
  url = '';
  client!: ToxiproxyClient;
  sockets = new Sockets();
  private counter = 0;

  constructor(readonly target: Target) {}

  /** A proxy name unique in this run; `->` included because parley names links that way. */
  name(base: string): string {
    return `pc-${base}-${process.pid}-${++this.counter}->n2`;
  }

  /** A proxy in front of `port`; returns its name and the port it listens on. */
  async proxyTo(port: number, base = 'p'): Promise<{ name: string; port: number }> {
    const p = await this.client.createProxy({ name: this.name(base), upstream: `127.0.0.1:${port}`, listen: '127.0.0.1:0' });
    return { name: p.name, port: Number(p.listen.slice(p.listen.lastIndexOf(':') + 1)) };
  }

  async cleanup(): Promise<void> {
    await this.sockets.closeAll();
    const all = await this.client.listProxies();
    for (const name of Object.keys(all)) if (name.startsWith('pc-')) await this.client.removeProxy(name);
  }
}
