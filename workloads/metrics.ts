/**
 * From operation records to the figures a reader compares: latency percentiles (recorded in
 * HdrHistogram, 3 significant digits, from the intended send time), throughput over time,
 * and availability (share ok, and the longest stretch with no successful write).
 */
import * as hdr from 'hdr-histogram-js';
import type { OpRecord } from './load.js';

export interface LatencySummary {
  count: number;
  /** Milliseconds. */
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/** Percentile ticks for HdrHistogram-style curves (plotted on a log "1/(1-p)" axis). */
export const CURVE_PERCENTILES = [0, 10, 25, 50, 75, 90, 95, 97.5, 99, 99.5, 99.9, 99.95, 99.99, 100];

export function newHistogram(): hdr.Histogram {
  // Microseconds, 1 µs to 10 minutes, 3 significant digits.
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
}

export function latencyUs(r: OpRecord): number {
  return Math.max(1, Math.round((r.endNs - r.intendedNs) / 1000));
}

export function summarize(h: hdr.Histogram): LatencySummary {
  const ms = (us: number) => Math.round(us) / 1000;
  if (h.totalCount === 0) return { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 };
  return {
    count: h.totalCount,
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.maxValue),
    mean: ms(h.mean),
  };
}

export function curve(h: hdr.Histogram): { percentile: number; ms: number }[] {
  if (h.totalCount === 0) return [];
  return CURVE_PERCENTILES.map((p) => ({ percentile: p, ms: Math.round(p === 100 ? h.maxValue : h.getValueAtPercentile(p)) / 1000 }));
}

/** Latency of the records that pass `filter`, overall and per operation type. */
export function latencyBy(records: readonly OpRecord[], filter: (r: OpRecord) => boolean = () => true) {
  const overall = newHistogram();
  const byF = new Map<string, hdr.Histogram>();
  for (const r of records) {
    // Only completed operations have a latency; an unknown outcome has none to measure.
    if (r.type === 'info' || !filter(r)) continue;
    const us = latencyUs(r);
    overall.recordValue(us);
    let h = byF.get(r.f);
    if (!h) byF.set(r.f, (h = newHistogram()));
    h.recordValue(us);
  }
  const result = {
    overall: summarize(overall),
    byF: Object.fromEntries([...byF].map(([f, h]) => [f, summarize(h)])),
    curve: curve(overall),
  };
  overall.destroy();
  for (const h of byF.values()) h.destroy();
  return result;
}

export interface ThroughputBucket {
  /** Bucket start, ms from the run's origin. */
  tMs: number;
  ok: number;
  fail: number;
  info: number;
}

export function throughput(records: readonly OpRecord[], originNs: number, endNs: number, bucketMs: number): ThroughputBucket[] {
  const n = Math.max(1, Math.ceil((endNs - originNs) / 1e6 / bucketMs));
  const buckets: ThroughputBucket[] = Array.from({ length: n }, (_, i) => ({ tMs: i * bucketMs, ok: 0, fail: 0, info: 0 }));
  for (const r of records) {
    const i = Math.floor((r.endNs - originNs) / 1e6 / bucketMs);
    const b = buckets[Math.min(Math.max(i, 0), n - 1)]!;
    b[r.type]++;
  }
  return buckets;
}

export interface Availability {
  total: number;
  ok: number;
  fail: number;
  info: number;
  /**
   * Share of operations the system answered with an outcome it meant: 200, or 409 (a cas
   * whose precondition failed, a transaction aborted by its own rules). A 503, a 504 or a
   * timeout is the system being unavailable.
   */
  okRatio: number;
  /** The longest stretch (ms) in which no write (or, with no writes, no operation) succeeded. */
  longestUnavailableMs: number;
  /** Stretches without a successful write longer than the threshold, ms from the origin. */
  windows: { startMs: number; endMs: number }[];
}

export function availability(records: readonly OpRecord[], originNs: number, endNs: number, isWrite: (f: string) => boolean, thresholdMs = 250): Availability {
  const counts = { ok: 0, fail: 0, info: 0 };
  let answered = 0;
  for (const r of records) {
    counts[r.type]++;
    if (r.type === 'ok' || r.status === 409) answered++;
  }
  const anyWrites = records.some((r) => isWrite(r.f));
  const successes = records
    .filter((r) => r.type === 'ok' && (!anyWrites || isWrite(r.f)))
    .map((r) => r.endNs)
    .sort((a, b) => a - b);
  const windows: { startMs: number; endMs: number }[] = [];
  let longest = 0;
  let prev = originNs;
  for (const t of [...successes, endNs]) {
    const gap = (t - prev) / 1e6;
    if (gap > longest) longest = gap;
    if (gap > thresholdMs) windows.push({ startMs: (prev - originNs) / 1e6, endMs: (t - originNs) / 1e6 });
    prev = Math.max(prev, t);
  }
  const total = records.length;
  return {
    total,
    ...counts,
    okRatio: total === 0 ? 0 : answered / total,
    longestUnavailableMs: Math.round(longest),
    windows: windows.map((w) => ({ startMs: Math.round(w.startMs), endMs: Math.round(w.endMs) })),
  };
}
