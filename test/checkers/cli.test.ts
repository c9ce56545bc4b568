/**
 * `parley check` end to end through the CLI's `main`: the exit codes of
 * contracts/exit-codes.ts (0 valid, 1 invalid, 2 unknown, 64 bad usage with one line naming
 * what was wrong).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../harness/cli.js';
import { formatEvent, type HistoryEvent } from '../../workloads/history.js';
import { cas, history, read, txn, write } from './build.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-check-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const save = (name: string, content: HistoryEvent[] | string): string => {
  const f = path.join(dir, name);
  fs.writeFileSync(f, typeof content === 'string' ? content : content.map(formatEvent).join('\n') + '\n');
  return f;
};

let out = '';
let err = '';
beforeEach(() => {
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true));
});
afterEach(() => vi.restoreAllMocks());

const good = save('good.jsonl', history(write(0, 1, 0, 10, { key: 'k' }), cas(1, 1, 2, 20, 30, { key: 'k' }), cas(2, 1, 3, 25, 35, { key: 'k', type: 'fail', error: 'precondition' }), read(0, 2, 40, 50, { key: 'k' })));
const stale = save('stale.jsonl', history(write(0, 1, 0, 10), write(0, 2, 20, 30), read(1, 1, 40, 50)));
const hard = (() => {
  const ops = [];
  for (let i = 0; i < 18; i++) ops.push(write(i, i + 1, 0, 100));
  ops.push(read(20, 1, 200, 210), read(20, 2, 220, 230), read(20, 1, 240, 250));
  return save('hard.jsonl', history(...ops));
})();

describe('exit codes', () => {
  it('0 for a linearizable history, with the verdict in words', async () => {
    expect(await main(['check', '--model', 'cas-register', good])).toBe(0);
    expect(out).toMatch(/^linearizability \(cas-register\): valid\. All 4 operations on 1 key are linearizable/);
  });

  it('1 for a violation, with the stuck operation and its window', async () => {
    expect(await main(['check', '--model', 'register', stale])).toBe(1);
    expect(out).toMatch(/INVALID\. Not linearizable on key \(the single register\): no order explains process 1 read → 1/);
    expect(out).toMatch(/stuck +#4 process 1 read → 1/);
  });

  it('2 when the time limit runs out, and --json gives the verdict as data', async () => {
    expect(await main(['check', '--model', 'register', '--time-limit', '0.001', '--json', hard])).toBe(2);
    const verdict = JSON.parse(out) as { valid: unknown; evidence: { reason: string } };
    expect(verdict.valid).toBe('unknown');
    expect(verdict.evidence.reason).toBe('time-limit');
  });

  it('64 for an unknown model, an unreadable file, a missing option', async () => {
    expect(await main(['check', '--model', 'serializable', good])).toBe(64);
    expect(err).toBe('parley: --model: unknown model "serializable" (one of register, cas-register, bank, atomicity, convergence, durability, list-append)\n');
    err = '';
    expect(await main(['check', '--model', 'register', path.join(dir, 'nope.jsonl')])).toBe(64);
    expect(err).toMatch(/^parley: cannot read .*nope\.jsonl: ENOENT\n$/);
    expect(await main(['check', good])).toBe(64);
    err = '';
    expect(await main(['check', '--model', 'bank', good])).toBe(64);
    expect(err).toMatch(/^parley: --initial: the bank model needs the opening balances/);
  });

  it('64 for a malformed line, naming its line number and field in one line', async () => {
    const f = save('bad.jsonl', '{"index":0,"time":1,"process":0,"type":"invoke","f":"read","value":null}\n\n{"index":1,"time":2,"process":0,"type":"ok","f":"read","value":3,"key":[1]}\n');
    expect(await main(['check', '--model', 'register', f])).toBe(64);
    expect(err).toBe(`parley: ${f} line 3, field "key": Invalid input\n`);
  });

  it('64 for a line that is valid JSON but not valid for the model, naming its line', async () => {
    expect(await main(['check', '--model', 'register', good])).toBe(64);
    expect(err).toBe(`parley: ${good} line 3, field "f": the register model has read and write only; use --model cas-register\n`);
  });
});

describe('the other models', () => {
  it('bank: --initial balances', async () => {
    const transfer = { p: 0, f: 'transfer', v: { from: 'a', to: 'b', amount: 5 }, start: 0, end: 10 };
    const f = save('bank.jsonl', history(transfer, { p: 1, f: 'read', r: { a: 5, b: 15 }, start: 20, end: 30 }));
    expect(await main(['check', '--model', 'bank', '--initial', '{"a":10,"b":10}', f])).toBe(0);
    expect(await main(['check', '--model', 'bank', '--initial', '{"a":10,"b":11}', f])).toBe(1);
  });

  it('atomicity: the file is a 2PC trace', async () => {
    const f = save('events.jsonl', [
      '{"txid":"t1","node":"n2","role":"participant","event":"prepared","t":1}',
      '{"txid":"t1","node":"n1","role":"coordinator","event":"decided-commit","t":2}',
      '{"txid":"t1","node":"n2","role":"participant","event":"applied-abort","t":3}',
    ].join('\n'));
    expect(await main(['check', '--model', 'atomicity', f])).toBe(1);
    expect(out).toMatch(/participant n2 applied abort to transaction t1, which was decided commit/);
  });

  it('durability: --final values after recovery', async () => {
    const h = save('durable.jsonl', history(write(0, 1, 0, 10, { key: 'x' }), write(0, 2, 20, 30, { key: 'x' })));
    expect(await main(['check', '--model', 'durability', '--final', save('final-ok.json', '{"x":2}'), h])).toBe(0);
    expect(await main(['check', '--model', 'durability', '--final', save('final-lost.json', '{"x":1}'), h])).toBe(1);
    expect(out).toMatch(/lost: event 2, process 0 wrote 2 to "x"; after recovery it holds 1/);
  });

  it('list-append: 0 for a serializable history, 1 with each anomaly and the cycle\'s transactions, 64 naming the line and field of a bad micro-op', async () => {
    const clean = save('la-ok.jsonl', history(txn(0, [['append', 'x', 1]], 0, 10), txn(1, [['r', 'x', [1]], ['append', 'y', 1]], 20, 30)));
    expect(await main(['check', '--model', 'list-append', clean])).toBe(0);
    expect(out).toMatch(/^list-append: valid\. All 2 transactions \(2 committed, 0 unknown, 0 failed\) over 2 keys are serializable/);
    out = '';
    const skew = save('la-g2.jsonl', history(txn(0, [['r', 'x', null], ['append', 'y', 1]], 0, 10), txn(1, [['r', 'y', null], ['append', 'x', 1]], 0, 10), txn(2, [['r', 'x', [1]], ['r', 'y', [1]]], 20, 30)));
    expect(await main(['check', '--model', 'list-append', skew])).toBe(1);
    expect(out).toContain('list-append: INVALID. 1 anomaly in 3 transactions: 1 G2.');
    expect(out).toContain('  G2: a cycle of 2 transactions, #0 -rw-> #1 -rw-> #0\n    #0 (process 0, ok) [r "x" [], append "y" 1]\n      -> rw on "x": #0 read the version just before #1 appended 1\n');
    const bad = save('la-bad.jsonl', [
      '{"index":0,"time":1,"process":0,"type":"invoke","f":"txn","value":[["append","x",1]]}',
      '{"index":1,"time":2,"process":0,"type":"ok","f":"txn","value":[["append","x",1]]}',
      '{"index":2,"time":3,"process":0,"type":"invoke","f":"txn","value":[["r","x",null],["w","x",2]]}',
    ].join('\n'));
    err = '';
    expect(await main(['check', '--model', 'list-append', bad])).toBe(64);
    expect(err).toBe(`parley: ${bad} line 3, field "value.1": micro-op "w": expected "r" or "append"\n`);
  });

  it('convergence: --applied traces in the runtime\'s own {k, v, t} lines, and --final states', async () => {
    const h = save('gossip.jsonl', history(write(0, 'v', 5e6, 10e6, { key: 'x' })));
    const n1 = save('n1.jsonl', '{"k":"x","v":"v","t":8000000}\n');
    const n2 = save('n2.jsonl', '{"k":"x","v":"v","t":30000000}\n');
    const final = save('final.json', '{"n1":{"x":"v"},"n2":{"x":"v"}}');
    expect(await main(['check', '--model', 'convergence', '--applied', `n1=${n1}`, '--applied', `n2=${n2}`, '--final', final, h])).toBe(0);
    expect(out).toMatch(/median 20 ms/);
    expect(await main(['check', '--model', 'convergence', '--applied', `n1=${n1}`, '--applied', `n2=${n2}`, '--final', final, '--bound', '5', h])).toBe(1);
    err = '';
    expect(await main(['check', '--model', 'convergence', '--applied', n1, '--final', final, h])).toBe(64);
    expect(err).toMatch(/n1\.jsonl line 1, field "node": .*give it as --applied NODE=FILE/);
  });
});
