/**
 * Two-phase commit core tests replaying exact message orders through the deterministic
 * simulator. Each names what it checks: the protocol of Gray & Lamport ("Consensus on
 * Transaction Commit", 2006, §3), presumed abort (Mohan, Lindsay & Obermarck 1986),
 * recovery of both roles, the blocking 2PC is known for (§3.3), and the cooperative
 * termination protocol (Bernstein, Hadzilacos & Goodman 1987, ch. 7).
 */
import { describe, expect, it } from 'vitest';
import { checkAtomicity, type CommitEvent } from '../../workloads/checkers/atomicity.js';
import { retraceStart } from '../../nodes/twopc/core.js';
import { cluster, eventsOf, is, keyOn, load, records, replied, settled, twopc, txidInFlight, valueAt, type TwoPcSim } from './sim-helpers.js';

const transfer = (from: string, to: string, amount: number) => ({
  f: 'txn' as const,
  ops: [
    { f: 'add' as const, key: from, delta: -amount, floor: 0 },
    { f: 'add' as const, key: to, delta: amount },
  ],
});

/** Three shards; the transfer's accounts live on n2 and n3, so n1 only coordinates it. */
function bank(options: Parameters<typeof cluster>[1] = {}, perNode: Parameters<typeof cluster>[2] = {}, size = 3) {
  const sim = cluster(size, options, perNode);
  const a = keyOn(sim, 'n2', 'a');
  const b = keyOn(sim, 'n3', 'b');
  load(sim, { [a]: 10, [b]: 10 });
  sim.events.length = 0;
  return { sim, a, b };
}

const outcomeEvents = (sim: TwoPcSim, txid: string) => eventsOf(sim, txid).map((e) => `${e.node} ${e.event}`);

