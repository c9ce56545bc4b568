/**
 * `parley run --workload list-append` end to end on real processes: Raft with its leader
 * crashed and keys moving on every 30 operations, Multi-Paxos and 2PC plain. Each run must
 * pass its checks, record which node every operation went to, and read back, on every node,
 * every key a transaction appended to.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { PARLEY_BIN } from '../../harness/paths.js';
import { readHistory, type HistoryEvent } from '../../workloads/history.js';
import type { ResultsFile } from '../../contracts/results.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-e2e-la-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

type Micro = [string, string, unknown];

async function run(name: string, args: string[]): Promise<{ results: ResultsFile; events: HistoryEvent[] }> {
  const out = path.join(root, name);
  const r = await execa(process.execPath, [PARLEY_BIN, 'run', '--workload', 'list-append', '--nodes', '3', '--warmup', '500ms', '--clients', '8', '--out', out, '--quiet', ...args], { reject: false, timeout: 120_000 });
  expect(r.exitCode, r.stderr + r.stdout).toBe(0);
  return { results: JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as ResultsFile, events: (await readHistory(path.join(out, 'history.jsonl'))).events };
}

/** Keys appended to by the load, and, per node, the keys its final reads (processes from 1,000,000) returned. */
function coverage(events: HistoryEvent[]): { appended: Set<string>; finalByNode: Map<string, Set<string>> } {
  const appended = new Set<string>();
  const finalByNode = new Map<string, Set<string>>();
  for (const e of events) {
    const micro = (e.value ?? []) as Micro[];
    if (e.type === 'invoke') for (const [f, k] of micro) if (f === 'append') appended.add(k);
    if (e.type === 'ok' && Number(e.process) >= 1_000_000) {
      const seen = finalByNode.get(String(e.node)) ?? new Set<string>();
      for (const [, k] of micro) seen.add(k);
      finalByNode.set(String(e.node), seen);
    }
  }
  return { appended, finalByNode };
}

describe('parley run --workload list-append', () => {
  it('raft, leader crashed, independent keys: serializable, nodes recorded, every key appended to read back on every node', async () => {
    const faults = path.join(root, 'crash.yaml');
    fs.writeFileSync(faults, '- kind: crash\n  target: leader\n  at: 1s\n  duration: 1s\n');
    const { results, events } = await run('raft', ['--algo', 'raft', '--duration', '4s', '--faults', faults, '--ops-per-key', '30']);
    const s = results.scenarios[0]!;
    expect(s.status).toBe('complete');
    expect(s.faults[0]).toMatchObject({ kind: 'crash', status: 'done' });
    expect(s.checks.map((c) => [c.checker, c.valid])).toEqual([['list-append', true], ['invariants', true]]);
    expect(s.checks[0]!.stats.committed).toBeGreaterThan(50);
    expect(s.checks[0]!.stats.keys).toBeGreaterThan(10); // 30 micro-ops per key, then a fresh one
    expect(events.every((e) => typeof e.node === 'string' && /^n[123]$/.test(e.node))).toBe(true);
    expect(new Set(events.map((e) => e.node)).size).toBe(3);
    const { appended, finalByNode } = coverage(events);
    expect([...finalByNode.keys()].sort()).toEqual(['n1', 'n2', 'n3']);
    for (const seen of finalByNode.values()) for (const k of appended) expect(seen.has(k), k).toBe(true);
  });

  it.each([['paxos'], ['twopc']])('%s: serializable (2PC: and atomic)', async (algo) => {
    const { results } = await run(algo, ['--algo', algo, '--duration', '2s']);
    const s = results.scenarios[0]!;
    expect(s.checks.map((c) => [c.checker, c.valid])).toEqual(algo === 'twopc' ? [['list-append', true], ['atomicity', true]] : [['list-append', true], ['invariants', true]]);
    expect(s.checks[0]!.stats.committed).toBeGreaterThan(20);
  });
});
