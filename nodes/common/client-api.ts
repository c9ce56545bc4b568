/**
 * The client HTTP API of the node contract (docs/nodes.md): JSON in, JSON out, every request
 * validated before it reaches a core. Malformed input gets a 4xx `{"error": ...}` and the
 * node keeps running; nothing a client sends can throw past this file.
 */
import http from 'node:http';
import { z } from 'zod';
import type { ClientOp, ClientReply } from './core.js';
import { formatHostPort, type HostPort } from './address.js';
import { CLOCK_JUMP_MAX_MS, CLOCK_RATE } from './clock.js';
import { FAILPOINTS, type Failpoint } from './failpoints.js';

export const MAX_KEY_LENGTH = 256;
/** Most operations in one transaction. */
export const MAX_TXN_OPS = 1000;

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const key = z.string().min(1).max(MAX_KEY_LENGTH);
const writeBody = z.object({ value: scalar });
const casBody = z.object({ from: scalar, to: scalar });
const txnOp = z.discriminatedUnion('f', [
  z.object({ f: z.literal('read'), key }),
  z.object({ f: z.literal('write'), key, value: scalar }),
  z.object({ f: z.literal('add'), key, delta: z.number().finite(), floor: z.number().finite().optional() }),
  z.object({ f: z.literal('append'), key, value: scalar }),
]);
const txnBody = z.object({ ops: z.array(txnOp).min(1).max(MAX_TXN_OPS) });
const clockBody = z.object({
  rate: z.number().min(CLOCK_RATE.min).max(CLOCK_RATE.max),
  jumpMs: z.number().min(0).max(CLOCK_JUMP_MAX_MS).default(0),
  forMs: z.number().positive().max(CLOCK_JUMP_MAX_MS).optional(),
});

const failpointBody = z.object({ point: z.enum(FAILPOINTS).nullable() });

export interface ClientApiHandlers {
  /** Run a validated operation; resolves with the reply to send. */
  operate(op: ClientOp): Promise<ClientReply>;
  status(): Record<string, unknown>;
  metrics(): Record<string, unknown>;
  /** A clock fault (POST /clock): run at `rate`, after jumping `jumpMs` forward, for `forMs` (or until the next); returns the clock's state. */
  clock?(rate: number, jumpMs: number, forMs: number | undefined): Record<string, unknown>;
  /** Arm a failpoint (POST /failpoint; null disarms): the node dies there (failpoints.ts); returns what is armed. */
  failpoint?(point: Failpoint | null): Record<string, unknown>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Answer with `connection: close`: what is left of the request will not be read. */
    readonly closeConnection = false,
  ) {
    super(message);
  }
}

/**
 * How far past the limit an oversized body is still read (and thrown away) before the 413
 * goes out. A node that answers and closes while the client is still sending makes the
 * client's next write fail (EPIPE, ECONNRESET), and common clients (Node's fetch among
 * them) then report that instead of the answer; one that reads the body to its end is
 * understood by all. Past this, the node stops reading and closes: a client that sends
 * more is not owed the time.
 */
const OVERSIZE_DRAIN_BYTES = 64 * 1024 * 1024;

/** The first problem, named by its field; `whole` names the value itself (the body, or the key of the path). */
function describe(error: z.ZodError, whole: string): string {
  const issue = error.issues[0]!;
  const field = issue.path.length ? issue.path.join('.') : whole;
  return `${field}: ${issue.message}`;
}

function parse<T>(schema: z.ZodType<T>, value: unknown, whole = 'body'): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new HttpError(400, describe(r.error, whole));
  return r.data;
}

function readBody(req: http.IncomingMessage, limit: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    const drainLimit = limit + OVERSIZE_DRAIN_BYTES;
    if (declared > drainLimit) {
      reject(new HttpError(413, `body of ${declared} bytes exceeds the limit of ${limit}`, true));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const oversized = () => new HttpError(413, declared > limit ? `body of ${declared} bytes exceeds the limit of ${limit}` : `body exceeds the limit of ${limit} bytes`);
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > drainLimit) {
        settled = true;
        reject(new HttpError(413, `body exceeds the limit of ${limit} bytes`, true));
      } else if (size <= limit) {
        chunks.push(chunk);
      }
    });
    req.on('end', () => {
      if (settled) return;
      settled = true;
      if (size > limit) {
        reject(oversized());
        return;
      }
      if (size === 0) {
        resolve(undefined);
        return;
      }
      try {
        resolve(JSON.parse(Buffer.concat(chunks, size).toString('utf8')));
      } catch {
        reject(new HttpError(400, 'body is not valid JSON'));
      }
    });
    req.on('error', (err) => {
      if (settled) return;
      settled = true;
      reject(new HttpError(400, `request aborted: ${err.message}`));
    });
  });
}

