/**
 * Calibration at the start of each run: the round-trip time of a small message over
 * loopback, directly and through one proxy hop, so every latency in the report can be read
 * as a multiple of this machine's network floor. (On 2 cores, processes on the same core
 * talk several times faster than processes on different cores; the figure says which kind
 * of machine this was.)
 */
import net from 'node:net';
import * as hdr from 'hdr-histogram-js';
import type { FaultPlane } from './faults/plane.js';
import { monoNs } from '../nodes/common/clock.js';
import { parseHostPort, type HostPort } from '../nodes/common/address.js';

const ROUNDS = 300;
const MESSAGE = Buffer.alloc(64, 7);

async function pingPong(address: HostPort): Promise<{ p50: number; p99: number }> {
  const socket = net.connect({ host: address.host, port: address.port });
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 10_000_000, numberOfSignificantValueDigits: 3 });
  let got = 0;
  let echoed: (() => void) | null = null;
  let failed: ((err: Error) => void) | null = null;
  socket.on('data', (chunk: Buffer) => {
    got += chunk.length;
    if (got >= MESSAGE.length && echoed) {
      got -= MESSAGE.length;
      echoed();
    }
  });
  socket.on('error', (err) => failed?.(err));
  try {
    for (let i = 0; i < ROUNDS; i++) {
      const t0 = monoNs();
      await new Promise<void>((resolve, reject) => {
        echoed = resolve;
        failed = reject;
        socket.write(MESSAGE);
      });
      if (i >= 20) h.recordValue(Math.max(1, Number(monoNs() - t0) / 1000)); // first rounds warm up
    }
    return { p50: Math.round(h.getValueAtPercentile(50)), p99: Math.round(h.getValueAtPercentile(99)) };
  } finally {
    h.destroy();
    socket.destroy();
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error('timed out')), ms)))]).finally(() => clearTimeout(timer));
}

export interface Calibration {
  directRttUs: { p50: number; p99: number };
  proxiedRttUs: { p50: number; p99: number } | null;
}

export async function calibrate(plane: FaultPlane | null): Promise<Calibration> {
  const server = net.createServer((s) => {
    s.setNoDelay(true);
    s.on('data', (d) => s.write(d));
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const directRttUs = await pingPong({ host: '127.0.0.1', port });
    let proxiedRttUs: Calibration['proxiedRttUs'] = null;
    if (plane) {
      // A Toxiproxy on another host cannot reach our loopback echo: then there is no proxied figure.
      const name = `parley-calibration-${process.pid}`;
      try {
        const proxy = await plane.client.createProxy({ name, upstream: `127.0.0.1:${port}`, listen: '127.0.0.1:0' });
        const at = parseHostPort(proxy.listen);
        if (at) proxiedRttUs = await withTimeout(pingPong(at), 5000);
      } catch {
        proxiedRttUs = null;
      } finally {
        await plane.client.removeProxy(name).catch(() => undefined);
      }
    }
    return { directRttUs, proxiedRttUs };
  } finally {
    server.close();
  }
}
