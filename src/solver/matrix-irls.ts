// MatrixIRLS (Kümmerle & Verdun, "A Scalable Second Order Method for Ill-Conditioned Matrix Completion from Few
// Samples", ICML 2021, arXiv 2106.02739, Algorithm 1), in the rank-given form of the paper's experiments: iteratively
// reweighted least squares on the smoothed log-det objective Σ_i log max(σ_i(X), ε) + ½(min(σ_i, ε)²/ε² − 1) with
// the data P_Ω(X) = y as a constraint. From W^(0) = Id and ε_0 = ∞, iteration k = 1, 2, … does
//   1. X^(k) = argmin { ⟨X, W^(k−1)(X)⟩ : P_Ω(X) = y }                      (weighted least squares; X^(1) = P_Ω*(y))
//   2. ε_k = min(ε_{k−1}, σ_{r+1}(X^(k)))                                   (smoothing, r the given rank)
//   3. r_k = #{i : σ_i(X^(k)) > ε_k}; U_k, V_k, σ_1..σ_{r_k} the top singular triplets; the weight operator
//      W^(k)(Z) = Ū [H ∘ (Ūᵀ Z V̄)] V̄ᵀ on full orthonormal bases Ū = [U_k U_⊥], V̄ = [V_k V_⊥] with
//      H_ij = 1 / (max(σ_i, ε_k)·max(σ_j, ε_k))  (σ_i = 0 past r_k: the geometric-mean weights, optimal for p = 0).
//
// The step, matrix-free (the paper's Appendix A, derived here in the form this file uses). Scale W by ε² so that
// W⁻¹ = I + P_Tᵀ D P_T: the identity off the tangent space T_k = {U_k M V_kᵀ + A V_kᵀ + U_k Bᵀ}, and on T_k's
// coordinates γ = (M r_k×r_k, A n₁×r_k ⊥ U_k, B n₂×r_k ⊥ V_k) (an isometry: the three parts are orthogonal) the
// extra D with D_M,ij = σ_iσ_j/ε² − 1 and D_A,·j = D_B,·j = σ_j/ε − 1. The minimizer is X = W⁻¹P_Ω*(P_Ω W⁻¹ P_Ω*)⁻¹ y,
// and the Woodbury identity turns the |Ω|×|Ω| system into one on T_k:
//     (D⁻¹ + P_T P_Ω* P_Ω P_Tᵀ) γ = P_T P_Ω*(y),   s = y − P_Ω(P_Tᵀ γ),   X^(k) = P_Tᵀ γ + P_Ω*(s),
// with D⁻¹ = ε²/(σ_iσ_j − ε²) on M and ε/(σ_j − ε) on column j of A and of B. It is symmetric positive definite of
// size r_k(n₁ + n₂ + r_k) (extrinsic coordinates, as the authors' default) and solved by conjugate gradients with
// the diagonal preconditioner (1 + D⁻¹)⁻¹, started (as in the authors' code) from the previous iterate's projection
// P_T(X^(k−1)), so that the relative tolerance applies to the correction and does not cap the accuracy.
//
// Nothing n₁×n₂ is formed: an iterate is kept as L·Rᵀ + P_Ω*(s) with L = [U M + A, U], R = [V, B] (rank ≤ 2r_k),
// one application of the CG operator costs O(|Ω|·r_k + (n₁+n₂)·r_k²), and the top singular triplets of X^(k) come
// from a randomized block Krylov method (Musco & Musco, NeurIPS 2015; the authors use it too) that only multiplies
// X^(k) and X^(k)ᵀ by blocks: O(q·(|Ω| + (n₁+n₂)·r_k)·b) for q steps of block size b, plus a QR and an SVD of an
// n×qb matrix.
//
// Stop rules (the authors' MatrixIRLS.m): the relative change ||X^(k) − X^(k−1)||_F ≤ changeTol·||X^(k)||_F (exact,
// computed in factored form, not the authors' cheaper proxy), ε_k at its floor epsMin, no singular value above ε_k,
// or maxIters; and, not in the authors' code and off by default, the relative residual on Ω of the returned estimate
// at most tol. Every iterate fits the data exactly, so its own residual cannot serve as a stop rule.
//
// What is returned: the best rank-r approximation of the last iterate X^(k), as balanced factors U = U_r√Σ_r,
// V = V_r√Σ_r from the same Krylov SVD that set the weights (X^(k) itself has rank up to 2r_k plus a sparse part; the
// authors return it whole). The given rank r is what the method knows, a rank-given method outputs factors (like
// the other rank-given solvers), and the truncation loses at most a factor 2 against X^(k) (Eckart–Young: X_r is at
// least as close to X^(k) as the rank-r truth is); measured at n = 1000, r = 5, the two agree to rounding (relative
// errors 6.5e-15 and 6.3e-15, 5.04e-14 and 5.04e-14).
import { identity, zeros, type Matrix } from '../linalg/matrix.ts';
import { getBackend, type Backend } from '../linalg/backend.ts';
import type { SVD, SvdWorkspace } from '../linalg/svd.ts';
import { sparseTimes, sparseTransposeTimes } from '../linalg/sparse.ts';
import { deriveRng, type Rng } from '../random/index.ts';
import type { Observations } from '../data/observations.ts';
import { runToStop, type StopReason } from './loop.ts';
import { checkRank, relativeResidual, type Factors } from './factors.ts';
import { MATRIX_IRLS_DEFAULTS } from '../defaults.ts';

