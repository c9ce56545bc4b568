/**
 * How each etcd member gets proxies of its own. etcd advertises one peer URL per member to
 * every other member, so addresses alone cannot give the link n1->n2 a different proxy
 * from n3->n2. Names can: every member advertises `http://parley-nJ:PORT`, and each member
 * runs in a mount namespace of its own (`unshare --mount`) where /etc/hosts is bind-mounted
 * from a file that resolves every peer's name to a loopback address of that member alone,
 * 127.77.0.I. The proxy of link nI->nJ listens on 127.77.0.I:PORT_J. Everything stays on
 * the loopback interface of the one network namespace; nothing outlives the member (its
 * mount namespace ends with its last process), so there is nothing to tear down.
 *
 * That needs root, or unprivileged user namespaces (`unshare --user --map-root-user`).
 * Where neither works, members fall back to one proxy per destination, shared by every
 * sender: then only faults on every link, crashes and pauses can be expressed (etcd's peer
 * connections carry messages both ways, so no subset of shared proxies cuts one pair).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findProgram } from '../node-command.js';

export type Isolation =
  | { mode: 'per-link'; /** Arguments before the wrapped command: unshare and its flags. */ unshare: readonly string[] }
  | { mode: 'per-destination'; why: string };

/** The loopback address member number `index` (1-based, at most 200) dials its peers' proxies at. */
export function sourceAddress(index: number): string {
  return `127.77.0.${index}`;
}

export const peerName = (id: string) => `parley-${id}`;

let probed: Isolation | null = null;

/** Whether members can have hosts files of their own here; probed once per process. */
export function isolation(): Isolation {
  if (probed) return probed;
  probed = probe();
  return probed;
}

function probe(): Isolation {
  if (process.platform !== 'linux') return { mode: 'per-destination', why: 'mount namespaces are Linux only' };
  const unshare = findProgram('unshare');
  if (!unshare) return { mode: 'per-destination', why: 'unshare (util-linux) is not installed' };
  const candidates = process.getuid?.() === 0 ? [[unshare, '--mount', '--propagation', 'private']] : [];
  candidates.push([unshare, '--user', '--map-root-user', '--mount', '--propagation', 'private']);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-unshare-'));
  const from = path.join(dir, 'from');
  const onto = path.join(dir, 'onto');
  fs.writeFileSync(from, 'bound\n');
  fs.writeFileSync(onto, 'not bound\n');
  let last = '';
  try {
    for (const prefix of candidates) {
      try {
        const out = execFileSync(prefix[0]!, [...prefix.slice(1), '/bin/sh', '-c', 'mount --bind "$0" "$1" && cat "$1"', from, onto], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
        if (out.trim() === 'bound') return { mode: 'per-link', unshare: prefix };
        last = 'the bind mount did not take effect';
      } catch (err) {
        last = ((err as { stderr?: string }).stderr ?? (err as Error).message).trim().split('\n')[0] ?? 'failed';
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { mode: 'per-destination', why: `a member cannot get a hosts file of its own: unshare --mount failed (${last}); run as root or allow unprivileged user namespaces` };
}

/**
 * The hosts file of member `id`: its peers' names on its own source address (their
 * proxies listen there), its own name on 127.0.0.1.
 */
export function hostsFile(ids: readonly string[], id: string): string {
  const source = sourceAddress(ids.indexOf(id) + 1);
  const lines = ['127.0.0.1 localhost', `127.0.0.1 ${peerName(id)}`];
  for (const other of ids) if (other !== id) lines.push(`${source} ${peerName(other)}`);
  return `${lines.join('\n')}\n`;
}

/** `program args` run in a mount namespace whose /etc/hosts is `hosts`. */
export function inOwnHosts(iso: Extract<Isolation, { mode: 'per-link' }>, hosts: string, program: string, args: readonly string[]): { file: string; args: string[] } {
  // sh execs the program, so the member keeps the pid (and process group) parley started.
  return { file: iso.unshare[0]!, args: [...iso.unshare.slice(1), '/bin/sh', '-c', 'mount --bind "$0" /etc/hosts && exec "$@"', hosts, program, ...args] };
}
