/**
 * Multi-Paxos safety, replayed message by message through the deterministic simulator. Each
 * test names the part of Paxos Made Simple (Lamport 2001) it checks: §2.2 choosing a value
 * (P2c, acceptors that remember), §2.3 learning it, §3 the state machine (one phase 1 for all
 * slots, recovering a predecessor's slots, gap filling with no-ops, catching up learners).
 */
import { describe, expect, it } from 'vitest';
import type { PaxosMessage, SlotValue } from '../../nodes/paxos/messages.js';
import { scripted, leaderless, px, leaders, is, write, chosenAt, opsAt, elect, type PaxosSim, type Accept } from './sim-helpers.js';

describe('choosing a value (§2.2) with one phase 1 for all slots (§3)', () => {
  it('a proposer whose prepare a majority promises becomes the distinguished proposer; later writes need phase 2 only', () => {
    const sim = scripted(3);
    sim.tick(160, ['n1']);
    expect(px(sim, 'n1').role).toBe('candidate');
    // First a probe: would a majority promise? It changes nothing at the acceptors.
    expect(sim.inflight.map((m) => [m.to, m.msg])).toEqual([
      ['n2', { t: 'probe', ballot: [1, 'n1'] }],
      ['n3', { t: 'probe', ballot: [1, 'n1'] }],
    ]);
    sim.deliver(is('probe', 'n1', 'n2'));
    expect(px(sim, 'n2').acceptor.promised).toEqual([0, '']);
    sim.deliver(is('probeOk', 'n2', 'n1'));
    expect(sim.inflight.filter(is('prepare')).map((m) => [m.to, m.msg])).toEqual([
      ['n2', { t: 'prepare', ballot: [1, 'n1'], from: 1 }],
      ['n3', { t: 'prepare', ballot: [1, 'n1'], from: 1 }],
    ]);
    // n1 promises itself only once a majority is in reach (a cut-off node never raises its promise).
    expect(px(sim, 'n1').acceptor.promised).toEqual([0, '']);
    sim.deliver(is('prepare', 'n1', 'n2'));
    sim.deliver(is('promise', 'n2', 'n1'));
    expect(px(sim, 'n1').role).toBe('leader');
    expect(px(sim, 'n1').acceptor.promised).toEqual([1, 'n1']);
    expect(px(sim, 'n2').acceptor.promised).toEqual([1, 'n1']);
    sim.deliverAll();
    const kinds: string[] = [];
    sim.intercept = (m) => (kinds.push(m.msg.t), true);
    for (let i = 0; i < 3; i++) {
      const w = sim.client('n1', write('k', i));
      sim.deliverAll();
      expect(sim.replyTo(w)?.status).toBe(200);
    }
    expect(new Set(kinds)).toEqual(new Set(['accept', 'accepted']));
    expect(px(sim, 'n1').commitIndex).toBe(3);
  });

  it('an acceptor remembers its promise and accepted values across a restart ("even if it fails and then restarts")', () => {
    const sim = scripted(3);
    elect(sim);
    const w = sim.client('n1', write('k', 'x'));
    sim.deliverAll();
    expect(sim.replyTo(w)?.status).toBe(200);
    sim.crash('n2');
    sim.restart('n2');
    const n2 = px(sim, 'n2');
    expect(n2.acceptor.promised).toEqual([1, 'n1']);
    expect(n2.acceptor.slot(1)).toMatchObject({ ballot: [1, 'n1'], value: { ops: [write('k', 'x')] } });
    sim.inflight = [];
    // An accept of a lower ballot is refused, and changes nothing.
    n2.step({ type: 'message', from: 'n3', msg: { t: 'accept', ballot: [0, 'n3'], from: 1, values: [null], chosen: 0, seq: 0 } });
    sim.flush('n2');
    expect(sim.inflight).toEqual([{ from: 'n2', to: 'n3', msg: { t: 'reject', ballot: [0, 'n3'], promised: [1, 'n1'], leader: null } }]);
    expect(n2.acceptor.slot(1)?.value).not.toBeNull();
    // A higher prepare is promised and told what was accepted, with its ballot.
    n2.step({ type: 'message', from: 'n3', msg: { t: 'prepare', ballot: [2, 'n3'], from: 1 } });
    sim.flush('n2');
    const promise = sim.inflight.find(is('promise', 'n2', 'n3'))!.msg as Extract<PaxosMessage, { t: 'promise' }>;
    expect(promise.entries).toHaveLength(1);
    expect(promise.entries[0]!.slice(0, 2)).toEqual([1, [1, 'n1']]);
  });

  it('a promise alone (no accept yet) survives a restart: a lower ballot is still refused', () => {
    const sim = scripted(3);
    const n2 = () => px(sim, 'n2');
    n2().step({ type: 'message', from: 'n3', msg: { t: 'prepare', ballot: [2, 'n3'], from: 1 } });
    sim.flush('n2');
    sim.crash('n2');
    sim.restart('n2');
    expect(n2().acceptor.promised).toEqual([2, 'n3']);
    sim.inflight = [];
    n2().step({ type: 'message', from: 'n1', msg: { t: 'accept', ballot: [1, 'n1'], from: 1, values: [null], chosen: 0, seq: 0 } });
    sim.flush('n2');
    expect(sim.inflight.map((m) => m.msg.t)).toEqual(['reject']);
    expect(n2().acceptor.slot(1)).toBeUndefined();
  });

  it("a new leader's first accepts leave only after its own promise is on disk; later ones leave before its fsync", () => {
    const sim = scripted(3);
    sim.tick(160, ['n1']);
    sim.deliver(is('probe', 'n1', 'n2'));
    sim.deliver(is('probeOk', 'n2', 'n1'));
    sim.deliver(is('prepare', 'n1', 'n2'));
    const promise = sim.inflight.find(is('promise', 'n2', 'n1'))!;
    const n1 = px(sim, 'n1');
    n1.step({ type: 'message', from: 'n2', msg: promise.msg });
    n1.step({ type: 'client', reqId: 'w', op: write('k', 1), forwarded: false }); // same input batch
    const takeover = n1.ready();
    expect(takeover.persist[0]).toEqual({ p: [1, 'n1'] });
    expect(takeover.early).toEqual([]);
    expect(takeover.messages.filter((m) => m.msg.t === 'accept').map((m) => m.to)).toEqual(['n2', 'n3', 'n2', 'n3']);
    n1.step({ type: 'client', reqId: 'w2', op: write('k', 2), forwarded: false });
    const next = n1.ready();
    expect(next.early.map((m) => m.msg.t)).toEqual(['accept', 'accept']); // §10.2.1-style: in parallel with our fsync
    expect(next.messages).toEqual([]);
  });

  it('P2c: once a value is chosen, a proposer with a higher ballot proposes that same value', () => {
    const sim = leaderless(3);
    const a = sim.client('n1', write('k', 'A'));
    sim.deliver(is('prepare', 'n1', 'n2'));
    sim.deliver(is('promise', 'n2', 'n1')); // n1 promises itself and proposes A in slot 1
    sim.deliver(is('accept', 'n1', 'n2'));
    sim.deliver(is('accepted', 'n2', 'n1')); // n1 and n2 accepted A: chosen
    expect(chosenAt(sim, 'n1', 1)).toBeDefined();
    expect(sim.replyTo(a)?.status).toBe(200);
    sim.drop((m) => m.from === 'n1'); // n3 never hears of A; n2 never learns it was chosen
    const b = sim.client('n3', write('k', 'B'));
    const prepare = sim.inflight.find(is('prepare', 'n3', 'n2'))!.msg as Extract<PaxosMessage, { t: 'prepare' }>;
    expect(prepare.ballot).toEqual([1, 'n3']); // above [1, 'n1']: the node id breaks the tie
    sim.deliver(is('prepare', 'n3', 'n2'));
    sim.deliver(is('promise', 'n2', 'n3')); // reports A, accepted at [1, 'n1'], in slot 1
    const accept = sim.inflight.find(is('accept', 'n3', 'n2'))!.msg as Accept;
    expect(accept.from).toBe(1);
    expect(accept.values.map((v) => v?.ops)).toEqual([[write('k', 'A')], [write('k', 'B')]]);
    expect(sim.runUntil(() => sim.ids.every((id) => px(sim, id).commitIndex === 2), 2000)).toBe(true);
    expect(sim.replyTo(b)?.status).toBe(200);
    for (const id of sim.ids) {
      expect(opsAt(sim, id, 1)).toEqual([write('k', 'A')]);
      expect(px(sim, id).state.get('k')).toBe('B');
    }
  });

  it('a proposer refused by a higher promise backs off, and its value lands in a later slot: one value per slot', () => {
    const sim = leaderless(3);
    const a = sim.client('n1', write('k', 'A'));
    sim.deliver(is('prepare', 'n1', 'n2'));
    sim.deliver(is('promise', 'n2', 'n1')); // n1's accepts for A are on their way
    const b = sim.client('n3', write('k', 'B'));
    sim.deliver(is('prepare', 'n3', 'n2'));
    sim.deliver(is('promise', 'n2', 'n3')); // n2 reported nothing: n3 proposes B in slot 1
    sim.deliver(is('accept', 'n1', 'n2')); // too late: n2 promised [1, 'n3']
    expect(sim.inflight.find(is('reject', 'n2', 'n1'))?.msg).toMatchObject({ promised: [1, 'n3'] });
    sim.deliver(is('reject', 'n2', 'n1'));
    expect(px(sim, 'n1').role).toBe('idle'); // backing off; A is in doubt, not failed
    expect(px(sim, 'n1').waiting).toBe(1);
    expect(sim.runUntil(() => sim.replyTo(a) !== undefined && sim.replyTo(b) !== undefined, 5000)).toBe(true);
    expect([sim.replyTo(a)?.status, sim.replyTo(b)?.status]).toEqual([200, 200]);
    sim.runUntil(() => sim.ids.every((id) => px(sim, id).commitIndex === 2), 2000);
    for (const id of sim.ids) {
      expect(opsAt(sim, id, 1)).toEqual([write('k', 'B')]);
      expect(opsAt(sim, id, 2)).toEqual([write('k', 'A')]);
    }
  });
});

