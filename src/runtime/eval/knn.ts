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
export function squaredDistanceBlock(
  x: Float64Array,
  n: number,
  dim: number,
  start: number,
  end: number,
  out: Float64Array,
): void {
  for (let j = 0; j < n; j++) {
    const xj = j * dim;
    for (let i = start; i < end; i++) {
      const xi = i * dim;
      let s = 0;
      for (let c = 0; c < dim; c++) {
        const t = x[xi + c]! - x[xj + c]!;
        s += t * t;
      }
      out[(i - start) * n + j] = s;
    }
  }
}

/**
 * The k smallest entries of `row` (one point's distances to all others, `self` excluded), in
 * ascending (distance, index) order, written to idx[off..off+k) and, if given, dist[off..off+k).
 */
export function selectNearest(
  row: Float64Array,
  self: number,
  k: number,
  idx: Int32Array,
  off = 0,
  dist?: Float64Array,
): void {
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

/** 1-based rank of j among the other points in `row`: 1 + #{l ≠ self : (row[l], l) < (row[j], j)}. */
export function rankInRow(row: Float64Array, self: number, j: number): number {
  const v = row[j]!;
  let r = 1;
  for (let l = 0; l < row.length; l++) {
    const w = row[l]!;
    if (l !== self && (w < v || (w === v && l < j))) r++;
  }
  return r;
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
