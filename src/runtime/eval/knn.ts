/**
 * Brute-force nearest neighbours in row blocks: O(n²·dim) time, O(block·n) memory. Points are
 * rows of a row-major n×dim Float64Array. Ties in distance are broken by the smaller index, the
 * same order that `rankInRow` uses, so neighbour sets and ranks always agree.
 */

/** Rows per block so that a block of points stays in cache (≈256 KiB) and the buffer stays small. */
export function blockRows(dim: number, n: number): number {
  return Math.max(1, Math.min(n, 256, Math.max(16, Math.floor(32768 / Math.max(1, dim)))));
}

/**
 * Squared Euclidean distances from rows [start, end) of x to all n rows, written to
 * out[(i − start)·n + j]. The block rows are reused for every streamed row j (cache friendly).
 */
export function squaredDistanceBlock(x: Float64Array, n: number, dim: number, start: number, end: number, out: Float64Array): void {
  for (let j = 0; j < n; j++) {
    const xj = j * dim;
    for (let i = start; i < end; i++) {
      const xi = i * dim;
      // Four partial sums for instruction-level parallelism; the order is symmetric in (i, j).
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let c = 0;
      for (; c + 3 < dim; c += 4) {
        const t0 = x[xi + c]! - x[xj + c]!;
        const t1 = x[xi + c + 1]! - x[xj + c + 1]!;
        const t2 = x[xi + c + 2]! - x[xj + c + 2]!;
        const t3 = x[xi + c + 3]! - x[xj + c + 3]!;
        s0 += t0 * t0;
        s1 += t1 * t1;
        s2 += t2 * t2;
        s3 += t3 * t3;
      }
      for (; c < dim; c++) {
        const t = x[xi + c]! - x[xj + c]!;
        s0 += t * t;
      }
      out[(i - start) * n + j] = s0 + s1 + (s2 + s3);
    }
  }
}

/**
 * The k smallest entries of `row` (one point's distances to all others, `self` excluded), in
 * ascending (distance, index) order, written to idx[off..off+k) and, if given, dist[off..off+k).
 */
export function selectNearest(row: Float64Array, self: number, k: number, idx: Int32Array, off = 0, dist?: Float64Array): void {
  const best = new Float64Array(k).fill(Infinity);
  const bi = new Int32Array(k).fill(-1);
  for (let j = 0; j < row.length; j++) {
    const v = row[j]!;
    // j increases, so an equal distance never displaces an earlier (smaller) index.
    if (j === self || !(v < best[k - 1]! || bi[k - 1] === -1)) continue;
    let p = k - 1;
    while (p > 0 && (v < best[p - 1]! || bi[p - 1] === -1)) {
      best[p] = best[p - 1]!;
      bi[p] = bi[p - 1]!;
      p--;
    }
    best[p] = v;
    bi[p] = j;
  }
  idx.set(bi, off);
  dist?.set(best, off);
}

/**
 * 1-based ranks of the points `js` among the other points in `row`:
 * rank(j) = 1 + #{l ≠ self : (row[l], l) < (row[j], j)}, in one pass over the row.
 */
export function ranksInRow(row: Float64Array, self: number, js: readonly number[]): number[] {
  if (js.length === 0) return [];
  const before = (a: number, b: number): boolean => row[a]! < row[b]! || (row[a] === row[b] && a < b);
  const t = [...js].sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
  const last = t[t.length - 1]!;
  const bump = new Int32Array(t.length); // bump[p]: points ordered before t[p] but not before t[p − 1]
  for (let l = 0; l < row.length; l++) {
    if (l === self || !before(l, last)) continue;
    let lo = 0;
    let hi = t.length - 1; // first p with l before t[p]
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before(l, t[mid]!)) hi = mid;
      else lo = mid + 1;
    }
    bump[lo]!++;
  }
  const rank = new Map<number, number>();
  let r = 1;
  t.forEach((j, p) => rank.set(j, (r += bump[p]!)));
  return js.map((j) => rank.get(j)!);
}

/**
 * k nearest neighbours (Euclidean) of every row of x, excluding the point itself:
 * index[i·k + r] is the r-th nearest neighbour of i and dist[i·k + r] its distance.
 */
export function knn(x: Float64Array, n: number, dim: number, k: number): { index: Int32Array; dist: Float64Array } {
  if (!(k >= 1 && k < n)) throw new RangeError(`knn: need 1 ≤ k < n, got k = ${k}, n = ${n}`);
  const index = new Int32Array(n * k);
  const dist = new Float64Array(n * k);
  const b = blockRows(dim, n);
  const buf = new Float64Array(b * n);
  for (let start = 0; start < n; start += b) {
    const end = Math.min(n, start + b);
    squaredDistanceBlock(x, n, dim, start, end, buf);
    for (let i = start; i < end; i++) {
      selectNearest(buf.subarray((i - start) * n, (i - start + 1) * n), i, k, index, i * k, dist);
    }
  }
  for (let i = 0; i < dist.length; i++) dist[i] = Math.sqrt(dist[i]!);
  return { index, dist };
}
