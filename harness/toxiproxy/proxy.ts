/**
 * One named proxy: a listener, its upstream, its toxics (per stream, in insertion order)
 * and its live connections. Toxic changes reach every live connection synchronously, so
 * by the time the API answers, each link runs the new chain.
 */
import net, { type AddressInfo } from 'node:net';
import { lookup } from 'node:dns/promises';
import { formatHostPort, parseHostPort, type HostPort } from '../../nodes/common/address.js';
import type { Random } from '../../nodes/common/random.js';
import { ApiError } from './decode.js';
import { Connection, type ConnectionOwner } from './link.js';
import { toxicJson, type Attributes, type Stream, type ToxicJson, type ToxicModel } from './toxics.js';

export interface ProxyJson {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: ToxicJson[];
}

export interface ProxySettings {
  listen: string;
  upstream: string;
  enabled: boolean;
}

// Go's net.Dial and net.Listen enable TCP keepalive at 15 s; so do we.
const KEEPALIVE_MS = 15_000;
const LOOPBACK = '127.0.0.1';

export class TcpProxy implements ConnectionOwner {
  enabled = false;
  private readonly lists: Record<Stream, ToxicModel[]> = { upstream: [], downstream: [] };
  private server: net.Server | null = null;
  private readonly connections = new Set<Connection>();

  constructor(
    readonly name: string,
    public listen: string,
    public upstream: string,
    readonly rng: Random,
    private readonly log: (line: string) => void,
  ) {}

  toxics(stream: Stream): readonly ToxicModel[] {
    return this.lists[stream];
  }

  connectionClosed(conn: Connection): void {
    this.connections.delete(conn);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Bind the listener; `listen` becomes the bound address. Bind or resolve failure: 500, nothing changed. */
  async start(): Promise<void> {
    if (this.enabled) return;
    this.install(await this.bind(await resolveListen(this.listen)));
  }

  /** Close the listener and every connection; toxics stay. */
  async stop(): Promise<void> {
    if (!this.enabled) return;
    this.enabled = false;
    const server = this.server!;
    this.server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    this.dropConnections();
    await closed;
  }

  /**
   * Upstream's Proxy.Update (a new listen or upstream restarts the proxy), except that a
   * change that fails leaves the proxy exactly as it was: its listener, its connections,
   * its settings. So the new address is resolved and bound before the old listener
   * closes, and nothing is touched until both worked. (Upstream keeps the old proxy only
   * when the address fails to resolve; a failed bind leaves it disabled on the new
   * address, where every later reset fails too.)
   */
  async update(next: ProxySettings): Promise<void> {
    if (next.listen === this.listen && next.upstream === this.upstream) {
      if (next.enabled) await this.start();
      else await this.stop();
      return;
    }
    const at = await resolveListen(next.listen);
    if (!next.enabled) {
      await this.stop();
      this.listen = next.listen;
      this.upstream = next.upstream;
      return;
    }
    if (this.server && sameAddress(this.server.address() as AddressInfo, at)) {
      // The same socket address (`localhost:P` for `127.0.0.1:P`): binding first would
      // collide with itself, and upstream sees no change of listen here either.
      if (next.upstream !== this.upstream) this.dropConnections();
      this.upstream = next.upstream;
      return;
    }
    const server = await this.bind(at);
    await this.stop();
    this.upstream = next.upstream;
    this.install(server);
  }

  findToxic(name: string): ToxicModel | undefined {
    return this.lists.upstream.find((t) => t.name === name) ?? this.lists.downstream.find((t) => t.name === name);
  }

  addToxic(toxic: ToxicModel): void {
    this.lists[toxic.stream].push(toxic);
    for (const conn of this.connections) conn.link(toxic.stream)?.addToxic(toxic);
  }

  updateToxic(toxic: ToxicModel, change: { toxicity: number; attributes: Attributes }): void {
    toxic.toxicity = change.toxicity;
    toxic.attributes = change.attributes;
    for (const conn of this.connections) conn.link(toxic.stream)?.updateToxic(toxic);
  }

  removeToxic(toxic: ToxicModel): void {
    const list = this.lists[toxic.stream];
    const i = list.indexOf(toxic);
    if (i < 0) return;
    list.splice(i, 1);
    for (const conn of this.connections) conn.link(toxic.stream)?.removeToxic(toxic);
  }

  /** Remove every toxic, oldest first, as upstream's ResetToxics does. */
  resetToxics(): void {
    for (const stream of ['upstream', 'downstream'] as const) {
      while (this.lists[stream].length > 0) this.removeToxic(this.lists[stream][0]!);
    }
  }

  toJSON(): ProxyJson {
    return {
      name: this.name,
      listen: this.listen,
      upstream: this.upstream,
      enabled: this.enabled,
      toxics: [...this.lists.upstream, ...this.lists.downstream].map(toxicJson),
    };
  }

  /** A listener bound to `at`, not yet installed; a failure is upstream's 500 wording. */
  private async bind(at: HostPort): Promise<net.Server> {
    const server = net.createServer({ allowHalfOpen: true, noDelay: true, keepAlive: true, keepAliveInitialDelay: KEEPALIVE_MS });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: at.host, port: at.port }, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((err: unknown) => {
      throw new ApiError(500, `listen tcp ${formatHostPort(at)}: ${syscallText(err)}`);
    });
    return server;
  }

