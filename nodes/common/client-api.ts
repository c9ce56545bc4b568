/**
 * The client HTTP API of the node contract (DESIGN.md): JSON in, JSON out, every request
 * validated before it reaches a core. Malformed input gets a 4xx `{"error": ...}` and the
 * node keeps running; nothing a client sends can throw past this file.
 */
import http from 'node:http';
import { z } from 'zod';
import type { ClientOp, ClientReply } from './core.js';
import { formatHostPort, type HostPort } from './address.js';

export const MAX_KEY_LENGTH = 256;

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
const txnBody = z.object({ ops: z.array(txnOp).min(1).max(1000) });

export interface ClientApiHandlers {
  /** Run a validated operation; resolves with the reply to send. */
  operate(op: ClientOp): Promise<ClientReply>;
  status(): Record<string, unknown>;
  metrics(): Record<string, unknown>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function describe(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const field = issue.path.length ? issue.path.join('.') : 'body';
  return `${field}: ${issue.message}`;
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (!r.success) throw new HttpError(400, describe(r.error));
  return r.data;
}

function readBody(req: http.IncomingMessage, limit: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      reject(new HttpError(413, `body of ${declared} bytes exceeds the limit of ${limit}`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(new HttpError(413, `body exceeds the limit of ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (failed) return;
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
      if (!failed) reject(new HttpError(400, `request aborted: ${err.message}`));
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
  parse(key, k);
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
        if (err instanceof HttpError) send(res, err.status, { error: err.message }, err.status === 413);
        else send(res, 500, { error: `internal error: ${err instanceof Error ? err.message : String(err)}` });
      },
    );
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n{"error":"malformed HTTP request"}');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`cannot listen for clients on ${formatHostPort(address)}: ${err.message}`)));
    server.listen(address.port, address.host, () => resolve());
  });
  return server;
}
