/**
 * The fault plane: one Toxiproxy proxy per directed peer link, named `from->to`, created
 * through the Toxiproxy HTTP API (harness/toxiproxy/client.ts, over toxiproxy-node-client).
 * Node `from` dials peer `to` at that proxy's listen address, and since a node sends only
 * on connections it dialled (nodes/common/transport.ts), the proxy carries exactly what
 * `from` says to `to`: its upstream stream is the protocol traffic, its downstream only the
 * transport's pongs. So a toxic on one proxy's upstream is a one-way fault.
 *
 * Nodes parley did not write may also send on connections they accepted (replies, etcd's
 * peer streams): for them `streams: 'both'` puts every toxic on both directions of each
 * proxy, so a fault on the pair's two links still cuts, delays or drops everything between
 * the two nodes, whichever of them dialled.
 *
 * By default parley starts its own embedded, API-compatible server (`parley proxy`) as a
 * supervised child process; given a URL (--toxiproxy or TOXIPROXY_URL) it drives that
 * server instead, and nothing else changes.
 */
import path from 'node:path';
import { formatHostPort, parseHostPort, type HostPort } from '../../nodes/common/address.js';
import { ToxiproxyClient, type ToxicSpec } from '../toxiproxy/client.js';
import { allocatePort } from '../ports.js';
import { Child } from '../supervisor.js';
import type { Cluster } from '../cluster.js';
import { allLinks, linkName } from './topology.js';

/** The port the proxy of link from->to listens on, for nodes parley does not spawn. */
export function linkPort(base: number, ids: readonly string[], from: string, to: string): number {
  return base + 100 * (ids.indexOf(from) + 1) + (ids.indexOf(to) + 1);
}

export interface FaultPlaneOptions {
  /** A Toxiproxy server to drive; absent = start the embedded one. */
  url?: string;
  /** Where the embedded server's log goes. */
  logDir: string;
  /** Host the link proxies listen on (loopback unless nodes run elsewhere). */
  listenHost?: string;
  /** Host nodes dial to reach a proxy, when it differs from listenHost (containers). */
  advertiseHost?: string;
  /** Which direction of a proxy's connections a toxic acts on (default upstream, see above). */
  streams?: 'upstream' | 'both';
}

export class FaultPlane {
  private readonly links = new Map<string, HostPort>();
  /** The proxy that carries a link: its own, unless the links to a node share one (wireShared). */
  private proxyOf = (link: string): string => link;
  private proxies = (links: readonly string[]): string[] => [...new Set(links.map(this.proxyOf))];
  /** How many active faults disable each link: a link comes back only when none does. */
  private readonly disabled = new Map<string, number>();

  private constructor(
    readonly client: ToxiproxyClient,
    readonly url: string,
    private readonly child: Child | null,
    private readonly options: FaultPlaneOptions,
  ) {}

