/**
 * Landmark Isomap: a d-dimensional chart of the training data from geodesic distances along its
 * k-nearest-neighbour graph. The `loss.isomap` term of the trainer pulls each code toward its row of
 * this chart (the geometry-regularised autoencoder's anchor), which fixes the gauge that curvature
 * and isometry leave free: R and JᵀJ ≈ cI hold for a spiral chart of the Swiss roll as well as for
 * the unrolled one, while graph geodesics only fit the unrolled one.
 *
 * Steps (all deterministic):
 *   1. the symmetrised k-NN graph, edges weighted by Euclidean length;
 *   2. landmarks by farthest-point sampling, starting at row 0, with Dijkstra from each landmark;
 *   3. classical MDS of the landmarks' squared geodesic distances Δ: B = −½ H Δ H (H centring), its
 *      top d eigenpairs (λ_k, v_k) by cyclic Jacobi;
 *   4. every point by landmark triangulation: y_k(i) = −(v_k · (δ_i − δ̄)) / (2√λ_k), with δ_i the
 *      squared distances from point i to the landmarks and δ̄ the landmarks' mean row of Δ.
 * The chart keeps the data's units: its distances approximate geodesic distances.
 */
import { UserError } from "../../util/errors.js";
import { knn } from "../eval/knn.js";

export interface IsomapOptions {
  neighbours: number;
  landmarks: number;
  dim: number;
}

/** Symmetrised k-NN graph as adjacency lists (CSR). */
export interface Graph {
  start: Int32Array;
  target: Int32Array;
  length: Float64Array;
}

export function knnGraph(x: Float64Array, n: number, dim: number, k: number): Graph {
  const { index, dist } = knn(x, n, dim, k);
  const edges = new Map<number, number>(); // key i·n + j (i < j) → length
  for (let i = 0; i < n; i++)
    for (let r = 0; r < k; r++) {
      const j = index[i * k + r]!;
      edges.set(i < j ? i * n + j : j * n + i, dist[i * k + r]!);
    }
  const degree = new Int32Array(n + 1);
  for (const key of edges.keys()) {
    degree[Math.floor(key / n) + 1]!++;
    degree[(key % n) + 1]!++;
  }
  for (let i = 0; i < n; i++) degree[i + 1]! += degree[i]!;
  const fill = degree.slice(0, n);
  const target = new Int32Array(degree[n]!);
  const length = new Float64Array(degree[n]!);
  for (const [key, len] of edges) {
    const i = Math.floor(key / n);
    const j = key % n;
    target[fill[i]!] = j;
    length[fill[i]!++] = len;
    target[fill[j]!] = i;
    length[fill[j]!++] = len;
  }
  return { start: degree, target, length };
}

/** Geodesic distances from `source` along the graph (Dijkstra, binary heap); Infinity if unreachable. */
export function graphDistances(g: Graph, source: number): Float64Array {
  const n = g.start.length - 1;
  const d = new Float64Array(n).fill(Infinity);
  const heapNode: number[] = [];
  const heapKey: number[] = [];
  const push = (v: number, key: number): void => {
    let i = heapNode.length;
    heapNode.push(v);
    heapKey.push(key);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heapKey[parent]! <= key) break;
      heapNode[i] = heapNode[parent]!;
      heapKey[i] = heapKey[parent]!;
      i = parent;
    }
    heapNode[i] = v;
    heapKey[i] = key;
  };
  const pop = (): number => {
    const top = heapNode[0]!;
    const lastNode = heapNode.pop()!;
    const lastKey = heapKey.pop()!;
    const size = heapNode.length;
    if (size > 0) {
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= size) break;
        if (c + 1 < size && heapKey[c + 1]! < heapKey[c]!) c++;
        if (heapKey[c]! >= lastKey) break;
        heapNode[i] = heapNode[c]!;
        heapKey[i] = heapKey[c]!;
        i = c;
      }
      heapNode[i] = lastNode;
      heapKey[i] = lastKey;
    }
    return top;
  };
  d[source] = 0;
  push(source, 0);
  const done = new Uint8Array(n);
  while (heapNode.length) {
    const u = pop();
    if (done[u]) continue;
    done[u] = 1;
    for (let e = g.start[u]!; e < g.start[u + 1]!; e++) {
      const v = g.target[e]!;
      const nd = d[u]! + g.length[e]!;
      if (nd < d[v]!) {
        d[v] = nd;
        push(v, nd);
      }
    }
  }
  return d;
}

