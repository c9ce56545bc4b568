/**
 * A correct in-memory bank with concurrent clients and timeouts: each transfer and each
 * read takes effect at one instant inside its interval (a transfer aborts if the source
 * cannot cover it), and a timed-out one may take effect later or never. Every history it
 * produces is strictly serializable, so the bank checker must accept all of them.
 */
import { Random } from '../../nodes/common/random.js';
import type { HistoryEvent, JsonValue } from '../../workloads/history.js';

interface SimOp {
  process: number;
  read: boolean;
  unknown: boolean;
  start: number;
  end: number;
  effect: number | null;
  transfer: { from: string; to: string; amount: number };
  balances?: Record<string, number>;
  committed?: boolean;
}

export function simulateBank(seed: number, operations: number, clients: number, unknownRate: number): { events: HistoryEvent[]; initial: Record<string, number> } {
  const rng = Random.derive(seed, 'simulated-bank');
  const accounts = Array.from({ length: 8 }, (_, i) => `acct${i}`);
  const balance: Record<string, number> = Object.fromEntries(accounts.map((a) => [a, 12]));
  balance.acct0! += 4;
  const initial = { ...balance };
  const free = new Array<number>(clients).fill(0);
  const process = Array.from({ length: clients }, (_, i) => i);
  const ops: SimOp[] = [];
  for (let i = 0; i < operations; i++) {
    const c = rng.int(0, clients - 1);
    const start = free[c]! + rng.int(1, 300);
    const latency = rng.int(100, 3000);
    const unknown = rng.chance(unknownRate);
    const from = rng.int(0, 7);
    let to = rng.int(0, 6);
    if (to >= from) to++;
    ops.push({
      process: process[c]!, read: rng.chance(0.5), unknown, start,
      end: unknown ? start + 5000 : start + latency,
      effect: unknown ? (rng.chance(0.5) ? start + rng.int(0, 15_000) : null) : start + rng.int(0, latency),
      transfer: { from: accounts[from]!, to: accounts[to]!, amount: rng.int(1, 5) },
    });
    free[c] = ops[ops.length - 1]!.end;
    if (unknown) process[c]! += clients;
  }
  for (const o of ops.filter((x) => x.effect !== null).sort((x, y) => x.effect! - y.effect!)) {
    if (o.read) o.balances = { ...balance };
    else if (balance[o.transfer.from]! >= o.transfer.amount) {
      balance[o.transfer.from]! -= o.transfer.amount;
      balance[o.transfer.to]! += o.transfer.amount;
      o.committed = true;
    }
  }
  const raw: Omit<HistoryEvent, 'index'>[] = [];
  for (const o of ops) {
    const f = o.read ? 'read' : 'transfer';
    const value: JsonValue = o.read ? null : o.transfer;
    raw.push({ time: o.start, process: o.process, type: 'invoke', f, value });
    if (o.unknown) raw.push({ time: o.end, process: o.process, type: 'info', f, value, error: 'timeout' });
    else if (o.read) raw.push({ time: o.end, process: o.process, type: 'ok', f, value: o.balances! });
    else if (o.committed) raw.push({ time: o.end, process: o.process, type: 'ok', f, value });
    else raw.push({ time: o.end, process: o.process, type: 'fail', f, value, error: 'aborted' });
  }
  raw.sort((x, y) => x.time - y.time || Number(x.type !== 'invoke') - Number(y.type !== 'invoke'));
  return { events: raw.map((e, index) => ({ index, ...e })), initial };
}
