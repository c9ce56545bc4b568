/**
 * `parley node-check --node-command '...'`: probe a user's node against the node contract
 * (docs/nodes.md) before a chaos run is spent on it. It starts a small cluster of the
 * program with every peer link through a counting relay, then checks, in order: start-up,
 * GET /status (and a leader, if the nodes name one), GET /metrics, writes and reads, reads
 * on the other nodes, compare-and-set both ways, transactions, malformed requests (a 4xx,
 * and the node still up), an acknowledged write surviving kill -9 and a restart on the same
 * data, and whether peer traffic went through the addresses parley gave (if it did not,
 * link faults would never reach it).
 *
 * Each finding is passed, failed, a warning (works, but a run loses something: leader
 * targets, message counts) or a note. Exit 0 when nothing failed, 1 otherwise.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { formatHostPort, type HostPort } from '../nodes/common/address.js';
import { Cluster, NodeStartError } from './cluster.js';
import { NodeCommandSystem, checkProgram, parseNodeCommand } from './node-command.js';
import { allLinks, linkName } from './faults/topology.js';
import { tailOfFile, type ChildExit } from './supervisor.js';
import { EXIT } from '../contracts/exit-codes.js';

export interface NodeCheckOptions {
  nodeCommand: string;
  nodes: number;
  timeoutMs: number;
  consistency: 'linearizable' | 'eventual';
  /** Keep the cluster's folder (data, logs) instead of removing it. */
  keep: boolean;
}

type Status = 'pass' | 'fail' | 'warn' | 'note';
export interface Finding {
  status: Status;
  what: string;
}

const MARK: Record<Status, string> = { pass: '✓', fail: '✗', warn: '!', note: '·' };

interface Answer {
  status: number;
  body: Record<string, unknown> | null;
  text: string;
}

async function call(api: HostPort, method: string, urlPath: string, body?: string): Promise<Answer> {
  try {
    const res = await request(`http://${formatHostPort(api)}${urlPath}`, {
      method: method as 'GET',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(3000),
    });
    const text = await res.body.text();
    let parsed: Record<string, unknown> | null = null;
    try {
      const v = JSON.parse(text) as unknown;
      parsed = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
    } catch {
      parsed = null;
    }
    return { status: res.statusCode, body: parsed, text: text.slice(0, 200) };
  } catch (err) {
    return { status: 0, body: null, text: (err as Error).message };
  }
}

const show = (a: Answer) => (a.status === 0 ? `no answer (${a.text})` : `${a.status} ${a.text}`);

