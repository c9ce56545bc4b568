/**
 * How figures read on the page and in the terminal: units always printed, precision chosen
 * so that a difference a reader should notice is visible and noise is not (three
 * significant digits, like HdrHistogram's recording precision). Missing figures print as an
 * em dash, never as 0, because a 0 looks like a measurement.
 */

export const MISSING = '—';

function sig3(x: number): string {
  if (x === 0) return '0';
  const abs = Math.abs(x);
  if (abs >= 100) return Math.round(x).toLocaleString('en-US');
  if (abs >= 10) return x.toFixed(1);
  if (abs >= 1) return x.toFixed(2);
  return x.toPrecision(2);
}

const known = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x);

/** Milliseconds: "0.74 ms", "310 ms", "2.45 s". */
export function fmtMs(ms: number | null | undefined): string {
  if (!known(ms)) return MISSING;
  if (Math.abs(ms) >= 120_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
  if (Math.abs(ms) >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (Math.abs(ms) >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  return `${sig3(ms)} ms`;
}

/** A per-second rate: "11.3k/s", "842/s". */
export function fmtRate(perSecond: number | null | undefined, unit = '/s'): string {
  if (!known(perSecond)) return MISSING;
  if (Math.abs(perSecond) >= 1000) return `${(perSecond / 1000).toFixed(perSecond >= 100_000 ? 0 : 1)}k${unit}`;
  return `${sig3(perSecond)}${unit}`;
}

/** A share in [0, 1] as a percentage; keeps "99.95%" apart from "100%". */
export function fmtRatio(ratio: number | null | undefined): string {
  if (!known(ratio)) return MISSING;
  const pct = ratio * 100;
  if (pct === 100 || pct === 0) return `${pct}%`;
  if (pct > 99) return `${pct.toFixed(2)}%`;
  return `${pct.toFixed(1)}%`;
}

export function fmtCount(n: number | null | undefined): string {
  if (!known(n)) return MISSING;
  return Number.isInteger(n) ? n.toLocaleString('en-US') : sig3(n);
}

/** Messages per operation: one decimal is what tells 2(N−1) from gossip's fanout·rounds. */
export function fmtPerOp(n: number | null | undefined): string {
  if (!known(n)) return MISSING;
  return Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1);
}

export function fmtBytes(bytes: number | null | undefined): string {
  if (!known(bytes)) return MISSING;
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = bytes;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${sig3(v)} ${units[u]}`;
}

export function fmtMicros(us: number | null | undefined): string {
  if (!known(us)) return MISSING;
  return us >= 1000 ? fmtMs(us / 1000) : `${sig3(us)} µs`;
}

/** A relative change: "+12.5%", "−3.1%" (a real minus sign, so it lines up with the plus). */
export function fmtChange(relative: number | null | undefined): string {
  if (!known(relative)) return MISSING;
  const pct = relative * 100;
  const text = Math.abs(pct) >= 100 ? Math.abs(pct).toFixed(0) : Math.abs(pct).toFixed(1);
  return `${pct > 0 ? '+' : pct < 0 ? '−' : '±'}${text}%`;
}
