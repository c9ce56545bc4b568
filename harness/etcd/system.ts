/**
 * etcd as a reference system: real etcd members (Debian's etcd 3.4, or ETCD_BIN) under the
 * same harness as parley's nodes. parley spawns, crashes (kill -9), pauses and restarts
 * them on their data directories, reads their status for leader targets, drives the kv
 * workload through their v3 JSON gateway (dialect.ts) and puts their peer traffic behind
 * the fault proxies (isolation.ts says how each member gets proxies of its own).
 *
 * etcd's peer connections carry messages both ways (a member streams its messages to a
 * peer on the connection that peer dialled), so faults act on both directions of every
 * proxied connection, and a one-way partition cannot be expressed at all: refused.
 */
import fs from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { formatHostPort } from '../../nodes/common/address.js';
import { UsageError } from '../../nodes/common/errors.js';
import type { Cluster, NodeHandle, NodeSystem, PeerAddress } from '../cluster.js';
import { fetchJson } from '../http.js';
import type { FaultSpec, Scenario } from '../../contracts/scenario.js';
import type { ChildSpec } from '../supervisor.js';
import type { SystemSetup } from '../system-setup.js';
import { plannedFaults } from '../faults/nemesis.js';
import { etcdBinary, type EtcdBinary } from './binary.js';
import { etcdDialect } from './dialect.js';
import { hostsFile, inOwnHosts, isolation, peerName, sourceAddress, type Isolation } from './isolation.js';

const LINK_FAULTS: readonly FaultSpec['kind'][] = ['latency', 'bandwidth', 'drop', 'reset', 'partition'];

/** Why etcd cannot run this fault here, or null. */
export function refusal(f: FaultSpec, iso: Isolation): string | null {
  if (f.kind === 'partition' && f.shape === 'one-way') {
    return "a one-way partition cannot be expressed for etcd: a member sends its messages to a peer on the connection that peer dialled, so cutting one direction of a link's connections cuts both";
  }
  if (iso.mode === 'per-destination' && LINK_FAULTS.includes(f.kind) && (f.kind === 'partition' || f.target !== 'all')) {
    return `${f.kind === 'partition' ? `a partition (${f.shape})` : `a ${f.kind} on ${Array.isArray(f.target) ? f.target.join(',') : f.target}`} needs a proxy per directed link, and etcd members here share one proxy per destination (${iso.why}); only faults on every link (target: all), crash and pause can be expressed`;
  }
  return null;
}

/** Refuse, before anything starts, what etcd cannot run here (exit 64). */
export async function checkEtcd(scenario: Scenario): Promise<void> {
  etcdBinary();
  const iso = isolation();
  for (const [i, f] of plannedFaults(scenario).entries()) {
    const why = refusal(f, iso);
    if (why) throw new UsageError(`${scenario.nemesis ? `nemesis ${scenario.nemesis.names.join(',')} (fault ${i} of its schedule)` : `faults.${i}`}: ${why}`);
  }
}

interface MemberStatus {
  header?: { member_id?: string; raft_term?: string };
  leader?: string;
  raftIndex?: string;
}

/** etcd members as the nodes of a cluster. */
export class EtcdMembers implements NodeSystem {
  readonly readyPath = '/version';
  /** Member id (uint64, as etcd's JSON writes it) -> name; member ids never change. */
  private readonly names = new Map<string, string>();
  private readonly advertised = new Map<string, string>();

  /** `ownHosts`: run each member with a hosts file of its own (per-link proxies); null: run etcd as is. */
  constructor(
    private readonly binary: EtcdBinary,
    private readonly ownHosts: Extract<Isolation, { mode: 'per-link' }> | null,
    private readonly dir: string,
    private readonly token = `parley-${process.pid}-${Date.now().toString(36)}`,
  ) {}

  /** Peers dial each other directly, with no proxy between them (benchmarks). */
  advertiseDirect(cluster: Cluster): void {
    for (const n of cluster.nodes) this.advertise(n.id, `http://${formatHostPort(n.listen)}`);
  }

  /** Where members reach `id`'s peer port: a name resolved per member, or the shared proxy. */
  advertise(id: string, url: string): void {
    this.advertised.set(id, url);
  }

  child(n: NodeHandle, _peers: readonly PeerAddress[], ids: readonly string[]): ChildSpec {
    const advertised = (id: string) => this.advertised.get(id)!;
    const client = `http://${formatHostPort(n.api)}`;
    const args = [
      '--name', n.id,
      '--data-dir', path.resolve(n.dataDir),
      '--listen-peer-urls', `http://${formatHostPort(n.listen)}`,
      '--initial-advertise-peer-urls', advertised(n.id),
      '--listen-client-urls', client,
      '--advertise-client-urls', client,
      '--initial-cluster', ids.map((id) => `${id}=${advertised(id)}`).join(','),
      '--initial-cluster-state', 'new',
      '--initial-cluster-token', this.token,
      '--logger', 'zap',
      '--log-outputs', 'stderr',
    ];
    // etcd reads ETCD_* variables as flags; the harness's own (ETCD_BIN) must not reach it.
    const env: Record<string, string | undefined> = {};
    for (const k of Object.keys(process.env)) if (k.startsWith('ETCD_')) env[k] = undefined;
    if (!this.ownHosts) return { name: n.id, args: [], logFile: n.logFile, env, program: { file: this.binary.file, args } };
    const hosts = path.join(this.dir, 'etcd', `hosts-${n.id}`);
    fs.mkdirSync(path.dirname(hosts), { recursive: true });
    fs.writeFileSync(hosts, hostsFile(ids, n.id));
    return { name: n.id, args: [], logFile: n.logFile, env, program: inOwnHosts(this.ownHosts, hosts, this.binary.file, args) };
  }

