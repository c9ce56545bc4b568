/**
 * The client API over both data layouts, request routing, and the isolation reads get
 * (locks on one node, snapshots across shards): what a client of the 2PC node sees,
 * replayed on the deterministic simulator.
 */
import { describe, expect, it } from 'vitest';
import { cluster, is, keyOn, load, replied, settled, twopc, txidInFlight, valueAt } from './sim-helpers.js';

describe('data layouts', () => {
  for (const layout of ['sharded', 'replicated'] as const) {
    it(`${layout}: PUT, GET, cas and txn (read, write, add with a floor) behave as the node contract says`, () => {
      const sim = cluster(3, { layout });
      const a = keyOn(sim, 'n2', 'a');
      const b = keyOn(sim, 'n3', 'b');
      const run = (node: string, op: Parameters<typeof sim.client>[1]) => {
        const reqId = sim.client(node, op);
        sim.deliverAll();
        return replied(sim, reqId);
      };
      // Requests go to the node that can serve them: here, each one's right node.
      expect(run('n1', { f: 'write', key: a, value: 5 })).toMatchObject({ status: 200, body: { ok: true } });
      expect(run('n2', { f: 'read', key: a })).toEqual({ status: 200, body: { value: 5 } });
      expect(run('n1', { f: 'cas', key: a, from: 5, to: 6 })).toMatchObject({ status: 200, body: { ok: true } });
      expect(run('n1', { f: 'cas', key: a, from: 5, to: 7 })).toMatchObject({ status: 409, body: { ok: false, error: 'precondition', value: 6 } });
      const txn = run('n1', {
        f: 'txn',
        ops: [
          { f: 'read', key: a },
          { f: 'write', key: b, value: 10 },
          { f: 'add', key: a, delta: -2, floor: 0 },
          { f: 'add', key: b, delta: 2 },
        ],
      });
      expect(txn).toMatchObject({ status: 200, body: { ok: true, results: [6, 10, 4, 12] } });
      const below = run('n1', { f: 'txn', ops: [{ f: 'add', key: a, delta: -5, floor: 0 }, { f: 'add', key: b, delta: 5 }] });
      expect(below).toMatchObject({ status: 409, body: { ok: false, error: 'aborted' } });
      expect(run('n3', { f: 'read', key: b })).toEqual({ status: 200, body: { value: 12 } });
      const nowhere = keyOn(sim, 'n3', 'never-written');
      expect(run(layout === 'sharded' ? 'n3' : 'n1', { f: 'read', key: nowhere })).toEqual({ status: 200, body: { value: null } });
      expect(settled(sim)).toBe(true);
      const holders = layout === 'replicated' ? ['n1', 'n2', 'n3'] : ['n2'];
      for (const id of sim.ids) expect(valueAt(sim, id, a)).toBe(holders.includes(id) ? 4 : null);
    });
  }

  it('replicated: a write commits on every node or on none, so with one node down writes stop (503) while reads go on', () => {
    const sim = cluster(3, { layout: 'replicated' });
    load(sim, { k: 1 });
    expect(sim.ids.map((id) => valueAt(sim, id, 'k'))).toEqual([1, 1, 1]);
    sim.crash('n3');
    const write = sim.client('n1', { f: 'write', key: 'k', value: 2 });
    sim.runUntil(() => sim.replyTo(write) !== undefined, 2000);
    expect(replied(sim, write)).toMatchObject({ status: 503, body: { error: 'aborted: no vote from n3 within 500 ms' } });
    const read = sim.client('n2', { f: 'read', key: 'k' });
    expect(replied(sim, read)).toEqual({ status: 200, body: { value: 1 } });
    expect(['n1', 'n2'].map((id) => valueAt(sim, id, 'k'))).toEqual([1, 1]); // n2 prepared it, then aborted
    sim.restart('n3');
    const again = sim.client('n2', { f: 'write', key: 'k', value: 3 });
    expect(sim.forwards.at(-1)).toEqual(['n2', again, 'n1']);
    const viaCoordinator = sim.client('n1', { f: 'write', key: 'k', value: 3 });
    sim.deliverAll();
    expect(replied(sim, viaCoordinator).status).toBe(200);
    expect(sim.ids.map((id) => valueAt(sim, id, 'k'))).toEqual([3, 3, 3]);
  });

  it('sharded: reads go to the node holding the keys, everything else to the coordinator (one hop, then 503)', () => {
    const sim = cluster(3);
    const a = keyOn(sim, 'n2', 'a');
    const b = keyOn(sim, 'n3', 'b');
    const r1 = sim.client('n3', { f: 'read', key: a });
    const r2 = sim.client('n2', { f: 'write', key: a, value: 1 });
    const r3 = sim.client('n2', { f: 'txn', ops: [{ f: 'read', key: a }, { f: 'read', key: b }] });
    expect(sim.forwards).toEqual([
      ['n3', r1, 'n2'],
      ['n2', r2, 'n1'],
      ['n2', r3, 'n1'],
    ]);
    const twice = sim.client('n2', { f: 'write', key: a, value: 1 }, true);
    expect(replied(sim, twice)).toMatchObject({ status: 503, body: { leader: 'n1' } });
    expect(twopc(sim, 'n1').status()).toMatchObject({ role: 'coordinator', leader: 'n1', coordinator: 'n1', layout: 'sharded' });
    expect(twopc(sim, 'n3').status()).toMatchObject({ role: 'participant', leader: 'n1', inDoubt: 0 });
  });

  it('the coordinator is the lowest id unless --set coordinator names another member', () => {
    const sim = cluster(3, { coordinator: 'n3' });
    expect(sim.ids.map((id) => twopc(sim, id).status().role)).toEqual(['participant', 'participant', 'coordinator']);
    expect(() => cluster(3, { coordinator: 'n9' })).toThrow(/coordinator=n9: not a member/);
  });
});