describe('a new leader recovers the slots its predecessor left in flight (§3)', () => {
  /** n1 leads 5 nodes; its write X reaches only n2 (2 of 5 accepted: a minority); n1 dies; n3 runs phase 1. */
  function minorityThenCrash(): { sim: PaxosSim; w: string } {
    const sim = scripted(5, { n1: 150, n3: 1000 }, { stickyLeader: false });
    elect(sim);
    sim.intercept = (m) => !(m.msg.t === 'accept' && m.msg.values.length > 0 && m.to !== 'n2');
    const w = sim.client('n1', write('x', 'X'));
    sim.deliverAll();
    sim.intercept = null;
    expect(px(sim, 'n2').acceptor.slot(1)?.value?.ops).toEqual([write('x', 'X')]);
    expect(px(sim, 'n1').commitIndex).toBe(0);
    sim.crash('n1');
    return { sim, w };
  }

  it('when its majority includes an acceptor that accepted the value, it re-proposes that value', () => {
    const { sim, w } = minorityThenCrash();
    sim.partition(['n5'], ['n2', 'n3', 'n4']); // n3's majority is {n2, n3, n4}
    expect(sim.runUntil(() => px(sim, 'n3').role === 'leader', 5000)).toBe(true);
    sim.heal();
    expect(sim.runUntil(() => sim.ids.every((id) => !sim.isUp(id) || px(sim, id).commitIndex >= 1), 2000)).toBe(true);
    for (const id of ['n2', 'n3', 'n4', 'n5']) {
      expect(opsAt(sim, id, 1)).toEqual([write('x', 'X')]);
      expect(px(sim, id).state.get('x')).toBe('X');
    }
    expect(sim.replyTo(w)).toBeUndefined(); // its leader died: the runtime answers 504, outcome unknown
  });

  it('when no acceptor of its majority accepted anything there, the slot is free: another value is chosen and X never is', () => {
    const { sim } = minorityThenCrash();
    sim.partition(['n2'], ['n3', 'n4', 'n5']); // n3's majority is {n3, n4, n5}
    expect(sim.runUntil(() => px(sim, 'n3').role === 'leader', 5000)).toBe(true);
    const y = sim.client('n3', write('x', 'Y'));
    expect(sim.runUntil(() => sim.replyTo(y) !== undefined, 1000)).toBe(true);
    expect(sim.replyTo(y)?.status).toBe(200);
    expect(opsAt(sim, 'n3', 1)).toEqual([write('x', 'Y')]);
    sim.heal();
    sim.restart('n1');
    expect(sim.runUntil(() => sim.ids.every((id) => px(sim, id).appliedIndex >= 1), 3000)).toBe(true);
    for (const id of sim.ids) {
      // n1 and n2 held X in slot 1 at an older ballot; they learn Y instead.
      expect(opsAt(sim, id, 1)).toEqual([write('x', 'Y')]);
      expect(px(sim, id).state.get('x')).toBe('Y');
      expect(sim.applied.get(id)!.some(([, v]) => v === 'X')).toBe(false);
    }
  });

  it('a gap below chosen slots is filled with a no-op, and the slots after it are re-proposed with their values', () => {
    const sim = scripted(3, { n1: 150, n2: 1000 }, { stickyLeader: false });
    elect(sim);
    const w1 = sim.client('n1', write('k1', 'a'));
    sim.deliverAll();
    expect(sim.replyTo(w1)?.status).toBe(200);
    // Slot 2 reaches nobody: its accepts are lost, and so are the copies n1 sends when the
    // answers for slot 3 reveal the loss.
    sim.intercept = (m) => !(m.msg.t === 'accept' && m.msg.from <= 2 && m.msg.from + m.msg.values.length > 2);
    sim.client('n1', write('k2', 'b'));
    const w3 = sim.client('n1', write('k3', 'c')); // slot 3: everyone
    sim.deliverAll();
    sim.intercept = null;
    expect(px(sim, 'n1').acceptor.isChosen(3)).toBe(true);
    expect(px(sim, 'n1').commitIndex).toBe(1); // slot 3 waits for slot 2: applied in slot order
    expect(sim.replyTo(w3)).toBeUndefined();
    sim.crash('n1');
    const accepts: Accept[] = [];
    sim.intercept = (m) => (m.from === 'n2' && m.msg.t === 'accept' && m.msg.values.length > 0 && accepts.push(m.msg), true);
    expect(sim.runUntil(() => px(sim, 'n2').role === 'leader' && px(sim, 'n3').appliedIndex >= 3, 5000)).toBe(true);
    expect(accepts[0]!.from).toBe(2);
    expect(accepts[0]!.values.map((v) => v?.ops ?? null)).toEqual([null, [write('k3', 'c')]]);
    sim.intercept = null;
    sim.restart('n1');
    expect(sim.runUntil(() => px(sim, 'n1').appliedIndex >= 3, 3000)).toBe(true);
    for (const id of sim.ids) {
      expect(chosenAt(sim, id, 2)).toBe('no-op');
      expect([px(sim, id).state.get('k1'), px(sim, id).state.get('k2'), px(sim, id).state.get('k3')]).toEqual(['a', null, 'c']);
    }
  });

  it.each([
    ['slots', { maxCatchupSlots: 4 }, [1, 5, 9, 13, 17]],
    ['operations', { maxBatchOps: 3 }, [1, 4, 7, 10, 13, 16, 19]],
  ] as const)('a proposer far behind runs phase 1 in pages (bounded in %s), learning chosen values page by page', (_, bound, expected) => {
    const sim = scripted(3, { n1: 150, n3: 1000 }, { stickyLeader: false, ...bound });
    elect(sim);
    sim.partition(['n3'], ['n1', 'n2']);
    for (let i = 0; i < 20; i++) {
      sim.client('n1', write(`k${i}`, i));
      sim.deliverAll();
    }
    sim.crash('n1');
    sim.heal();
    const pages: number[] = [];
    sim.intercept = (m) => (m.from === 'n3' && m.to === 'n2' && m.msg.t === 'prepare' && pages.push(m.msg.from), true);
    expect(sim.runUntil(() => px(sim, 'n3').role === 'leader', 5000)).toBe(true);
    expect(pages).toEqual(expected);
    expect(sim.runUntil(() => px(sim, 'n3').appliedIndex === 20, 2000)).toBe(true);
    expect(px(sim, 'n3').state.get('k19')).toBe(19);
    expect(px(sim, 'n3').state.get('k0')).toBe(0);
  });
});

