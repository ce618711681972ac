// Small dense solves of the rank-given methods: r×r normal equations (altmin's per-row least squares) and the
// r²×r² Sylvester system of gnmr's null-space shift. Sizes are at most a few hundred, so plain O(n³) elimination.

/**
 * The solution x of A x = b for a square n×n row-major A, by Gaussian elimination with partial pivoting. A and b
 * are left unchanged. Throws a RangeError when A is singular to working precision. Cost (2/3)n³.
 */
export function solveLinear(A: Float64Array, n: number, b: Float64Array): Float64Array {
  const M = Float64Array.from(A);
  const x = Float64Array.from(b);
  let scale = 0;
  for (let i = 0; i < M.length; i++) scale = Math.max(scale, Math.abs(M[i]));
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(M[i * n + k]) > Math.abs(M[p * n + k])) p = i;
    const pivot = M[p * n + k];
    if (!(Math.abs(pivot) > 1e-300 + 1e-15 * scale))
      throw new RangeError(`solveLinear: the ${n}×${n} matrix is singular`);
    if (p !== k) {
      for (let j = 0; j < n; j++) {
        const t = M[k * n + j];
        M[k * n + j] = M[p * n + j];
        M[p * n + j] = t;
      }
      const t = x[k];
      x[k] = x[p];
      x[p] = t;
    }
    for (let i = k + 1; i < n; i++) {
      const f = M[i * n + k] / pivot;
      if (f === 0) continue;
      for (let j = k; j < n; j++) M[i * n + j] -= f * M[k * n + j];
      x[i] -= f * x[k];
    }
  }
  for (let k = n - 1; k >= 0; k--) {
    let s = x[k];
    for (let j = k + 1; j < n; j++) s -= M[k * n + j] * x[j];
    x[k] = s / M[k * n + k];
  }
  return x;
}

/**
 * Solve G x = b in place (b becomes x) for a symmetric positive semi-definite r×r G (row-major, overwritten by its
 * Cholesky factor), with the ridge `ridge`·I added first so that a rank-deficient G (a row seen fewer than r
 * times) still gives a finite answer. Returns false when even the ridged G is not positive definite. Cost r³/3.
 */
export function choleskySolveInPlace(
  G: Float64Array,
  r: number,
  b: Float64Array,
  bOffset: number,
  ridge: number,
): boolean {
  for (let i = 0; i < r; i++) G[i * r + i] += ridge;
  for (let j = 0; j < r; j++) {
    let d = G[j * r + j];
    for (let k = 0; k < j; k++) d -= G[j * r + k] * G[j * r + k];
    if (!(d > 0)) return false;
    const l = Math.sqrt(d);
    G[j * r + j] = l;
    for (let i = j + 1; i < r; i++) {
      let s = G[i * r + j];
      for (let k = 0; k < j; k++) s -= G[i * r + k] * G[j * r + k];
      G[i * r + j] = s / l;
    }
  }
  for (let i = 0; i < r; i++) {
    let s = b[bOffset + i];
    for (let k = 0; k < i; k++) s -= G[i * r + k] * b[bOffset + k];
    b[bOffset + i] = s / G[i * r + i];
  }
  for (let i = r - 1; i >= 0; i--) {
    let s = b[bOffset + i];
    for (let k = i + 1; k < r; k++) s -= G[k * r + i] * b[bOffset + k];
    b[bOffset + i] = s / G[i * r + i];
  }
  return true;
}
