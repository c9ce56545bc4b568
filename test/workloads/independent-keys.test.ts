/**
 * The generators that keep bugs visible: independent keys (each key gets a bounded number of
 * operations, the final reads cover every key written), the list-append transactions, and
 * the node each operation was sent to, recorded in the history.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Random } from '../../nodes/common/random.js';
import type { ClientOp } from '../../nodes/common/core.js';
import { workloadSchema, type WorkloadSpec } from '../../workloads/spec.js';
import { kv } from '../../workloads/kv.js';
import { DEFAULT_OPS_PER_KEY, listAppend } from '../../workloads/list-append.js';
import { HistoryWriter, readHistory } from '../../workloads/history.js';
import { runLoad, type Invocation, type OpSource } from '../../workloads/load.js';
import type { NodeClient, Outcome } from '../../workloads/client.js';
import type { Workload } from '../../workloads/workload.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-keys-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function generate(workload: Workload, spec: Partial<WorkloadSpec>, n: number): { source: OpSource; invocations: Invocation[]; spec: WorkloadSpec } {
  const full = workloadSchema.parse(spec);
  const source = workload.source({ spec: full, nodes: 3, random: new Random(7), nodeFor: (p) => p % 3 });
  return { source, spec: full, invocations: Array.from({ length: n }, (_, i) => source.next(i % 16)!) };
}

const keysOf = (op: ClientOp): string[] => (op.f === 'txn' ? op.ops.map((o) => o.key) : [op.key]);
function perKey(invocations: Invocation[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const inv of invocations) for (const k of keysOf(inv.op)) counts.set(k, (counts.get(k) ?? 0) + 1);
  return counts;
}

describe('kv with independent keys', () => {
  it('keeps its fixed keys when opsPerKey is not set (existing suites are unchanged)', () => {
    const { source, spec, invocations } = generate(kv, { keys: 4 }, 2000);
    expect([...perKey(invocations).keys()].sort()).toEqual(['k0', 'k1', 'k2', 'k3']);
    expect(kv.finalOps(spec, 0, source).map((i) => i.key)).toEqual(['k0', 'k1', 'k2', 'k3']);
  });

  it('gives each key at most opsPerKey operations, then fresh keys, and reads back every key written', () => {
    const { source, spec, invocations } = generate(kv, { keys: 4, opsPerKey: 25 }, 2000);
    const counts = perKey(invocations);
    expect(Math.max(...counts.values())).toBeLessThanOrEqual(25);
    expect(counts.size).toBeGreaterThanOrEqual(2000 / 25);
    const written = new Set(invocations.filter((i) => i.f !== 'read').map((i) => i.key!));
    const finals = kv.finalOps(spec, 1, source);
    expect(new Set(finals.map((i) => i.key))).toEqual(written);
    expect(finals.every((i) => i.node === 1 && i.f === 'read')).toBe(true);
  });
});

describe('list-append transactions', () => {
  it('are 1 to opsPerTxn reads and appends of unique values, each key bounded, over few keys', () => {
    const { source, spec, invocations } = generate(listAppend, { keys: 5, opsPerTxn: 4, keysPerTxn: 2, opsPerKey: 40 }, 3000);
    const appended: number[] = [];
    for (const inv of invocations) {
      expect(inv.f).toBe('txn');
      const micro = inv.value as [string, string, unknown][];
      expect(micro.length).toBeGreaterThanOrEqual(1);
      expect(micro.length).toBeLessThanOrEqual(4);
      // Two keys, or three when a key's budget ran out in the middle of the transaction.
      expect(new Set(micro.map((m) => m[1])).size).toBeLessThanOrEqual(3);
      for (const [f, , v] of micro) if (f === 'append') appended.push(v as number);
      expect(inv.op).toEqual({ f: 'txn', ops: micro.map(([f, key, v]) => (f === 'append' ? { f, key, value: v } : { f: 'read', key })) });
    }
    expect(new Set(appended).size).toBe(appended.length);
    expect(Math.max(...perKey(invocations).values())).toBeLessThanOrEqual(40);
    // The final reads: transactions of reads covering every key appended to.
    const written = new Set(invocations.flatMap((i) => (i.value as [string, string][]).filter((m) => m[0] === 'append').map((m) => m[1])));
    const read = new Set(listAppend.finalOps(spec, 2, source).flatMap((i) => (i.value as [string, string][]).map((m) => (expect(m[0]).toBe('r'), m[1]))));
    expect(read).toEqual(written);
    expect(DEFAULT_OPS_PER_KEY).toBe(200);
  });

  it('records what each read saw from the reply, and a 409 as an abort', () => {
    const { invocations } = generate(listAppend, { keys: 2 }, 50);
    const inv = invocations.find((i) => (i.value as unknown[]).length >= 2)!;
    const micro = inv.value as [string, string, unknown][];
    const results = micro.map(([f, , v], i) => (f === 'append' ? v : [i]));
    expect(inv.complete({ type: 'ok', status: 200, body: { ok: true, results } })).toEqual({ type: 'ok', value: micro.map(([f, k, v], i) => [f, k, f === 'append' ? v : [i]]) });
    expect(inv.complete({ type: 'fail', status: 409, body: { error: 'aborted' }, error: 'aborted' })).toEqual({ type: 'fail', error: 'aborted' });
    expect(inv.complete({ type: 'info', status: 504, body: null, error: 'timeout' })).toEqual({ type: 'info', error: 'timeout' });
  });
});

describe('the node each operation went to', () => {
  it('is recorded on the invoke and the completion, and read back from the file', async () => {
    const file = path.join(dir, 'history.jsonl');
    const history = new HistoryWriter(file);
    const client = { invoke: async (): Promise<Outcome> => ({ type: 'ok', status: 200, body: { value: null } }) } as unknown as NodeClient;
    const source: OpSource = { next: (p) => ({ node: p % 3, f: 'read', key: 'k', value: null, op: { f: 'read', key: 'k' }, complete: () => ({ type: 'ok', value: null }) }) };
    await runLoad({ mode: 'closed', concurrency: 3, durationMs: 30, source, client, history, nodeIds: ['n1', 'n2', 'n3'] });
    history.close();
    const { events } = await readHistory(file);
    expect(events.length).toBeGreaterThanOrEqual(6);
    for (const e of events) expect(e.node).toBe(`n${(e.process as number) + 1}`);
  });
});
