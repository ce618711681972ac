// R2RILS, rank 2r iterative least squares (Bauch, Nadler & Zilber, "Rank 2r iterative least squares: efficient
// recovery of ill-conditioned low rank matrices from few entries", SIMODS 2021, arXiv 2002.01849), for completion
// with a given rank r. It keeps column-normalized estimates U_t (n₁×r), V_t (n₂×r) of the column and row spaces and,
// each iteration (paper, Algorithm 1):
//   1. takes the minimal-norm solution (Ã, B̃) of the least-squares problem on Ω
//          min_{A, B} ||P_Ω(U_t Bᵀ + A V_tᵀ) − b||,   b = P_Ω(X),
//      which is the rank-2r estimate X̃_t = U_t B̃ᵀ + Ã V_tᵀ (the set {U_tBᵀ + AV_tᵀ} depends on the two spaces only;
//      the minimal-norm choice of (Ã, B̃) is what makes the update below well defined);
//   2. averages each space with the new one, column by column: U_{t+1} = ColNorm(U_t + ColNorm(Ã)),
//      V_{t+1} = ColNorm(V_t + ColNorm(B̃)), ColNorm scaling every column to unit norm (no orthonormalization).
// The start is U_1, V_1 = the top-r singular vectors of P_Ω(X) (spectralInit, columns normalized). The answer is the
// rank-r projection (truncated SVD) of X̃_t with the lowest residual on Ω over the iterations, and the run stops when
// that residual is at most tol or after maxIters. These are the choices of the authors' SIMODS code (R2RILS.m,
// version 2): its early stop is the RMSE on Ω of the rank-r projection (absolute there, relative to ||b|| here), it
// returns the lowest-RMSE projection, and LSQR's tolerance is min(10⁻⁵, residual²) ("smart tolerance", the previous
// iterate's residual; at least 2ε), capped at 4000 iterations. Solving for X̃ itself (not an increment as gnmr.ts
// does) with a relative tolerance of residual² keeps the local quadratic convergence the paper reports.
//
// Cost. L_t(A, B) = P_Ω(U_t Bᵀ + A V_tᵀ) is jacobianOperator(U_t, V_t) (the same map as GNMR's Jacobian), applied
// matrix-free: O(|Ω|·r) per LSQR step. The rank-r projection of X̃ = [U_t, Ã][B̃, V_t]ᵀ is computed in factored form,
// thin QR of both n×2r sides and the SVD of the 2r×2r core: O((n₁+n₂)r² + r³). No n₁×n₂ matrix is formed after the
// spectral start.
import { gemm, zeros, type Matrix } from '../linalg/matrix.ts';
import { qr } from '../linalg/qr.ts';
import { svd } from '../linalg/svd.ts';
import type { Backend } from '../linalg/backend.ts';
import type { Observations } from '../data/observations.ts';
import { lsqr, type LsqrResult } from './lsqr.ts';
import { jacobianOperator } from './gnmr.ts';
import { runToStop, type StopReason } from './loop.ts';
import { R2RILS_DEFAULTS } from '../defaults.ts';
import { checkRank, relativeResidual, spectralInit, type Factors } from './factors.ts';

/** One R2RILS iteration as reported to onProgress (U, V: the rank-r projection of X̃_t; live, copy to keep them). */
export interface R2rilsProgress {
  step: number;
  maxIters: number;
  /** ||P_Ω(UVᵀ) − b|| / ||b|| of this iteration's rank-r projection. */
  residual: number;
  lsqrIterations: number;
  U: Matrix;
  V: Matrix;
}

/** Settings of r2rils. */
export interface R2rilsOptions {
  rank: number;
  /** Iterations (default R2RILS_DEFAULTS.maxIters, 50). */
  maxIters?: number;
  /** Stop when the relative residual on Ω of the rank-r projection is at most this (default R2RILS_DEFAULTS.tol). */
  tol?: number;
  /** LSQR's tolerance (atol = btol) when lsqrSmartTol is off (default 1e-15). */
  lsqrTol?: number;
  /** LSQR's tolerance min(lsqrSmartMax, residual²) from the previous iterate's residual (default true). */
  lsqrSmartTol?: boolean;
  /** The largest smart tolerance (default 1e-5). */
  lsqrSmartMax?: number;
  /** LSQR iteration cap per least-squares problem (default 4000). */
  lsqrMaxIters?: number;
  /** Starting spaces U_1, V_1 (their columns are normalized; default: the top-r singular vectors, spectralInit). */
  init?: Factors;
  backend?: Backend;
  signal?: AbortSignal;
  onProgress?: (event: R2rilsProgress) => void;
}