/** Retry while the node says "not now" (503, 504, no answer): a leader may still be settling. */
async function settled(deadline: number, attempt: () => Promise<Answer>): Promise<Answer> {
  for (;;) {
    const a = await attempt();
    if (![0, 503, 504].includes(a.status) || Date.now() > deadline) return a;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A TCP relay per directed link that counts the bytes each way. */
class LinkTaps {
  readonly bytes = new Map<string, { sent: number; back: number }>();
  private readonly servers: net.Server[] = [];
  private readonly sockets = new Set<net.Socket>();
  private readonly addresses = new Map<string, HostPort>();

  async start(cluster: Cluster): Promise<void> {
    for (const link of allLinks(cluster.ids)) {
      const to = cluster.node(link.split('->')[1]!).listen;
      const count = { sent: 0, back: 0 };
      this.bytes.set(link, count);
      const server = net.createServer((inbound) => {
        const outbound = net.connect(to.port, to.host);
        for (const s of [inbound, outbound]) {
          this.sockets.add(s);
          s.on('close', () => this.sockets.delete(s));
          s.on('error', () => undefined);
        }
        inbound.on('data', (d: Buffer) => (count.sent += d.length));
        outbound.on('data', (d: Buffer) => (count.back += d.length));
        inbound.pipe(outbound).on('close', () => inbound.destroy());
        outbound.pipe(inbound).on('close', () => outbound.destroy());
        inbound.on('close', () => outbound.destroy());
        outbound.on('close', () => inbound.destroy());
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      this.servers.push(server);
      this.addresses.set(link, { host: '127.0.0.1', port: (server.address() as net.AddressInfo).port });
    }
    cluster.routeLinks((from, to) => this.addresses.get(linkName(from, to))!);
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all(this.servers.map((s) => new Promise((r) => s.close(r))));
  }
}

export async function nodeCheck(opts: NodeCheckOptions, print: (line: string) => void): Promise<{ code: number; findings: Finding[] }> {
  const ids = Array.from({ length: opts.nodes }, (_, i) => `n${i + 1}`);
  const words = parseNodeCommand(opts.nodeCommand, ids, '--node-command');
  checkProgram(words, '--node-command');
  const findings: Finding[] = [];
  const report = (status: Status, what: string) => {
    findings.push({ status, what });
    print(`  ${MARK[status]} ${what}`);
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-node-check-'));
  print(`parley node-check: ${opts.nodes} node${opts.nodes === 1 ? '' : 's'} of: ${opts.nodeCommand}`);
  print(`  (data and logs in ${dir}${opts.keep ? '' : ', removed at the end; --keep keeps them'})`);
  const system = new NodeCommandSystem(words);
  const cluster = await Cluster.plan({ algo: 'node-check', size: opts.nodes, dir, system });
  const taps = new LinkTaps();
  await taps.start(cluster);
  const exits: ChildExit[] = [];
  cluster.onUnexpectedExit = (e) => {
    exits.push(e);
    report('fail', `${e.name} exited on its own (code ${e.exitCode ?? '-'}, signal ${e.signal ?? '-'}); last lines of its log:\n      ${e.logTail.slice(-6).join('\n      ')}`);
  };
  try {
    await checkAll(cluster, taps, opts, report);
  } finally {
    await cluster.stop();
    await taps.stop();
    if (!opts.keep) fs.rmSync(dir, { recursive: true, force: true });
  }
  const count = (s: Status) => findings.filter((f) => f.status === s).length;
  print(`${count('fail') === 0 ? 'ready for parley run' : 'not ready'}: ${count('pass')} passed, ${count('fail')} failed, ${count('warn')} warnings`);
  return { code: count('fail') === 0 ? EXIT.ok : EXIT.violation, findings };
}

async function checkAll(cluster: Cluster, taps: LinkTaps, opts: NodeCheckOptions, report: (s: Status, what: string) => void): Promise<void> {
  const started = Date.now();
  try {
    await cluster.start(opts.timeoutMs);
  } catch (err) {
    if (!(err instanceof NodeStartError)) throw err;
    report('fail', `start-up: ${err.message}`);
    for (const n of cluster.nodes) {
      const tail = tailOfFile(n.logFile, 6);
      if (tail.length > 0 && !err.message.includes(n.logFile)) report('note', `last lines of ${n.id}'s log:\n      ${tail.join('\n      ')}`);
    }
    return;
  }
  report('pass', `start-up: every node answered GET /status within ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const deadline = () => Date.now() + opts.timeoutMs;

  // GET /status: the fields the harness reads.
  const statuses = await Promise.all(cluster.nodes.map((n) => call(n.api, 'GET', '/status')));
  const badStatus = statuses.findIndex((s) => s.status !== 200 || s.body === null);
  if (badStatus >= 0) report('fail', `GET /status on ${cluster.ids[badStatus]}: expected 200 with a JSON object, got ${show(statuses[badStatus]!)}`);
  else {
    const wrongId = cluster.nodes.filter((n, i) => statuses[i]!.body!.id !== n.id).map((n) => n.id);
    if (wrongId.length > 0) report('warn', `GET /status: "id" should be the node's own id (${wrongId.join(', ')} did not say so)`);
    else report('pass', 'GET /status: 200 with the node\'s id');
  }
  const withLeader = statuses.some((s) => s.body !== null && 'leader' in s.body);
  let leader: string | null = null;
  if (!withLeader) {
    report('warn', 'GET /status has no "leader" field: faults aimed at the leader (leader-crash, isolate-leader, pause leader) will be skipped');
  } else {
    try {
      leader = await cluster.waitForLeader(opts.timeoutMs);
      report('pass', `GET /status: a majority names ${leader} as leader, and ${leader} says role "leader"`);
    } catch {
      report('fail', `GET /status names leaders, but no leader was agreed by a majority (and said role "leader") within ${opts.timeoutMs / 1000} s`);
    }
  }

  const metrics = await call(cluster.nodes[0]!.api, 'GET', '/metrics');
  if (metrics.status !== 200 || metrics.body === null) report('warn', `GET /metrics: expected 200 with a JSON object, got ${show(metrics)}: CPU and memory still come from /proc, message counts will be 0`);
  else {
    const missing = ['msgsSent', 'bytesSent', 'fsyncs'].filter((k) => typeof metrics.body![k] !== 'number');
    if (missing.length > 0) report('warn', `GET /metrics: no ${missing.join(', ')}: messages per operation (and fsyncs) will show 0`);
    else report('pass', 'GET /metrics: msgsSent, bytesSent, fsyncs');
  }

  // Writes and reads, on the leader if there is one (every node must accept them either way).
  const a = leader ? cluster.node(leader) : cluster.nodes[0]!;
  const others = cluster.nodes.filter((n) => n.id !== a.id);
  const key = `check-${Date.now().toString(36)}`;
  const put = await settled(deadline(), () => call(a.api, 'PUT', `/kv/${key}`, JSON.stringify({ value: 'v1' })));
  if (put.status !== 200) {
    report('fail', `PUT /kv/${key} {"value": "v1"} on ${a.id}: expected 200, got ${show(put)}`);
  } else {
    const own = await call(a.api, 'GET', `/kv/${key}`);
    if (own.status === 200 && own.body?.value === 'v1') report('pass', `PUT /kv/:key then GET /kv/:key on ${a.id}`);
    else report('fail', `GET /kv/${key} on ${a.id} right after its PUT was acknowledged: expected 200 {"value": "v1"}, got ${show(own)}`);
    for (const n of others) await checkReadElsewhere(n.id, n.api, key, opts, report);
  }
  const absent = await settled(deadline(), () => call(a.api, 'GET', `/kv/${key}-never-written`));
  if (absent.status === 200 && absent.body !== null && absent.body.value === null) report('pass', 'GET of a key never written: 200 {"value": null}');
  else report('fail', `GET of a key never written: expected 200 {"value": null}, got ${show(absent)}`);

  await checkCas(a.id, a.api, key, put.status === 200, deadline, report);
  await checkTxn(a.api, key, deadline, report);
  await checkBadRequests(a.id, a.api, report);
  await checkRestart(cluster, a.id, deadline, opts, report);

  if (cluster.nodes.length > 1) {
    const links = [...taps.bytes.entries()];
    const silent = links.filter(([, b]) => b.sent === 0).map(([l]) => l);
    const back = links.filter(([, b]) => b.back > 0).map(([l]) => l);
    if (silent.length === links.length) {
      report('fail', 'no peer traffic went through the addresses parley gave ({peers}, {peer-list}, {peer:ID} or PARLEY_PEERS): link faults would never reach these nodes');
    } else {
      report('pass', `peer traffic went through the link proxies (${links.length - silent.length} of ${links.length} directed links used)`);
      if (silent.length > 0) report('note', `links never used: ${silent.join(', ')}`);
    }
    if (back.length > 0) {
      report('note', `data also came back on connections the sender dialled (${back.join(', ')}): parley applies link faults to both directions of each connection, so a one-way partition is exact only for what a node sends on connections it dialled`);
    }
  }
}

async function checkReadElsewhere(id: string, api: HostPort, key: string, opts: NodeCheckOptions, report: (s: Status, what: string) => void): Promise<void> {
  if (opts.consistency === 'linearizable') {
    const r = await settled(Date.now() + opts.timeoutMs, () => call(api, 'GET', `/kv/${key}`));
    if (r.status === 200 && r.body?.value === 'v1') report('pass', `GET on ${id} after the write was acknowledged elsewhere sees it`);
    else report('fail', `GET /kv/${key} on ${id} after "v1" was acknowledged on another node: expected 200 {"value": "v1"} (a linearizable store, and --consistency linearizable), got ${show(r)}`);
    return;
  }
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await call(api, 'GET', `/kv/${key}`);
    if (r.status === 200 && r.body?.value === 'v1') {
      report('pass', `${id} has the write within 10 s (eventual consistency)`);
      return;
    }
    if (Date.now() > deadline) {
      report('fail', `${id} still answers ${show(r)} for ${key} 10 s after "v1" was acknowledged elsewhere: it never converged`);
      return;
    }
    await new Promise((res) => setTimeout(res, 100));
  }
}

async function checkCas(id: string, api: HostPort, key: string, written: boolean, deadline: () => number, report: (s: Status, what: string) => void): Promise<void> {
  const cas = (k: string, from: unknown, to: unknown) => settled(deadline(), () => call(api, 'POST', `/kv/${k}/cas`, JSON.stringify({ from, to })));
  if (written) {
    const ok = await cas(key, 'v1', 'v2');
    if (ok.status === 404 || ok.status === 405) {
      report('fail', `POST /kv/:key/cas is missing (${ok.status}): the kv workload sends compare-and-set, and every one would fail (or run it with --mix read=0.5,write=0.5,cas=0)`);
      return;
    }
    if (ok.status === 200) report('pass', 'POST /kv/:key/cas with the current value: 200');
    else report('fail', `POST /kv/${key}/cas {"from": "v1", "to": "v2"} on ${id}: expected 200, got ${show(ok)}`);
    const refused = await cas(key, 'not-the-value', 'v3');
    if (refused.status === 409 && refused.body?.error === 'precondition') {
      if ('value' in refused.body) report('pass', 'POST /kv/:key/cas with another value: 409 {"error": "precondition", "value": ...}');
      else report('warn', 'POST /kv/:key/cas with another value: 409 "precondition" without "value" (the current value helps the checker)');
    } else {
      report('fail', `POST /kv/${key}/cas {"from": "not-the-value", ...}: expected 409 {"ok": false, "error": "precondition", "value": current}, got ${show(refused)}`);
    }
  }
  const fresh = await cas(`${key}-cas`, null, 'c1');
  if (fresh.status === 200) report('pass', 'POST /kv/:key/cas from null on a key never written: 200');
  else report('fail', `POST /kv/${key}-cas/cas {"from": null, "to": "c1"} on a key never written: expected 200 (null is its value), got ${show(fresh)}`);
}

async function checkTxn(api: HostPort, key: string, deadline: () => number, report: (s: Status, what: string) => void): Promise<void> {
  const ops = [{ f: 'write', key: `${key}-txn`, value: 1 }, { f: 'read', key: `${key}-txn` }];
  const r = await settled(deadline(), () => call(api, 'POST', '/txn', JSON.stringify({ ops })));
  if (r.status === 200 && r.body?.ok === true && Array.isArray(r.body.results)) report('pass', 'POST /txn: transactions (the bank workload can run)');
  else if (r.status === 501) report('note', 'POST /txn answers 501: no transactions, so the bank workload cannot run (kv and dissemination can)');
  else if (r.status === 404 || r.status === 405) report('warn', `POST /txn: ${r.status}; a node without transactions should answer 501 (not implemented)`);
  else report('fail', `POST /txn: expected 200 {"ok": true, "results": [...]} or 501, got ${show(r)}`);
}

const BAD_REQUESTS: [string, string, string | undefined, string][] = [
  ['PUT', '/kv/check-bad', '{not json', 'a body that is not JSON'],
  ['PUT', '/kv/check-bad', '{}', 'a PUT without "value"'],
  ['PUT', '/kv/check-bad', '{"value": {"nested": true}}', 'a value that is not a JSON scalar'],
  ['POST', '/kv/check-bad/cas', '{"to": "x"}', 'a cas without "from"'],
  ['GET', '/no/such/endpoint', undefined, 'an unknown path'],
  ['DELETE', '/kv/check-bad', undefined, 'a method the API does not have'],
];

async function checkBadRequests(id: string, api: HostPort, report: (s: Status, what: string) => void): Promise<void> {
  const wrong: string[] = [];
  for (const [method, urlPath, body, what] of BAD_REQUESTS) {
    const r = await call(api, method, urlPath, body);
    if (r.status < 400 || r.status > 499) wrong.push(`${what} (${method} ${urlPath}) got ${show(r)}`);
  }
  const alive = await call(api, 'GET', '/status');
  if (alive.status !== 200) report('fail', `${id} stopped answering GET /status after malformed requests: ${show(alive)}`);
  if (wrong.length === 0) report('pass', `malformed requests get a 4xx (${BAD_REQUESTS.length} kinds) and the node keeps serving`);
  else report('fail', `malformed requests must get a 4xx: ${wrong.join('; ')}`);
}

async function checkRestart(cluster: Cluster, id: string, deadline: () => number, opts: NodeCheckOptions, report: (s: Status, what: string) => void): Promise<void> {
  const n = cluster.node(id);
  const key = `check-durable-${Date.now().toString(36)}`;
  const put = await settled(deadline(), () => call(n.api, 'PUT', `/kv/${key}`, JSON.stringify({ value: 'kept' })));
  if (put.status !== 200) {
    report('fail', `restart: could not write before the crash: PUT /kv/${key} on ${id} got ${show(put)}`);
    return;
  }
  await cluster.crash(id);
  const started = Date.now();
  try {
    await cluster.restart(id, opts.timeoutMs);
  } catch (err) {
    report('fail', `restart: ${id} killed with -9 did not come back on the same data: ${(err as Error).message}\n      ${tailOfFile(n.logFile, 6).join('\n      ')}`);
    return;
  }
  const restartMs = Date.now() - started;
  const r = await settled(deadline(), () => call(n.api, 'GET', `/kv/${key}`));
  if (r.status === 200 && r.body?.value === 'kept') report('pass', `restart: ${id} killed with -9 served again after ${(restartMs / 1000).toFixed(1)} s on the same data, with the write it had acknowledged`);
  else report('fail', `restart: after kill -9 and a restart on the same data, GET /kv/${key} on ${id} answered ${show(r)}; it had acknowledged {"value": "kept"} (an acknowledged write must survive)`);
}
