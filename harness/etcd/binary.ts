/**
 * Which etcd runs: `ETCD_BIN`, else `etcd` on PATH (Debian's etcd-server package installs
 * /usr/bin/etcd). Missing or unusable is a usage error with the command that installs it.
 */
import { execFileSync } from 'node:child_process';
import { UsageError } from '../../nodes/common/errors.js';
import { findProgram } from '../node-command.js';

export const INSTALL_HINT = 'install it with `apt-get install etcd-server` (Debian, Ubuntu), or point ETCD_BIN at an etcd 3.4+ binary';

export interface EtcdBinary {
  file: string;
  /** "3.4.23" */
  version: string;
}

let cached: EtcdBinary | null = null;

export function etcdBinary(): EtcdBinary {
  if (cached) return cached;
  const fromEnv = process.env.ETCD_BIN;
  const file = fromEnv ? findProgram(fromEnv) : findProgram('etcd');
  if (!file) {
    throw new UsageError(fromEnv ? `ETCD_BIN ${fromEnv}: not an executable file; ${INSTALL_HINT}` : `--system etcd: etcd is not installed (not found on PATH); ${INSTALL_HINT}`);
  }
  let text: string;
  try {
    text = execFileSync(file, ['--version'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new UsageError(`--system etcd: ${file} --version failed (${(err as Error).message.split('\n')[0]}); ${INSTALL_HINT}`);
  }
  const version = /etcd Version:\s*(\d+\.\d+\.\d+)/.exec(text)?.[1];
  if (!version) throw new UsageError(`--system etcd: ${file} does not say it is etcd (--version printed ${JSON.stringify(text.slice(0, 60))}); ${INSTALL_HINT}`);
  const [major, minor] = version.split('.').map(Number) as [number, number];
  if (major < 3 || (major === 3 && minor < 4)) throw new UsageError(`--system etcd: ${file} is etcd ${version}; parley speaks the v3 JSON gateway of etcd 3.4 or newer; ${INSTALL_HINT}`);
  cached = { file, version };
  return cached;
}
