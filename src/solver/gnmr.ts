// GNMR, Gauss–Newton matrix recovery (Zilber & Nadler, "GNMR: A provable one-line algorithm for low rank matrix
// recovery", SIMODS 2022, arXiv 2106.12933), for completion with a given rank r, as the paper states it and as the
// authors' code (pizilber/GNMR, GNMR_completion) runs it. With factors U (n₁×r), V (n₂×r) and b = P_Ω(X), each
// iteration solves the linear least-squares problem
//     min over (Ũ, Ṽ) of ||P_Ω(U Ṽᵀ + Ũ Vᵀ) − P_Ω(X + α·U Vᵀ)||                   (paper, eq. (5) with its α)
// by LSQR from zero on that full right-hand side (so its minimal-norm solution when LSQR converges, a truncated one
// when it runs to its cap of 2000 iterations, which far from the solution it does on almost every iteration), then
// sets (U, V) ← ((1 − α)/2)·(U, V) + (Ũ, Ṽ). α = 1 is "setting" (the paper's and the authors' default), α = 0
// "averaging", α = −1 "updating".
// The estimate of an iteration is not U Vᵀ but the rank-2r linearized matrix
//     X̂ = U Ṽ_newᵀ + Ũ_new Vᵀ − U Vᵀ = [U, U_new − U]·[V_new, V]ᵀ,
// whose residual on Ω is exactly the least-squares residual; the answer is the rank-r truncated SVD of the X̂ with
// the lowest residual (computed from the two n×2r factors: never an n₁×n₂ matrix). U Vᵀ itself can lag far behind:
// in a run where X̂ reached 1e-13 the product was still at 2e-2, so no rule here looks at the product.
// Stop rules (the authors'): the relative residual below tol (1e-16); LSQR finishing in 0 iterations (the system is
// already solved); the cap on iterations; optionally the authors' "stuck" rule (off by default). LSQR's tolerance is
// 1e-15, and min(1e-15, residual²) once the residual is below 1e-5 ("smart tolerance"), so that the inner solve keeps
// up with the quadratic convergence. Cost per LSQR step O(|Ω|·r); per iteration O((n₁ + n₂)r²) besides.
import type { Matrix } from '../linalg/matrix.ts';
import { sparseTopSvd } from '../linalg/sparse.ts';
import { getBackend, type Backend } from '../linalg/backend.ts';
import type { Observations } from '../data/observations.ts';
import { lsqr, type LinearOperator } from './lsqr.ts';
import { runToStop, type StopReason } from './loop.ts';
import { GNMR_DEFAULTS } from '../defaults.ts';
import {
  checkRank,
  factorPairSvd,
  relativeResidual,
  sampledProduct,
  truncatedFactors,
  type Factors,
} from './factors.ts';

/** GNMR's variants by α (paper section 2): setting α = 1, averaging α = 0, updating α = −1. */
export const GNMR_VARIANTS = Object.freeze({ setting: 1, averaging: 0, updating: -1 });

/** The name of a GNMR variant. */
export type GnmrVariant = keyof typeof GNMR_VARIANTS;

/** One GNMR iteration as reported to onProgress (U, V are the live iterate, not the estimate: copy to keep them). */
export interface GnmrProgress {
  step: number;
  maxIters: number;
  /** ||P_Ω(X̂) − b|| / ||b|| of this iteration's linearized estimate X̂ (LSQR's residual). */
  residual: number;
  lsqrIterations: number;
  U: Matrix;
  V: Matrix;
}

/** Settings of gnmr (defaults: GNMR_DEFAULTS, the authors'). */
export interface GnmrOptions {
  rank: number;
  /** Default 'setting' (α = 1). */
  variant?: GnmrVariant;
  /** Outer iterations (default 100). */
  maxIters?: number;
  /** Stop when the relative residual of the linearized estimate on Ω is at most this (default 1e-16). */
  tol?: number;
  /** LSQR's atol = btol (default 1e-15; min(this, residual²) once the residual is below lsqrSmartBelow). */
  lsqrTol?: number;
  /** Residual below which LSQR's tolerance follows residual² (default 1e-5; 0 turns the rule off). */
  lsqrSmartBelow?: number;
  /** LSQR iterations per outer iteration (default 2000). */
  lsqrMaxIters?: number;
  /**
   * The authors' optional "stuck" rule: every stuckIters iterations (from 3·stuckIters on), stop when the lowest
   * residual of the last stuckIters iterations is above stuckRatio times the lowest of the stuckIters before.
   * Default off.
   */
  stuck?: { iters: number; ratio: number };
  /** Starting factors (default: the top-r singular vectors of P_Ω(X), orthonormal, as the authors start). */
  init?: Factors;
  backend?: Backend;
  signal?: AbortSignal;
  onProgress?: (event: GnmrProgress) => void;
}

