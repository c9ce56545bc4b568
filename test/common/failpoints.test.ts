/**
 * Failpoints (nodes/common/failpoints.ts): a node armed at a point of its durability path
 * dies there, by its own SIGKILL, and nowhere else; the client API's POST /failpoint arms
 * one and refuses anything else with the field named.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { serveFaultHook } from '../helpers/fault-hook.js';
import { DurabilityLedger } from '../../nodes/common/files.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-failpoint-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A child process that appends and syncs `n` records to a log in `dir`, with `point` armed before the last. */
function appendInChild(dir: string, point: string | null) {
  const script = `
    const { WriteAheadLog } = await import(${JSON.stringify(path.resolve('dist/nodes/common/storage.js'))});
    const { armFailpoint } = await import(${JSON.stringify(path.resolve('dist/nodes/common/failpoints.js'))});
    const { wal } = WriteAheadLog.open(${JSON.stringify(dir)}, true);
    wal.append([{ r: 1 }]);
    wal.append([{ r: 2 }]);
    armFailpoint(${JSON.stringify(point)});
    wal.append([{ r: 3, pad: 'x'.repeat(100) }]);
    process.stdout.write('survived');
  `;
  return execa(process.execPath, ['--input-type=module', '-e', script], { reject: false });
}

describe('failpoints in a node process', () => {
  it('before-sync: dies by SIGKILL with the last record written but not recorded as durable', async () => {
    const dir = path.join(tmp, 'before');
    const r = await appendInChild(dir, 'before-sync');
    expect(r.signal).toBe('SIGKILL');
    expect(r.stdout).toBe('');
    const size = fs.statSync(path.join(dir, 'wal')).size;
    const durable = DurabilityLedger.read(dir).wal!;
    expect(durable).toBeGreaterThan(0);
    expect(size).toBeGreaterThan(durable); // the third record reached the file, not the disk
  });

  it('after-sync: dies by SIGKILL with the record durable', async () => {
    const dir = path.join(tmp, 'after');
    const r = await appendInChild(dir, 'after-sync');
    expect(r.signal).toBe('SIGKILL');
    expect(DurabilityLedger.read(dir).wal).toBe(fs.statSync(path.join(dir, 'wal')).size);
  });

  it('disarmed (null): the same appends run to the end', async () => {
    const r = await appendInChild(path.join(tmp, 'none'), null);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('survived');
  });
});

describe('POST /failpoint in the client API', () => {
  const { calls, call } = serveFaultHook('/failpoint', (calls) => ({ failpoint: (point) => (calls.push([point]), { armed: point }) }));

  it('arms a known point, and disarms with null', async () => {
    calls.length = 0;
    expect(await call('POST', { point: 'before-sync' })).toEqual({ status: 200, body: { armed: 'before-sync' } });
    expect(await call('POST', { point: null })).toEqual({ status: 200, body: { armed: null } });
    expect(calls).toEqual([['before-sync'], [null]]);
  });

  it('answers 400 naming the field for an unknown point or no body, and 405 for GET; nothing is armed', async () => {
    calls.length = 0;
    expect(await call('POST', { point: 'mid-rename' })).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^point: /) } });
    expect((await call('POST')).status).toBe(400);
    expect((await call('GET')).status).toBe(405);
    expect(calls).toEqual([]);
  });
});