describe('isolation: strict two-phase locking for writers, snapshots at a commit number for reads spanning shards', () => {
  it('a read of a key write-locked by a prepared transaction waits for the decision, then sees it (linearizable local reads)', () => {
    const sim = cluster(3);
    const a = keyOn(sim, 'n2', 'a');
    const b = keyOn(sim, 'n3', 'b');
    load(sim, { [a]: 10, [b]: 10 });
    const t = sim.client('n1', { f: 'txn', ops: [{ f: 'add', key: a, delta: -1 }, { f: 'add', key: b, delta: 1 }] });
    sim.deliver(is('prepare', 'n1', 'n2'));
    sim.deliver(is('prepare', 'n1', 'n3'));
    sim.deliver(is('vote', 'n2'));
    sim.deliver(is('vote', 'n3'));
    expect(replied(sim, t).status).toBe(200); // the client already knows it committed...
    const read = sim.client('n2', { f: 'read', key: a });
    expect(sim.replyTo(read)).toBeUndefined(); // ...so n2 may not serve the old value
    sim.deliverAll();
    expect(replied(sim, read)).toEqual({ status: 200, body: { value: 9 } });
  });

  it('a read spanning shards is a snapshot at one commit number: it waits only for what was in doubt when it arrived, and aborts nobody', () => {
    const sim = cluster(3);
    const a = keyOn(sim, 'n2', 'a');
    const b = keyOn(sim, 'n3', 'b');
    load(sim, { [a]: 10, [b]: 10 }); // commit number 1
    const t = sim.client('n1', { f: 'txn', ops: [{ f: 'add', key: a, delta: -4 }, { f: 'add', key: b, delta: 4 }] });
    sim.deliver(is('prepare', 'n1', 'n2')); // the transfer is in doubt at n2; its prepare to n3 is slow
    const read = sim.client('n1', { f: 'txn', ops: [{ f: 'read', key: a }, { f: 'read', key: b }] });
    expect(sim.inflight.filter(is('snapRead')).map((m) => [m.to, m.msg])).toEqual([
      ['n2', { t: 'snapRead', rid: expect.any(String), at: 1, keys: [a] }],
      ['n3', { t: 'snapRead', rid: expect.any(String), at: 1, keys: [b] }],
    ]);
    sim.deliver(is('snapRead', 'n1', 'n2')); // waits: the transfer might yet be numbered 1 or below
    sim.deliver(is('snapRead', 'n1', 'n3')); // answers b = 10 at once
    expect(sim.replyTo(read)).toBeUndefined();
    sim.deliverAll(); // the transfer prepares at n3 (no read lock stops it), commits as number 2
    expect(replied(sim, t).status).toBe(200);
    expect(replied(sim, read)).toMatchObject({ status: 200, body: { ok: true, results: [10, 10], snapshot: 1 } });
    const after = sim.client('n1', { f: 'txn', ops: [{ f: 'read', key: a }, { f: 'read', key: b }] });
    sim.deliverAll();
    expect(replied(sim, after)).toMatchObject({ status: 200, body: { results: [6, 14], snapshot: 2 } });
    expect(sim.events.filter((e) => e.event === 'voted-no')).toEqual([]);
  });

  it('a snapshot keeps the versions it may need while it is read; a shard restarted in between refuses it (503) rather than misread it', () => {
    for (const restart of [false, true]) {
      const sim = cluster(3);
      const a = keyOn(sim, 'n2', 'a');
      const b = keyOn(sim, 'n3', 'b');
      load(sim, { [a]: 10, [b]: 10 });
      const read = sim.client('n1', { f: 'txn', ops: [{ f: 'read', key: a }, { f: 'read', key: b }] });
      const held = sim.inflight.splice(0); // both snapshot reads are slow
      const t = sim.client('n1', { f: 'txn', ops: [{ f: 'add', key: a, delta: -4 }, { f: 'add', key: b, delta: 4 }] });
      sim.deliverAll(); // the transfer commits everywhere as number 2, with horizon 1 (the read is active)
      expect(replied(sim, t).status).toBe(200);
      if (restart) {
        sim.crash('n3');
        sim.restart('n3'); // its log replays only the latest version of b
      }
      sim.inflight.push(...held);
      sim.deliverAll();
      if (restart) {
        expect(replied(sim, read)).toMatchObject({ status: 503 });
        expect(String(replied(sim, read).body.error)).toMatch(/snapshot 1 is older than the versions of b\d+ kept here/);
      } else expect(replied(sim, read)).toMatchObject({ status: 200, body: { results: [10, 10] } });
    }
  });

  it('no-wait: a transaction that finds a conflicting lock aborts at once with 409 instead of waiting (no deadlock possible)', () => {
    const sim = cluster(3);
    const a = keyOn(sim, 'n2', 'a');
    const b = keyOn(sim, 'n3', 'b');
    load(sim, { [a]: 10, [b]: 10 });
    // Two transfers in opposite directions, each first locking a different shard: the
    // classic deadlock under wait-for-lock. Here the second prepare at each shard votes no.
    sim.client('n1', { f: 'txn', ops: [{ f: 'add', key: a, delta: -1 }, { f: 'add', key: b, delta: 1 }] });
    const t1 = txidInFlight(sim);
    sim.client('n1', { f: 'txn', ops: [{ f: 'add', key: b, delta: -1 }, { f: 'add', key: a, delta: 1 }] });
    sim.deliver((m) => m.msg.t === 'prepare' && m.msg.txid === t1 && m.to === 'n2');
    sim.deliver((m) => m.msg.t === 'prepare' && m.msg.txid !== t1 && m.to === 'n3');
    sim.deliverAll();
    const statuses = sim.replies.slice(-2).map((r) => r.reply.status);
    expect(statuses).toEqual([409, 409]);
    expect(settled(sim)).toBe(true);
    expect([valueAt(sim, 'n2', a), valueAt(sim, 'n3', b)]).toEqual([10, 10]);
  });
});

