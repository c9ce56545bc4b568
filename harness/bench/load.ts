/**
 * Load-generator benchmark (not a test): can parley's client side outrun what it measures?
 * A trivial HTTP echo target runs in a worker thread of this process (its own event loop,
 * so the target does not steal the generator's), and the generator drives it with latency
 * recording on (HdrHistogram from the intended send time), in closed loop at several
 * concurrencies and open loop at a fixed rate. Target on a 2-core machine: 30,000
 * requests/s.
 *
 *   npm run bench:load -- [--seconds 5] [--rate 30000]
 */
import net from 'node:net';
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import { NodeClient } from '../../workloads/client.js';
import { runLoad, type OpSource } from '../../workloads/load.js';
import { latencyBy } from '../../workloads/metrics.js';
import { describeMachine } from '../machine.js';
import { benchArgs } from './args.js';

const BODY = '{"ok":true}';

const RESPONSE = Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${BODY.length}\r\nkeep-alive: timeout=60\r\n\r\n${BODY}`);

/**
 * The target: a minimal HTTP/1.1 responder over raw TCP (it finds each request's header
 * end and skips its Content-Length body, then answers 200 with a fixed JSON body, one write
 * per read). node:http would cap the measurement at its own ~20k requests/s per core, which
 * is the target's limit, not the generator's.
 */
function serveEcho(): void {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      let buf: Buffer = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      let answers = 0;
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) break;
        const head = buf.toString('latin1', 0, end).toLowerCase();
        const m = /content-length:\s*(\d+)/.exec(head);
        const total = end + 4 + (m ? Number(m[1]) : 0);
        if (buf.length < total) break;
        buf = buf.subarray(total);
        answers++;
      }
      pending = buf;
      if (answers === 1) socket.write(RESPONSE);
      else if (answers > 1) socket.write(Buffer.concat(Array.from({ length: answers }, () => RESPONSE)));
    });
    socket.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1', () => parentPort!.postMessage((server.address() as net.AddressInfo).port));
}

async function main(): Promise<void> {
  const values = benchArgs('load', { seconds: { type: 'string', default: '5' }, rate: { type: 'string', default: '30000' } });
  const seconds = Number(values.seconds);
  const worker = new Worker(new URL(import.meta.url));
  const port = await new Promise<number>((r) => worker.once('message', r));
  console.log('parley load-generator benchmark: undici pool + runLoad with HdrHistogram latency (no history file), against a minimal HTTP responder in a worker thread');
  console.log(`machine: ${describeMachine()}`);
  console.log(`command: npm run bench:load -- ${process.argv.slice(2).join(' ')}`.trimEnd());
  const source: OpSource = {
    next: () => ({ node: 0, op: { f: 'write', key: 'k', value: 1 }, f: 'write', key: 'k', value: 1, complete: (o) => ({ type: o.type }) }),
  };
  const report = (label: string, r: Awaited<ReturnType<typeof runLoad>>) => {
    const ok = r.records.filter((x) => x.type === 'ok').length;
    const rate = ok / ((r.endNs - r.startNs) / 1e9);
    const lat = latencyBy(r.records).overall;
    console.log(`${label.padEnd(28)} ${Math.round(rate).toLocaleString('en-US').padStart(7)} requests/s  p50 ${lat.p50.toFixed(3)} ms  p99 ${lat.p99.toFixed(3)} ms  errors ${r.records.length - ok}${r.neverSent ? `  never sent ${r.neverSent}` : ''}`);
  };
  for (const concurrency of [16, 64, 128]) {
    const client = new NodeClient([{ host: '127.0.0.1', port }], { connections: concurrency, timeoutMs: 5000 });
    await runLoad({ mode: 'closed', concurrency, durationMs: 1000, source, client });
    report(`closed loop, ${concurrency} clients`, await runLoad({ mode: 'closed', concurrency, durationMs: seconds * 1000, source, client }));
    await client.close();
  }
  const rate = Number(values.rate);
  const client = new NodeClient([{ host: '127.0.0.1', port }], { connections: 64, timeoutMs: 5000 });
  report(`open loop at ${rate.toLocaleString('en-US')}/s`, await runLoad({ mode: 'open', concurrency: 64, rate, durationMs: seconds * 1000, source, client }));
  await client.close();
  await worker.terminate();
}

if (isMainThread) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 70;
  });
} else {
  serveEcho();
}
