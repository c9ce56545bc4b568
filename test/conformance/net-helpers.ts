/**
 * Raw-socket and raw-HTTP helpers for the Toxiproxy conformance suite. Everything binds
 * 127.0.0.1, waits on conditions with deadlines (never on fixed sleeps), and is tracked so
 * a test's afterEach can close it.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';

export const now = (): number => performance.now();

/** Poll `cond` until it holds; fail with `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = now() + timeoutMs;
  while (!cond()) {
    if (now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Let `ms` pass, for asserting that something does NOT happen in that time. */
export const observe = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Everything a socket delivered, with arrival times, and how it ended. */
export class Reader {
  readonly chunks: Array<{ data: Buffer; at: number }> = [];
  bytes = 0;
  endedAt: number | null = null;
  closedAt: number | null = null;
  error: NodeJS.ErrnoException | null = null;

  constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.chunks.push({ data: d, at: now() });
      this.bytes += d.length;
    });
    socket.on('end', () => (this.endedAt ??= now()));
    socket.on('error', (e: NodeJS.ErrnoException) => (this.error ??= e));
    socket.on('close', () => (this.closedAt ??= now()));
  }

  get data(): Buffer {
    return Buffer.concat(this.chunks.map((c) => c.data));
  }

  /** When the byte at offset `n - 1` arrived. */
  arrivalOf(n: number): number {
    let seen = 0;
    for (const c of this.chunks) {
      seen += c.data.length;
      if (seen >= n) return c.at;
    }
    throw new Error(`only ${seen} of ${n} bytes arrived`);
  }

  untilBytes(n: number, timeoutMs = 5000): Promise<void> {
    return waitFor(() => this.bytes >= n, timeoutMs, `${n} bytes (have ${this.bytes})`);
  }

  untilClosed(timeoutMs = 5000): Promise<void> {
    return waitFor(() => this.closedAt !== null, timeoutMs, 'the socket to close');
  }
}

/** Tracks sockets and servers so a test can close all it opened. */
export class Sockets {
  private readonly open = new Set<net.Socket>();
  private readonly servers = new Set<net.Server>();

  track(s: net.Socket): net.Socket {
    this.open.add(s);
    s.on('close', () => this.open.delete(s));
    return s;
  }

  /** Connect to 127.0.0.1:port; resolves once connected, with a Reader attached. */
  async connect(port: number, host = '127.0.0.1'): Promise<Reader> {
    const s = this.track(net.connect({ host, port, noDelay: true }));
    const reader = new Reader(s);
    await new Promise<void>((resolve, reject) => {
      s.once('connect', resolve);
      s.once('error', reject);
    });
    return reader;
  }

  /** A server whose sockets are handed to `onSocket` (half-open allowed: it decides when to close). */
  async server(onSocket: (s: net.Socket) => void): Promise<{ port: number; accepted: net.Socket[] }> {
    const accepted: net.Socket[] = [];
    const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (s) => {
      this.track(s);
      s.on('error', () => undefined);
      accepted.push(s);
      onSocket(s);
    });
    this.servers.add(server);
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
    return { port: (server.address() as net.AddressInfo).port, accepted };
  }

  /** Echoes every byte back; never closes on its own. */
  echo(): Promise<{ port: number; accepted: net.Socket[] }> {
    return this.server((s) => s.on('data', (d) => s.write(d)));
  }

  /** A port with nothing listening on it. */
  async closedPort(): Promise<number> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise((r) => server.close(r));
    return port;
  }

  async closeAll(): Promise<void> {
    for (const s of this.open) s.destroy();
    await Promise.all([...this.servers].map((srv) => new Promise((r) => srv.close(r))));
    this.servers.clear();
  }
}

export interface RawResponse {
  status: number;
  text: string;
  json: unknown;
  contentType: string | null;
}

/** One HTTP request without toxiproxy-node-client, for status codes and bodies exactly. */
export async function raw(baseUrl: string, method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const init: RequestInit = { method, headers: { 'user-agent': 'parley-conformance', ...headers } };
  if (body !== undefined) init.body = body;
  const res = await fetch(baseUrl + path, init);
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, contentType: res.headers.get('content-type') };
}

export const rawJson = (baseUrl: string, method: string, path: string, body: unknown): Promise<RawResponse> =>
  raw(baseUrl, method, path, JSON.stringify(body), { 'content-type': 'application/json' });

export const portOf = (listen: string): number => Number(listen.slice(listen.lastIndexOf(':') + 1));
