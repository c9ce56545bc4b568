/** The table printed at the end of a run. */
import { describe, expect, it } from 'vitest';
import { terminalSafe, terminalSummary } from '../../reports/terminal.js';
import { benchRun, linearizable, scenarioResult, XSS_NAME } from './fixtures/results.js';

describe('terminalSummary', () => {
  const run = benchRun();
  const text = terminalSummary(run, { reportPath: 'out/bench/report.html' });
  const lines = text.split('\n');

  it('has one row per scenario with its figures', () => {
    for (const s of run.scenarios) expect(text).toContain(s.name);
    const raft = lines.find((l) => l.includes('raft-kv-partition'))!;
    expect(raft).toContain('9.1k');
    expect(raft).toContain('1.40 ms');
    expect(raft).toContain('9.80 ms');
    expect(raft).toContain('partition');
    expect(raft).toContain('✓ linearizability (cas-register)');
  });

  it('marks violations, undecided and informational checks differently', () => {
    expect(lines.find((l) => l.includes('paxos-kv-partition'))).toContain('✗ linearizability');
    expect(lines.find((l) => l.includes('twopc-kv-partition'))).toContain('? linearizability');
    expect(lines.find((l) => l.includes('gossip-kv-partition'))).toContain('i linearizability (cas-register) (not promised: invalid)');
  });

  it('spells out each violation and ends with the overall answer and exit code', () => {
    expect(text).toMatch(/^SAFETY VIOLATION +linearizability \(cas-register\) in paxos-kv-partition \(Multi-Paxos\): Not linearizable/m);
    expect(text).toMatch(/^UNDECIDED +linearizability \(cas-register\) in twopc-kv-partition/m);
    expect(text).not.toMatch(/^SAFETY VIOLATION.*gossip/m);
    expect(lines.at(-1)).toBe('1 safety violation: 10 passed, 1 violated, 1 undecided of 12 checks in 13 scenarios (exit 1); report: out/bench/report.html');
  });

  it('says exit 0 when every promised check passed', () => {
    const clean = { ...run, scenarios: run.scenarios.filter((s) => s.checks.every((v) => v.valid === true || s.informational.includes(v.checker))) };
    expect(terminalSummary(clean).split('\n').at(-1)).toMatch(/^every check passed: .* \(exit 0\)$/);
  });

  it('names a scenario that did not complete, and gives the harness-failure exit code (70)', () => {
    const clean = run.scenarios.filter((s) => s.algo === 'raft');
    const failed = { ...run, partial: true, scenarios: [...clean, { ...clean[0]!, name: 'raft-cut', status: 'partial' as const, error: 'interrupted (SIGINT)' }] };
    const out = terminalSummary(failed).split('\n');
    expect(out).toContain('PARTIAL           raft-cut: interrupted (SIGINT)');
    expect(out.at(-1)).toMatch(/\(exit 70\); the run was cut short$/);
  });

  it('shows a skipped fault as skipped rather than as no fault', () => {
    expect(lines.find((l) => l.includes('gossip-failover'))).toContain('leader-crash (skipped)');
  });

  it('prints names literally but strips control characters, so a name cannot drive the terminal', () => {
    expect(text).toContain(XSS_NAME);
    const evil = scenarioResult({ name: 'evil\u001b[2J\u001b]0;owned\u0007', algo: 'raft', workload: 'kv', throughput: 1, p50: 1, p99: 1, checks: [linearizable()] });
    const out = terminalSummary({ ...run, scenarios: [evil] });
    expect(out).not.toContain('\u001b');
    expect(out).not.toContain('\u0007');
    expect(terminalSafe('a\tb\nc')).toBe('a\tb\nc');
  });

  it('colours verdicts only when asked', () => {
    expect(text).not.toContain('\u001b[');
    expect(terminalSummary(run, { color: true })).toContain('\u001b[1;31m✗ linearizability');
  });

  it('says when a scenario ran on a starved machine and which waits it stretched', () => {
    const raft = run.scenarios.find((s) => s.algo === 'raft')!;
    const phase = { fromMs: 0, toMs: 20_000, starved: true, runQueueWaitShare: 0.8, harnessLagP99Ms: 40, harnessLagMaxMs: 90, nodeLagP99Ms: null, runnablePerCore: 6, loadPerCore: 6.2, stealShare: 0, reasons: ['the nodes and the harness waited for a CPU 80% of the time they were ready to run (limit 50%)'] };
    const starved = {
      ...raft,
      machineLoad: {
        starved: true, limits: { runQueueWaitShare: 0.5, harnessLagP99Ms: 200, nodeLagP99Ms: 200, stealShare: 0.2 }, phases: { load: phase },
        stretchedWaits: [{ what: 'n2 to answer GET /status', boundMs: 15_000, waitedMs: 21_400, reason: 'the machine is starved' }],
      },
    };
    const out = terminalSummary({ ...run, scenarios: [starved, raft] }).split('\n');
    expect(out.filter((l) => l.startsWith('STARVED'))).toEqual([
      `STARVED           ${raft.name}: the machine was starved during the load: the nodes and the harness waited for a CPU 80% of the time they were ready to run (limit 50%); timing figures are marked and missed time bounds are undecided, not violations`,
    ]);
    expect(out.filter((l) => l.startsWith('STRETCHED WAITS'))).toEqual([
      `STRETCHED WAITS   ${raft.name}: 1 wait went past the fixed bound (longest: n2 to answer GET /status, 21.4 s of 15 s, because the machine is starved)`,
    ]);
  });
});