/** A matrix held as L·Rᵀ + P_Ω*(s): L n₁×c, R n₂×c (c may be 0) and s the values of a sparse part on Ω. */
export interface LowRankPlusSparse {
  L: Matrix;
  R: Matrix;
  s: Float64Array;
}

/** What defines the weight operator W^(k): the top r_k singular vectors and values of X^(k) and ε_k (all σ > ε). */
export interface IrlsWeights {
  U: Matrix;
  V: Matrix;
  sigma: Float64Array;
  eps: number;
}

/** A matrix given only by its products with blocks of vectors (for topSingularTriplets). */
export interface BlockOperator {
  readonly rows: number;
  readonly cols: number;
  /** A·B for a cols×b block B. */
  times(B: Matrix): Matrix;
  /** Aᵀ·B for a rows×b block B. */
  transposeTimes(B: Matrix): Matrix;
}

/** One MatrixIRLS iteration as reported to onProgress (iterate, U and V are live: copy to keep them). */
export interface MatrixIrlsProgress {
  step: number;
  maxIters: number;
  /** ||P_Ω(UVᵀ) − y|| / ||y|| of the rank-r truncation UVᵀ of the iterate. */
  residual: number;
  /** ||X^(k) − X^(k−1)||_F / ||X^(k)||_F (NaN at the first iteration). */
  relChange: number;
  /** The smoothing ε_k. */
  eps: number;
  /** r_k, the number of singular values above ε_k (the rank of the next tangent space; at the last iteration counted
   * only among the r + 1 or r_{k−1} + 1 triplets computed). */
  rank: number;
  cgIterations: number;
  /** X^(k) = L·Rᵀ + P_Ω*(s). */
  iterate: LowRankPlusSparse;
  U: Matrix;
  V: Matrix;
}

/** Settings of matrixIrls (every default in MATRIX_IRLS_DEFAULTS: the authors' settings for their benchmark). */
export interface MatrixIrlsOptions {
  /** The given rank r: it sets the smoothing ε_k = min(ε_{k−1}, σ_{r+1}) and the rank of the returned estimate. */
  rank: number;
  /** Outer iterations (default 400). */
  maxIters?: number;
  /** Stop when the relative residual on Ω of the rank-r estimate is at most this (default 0: off). */
  tol?: number;
  /** Stop when ||X^(k) − X^(k−1)||_F ≤ changeTol·||X^(k)||_F (default 1e-9). */
  changeTol?: number;
  /** Conjugate gradients: stop at a residual ≤ cgTol times the initial one (default 1e-9), or after cgMaxIters (500). */
  cgTol?: number;
  cgMaxIters?: number;
  /** Block Krylov steps of each partial SVD (default 20). */
  svdIters?: number;
  /** The floor of ε_k; reaching it stops the run (default 1e-15). */
  epsMin?: number;
  /** Seed of the Krylov SVD's random start blocks (default 0). */
  seed?: number;
  backend?: Backend;
  signal?: AbortSignal;
  onProgress?: (event: MatrixIrlsProgress) => void;
}

