/**
 * parley's one way to drive a Toxiproxy server, embedded or real: a small typed surface
 * over toxiproxy-node-client 4.1, whose requests it keeps, with errors that say what failed.
 *
 * What it adds to the library, and why:
 * - errors name the call, the proxy and toxic, the HTTP status and the server's own message
 *   (the library throws "Request failed with status code N" and drops the body: we give
 *   its HTTP client a fetch that reads the body of a failed response before throwing);
 * - names are percent-encoded into paths (the library pastes them raw; parley's link
 *   names such as `n1->n2` are fine either way, but `/`, `?`, `#` or `%` would not be);
 * - `listToxics`, which the library lacks, through the library's own HTTP client;
 * - `populate([])` returns `[]` (the library loops over the `null` upstream answers with).
 */
import pkg from 'toxiproxy-node-client';
import type { ICreateProxyBody, ICreateToxicBody } from 'toxiproxy-node-client';

const { Toxiproxy, Proxy: LibProxy, Toxic: LibToxic } = pkg;

export type ToxicType = 'latency' | 'bandwidth' | 'slow_close' | 'timeout' | 'reset_peer' | 'slicer' | 'limit_data' | 'noop';
export type ToxicStream = 'upstream' | 'downstream';

export interface ProxySpec {
  name: string;
  upstream: string;
  /** Defaults to `127.0.0.1:0`: loopback, any free port (the answer says which). */
  listen?: string;
  enabled?: boolean;
}

export interface ProxyInfo {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
}

export interface ToxicSpec {
  type: ToxicType;
  /** Defaults (server side) to `<type>_<stream>`. */
  name?: string;
  stream?: ToxicStream;
  toxicity?: number;
  attributes?: Record<string, number>;
}

export interface ToxicInfo {
  name: string;
  type: ToxicType;
  stream: ToxicStream;
  toxicity: number;
  attributes: Record<string, number>;
}

export interface ToxicChange {
  attributes?: Record<string, number>;
  toxicity?: number;
}

/** A failed call: which one, on what, and what the server (or the network) said. */
export class ToxiproxyCallError extends Error {
  override readonly name = 'ToxiproxyCallError';
  constructor(
    readonly call: string,
    readonly target: { proxy?: string; toxic?: string },
    /** HTTP status, absent when the server could not be reached. */
    readonly status: number | undefined,
    /** The server's `error` text (or body), or the network failure. */
    readonly detail: string,
    readonly request: string,
  ) {
    const on = [target.proxy !== undefined && `proxy ${JSON.stringify(target.proxy)}`, target.toxic !== undefined && `toxic ${JSON.stringify(target.toxic)}`]
      .filter(Boolean)
      .join(', ');
    super(`toxiproxy ${call}${on ? ` (${on})` : ''}: ${status !== undefined ? `HTTP ${status} ` : ''}${detail} [${request}]`);
  }
}

/** What our fetch throws inside the library; `call` turns it into a ToxiproxyCallError. */
class HttpFailure extends Error {
  constructor(
    readonly status: number | undefined,
    readonly detail: string,
    readonly request: string,
  ) {
    super(detail);
  }
}

type LibClient = InstanceType<typeof Toxiproxy>;
type Fetcher = (url: string, init: RequestInit) => Promise<Response>;

export interface ToxiproxyClientOptions {
  /** Per request; a wedged server fails the call instead of hanging the harness. */
  timeoutMs?: number;
}

export class ToxiproxyClient {
  private readonly lib: LibClient;

  constructor(
    readonly url: string,
    options: ToxiproxyClientOptions = {},
  ) {
    this.url = url.replace(/\/+$/, '');
    this.lib = new Toxiproxy(this.url);
    const timeoutMs = options.timeoutMs ?? 30_000;
    // The library's HTTP client funnels every request through its private doFetch; ours
    // keeps the status and the server's message, which the library would throw away.
    const fetcher: Fetcher = async (reqUrl, init) => {
      const request = `${init.method ?? 'GET'} ${reqUrl}`;
      let res: Response;
      try {
        res = await fetch(reqUrl, { ...init, signal: AbortSignal.timeout(timeoutMs) });
      } catch (err) {
        throw new HttpFailure(undefined, `cannot reach ${this.url}: ${describeNetworkError(err)}`, request);
      }
      if (!res.ok) throw new HttpFailure(res.status, serverMessage(await res.text().catch(() => '')), request);
      return res;
    };
    (this.lib.api as unknown as { doFetch: Fetcher }).doFetch = fetcher;
  }

  async createProxy(spec: ProxySpec): Promise<ProxyInfo> {
    return this.call('createProxy', { proxy: spec.name }, async () => proxyInfo(await this.lib.createProxy(proxyBody(spec))));
  }

  /** Create or replace several proxies; the answer is in input order. */
  async populate(specs: readonly ProxySpec[]): Promise<ProxyInfo[]> {
    if (specs.length === 0) return [];
    return this.call('populate', {}, async () => {
      const byName = await this.lib.populate(specs.map(proxyBody));
      return specs.map((s) => {
        const p = byName[s.name];
        if (!p) throw new HttpFailure(undefined, `the answer lacks proxy ${JSON.stringify(s.name)}`, `POST ${this.url}/populate`);
        return proxyInfo(p);
      });
    });
  }

