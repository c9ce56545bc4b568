/**
 * parley's embedded Toxiproxy: an HTTP API compatible with Shopify/toxiproxy 2.12 and the
 * TCP proxies it manages, in one object.
 *
 *   const server = new ToxiproxyServer({ seed: 42 });
 *   const { url } = await server.start({ host: '127.0.0.1', port: 0 });
 *   ... drive it with toxiproxy-node-client (client.ts) ...
 *   await server.stop();   // API listener, every proxy listener, every connection
 *
 * Every request is answered: an invalid one with a 4xx and upstream's `{"error", "status"}`
 * body, an unexpected failure with a 500; nothing a client sends stops the server.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatHostPort } from '../../nodes/common/address.js';
import { Random } from '../../nodes/common/random.js';
import { ApiError } from './decode.js';
import { matchRoute, ToxiproxyApi, type ApiResponse } from './api.js';
import type { TcpProxy } from './proxy.js';

export interface ToxiproxyServerOptions {
  /** Seeds the toxicity draws, jitter and slicer cuts (nodes/common/random.ts). */
  seed?: number;
  /** One line per notable event (bind failures, upstream dial failures). */
  log?: (line: string) => void;
}

export interface BoundAddress {
  host: string;
  port: number;
  /** `http://host:port`, what toxiproxy-node-client takes. */
  url: string;
}

/** The default seed: fixed, so a run that does not choose one is still reproducible. */
export const DEFAULT_SEED = 0x7a11;
const MAX_BODY_BYTES = 4 * 1024 * 1024;
/**
 * An oversized body is still read to its end, up to this much more, before the 413: a
 * server that answers and closes while the client is still sending makes common clients
 * (Node's fetch among them) report a broken pipe instead of the answer. Past it, the
 * server answers and closes the connection.
 */
const OVERSIZE_DRAIN_BYTES = 64 * 1024 * 1024;

export class ToxiproxyServer {
  private readonly proxies = new Map<string, TcpProxy>();
  private readonly api: ToxiproxyApi;
  private http: http.Server | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: ToxiproxyServerOptions = {}) {
    const log = options.log ?? (() => undefined);
    this.api = new ToxiproxyApi(this.proxies, new Random(options.seed ?? DEFAULT_SEED), log);
  }

  async start({ host = '127.0.0.1', port = 8474 }: { host?: string; port?: number } = {}): Promise<BoundAddress> {
    if (this.http) throw new Error('toxiproxy server already started');
    const server = http.createServer((req, res) => this.handle(req, res));
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: host === 'localhost' ? '127.0.0.1' : host, port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.http = server;
    const a = server.address() as AddressInfo;
    const bound = { host: a.address, port: a.port };
    return { ...bound, url: `http://${formatHostPort(bound)}` };
  }

  async stop(): Promise<void> {
    const server = this.http;
    this.http = null;
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    }
    await this.serialise(async () => {
      await Promise.all([...this.proxies.values()].map((p) => p.stop()));
      this.proxies.clear();
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.dispatch(req, res).catch((err: unknown) => {
      const api = err instanceof ApiError ? err : new ApiError(500, err instanceof Error ? err.message : String(err));
      sendError(res, api);
    });
  }

  private async dispatch(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    // Upstream refuses browsers so a web page cannot reconfigure a developer's proxies.
    if ((req.headers['user-agent'] ?? '').startsWith('Mozilla/')) {
      req.resume();
      send(res, 403, 'User agent not allowed\n', 'text/plain; charset=utf-8');
      return;
    }
    const match = matchRoute(req.method ?? '', pathSegments(req.url ?? '/'));
    if (match.kind !== 'found') {
      throw match.kind === 'not-found' ? new ApiError(404, 'not found') : new ApiError(405, 'method not allowed');
    }
    const text = await readBody(req, res);
    const result = await this.serialise(() => match.run(this.api, text));
    sendResponse(res, result);
  }

  /** One API call at a time: each sees the state the previous one left. */
  private serialise<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** Path segments, each percent-decoded on its own, so a name may hold `->` or even `/`. */
function pathSegments(url: string): string[] {
  const path = url.split('?', 1)[0]!;
  if (!path.startsWith('/')) throw new ApiError(404, 'not found');
  return path
    .slice(1)
    .split('/')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        throw new ApiError(400, `bad request: malformed escape in path segment ${JSON.stringify(s)}`);
      }
    });
}

function readBody(req: http.IncomingMessage, res: http.ServerResponse): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const tooLarge = () => new ApiError(413, `request body larger than ${MAX_BODY_BYTES} bytes`);
    req.on('data', (c: Buffer) => {
      if (settled) return;
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
      else if (size > MAX_BODY_BYTES + OVERSIZE_DRAIN_BYTES) {
        settled = true;
        res.setHeader('connection', 'close');
        reject(tooLarge());
      }
    });
    req.on('end', () => {
      if (settled) return;
      settled = true;
      if (size > MAX_BODY_BYTES) reject(tooLarge());
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', (err) => {
      if (settled) return;
      settled = true;
      reject(err);
    });
  });
}

function sendResponse(res: http.ServerResponse, r: ApiResponse): void {
  if (r.body === undefined) send(res, r.status, '', undefined);
  else send(res, r.status, JSON.stringify(r.body), 'application/json');
}

function sendError(res: http.ServerResponse, err: ApiError): void {
  // Like Go's http.Error, the JSON body ends with a newline.
  send(res, err.status, JSON.stringify({ error: err.message, status: err.status }) + '\n', 'application/json');
}

function send(res: http.ServerResponse, status: number, body: string, contentType: string | undefined): void {
  if (res.headersSent || res.destroyed) return;
  const headers: http.OutgoingHttpHeaders = { 'content-length': Buffer.byteLength(body) };
  if (contentType) headers['content-type'] = contentType;
  res.writeHead(status, headers);
  res.end(body);
}