describe('two-phase commit (Gray & Lamport 2006, §3)', () => {
  it('all participants vote yes: the coordinator forces its commit record before anyone hears it, and every participant commits', () => {
    const { sim, a, b } = bank();
    const req = sim.client('n1', transfer(a, b, 3));
    const txid = txidInFlight(sim);
    expect(sim.inflight.map((m) => `${m.to} ${m.msg.t}`)).toEqual(['n2 prepare', 'n3 prepare']);

    sim.deliver(is('prepare', 'n1', 'n2'));
    // The participant's prepare record, with the value it will install, is durable before its yes vote leaves.
    expect(records(sim, 'n2').at(-1)).toMatchObject({ k: 'prepared', txid, coordinator: 'n1', writes: [[a, 7]] });
    expect(sim.inflight.find(is('vote', 'n2'))?.msg).toMatchObject({ yes: true });
    sim.deliver(is('prepare', 'n1', 'n3'));
    sim.deliver(is('vote', 'n2'));
    expect(sim.replyTo(req)).toBeUndefined();
    expect(records(sim, 'n1').filter((r) => r.k === 'commit')).toHaveLength(1); // only load()'s
    sim.deliver(is('vote', 'n3'));
    expect(records(sim, 'n1').at(-1)).toEqual({ k: 'commit', txid, participants: ['n2', 'n3'], seq: 2 }); // load() committed seq 1
    expect(replied(sim, req)).toEqual({ status: 200, body: { ok: true, results: [7, 13], txid } });
    // Until the decision arrives the participants keep their locks.
    expect(twopc(sim, 'n2').participant.writerOf(a)).toBe(txid);
    expect(sim.inflight.map((m) => `${m.to} ${m.msg.t}`)).toEqual(['n2 decide', 'n3 decide']);

    sim.deliverAll();
    expect([valueAt(sim, 'n2', a), valueAt(sim, 'n3', b)]).toEqual([7, 13]);
    expect(records(sim, 'n2').at(-1)).toEqual({ k: 'committed', txid, seq: 2 });
    expect(records(sim, 'n1').at(-1)).toEqual({ k: 'end', txid }); // every ack in: forgotten
    expect(twopc(sim, 'n2').participant.writerOf(a)).toBeUndefined();
    expect(outcomeEvents(sim, txid)).toEqual(['n2 prepared', 'n3 prepared', 'n1 decided-commit', 'n2 applied-commit', 'n3 applied-commit']);
    // The trace shape the atomic-commitment checker reads (the runtime adds node and t).
    const { node: _n, t: _t, ...decision } = eventsOf(sim, txid)[2]!;
    expect(decision).toEqual({ txid, role: 'coordinator', event: 'decided-commit', participants: ['n2', 'n3'] });
    const { node: _n2, t: _t2, ...prepared } = eventsOf(sim, txid)[0]!;
    expect(prepared).toEqual({ txid, role: 'participant', event: 'prepared' });
  });

  it('a participant votes no (an add below its floor): abort everywhere, 409, and no coordinator log record (presumed abort)', () => {
    const { sim, a, b } = bank();
    const logBefore = records(sim, 'n1').length;
    const req = sim.client('n1', transfer(a, b, 11));
    const txid = txidInFlight(sim);
    sim.deliver(is('prepare', 'n1', 'n3')); // n3 only adds: it votes yes and is prepared
    sim.deliver(is('prepare', 'n1', 'n2')); // n2 would fall to -1
    expect(sim.inflight.find(is('vote', 'n2'))?.msg).toMatchObject({ yes: false });
    expect(records(sim, 'n2').some((r) => 'txid' in r && r.txid === txid)).toBe(false); // a no vote is not logged
    sim.deliverAll();
    expect(replied(sim, req)).toMatchObject({ status: 409, body: { ok: false, error: 'aborted', txid } });
    expect(String(replied(sim, req).body.reason)).toMatch(/n2 voted no: key a\d+ would fall to -1, below 0/);
    expect(records(sim, 'n1').length).toBe(logBefore);
    expect([valueAt(sim, 'n2', a), valueAt(sim, 'n3', b)]).toEqual([10, 10]);
    expect(twopc(sim, 'n3').participant.writerOf(b)).toBeUndefined();
    expect(outcomeEvents(sim, txid)).toEqual(['n3 prepared', 'n2 voted-no', 'n1 decided-abort', 'n3 applied-abort']);
  });

  it('a timeout before every vote is in aborts (503, definite), and a prepare that arrives late is told abort (presumed abort)', () => {
    const { sim, a, b } = bank();
    const req = sim.client('n1', transfer(a, b, 1));
    const txid = txidInFlight(sim);
    sim.deliver(is('prepare', 'n1', 'n2'));
    sim.deliver(is('vote', 'n2'));
    sim.tick(499);
    expect(sim.replyTo(req)).toBeUndefined();
    sim.tick(2); // prepareTimeoutMs (500) has passed without n3's vote
    expect(replied(sim, req)).toMatchObject({ status: 503, body: { error: 'aborted: no vote from n3 within 500 ms', txid } });
    expect(records(sim, 'n1').some((r) => r.k === 'commit' && r.txid === txid)).toBe(false);
    // The prepare to n3 was only slow: n3 prepares, votes yes, and the coordinator answers abort.
    sim.deliverAll();
    expect(outcomeEvents(sim, txid)).toEqual(['n2 prepared', 'n1 decided-abort', 'n3 prepared', 'n2 applied-abort', 'n3 applied-abort']);
    expect([valueAt(sim, 'n2', a), valueAt(sim, 'n3', b)]).toEqual([10, 10]);
    expect(twopc(sim, 'n3').participant.inDoubtTxids()).toEqual([]);
  });
});