describe('learning chosen values (§2.3) and catching up', () => {
  it('followers learn from the chosen point piggybacked on accepts and heartbeats', () => {
    const sim = scripted(3);
    elect(sim);
    sim.client('n1', write('k', 1));
    sim.deliverAll();
    expect(px(sim, 'n1').commitIndex).toBe(1);
    expect(px(sim, 'n2').commitIndex).toBe(0); // it accepted, but has not been told
    sim.tick(60);
    sim.deliverAll();
    expect(px(sim, 'n2').commitIndex).toBe(1);
    expect(px(sim, 'n2').state.get('k')).toBe(1);
  });

  it('an acceptor that knows a slot chosen gives a stale proposer no vote there, and never logs its value over the chosen one', () => {
    const sim = scripted(3);
    const chosen = { id: '2.n1.1', ops: [write('k', 'chosen')] } satisfies SlotValue;
    const stale = { id: '1.n3.1', ops: [write('k', 'stale')] } satisfies SlotValue;
    const later = { id: '1.n3.2', ops: [write('j', 'later')] } satisfies SlotValue;
    const n2 = () => px(sim, 'n2');
    n2().step({ type: 'message', from: 'n1', msg: { t: 'decide', from: 1, values: [chosen] } });
    sim.flush('n2');
    sim.inflight = [];
    // n2 never promised anything, so [1, 'n3'] is a valid ballot here; but slot 1 was chosen (by a higher one).
    n2().step({ type: 'message', from: 'n3', msg: { t: 'accept', ballot: [1, 'n3'], from: 1, values: [stale, later], chosen: 0, seq: 0 } });
    sim.flush('n2');
    expect(sim.inflight.find(is('accepted', 'n2', 'n3'))?.msg).toMatchObject({ from: 1, count: 0 });
    expect(JSON.stringify(sim.disks.get('n2'))).not.toContain('stale');
    expect(n2().acceptor.slot(2)).toMatchObject({ ballot: [1, 'n3'], value: later });
    sim.crash('n2');
    sim.restart('n2');
    expect(n2().acceptor.isChosen(1) && n2().acceptor.value(1)).toEqual(chosen);
    expect(n2().state.get('k')).toBe('chosen');
  });

  it('an accept lost on the way is sent again once the answer to a later one reveals the gap, never on a timer', () => {
    const sim = scripted(3);
    elect(sim);
    sim.inflight = [];
    sim.client('n1', write('a', 1)); // slot 1
    sim.drop(is('accept', 'n1', 'n2')); // lost on the way to n2
    sim.client('n1', write('b', 2)); // slot 2
    sim.deliver(is('accept', 'n1', 'n2'));
    sim.deliver(is('accepted', 'n2', 'n1')); // n2 answered slot 2, so slot 1 never reached it
    const again = sim.inflight.filter(is('accept', 'n1', 'n2')).map((m) => m.msg as Accept);
    expect(again.map((m) => [m.from, m.values.length])).toEqual([[1, 1]]);
    sim.deliverAll();
    expect(px(sim, 'n1').commitIndex).toBe(2);
    // A peer that is merely slow (it answers nothing) gets no copies, however long it takes.
    const toN3: number[] = [];
    sim.intercept = (m) => {
      if (m.msg.t === 'accept' && m.to === 'n3' && m.msg.values.length > 0) toN3.push(m.msg.from);
      return m.from !== 'n3';
    };
    sim.client('n1', write('c', 3));
    for (let i = 0; i < 20; i++) {
      sim.tick(50);
      sim.deliverAll();
    }
    expect(toN3).toEqual([3]);
  });

  it('a lagging acceptor catches up: the leader re-sends the chosen values it lacks', () => {
    const sim = scripted(3, { n1: 150 }, { maxCatchupSlots: 8 });
    elect(sim);
    sim.partition(['n3'], ['n1', 'n2']);
    for (let i = 0; i < 30; i++) {
      sim.client('n1', write(`k${i}`, i));
      sim.deliverAll();
    }
    expect(px(sim, 'n3').commitIndex).toBe(0);
    sim.heal();
    let decides = 0;
    sim.intercept = (m) => (m.msg.t === 'decide' && m.to === 'n3' && decides++, true);
    expect(sim.runUntil(() => px(sim, 'n3').appliedIndex === 30, 3000)).toBe(true);
    expect(decides).toBeGreaterThanOrEqual(4); // 30 slots, 8 a message
    expect(px(sim, 'n3').state.get('k29')).toBe(29);
  });

  it('a restarted node rebuilds its state machine up to its logged chosen point before hearing from anyone; a restarted cluster finishes the rest', () => {
    const sim = scripted(3);
    elect(sim);
    for (let i = 0; i < 5; i++) {
      sim.client('n1', write(`k${i}`, i));
      sim.deliverAll();
    }
    // The chosen point rides on the next write's record (it never costs a record, or an fsync, of its own).
    const last = sim.client('n1', write('k5', 5));
    sim.deliverAll();
    expect(sim.replyTo(last)?.status).toBe(200);
    for (const id of sim.ids) expect(sim.disks.get(id)!.at(-1)).toMatchObject({ s: 6, c: 5 });
    for (const id of sim.ids) sim.crash(id);
    for (const id of sim.ids) sim.restart(id);
    for (const id of sim.ids) {
      expect(px(sim, id).appliedIndex).toBe(5);
      expect(px(sim, id).state.get('k4')).toBe(4);
    }
    expect(sim.runUntil(() => leaders(sim).length === 1 && sim.ids.every((id) => px(sim, id).state.get('k5') === 5), 3000)).toBe(true);
    const l = leaders(sim)[0]!;
    const w = sim.client(l, write('k6', 6));
    expect(sim.runUntil(() => sim.replyTo(w) !== undefined, 1000)).toBe(true);
    expect(sim.replyTo(w)?.status).toBe(200);
  });
});

