/**
 * What one hop through the embedded Toxiproxy (no toxics) costs a link, measured against a
 * direct connection in the same run, so the figures are differences and ratios taken on
 * the same machine at the same time.
 *
 *   npm run bench:proxy          (targets: <= 50 µs added per hop at p50, >= 80% throughput)
 *
 * A hop is one traversal of the proxy. A round trip traverses it twice (the message, then
 * the echo), so the added latency per hop is half the added round trip; both are printed.
 *
 * Where things run, and why that is fair: the echo server runs in a worker thread and the
 * client in the main thread, on both paths; the proxy is `parley proxy --port 0`, a child
 * process, which is how the fault plane runs it. So the proxied path pays for exactly what
 * the harness pays for: one more process, two more loopback sockets, its event loop.
 * Direct and proxied runs alternate, round after round, so drift on a shared machine
 * (other jobs, CPU frequency) lands on both.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { Worker } from 'node:worker_threads';
import * as hdr from 'hdr-histogram-js';
import { ToxiproxyClient } from '../toxiproxy/client.js';
import { describeMachine } from '../machine.js';
import { PARLEY_BIN } from '../paths.js';

const MESSAGE = Buffer.alloc(100, 0x61);
const ROUNDS = 5;
const ROUND_TRIPS = 4000;
const WARMUP_TRIPS = 3000;
const THROUGHPUT_ROUNDS = 3;
const THROUGHPUT_MS = 1500;
const WINDOW_BYTES = 64 * 1024;

const ECHO_WORKER = `
const net = require('node:net');
const { parentPort } = require('node:worker_threads');
const server = net.createServer({ noDelay: true }, (s) => {
  s.on('data', (d) => s.write(d));
  s.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
`;

function startEcho(): Promise<{ port: number; stop(): Promise<number> }> {
  const worker = new Worker(ECHO_WORKER, { eval: true });
  return new Promise((resolve, reject) => {
    worker.once('message', (port: number) => resolve({ port, stop: () => worker.terminate() }));
    worker.once('error', reject);
  });
}

function startProxyProcess(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [PARLEY_BIN, 'proxy', '--port', '0', '--lifeline'], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /toxiproxy listening on (\S+)\n/.exec(out);
      if (m) resolve({ url: `http://${m[1]}`, child });
    });
    child.once('exit', (code) => reject(new Error(`parley proxy exited with ${code} before listening`)));
    child.once('error', reject);
  });
}

/** Sequential round trips of one 100-byte message; each recorded in ns (null: warm-up). */
function pingPong(port: number, count: number, histogram: hdr.Histogram | null): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
    let pending = 0;
    let done = 0;
    let sentAt = 0n;
    const send = (): void => {
      sentAt = process.hrtime.bigint();
      socket.write(MESSAGE);
    };
    socket.on('connect', send);
    socket.on('data', (d: Buffer) => {
      pending += d.length;
      if (pending < MESSAGE.length) return;
      pending -= MESSAGE.length;
      histogram?.recordValue(Number(process.hrtime.bigint() - sentAt));
      if (++done === count) {
        socket.destroy();
        resolve();
      } else send();
    });
    socket.on('error', reject);
  });
}

/** 100-byte messages, each its own write, keeping WINDOW_BYTES in flight; echoed messages per second. */
function pipelined(port: number, durationMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
    let sent = 0;
    let received = 0;
    let startBytes = 0;
    let startAt = 0n;
    const fill = (): void => {
      while (sent - received < WINDOW_BYTES) {
        socket.write(MESSAGE);
        sent += MESSAGE.length;
      }
    };
    socket.on('connect', () => {
      fill();
      // A short warm-up first: the JIT and the socket buffers settle.
      setTimeout(() => {
        startBytes = received;
        startAt = process.hrtime.bigint();
        setTimeout(() => {
          const seconds = Number(process.hrtime.bigint() - startAt) / 1e9;
          socket.destroy();
          resolve((received - startBytes) / MESSAGE.length / seconds);
        }, durationMs);
      }, 200);
    });
    socket.on('data', (d: Buffer) => {
      received += d.length;
      if (!socket.destroyed) fill();
    });
    socket.on('error', reject);
  });
}