describe('recovery', () => {
  it('a participant that crashes after voting yes is still prepared on restart, holds its locks, asks the coordinator, and installs the decision', () => {
    // The coordinator re-sends commits only every 10 s here, so the inquiry is what resolves it.
    const { sim, a, b } = bank({ lockWaitMs: 1000 }, { n1: { retryMs: 10_000 } });
    const req = sim.client('n1', transfer(a, b, 4));
    const txid = txidInFlight(sim);
    sim.deliver(is('prepare', 'n1', 'n2'));
    sim.crash('n2'); // its vote is already on the wire
    sim.deliverAll(); // n3 votes; commit decided; the decision to n2 is lost
    expect(replied(sim, req).status).toBe(200);

    sim.restart('n2');
    const n2 = twopc(sim, 'n2').participant;
    expect(n2.inDoubtTxids()).toEqual([txid]);
    expect(n2.writerOf(a)).toBe(txid);
    expect(valueAt(sim, 'n2', a)).toBe(10);
    // The lock is real: a conflicting write is refused at once (no-wait; a PUT that did not
    // happen is a 503 in the node contract), and a read waits.
    const conflicting = sim.client('n1', { f: 'write', key: a, value: 99 });
    const read = sim.client('n2', { f: 'read', key: a });
    sim.deliverAll();
    expect(replied(sim, conflicting)).toMatchObject({ status: 503, body: { error: expect.stringMatching(/voted no: conflict/) } });
    expect(sim.replyTo(read)).toBeUndefined();

    const asked: string[][] = [];
    sim.intercept = (m) => {
      if (m.msg.t === 'inquire' && m.from === 'n2') asked.push(m.msg.txids);
      return true;
    };
    expect(sim.runUntil(() => n2.inDoubtTxids().length === 0, 2000)).toBe(true);
    expect(asked[0]).toEqual([txid]);
    expect(valueAt(sim, 'n2', a)).toBe(6);
    expect(replied(sim, read)).toEqual({ status: 200, body: { value: 6 } }); // the waiting read sees the commit
    expect(settled(sim)).toBe(true);
    expect(records(sim, 'n1').at(-1)).toEqual({ k: 'end', txid });
  });

  it('coordinator crash after the prepares, before the decision: participants block in doubt, locks held and counted, until it restarts and presumes abort', () => {
    const { sim, a, b } = bank({ lockWaitMs: 200 });
    sim.client('n1', transfer(a, b, 5));
    const txid = txidInFlight(sim);
    sim.deliver(is('prepare', 'n1', 'n2'));
    sim.deliver(is('prepare', 'n1', 'n3'));
    sim.crash('n1'); // the yes votes are never counted

    const read = sim.client('n3', { f: 'read', key: b });
    sim.runUntil(() => false, 5000);
    for (const id of ['n2', 'n3']) {
      const s = twopc(sim, id).status();
      expect(s).toMatchObject({ role: 'participant', leader: 'n1', inDoubt: 1, lockedKeys: 1 });
      expect(Number(s.inDoubtOldestMs)).toBeGreaterThanOrEqual(5000);
      expect(twopc(sim, id).participant.counters.inquiries).toBeGreaterThan(10); // it keeps asking
    }
    // A read of a locked key gives up with a definite 503 naming the in-doubt transaction.
    expect(replied(sim, read)).toMatchObject({ status: 503 });
    expect(String(replied(sim, read).body.error)).toContain(txid);

    sim.restart('n1');
    expect(records(sim, 'n1').some((r) => r.k === 'commit' && r.txid === txid)).toBe(false);
    expect(settled(sim, 1000)).toBe(true);
    expect([valueAt(sim, 'n2', a), valueAt(sim, 'n3', b)]).toEqual([10, 10]);
    expect(outcomeEvents(sim, txid)).toEqual(['n2 prepared', 'n3 prepared', 'n1 decided-abort', 'n2 applied-abort', 'n3 applied-abort']);
    const t = (e: string) => eventsOf(sim, txid).find((x) => `${x.node} ${x.event}` === e)!.t;
    expect(t('n2 applied-abort') - t('n2 prepared')).toBeGreaterThanOrEqual(5000); // the in-doubt time is in the trace
    // New transactions get new ids (the epoch moved on), so nothing is confused with the dead one.
    const next = sim.client('n1', transfer(a, b, 1));
    expect(txidInFlight(sim)).toBe('n1.2.1');
    sim.deliverAll();
    expect(replied(sim, next).status).toBe(200);
  });

  it('coordinator crash after its commit record: on restart it re-sends commit until every participant acknowledges, then writes end', () => {
    const { sim, a, b } = bank();
    const req = sim.client('n1', transfer(a, b, 2));
    const txid = txidInFlight(sim);
    sim.deliver(is('prepare', 'n1', 'n2'));
    sim.deliver(is('prepare', 'n1', 'n3'));
    sim.deliver(is('vote', 'n2'));
    sim.deliver(is('vote', 'n3'));
    expect(replied(sim, req).status).toBe(200);
    sim.drop(is('decide')); // the decision never left the machine
    sim.crash('n1');
    sim.runUntil(() => false, 2000);
    expect(twopc(sim, 'n2').participant.inDoubtTxids()).toEqual([txid]);

    sim.restart('n1');
    expect(twopc(sim, 'n1').coordinator!.status().awaitingAcks).toBe(1);
    sim.tick(10);
    expect(sim.inflight.filter(is('decide', 'n1')).map((m) => [m.to, m.msg])).toEqual([
      ['n2', { t: 'decide', txid, commit: true, seq: 2, horizon: 2 }],
      ['n3', { t: 'decide', txid, commit: true, seq: 2, horizon: 2 }],
    ]);
    expect(settled(sim, 1000)).toBe(true);
    expect([valueAt(sim, 'n2', a), valueAt(sim, 'n3', b)]).toEqual([8, 12]);
    expect(records(sim, 'n1').at(-1)).toEqual({ k: 'end', txid });
    expect(outcomeEvents(sim, txid).filter((e) => e.includes('applied'))).toEqual(['n2 applied-commit', 'n3 applied-commit']);
  });
});

