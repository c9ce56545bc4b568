/**
 * One HTTP request exactly as given (any method with any body, any path), answered or
 * failed within a deadline: a server that does not answer fails the fuzz as a hang.
 */
import http from 'node:http';

export const REQUEST_TIMEOUT_MS = 15_000;

export interface RawRequest {
  method: string;
  path: string;
  body?: string | Uint8Array;
  headers?: Record<string, string>;
}

export interface Answer {
  status: number;
  text: string;
  /** The body parsed as JSON; undefined when it is not JSON. */
  json: unknown;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

export function send(host: string, port: number, req: RawRequest): Promise<Answer> {
  // Node's client frames a GET's body only when told its length.
  const headers = req.body === undefined ? { ...req.headers } : { ...req.headers, 'content-length': String(Buffer.byteLength(req.body)) };
  return new Promise((resolve, reject) => {
    const r = http.request({ host, port, method: req.method, path: req.path, headers, agent, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown = undefined;
        try {
          json = JSON.parse(text);
        } catch {
          /* judged by the caller */
        }
        resolve({ status: res.statusCode ?? 0, text, json });
      });
      res.on('error', reject);
    });
    r.on('timeout', () => r.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms: the server hangs on ${req.method} ${req.path}`)));
    r.on('error', reject);
    r.end(req.body);
  });
}
