/**
 * `parley proxy`: the embedded Toxiproxy server as a process of its own.
 *
 *   parley proxy [--host 127.0.0.1] [--port 8474] [--seed N] [--lifeline]
 *
 * Its first and only stdout line is `toxiproxy listening on HOST:PORT`, so a harness that
 * starts it with `--port 0` learns the port from it; logs go to stderr. SIGTERM and SIGINT
 * close the API, every proxy and every connection, then exit 0. With --lifeline it also
 * exits when standard input closes, so a harness killed with SIGKILL leaves no server behind.
 */
import { UsageError } from '../../nodes/common/errors.js';
import { formatHostPort } from '../../nodes/common/address.js';
import { DEFAULT_SEED, ToxiproxyServer } from './server.js';
import { untilStopped } from '../../nodes/common/lifeline.js';

export interface ProxyArgs {
  host: string;
  port: string;
  seed?: string;
  lifeline?: boolean;
}

function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) throw new UsageError(`--port ${text}: expected a port number, 0-65535`);
  return Number(text);
}

function parseSeed(text: string | undefined): number {
  if (text === undefined) return DEFAULT_SEED;
  if (!/^-?\d{1,15}$/.test(text)) throw new UsageError(`--seed ${text}: expected an integer`);
  return Number(text);
}

export async function runProxyServer(args: ProxyArgs): Promise<number> {
  const port = parsePort(args.port);
  const seed = parseSeed(args.seed);
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(args.host)) throw new UsageError(`--host ${args.host}: expected a host name or IP address`);
  const host = args.host.replace(/^\[(.*)\]$/, '$1');
  const log = (line: string): void => void process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  const server = new ToxiproxyServer({ seed, log });
  let address: string;
  try {
    const bound = await server.start({ host, port });
    address = formatHostPort(bound);
  } catch (err) {
    process.stderr.write(`parley proxy: cannot listen on ${formatHostPort({ host, port })}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 70;
  }
  process.stdout.write(`toxiproxy listening on ${address}\n`);
  log(`toxiproxy API on http://${address} (seed ${seed})`);
  return untilStopped(args.lifeline === true, () => server.stop(), log);
}