describe('the trace across a crash', () => {
  it('events of the last logged batch are traced again on restart, since kill -9 can land between the log write and the trace write', () => {
    const sim = cluster(3);
    const own = keyOn(sim, 'n1', 'c');
    const b = keyOn(sim, 'n2', 'b');
    load(sim, { [own]: 10, [b]: 10 });
    sim.client('n1', { f: 'txn', ops: [{ f: 'add', key: own, delta: -1 }, { f: 'add', key: b, delta: 1 }] });
    const txid = txidInFlight(sim);
    sim.deliver(is('prepare', 'n1', 'n2'));
    const before = sim.events.length;
    sim.deliver(is('vote', 'n2')); // n1 logs its commit decision and, as a participant, its commit
    expect(records(sim, 'n1').slice(-2)).toEqual([
      { k: 'commit', txid, participants: ['n1', 'n2'], seq: 2 },
      { k: 'committed', txid, seq: 2 },
    ]);
    const lost = sim.events.splice(before).map((e) => `${e.node} ${e.event}`);
    expect(lost).toEqual(['n1 decided-commit', 'n1 applied-commit']);
    sim.crash('n1');
    sim.restart('n1');
    sim.tick(1);
    expect(eventsOf(sim, txid).slice(-2).map((e) => `${e.node} ${e.event}`)).toEqual(lost);
    expect(settled(sim)).toBe(true);
  });

  it('the window traced again runs back through every restart whose first batch may have lost its events', () => {
    const commit = (n: number) => ({ k: 'commit' as const, txid: `n1.1.${n}`, participants: ['n2'], seq: n });
    const plain = { k: 'batch' as const };
    const restart = { k: 'batch' as const, retraced: true as const };
    const epoch = (n: number) => ({ k: 'epoch' as const, n });
    expect(retraceStart([])).toBe(0);
    expect(retraceStart([commit(1), plain])).toBe(0);
    expect(retraceStart([commit(1), plain, commit(2), plain])).toBe(2); // the last batch
    expect(retraceStart([commit(1), plain, commit(2), plain, commit(3)])).toBe(2); // and the partial one after it
    expect(retraceStart([commit(1), plain, commit(2), plain, epoch(2), restart])).toBe(2); // and the one the restart traced again
    expect(retraceStart([commit(1), plain, commit(2), plain, epoch(2), restart, epoch(3), restart])).toBe(2);
    expect(retraceStart([commit(1), plain, epoch(2), restart, commit(2), plain])).toBe(4); // that restart's events were traced
  });

  it('a restart killed before its first fsync completed loses the events it traced again; the next restart traces them again (seed 196)', () => {
    const { sim, a, b } = bank();
    sim.client('n1', transfer(a, b, 2));
    const txid = txidInFlight(sim);
    sim.deliver(is('prepare', 'n1', 'n2'));
    sim.deliver(is('prepare', 'n1', 'n3'));
    sim.deliver(is('vote', 'n2'));
    const before = sim.events.length;
    sim.deliver(is('vote', 'n3')); // the commit record is written; kill -9 during its fsync:
    expect(records(sim, 'n1').at(-1)).toEqual({ k: 'commit', txid, participants: ['n2', 'n3'], seq: 2 });
    expect(sim.events.splice(before).map((e) => `${e.node} ${e.event}`)).toEqual(['n1 decided-commit']); // its trace is lost,
    sim.drop(is('decide', 'n1')); // and so is the decision, which leaves only after the fsync
    sim.crash('n1');
    for (let restart = 0; restart < 2; restart++) {
      // Each restart traces the decision again in its first Ready, which also logs its new
      // incarnation; kill -9 during that fsync keeps the record and loses the trace again.
      sim.restart('n1');
      sim.flush('n1');
      expect(records(sim, 'n1').at(-1)).toEqual({ k: 'epoch', n: 2 + restart });
      expect(sim.disks.get('n1')!.at(-1)).toEqual({ k: 'batch', retraced: true });
      expect(sim.events.splice(before).map((e) => `${e.node} ${e.event}`)).toEqual(['n1 decided-commit']);
      sim.crash('n1');
    }
    sim.restart('n1');
    expect(settled(sim, 1000)).toBe(true);
    expect([valueAt(sim, 'n2', a), valueAt(sim, 'n3', b)]).toEqual([8, 12]);
    expect(outcomeEvents(sim, txid).filter((e) => !e.includes('prepared'))).toEqual(['n1 decided-commit', 'n2 applied-commit', 'n3 applied-commit']);
    const verdict = checkAtomicity(sim.events as unknown as CommitEvent[]);
    expect(verdict.summary).toMatch(/^Atomic commit holds/);
  });
});