/** What r2rils returns: the factors U (n₁×r), V (n₂×r) of the estimate UVᵀ and how the run went. */
export interface R2rilsResult extends Factors {
  iterations: number;
  /** Total LSQR iterations over all iterations. */
  lsqrIterations: number;
  /** ||P_Ω(UVᵀ) − b|| / ||b|| of the returned estimate. */
  residual: number;
  /** Residual of the start UVᵀ (init as given, or the spectral estimate), then of each iteration's rank-r projection. */
  residualHistory: number[];
  /** 'tolerance': residual ≤ tol; 'max-iters'; 'stall': a non-finite residual; 'interrupted'. */
  stopReason: StopReason;
  seconds: number;
}

/** The outcome of one least-squares solve: X̃ = U Bᵀ + A Vᵀ and LSQR's facts. */
export interface R2rilsStep {
  /** Ã, n₁×r. */
  A: Matrix;
  /** B̃, n₂×r. */
  B: Matrix;
  lsqrIterations: number;
  lsqrStopReason: LsqrResult['stopReason'];
}

/**
 * The minimal-norm solution (Ã, B̃) of min ||P_Ω(U Bᵀ + A Vᵀ) − b|| by LSQR from zero (every iterate lies in the
 * range of the operator's transpose). Cost O(|Ω|·r) per LSQR step.
 */
export function r2rilsStep(
  obs: Observations,
  U: Matrix,
  V: Matrix,
  lsqrOpts: { tol?: number; maxIters?: number } = {},
): R2rilsStep {
  const r = U.cols;
  const op = jacobianOperator(U, V, obs);
  const tol = lsqrOpts.tol ?? R2RILS_DEFAULTS.lsqrTol;
  const maxIters = lsqrOpts.maxIters ?? R2RILS_DEFAULTS.lsqrMaxIters;
  const sol = lsqr(op, obs.values, { atol: tol, btol: tol, maxIters });
  // jacobianOperator's unknowns are [vec ΔU; vec ΔV], its map P_Ω(U ΔVᵀ + ΔU Vᵀ): ΔU is A, ΔV is B.
  const nA = U.rows * r;
  return {
    A: { rows: U.rows, cols: r, data: sol.x.slice(0, nA) },
    B: { rows: V.rows, cols: r, data: sol.x.slice(nA) },
    lsqrIterations: sol.iterations,
    lsqrStopReason: sol.stopReason,
  };
}

/**
 * The rank-r truncated SVD of P Qᵀ (P n₁×k, Q n₂×k) as balanced factors U = U_r√Σ_r, V = V_r√Σ_r, without forming
 * P Qᵀ: P = Q₁R₁, Q = Q₂R₂ (thin QR), R₁R₂ᵀ = W S Zᵀ, so P Qᵀ = (Q₁W) S (Q₂Z)ᵀ. Cost O((n₁+n₂)k² + k³).
 */
export function truncateFactored(P: Matrix, Q: Matrix, r: number): Factors {
  const left = qr(P);
  const right = qr(Q);
  const core = svd(gemm(left.R, right.R, { transB: true }));
  const U = scaledLeading(gemm(left.Q, core.U), core.s, r);
  const V = scaledLeading(gemm(right.Q, core.V), core.s, r);
  return { U, V };
}

/** The first r columns of M, column k times √s_k. */
function scaledLeading(M: Matrix, s: Float64Array, r: number): Matrix {
  const out = zeros(M.rows, r);
  for (let i = 0; i < M.rows; i++)
    for (let k = 0; k < r; k++) out.data[i * r + k] = M.data[i * M.cols + k] * Math.sqrt(s[k]);
  return out;
}

/** [X, Y] for X n×a, Y n×b. */
function sideBySide(X: Matrix, Y: Matrix): Matrix {
  const c = X.cols + Y.cols;
  const out = zeros(X.rows, c);
  for (let i = 0; i < X.rows; i++) {
    for (let k = 0; k < X.cols; k++) out.data[i * c + k] = X.data[i * X.cols + k];
    for (let k = 0; k < Y.cols; k++) out.data[i * c + X.cols + k] = Y.data[i * Y.cols + k];
  }
  return out;
}

