/**
 * The Toxiproxy HTTP API (docs/toxiproxy.md): routes, and one handler per call with upstream's
 * status codes, bodies and order of checks. Handlers run one at a time (server.ts
 * serialises them), so a check followed by an await (a bind) cannot race another call.
 */
import type { Random } from '../../nodes/common/random.js';
import { ApiError, asObject, badRequest, isObject, optBoolean, optString, parseJson, type JsonObject } from './decode.js';
import { parseListen, TcpProxy, type ProxyJson } from './proxy.js';
import { completeNewToxic, parseNewToxic, parseToxicUpdate, toxicJson } from './toxics.js';

/** What /version reports: the upstream API level this server implements, tagged as parley's. */
export const VERSION = '2.12.0+parley';

export interface ApiResponse {
  status: number;
  /** JSON body; absent for 204. */
  body?: unknown;
}

type Params = Record<string, string>;
type Handler = (api: ToxiproxyApi, params: Params, bodyText: string) => Promise<ApiResponse>;

interface Route {
  methods: readonly string[];
  path: readonly string[];
  handler: Handler;
}

const ROUTES: readonly Route[] = [
  { methods: ['POST'], path: ['reset'], handler: (api) => api.reset() },
  { methods: ['GET'], path: ['version'], handler: async () => ({ status: 200, body: { version: VERSION } }) },
  { methods: ['GET'], path: ['proxies'], handler: async (api) => api.listProxies() },
  { methods: ['POST'], path: ['proxies'], handler: (api, _p, text) => api.createProxy(text) },
  { methods: ['POST'], path: ['populate'], handler: (api, _p, text) => api.populate(text) },
  { methods: ['GET'], path: ['proxies', ':proxy'], handler: async (api, p) => ok(api.proxy(p.proxy!).toJSON()) },
  { methods: ['POST', 'PATCH'], path: ['proxies', ':proxy'], handler: (api, p, text) => api.updateProxy(p.proxy!, text) },
  { methods: ['DELETE'], path: ['proxies', ':proxy'], handler: (api, p) => api.deleteProxy(p.proxy!) },
  { methods: ['GET'], path: ['proxies', ':proxy', 'toxics'], handler: async (api, p) => ok(api.proxy(p.proxy!).toJSON().toxics) },
  { methods: ['POST'], path: ['proxies', ':proxy', 'toxics'], handler: async (api, p, text) => api.createToxic(p.proxy!, text) },
  { methods: ['GET'], path: ['proxies', ':proxy', 'toxics', ':toxic'], handler: async (api, p) => api.getToxic(p.proxy!, p.toxic!) },
  {
    methods: ['POST', 'PATCH'],
    path: ['proxies', ':proxy', 'toxics', ':toxic'],
    handler: async (api, p, text) => api.updateToxic(p.proxy!, p.toxic!, text),
  },
  { methods: ['DELETE'], path: ['proxies', ':proxy', 'toxics', ':toxic'], handler: async (api, p) => api.deleteToxic(p.proxy!, p.toxic!) },
];

export type RouteMatch = { kind: 'found'; run: (api: ToxiproxyApi, bodyText: string) => Promise<ApiResponse> } | { kind: 'not-found' | 'method-not-allowed' };

/** Match decoded path segments (a `{name}` segment is never empty, as in gorilla/mux). */
export function matchRoute(method: string, segments: readonly string[]): RouteMatch {
  let pathMatched = false;
  for (const route of ROUTES) {
    if (route.path.length !== segments.length) continue;
    const params: Params = {};
    const fits = route.path.every((part, i) => {
      const seg = segments[i]!;
      if (part.startsWith(':')) {
        params[part.slice(1)] = seg;
        return seg !== '';
      }
      return part === seg;
    });
    if (!fits) continue;
    pathMatched = true;
    if (route.methods.includes(method)) return { kind: 'found', run: (api, text) => route.handler(api, params, text) };
  }
  return { kind: pathMatched ? 'method-not-allowed' : 'not-found' };
}

const ok = (body: unknown): ApiResponse => ({ status: 200, body });
const NO_CONTENT: ApiResponse = { status: 204 };

interface ProxyInput {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
}

function proxyInput(obj: JsonObject, enabledDefault: boolean): ProxyInput {
  return {
    name: optString(obj, 'name') ?? '',
    listen: optString(obj, 'listen') ?? '',
    upstream: optString(obj, 'upstream') ?? '',
    enabled: optBoolean(obj, 'enabled') ?? enabledDefault,
  };
}

export class ToxiproxyApi {
  constructor(
    private readonly proxies: Map<string, TcpProxy>,
    private readonly rng: Random,
    private readonly log: (line: string) => void,
  ) {}

  proxy(name: string): TcpProxy {
    const p = this.proxies.get(name);
    if (!p) throw new ApiError(404, 'proxy not found');
    return p;
  }

  // Go marshals a map with its keys sorted.
  listProxies(): ApiResponse {
    const names = [...this.proxies.keys()].sort();
    return ok(Object.fromEntries(names.map((n) => [n, this.proxies.get(n)!.toJSON()])));
  }

  async createProxy(text: string): Promise<ApiResponse> {
    const input = proxyInput(asObject(parseJson(text), 'a proxy'), true);
    if (input.name === '') throw new ApiError(400, 'missing required field: name');
    if (input.upstream === '') throw new ApiError(400, 'missing required field: upstream');
    if (this.proxies.has(input.name)) throw new ApiError(409, 'proxy already exists');
    const proxy = this.newProxy(input);
    if (input.enabled) await proxy.start();
    this.proxies.set(input.name, proxy);
    return { status: 201, body: proxy.toJSON() };
  }