describe('cooperative termination (Bernstein, Hadzilacos & Goodman 1987, ch. 7)', () => {
  /** Four nodes; accounts on n2, n3 and n4; every participant prepared; then the coordinator is gone. */
  function preparedEverywhere(termination: 'blocking' | 'cooperative') {
    const sim = cluster(4, { termination });
    const keys = ['n2', 'n3', 'n4'].map((id) => keyOn(sim, id, 'x'));
    load(sim, Object.fromEntries(keys.map((k) => [k, 10])));
    sim.client('n1', { f: 'txn', ops: keys.map((key) => ({ f: 'add' as const, key, delta: 1 })) });
    const txid = txidInFlight(sim);
    return { sim, keys, txid };
  }

  it('an in-doubt participant learns the outcome from a peer that received the decision', () => {
    for (const termination of ['blocking', 'cooperative'] as const) {
      const { sim, keys, txid } = preparedEverywhere(termination);
      sim.deliverAll(3 + 3 + 1); // the prepares, the votes, and the decision to n2 only
      expect(records(sim, 'n1').at(-1)).toMatchObject({ k: 'commit', txid });
      sim.drop(is('decide', 'n1')); // the decisions to n3 and n4 die with the coordinator
      sim.crash('n1');
      expect(valueAt(sim, 'n2', keys[0]!)).toBe(11);
      sim.runUntil(() => false, 3000);
      const stuck = ['n3', 'n4'].filter((id) => twopc(sim, id).participant.inDoubtTxids().length > 0);
      if (termination === 'blocking') expect(stuck, 'textbook 2PC blocks').toEqual(['n3', 'n4']);
      else {
        expect(stuck, 'cooperative termination resolves it').toEqual([]);
        expect([valueAt(sim, 'n3', keys[1]!), valueAt(sim, 'n4', keys[2]!)]).toEqual([11, 11]);
        expect(twopc(sim, 'n3').participant.counters.resolvedByPeers).toBe(1);
      }
    }
  });

  it('a peer that never voted refuses the transaction (durably) and the asker aborts; a late prepare then gets a no', () => {
    const { sim, txid } = preparedEverywhere('cooperative');
    const late = sim.inflight.findIndex(is('prepare', 'n1', 'n4'));
    const held = sim.inflight.splice(late, 1)[0]!;
    sim.deliverAll(); // n2 and n3 prepare; their votes reach the coordinator
    sim.crash('n1');
    expect(sim.runUntil(() => ['n2', 'n3'].every((id) => twopc(sim, id).participant.inDoubtTxids().length === 0), 3000)).toBe(true);
    expect(records(sim, 'n4').at(-1)).toEqual({ k: 'aborted', txid }); // the refusal is on n4's disk
    sim.crash('n4');
    sim.restart('n4');
    sim.inflight.push(held);
    sim.deliver(is('prepare', 'n1', 'n4'));
    expect(sim.inflight.find(is('vote', 'n4'))?.msg).toMatchObject({ yes: false });
    // n4's refusal is traced when made, again from its log's last batch on restart, and its late no vote.
    expect(outcomeEvents(sim, txid).filter((e) => !e.includes('prepared'))).toEqual(['n4 voted-no', 'n2 applied-abort', 'n3 applied-abort', 'n4 voted-no', 'n4 voted-no']);
  });

  it('when every reachable participant is prepared it still blocks, until the coordinator is back', () => {
    const { sim, keys, txid } = preparedEverywhere('cooperative');
    sim.deliverAll(3); // prepares delivered, votes in flight
    sim.crash('n1');
    sim.runUntil(() => false, 5000);
    for (const id of ['n2', 'n3', 'n4']) {
      expect(twopc(sim, id).participant.inDoubtTxids()).toEqual([txid]);
      expect(twopc(sim, id).participant.counters.peerAsks).toBeGreaterThan(10);
    }
    sim.restart('n1');
    expect(settled(sim, 1000)).toBe(true);
    expect(keys.map((k, i) => valueAt(sim, `n${i + 2}`, k))).toEqual([10, 10, 10]);
  });
});