/** What gnmr returns: the rank-r estimate as balanced factors U√Σ, V√Σ, and how the run went. */
export interface GnmrResult extends Factors {
  iterations: number;
  /** Total LSQR iterations over all outer iterations. */
  lsqrIterations: number;
  /** ||P_Ω(UVᵀ) − b|| / ||b|| of the returned rank-r estimate. */
  residual: number;
  /** The lowest relative residual of a linearized estimate X̂ (the one the answer is truncated from). */
  linearResidual: number;
  /** The relative residual of the start U₀V₀ᵀ, then of each iteration's X̂ (length iterations + 1). */
  residualHistory: number[];
  /** 'tolerance': a residual ≤ tol, or LSQR had nothing left to do; 'stall': the stuck rule, or a non-finite residual; 'max-iters'; 'interrupted'. */
  stopReason: StopReason;
  seconds: number;
}

/**
 * The Jacobian L(ΔU, ΔV) = P_Ω(U ΔVᵀ + ΔU Vᵀ) of (U, V) ↦ P_Ω(UVᵀ) as a matrix-free operator on x = [vec ΔU; vec ΔV]
 * (row-major blocks): the backend's factorJacobian and factorJacobianTranspose (hand-written loops, the same bits
 * on both backends; see src/linalg/sampled.ts). Both products cost O(|Ω|·r).
 */
export function jacobianOperator(
  U: Matrix,
  V: Matrix,
  obs: Observations,
  backend: Backend = getBackend(),
): LinearOperator {
  return {
    rows: obs.rows.length,
    cols: (U.rows + V.rows) * U.cols,
    apply: (x, out) => backend.factorJacobian(U, V, obs, x, out),
    applyTranspose: (y, out) => backend.factorJacobianTranspose(U, V, obs, y, out),
  };
}

/** One GNMR iteration's outcome: the next factors, the estimate X̂ = L·Rᵀ (n×2r factors) and LSQR's facts. */
export interface GnmrStep extends Factors {
  /** X̂ = L Rᵀ with L = [U, U_new − U] (n₁×2r) and R = [V_new, V] (n₂×2r). */
  L: Matrix;
  R: Matrix;
  /** LSQR's ||P_Ω(X̂) − b||. */
  residualNorm: number;
  lsqrIterations: number;
}

/**
 * One GNMR iteration from (U, V): LSQR from zero on P_Ω(U Ṽᵀ + Ũ Vᵀ) = P_Ω(X + α U Vᵀ), then the new factors and
 * the linearized estimate (see the top of this file). Cost O(|Ω|·r) per LSQR step (on `backend`).
 */
export function gnmrStep(
  obs: Observations,
  U: Matrix,
  V: Matrix,
  variant: GnmrVariant = GNMR_DEFAULTS.variant,
  lsqrOpts: { tol?: number; maxIters?: number } = {},
  backend: Backend = getBackend(),
): GnmrStep {
  const alpha = GNMR_VARIANTS[variant];
  const r = U.cols;
  const rhs = sampledProduct(U, V, obs);
  for (let t = 0; t < rhs.length; t++) rhs[t] = obs.values[t] + alpha * rhs[t];
  const tol = lsqrOpts.tol ?? GNMR_DEFAULTS.lsqrTol;
  const op = jacobianOperator(U, V, obs, backend);
  const { x, iterations, residualNorm } = lsqr(op, rhs, {
    atol: tol,
    btol: tol,
    maxIters: lsqrOpts.maxIters ?? GNMR_DEFAULTS.lsqrMaxIters,
  });
  const keep = (1 - alpha) / 2;
  const offV = U.rows * r;
  const Un: Matrix = { rows: U.rows, cols: r, data: new Float64Array(U.rows * r) };
  const Vn: Matrix = { rows: V.rows, cols: r, data: new Float64Array(V.rows * r) };
  for (let i = 0; i < Un.data.length; i++) Un.data[i] = keep * U.data[i] + x[i];
  for (let i = 0; i < Vn.data.length; i++) Vn.data[i] = keep * V.data[i] + x[offV + i];
  const L: Matrix = { rows: U.rows, cols: 2 * r, data: new Float64Array(U.rows * 2 * r) };
  const R: Matrix = { rows: V.rows, cols: 2 * r, data: new Float64Array(V.rows * 2 * r) };
  for (let i = 0; i < U.rows; i++) {
    for (let k = 0; k < r; k++) {
      L.data[i * 2 * r + k] = U.data[i * r + k];
      L.data[i * 2 * r + r + k] = Un.data[i * r + k] - U.data[i * r + k];
    }
  }
  for (let j = 0; j < V.rows; j++) {
    for (let k = 0; k < r; k++) {
      R.data[j * 2 * r + k] = Vn.data[j * r + k];
      R.data[j * 2 * r + r + k] = V.data[j * r + k];
    }
  }
  return { U: Un, V: Vn, L, R, residualNorm, lsqrIterations: iterations };
}