describe('what a refused single-key cas tells the client (the node contract: 409 on a cas means its precondition failed)', () => {
  it('a cas refused because an in-doubt write left behind by a partition holds the key is a 503, not a 409: the key still holds `from`, as every read says', () => {
    // The message order of the bench run that found it (databases/twopc, seed 1): k5 on n3,
    // the coordinator n1 cut off by a black hole just after n3 voted yes on a write of k5.
    const sim = cluster(3);
    const k = keyOn(sim, 'n3', 'k');
    load(sim, { [k]: 'v5504' });
    const write = sim.client('n1', { f: 'write', key: k, value: 'v5520' });
    const inDoubt = txidInFlight(sim);
    sim.deliver(is('prepare', 'n1', 'n3')); // n3 prepares: k is write-locked, its yes vote is on the wire
    sim.partition(['n1'], ['n2', 'n3']);
    sim.deliverAll(); // the vote is lost
    sim.tick(501); // n1 aborts on its prepare timeout; the abort (sent once) and n3's inquiry are lost
    expect(replied(sim, write)).toMatchObject({ status: 503 });
    expect(sim.inflight).toEqual([]);
    expect(twopc(sim, 'n3').participant.inDoubtTxids()).toEqual([inDoubt]);

    sim.heal();
    // Before n3's next inquiry, a cas from the value every read has returned (forwarded by n3).
    const cas = sim.client('n1', { f: 'cas', key: k, from: 'v5504', to: 'v5556' }, true);
    sim.deliver(is('prepare', 'n1', 'n3'));
    expect(sim.inflight.find(is('vote', 'n3'))?.msg).toMatchObject({ yes: false, reason: `conflict: ${k} is locked by ${inDoubt}` });
    sim.deliver(is('vote', 'n3', 'n1'));
    // The cas compared nothing, so it may not say the value was other than `from`.
    expect(replied(sim, cas)).toEqual({ status: 503, body: { error: `aborted: n3 voted no: conflict: ${k} is locked by ${inDoubt}`, txid: expect.any(String) } });

    const read = sim.client('n3', { f: 'read', key: k });
    expect(sim.runUntil(() => sim.replyTo(read) !== undefined, 1000)).toBe(true); // n3's inquiry is answered abort
    expect(replied(sim, read)).toEqual({ status: 200, body: { value: 'v5504' } });
    const again = sim.client('n1', { f: 'cas', key: k, from: 'v5504', to: 'v5556' }, true);
    sim.deliverAll();
    expect(replied(sim, again)).toMatchObject({ status: 200, body: { ok: true } });
    expect(valueAt(sim, 'n3', k)).toBe('v5556');
  });

  it('a cas whose precondition fails is still a 409 carrying the value it found, and so is a transaction aborted by a lock conflict', () => {
    const sim = cluster(3);
    const k = keyOn(sim, 'n3', 'k');
    const a = keyOn(sim, 'n2', 'a');
    load(sim, { [k]: 'v1', [a]: 10 });
    const cas = sim.client('n1', { f: 'cas', key: k, from: 'v0', to: 'v2' });
    sim.deliverAll();
    expect(replied(sim, cas)).toMatchObject({ status: 409, body: { ok: false, error: 'precondition', value: 'v1' } });
    // A transaction's 409 means only "aborted" (the bank records it as a plain failure), whatever the reason.
    sim.client('n1', { f: 'txn', ops: [{ f: 'add', key: a, delta: -1, floor: 0 }] });
    sim.deliver(is('prepare', 'n1', 'n2')); // n2 holds a's write lock until the decision
    const conflicting = sim.client('n1', { f: 'txn', ops: [{ f: 'add', key: a, delta: -1, floor: 0 }] });
    sim.deliver((m) => m.msg.t === 'prepare' && m.to === 'n2');
    sim.deliver((m) => m.msg.t === 'vote' && m.from === 'n2' && m.msg.yes === false);
    expect(replied(sim, conflicting)).toMatchObject({ status: 409, body: { ok: false, error: 'aborted' } });
    expect(String(replied(sim, conflicting).body.reason)).toMatch(/n2 voted no: conflict: a\d+ is locked by n1\.\d+\.\d+/);
  });
});