/** What matrixIrls returns: the rank-r truncation of the last iterate as factors U n₁×r, V n₂×r (X ≈ UVᵀ). */
export interface MatrixIrlsResult extends Factors {
  iterations: number;
  /** ||P_Ω(UVᵀ) − y|| / ||y|| of the returned factors. */
  residual: number;
  /** The same after each iteration (length iterations). */
  residualHistory: number[];
  /** ε_k after each iteration. */
  epsHistory: number[];
  /** Conjugate-gradient iterations over all outer iterations. */
  cgIterations: number;
  /**
   * 'tolerance': the relative change ≤ changeTol, ε_k at epsMin, no singular value above ε_k, or residual ≤ tol;
   * 'stall': a non-finite iterate (the previous one is returned); 'max-iters'; 'interrupted'.
   */
  stopReason: StopReason;
  seconds: number;
}

// ---- products with L·Rᵀ + P_Ω*(s) ----------------------------------------------------------------------------------

/** X·B for X = L·Rᵀ + P_Ω*(s) and an n₂×b block B. Cost O((n₁+n₂)·c·b + |Ω|·b). */
export function iterateTimes(X: LowRankPlusSparse, obs: Observations, B: Matrix, backend: Backend): Matrix {
  const out = zeros(obs.shape[0], B.cols);
  sparseTimes(obs, X.s, B, out);
  if (X.L.cols > 0) backend.gemm(X.L, backend.gemm(X.R, B, { transA: true }), { beta: 1, out });
  return out;
}

/** Xᵀ·B for X = L·Rᵀ + P_Ω*(s) and an n₁×b block B. Cost O((n₁+n₂)·c·b + |Ω|·b). */
export function iterateTransposeTimes(X: LowRankPlusSparse, obs: Observations, B: Matrix, backend: Backend): Matrix {
  const out = zeros(obs.shape[1], B.cols);
  sparseTransposeTimes(obs, X.s, B, out);
  if (X.L.cols > 0) backend.gemm(X.R, backend.gemm(X.L, B, { transA: true }), { beta: 1, out });
  return out;
}

/** (L·Rᵀ)_{ij} for every (i, j) of Ω, into out. Cost O(|Ω|·c). */
function sampleLowRank(L: Matrix, R: Matrix, obs: Observations, out: Float64Array): Float64Array {
  const c = L.cols;
  const l = L.data;
  const rr = R.data;
  for (let t = 0; t < out.length; t++) {
    const a = obs.rows[t] * c;
    const b = obs.cols[t] * c;
    let z = 0;
    for (let q = 0; q < c; q++) z += l[a + q] * rr[b + q];
    out[t] = z;
  }
  return out;
}

/**
 * ||L·Rᵀ + P_Ω*(s)||_F without forming the matrix: ||LRᵀ||² from thin QRs (L = Q_L R_L, R = Q_R R_R, ||LRᵀ|| =
 * ||R_L R_Rᵀ||, so a difference of two nearby iterates keeps its relative accuracy), minus its part on Ω, plus
 * ||P_Ω(LRᵀ) + s||². Cost O((n₁+n₂)·c² + |Ω|·c).
 */
export function lowRankPlusSparseNorm(X: LowRankPlusSparse, obs: Observations, backend: Backend): number {
  let low2 = 0;
  const a = new Float64Array(X.s.length);
  if (X.L.cols > 0) {
    const core = backend.gemm(backend.qr(X.L).R, backend.qr(X.R).R, { transB: true });
    for (const v of core.data) low2 += v * v;
    sampleLowRank(X.L, X.R, obs, a);
  }
  let total = low2;
  for (let t = 0; t < a.length; t++) total += (a[t] + X.s[t]) ** 2 - a[t] * a[t];
  return Math.sqrt(Math.max(0, total));
}

