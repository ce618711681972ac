// GNMR, Gauss–Newton matrix recovery (Zilber & Nadler, "GNMR: A provable one-line algorithm for low rank matrix
// recovery", SIMODS 2022, arXiv 2106.12933), for completion with a given rank r. With factors U (n₁×r), V (n₂×r)
// and b = P_Ω(X), the product is linearized around (U_t, V_t), UVᵀ ≈ U_tVᵀ + UV_tᵀ − U_tV_tᵀ, and each iteration
// takes the minimal-norm solution (U, V) of
//     min ||P_Ω(U_t Vᵀ + U V_tᵀ) − b − α·P_Ω(U_t V_tᵀ)||     (the paper's update, with its parameter α)
// then sets (U_{t+1}, V_{t+1}) = ((1 − α)/2)·(U_t, V_t) + (U, V). α = 1 is the paper's "setting" variant (the new
// factors are the least-squares solution itself), α = −1 the "updating" one (U_{t+1} = U_t + ΔU, the classical
// Gauss–Newton step with the minimal-norm increment), α = 0 "averaging". The default here is 'updating': on
// balanced factors (UᵀU = VᵀV, as the spectral start is) the two agree, but the exact minimal-norm 'setting' step
// maps an imbalance D = UᵀU − VᵀV to −D + O(||R||²) instead of removing it and adds −U R² Vᵀ to the product (R
// below), so it stalls at a relative error of about ||R||² (1e-3 to 1e-2 on n = 100, r = 5, m = 2000–3000, seeds
// 1–3, where 'updating' reaches 1e-16; see docs/design/math.md 3.5b). Whether the paper's setting variant differs from this
// reading was not settled.
//
// How the minimal-norm solution is computed. Write L_t(U, V) = P_Ω(U_t Vᵀ + U V_tᵀ), a map from R^{(n₁+n₂)r} to
// R^{|Ω|}, and ρ = b − P_Ω(U_tV_tᵀ) the residual. Since L_t(U_t, V_t) = 2P_Ω(U_tV_tᵀ), the right-hand side is
// ρ + (1 + α)P_Ω(U_tV_tᵀ), and the minimal-norm solution is Δ + ((1 + α)/2)·Π(U_t, V_t), with Δ the minimal-norm
// solution of L_t Δ = ρ (LSQR from zero, lsqr.ts) and Π the orthogonal projection onto range(L_tᵀ). Solving for the
// increment keeps LSQR's relative tolerance relative to the residual, which goes to zero: that is what lets the
// iteration converge quadratically down to rounding instead of stalling at the inner tolerance times ||b||.
// L_t always vanishes on the r²-dimensional space N_t = {(U_t R, −V_t Rᵀ)} (U_tRV_tᵀ − U_tRV_tᵀ = 0); when
// |Ω| ≥ r(n₁ + n₂ − r) and Ω is generic that is its whole null space, and Π(U_t, V_t) = (U_t, V_t) − (U_t R, −V_t Rᵀ)
// with R from the r×r Sylvester equation (U_tᵀU_t) R + R (V_tᵀV_t) = U_tᵀU_t − V_tᵀV_t (the normal equation of the
// projection). This code uses that closed form; on a mask with a larger null space (below the information limit,
// or a row or column seen fewer than r times, where no method can recover the matrix) it still returns a solution
// of the least-squares problem, minimal-norm up to the extra null directions. Cost per LSQR step O(|Ω|·r), per
// iteration O((n₁ + n₂)r² + r⁶) besides: no |Ω| × (n₁ + n₂)r matrix is ever formed.
import { zeros, type Matrix } from '../linalg/matrix.ts';
import type { Backend } from '../linalg/backend.ts';
import type { Observations } from '../data/observations.ts';
import { lsqr, type LinearOperator } from './lsqr.ts';
import { solveLinear } from './small-dense.ts';
import { runToStop, type StopReason } from './loop.ts';
import { GNMR_DEFAULTS } from '../defaults.ts';
import { checkRank, gram, relativeResidual, sampledProduct, spectralInit, type Factors } from './factors.ts';

/** GNMR's variants by α (paper section 2): setting α = 1, averaging α = 0, updating α = −1. */
export const GNMR_VARIANTS = Object.freeze({ setting: 1, averaging: 0, updating: -1 });

/** The name of a GNMR variant. */
export type GnmrVariant = keyof typeof GNMR_VARIANTS;

/** One GNMR iteration as reported to onProgress (U, V are live: copy to keep them). */
export interface GnmrProgress {
  step: number;
  maxIters: number;
  /** ||P_Ω(UVᵀ) − b|| / ||b|| after the iteration. */
  residual: number;
  lsqrIterations: number;
  U: Matrix;
  V: Matrix;
}