function send(res: http.ServerResponse, status: number, body: unknown, close = false): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) };
  if (close) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(text);
}

/** Route one request to an operation (or a status/metrics read). Throws HttpError on bad input. */
async function route(req: http.IncomingMessage, handlers: ClientApiHandlers, limit: number): Promise<[number, unknown]> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const pathname = q === -1 ? url : url.slice(0, q);
  const method = req.method ?? 'GET';

  if (pathname === '/status' || pathname === '/metrics') {
    if (method !== 'GET') throw new HttpError(405, `${pathname} takes GET`);
    return [200, pathname === '/status' ? handlers.status() : handlers.metrics()];
  }
  if (pathname === '/clock' && handlers.clock) {
    if (method !== 'POST') throw new HttpError(405, '/clock takes POST');
    const { rate, jumpMs, forMs } = parse(clockBody, await readBody(req, limit));
    return [200, handlers.clock(rate, jumpMs, forMs)];
  }
  if (pathname === '/failpoint' && handlers.failpoint) {
    if (method !== 'POST') throw new HttpError(405, '/failpoint takes POST');
    const { point } = parse(failpointBody, await readBody(req, limit));
    return [200, handlers.failpoint(point)];
  }
  if (pathname === '/txn') {
    if (method !== 'POST') throw new HttpError(405, '/txn takes POST');
    const { ops } = parse(txnBody, await readBody(req, limit));
    return answer(await handlers.operate({ f: 'txn', ops }));
  }
  const m = /^\/kv\/([^/]+)(\/cas)?$/.exec(pathname);
  if (!m) throw new HttpError(404, `no route ${method} ${pathname}`);
  let k: string;
  try {
    k = decodeURIComponent(m[1]!);
  } catch {
    throw new HttpError(400, 'key: not valid percent-encoding');
  }
  parse(key, k, 'key');
  if (m[2]) {
    if (method !== 'POST') throw new HttpError(405, '/kv/:key/cas takes POST');
    const { from, to } = parse(casBody, await readBody(req, limit));
    return answer(await handlers.operate({ f: 'cas', key: k, from, to }));
  }
  if (method === 'GET') return answer(await handlers.operate({ f: 'read', key: k }));
  if (method === 'PUT') {
    const { value } = parse(writeBody, await readBody(req, limit));
    return answer(await handlers.operate({ f: 'write', key: k, value }));
  }
  throw new HttpError(405, '/kv/:key takes GET or PUT');
}

function answer(reply: ClientReply): [number, unknown] {
  return [reply.status, reply.body];
}

export async function startClientApi(address: HostPort, handlers: ClientApiHandlers, maxBodyBytes: number): Promise<http.Server> {
  const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    route(req, handlers, maxBodyBytes).then(
      ([status, body]) => send(res, status, body),
      (err: unknown) => {
        if (err instanceof HttpError) send(res, err.status, { error: err.message }, err.closeConnection);
        else send(res, 500, { error: `internal error: ${err instanceof Error ? err.message : String(err)}` });
      },
    );
  });
  server.on('clientError', (err: NodeJS.ErrnoException & { reason?: string }, socket) => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const [status, phrase, error] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', `request line and headers exceed ${http.maxHeaderSize} bytes`]
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'Request Timeout', 'request not received in time']
          : [400, 'Bad Request', `malformed HTTP request: ${err.reason ?? err.message}`];
    const body = JSON.stringify({ error });
    socket.end(`HTTP/1.1 ${status} ${phrase}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`cannot listen for clients on ${formatHostPort(address)}: ${err.message}`)));
    server.listen(address.port, address.host, () => resolve());
  });
  return server;
}
