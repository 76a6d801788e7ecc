/**
 * The research's k-means score: the pair-counting F-measure of a k-means clustering of latent
 * codes against the true labels, averaged over random draws of test codes.
 */
import { Rng } from "../../util/random.js";
import { kmeans } from "./clusters.js";

/**
 * Pair-counting F = 2a / (2a + b + c) of two partitions of the same points: over the unordered
 * pairs of points, a = pairs together in both, b = together only in `clusters`, c = together only in
 * `labels`. 1 = identical partitions (also when neither puts any two points together). Computed
 * from the contingency table: a = Σ C(n_lk, 2), a + c = Σ_l C(n_l, 2), a + b = Σ_k C(n_k, 2).
 */
export function pairCountingF(labels: ArrayLike<number>, clusters: ArrayLike<number>): number {
  const n = labels.length;
  if (clusters.length !== n) throw new RangeError(`pairCountingF: lengths differ (${n} vs ${clusters.length})`);
  const joint = new Map<string, number>();
  const byLabel = new Map<number, number>();
  const byCluster = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const key = `${labels[i]} ${clusters[i]}`;
    joint.set(key, (joint.get(key) ?? 0) + 1);
    byLabel.set(labels[i]!, (byLabel.get(labels[i]!) ?? 0) + 1);
    byCluster.set(clusters[i]!, (byCluster.get(clusters[i]!) ?? 0) + 1);
  }
  const pairs = (m: Map<unknown, number>): number => {
    let s = 0;
    for (const c of m.values()) s += (c * (c - 1)) / 2;
    return s;
  };
  const a = pairs(joint);
  const b = pairs(byCluster) - a;
  const c = pairs(byLabel) - a;
  return 2 * a + b + c === 0 ? 1 : (2 * a) / (2 * a + b + c);
}

export interface PairCountingOptions {
  /** Codes per draw (default 300; all of them when fewer). */
  codes?: number;
  /** Independent draws (default 10). */
  draws?: number;
  seed?: number;
  /** k-means on the flat torus (−π, π]^d (wrapped differences, circular means). */
  torus?: boolean;
  /** k-means restarts per draw (default 10, the best inertia kept). */
  restarts?: number;
}

export interface PairCountingResult {
  codes: number;
  draws: number;
  torus: boolean;
  /** Number of clusters: the number of distinct labels among all n codes. */
  k: number;
  mean: number;
  /** Sample standard deviation over the draws (0 for one draw). */
  sd: number;
  values: number[];
}

/**
 * For each draw, `codes` rows of z (n×d) without replacement, k-means with k = number of classes,
 * and the pair-counting F of its clusters against the rows' labels; the mean over draws.
 * Deterministic given the seed.
 */
export function kmeansPairCountingF(
  z: Float64Array,
  labels: ArrayLike<number>,
  n: number,
  d: number,
  options: PairCountingOptions = {},
): PairCountingResult {
  const codes = Math.min(n, options.codes ?? 300);
  const draws = options.draws ?? 10;
  const torus = options.torus ?? false;
  const k = new Set(Array.from({ length: n }, (_, i) => labels[i]!)).size;
  if (!(k >= 1 && codes >= k && draws >= 1))
    throw new RangeError(`kmeansPairCountingF: need draws ≥ 1 and codes ≥ k ≥ 1, got ${codes} codes, k = ${k}`);
  const rng = new Rng(options.seed ?? 0);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const values: number[] = [];
  for (let r = 0; r < draws; r++) {
    // Partial Fisher–Yates: order[0..codes) is a uniform sample without replacement.
    for (let i = 0; i < codes; i++) {
      const j = i + rng.int(n - i);
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
    const zs = new Float64Array(codes * d);
    const ls = new Int32Array(codes);
    for (let i = 0; i < codes; i++) {
      const row = order[i]!;
      zs.set(z.subarray(row * d, (row + 1) * d), i * d);
      ls[i] = labels[row]!;
    }
    const km = kmeans(zs, codes, d, k, { seed: rng.int(2 ** 31), restarts: options.restarts ?? 10, torus });
    values.push(pairCountingF(ls, km.labels));
  }
  const mean = values.reduce((s, v) => s + v, 0) / draws;
  const sd = draws > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (draws - 1)) : 0;
  return { codes, draws, torus, k, mean, sd, values };
}