const newHistogram = (): hdr.Histogram => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: 3 });
const us = (ns: number): string => (ns / 1000).toFixed(1).padStart(8);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  console.log('parley proxy benchmark: one hop through the embedded Toxiproxy (no toxics) vs a direct connection');
  console.log(`machine: ${describeMachine()}`);
  console.log('command: npm run bench:proxy');
  console.log('setup:   echo server in a worker thread, client in the main thread, proxy in a child process');
  console.log("         (`parley proxy --port 0`, as the fault plane runs it); direct and proxied runs alternate");

  const echo = await startEcho();
  const proxy = await startProxyProcess();
  try {
    const client = new ToxiproxyClient(proxy.url);
    const created = await client.createProxy({ name: 'bench->echo', upstream: `127.0.0.1:${echo.port}`, listen: '127.0.0.1:0' });
    const proxied = Number(created.listen.slice(created.listen.lastIndexOf(':') + 1));
    const paths = [
      { name: 'direct', port: echo.port, histogram: newHistogram(), rates: [] as number[] },
      { name: 'proxied', port: proxied, histogram: newHistogram(), rates: [] as number[] },
    ];

    for (const p of paths) await pingPong(p.port, WARMUP_TRIPS, null);
    for (let r = 0; r < ROUNDS; r++) {
      for (const p of r % 2 === 0 ? paths : [...paths].reverse()) await pingPong(p.port, ROUND_TRIPS, p.histogram);
    }
    for (let r = 0; r < THROUGHPUT_ROUNDS; r++) {
      for (const p of r % 2 === 0 ? paths : [...paths].reverse()) p.rates.push(await pipelined(p.port, THROUGHPUT_MS));
    }

    const [direct, viaProxy] = paths as [(typeof paths)[0], (typeof paths)[0]];
    const pct = (h: hdr.Histogram, q: number): number => h.getValueAtPercentile(q);
    console.log('');
    console.log(`round trip, one 100-byte message at a time, ${ROUNDS * ROUND_TRIPS} per path (µs):`);
    console.log('                 p50       p99');
    for (const p of paths) console.log(`  ${p.name.padEnd(9)} ${us(pct(p.histogram, 50))}  ${us(pct(p.histogram, 99))}`);
    const added50 = pct(viaProxy.histogram, 50) - pct(direct.histogram, 50);
    const added99 = pct(viaProxy.histogram, 99) - pct(direct.histogram, 99);
    console.log(`  added     ${us(added50)}  ${us(added99)}    per round trip (two traversals of the proxy)`);
    console.log(`  per hop   ${us(added50 / 2)}  ${us(added99 / 2)}    target: <= 50 µs per hop at p50: ${added50 / 2 <= 50_000 ? 'met' : 'NOT met'}`);

    const [d, v] = [median(direct.rates), median(viaProxy.rates)];
    console.log('');
    console.log(`pipelined 100-byte messages, ${WINDOW_BYTES / 1024} KiB in flight, median of ${THROUGHPUT_ROUNDS} x ${THROUGHPUT_MS} ms (messages/s):`);
    console.log(`  direct    ${Math.round(d).toLocaleString('en-US').padStart(12)}`);
    console.log(`  proxied   ${Math.round(v).toLocaleString('en-US').padStart(12)}   ${((100 * v) / d).toFixed(1)}% of direct    target: >= 80%: ${v >= 0.8 * d ? 'met' : 'NOT met'}`);
  } finally {
    proxy.child.kill('SIGTERM');
    await echo.stop();
  }
}

main().catch((err: unknown) => {
  console.error(`bench:proxy failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 70;
});
