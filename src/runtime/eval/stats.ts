/** Summary statistics of a sample. */

export interface Summary {
  /** Values that are not NaN (these are the ones summarised). */
  count: number;
  /** NaN values, ignored by every statistic below. */
  nan: number;
  mean: number;
  q05: number;
  q25: number;
  median: number;
  q75: number;
  q95: number;
  max: number;
}

/**
 * Mean, quantiles and maximum of the non-NaN values (±Infinity is kept). Quantiles interpolate
 * linearly between order statistics (type 7: position (m − 1)·q in the sorted sample). All
 * statistics are NaN when no value is left.
 */
export function summarize(values: ArrayLike<number>): Summary {
  const kept: number[] = [];
  let nan = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) nan++;
    else kept.push(v);
  }
  const s = Float64Array.from(kept).sort();
  const m = s.length;
  const q = (p: number): number => {
    if (m === 0) return NaN;
    const h = (m - 1) * p;
    const lo = Math.floor(h);
    const f = h - lo;
    return f === 0 ? s[lo]! : s[lo]! + f * (s[lo + 1]! - s[lo]!);
  };
  let sum = 0;
  for (const v of s) sum += v;
  return {
    count: m,
    nan,
    mean: m ? sum / m : NaN,
    q05: q(0.05),
    q25: q(0.25),
    median: q(0.5),
    q75: q(0.75),
    q95: q(0.95),
    max: m ? s[m - 1]! : NaN,
  };
}
