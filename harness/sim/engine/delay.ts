/**
 * How long a message takes on a simulated link or client connection, before any toxic:
 * a distribution drawn from the run's PRNG.
 *
 *   calibrated                     one-way delays fitted to a loopback-plus-proxy
 *                                  calibration of this machine class (the default; see
 *                                  CALIBRATED below; every `parley run` prints this
 *                                  machine's own, to pass as lognormal:...)
 *   constant:0.2ms                 always the same
 *   uniform:0.1ms-2ms              uniform in the range
 *   lognormal:p50=0.15ms,p99=2ms   long-tailed: a log-normal through those two percentiles
 */
import { UsageError } from '../../../nodes/common/errors.js';
import type { Random } from '../../../nodes/common/random.js';
import { parseDuration } from '../../../contracts/scenario.js';

export type DelayModel =
  | { kind: 'constant'; ms: number }
  | { kind: 'uniform'; minMs: number; maxMs: number }
  | { kind: 'lognormal'; p50Ms: number; p99Ms: number };

/**
 * One-way delay through one link proxy on loopback, from `parley run`'s calibration on the
 * 2-core VM parley is developed on (round trip through one proxy hop p50 ≈ 0.26 ms,
 * p99 ≈ 1.9 ms with other processes running): half of each.
 */
export const CALIBRATED: DelayModel = { kind: 'lognormal', p50Ms: 0.13, p99Ms: 0.95 };

/** z of the 99th percentile of the standard normal. */
const Z99 = 2.3263478740408408;

const QUANTILES = 4096;
const tables = new WeakMap<DelayModel, Float64Array>();

/** Inverse of the standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9). */
function normalQuantile(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/**
 * The log-normal as a table of its quantiles at the midpoints of 4,096 equal-probability
 * bins: one PRNG draw and a lookup per message (the simulator draws one per message and
 * per client request), instead of a Box-Muller transform over four.
 */
function lognormalTable(model: Extract<DelayModel, { kind: 'lognormal' }>): Float64Array {
  let t = tables.get(model);
  if (t) return t;
  const mu = Math.log(model.p50Ms);
  const sigma = Math.max(0, (Math.log(model.p99Ms) - mu) / Z99);
  t = new Float64Array(QUANTILES);
  for (let i = 0; i < QUANTILES; i++) t[i] = Math.min(Math.exp(mu + sigma * normalQuantile((i + 0.5) / QUANTILES)), model.p99Ms * 20);
  tables.set(model, t);
  return t;
}

export function sampleDelay(model: DelayModel, random: Random): number {
  switch (model.kind) {
    case 'constant':
      return model.ms;
    case 'uniform':
      return model.minMs + random.float() * (model.maxMs - model.minMs);
    case 'lognormal':
      return lognormalTable(model)[random.int(0, QUANTILES - 1)]!;
  }
}

function ms(text: string, flag: string): number {
  const v = parseDuration(text.trim());
  if (v === null && /^\d+(\.\d+)?\s*us$/.test(text.trim())) return Number(text.trim().replace(/us$/, '')) / 1000;
  if (v === null) throw new UsageError(`${flag}: ${JSON.stringify(text)} is not a duration like 0.2ms or 150us`);
  return v;
}

/** A fractional duration: "0.15ms" stays 0.15 (parseDuration rounds to whole ms). */
function fine(text: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(us|ms|s)\s*$/.exec(text);
  if (!m) return ms(text, flag);
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n;
}

export function parseDelayModel(text: string, flag = '--net'): DelayModel {
  const t = text.trim();
  if (t === 'calibrated') return CALIBRATED;
  const [kind, args = ''] = t.split(':', 2) as [string, string | undefined];
  switch (kind) {
    case 'constant': {
      const v = fine(args, flag);
      return { kind: 'constant', ms: v };
    }
    case 'uniform': {
      const [a, b] = args.split('-');
      if (a === undefined || b === undefined) throw new UsageError(`${flag} ${text}: expected uniform:MIN-MAX, e.g. uniform:0.1ms-2ms`);
      const lo = fine(a, flag);
      const hi = fine(b, flag);
      if (hi < lo) throw new UsageError(`${flag} ${text}: the maximum is below the minimum`);
      return { kind: 'uniform', minMs: lo, maxMs: hi };
    }
    case 'lognormal': {
      const parts = Object.fromEntries(args.split(',').map((p) => p.split('=', 2).map((x) => x.trim())));
      if (!parts.p50 || !parts.p99) throw new UsageError(`${flag} ${text}: expected lognormal:p50=0.15ms,p99=2ms`);
      const p50 = fine(parts.p50, flag);
      const p99 = fine(parts.p99, flag);
      if (p50 <= 0 || p99 < p50) throw new UsageError(`${flag} ${text}: expected 0 < p50 <= p99`);
      return { kind: 'lognormal', p50Ms: p50, p99Ms: p99 };
    }
    default:
      throw new UsageError(`${flag} ${text}: expected calibrated, constant:D, uniform:MIN-MAX or lognormal:p50=D,p99=D`);
  }
}

export function describeDelay(model: DelayModel): string {
  switch (model.kind) {
    case 'constant':
      return `constant:${model.ms}ms`;
    case 'uniform':
      return `uniform:${model.minMs}ms-${model.maxMs}ms`;
    case 'lognormal':
      return `lognormal:p50=${model.p50Ms}ms,p99=${model.p99Ms}ms`;
  }
}
