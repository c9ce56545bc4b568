/**
 * Any executable as a node: the template is parsed and filled in like a shell would split
 * it (but never run by one), and a program that is not parley is spawned, crashed with its
 * whole process group, restarted on the same data, paused and resumed through the same
 * Cluster as parley's own nodes; if the harness dies, the reaper kills what it started.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster } from '../../harness/cluster.js';
import { fetchJson } from '../../harness/http.js';
import { NodeCommandSystem, expandNodeCommand, parseNodeCommand, splitCommandLine } from '../../harness/node-command.js';
import { PACKAGE_ROOT } from '../../harness/paths.js';
import { alive, waitUntil } from '../helpers/procs.js';

const FIXTURE = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'contract-node.mjs');
const IDS = ['n1', 'n2', 'n3'];

describe('node command templates', () => {
  it('splits words like a shell: quotes, escapes, no globbing or variables', () => {
    expect(splitCommandLine(`./node --name 'a b' "c \\"d\\"" e\\ f $HOME *`)).toEqual(['./node', '--name', 'a b', 'c "d"', 'e f', '$HOME', '*']);
    expect(() => splitCommandLine(`node 'open`)).toThrow(/nodeCommand: unterminated ' quote/);
  });

  it('fills in every placeholder, {peers} as one --peer pair per peer', () => {
    const words = parseNodeCommand('bin/n --id {id} -l {listen} -p {listen-port} -a {api} --api-port={api-port} -d {data} {peers} --to {peer:n3} --self {peer:n1} --all {peer-list} --ids {ids} --host {host}', IDS);
    const argv = expandNodeCommand(words, {
      id: 'n1',
      listen: { host: '127.0.0.1', port: 7001 },
      api: { host: '127.0.0.1', port: 8001 },
      data: '/d/n1',
      peers: [
        { id: 'n2', address: { host: '127.0.0.1', port: 9012 } },
        { id: 'n3', address: { host: '127.0.0.1', port: 9013 } },
      ],
      ids: IDS,
    });
    expect(argv).toEqual([
      'bin/n', '--id', 'n1', '-l', '127.0.0.1:7001', '-p', '7001', '-a', '127.0.0.1:8001', '--api-port=8001', '-d', '/d/n1',
      '--peer', 'n2=127.0.0.1:9012', '--peer', 'n3=127.0.0.1:9013', '--to', '127.0.0.1:9013', '--self', '127.0.0.1:7001',
      '--all', 'n2=127.0.0.1:9012,n3=127.0.0.1:9013', '--ids', 'n1,n2,n3', '--host', '127.0.0.1',
    ]);
  });

  it.each([
    ['an unknown placeholder', 'node x.js {port}', /unknown placeholder \{port\}/],
    ['{peers} inside a word', 'node x.js --peers={peers}', /\{peers\} must be a word of its own/],
    ['a peer that is not in the cluster', 'node x.js {peer:n9}', /\{peer:n9\} names no node of this cluster \(n1, n2, n3\)/],
    ['an empty template', '   ', /empty/],
    ['a placeholder as the program', '{data}/bin/node', /cannot contain a placeholder/],
  ])('refuses %s with a message naming it', (_what, template, message) => {
    expect(() => parseNodeCommand(template, IDS)).toThrow(message);
  });
});

describe('a program that is not parley, as the nodes of a cluster', () => {
  let cluster: Cluster | null = null;
  let dir = '';
  afterEach(async () => {
    await cluster?.stop();
    cluster = null;
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const starts = (id: string) =>
    fs
      .readFileSync(path.join(dir, 'data', id, 'starts.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { pid: number; argv: string[]; env: Record<string, string> });

  it('spawns it with the placeholders filled in, crashes its whole process group, restarts it on the same data, pauses and resumes it', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-nodecmd-'));
    const template = `${process.execPath} ${FIXTURE} --id {id} --api {api} --data {data} --listen {listen} --to-n2 {peer:n2} {peers} --helper`;
    cluster = await Cluster.plan({ algo: 'fixture', size: 3, dir, system: new NodeCommandSystem(parseNodeCommand(template, IDS)) });
    const unexpected: string[] = [];
    cluster.onUnexpectedExit = (e) => unexpected.push(e.name);
    await cluster.start();
    const c = cluster;

    const first = starts('n1')[0]!;
    const n1 = c.node('n1');
    expect(first.argv.slice(0, 8)).toEqual(['--id', 'n1', '--api', `127.0.0.1:${n1.api.port}`, '--data', path.resolve(n1.dataDir), '--listen', `127.0.0.1:${n1.listen.port}`]);
    expect(first.argv.slice(8, 14)).toEqual(['--to-n2', `127.0.0.1:${c.node('n2').listen.port}`, '--peer', `n2=127.0.0.1:${c.node('n2').listen.port}`, '--peer', `n3=127.0.0.1:${c.node('n3').listen.port}`]);
    expect(first.env).toMatchObject({ PARLEY_NODE_ID: 'n1', PARLEY_API: `127.0.0.1:${n1.api.port}`, PARLEY_IDS: 'n1,n2,n3' });
    expect(await c.status('n1')).toMatchObject({ id: 'n1', leader: 'n1' });

    expect((await fetchJson(n1.api, 'PUT', '/kv/kept', { value: 'before the crash' })).status).toBe(200);
    const helper = Number(fs.readFileSync(path.join(n1.dataDir, 'helper.pid'), 'utf8'));
    expect(alive(first.pid) && alive(helper)).toBe(true);
    await c.crash('n1');
    expect(c.isUp('n1')).toBe(false);
    // kill -9 reached the group: the node and the process it started.
    await waitUntil('the crashed node and its helper to be gone', () => !alive(first.pid) && !alive(helper), 10_000);

    await c.restart('n1');
    const second = starts('n1');
    expect(second).toHaveLength(2);
    expect(second[1]!.pid).not.toBe(first.pid);
    expect(second[1]!.argv).toEqual(first.argv);
    expect((await fetchJson(n1.api, 'GET', '/kv/kept')).body).toEqual({ value: 'before the crash' });

    c.pause('n2');
    await expect(fetchJson(c.node('n2').api, 'GET', '/status', undefined, 300)).rejects.toThrow();
    c.resume('n2');
    expect((await fetchJson(c.node('n2').api, 'GET', '/status', undefined, 5000)).status).toBe(200);
    // CPU and memory come from /proc for the whole group.
    expect(c.node('n3').child!.resourceUsage()!.peakRssBytes).toBeGreaterThan(0);

    const pids = IDS.map((id) => starts(id).at(-1)!.pid);
    await c.stop();
    cluster = null;
    await waitUntil('every node to exit on stop', () => pids.every((p) => !alive(p)), 10_000);
    expect(unexpected).toEqual([]);
  });

  it('reports a program that is not there, with the reason in the log tail', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-nodecmd-'));
    cluster = await Cluster.plan({ algo: 'fixture', size: 1, dir, system: new NodeCommandSystem(parseNodeCommand(`${dir}/no-such-program --api {api}`, ['n1'])) });
    await expect(cluster.start(5000)).rejects.toThrow(/node n1 exited during start-up[\s\S]*could not start .*no-such-program/);
  });
});

describe('the reaper', () => {
  it('kills a paused foreign process group when the harness holding it is killed with SIGKILL', async () => {
    const script = `
      import { Child } from ${JSON.stringify(path.join(PACKAGE_ROOT, 'dist', 'harness', 'supervisor.js'))};
      const child = new Child({ name: 'victim', args: [], logFile: ${JSON.stringify(path.join(os.tmpdir(), `parley-reaper-${process.pid}.log`))},
        program: { file: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'] } });
      child.start();
      child.pause();
      console.log(child.pid);
      setInterval(() => {}, 1000);
    `;
    const harness = execa(process.execPath, ['--input-type=module', '-e', script], { reject: false, buffer: false });
    let victim = 0;
    harness.stdout!.on('data', (d: Buffer) => (victim ||= Number(String(d).trim())));
    await waitUntil('the harness to start its child', () => victim > 0 && alive(victim), 15_000);
    harness.kill('SIGKILL');
    await harness;
    await waitUntil('the paused child to be killed by the reaper', () => !alive(victim), 10_000);
    fs.rmSync(path.join(os.tmpdir(), `parley-reaper-${process.pid}.log`), { force: true });
  });
});
