/**
 * From what the clients measured and when the faults fired to the figures of results.json:
 * latency overall and per phase (before the first fault, while any is active, after the
 * last one ends), throughput over time on the same axis as the fault windows,
 * availability, and failover (time from a crash to the next acknowledged write).
 */
import type { OpRecord } from '../workloads/load.js';
import { availability, latencyBy, throughput } from '../workloads/metrics.js';
import type { FailoverSample, FaultRecord, LatencyBlock, OpCounts, ScenarioResult } from '../contracts/results.js';

export interface Analysis {
  throughput: number;
  throughputOverTime: ScenarioResult['throughputOverTime'];
  latency: ScenarioResult['latency'];
  availability: ScenarioResult['availability'];
  failover: FailoverSample[];
  ops: Omit<ScenarioResult['ops'], 'neverSent'>;
}

/** A bucket width that gives a readable chart: about 100 buckets, in round numbers. */
export function bucketWidth(durationMs: number): number {
  const raw = durationMs / 100;
  for (const w of [50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000]) if (raw <= w) return w;
  return 60_000;
}

export function analyze(records: readonly OpRecord[], faults: readonly FaultRecord[], originNs: number, endNs: number, isWrite: (f: string) => boolean): Analysis {
  const measured = records.filter((r) => r.intendedNs >= originNs);
  const fired = faults.filter((f) => f.startMs !== undefined && f.status !== 'skipped' && f.status !== 'failed');
  const windows = fired.map((f) => [originNs + f.startMs! * 1e6, originNs + (f.endMs ?? (endNs - originNs) / 1e6) * 1e6] as const);
  const lastEnd = windows.length ? Math.max(...windows.map((w) => w[1])) : -Infinity;
  const during = (t: number) => windows.some(([a, b]) => t >= a && t < b);

  // The first fault begins to act when applying it starts (a crash's signal, the first link
  // cut), before it is fully in effect. "Before" holds only operations answered by then: one
  // in flight when a partition hits waits out a timeout, which is the fault's doing.
  const firstHit = fired.length ? Math.min(...fired.map((f) => originNs + (f.startMs! - (f.applyMs ?? 0)) * 1e6)) : Infinity;
  const byPhase: Partial<Record<'before' | 'during' | 'after', LatencyBlock>> = {};
  if (windows.length) {
    const phases = {
      before: (r: OpRecord) => r.endNs <= firstHit,
      during: (r: OpRecord) => during(r.intendedNs),
      after: (r: OpRecord) => r.intendedNs >= lastEnd,
    };
    for (const [phase, inPhase] of Object.entries(phases) as [keyof typeof phases, (r: OpRecord) => boolean][]) {
      const block = latencyBy(measured, inPhase);
      if (block.overall.count > 0) byPhase[phase] = block;
    }
  }

  const counts = { total: measured.length, ok: 0, fail: 0, info: 0, byF: {} as Record<string, OpCounts> };
  for (const r of measured) {
    counts[r.type]++;
    const f = (counts.byF[r.f] ??= { ok: 0, fail: 0, info: 0, conflict: 0 });
    f[r.type]++;
    // 409 is an answer the system meant (a failed precondition, an aborted transaction), not a refusal.
    if (r.type === 'fail' && r.status === 409) f.conflict++;
  }
  const seconds = Math.max(1e-9, (endNs - originNs) / 1e9);
  const bucketMs = bucketWidth((endNs - originNs) / 1e6);

  // Failover: after a crash or pause, the first write invoked after it that succeeded.
  const okWrites = measured.filter((r) => r.type === 'ok' && isWrite(r.f)).sort((a, b) => a.endNs - b.endNs);
  const failover: FailoverSample[] = fired
    .filter((f) => f.kind === 'crash' || f.kind === 'leader-crash' || f.kind === 'pause' || (f.kind === 'partition' && f.spec.shape === 'isolate-leader'))
    .map((f) => {
      // A killed or stopped process stops serving when the signal is sent; the harness sees it
      // exit only later (applyMs, longer on a busy machine), so counting from then would make
      // failover look shorter by that lag. A partition is in effect once every link is cut.
      const hitMs = f.kind === 'partition' ? f.startMs! : f.startMs! - (f.applyMs ?? 0);
      const at = originNs + hitMs * 1e6;
      const next = okWrites.find((r) => r.sentNs >= at);
      const nextWriteMs = next ? Math.round((next.endNs - originNs) / 1e6) : null;
      return { faultId: f.id, kind: f.kind, crashMs: hitMs, nextWriteMs, recoveryMs: nextWriteMs === null ? null : nextWriteMs - hitMs };
    });

  return {
    throughput: Math.round(counts.ok / seconds),
    throughputOverTime: { bucketMs, buckets: throughput(measured, originNs, endNs, bucketMs) },
    latency: { ...latencyBy(measured), byPhase },
    availability: availability(measured, originNs, endNs, isWrite),
    failover,
    ops: counts,
  };
}
