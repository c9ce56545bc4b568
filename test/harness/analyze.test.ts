/**
 * The run's figures from what the clients saw (harness/analyze.ts), where a harness artifact
 * could pass for a protocol figure: when a crash starts counting, which operations are
 * "before" a fault, and which failures were the system's own answer (409) rather than a
 * refusal.
 */
import { describe, expect, it } from 'vitest';
import { analyze } from '../../harness/analyze.js';
import type { FaultRecord } from '../../contracts/results.js';
import type { FaultSpec } from '../../contracts/scenario.js';
import type { OpRecord } from '../../workloads/load.js';

const ORIGIN = 1_000_000_000_000;
const at = (ms: number) => ORIGIN + ms * 1e6;
const op = (f: string, sentMs: number, endMs: number, type: OpRecord['type'] = 'ok', status = 200): OpRecord => ({ f, type, node: 0, intendedNs: at(sentMs), sentNs: at(sentMs), endNs: at(endMs), status });
const fault = (id: number, kind: FaultSpec['kind'], startMs: number, applyMs: number, endMs: number): FaultRecord => ({
  id, kind, spec: { kind, at: startMs, duration: endMs - startMs, target: 'leader', shape: 'isolate-leader' } as FaultSpec, status: 'done', targets: ['n1'], links: [], startMs, applyMs, endMs,
});
const isWrite = (f: string) => f === 'write' || f === 'cas';

describe('analyze: figures that measure the protocol, not the harness', () => {
  it('a crash counts from the kill signal, not from when the harness saw the process exit', () => {
    // The kill went out at 2000 ms; a busy harness saw the exit 120 ms later.
    const records = [op('write', 1990, 1995), op('write', 2050, 2400, 'fail', 503), op('write', 2100, 2450)];
    const a = analyze(records, [fault(0, 'crash', 2120, 120, 3000)], ORIGIN, at(5000), isWrite);
    expect(a.failover).toEqual([{ faultId: 0, kind: 'crash', crashMs: 2000, nextWriteMs: 2450, recoveryMs: 450 }]);
  });

  it('a partition counts from when every link is cut', () => {
    const a = analyze([op('write', 3100, 3300)], [fault(0, 'partition', 3000, 80, 4000)], ORIGIN, at(5000), isWrite);
    expect(a.failover[0]).toMatchObject({ crashMs: 3000, recoveryMs: 300 });
  });

  it('"before" holds operations answered before the first fault began to act; one caught in flight is left out', () => {
    const records = [op('read', 100, 102), op('read', 200, 205), op('read', 900, 1950, 'info', 504)];
    // Still in flight when the partition began (applying from 950 ms): it waits out a timeout.
    records.push(op('write', 940, 1940));
    const a = analyze(records, [fault(0, 'partition', 1000, 50, 2000)], ORIGIN, at(3000), isWrite);
    expect(a.latency.byPhase.before!.overall.count).toBe(2);
    expect(a.latency.byPhase.before!.overall.max).toBeLessThan(10);
    expect(a.latency.overall.max).toBeGreaterThan(900);
  });

  it('counts outcomes per operation type, and the failures that were the system\'s own answer (409) apart from refusals', () => {
    const records = [op('transfer', 10, 12), op('transfer', 20, 22, 'fail', 409), op('transfer', 30, 32, 'fail', 503), op('transfer', 40, 1040, 'info', 0), op('read', 50, 51)];
    const a = analyze(records, [], ORIGIN, at(2000), isWrite);
    expect(a.ops.byF).toEqual({ transfer: { ok: 1, fail: 2, info: 1, conflict: 1 }, read: { ok: 1, fail: 0, info: 0, conflict: 0 } });
  });
});
