/** Order statistics over small samples of figures; empty samples give null, never 0. */

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export const maxOf = (values: readonly number[]): number | null => (values.length === 0 ? null : Math.max(...values));

export const minOf = (values: readonly number[]): number | null => (values.length === 0 ? null : Math.min(...values));