  async getProxy(name: string): Promise<ProxyInfo> {
    return this.call('getProxy', { proxy: name }, async () => proxyInfo(await this.lib.get(encodeURIComponent(name))));
  }

  async listProxies(): Promise<Record<string, ProxyInfo>> {
    return this.call('listProxies', {}, async () => {
      const all = await this.lib.getAll();
      return Object.fromEntries(Object.entries(all).map(([name, p]) => [name, proxyInfo(p)]));
    });
  }

  /** Disable (close the listener and every connection) or enable a proxy. */
  async setEnabled(name: string, enabled: boolean): Promise<ProxyInfo> {
    // Only `enabled` is sent, so the server keeps listen and upstream as they are.
    const body = { enabled } as unknown as Parameters<InstanceType<typeof LibProxy>['update']>[0];
    return this.call(enabled ? 'enableProxy' : 'disableProxy', { proxy: name }, async () => proxyInfo(await this.proxyHandle(name).update(body)));
  }

  async removeProxy(name: string): Promise<void> {
    return this.call('removeProxy', { proxy: name }, () => this.proxyHandle(name).remove());
  }

  async addToxic(proxy: string, spec: ToxicSpec): Promise<ToxicInfo> {
    const target = { proxy, toxic: spec.name ?? `${spec.type}_${spec.stream ?? 'downstream'}` };
    const body = { ...spec } as unknown as ICreateToxicBody<Record<string, number>>;
    return this.call('addToxic', target, async () => toxicInfo(await this.proxyHandle(proxy).addToxic(body)));
  }

  async updateToxic(proxy: string, toxic: string, change: ToxicChange): Promise<ToxicInfo> {
    const body = { ...change } as unknown as ICreateToxicBody<Record<string, number>>;
    return this.call('updateToxic', { proxy, toxic }, async () => toxicInfo(await this.toxicHandle(proxy, toxic).update(body)));
  }

  async removeToxic(proxy: string, toxic: string): Promise<void> {
    return this.call('removeToxic', { proxy, toxic }, () => this.toxicHandle(proxy, toxic).remove());
  }

  /** A proxy's toxics, upstream ones first, each stream in the order added. */
  async listToxics(proxy: string): Promise<ToxicInfo[]> {
    return this.call('listToxics', { proxy }, async () => {
      const res = await this.lib.api.get<ToxicInfo[]>(`${this.proxyHandle(proxy).getPath()}/toxics`);
      return res.data.map(toxicInfo);
    });
  }

  /** Enable every proxy and remove every toxic; open connections stay. */
  async reset(): Promise<void> {
    return this.call('reset', {}, () => this.lib.reset());
  }

  async version(): Promise<string> {
    return this.call('version', {}, async () => {
      const text = (await this.lib.getVersion()).trim();
      // Upstream answers {"version": "..."} since 2.6 and plain text before.
      try {
        const parsed = JSON.parse(text) as { version?: unknown };
        if (typeof parsed.version === 'string') return parsed.version;
      } catch {
        /* plain text */
      }
      return text;
    });
  }

  /** A library Proxy addressing `name`, without a round trip to fetch it. */
  private proxyHandle(name: string): InstanceType<typeof LibProxy> {
    return new LibProxy(this.lib, { name: encodeURIComponent(name), listen: '', upstream: '', enabled: true, toxics: [] });
  }

  private toxicHandle(proxy: string, toxic: string): InstanceType<typeof LibToxic<Record<string, number>>> {
    const body = { name: encodeURIComponent(toxic), type: 'latency', stream: 'downstream', toxicity: 1, attributes: {} } as const;
    return new LibToxic<Record<string, number>>(this.lib.api, this.proxyHandle(proxy).getPath(), body);
  }

  private async call<T>(name: string, target: { proxy?: string; toxic?: string }, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof HttpFailure) throw new ToxiproxyCallError(name, target, err.status, err.detail, err.request);
      const detail = err instanceof Error ? err.message : String(err);
      throw new ToxiproxyCallError(name, target, undefined, detail, this.url);
    }
  }
}

function proxyBody(spec: ProxySpec): ICreateProxyBody {
  const body: ICreateProxyBody = { name: spec.name, upstream: spec.upstream, listen: spec.listen ?? '127.0.0.1:0' };
  if (spec.enabled !== undefined) body.enabled = spec.enabled;
  return body;
}

function proxyInfo(p: { name: string; listen: string; upstream: string; enabled: boolean }): ProxyInfo {
  return { name: p.name, listen: p.listen, upstream: p.upstream, enabled: p.enabled };
}

function toxicInfo(t: { name: string; type: string; stream: string; toxicity: number; attributes: unknown }): ToxicInfo {
  return {
    name: t.name,
    type: t.type as ToxicType,
    stream: t.stream as ToxicStream,
    toxicity: t.toxicity,
    attributes: { ...(t.attributes as Record<string, number>) },
  };
}

/** The `error` field of upstream's error body, or the body itself (a 403 is plain text). */
function serverMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown; title?: unknown };
    if (typeof body.error === 'string') return body.error;
    if (typeof body.title === 'string') return body.title; // Toxiproxy before 2.1
  } catch {
    /* not JSON */
  }
  return text.trim() || '(empty body)';
}

function describeNetworkError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  if (err.name === 'TimeoutError') return 'timed out';
  return code ? `${err.message} (${code})` : err.message;
}