  private async memberNames(n: NodeHandle, timeoutMs: number): Promise<void> {
    const { status, body } = await fetchJson(n.api, 'POST', '/v3/cluster/member/list', {}, timeoutMs);
    if (status !== 200) return;
    for (const m of (body as { members?: { ID?: string; name?: string }[] }).members ?? []) if (m.ID && m.name) this.names.set(m.ID, m.name);
  }

  /** The contract's status from etcd's: who leads (by name), this member's role and term. */
  async status(n: NodeHandle, timeoutMs: number): Promise<Record<string, unknown> | null> {
    try {
      const { status, body } = await fetchJson(n.api, 'POST', '/v3/maintenance/status', {}, timeoutMs);
      if (status !== 200) return null;
      const s = body as MemberStatus;
      const self = s.header?.member_id;
      const leaderId = s.leader && s.leader !== '0' ? s.leader : null;
      if (leaderId && !this.names.has(leaderId)) await this.memberNames(n, timeoutMs);
      return {
        id: n.id,
        algo: 'etcd',
        role: leaderId !== null && leaderId === self ? 'leader' : 'follower',
        leader: leaderId === null ? null : (this.names.get(leaderId) ?? null),
        term: Number(s.header?.raft_term ?? 0),
        commitIndex: Number(s.raftIndex ?? 0),
      };
    } catch {
      return null;
    }
  }

  /** The contract's counters from etcd's Prometheus metrics (etcd does not count peer messages). */
  async metrics(n: NodeHandle, timeoutMs: number): Promise<Record<string, unknown> | null> {
    try {
      const res = await request(`http://${formatHostPort(n.api)}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
      const text = await res.body.text();
      if (res.statusCode !== 200) return null;
      return { bytesSent: sumOf(text, 'etcd_network_peer_sent_bytes_total'), fsyncs: sumOf(text, 'etcd_disk_wal_fsync_duration_seconds_count') };
    } catch {
      return null;
    }
  }

  async settle(cluster: Cluster): Promise<void> {
    await cluster.waitForLeader(30_000);
  }

  leaderless(): string | null {
    return null;
  }
}

/** The sum of a Prometheus metric over its labels. */
export function sumOf(text: string, metric: string): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(metric) || (line[metric.length] !== ' ' && line[metric.length] !== '{')) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) total += value;
  }
  return total;
}

export function etcdSystem(dir: string): SystemSetup {
  const binary = etcdBinary();
  const iso = isolation();
  const members = new EtcdMembers(binary, iso.mode === 'per-link' ? iso : null, dir);
  const notes =
    iso.mode === 'per-link'
      ? ['each member resolves its peers\' names to a loopback address of its own (a mount namespace with its own /etc/hosts), so every directed link has its own proxy']
      : [`one proxy per destination, shared by every sender: ${iso.why}`];
  notes.push('etcd does not count peer messages: messages per operation show 0 (bytes are etcd_network_peer_sent_bytes_total)');
  return {
    nodes: members,
    dialect: etcdDialect,
    plane: { streams: 'both' },
    async wire(plane, cluster) {
      if (cluster.ids.length === 1) {
        members.advertiseDirect(cluster);
      } else if (iso.mode === 'per-link') {
        const index = (id: string) => cluster.ids.indexOf(id) + 1;
        await plane.wire(cluster, (from, to) => `${sourceAddress(index(from))}:${cluster.node(to).listen.port}`);
        for (const n of cluster.nodes) members.advertise(n.id, `http://${peerName(n.id)}:${n.listen.port}`);
      } else {
        await plane.wireShared(cluster);
        // Every sender dials the same shared proxy; which one is a detail of the plane.
        const first = (to: string) => cluster.ids.find((id) => id !== to) ?? to;
        for (const n of cluster.nodes) members.advertise(n.id, `http://${formatHostPort(plane.address(first(n.id), n.id))}`);
      }
    },
    settle: (cluster) => members.settle(cluster),
    saturation: { method: 'POST', path: '/v3/kv/put', body: JSON.stringify({ key: Buffer.from('__saturation').toString('base64'), value: Buffer.from('"x"').toString('base64') }) },
    facts: { kind: 'etcd', command: binary.file, version: binary.version, links: iso.mode, streams: 'both', notes },
    dispose: async () => undefined,
  };
}