/** X − Y in the same form: [L_X, L_Y]·[R_X, −R_Y]ᵀ + P_Ω*(s_X − s_Y). Cost O((n₁+n₂)·c + |Ω|). */
function difference(X: LowRankPlusSparse, Y: LowRankPlusSparse): LowRankPlusSparse {
  const side = (A: Matrix, B: Matrix, sign: number): Matrix => {
    const c = A.cols + B.cols;
    const out = zeros(A.rows, c);
    for (let i = 0; i < A.rows; i++) {
      for (let q = 0; q < A.cols; q++) out.data[i * c + q] = A.data[i * A.cols + q];
      for (let q = 0; q < B.cols; q++) out.data[i * c + A.cols + q] = sign * B.data[i * B.cols + q];
    }
    return out;
  };
  const s = new Float64Array(X.s.length);
  for (let t = 0; t < s.length; t++) s[t] = X.s[t] - Y.s[t];
  return { L: side(X.L, Y.L, 1), R: side(X.R, Y.R, -1), s };
}

// ---- the partial SVD -------------------------------------------------------------------------------------------------

/** The Q of a thin QR of A (orthonormal columns spanning range(A), even when A is rank-deficient). */
function orth(A: Matrix, backend: Backend): Matrix {
  return backend.qr(A).Q;
}

/**
 * The top k singular triplets of A, by randomized block Krylov iteration (Musco & Musco 2015): on the shorter side
 * (length n), K = [(AᵀA)Π, (AᵀA)²Π, …, (AᵀA)^qΠ] from a Gaussian n×k block Π, each block orthonormalized, Q = orth(K),
 * and the SVD of A·Q (Rayleigh–Ritz) gives the triplets. When qk ≥ n, Q = I and the SVD is exact. Only products of
 * A and Aᵀ with blocks are used: 2q products with n×k blocks and one with an n×qk block, plus a QR of n×qk and an
 * SVD of the long side × qk matrix on the backend (its workspace cached in `workspaces`).
 */
export function topSingularTriplets(
  A: BlockOperator,
  k: number,
  opts: { iters: number; rng: Rng; backend?: Backend; workspaces?: Map<string, SvdWorkspace> },
): SVD {
  const backend = opts.backend ?? getBackend();
  const wide = A.cols > A.rows;
  const n = wide ? A.rows : A.cols;
  const m = wide ? A.cols : A.rows;
  const forward = (B: Matrix): Matrix => (wide ? A.transposeTimes(B) : A.times(B));
  const backward = (B: Matrix): Matrix => (wide ? A.times(B) : A.transposeTimes(B));
  const kk = Math.min(k, n);
  let Q: Matrix;
  if (kk * opts.iters >= n) Q = identity(n);
  else {
    let block = zeros(n, kk);
    for (let i = 0; i < block.data.length; i++) block.data[i] = opts.rng.normal();
    block = orth(block, backend);
    const K = zeros(n, kk * opts.iters);
    const width = K.cols;
    for (let step = 0; step < opts.iters; step++) {
      block = orth(backward(forward(block)), backend);
      for (let i = 0; i < n; i++)
        for (let q = 0; q < kk; q++) K.data[i * width + step * kk + q] = block.data[i * kk + q];
    }
    Q = orth(K, backend);
  }
  const T = forward(Q);
  const key = `${m}x${Q.cols}`;
  let ws = opts.workspaces?.get(key);
  if (!ws) {
    ws = backend.createSvdWorkspace(m, Q.cols);
    opts.workspaces?.set(key, ws);
  }
  const { U: Ut, s, V: W } = backend.svdInto(T, ws);
  const c = Q.cols;
  const longSide = zeros(m, kk);
  for (let i = 0; i < m; i++) for (let q = 0; q < kk; q++) longSide.data[i * kk + q] = Ut.data[i * Ut.cols + q];
  const Wk = zeros(c, kk);
  for (let i = 0; i < c; i++) for (let q = 0; q < kk; q++) Wk.data[i * kk + q] = W.data[i * W.cols + q];
  const shortSide = backend.gemm(Q, Wk);
  const values = s.slice(0, kk);
  return wide ? { U: shortSide, s: values, V: longSide } : { U: longSide, s: values, V: shortSide };
}

// ---- the tangent space and the weighted least-squares step ---------------------------------------------------------