describe('leaderless retries', () => {
  it('a slot whose proposer died before announcing it is finished by an acceptor that holds it, with no client asking', () => {
    const sim = leaderless(3);
    const a = sim.client('n1', write('k', 'A'));
    sim.deliver(is('prepare', 'n1', 'n2'));
    sim.deliver(is('promise', 'n2', 'n1'));
    sim.deliver(is('accept', 'n1', 'n2'));
    sim.deliver(is('accepted', 'n2', 'n1')); // chosen: n1 and n2 hold A
    expect(sim.replyTo(a)?.status).toBe(200);
    sim.crash('n1');
    sim.drop((m) => m.from === 'n1'); // its decide never leaves
    expect(px(sim, 'n2').commitIndex).toBe(0);
    expect(sim.runUntil(() => ['n2', 'n3'].every((id) => px(sim, id).state.get('k') === 'A'), 3000)).toBe(true);
    sim.restart('n1');
    expect(sim.runUntil(() => px(sim, 'n1').state.get('k') === 'A', 3000)).toBe(true);
  });

  it('a value chosen in two slots (a retry after a refusal) takes effect once, on every node alike', () => {
    const sim = leaderless(3);
    const a = { id: '1.n1.1', ops: [{ f: 'txn', ops: [{ f: 'add', key: 'balance', delta: 10 }] }] } satisfies SlotValue;
    const b = { id: '2.n2.1', ops: [write('other', 1)] } satisfies SlotValue;
    for (const id of sim.ids) {
      px(sim, id).step({ type: 'message', from: id === 'n1' ? 'n2' : 'n1', msg: { t: 'decide', from: 1, values: [a, b, a] } });
      sim.flush(id);
      expect(px(sim, id).appliedIndex).toBe(3);
      expect(px(sim, id).state.get('balance')).toBe(10); // not 20
      expect(sim.applied.get(id)).toEqual([['balance', 10], ['other', 1]]);
    }
  });
});