/** Settings of gnmr. */
export interface GnmrOptions {
  rank: number;
  /** Default GNMR_DEFAULTS.variant, 'updating' (see the top of this file). */
  variant?: GnmrVariant;
  /** Outer iterations (default GNMR_DEFAULTS.maxIters, 100). */
  maxIters?: number;
  /** Stop when the relative residual on Ω is at most this (default GNMR_DEFAULTS.tol, 1e-14). */
  tol?: number;
  /** Stop ('stall') after this many iterations without a new lowest residual (default GNMR_DEFAULTS.patience, 100). */
  patience?: number;
  /** Also at the iteration cap, return the lowest-residual iterate instead of the last (default: only on a stall). */
  returnBest?: boolean;
  /** LSQR's relative tolerances for each linearized problem (default 1e-14) and iteration cap (default 4·(n₁+n₂)r). */
  lsqrTol?: number;
  lsqrMaxIters?: number;
  /** Starting factors (default: spectralInit). */
  init?: Factors;
  backend?: Backend;
  signal?: AbortSignal;
  onProgress?: (event: GnmrProgress) => void;
}

/** What gnmr returns. */
export interface GnmrResult extends Factors {
  iterations: number;
  /** Total LSQR iterations over all outer iterations. */
  lsqrIterations: number;
  /** Final ||P_Ω(UVᵀ) − b|| / ||b||. */
  residual: number;
  /** Relative residual after each iteration, the start first (length iterations + 1). */
  residualHistory: number[];
  /** 'tolerance': residual ≤ tol; 'stall': no new lowest residual in `patience` iterations, or a non-finite one (then U, V are the lowest-residual iterate); 'max-iters'; 'interrupted'. */
  stopReason: StopReason;
  seconds: number;
}

/**
 * The Jacobian L(ΔU, ΔV) = P_Ω(U ΔVᵀ + ΔU Vᵀ) of (U, V) ↦ P_Ω(UVᵀ) as a matrix-free operator on x = [vec ΔU; vec ΔV]
 * (row-major blocks). Both products cost O(|Ω|·r).
 */
export function jacobianOperator(U: Matrix, V: Matrix, obs: Observations): LinearOperator {
  const r = U.cols;
  const offV = U.rows * r;
  const u = U.data;
  const v = V.data;
  const { rows, cols } = obs;
  const m = rows.length;
  return {
    rows: m,
    cols: (U.rows + V.rows) * r,
    apply(x, out) {
      for (let t = 0; t < m; t++) {
        const a = rows[t] * r;
        const b = cols[t] * r;
        let s = 0;
        for (let k = 0; k < r; k++) s += u[a + k] * x[offV + b + k] + x[a + k] * v[b + k];
        out[t] = s;
      }
    },
    applyTranspose(y, out) {
      out.fill(0);
      for (let t = 0; t < m; t++) {
        const a = rows[t] * r;
        const b = cols[t] * r;
        const yt = y[t];
        for (let k = 0; k < r; k++) {
          out[a + k] += yt * v[b + k];
          out[offV + b + k] += yt * u[a + k];
        }
      }
    },
  };
}

/**
 * (U, V) minus its projection on N = {(U R, −V Rᵀ)}, the null space every Jacobian has: R solves the Sylvester
 * equation (UᵀU) R + R (VᵀV) = UᵀU − VᵀV, as an r²×r² linear system (Kronecker form). Cost O((n₁+n₂)r² + r⁶).
 */
export function removeTrivialNullComponent(U: Matrix, V: Matrix): Factors {
  const r = U.cols;
  const A = gram(U);
  const B = gram(V);
  // Row (a,b), column (c,d) of the Kronecker matrix: A[a,c]·δ(b,d) + δ(a,c)·B[d,b], on R in row-major order.
  const K = new Float64Array(r * r * r * r);
  const rhs = new Float64Array(r * r);
  for (let a = 0; a < r; a++) {
    for (let b = 0; b < r; b++) {
      const row = (a * r + b) * r * r;
      rhs[a * r + b] = A[a * r + b] - B[a * r + b];
      for (let c = 0; c < r; c++) K[row + c * r + b] += A[a * r + c];
      for (let d = 0; d < r; d++) K[row + a * r + d] += B[d * r + b];
    }
  }
  const R = solveLinear(K, r * r, rhs);
  const Un = zeros(U.rows, r);
  const Vn = zeros(V.rows, r);
  // U − U R and V + V Rᵀ.
  for (let i = 0; i < U.rows; i++) {
    for (let b = 0; b < r; b++) {
      let s = U.data[i * r + b];
      for (let c = 0; c < r; c++) s -= U.data[i * r + c] * R[c * r + b];
      Un.data[i * r + b] = s;
    }
  }
  for (let j = 0; j < V.rows; j++) {
    for (let b = 0; b < r; b++) {
      let s = V.data[j * r + b];
      for (let c = 0; c < r; c++) s += V.data[j * r + c] * R[b * r + c];
      Vn.data[j * r + b] = s;
    }
  }
  return { U: Un, V: Vn };
}