/** Eigenpairs of a symmetric L×L matrix (row-major, destroyed) by cyclic Jacobi, descending. */
export function symmetricEigen(a: Float64Array, L: number): { values: Float64Array; vectors: Float64Array } {
  const v = new Float64Array(L * L);
  for (let i = 0; i < L; i++) v[i * L + i] = 1;
  const scale = Math.max(1e-300, Math.sqrt(a.reduce((s, x) => s + x * x, 0)));
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < L; p++) for (let q = p + 1; q < L; q++) off += a[p * L + q]! ** 2;
    if (Math.sqrt(off) <= 1e-14 * scale) break;
    for (let p = 0; p < L - 1; p++)
      for (let q = p + 1; q < L; q++) {
        const apq = a[p * L + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * L + q]! - a[p * L + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < L; k++) {
          const akp = a[k * L + p]!;
          const akq = a[k * L + q]!;
          a[k * L + p] = c * akp - s * akq;
          a[k * L + q] = s * akp + c * akq;
        }
        for (let k = 0; k < L; k++) {
          const apk = a[p * L + k]!;
          const aqk = a[q * L + k]!;
          a[p * L + k] = c * apk - s * aqk;
          a[q * L + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < L; k++) {
          const vkp = v[k * L + p]!;
          const vkq = v[k * L + q]!;
          v[k * L + p] = c * vkp - s * vkq;
          v[k * L + q] = s * vkp + c * vkq;
        }
      }
  }
  const order = Array.from({ length: L }, (_, i) => i).sort((i, j) => a[j * L + j]! - a[i * L + i]!);
  const values = Float64Array.from(order, (i) => a[i * L + i]!);
  const vectors = new Float64Array(L * L); // column k = eigenvector k
  order.forEach((col, k) => {
    for (let r = 0; r < L; r++) vectors[r * L + k] = v[r * L + col]!;
  });
  return { values, vectors };
}

/** n × dim chart (row-major) of the rows of x (n × D) by landmark Isomap; see the module comment. */
export function isomapChart(x: Float64Array, n: number, D: number, opts: IsomapOptions): Float64Array {
  const { dim } = opts;
  const k = Math.min(opts.neighbours, n - 1);
  const L = Math.min(opts.landmarks, n);
  if (L <= dim) throw new UserError("loss.isomap.landmarks", `needs more than ${dim} landmarks (latent dimension), got ${L}`);
  const graph = knnGraph(x, n, D, k);
  const landmarks: number[] = [];
  const rows: Float64Array[] = [];
  const nearest = new Float64Array(n).fill(Infinity);
  let next = 0;
  for (let l = 0; l < L; l++) {
    const dl = graphDistances(graph, next);
    if (l === 0 && dl.some((v) => v === Infinity))
      throw new UserError(
        "loss.isomap.neighbours",
        `the ${k}-nearest-neighbour graph of the training data is not connected: raise neighbours (or clean the data)`,
      );
    landmarks.push(next);
    rows.push(dl);
    let far = -1;
    for (let i = 0; i < n; i++) {
      nearest[i] = Math.min(nearest[i]!, dl[i]!);
      if (far < 0 || nearest[i]! > nearest[far]!) far = i;
    }
    next = far;
  }
  // Landmark squared distances Δ, doubly centred.
  const delta = new Float64Array(L * L);
  for (let a = 0; a < L; a++) for (let b = 0; b < L; b++) delta[a * L + b] = rows[a]![landmarks[b]!]! ** 2;
  const rowMean = new Float64Array(L);
  for (let a = 0; a < L; a++) for (let b = 0; b < L; b++) rowMean[a]! += delta[a * L + b]! / L;
  const all = rowMean.reduce((s, v) => s + v, 0) / L;
  const B = new Float64Array(L * L);
  for (let a = 0; a < L; a++) for (let b = 0; b < L; b++) B[a * L + b] = -0.5 * (delta[a * L + b]! - rowMean[a]! - rowMean[b]! + all);
  const { values, vectors } = symmetricEigen(B, L);
  const y = new Float64Array(n * dim);
  for (let c = 0; c < dim; c++) {
    const lambda = values[c]!;
    if (!(lambda > 1e-12 * Math.abs(values[0]!)))
      throw new UserError("loss.isomap", `the geodesic distances span fewer than ${dim} dimensions (eigenvalue ${c + 1} is ${lambda})`);
    // Sign convention: the landmark coefficient of largest magnitude is positive.
    let big = 0;
    for (let a = 0; a < L; a++) if (Math.abs(vectors[a * L + c]!) > Math.abs(vectors[big * L + c]!)) big = a;
    const sign = vectors[big * L + c]! < 0 ? -1 : 1;
    const f = -sign / (2 * Math.sqrt(lambda));
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let a = 0; a < L; a++) s += vectors[a * L + c]! * (rows[a]![i]! ** 2 - rowMean[a]!);
      y[i * dim + c] = f * s;
    }
  }
  for (let c = 0; c < dim; c++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += y[i * dim + c]! / n;
    for (let i = 0; i < n; i++) y[i * dim + c]! -= mean;
  }
  return y;
}