/** Views of a tangent vector γ = (M r×r, A n₁×r, B n₂×r), stored [M | A | B] row-major in one array. */
function tangentParts(g: Float64Array, r: number, n1: number, n2: number): { M: Matrix; A: Matrix; B: Matrix } {
  return {
    M: { rows: r, cols: r, data: g.subarray(0, r * r) },
    A: { rows: n1, cols: r, data: g.subarray(r * r, r * r + n1 * r) },
    B: { rows: n2, cols: r, data: g.subarray(r * r + n1 * r, r * r + (n1 + n2) * r) },
  };
}

/**
 * P_T(Z) in coordinates for Z with Z·V = ZV (n₁×r) and Zᵀ·U = ZtU (n₂×r) given: M = UᵀZV, A = ZV − U M,
 * B = ZᵀU − V Mᵀ, written into g. Cost O((n₁+n₂)·r²).
 */
function projectInto(U: Matrix, V: Matrix, ZV: Matrix, ZtU: Matrix, g: Float64Array, backend: Backend): void {
  const r = U.cols;
  const { M, A, B } = tangentParts(g, r, U.rows, V.rows);
  backend.gemm(U, ZV, { transA: true, out: M });
  A.data.set(ZV.data);
  backend.gemm(U, M, { alpha: -1, beta: 1, out: A });
  B.data.set(ZtU.data);
  backend.gemm(V, M, { transB: true, alpha: -1, beta: 1, out: B });
}

/** P_T(X) in coordinates for X = L·Rᵀ + P_Ω*(s) and the tangent space of (U, V). Cost O((n₁+n₂)·c·r + |Ω|·r). */
export function tangentCoordinates(
  X: LowRankPlusSparse,
  obs: Observations,
  U: Matrix,
  V: Matrix,
  backend: Backend,
): Float64Array {
  const r = U.cols;
  const [n1, n2] = obs.shape;
  const g = new Float64Array(r * (r + n1 + n2));
  if (r === 0) return g;
  const ZV = iterateTimes(X, obs, V, backend);
  const ZtU = iterateTransposeTimes(X, obs, U, backend);
  projectInto(U, V, ZV, ZtU, g, backend);
  return g;
}

/** P_Tᵀγ = U M Vᵀ + A Vᵀ + U Bᵀ as L·Rᵀ with L = [U M + A, U], R = [V, B]. Cost O((n₁+n₂)·r²). */
function tangentMatrix(g: Float64Array, U: Matrix, V: Matrix, backend: Backend): { L: Matrix; R: Matrix } {
  const r = U.cols;
  const n1 = U.rows;
  const n2 = V.rows;
  const { M, A, B } = tangentParts(g, r, n1, n2);
  const UMA = zeros(n1, r);
  UMA.data.set(A.data);
  backend.gemm(U, M, { beta: 1, out: UMA });
  const L = zeros(n1, 2 * r);
  const R = zeros(n2, 2 * r);
  for (let i = 0; i < n1; i++)
    for (let q = 0; q < r; q++) {
      L.data[i * 2 * r + q] = UMA.data[i * r + q];
      L.data[i * 2 * r + r + q] = U.data[i * r + q];
    }
  for (let j = 0; j < n2; j++)
    for (let q = 0; q < r; q++) {
      R.data[j * 2 * r + q] = V.data[j * r + q];
      R.data[j * 2 * r + r + q] = B.data[j * r + q];
    }
  return { L, R };
}

/** The diagonal D⁻¹ of the tangent system (see the top of this file), in the layout of tangentParts. */
function inverseWeights(w: IrlsWeights, n1: number, n2: number): Float64Array {
  const r = w.sigma.length;
  const e = w.eps;
  const d = new Float64Array(r * (r + n1 + n2));
  for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) d[i * r + j] = (e * e) / (w.sigma[i] * w.sigma[j] - e * e);
  for (let i = 0; i < n1 + n2; i++) for (let j = 0; j < r; j++) d[r * r + i * r + j] = e / (w.sigma[j] - e);
  return d;
}

/**
 * One weighted least-squares step of MatrixIRLS: X = argmin { ⟨X, W(X)⟩ : P_Ω(X) = y } for the weight operator of
 * `weights`, as γ on the tangent space by preconditioned conjugate gradients (from P_T(start) when given, else 0;
 * stop at a residual ≤ cgTol times the initial one, or cgMaxIters) and X = P_Tᵀγ + P_Ω*(y − P_Ω P_Tᵀγ). Cost per CG
 * iteration O(|Ω|·r + (n₁+n₂)·r²), r = weights.sigma.length.
 */