/** One GNMR iteration from (U, V) (see the top of this file); returns the new factors and LSQR's iteration count. */
export function gnmrStep(
  obs: Observations,
  U: Matrix,
  V: Matrix,
  variant: GnmrVariant = 'updating',
  lsqrOpts: { tol?: number; maxIters?: number } = {},
): Factors & { lsqrIterations: number } {
  const alpha = GNMR_VARIANTS[variant];
  const r = U.cols;
  const fit = sampledProduct(U, V, obs);
  const rho = new Float64Array(fit.length);
  for (let t = 0; t < rho.length; t++) rho[t] = obs.values[t] - fit[t];
  const tol = lsqrOpts.tol ?? 1e-14;
  const op = jacobianOperator(U, V, obs);
  const { x, iterations } = lsqr(op, rho, { atol: tol, btol: tol, maxIters: lsqrOpts.maxIters ?? 4 * op.cols });
  const Un = zeros(U.rows, r);
  const Vn = zeros(V.rows, r);
  const offV = U.rows * r;
  // (1 − α)/2·(U, V) + Δ + (1 + α)/2·Π(U, V).
  const keep = (1 - alpha) / 2;
  const proj = (1 + alpha) / 2;
  const P = proj === 0 ? null : removeTrivialNullComponent(U, V);
  for (let i = 0; i < Un.data.length; i++) Un.data[i] = keep * U.data[i] + x[i] + (P ? proj * P.U.data[i] : 0);
  for (let i = 0; i < Vn.data.length; i++) Vn.data[i] = keep * V.data[i] + x[offV + i] + (P ? proj * P.V.data[i] : 0);
  return { U: Un, V: Vn, lsqrIterations: iterations };
}

/**
 * GNMR for completion of `obs` at rank opts.rank, from the spectral start (or opts.init), until the relative
 * residual on Ω is at most tol, has not gone below its best for `patience` iterations (stall), or maxIters.
 */
export function gnmr(obs: Observations, opts: GnmrOptions): GnmrResult {
  const start = performance.now();
  const [n1, n2] = obs.shape;
  checkRank(opts.rank, n1, n2);
  const maxIters = opts.maxIters ?? GNMR_DEFAULTS.maxIters;
  const tol = opts.tol ?? GNMR_DEFAULTS.tol;
  const patience = opts.patience ?? GNMR_DEFAULTS.patience;
  const variant = opts.variant ?? GNMR_DEFAULTS.variant;
  if (!Object.hasOwn(GNMR_VARIANTS, variant)) {
    throw new RangeError(
      `gnmr: variant must be one of ${Object.keys(GNMR_VARIANTS).join(', ')}, got ${String(variant)}`,
    );
  }
  let { U, V } = opts.init ?? spectralInit(obs, opts.rank, opts.backend);
  if (U.cols !== opts.rank || V.cols !== opts.rank || U.rows !== n1 || V.rows !== n2) {
    throw new RangeError(`gnmr: init factors must be ${n1}×${opts.rank} and ${n2}×${opts.rank}`);
  }
  let residual = relativeResidual(U, V, obs);
  const history = [residual];
  let best = { U, V, residual };
  let sinceBest = 0;
  let lsqrTotal = 0;
  let iterations = 0;
  const step = (): StopReason | null => {
    if (residual <= tol) return 'tolerance';
    if (iterations >= maxIters) return 'max-iters';
    if (opts.signal?.aborted) return 'interrupted';
    const next = gnmrStep(obs, U, V, variant, { tol: opts.lsqrTol, maxIters: opts.lsqrMaxIters });
    const nextResidual = relativeResidual(next.U, next.V, obs);
    lsqrTotal += next.lsqrIterations;
    if (!Number.isFinite(nextResidual)) return 'stall';
    iterations++;
    U = next.U;
    V = next.V;
    residual = nextResidual;
    history.push(residual);
    opts.onProgress?.({ step: iterations, maxIters, residual, lsqrIterations: next.lsqrIterations, U, V });
    if (residual < best.residual) {
      best = { U, V, residual };
      sinceBest = 0;
    } else if (++sinceBest >= patience) return 'stall';
    return null;
  };
  const finish = (stopReason: StopReason): GnmrResult => {
    // A stalled or diverged run returns its lowest-residual iterate (the last one otherwise, which is that one too).
    if (stopReason === 'stall' || (stopReason === 'max-iters' && opts.returnBest)) ({ U, V, residual } = best);
    return {
      U,
      V,
      iterations,
      lsqrIterations: lsqrTotal,
      residual,
      residualHistory: history,
      stopReason,
      seconds: (performance.now() - start) / 1000,
    };
  };
  return runToStop(step, finish);
}