/** Every column of X scaled to unit Euclidean norm, in place (a zero column stays zero). */
function normalizeColumns(X: Matrix): Matrix {
  const r = X.cols;
  const norms = new Float64Array(r);
  for (let i = 0; i < X.rows; i++) for (let k = 0; k < r; k++) norms[k] += X.data[i * r + k] ** 2;
  for (let k = 0; k < r; k++) norms[k] = norms[k] > 0 ? 1 / Math.sqrt(norms[k]) : 0;
  for (let i = 0; i < X.rows; i++) for (let k = 0; k < r; k++) X.data[i * r + k] *= norms[k];
  return X;
}

/** ColNorm(X + ColNorm(Y)), the paper's averaging update of a space estimate. */
function averagedSpace(X: Matrix, Y: Matrix): Matrix {
  const Yn = normalizeColumns({ rows: Y.rows, cols: Y.cols, data: Float64Array.from(Y.data) });
  const out = zeros(X.rows, X.cols);
  for (let i = 0; i < out.data.length; i++) out.data[i] = X.data[i] + Yn.data[i];
  return normalizeColumns(out);
}

/**
 * R2RILS for completion of `obs` at rank opts.rank (see the top of this file): from the top-r singular vectors of
 * P_Ω(X) (or opts.init), until the rank-r projection's relative residual on Ω is at most tol, or maxIters. Returns
 * the lowest-residual rank-r projection as factors.
 */
export function r2rils(obs: Observations, opts: R2rilsOptions): R2rilsResult {
  const start = performance.now();
  const [n1, n2] = obs.shape;
  checkRank(opts.rank, n1, n2);
  const maxIters = opts.maxIters ?? R2RILS_DEFAULTS.maxIters;
  const tol = opts.tol ?? R2RILS_DEFAULTS.tol;
  const smartTol = opts.lsqrSmartTol ?? R2RILS_DEFAULTS.lsqrSmartTol;
  const smartMax = opts.lsqrSmartMax ?? R2RILS_DEFAULTS.lsqrSmartMax;
  const baseTol = opts.lsqrTol ?? R2RILS_DEFAULTS.lsqrTol;
  const lsqrMaxIters = opts.lsqrMaxIters ?? R2RILS_DEFAULTS.lsqrMaxIters;
  const init = opts.init ?? spectralInit(obs, opts.rank, opts.backend);
  if (init.U.cols !== opts.rank || init.V.cols !== opts.rank || init.U.rows !== n1 || init.V.rows !== n2) {
    throw new RangeError(`r2rils: init factors must be ${n1}×${opts.rank} and ${n2}×${opts.rank}`);
  }
  let best: Factors & { residual: number } = { U: init.U, V: init.V, residual: relativeResidual(init.U, init.V, obs) };
  const history = [best.residual];
  let U = normalizeColumns({ ...init.U, data: Float64Array.from(init.U.data) });
  let V = normalizeColumns({ ...init.V, data: Float64Array.from(init.V.data) });
  // The residual the smart tolerance squares: that of the zero matrix before the first iteration (the authors'
  // start, max |b| in their absolute RMSE).
  let previous = 1;
  let lsqrTotal = 0;
  let iterations = 0;
  const step = (): StopReason | null => {
    if (best.residual <= tol) return 'tolerance';
    if (iterations >= maxIters) return 'max-iters';
    if (opts.signal?.aborted) return 'interrupted';
    const lsqrTol = smartTol ? Math.max(Math.min(smartMax, previous * previous), 2 * Number.EPSILON) : baseTol;
    const { A, B, lsqrIterations } = r2rilsStep(obs, U, V, { tol: lsqrTol, maxIters: lsqrMaxIters });
    lsqrTotal += lsqrIterations;
    // X̃ = U B̃ᵀ + Ã Vᵀ = [U, Ã][B̃, V]ᵀ.
    const projected = truncateFactored(sideBySide(U, A), sideBySide(B, V), opts.rank);
    const residual = relativeResidual(projected.U, projected.V, obs);
    if (!Number.isFinite(residual)) return 'stall';
    iterations++;
    history.push(residual);
    previous = residual;
    opts.onProgress?.({ step: iterations, maxIters, residual, lsqrIterations, ...projected });
    if (residual < best.residual) best = { ...projected, residual };
    U = averagedSpace(U, A);
    V = averagedSpace(V, B);
    return null;
  };
  const finish = (stopReason: StopReason): R2rilsResult => ({
    U: best.U,
    V: best.V,
    iterations,
    lsqrIterations: lsqrTotal,
    residual: best.residual,
    residualHistory: history,
    stopReason,
    seconds: (performance.now() - start) / 1000,
  });
  return runToStop(step, finish);
}