  static async start(options: FaultPlaneOptions): Promise<FaultPlane> {
    if (options.url) {
      const client = new ToxiproxyClient(options.url, { timeoutMs: 10_000 });
      await client.version(); // fail now, with the server's address in the message
      return new FaultPlane(client, options.url, null, options);
    }
    const port = await allocatePort();
    const child = new Child({ name: 'toxiproxy', args: ['proxy', '--host', '127.0.0.1', '--port', String(port)], logFile: path.join(options.logDir, 'toxiproxy.log') });
    child.start();
    const url = `http://127.0.0.1:${port}`;
    const client = new ToxiproxyClient(url, { timeoutMs: 10_000 });
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        await client.version();
        break;
      } catch (err) {
        if (!child.running || Date.now() > deadline) {
          await child.stop();
          throw new Error(`the embedded Toxiproxy server did not start on ${url}: ${(err as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    return new FaultPlane(client, url, child, options);
  }

  /** Set the supervisor's hook for a proxy process that dies on its own. */
  set onUnexpectedExit(hook: Child['onUnexpectedExit']) {
    if (this.child) this.child.onUnexpectedExit = hook;
  }

  get embedded(): boolean {
    return this.child !== null;
  }

  /**
   * Create every directed link proxy of the cluster and route the cluster's peers through
   * them. `listenFor` fixes where a link's proxy listens (default: a free port on listenHost).
   */
  async wire(cluster: Cluster, listenFor?: (from: string, to: string) => string): Promise<void> {
    const listenHost = this.options.listenHost ?? '127.0.0.1';
    const specs = allLinks(cluster.ids).map((name) => {
      const [from, to] = name.split('->') as [string, string];
      return { name, upstream: formatHostPort(cluster.node(to).listen), listen: listenFor?.(from, to) ?? `${listenHost}:0`, enabled: true };
    });
    // Remove leftovers from an earlier run on a shared server first: names are per link.
    const existing = await this.client.listProxies();
    for (const s of specs) if (existing[s.name]) await this.client.removeProxy(s.name);
    const created = await this.client.populate(specs);
    for (const p of created) {
      const address = parseHostPort(p.listen);
      if (!address) throw new Error(`toxiproxy answered an unusable listen address ${p.listen} for ${p.name}`);
      this.links.set(p.name, this.options.advertiseHost ? { host: this.options.advertiseHost, port: address.port } : address);
    }
    cluster.routeLinks((from, to) => this.address(from, to));
  }

  /**
   * Remote nodes were started already, dialling their peers at fixed link ports (see
   * Scenario.remote); create exactly those proxies, with the peers' addresses upstream.
   */
  async wireRemote(cluster: Cluster, nodes: Record<string, { peer: string }>, listenHost: string, portBase: number): Promise<void> {
    const ids = cluster.ids;
    const specs = allLinks(ids).map((name) => {
      const [from, to] = name.split('->') as [string, string];
      return { name, upstream: nodes[to]!.peer, listen: `${listenHost}:${linkPort(portBase, ids, from, to)}`, enabled: true };
    });
    const existing = await this.client.listProxies();
    for (const s of specs) if (existing[s.name]) await this.client.removeProxy(s.name);
    for (const p of await this.client.populate(specs)) {
      const address = parseHostPort(p.listen);
      if (address) this.links.set(p.name, address);
    }
  }

  /**
   * One proxy per destination, named `*->to`, shared by every node that dials `to`: for
   * nodes that cannot be given a different address per link. A fault on any link then
   * acts on its shared proxy (the caller must only ask for faults that mean that).
   */
  async wireShared(cluster: Cluster): Promise<void> {
    const shared = (to: string) => `*->${to}`;
    const specs = cluster.ids.map((to) => ({ name: shared(to), upstream: formatHostPort(cluster.node(to).listen), listen: `${this.options.listenHost ?? '127.0.0.1'}:0`, enabled: true }));
    const existing = await this.client.listProxies();
    for (const s of specs) if (existing[s.name]) await this.client.removeProxy(s.name);
    const byName = new Map((await this.client.populate(specs)).map((p) => [p.name, parseHostPort(p.listen)]));
    for (const link of allLinks(cluster.ids)) {
      const address = byName.get(shared(link.split('->')[1]!));
      if (!address) throw new Error(`toxiproxy answered no usable listen address for ${shared(link.split('->')[1]!)}`);
      this.links.set(link, address);
    }
    this.proxyOf = (link) => shared(link.split('->')[1]!);
    cluster.routeLinks((from, to) => this.address(from, to));
  }

  address(from: string, to: string): HostPort {
    const a = this.links.get(linkName(from, to));
    if (!a) throw new Error(`no proxy for link ${linkName(from, to)}`);
    return a;
  }

  get linkNames(): string[] {
    return [...this.links.keys()];
  }

  async disable(links: readonly string[]): Promise<void> {
    await Promise.all(
      this.proxies(links).map(async (l) => {
        const n = this.disabled.get(l) ?? 0;
        this.disabled.set(l, n + 1);
        if (n === 0) await this.client.setEnabled(l, false);
      }),
    );
  }

  async enable(links: readonly string[]): Promise<void> {
    await Promise.all(
      this.proxies(links).map(async (l) => {
        const n = this.disabled.get(l) ?? 0;
        if (n <= 1) {
          this.disabled.delete(l);
          if (n === 1) await this.client.setEnabled(l, true);
        } else this.disabled.set(l, n - 1);
      }),
    );
  }

  async addToxic(links: readonly string[], toxic: ToxicSpec & { name: string }): Promise<void> {
    const proxies = this.proxies(links);
    await Promise.all(proxies.map((l) => this.client.addToxic(l, toxic)));
    if (this.options.streams === 'both') {
      const back = { ...toxic, name: `${toxic.name}-back`, stream: toxic.stream === 'downstream' ? ('upstream' as const) : ('downstream' as const) };
      await Promise.all(proxies.map((l) => this.client.addToxic(l, back)));
    }
  }

  async removeToxic(links: readonly string[], name: string): Promise<void> {
    const proxies = this.proxies(links);
    await Promise.all(proxies.map((l) => this.client.removeToxic(l, name)));
    if (this.options.streams === 'both') await Promise.all(proxies.map((l) => this.client.removeToxic(l, `${name}-back`)));
  }

  /** Every proxy enabled, every toxic gone (Toxiproxy's POST /reset). */
  async healAll(): Promise<void> {
    this.disabled.clear();
    await this.client.reset();
  }

  /** Remove our proxies and stop the embedded server. */
  async stop(): Promise<void> {
    if (this.child) {
      await this.child.stop();
      return;
    }
    await Promise.all(this.proxies(this.linkNames).map((l) => this.client.removeProxy(l).catch(() => undefined)));
  }
}
