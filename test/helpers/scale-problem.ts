// The scale problem (bench/scale.ts, and its small version in test/integration/complete-search.test.ts): an
// m × n matrix (A·Bᵀ)/√r with A, B of N(0, 1) entries, plus N(0, σ²) noise on `ratings` distinct uniform cells;
// and its oracle noise floor (the Bayes predictor told B and the prior of the rows).
import { createRng } from '../../src/random/index.ts';

/** A generated problem: the factors, and the observed cells with their noisy values and noiseless truth. */
export interface ScaleProblem {
  m: number;
  n: number;
  r: number;
  sigma: number;
  /** m×r and n×r row-major factors. */
  A: Float64Array;
  B: Float64Array;
  rows: Int32Array;
  cols: Int32Array;
  values: Float64Array;
  truth: Float64Array;
}

/**
 * Draws A, B (N(0, 1)), then `ratings` distinct cells uniformly (a hash set of i·n + j) with value
 * (A_i·B_j)/√r + σ·N(0, 1), all from one seed. Cost O(ratings·r) and a set of `ratings` numbers.
 */
export function scaleProblem(o: {
  m: number;
  n: number;
  r: number;
  sigma: number;
  ratings: number;
  seed: number;
}): ScaleProblem {
  const { m, n, r, sigma, ratings } = o;
  const rng = createRng(o.seed);
  const A = Float64Array.from({ length: m * r }, () => rng.normal());
  const B = Float64Array.from({ length: n * r }, () => rng.normal());
  const seen = new Set<number>();
  const rows = new Int32Array(ratings);
  const cols = new Int32Array(ratings);
  const values = new Float64Array(ratings);
  const truth = new Float64Array(ratings);
  let t = 0;
  while (t < ratings) {
    const i = rng.int(m);
    const j = rng.int(n);
    if (seen.has(i * n + j)) continue;
    seen.add(i * n + j);
    let z = 0;
    for (let c = 0; c < r; c++) z += A[i * r + c] * B[j * r + c];
    truth[t] = z / Math.sqrt(r);
    values[t] = truth[t] + sigma * rng.normal();
    rows[t] = i;
    cols[t] = j;
    t++;
  }
  return { m, n, r, sigma, A, B, rows, cols, values, truth };
}

/** The oracle on a query: its expected test MSE (the floor), its actual test RMSE, and the floor as an RMSE. */
export interface OracleFloor {
  /** σ² + mean over the query of b_jᵀ P_i⁻¹ b_j / r: the expected test MSE given B and the sampled cells. */
  expectedMSE: number;
  /** sqrt(expectedMSE): no method's expected test RMSE on this generator can be lower (see oracleFloor). */
  floorRMSE: number;
  /** The oracle's own test RMSE against the noisy held-out values. */
  rmse: number;
}

/**
 * The Bayes predictor told the true column factors B, σ and the prior a_i ~ N(0, I_r) of the rows. Given B the
 * rows are independent: y_ij = a_i·b_j/√r + e_ij, so the posterior of a_i is Gaussian with precision
 * P_i = I + Σ_{j∈Ω_i} b_j b_jᵀ/(rσ²) and mean P_i⁻¹ Σ_{j∈Ω_i} b_j y_ij/(√r σ²), and on a held-out (i, j) its
 * prediction μ_i·b_j/√r has expected squared error σ² + b_jᵀ P_i⁻¹ b_j / r. The posterior mean given (data, B)
 * minimises the expected squared error among all functions of (data, B), hence among all functions of the data: any
 * method's expected test MSE on this generator, conditional on B and the sampled cells, is at least expectedMSE.
 * `train` are the cells the method sees (training and its own validation split); `query` the held-out ones.
 * Cost O(|train|·r² + m·r³ + |query|·r²).
 */
export function oracleFloor(
  p: ScaleProblem,
  train: { rows: ArrayLike<number>; cols: ArrayLike<number>; values: ArrayLike<number> },
  query: { rows: ArrayLike<number>; cols: ArrayLike<number>; values: ArrayLike<number> },
): OracleFloor {
  const { m, r, sigma, B } = p;
  const rr = r * r;
  const P = new Float64Array(m * rr);
  const h = new Float64Array(m * r);
  for (let i = 0; i < m; i++) for (let c = 0; c < r; c++) P[i * rr + c * r + c] = 1;
  const w = 1 / (r * sigma * sigma);
  const v = 1 / (Math.sqrt(r) * sigma * sigma);
  for (let t = 0; t < train.values.length; t++) {
    const i = train.rows[t];
    const j = train.cols[t];
    const y = train.values[t];
    for (let c = 0; c < r; c++) {
      const bc = B[j * r + c];
      h[i * r + c] += bc * y * v;
      for (let d = 0; d <= c; d++) P[i * rr + c * r + d] += bc * B[j * r + d] * w;
    }
  }
  // Cholesky P_i = L Lᵀ in place (lower triangle), then the posterior mean μ_i = P_i⁻¹ h_i.
  const mu = new Float64Array(m * r);
  const x = new Float64Array(r);
  for (let i = 0; i < m; i++) {
    const o = i * rr;
    for (let c = 0; c < r; c++) {
      for (let d = 0; d <= c; d++) {
        let s = P[o + c * r + d];
        for (let e = 0; e < d; e++) s -= P[o + c * r + e] * P[o + d * r + e];
        P[o + c * r + d] = c === d ? Math.sqrt(s) : s / P[o + d * r + d];
      }
    }
    solveCholesky(P, o, r, h.subarray(i * r, (i + 1) * r), x);
    mu.set(x, i * r);
  }
  let variance = 0;
  let sse = 0;
  const b = new Float64Array(r);
  for (let t = 0; t < query.values.length; t++) {
    const i = query.rows[t];
    const j = query.cols[t];
    for (let c = 0; c < r; c++) b[c] = B[j * r + c];
    // b_jᵀ P_i⁻¹ b_j = ||L⁻¹ b_j||²: forward substitution only.
    for (let c = 0; c < r; c++) {
      let s = b[c];
      for (let e = 0; e < c; e++) s -= P[i * rr + c * r + e] * x[e];
      x[c] = s / P[i * rr + c * r + c];
    }
    let q = 0;
    let z = 0;
    for (let c = 0; c < r; c++) {
      q += x[c] * x[c];
      z += mu[i * r + c] * b[c];
    }
    variance += q / r;
    sse += (z / Math.sqrt(r) - query.values[t]) ** 2;
  }
  const count = query.values.length;
  const expectedMSE = sigma * sigma + variance / count;
  return { expectedMSE, floorRMSE: Math.sqrt(expectedMSE), rmse: Math.sqrt(sse / count) };
}

/** Solves (L Lᵀ) x = y for the Cholesky factor stored in the lower triangle of P[o..o+r²). Cost O(r²). */
function solveCholesky(P: Float64Array, o: number, r: number, y: ArrayLike<number>, x: Float64Array): void {
  for (let c = 0; c < r; c++) {
    let s = y[c];
    for (let e = 0; e < c; e++) s -= P[o + c * r + e] * x[e];
    x[c] = s / P[o + c * r + c];
  }
  for (let c = r - 1; c >= 0; c--) {
    let s = x[c];
    for (let e = c + 1; e < r; e++) s -= P[o + e * r + c] * x[e];
    x[c] = s / P[o + c * r + c];
  }
}
