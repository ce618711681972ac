// ScaledGD (Tong, Ma & Chi, "Accelerating ill-conditioned low-rank matrix estimation via scaled gradient descent",
// JMLR 2021) for completion at a given rank r: gradient descent on f(L, R) = (1/2p)·||P_Ω(LRᵀ − X)||², p = |Ω|/(n₁n₂),
// with each factor's gradient preconditioned by the inverse Gram matrix of the other,
//     L ← L − η·∇_L f·(RᵀR)⁻¹,   R ← R − η·∇_R f·(LᵀL)⁻¹   (both from the same (L, R)),
// from the spectral start (without the paper's incoherence projection). Each iteration costs O(|Ω|·r + (n₁+n₂)r²
// + r³); the rate is linear and, unlike plain gradient descent, independent of the condition number of X.
import { zeros, type Matrix } from '../linalg/matrix.ts';
import type { Backend } from '../linalg/backend.ts';
import type { Observations } from '../data/observations.ts';
import { checkRank, gram, relativeResidual, sampledProduct, spectralInit, type Factors } from './factors.ts';
import { solveLinear } from './small-dense.ts';
import { runToStop, type StopReason } from './loop.ts';
import { SCALED_GD_DEFAULTS } from '../defaults.ts';

/** Settings of scaledGd. */
export interface ScaledGdOptions {
  rank: number;
  /** Step size η (the paper's analysis: η ≤ 2/3; default SCALED_GD_DEFAULTS.stepSize, 0.5). */
  stepSize?: number;
  /** Iterations (default SCALED_GD_DEFAULTS.maxIters, 5000). */
  maxIters?: number;
  /** Stop when the relative residual on Ω is at most this (default SCALED_GD_DEFAULTS.tol, 1e-14). */
  tol?: number;
  init?: Factors;
  backend?: Backend;
  signal?: AbortSignal;
}

/** What scaledGd returns. */
export interface ScaledGdResult extends Factors {
  iterations: number;
  /** Final ||P_Ω(LRᵀ) − b|| / ||b||. */
  residual: number;
  /**
   * 'tolerance'; 'stall' (a non-finite residual, a factor that lost rank, or no new lowest residual in 200
   * iterations: then the lowest-residual iterate is returned); 'max-iters'; 'interrupted'.
   */
  stopReason: StopReason;
  seconds: number;
}

/** out = X·G⁻¹ for an n×r X and a symmetric positive definite r×r G (G⁻¹ by r solves of G x = e_k). */
function timesInverse(X: Matrix, G: Float64Array): Matrix {
  const r = X.cols;
  const inv = new Float64Array(r * r);
  for (let k = 0; k < r; k++) {
    const e = new Float64Array(r);
    e[k] = 1;
    const col = solveLinear(G, r, e);
    for (let a = 0; a < r; a++) inv[a * r + k] = col[a];
  }
  const out = zeros(X.rows, r);
  for (let i = 0; i < X.rows; i++) {
    for (let b = 0; b < r; b++) {
      let s = 0;
      for (let a = 0; a < r; a++) s += X.data[i * r + a] * inv[a * r + b];
      out.data[i * r + b] = s;
    }
  }
  return out;
}

/** ScaledGD for completion of `obs` at rank opts.rank, from the spectral start (or opts.init). */
export function scaledGd(obs: Observations, opts: ScaledGdOptions): ScaledGdResult {
  const start = performance.now();
  const [n1, n2] = obs.shape;
  checkRank(opts.rank, n1, n2);
  const eta = opts.stepSize ?? SCALED_GD_DEFAULTS.stepSize;
  if (!(eta > 0 && Number.isFinite(eta)))
    throw new RangeError(`scaled-gd: stepSize must be a finite number > 0, got ${eta}`);
  const maxIters = opts.maxIters ?? SCALED_GD_DEFAULTS.maxIters;
  const tol = opts.tol ?? SCALED_GD_DEFAULTS.tol;
  const r = opts.rank;
  const p = obs.values.length / (n1 * n2);
  const init = opts.init ?? spectralInit(obs, r, opts.backend);
  let L: Matrix = { ...init.U, data: Float64Array.from(init.U.data) };
  let R: Matrix = { ...init.V, data: Float64Array.from(init.V.data) };
  let residual = relativeResidual(L, R, obs);
  let best = { L, R, residual };
  let sinceBest = 0;
  let iterations = 0;
  const fit = new Float64Array(obs.values.length);
  const step = (): StopReason | null => {
    if (residual <= tol) return 'tolerance';
    if (iterations >= maxIters) return 'max-iters';
    if (opts.signal?.aborted) return 'interrupted';
    // ∇_L f = (1/p)·S·R and ∇_R f = (1/p)·Sᵀ·L with S = P_Ω(LRᵀ − X), both O(|Ω|·r).
    sampledProduct(L, R, obs, fit);
    const gL = zeros(n1, r);
    const gR = zeros(n2, r);
    for (let t = 0; t < fit.length; t++) {
      const s = (fit[t] - obs.values[t]) / p;
      const a = obs.rows[t] * r;
      const b = obs.cols[t] * r;
      for (let k = 0; k < r; k++) {
        gL.data[a + k] += s * R.data[b + k];
        gR.data[b + k] += s * L.data[a + k];
      }
    }
    let stepL: Matrix;
    let stepR: Matrix;
    try {
      stepL = timesInverse(gL, gram(R));
      stepR = timesInverse(gR, gram(L));
    } catch (err) {
      // A factor lost rank (its Gram matrix is singular): nothing left to precondition with.
      if (!(err instanceof RangeError)) throw err;
      return 'stall';
    }
    const Ln = zeros(n1, r);
    const Rn = zeros(n2, r);
    for (let i = 0; i < Ln.data.length; i++) Ln.data[i] = L.data[i] - eta * stepL.data[i];
    for (let i = 0; i < Rn.data.length; i++) Rn.data[i] = R.data[i] - eta * stepR.data[i];
    L = Ln;
    R = Rn;
    iterations++;
    residual = relativeResidual(L, R, obs);
    if (!Number.isFinite(residual)) return 'stall';
    if (residual < best.residual) {
      best = { L, R, residual };
      sinceBest = 0;
    } else if (++sinceBest >= 200) return 'stall';
    return null;
  };
  return runToStop(step, (stopReason): ScaledGdResult => {
    // A stalled or diverged run returns its lowest-residual iterate.
    if (stopReason === 'stall') ({ L, R, residual } = best);
    return { U: L, V: R, iterations, residual, stopReason, seconds: (performance.now() - start) / 1000 };
  });
}