/**
 * The authors' start: the top-r left and right singular vectors of P_Ω(X) (orthonormal columns, no singular values),
 * by sparse subspace iteration (never an n₁×n₂ matrix). Cost O(|Ω|·r) per iteration.
 */
export function spectralVectors(obs: Observations, rank: number): Factors {
  const [n1, n2] = obs.shape;
  checkRank(rank, n1, n2);
  const { U, V } = sparseTopSvd(obs, rank);
  return { U, V };
}

/**
 * GNMR for completion of `obs` at rank opts.rank, from the authors' spectral start (or opts.init), until a
 * linearized estimate's relative residual on Ω is at most tol, LSQR has nothing left to do, the stuck rule fires or
 * maxIters; returns the rank-r truncation of the lowest-residual estimate (see the top of this file).
 */
export function gnmr(obs: Observations, opts: GnmrOptions): GnmrResult {
  const start = performance.now();
  const [n1, n2] = obs.shape;
  checkRank(opts.rank, n1, n2);
  const maxIters = opts.maxIters ?? GNMR_DEFAULTS.maxIters;
  const tol = opts.tol ?? GNMR_DEFAULTS.tol;
  const lsqrTol = opts.lsqrTol ?? GNMR_DEFAULTS.lsqrTol;
  const smartBelow = opts.lsqrSmartBelow ?? GNMR_DEFAULTS.lsqrSmartBelow;
  const variant = opts.variant ?? GNMR_DEFAULTS.variant;
  if (!Object.hasOwn(GNMR_VARIANTS, variant)) {
    throw new RangeError(
      `gnmr: variant must be one of ${Object.keys(GNMR_VARIANTS).join(', ')}, got ${String(variant)}`,
    );
  }
  const backend = opts.backend ?? getBackend();
  let { U, V } = opts.init ?? spectralVectors(obs, opts.rank);
  if (U.cols !== opts.rank || V.cols !== opts.rank || U.rows !== n1 || V.rows !== n2) {
    throw new RangeError(`gnmr: init factors must be ${n1}×${opts.rank} and ${n2}×${opts.rank}`);
  }
  let bnorm = 0;
  for (let t = 0; t < obs.values.length; t++) bnorm += obs.values[t] ** 2;
  bnorm = Math.sqrt(bnorm) || 1;
  const history = [relativeResidual(U, V, obs)];
  // The best estimate so far as n×2r factors; the start's U Vᵀ until an iteration does better.
  let best: { L: Matrix; R: Matrix; residual: number } = { L: U, R: V, residual: history[0] };
  let residual = Infinity;
  let lsqrTotal = 0;
  let iterations = 0;
  const step = (): StopReason | null => {
    if (iterations >= maxIters) return 'max-iters';
    if (opts.signal?.aborted) return 'interrupted';
    const inner = smartBelow > 0 && residual < smartBelow ? Math.min(lsqrTol, residual * residual) : lsqrTol;
    const next = gnmrStep(obs, U, V, variant, { tol: inner, maxIters: opts.lsqrMaxIters }, backend);
    lsqrTotal += next.lsqrIterations;
    residual = next.residualNorm / bnorm;
    if (!Number.isFinite(residual)) return 'stall';
    iterations++;
    U = next.U;
    V = next.V;
    history.push(residual);
    if (residual < best.residual) best = { L: next.L, R: next.R, residual };
    opts.onProgress?.({ step: iterations, maxIters, residual, lsqrIterations: next.lsqrIterations, U, V });
    if (residual <= tol) return 'tolerance';
    if (iterations > 1 && next.lsqrIterations === 0) return 'tolerance';
    const stuck = opts.stuck;
    if (stuck && iterations >= 3 * stuck.iters && iterations % stuck.iters === 0) {
      const last = Math.min(...history.slice(iterations - stuck.iters + 1, iterations + 1));
      const before = Math.min(...history.slice(iterations - 2 * stuck.iters + 1, iterations - stuck.iters + 1));
      if (last / before > stuck.ratio) return 'stall';
    }
    return null;
  };
  const finish = (stopReason: StopReason): GnmrResult => {
    const estimate = truncatedFactors(factorPairSvd(best.L, best.R), opts.rank);
    return {
      ...estimate,
      iterations,
      lsqrIterations: lsqrTotal,
      residual: relativeResidual(estimate.U, estimate.V, obs),
      linearResidual: best.residual,
      residualHistory: history,
      stopReason,
      seconds: (performance.now() - start) / 1000,
    };
  };
  return runToStop(step, finish);
}
