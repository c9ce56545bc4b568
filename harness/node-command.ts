/**
 * Any executable as a node. A scenario's `nodeCommand` (or `--node-command`) is a template
 * such as
 *
 *   ./mynode --id {id} --listen {listen} --api {api} --data {data} {peers}
 *
 * that parley fills in per node and spawns, crashes (kill -9 of its process group), pauses
 * (SIGSTOP), restarts on the same data and puts behind the link proxies exactly as it does
 * its own nodes: the program only has to follow the node contract (docs/nodes.md).
 *
 * The template is split into words like a shell would (quotes and backslashes), but no
 * shell runs it: placeholders are replaced inside words, so an address or a path never
 * needs quoting. `{peers}` stands alone and becomes `--peer ID=HOST:PORT` for each peer.
 */
import fs from 'node:fs';
import path from 'node:path';
import { formatHostPort, type HostPort } from '../nodes/common/address.js';
import { UsageError } from '../nodes/common/errors.js';
import type { ChildSpec } from './supervisor.js';
import type { Cluster, NodeHandle, NodeSystem, PeerAddress } from './cluster.js';

export const PLACEHOLDERS = ['id', 'host', 'listen', 'listen-port', 'api', 'api-port', 'data', 'peers', 'peer-list', 'ids', 'peer:ID'] as const;
const PLACEHOLDER = /\{([a-z-]+)(?::([A-Za-z0-9_.-]+))?\}/g;

/** Split a command line into words: whitespace separates, '...' is literal, "..." and \ escape. */
export function splitCommandLine(text: string, field = 'nodeCommand'): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new UsageError(`${field}: unterminated ' quote`);
      word += text.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && (text[j + 1] === '"' || text[j + 1] === '\\')) j++;
        word += text[j];
      }
      if (j >= text.length) throw new UsageError(`${field}: unterminated " quote`);
      i = j;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** The words of a template, checked: known placeholders only, `{peers}` alone, a program first. */
export function parseNodeCommand(template: string, ids: readonly string[], field = 'nodeCommand'): string[] {
  const words = splitCommandLine(template, field);
  if (words.length === 0) throw new UsageError(`${field}: empty; expected a program and its arguments`);
  for (const w of words) {
    for (const m of w.matchAll(PLACEHOLDER)) {
      const [whole, name, arg] = m;
      if (name === 'peer') {
        if (arg === undefined) throw new UsageError(`${field}: {peer} needs a node id, as in {peer:n2}`);
        if (!ids.includes(arg)) throw new UsageError(`${field}: ${whole} names no node of this cluster (${ids.join(', ')})`);
        continue;
      }
      if (arg !== undefined || !(PLACEHOLDERS as readonly string[]).includes(name!)) {
        throw new UsageError(`${field}: unknown placeholder ${whole} (known: ${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')})`);
      }
      if (name === 'peers' && w !== '{peers}') throw new UsageError(`${field}: {peers} must be a word of its own (it becomes --peer ID=HOST:PORT per peer); use {peer-list} inside a word`);
    }
  }
  if (/\{[a-z-]+(:[^}]*)?\}/.test(words[0]!)) throw new UsageError(`${field}: the program (${words[0]}) cannot contain a placeholder`);
  return words;
}

/** Where `program` would be found: a path with a slash as given, else on PATH. Null if nowhere executable. */
export function findProgram(program: string, cwd = process.cwd()): string | null {
  const executable = (file: string) => {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return fs.statSync(file).isFile();
    } catch {
      return false;
    }
  };
  if (program.includes('/')) {
    const file = path.resolve(cwd, program);
    return executable(file) ? file : null;
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && executable(path.join(dir, program))) return path.join(dir, program);
  }
  return null;
}

/** Check that a template's program can run here: a UsageError naming it otherwise. */
export function checkProgram(words: readonly string[], field = 'nodeCommand'): void {
  const program = words[0]!;
  if (findProgram(program)) return;
  const where = program.includes('/') ? `${path.resolve(program)} does not exist or is not executable` : 'not found on PATH';
  throw new UsageError(`${field}: cannot run ${program}: ${where}`);
}

export interface NodePlaces {
  id: string;
  listen: HostPort;
  api: HostPort;
  data: string;
  peers: readonly PeerAddress[];
  ids: readonly string[];
}

/** The template filled in for one node. */
export function expandNodeCommand(words: readonly string[], p: NodePlaces): string[] {
  const peerList = p.peers.map((x) => `${x.id}=${formatHostPort(x.address)}`);
  const peerOf = (id: string) => (id === p.id ? formatHostPort(p.listen) : formatHostPort(p.peers.find((x) => x.id === id)!.address));
  const values: Record<string, string> = {
    id: p.id,
    host: p.listen.host,
    listen: formatHostPort(p.listen),
    'listen-port': String(p.listen.port),
    api: formatHostPort(p.api),
    'api-port': String(p.api.port),
    data: p.data,
    'peer-list': peerList.join(','),
    ids: p.ids.join(','),
  };
  return words.flatMap((w) => (w === '{peers}' ? peerList.flatMap((x) => ['--peer', x]) : [w.replace(PLACEHOLDER, (_, name: string, arg?: string) => (name === 'peer' ? peerOf(arg!) : values[name]!))]));
}

/** The same places as environment variables, for programs that prefer them to arguments. */
export function nodeEnvironment(p: NodePlaces): Record<string, string> {
  return {
    PARLEY_NODE_ID: p.id,
    PARLEY_LISTEN: formatHostPort(p.listen),
    PARLEY_API: formatHostPort(p.api),
    PARLEY_DATA: p.data,
    PARLEY_PEERS: p.peers.map((x) => `${x.id}=${formatHostPort(x.address)}`).join(','),
    PARLEY_IDS: p.ids.join(','),
  };
}

/** A user's program as the nodes of a cluster. */
export class NodeCommandSystem implements NodeSystem {
  readonly readyPath = '/status';
  /** Whether the nodes' GET /status names a leader; null until settle() looked. */
  private reportsLeader: boolean | null = null;

  constructor(private readonly words: readonly string[]) {}

  child(n: NodeHandle, peers: readonly PeerAddress[], ids: readonly string[]): ChildSpec {
    // The contract gives a node a data directory; a program should not have to create it.
    fs.mkdirSync(n.dataDir, { recursive: true });
    const places: NodePlaces = { id: n.id, listen: n.listen, api: n.api, data: path.resolve(n.dataDir), peers, ids };
    const argv = expandNodeCommand(this.words, places);
    return { name: n.id, args: [], logFile: n.logFile, env: nodeEnvironment(places), program: { file: argv[0]!, args: argv.slice(1) } };
  }

  async settle(cluster: Cluster, note: (line: string) => void): Promise<void> {
    const statuses = await Promise.all(cluster.ids.map((id) => cluster.status(id, 2000)));
    this.reportsLeader = statuses.some((s) => s !== null && 'leader' in s);
    if (!this.reportsLeader) {
      note('the nodes report no leader in GET /status: faults aimed at the leader will be skipped');
      return;
    }
    await cluster.waitForLeader(30_000);
  }

  leaderless(): string | null {
    return this.reportsLeader === false ? "the nodes' GET /status has no leader field (docs/nodes.md)" : null;
  }
}
