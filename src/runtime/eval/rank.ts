/** Rank correlations. */

/** 1-based ranks of v; tied values all get the average of the ranks they span. */
export function ranks(v: ArrayLike<number>): Float64Array {
  const n = v.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => v[a]! - v[b]!);
  const r = new Float64Array(n);
  for (let i = 0; i < n;) {
    let j = i + 1;
    while (j < n && v[order[j]!] === v[order[i]!]) j++;
    const avg = (i + j + 1) / 2; // mean of the 1-based ranks i+1 … j
    for (let t = i; t < j; t++) r[order[t]!] = avg;
    i = j;
  }
  return r;
}

/** Pearson correlation Σ(a−ā)(b−b̄) / √(Σ(a−ā)² Σ(b−b̄)²); NaN if either input is constant. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (b.length !== n) throw new RangeError(`pearson: lengths differ (${n} vs ${b.length})`);
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : NaN;
}

/** Spearman's ρ: the Pearson correlation of the ranks (ties get averaged ranks). */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return pearson(ranks(a), ranks(b));
}

/**
 * How well a latent code recovers the Swiss roll's ground-truth coordinates (roll parameter t and
 * height). For each ground truth coordinate, the best |ρ_Spearman| with a latent direction:
 * for d = 2 the projections z·(cos θ, sin θ) for θ = iπ/steps, i = 0 … steps − 1 (the latent
 * axes may come out rotated); for d ≠ 2 the latent coordinates themselves. 1 = a monotone copy.
 */
export function swissRollCorrelation(
  z: Float64Array,
  n: number,
  d: number,
  t: ArrayLike<number>,
  height: ArrayLike<number>,
  steps = 180,
): { t: number; height: number } {
  const rt = ranks(t);
  const rh = ranks(height);
  const p = new Float64Array(n);
  let best = { t: 0, height: 0 };
  const score = (): void => {
    const rp = ranks(p);
    best = {
      t: Math.max(best.t, Math.abs(pearson(rp, rt)) || 0),
      height: Math.max(best.height, Math.abs(pearson(rp, rh)) || 0),
    };
  };
  if (d === 2) {
    for (let s = 0; s < steps; s++) {
      const c = Math.cos((s * Math.PI) / steps);
      const sn = Math.sin((s * Math.PI) / steps);
      for (let i = 0; i < n; i++) p[i] = c * z[2 * i]! + sn * z[2 * i + 1]!;
      score();
    }
  } else {
    for (let a = 0; a < d; a++) {
      for (let i = 0; i < n; i++) p[i] = z[i * d + a]!;
      score();
    }
  }
  return best;
}