  private install(server: net.Server): void {
    server.on('connection', (client) => this.accept(client));
    server.on('error', (err) => this.log(`proxy ${this.name}: listener error: ${err.message}`));
    const bound = server.address() as AddressInfo;
    this.listen = formatHostPort({ host: bound.address, port: bound.port });
    this.server = server;
    this.enabled = true;
  }

  private dropConnections(): void {
    for (const conn of this.connections) conn.destroy();
  }

  private accept(client: net.Socket): void {
    const target = parseDialAddress(this.upstream);
    if (!target) {
      this.log(`proxy ${this.name}: cannot dial upstream ${JSON.stringify(this.upstream)}: not host:port with a port 1-65535`);
      client.destroy();
      return;
    }
    let upstream: net.Socket;
    try {
      upstream = net.connect({
        host: target.host,
        port: target.port,
        allowHalfOpen: true,
        noDelay: true,
        keepAlive: true,
        keepAliveInitialDelay: KEEPALIVE_MS,
      });
    } catch (err) {
      // Thrown here it would escape the 'connection' event and end the whole server.
      this.log(`proxy ${this.name}: cannot dial upstream ${this.upstream}: ${err instanceof Error ? err.message : String(err)}`);
      client.destroy();
      return;
    }
    const conn = new Connection(this, client, upstream);
    this.connections.add(conn);
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      conn.start();
    });
    upstream.once('error', (err) => {
      if (!connected) this.log(`proxy ${this.name}: unable to open connection to upstream ${this.upstream}: ${err.message}`);
    });
  }
}

/**
 * Where to bind. Upstream binds `""` and `":port"` on every interface; parley binds them
 * on loopback (nothing listens beyond 127.0.0.1 unless asked), and binds `localhost` to
 * 127.0.0.1 so the reported address is never `[::1]`.
 */
export function parseListen(listen: string): HostPort {
  if (listen === '') return { host: LOOPBACK, port: 0 };
  const colonPort = /^:(\d{1,5})$/.exec(listen);
  const parsed = colonPort ? { host: LOOPBACK, port: Number(colonPort[1]) } : parseHostPort(listen);
  if (!parsed || parsed.port > 65535) {
    throw new ApiError(400, `bad request body: listen ${JSON.stringify(listen)}: expected host:port`);
  }
  return parsed;
}

async function resolveListen(listen: string): Promise<HostPort> {
  const parsed = parseListen(listen);
  if (parsed.host === 'localhost') return { host: LOOPBACK, port: parsed.port };
  if (net.isIP(parsed.host)) return parsed;
  try {
    const found = await lookup(parsed.host, { family: 4 }).catch(() => lookup(parsed.host));
    return { host: found.address, port: parsed.port };
  } catch {
    throw new ApiError(500, `listen tcp: lookup ${parsed.host}: no such host`);
  }
}

function sameAddress(bound: AddressInfo, at: HostPort): boolean {
  return bound.port === at.port && bound.address === at.host;
}

/** Where to dial; null for what net.connect would refuse (it throws on port 0). */
function parseDialAddress(upstream: string): HostPort | null {
  const colonPort = /^:(\d{1,5})$/.exec(upstream);
  const a = colonPort ? { host: LOOPBACK, port: Number(colonPort[1]) } : parseHostPort(upstream);
  return a && a.port > 0 && a.port <= 65535 ? a : null;
}

/** Node's bind errors in the words Go uses, so messages match upstream's. */
function syscallText(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'EADDRINUSE':
      return 'bind: address already in use';
    case 'EACCES':
      return 'bind: permission denied';
    case 'EADDRNOTAVAIL':
      return 'bind: cannot assign requested address';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}
