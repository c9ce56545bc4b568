/** The history file: what the writer writes, the reader reads back, and every malformed line is named. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../nodes/common/errors.js';
import { HistoryWriter, pairOperations, readHistory, type HistoryEvent } from '../../workloads/history.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-history-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (text: string): string => {
  const f = path.join(dir, `h${n++}.jsonl`);
  fs.writeFileSync(f, text);
  return f;
};
const reject = async (text: string): Promise<string> => {
  const f = file(text);
  const err = await readHistory(f).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(UsageError);
  return (err as Error).message.replace(f, 'FILE');
};

describe('writer and reader', () => {
  it('round-trips events with indices assigned in append order, including a precondition failure and an info op', async () => {
    const f = path.join(dir, 'written.jsonl');
    const w = new HistoryWriter(f);
    w.append({ time: 100, process: 0, type: 'invoke', f: 'cas', key: 'k', value: [1, 2] });
    w.append({ time: 200, process: 0, type: 'fail', f: 'cas', key: 'k', value: [1, 2], error: 'precondition' });
    w.append({ time: 300, process: 1, type: 'invoke', f: 'write', key: 'k', value: 'v' });
    w.append({ time: 900, process: 1, type: 'info', f: 'write', key: 'k', value: 'v', error: 'timeout' });
    w.close();
    expect(fs.readFileSync(f, 'utf8').split('\n')[1]).toBe('{"index":1,"time":200,"process":0,"type":"fail","f":"cas","key":"k","value":[1,2],"error":"precondition"}');
    const { events, lines } = await readHistory(f);
    expect(events.map((e) => e.index)).toEqual([0, 1, 2, 3]);
    expect(events[1]).toEqual({ index: 1, time: 200, process: 0, type: 'fail', f: 'cas', key: 'k', value: [1, 2], error: 'precondition' });
    expect(lines).toEqual([1, 2, 3, 4]);
  });

  it('reads an empty file as an empty history', async () => {
    expect((await readHistory(file(''))).events).toEqual([]);
  });

  it('skips blank lines but keeps real line numbers', async () => {
    const { lines } = await readHistory(file('\n{"index":0,"time":1,"process":0,"type":"invoke","f":"read","value":null}\n\n{"index":1,"time":2,"process":0,"type":"ok","f":"read","value":3}\n'));
    expect(lines).toEqual([2, 4]);
  });
});

describe('malformed lines name the line and the field', () => {
  const good = '{"index":0,"time":1,"process":0,"type":"invoke","f":"read","value":null}\n';
  it('a line that is not JSON', async () => {
    expect(await reject(good + '{"index":1,\n')).toMatch(/^FILE line 2, field "\(line\)": not JSON/);
  });
  it('a type outside invoke/ok/fail/info', async () => {
    expect(await reject(good + '{"index":1,"time":2,"process":0,"type":"done","f":"read"}\n')).toMatch(/^FILE line 2, field "type":/);
  });
  it('a missing or negative time', async () => {
    expect(await reject('{"index":0,"process":0,"type":"invoke","f":"read"}\n')).toMatch(/^FILE line 1, field "time":/);
    expect(await reject('{"index":0,"time":-5,"process":0,"type":"invoke","f":"read"}\n')).toMatch(/^FILE line 1, field "time":/);
  });
  it('an index that does not increase', async () => {
    expect(await reject(good + good)).toMatch(/^FILE line 2, field "index": 0 does not follow the previous index 0/);
  });
  it('an unreadable file', async () => {
    const err = await readHistory(path.join(dir, 'missing.jsonl')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/cannot read .*missing\.jsonl: ENOENT/);
    const dirErr = await readHistory(dir).catch((e: unknown) => e);
    expect(dirErr).toBeInstanceOf(UsageError);
  });
});

describe('pairing invokes with completions', () => {
  const ev = (index: number, process: number, type: HistoryEvent['type'], f = 'write', time = index): HistoryEvent => ({ index, time, process, type, f, value: 1 });
  it('pairs per process and treats an invoke still open at the end as unknown', () => {
    const ops = pairOperations([ev(0, 0, 'invoke'), ev(1, 1, 'invoke'), ev(2, 0, 'ok'), ev(3, 1, 'fail')].concat([ev(4, 2, 'invoke')]));
    expect(ops.map((o) => [o.process, o.outcome, o.end])).toEqual([[0, 'ok', 2], [1, 'fail', 3], [2, 'info', Infinity]]);
  });
  it('refuses a second invoke while one is outstanding, and a completion without an invoke', () => {
    expect(() => pairOperations([ev(0, 0, 'invoke'), ev(1, 0, 'invoke')])).toThrow(/event 2, field "process"/);
    expect(() => pairOperations([ev(0, 0, 'ok')])).toThrow(/event 1, field "type"/);
  });
  it('refuses a completion of another f, and one that ends before it began', () => {
    expect(() => pairOperations([ev(0, 0, 'invoke'), ev(1, 0, 'ok', 'read')])).toThrow(/event 2, field "f"/);
    expect(() => pairOperations([ev(0, 0, 'invoke', 'write', 10), ev(1, 0, 'ok', 'write', 5)])).toThrow(/event 2, field "time"/);
  });
  it('an info completion has no end: it may take effect at any later time', () => {
    const [op] = pairOperations([ev(0, 0, 'invoke'), ev(1, 0, 'info')]);
    expect(op!.end).toBe(Infinity);
    expect(op!.completionPosition).toBe(1);
  });
});
