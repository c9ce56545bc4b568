/**
 * `parley run` end to end, through the CLI: a short real Raft run with one crash, and the
 * harness's promise that nothing outlives it, whether it is interrupted, terminated or
 * killed outright.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { PARLEY_BIN } from '../../harness/paths.js';
import { readHistory } from '../../workloads/history.js';
import type { ResultsFile } from '../../contracts/results.js';
import { alive, commandLine, descendants, waitUntil } from '../helpers/procs.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-e2e-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('parley run', () => {
  it('runs raft with a crash fault and writes sane results, history, logs and report files', async () => {
    const out = path.join(root, 'crash');
    const faults = path.join(root, 'crash.yaml');
    fs.writeFileSync(faults, '- kind: crash\n  target: leader\n  at: 1s\n  duration: 1s\n');
    const r = await execa(process.execPath, [PARLEY_BIN, 'run', '--algo', 'raft', '--nodes', '3', '--duration', '4s', '--warmup', '500ms', '--faults', faults, '--clients', '8', '--out', out, '--quiet'], { reject: false, timeout: 120_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    const results = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as ResultsFile;
    expect(results.schema).toBe('parley.results/1');
    expect(results.partial).toBe(false);
    expect(results.meta.cpus).toBeGreaterThan(0);
    const s = results.scenarios[0]!;
    expect(s.status).toBe('complete');
    expect(s.ops.ok).toBeGreaterThan(0);
    expect(s.throughput).toBeGreaterThan(0);
    expect(s.latency.overall.p50).toBeGreaterThan(0);
    expect(s.latency.overall.p99).toBeGreaterThanOrEqual(s.latency.overall.p50);
    expect(s.calibration?.directRttUs.p50).toBeGreaterThan(0);
    expect(s.calibration?.proxiedRttUs?.p50).toBeGreaterThan(0);
    expect(s.faults).toHaveLength(1);
    expect(s.faults[0]).toMatchObject({ kind: 'crash', status: 'done' });
    expect(s.faults[0]!.targets).toHaveLength(1);
    expect(s.faults[0]!.endMs! - s.faults[0]!.startMs!).toBeGreaterThanOrEqual(900);
    expect(s.failover[0]?.recoveryMs).not.toBeNull();
    expect(s.messages.total).toBeGreaterThan(0);
    expect(s.nodesDetail.every((n) => n.up && (n.cpuSeconds ?? 0) > 0 && (n.peakRssBytes ?? 0) > 0)).toBe(true);
    expect(s.checks.map((c) => [c.checker, c.valid])).toEqual([['linearizability', true], ['durability', true], ['invariants', true]]);
    // How starved the machine was, per phase, whatever it was: the figures exist and are shares and delays.
    expect(s.machineLoad?.limits).toEqual({ runQueueWaitShare: 0.5, harnessLagP99Ms: 200, nodeLagP99Ms: 200, stealShare: 0.2 });
    for (const phase of ['start', 'load'] as const) {
      const load = s.machineLoad!.phases[phase]!;
      expect(load.runQueueWaitShare).toBeGreaterThanOrEqual(0);
      expect(load.runQueueWaitShare).toBeLessThanOrEqual(1);
      expect(load.starved).toBe(load.reasons.length > 0);
    }
    expect(s.machineLoad!.starved).toBe(Object.values(s.machineLoad!.phases).some((p) => p.starved));
    const { events } = await readHistory(path.join(out, 'history.jsonl'));
    expect(events.filter((e) => e.type === 'invoke').length).toBeGreaterThanOrEqual(s.ops.total);
    for (const id of ['n1', 'n2', 'n3']) expect(fs.readFileSync(path.join(out, 'logs', `${id}.log`), 'utf8')).toMatch(/raft node ready/);
  });

  it('runs Multi-Paxos in leaderless mode (every node proposes; nothing to wait for as leader)', async () => {
    const out = path.join(root, 'leaderless');
    const r = await execa(process.execPath, [PARLEY_BIN, 'run', '--algo', 'paxos', '--set', 'mode=leaderless', '--duration', '2s', '--warmup', '0s', '--clients', '6', '--out', out, '--quiet'], { reject: false, timeout: 120_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    const s = (JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as ResultsFile).scenarios[0]!;
    expect(s.ops.ok).toBeGreaterThan(0);
    expect(s.checks.map((c) => [c.checker, c.valid])).toEqual([['linearizability', true], ['durability', true], ['invariants', true]]);
  });

  // The harness is stopped three ways; every node and the proxy must be gone afterwards.
  it.each([['SIGINT'], ['SIGTERM'], ['SIGKILL']] as const)('leaves no process behind when stopped with %s', async (sig) => {
    const out = path.join(root, `stop-${sig}`);
    // No forced SIGKILL 5 s after the SIGTERM (execa's default): a loaded machine may take longer to stop cleanly.
    const harness = execa(process.execPath, [PARLEY_BIN, 'run', '--algo', 'raft', '--nodes', '3', '--duration', '60s', '--warmup', '0s', '--out', out, '--quiet'], { reject: false, forceKillAfterDelay: false });
    let children: number[] = [];
    await waitUntil('3 nodes and the proxy to start', () => {
      children = descendants(harness.pid!).filter((p) => / (node|proxy) /.test(commandLine(p)));
      return children.length >= 4 && fs.existsSync(path.join(out, 'history.jsonl')) && fs.statSync(path.join(out, 'history.jsonl')).size > 0;
    });
    harness.kill(sig);
    const result = await harness;
    await waitUntil('every child to exit', () => children.every((p) => !alive(p)), 15_000);
    if (sig !== 'SIGKILL') {
      expect(result.exitCode).toBe(70);
      const results = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as ResultsFile;
      expect(results.partial).toBe(true);
      expect(results.scenarios[0]!.status).toBe('partial');
      expect(results.scenarios[0]!.error).toMatch(/interrupted/);
      expect(results.scenarios[0]!.ops.total).toBeGreaterThan(0);
    }
  });

  it('ends with exit 70, naming the node and its last log lines, when a node dies on its own', async () => {
    const out = path.join(root, 'unexpected');
    const harness = execa(process.execPath, [PARLEY_BIN, 'run', '--algo', 'raft', '--nodes', '3', '--duration', '60s', '--warmup', '0s', '--out', out, '--quiet'], { reject: false });
    let victim = 0;
    await waitUntil('the nodes to serve', () => {
      const nodes = descendants(harness.pid!).filter((p) => / node .*--id n2 /.test(commandLine(p)));
      victim = nodes[0] ?? 0;
      return victim > 0 && fs.existsSync(path.join(out, 'history.jsonl')) && fs.statSync(path.join(out, 'history.jsonl')).size > 0;
    });
    process.kill(victim, 'SIGKILL'); // not a fault the schedule asked for
    const result = await harness;
    expect(result.exitCode).toBe(70);
    const results = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as ResultsFile;
    const s = results.scenarios[0]!;
    expect(s.status).toBe('partial');
    expect(s.error).toMatch(/n2 exited on its own \(code -, signal SIGKILL\); last lines of its log:/);
    expect(s.error).toMatch(/raft node ready/);
    expect(s.nodesDetail.find((n) => n.id === 'n2')?.unexpectedExit?.signal).toBe('SIGKILL');
  });
});
