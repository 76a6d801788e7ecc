/**
 * Small dense linear algebra for the evaluation metrics: cyclic Jacobi eigen-decomposition of a
 * symmetric matrix and one-sided Jacobi SVD of a square matrix. Matrices are row-major
 * Float64Arrays of d×d; d is expected to be small (latent dimension, a handful at most).
 */

/**
 * Eigen-decomposition A = V diag(λ) Vᵀ of a symmetric d×d matrix by cyclic Jacobi rotations.
 * Eigenvalues are sorted in descending order; `vectors` holds the matching unit eigenvectors as
 * columns (row-major d×d).
 */
export function symmetricEigen(a: ArrayLike<number>, d: number): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from({ length: d * d }, (_, i) => a[i] ?? NaN);
  const v = identity(d);
  let norm = 0;
  for (const x of m) norm += x * x;
  for (let sweep = 0; sweep < 64; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += m[p * d + q]! ** 2;
    if (off <= 1e-30 * norm) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = m[p * d + q]!;
        if (apq === 0) continue;
        const theta = (m[q * d + q]! - m[p * d + p]!) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        rotateColumns(m, d, d, p, q, c, s);
        for (let k = 0; k < d; k++) {
          const mp = m[p * d + k]!;
          const mq = m[q * d + k]!;
          m[p * d + k] = c * mp - s * mq;
          m[q * d + k] = s * mp + c * mq;
        }
        rotateColumns(v, d, d, p, q, c, s);
      }
    }
  }
  const order = Array.from({ length: d }, (_, i) => i).sort((i, j) => m[j * d + j]! - m[i * d + i]!);
  const values = Float64Array.from(order, (i) => m[i * d + i]!);
  const vectors = new Float64Array(d * d);
  order.forEach((src, dst) => {
    for (let k = 0; k < d; k++) vectors[k * d + dst] = v[k * d + src]!;
  });
  return { values, vectors };
}

/**
 * Singular value decomposition A = U diag(σ) Vᵀ of a square d×d matrix by one-sided (Hestenes)
 * Jacobi rotations. σ is sorted in descending order; U and V are orthogonal (columns belonging to
 * zero singular values are completed to an orthonormal basis).
 */
export function svd(a: ArrayLike<number>, d: number): { u: Float64Array; s: Float64Array; v: Float64Array } {
  const w = Float64Array.from({ length: d * d }, (_, i) => a[i] ?? NaN);
  const v = identity(d);
  for (let sweep = 0; sweep < 64; sweep++) {
    let rotated = false;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let k = 0; k < d; k++) {
          const wp = w[k * d + p]!;
          const wq = w[k * d + q]!;
          alpha += wp * wp;
          beta += wq * wq;
          gamma += wp * wq;
        }
        if (gamma === 0 || Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        rotateColumns(w, d, d, p, q, c, c * t);
        rotateColumns(v, d, d, p, q, c, c * t);
      }
    }
    if (!rotated) break;
  }
  const norms = Array.from({ length: d }, (_, j) => {
    let s = 0;
    for (let k = 0; k < d; k++) s += w[k * d + j]! ** 2;
    return Math.sqrt(s);
  });
  const order = Array.from({ length: d }, (_, i) => i).sort((i, j) => norms[j]! - norms[i]!);
  const s = Float64Array.from(order, (j) => norms[j]!);
  const u = new Float64Array(d * d);
  const vs = new Float64Array(d * d);
  const tiny = 1e-14 * (s[0] ?? 0);
  order.forEach((src, dst) => {
    for (let k = 0; k < d; k++) {
      u[k * d + dst] = s[dst]! > tiny ? w[k * d + src]! / s[dst]! : 0;
      vs[k * d + dst] = v[k * d + src]!;
    }
  });
  // Complete U where σ vanished: Gram–Schmidt of standard basis vectors against the columns so far.
  for (let j = 0; j < d; j++) {
    if (s[j]! > tiny) continue;
    for (let e = 0; e < d; e++) {
      const col = new Float64Array(d);
      col[e] = 1;
      for (let i = 0; i < d; i++) {
        if (i !== j && (s[i]! > tiny || i < j)) {
          let dot = 0;
          for (let k = 0; k < d; k++) dot += u[k * d + i]! * col[k]!;
          for (let k = 0; k < d; k++) col[k] = col[k]! - dot * u[k * d + i]!;
        }
      }
      const len = Math.hypot(...col);
      if (len > 1e-6) {
        for (let k = 0; k < d; k++) u[k * d + j] = col[k]! / len;
        break;
      }
    }
  }
  return { u, s, v: vs };
}

/** Condition number λmax/λmin of a symmetric positive-definite d×d matrix (Infinity if λmin ≤ 0). */
export function conditionNumber(g: ArrayLike<number>, d: number): number {
  const { values } = symmetricEigen(g, d);
  const max = values[0]!;
  const min = values[d - 1]!;
  return min > 0 ? max / min : Infinity;
}

/** Inverse of a d×d matrix by Gauss–Jordan elimination with partial pivoting. */
export function inverse(a: ArrayLike<number>, d: number): Float64Array {
  return inverseAndDeterminant(a, d).inv;
}

/** A⁻¹ and det A by Gauss–Jordan elimination with partial pivoting (det = ± the pivots' product). */
export function inverseAndDeterminant(a: ArrayLike<number>, d: number): { inv: Float64Array; det: number } {
  const m = Float64Array.from({ length: d * d }, (_, i) => a[i] ?? NaN);
  const inv = identity(d);
  let det = 1;
  for (let col = 0; col < d; col++) {
    let piv = col;
    for (let r = col + 1; r < d; r++) if (Math.abs(m[r * d + col]!) > Math.abs(m[piv * d + col]!)) piv = r;
    if (piv !== col) {
      swapRows(m, d, piv, col);
      swapRows(inv, d, piv, col);
      det = -det;
    }
    const p = m[col * d + col]!;
    det *= p;
    for (let k = 0; k < d; k++) {
      m[col * d + k] = m[col * d + k]! / p;
      inv[col * d + k] = inv[col * d + k]! / p;
    }
    for (let r = 0; r < d; r++) {
      if (r === col) continue;
      const f = m[r * d + col]!;
      if (f === 0) continue;
      for (let k = 0; k < d; k++) {
        m[r * d + k] = m[r * d + k]! - f * m[col * d + k]!;
        inv[r * d + k] = inv[r * d + k]! - f * inv[col * d + k]!;
      }
    }
  }
  return { inv, det };
}

function identity(d: number): Float64Array {
  const m = new Float64Array(d * d);
  for (let i = 0; i < d; i++) m[i * d + i] = 1;
  return m;
}

/** Columns p, q of a rows×cols matrix ← (c·col_p − s·col_q, s·col_p + c·col_q). */
function rotateColumns(m: Float64Array, rows: number, cols: number, p: number, q: number, c: number, s: number): void {
  for (let k = 0; k < rows; k++) {
    const mp = m[k * cols + p]!;
    const mq = m[k * cols + q]!;
    m[k * cols + p] = c * mp - s * mq;
    m[k * cols + q] = s * mp + c * mq;
  }
}

function swapRows(m: Float64Array, d: number, i: number, j: number): void {
  for (let k = 0; k < d; k++) {
    const t = m[i * d + k]!;
    m[i * d + k] = m[j * d + k]!;
    m[j * d + k] = t;
  }
}
