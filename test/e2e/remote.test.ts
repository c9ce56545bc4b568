/**
 * Nodes parley does not spawn, behind a Toxiproxy parley does not start: the layout of the
 * docker/ compose file (nodes in containers, the real Toxiproxy image), tested here with
 * node processes started by hand and parley's own server standing in for Toxiproxy, all
 * addressed by host and port exactly as the compose file addresses them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import getPort, { portNumbers } from 'get-port';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PARLEY_BIN } from '../../harness/paths.js';
import { allocatePorts } from '../../harness/ports.js';
import { linkPort } from '../../harness/faults/plane.js';
import { ToxiproxyClient } from '../../harness/toxiproxy/client.js';
import type { ResultsFile } from '../../contracts/results.js';
import { waitUntil } from '../helpers/procs.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-remote-'));
const ids = ['n1', 'n2', 'n3'];
const procs: ResultPromise[] = [];
let toxiproxyUrl = '';
let base = 0;
let nodes: Record<string, { api: string; peer: string }> = {};

/** A base whose six link ports are all free. */
async function freeBase(): Promise<number> {
  for (let candidate = 24_000 + (process.pid % 40) * 100; candidate < 32_000; candidate += 1000) {
    const ports = ids.flatMap((a) => ids.filter((b) => b !== a).map((b) => linkPort(candidate, ids, a, b)));
    const free = await Promise.all(ports.map(async (p) => (await getPort({ host: '127.0.0.1', port: portNumbers(p, p) })) === p));
    if (free.every(Boolean)) return candidate;
  }
  throw new Error('no free link port range');
}

beforeAll(async () => {
  const [proxyPort, ...ports] = await allocatePorts(1 + ids.length * 2);
  base = await freeBase();
  toxiproxyUrl = `http://127.0.0.1:${proxyPort}`;
  procs.push(execa(process.execPath, [PARLEY_BIN, 'proxy', '--port', String(proxyPort), '--lifeline'], { stdin: 'pipe', reject: false }));
  ids.forEach((id, i) => {
    nodes[id] = { peer: `127.0.0.1:${ports[2 * i]}`, api: `127.0.0.1:${ports[2 * i + 1]}` };
  });
  for (const id of ids) {
    const peers = ids.filter((p) => p !== id).flatMap((p) => ['--peer', `${p}=127.0.0.1:${linkPort(base, ids, id, p)}`]);
    procs.push(
      execa(process.execPath, [PARLEY_BIN, 'node', '--algo', 'raft', '--id', id, '--listen', nodes[id]!.peer, '--api', nodes[id]!.api, '--data', path.join(dir, 'data', id), ...peers, '--lifeline'], {
        stdin: 'pipe',
        reject: false,
      }),
    );
  }
  const client = new ToxiproxyClient(toxiproxyUrl);
  await waitUntil('the stand-in Toxiproxy', () => client.version().then(() => true, () => false), 15_000);
});

afterAll(async () => {
  for (const p of procs) p.kill('SIGTERM');
  await Promise.all(procs);
  if (!process.env.KEEP) fs.rmSync(dir, { recursive: true, force: true });
});

function scenarioFile(name: string, faults: string): string {
  const file = path.join(dir, `${name}.yaml`);
  const nodeLines = ids.map((id) => `    ${id}: { api: "${nodes[id]!.api}", peer: "${nodes[id]!.peer}" }`).join('\n');
  fs.writeFileSync(file, `algo: raft\nduration: 3s\nwarmup: 500ms\nclients: 4\nremote:\n  linkPortBase: ${base}\n  nodes:\n${nodeLines}\nfaults:\n${faults}`);
  return file;
}

describe('remote nodes and a remote Toxiproxy', () => {
  it('creates the link proxies at the agreed ports, partitions through them, and checks the history', async () => {
    const file = scenarioFile('partition', '  - { kind: partition, shape: isolate-leader, at: 1s, duration: 1s }\n');
    const out = path.join(dir, 'out-partition');
    const r = await execa(process.execPath, [PARLEY_BIN, 'run', '--scenario', file, '--toxiproxy', toxiproxyUrl, '--out', out, '--quiet'], { reject: false, timeout: 120_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    const s = (JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as ResultsFile).scenarios[0]!;
    expect(s.nodes).toBe(3);
    expect(s.faults[0]).toMatchObject({ kind: 'partition', status: 'done' });
    expect(s.faults[0]!.links).toHaveLength(4);
    expect(s.ops.ok).toBeGreaterThan(0);
    expect(s.checks.every((c) => c.valid === true)).toBe(true);
    // The nodes only dial the agreed link ports, so replication (ok writes) proves the proxies
    // were there; afterwards parley removes what it created in a server it does not own.
    const proxies = await new ToxiproxyClient(toxiproxyUrl).listProxies();
    expect(Object.keys(proxies).filter((n) => n.includes('->'))).toEqual([]);
  });

  it('refuses a crash of a node it did not start, naming the fault (exit 70)', async () => {
    const file = scenarioFile('crash', '  - { kind: crash, target: n2, at: 500ms, duration: 1s }\n');
    const out = path.join(dir, 'out-crash');
    const r = await execa(process.execPath, [PARLEY_BIN, 'run', '--scenario', file, '--toxiproxy', toxiproxyUrl, '--out', out, '--quiet'], { reject: false, timeout: 120_000 });
    expect(r.exitCode).toBe(70);
    const s = (JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as ResultsFile).scenarios[0]!;
    expect(s.error).toMatch(/fault #0 \(crash\) could not be applied: node n2 is remote/);
    expect(s.faults[0]!.status).toBe('failed');
  });
});
