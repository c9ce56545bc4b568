/**
 * The one port allocator. Ports come from 20000-32767, below Linux's ephemeral range
 * (32768-60999), so the kernel never hands one of them to an outgoing connection between
 * the moment we choose it and the moment a node binds it. get-port checks each candidate
 * by binding it and keeps it reserved for this process.
 */
import getPort, { portNumbers } from 'get-port';

const LOW = 20000;
const HIGH = 32767;
// Different harness processes (a test run beside a nightly run) start at different places.
let cursor = LOW + ((process.pid * 7919) % (HIGH - LOW));

export async function allocatePort(host = '127.0.0.1'): Promise<number> {
  const start = cursor;
  const port = await getPort({ host, port: portNumbers(start, HIGH), reserve: true }).catch(() =>
    getPort({ host, port: portNumbers(LOW, HIGH), reserve: true }),
  );
  cursor = port + 1 > HIGH ? LOW : port + 1;
  return port;
}

export async function allocatePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(await allocatePort(host));
  return out;
}