  /**
   * Validate every entry before touching anything; then add each in order. An existing
   * proxy with the same listen and upstream is kept as it is, a different one replaced
   * (upstream's AddOrReplace). A failure part-way answers with the error and the proxies
   * created so far.
   */
  async populate(text: string): Promise<ApiResponse> {
    const raw = parseJson(text);
    if (raw !== null && !Array.isArray(raw)) throw badRequest('expected a JSON array of proxies');
    const entries = ((raw ?? []) as unknown[]).map((e, i) => proxyInput(asObject(e, `proxy ${i + 1}`), true));
    const seen = new Set<string>();
    entries.forEach((e, i) => {
      if (e.name === '') throw new ApiError(400, `missing required field: name at proxy ${i + 1}`);
      if (e.upstream === '') throw new ApiError(400, `missing required field: upstream at proxy ${i + 1}`);
      if (seen.has(e.name)) throw badRequest(`duplicate proxy name ${JSON.stringify(e.name)} at proxy ${i + 1}`);
      seen.add(e.name);
      if (e.enabled) parseListen(e.listen);
    });
    const done: ProxyJson[] = [];
    for (const e of entries) {
      const existing = this.proxies.get(e.name);
      if (existing && existing.listen === e.listen && existing.upstream === e.upstream) {
        done.push(existing.toJSON());
        continue;
      }
      const wasEnabled = existing?.enabled ?? false;
      try {
        // The replacement may want the listen address the existing one holds: free it first.
        await existing?.stop();
        const proxy = this.newProxy(e);
        if (e.enabled) await proxy.start();
        this.proxies.set(e.name, proxy);
        done.push(proxy.toJSON());
      } catch (err) {
        // A failed replacement leaves the proxy it was to replace, serving again.
        if (existing && wasEnabled) await existing.start().catch((again: unknown) => this.log(`proxy ${e.name}: cannot restart after a failed replacement: ${String(again)}`));
        const api = err instanceof ApiError ? err : new ApiError(500, String(err));
        return { status: api.status, body: { error: api.message, status: api.status, proxies: done } };
      }
    }
    // Upstream marshals an empty result as null (and toxiproxy-node-client trips on it).
    return { status: 201, body: { proxies: done.length > 0 ? done : null } };
  }

  async updateProxy(name: string, text: string): Promise<ApiResponse> {
    const proxy = this.proxy(name);
    const obj = asObject(parseJson(text), 'a proxy');
    const next = {
      listen: optString(obj, 'listen') ?? proxy.listen,
      upstream: optString(obj, 'upstream') ?? proxy.upstream,
      enabled: optBoolean(obj, 'enabled') ?? proxy.enabled,
    };
    await proxy.update(next);
    return ok(proxy.toJSON());
  }

  async deleteProxy(name: string): Promise<ApiResponse> {
    const proxy = this.proxy(name);
    this.proxies.delete(name);
    await proxy.stop();
    return NO_CONTENT;
  }

  createToxic(proxyName: string, text: string): ApiResponse {
    const proxy = this.proxy(proxyName);
    const parsed = parseNewToxic(asObject(parseJson(text), 'a toxic'));
    if (proxy.findToxic(parsed.toxic.name)) throw new ApiError(409, 'toxic already exists');
    const toxic = completeNewToxic(parsed);
    proxy.addToxic(toxic);
    return ok(toxicJson(toxic));
  }

  getToxic(proxyName: string, toxicName: string): ApiResponse {
    const toxic = this.proxy(proxyName).findToxic(toxicName);
    if (!toxic) throw new ApiError(404, 'toxic not found');
    return ok(toxicJson(toxic));
  }

  updateToxic(proxyName: string, toxicName: string, text: string): ApiResponse {
    const proxy = this.proxy(proxyName);
    const toxic = proxy.findToxic(toxicName);
    if (!toxic) throw new ApiError(404, 'toxic not found');
    const body = parseJson(text);
    if (!isObject(body) && body !== null) throw badRequest('expected a JSON object for a toxic');
    proxy.updateToxic(toxic, parseToxicUpdate(toxic, body ?? {}));
    return ok(toxicJson(toxic));
  }

  deleteToxic(proxyName: string, toxicName: string): ApiResponse {
    const proxy = this.proxy(proxyName);
    const toxic = proxy.findToxic(toxicName);
    if (!toxic) throw new ApiError(404, 'toxic not found');
    proxy.removeToxic(toxic);
    return NO_CONTENT;
  }

  /**
   * Every proxy enabled, every toxic removed; open connections stay. A proxy that cannot
   * start (a disabled one whose address another process took) fails the call with its
   * error, but only after every other proxy was reset: upstream stops at the first.
   */
  async reset(): Promise<ApiResponse> {
    let failure: unknown = undefined;
    for (const proxy of this.proxies.values()) {
      await proxy.start().catch((err: unknown) => (failure ??= err));
      proxy.resetToxics();
    }
    if (failure !== undefined) throw failure;
    return NO_CONTENT;
  }

  private newProxy(input: ProxyInput): TcpProxy {
    return new TcpProxy(input.name, input.listen, input.upstream, this.rng, this.log);
  }
}
