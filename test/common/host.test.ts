/**
 * The node host's request bookkeeping across a restart: a reply to a request an earlier
 * incarnation forwarded must not answer the new incarnation's request (found by parley sim:
 * a 2PC write was told "ok" with the outcome of another transaction, after its node had
 * restarted while the coordinator, paused, still held the old request).
 */
import { describe, expect, it } from 'vitest';
import { NodeHost, type Envelope, type HostIo } from '../../nodes/common/host.js';
import { ReadyBuffer, type ClientReply, type Core } from '../../nodes/common/core.js';
import { Random } from '../../nodes/common/random.js';
import type { WriteAheadLog } from '../../nodes/common/storage.js';

/** A core that hands every request to n2, as a follower hands it to its leader. */
class Forwarder implements Core<never> {
  private readonly out = new ReadyBuffer<never>();
  step(input: Parameters<Core<never>['step']>[0]): void {
    if (input.type === 'client') this.out.forward(input.reqId, 'n2');
  }
  ready() {
    return this.out.take();
  }
  status() {
    return {};
  }
}

function host(now: number, sent: Envelope[]): NodeHost<never> {
  const io: HostIo = {
    nowMs: () => now,
    nowNs: () => now * 1e6,
    setTimer: () => null,
    clearTimer: () => undefined,
    defer: (fn) => fn(),
    send: (_to, envelope) => {
      sent.push(envelope);
      return true;
    },
    traceApplied: () => undefined,
    traceEvents: () => undefined,
    log: () => undefined,
  };
  const wal = { append: () => undefined } as unknown as WriteAheadLog;
  return new NodeHost<never>({ id: 'n1', peers: ['n2'], createCore: () => new Forwarder(), algoOptions: {}, wal, recovered: [], random: new Random(1), requestTimeoutMs: 1000 }, io);
}

describe('node host', () => {
  it('a reply meant for a request of an earlier incarnation does not answer the new one', () => {
    const sent: Envelope[] = [];
    const before = host(1000, sent);
    before.operate({ f: 'write', key: 'k', value: 'old' }, () => undefined);
    const oldId = (sent.at(-1) as ['f', string, unknown])[1];
    before.stop();
    // Restarted: its first request is forwarded too.
    const after = host(5000, sent);
    const replies: ClientReply[] = [];
    after.operate({ f: 'write', key: 'k', value: 'new' }, (r) => replies.push(r));
    const newId = (sent.at(-1) as ['f', string, unknown])[1];
    expect(newId).not.toBe(oldId);
    // n2 answers the old request now.
    after.onEnvelope('n2', ['r', oldId, { status: 200, body: { ok: true, txid: 'the old one' } }]);
    expect(replies).toEqual([]);
    after.onEnvelope('n2', ['r', newId, { status: 200, body: { ok: true, txid: 'the new one' } }]);
    expect(replies).toEqual([{ status: 200, body: { ok: true, txid: 'the new one' } }]);
  });
});