export function weightedLeastSquares(
  obs: Observations,
  weights: IrlsWeights,
  opts: { cgTol: number; cgMaxIters: number; start?: LowRankPlusSparse; backend?: Backend },
): { X: LowRankPlusSparse; cgIterations: number } {
  const backend = opts.backend ?? getBackend();
  const { U, V } = weights;
  const r = U.cols;
  const [n1, n2] = obs.shape;
  const size = r * (r + n1 + n2);
  const dInv = inverseWeights(weights, n1, n2);
  const m = obs.values.length;
  const z = new Float64Array(m);
  const SV = zeros(n1, r);
  const StU = zeros(n2, r);
  const UMA = zeros(n1, r);
  const within = new Float64Array(size);
  const UtA = zeros(r, r);
  const VtB = zeros(r, r);
  // within = Πg, g's part in the coordinate subspace S = {A ⊥ U, B ⊥ V} (where P_Tᵀ is an isometry and the
  // operator is symmetric; CG's rounding would otherwise drift off S, where the plain formula is not symmetric).
  const restrict = (g: Float64Array): void => {
    within.set(g);
    const { A, B } = tangentParts(within, r, n1, n2);
    backend.gemm(U, A, { transA: true, out: UtA });
    backend.gemm(U, UtA, { alpha: -1, beta: 1, out: A });
    backend.gemm(V, B, { transA: true, out: VtB });
    backend.gemm(V, VtB, { alpha: -1, beta: 1, out: B });
  };
  // out = (D⁻¹ + P_T P_Ω* P_Ω P_Tᵀ) Πg + (g − Πg): the tangent system on S, the identity across it.
  const apply = (g: Float64Array, out: Float64Array): void => {
    restrict(g);
    const { M, A, B } = tangentParts(within, r, n1, n2);
    UMA.data.set(A.data);
    backend.gemm(U, M, { beta: 1, out: UMA });
    const uma = UMA.data;
    const u = U.data;
    const v = V.data;
    const b = B.data;
    for (let t = 0; t < m; t++) {
      const i = obs.rows[t] * r;
      const j = obs.cols[t] * r;
      let acc = 0;
      for (let q = 0; q < r; q++) acc += uma[i + q] * v[j + q] + u[i + q] * b[j + q];
      z[t] = acc;
    }
    sparseTimes(obs, z, V, SV);
    sparseTransposeTimes(obs, z, U, StU);
    projectInto(U, V, SV, StU, out, backend);
    for (let i = 0; i < size; i++) out[i] += dInv[i] * within[i] + (g[i] - within[i]);
  };
  const rhs = tangentCoordinates({ L: zeros(n1, 0), R: zeros(n2, 0), s: obs.values }, obs, U, V, backend);
  const gamma = opts.start ? tangentCoordinates(opts.start, obs, U, V, backend) : new Float64Array(size);
  // Preconditioned CG on the correction δ: (D⁻¹ + P_T P_Ω* P_Ω P_Tᵀ) δ = rhs − (…)γ_start, from δ = 0.
  const res = new Float64Array(size);
  apply(gamma, res);
  for (let i = 0; i < size; i++) res[i] = rhs[i] - res[i];
  const norm = (x: Float64Array): number => Math.sqrt(dot(x, x));
  const bnorm = norm(res);
  let iterations = 0;
  if (bnorm > 0) {
    const zv = new Float64Array(size);
    const p = new Float64Array(size);
    const Ap = new Float64Array(size);
    for (let i = 0; i < size; i++) p[i] = zv[i] = res[i] / (1 + dInv[i]);
    let rz = dot(res, zv);
    while (iterations < opts.cgMaxIters) {
      apply(p, Ap);
      const pAp = dot(p, Ap);
      if (!(pAp > 0)) break;
      const alpha = rz / pAp;
      iterations++;
      for (let i = 0; i < size; i++) {
        gamma[i] += alpha * p[i];
        res[i] -= alpha * Ap[i];
      }
      if (norm(res) <= opts.cgTol * bnorm) break;
      for (let i = 0; i < size; i++) zv[i] = res[i] / (1 + dInv[i]);
      const rzNext = dot(res, zv);
      const beta = rzNext / rz;
      rz = rzNext;
      for (let i = 0; i < size; i++) p[i] = zv[i] + beta * p[i];
    }
  }
  restrict(gamma);
  const { L, R } = tangentMatrix(within, U, V, backend);
  const s = sampleLowRank(L, R, obs, new Float64Array(m));
  for (let t = 0; t < m; t++) s[t] = obs.values[t] - s[t];
  return { X: { L, R, s }, cgIterations: iterations };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

// ---- the solver --------------------------------------------------------------------------------------------------

/** The first k columns of A. */
function leadingColumns(A: Matrix, k: number): Matrix {
  const out = zeros(A.rows, k);
  for (let i = 0; i < A.rows; i++) for (let q = 0; q < k; q++) out.data[i * k + q] = A.data[i * A.cols + q];
  return out;
}

/** Columns of A times √s_q: the balanced factors of a truncated SVD. */
function scaledColumns(A: Matrix, s: Float64Array, k: number): Matrix {
  const out = leadingColumns(A, k);
  for (let i = 0; i < A.rows; i++) for (let q = 0; q < k; q++) out.data[i * k + q] *= Math.sqrt(s[q]);
  return out;
}

function checkOption(name: string, value: number, ok: boolean, what: string): void {
  if (!ok) throw new RangeError(`matrix-irls: ${name} must be ${what}, got ${value}`);
}

/**
 * MatrixIRLS for completion of `obs` with the given rank opts.rank (see the top of this file): IRLS steps on the
 * smoothed log-det objective with the smoothing ε_k = min(ε_{k−1}, σ_{r+1}(X^(k))), each a conjugate-gradient solve
 * on the tangent space, until the iterate changes by at most changeTol (relative) or another stop rule fires.
 * Returns the best rank-r approximation of the last iterate as factors U·Vᵀ. Cost per iteration: CG iterations of
 * O(|Ω|·r_k + (n₁+n₂)·r_k²) each, and one block Krylov SVD.
 */
export function matrixIrls(obs: Observations, opts: MatrixIrlsOptions): MatrixIrlsResult {
  const start = performance.now();
  const [n1, n2] = obs.shape;
  const rank = opts.rank;
  checkRank(rank, n1, n2);
  const backend = opts.backend ?? getBackend();
  const maxIters = opts.maxIters ?? MATRIX_IRLS_DEFAULTS.maxIters;
  const tol = opts.tol ?? MATRIX_IRLS_DEFAULTS.tol;
  const changeTol = opts.changeTol ?? MATRIX_IRLS_DEFAULTS.changeTol;
  const cgTol = opts.cgTol ?? MATRIX_IRLS_DEFAULTS.cgTol;
  const cgMaxIters = opts.cgMaxIters ?? MATRIX_IRLS_DEFAULTS.cgMaxIters;
  const svdIters = opts.svdIters ?? MATRIX_IRLS_DEFAULTS.svdIters;
  const epsMin = opts.epsMin ?? MATRIX_IRLS_DEFAULTS.epsMin;
  checkOption('maxIters', maxIters, Number.isInteger(maxIters) && maxIters >= 1, 'an integer >= 1');
  checkOption('tol', tol, tol >= 0, 'a number >= 0');
  checkOption('changeTol', changeTol, changeTol >= 0, 'a number >= 0');
  checkOption('cgTol', cgTol, cgTol >= 0, 'a number >= 0');
  checkOption('cgMaxIters', cgMaxIters, Number.isInteger(cgMaxIters) && cgMaxIters >= 1, 'an integer >= 1');
  checkOption('svdIters', svdIters, Number.isInteger(svdIters) && svdIters >= 1, 'an integer >= 1');
  checkOption('epsMin', epsMin, epsMin > 0 && Number.isFinite(epsMin), 'a finite number > 0');
  const rng = deriveRng(opts.seed ?? 0, 'matrix-irls-svd');
  const workspaces = new Map<string, SvdWorkspace>();
  const dMin = Math.min(n1, n2);
  let ynorm = 0;
  for (const v of obs.values) ynorm += v * v;
  ynorm = Math.sqrt(ynorm);

  let X: LowRankPlusSparse | null = null;
  let weights: IrlsWeights | null = null;
  let eps = Infinity;
  let factors: Factors = { U: zeros(n1, rank), V: zeros(n2, rank) };
  let residual = 1;
  let cgTotal = 0;
  let iterations = 0;
  const history: number[] = [];
  const epsHistory: number[] = [];

  const step = (): StopReason | null => {
    if (iterations >= maxIters) return 'max-iters';
    if (opts.signal?.aborted) return 'interrupted';
    // 1. The weighted least-squares step (W^(0) = Id: X^(1) = P_Ω*(y), the minimal-norm fit).
    let next: LowRankPlusSparse;
    let cgIterations = 0;
    if (weights === null || weights.sigma.length === 0) {
      next = { L: zeros(n1, 0), R: zeros(n2, 0), s: Float64Array.from(obs.values) };
    } else {
      const solved = weightedLeastSquares(obs, weights, { cgTol, cgMaxIters, start: X ?? undefined, backend });
      next = solved.X;
      cgIterations = solved.cgIterations;
    }
    cgTotal += cgIterations;
    // 2–3. The top singular triplets of X^(k) (the r + 1 needed for ε_k, or r_{k−1} + 1), ε_k and r_k.
    const current = next;
    const op: BlockOperator = {
      rows: n1,
      cols: n2,
      times: (B) => iterateTimes(current, obs, B, backend),
      transposeTimes: (B) => iterateTransposeTimes(current, obs, B, backend),
    };
    let want = Math.min(dMin, Math.max(rank + 1, (weights?.sigma.length ?? 0) + 1));
    let svd = topSingularTriplets(op, want, { iters: svdIters, rng, backend, workspaces });
    const nextEps = Math.max(Math.min(eps, rank < svd.s.length ? svd.s[rank] : 0), epsMin);
    const countAbove = (s: Float64Array): number => {
      let k = 0;
      while (k < s.length && s[k] > nextEps) k++;
      return k;
    };
    const nextFactors = { U: scaledColumns(svd.U, svd.s, rank), V: scaledColumns(svd.V, svd.s, rank) };
    const nextResidual = relativeResidual(nextFactors.U, nextFactors.V, obs);
    if (!Number.isFinite(nextResidual) || !svd.s.every(Number.isFinite)) return 'stall';
    const relChange =
      X === null
        ? Number.NaN
        : lowRankPlusSparseNorm(difference(next, X), obs, backend) / lowRankPlusSparseNorm(next, obs, backend);
    iterations++;
    X = next;
    eps = nextEps;
    factors = nextFactors;
    residual = ynorm === 0 ? 0 : nextResidual;
    history.push(residual);
    epsHistory.push(eps);
    let above = countAbove(svd.s);
    const stop: StopReason | null =
      relChange <= changeTol || eps <= epsMin || above === 0 || residual <= tol
        ? 'tolerance'
        : iterations >= maxIters
          ? 'max-iters'
          : null;
    // r_k counts every singular value above ε_k: while all computed ones are, compute more (only when the run goes on,
    // since only the next weights need them).
    while (stop === null && above === svd.s.length && want < dMin) {
      want = Math.min(dMin, 2 * want);
      svd = topSingularTriplets(op, want, { iters: svdIters, rng, backend, workspaces });
      above = countAbove(svd.s);
    }
    weights = { U: leadingColumns(svd.U, above), V: leadingColumns(svd.V, above), sigma: svd.s.slice(0, above), eps };
    opts.onProgress?.({
      step: iterations,
      maxIters,
      residual,
      relChange,
      eps,
      rank: above,
      cgIterations,
      iterate: X,
      U: factors.U,
      V: factors.V,
    });
    return stop;
  };
  const finish = (stopReason: StopReason): MatrixIrlsResult => ({
    U: factors.U,
    V: factors.V,
    iterations,
    residual,
    residualHistory: history,
    epsHistory,
    cgIterations: cgTotal,
    stopReason,
    seconds: (performance.now() - start) / 1000,
  });
  return runToStop(step, finish);
}
