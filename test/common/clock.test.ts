/**
 * A node's protocol clock under clock faults (nodes/common/clock.ts NodeClock) and the client
 * API's POST /clock that sets one: rates and jumps as asked, never running back, ending on
 * time by itself, and bad requests refused with the field named.
 */
import { describe, expect, it } from 'vitest';
import { NodeClock } from '../../nodes/common/clock.js';
import { serveFaultHook } from '../helpers/fault-hook.js';

/** A clock over a machine clock the test moves by hand. */
function manual(start = 1000) {
  const machine = { now: start };
  return { machine, clock: new NodeClock(() => machine.now) };
}

describe('NodeClock', () => {
  it('runs with the machine clock until a fault, then at the fault rate after its jump', () => {
    const { machine, clock } = manual();
    machine.now += 100;
    expect(clock.nowMs()).toBe(1100);
    clock.skew(0.25, 500);
    expect(clock.nowMs()).toBe(1600);
    machine.now += 400;
    expect(clock.nowMs()).toBe(1700);
    expect(clock.state()).toEqual({ rate: 0.25, offsetMs: 200 });
    clock.skew(4, 0);
    machine.now += 100;
    expect(clock.nowMs()).toBe(2100);
  });

  it('ends a fault set for a while at the moment it ends, however late the next reading comes', () => {
    const { machine, clock } = manual();
    clock.skew(0.5, 0, 1000);
    machine.now += 3000; // read only long after: 1000 ms at half speed, then 2000 at full
    expect(clock.nowMs()).toBe(1000 + 500 + 2000);
    expect(clock.state().rate).toBe(1);
    // A later fault replaces a pending end: this one has none.
    clock.skew(2, 0, 100);
    clock.skew(3, 0);
    machine.now += 1000;
    expect(clock.state().rate).toBe(3);
  });

  it('a new fault after an earlier one has ended (but before any reading saw it end) counts that end first', () => {
    const { machine, clock } = manual();
    clock.skew(0.5, 0, 1000);
    machine.now += 3000; // 1000 ms at half speed, then 2000 at full: 3500 ms ahead of the start
    clock.skew(2, 0);
    expect(clock.nowMs()).toBe(1000 + 500 + 2000);
  });

  it('never runs back: readings only grow through any sequence of faults', () => {
    const { machine, clock } = manual();
    let last = clock.nowMs();
    const rates = [0.01, 100, 0.5, 1, 7, 0.25];
    for (let i = 0; i < 60; i++) {
      if (i % 5 === 0) clock.skew(rates[i % rates.length]!, i % 3 === 0 ? 300 : 0, 37 * (i % 4) + 1);
      machine.now += (i * 13) % 29;
      const now = clock.nowMs();
      expect(now).toBeGreaterThanOrEqual(last);
      last = now;
    }
  });

  it('refuses a rate that is not positive and a jump back', () => {
    const { clock } = manual();
    expect(() => clock.skew(0, 0)).toThrow(/rate/);
    expect(() => clock.skew(Number.NaN, 0)).toThrow(/rate/);
    expect(() => clock.skew(1, -5)).toThrow(/jump/);
  });
});

describe('POST /clock in the client API', () => {
  const { calls, call } = serveFaultHook('/clock', (calls) => ({ clock: (...args: unknown[]) => (calls.push(args), { rate: args[0] }) }));

  it('hands a valid fault to the node (jump defaults to 0, the duration is optional)', async () => {
    calls.length = 0;
    expect(await call('POST', { rate: 0.5 })).toEqual({ status: 200, body: { rate: 0.5 } });
    expect(await call('POST', { rate: 4, jumpMs: 300, forMs: 2000 })).toMatchObject({ status: 200 });
    expect(calls).toEqual([
      [0.5, 0, undefined],
      [4, 300, 2000],
    ]);
  });

  it('answers 400 naming the field for a bad rate, a jump back or a missing body, and 405 for GET; the node is not touched', async () => {
    calls.length = 0;
    expect(await call('POST', { rate: 0 })).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^rate: /) } });
    expect(await call('POST', { rate: 1, jumpMs: -1 })).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^jumpMs: /) } });
    expect(await call('POST', { rate: 1, forMs: 0 })).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^forMs: /) } });
    expect((await call('POST')).status).toBe(400);
    expect((await call('GET')).status).toBe(405);
    expect(calls).toEqual([]);
  });
});
