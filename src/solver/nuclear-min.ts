import { zeros, type Matrix } from '../linalg/matrix.ts';
import { getBackend, type Backend } from '../linalg/backend.ts';
import { linearIndices, type Observations } from '../data/observations.ts';
import { shrinkInto } from './shrink.ts';
import { runToStop, type StopReason } from './loop.ts';
import { NUCLEAR_MIN_DEFAULTS } from '../defaults.ts';

/** Settings of the nuclear-norm minimization solver (ADMM). */
export interface NuclearMinOptions {
  /** Box half-width δ: the constraint is |X_ij − M_ij| ≤ δ on Ω; 0 (the default, NUCLEAR_MIN_DEFAULTS.boxTol) is exact equality X_Ω = M_Ω. */
  boxHalfWidth?: number;
  /** Stop when the primal and dual residuals are both at most relTol relative to their scale (Boyd et al. 2011, 3.3.1). */
  relTol: number;
  maxIters: number;
  /** Initial ADMM penalty ρ (the threshold of the first SVT is 1/ρ); default 10/||P_Ω(M)||_2. */
  rho?: number;
  /** Over-relaxation α ∈ (0, 2) (Boyd et al. 2011, 3.4.3); default 1.7. */
  relaxation?: number;
  /** Warm-start each SVD from the previous right singular vectors (default true; false only to measure the gain). */
  warmStart?: boolean;
  /** Backend of the SVDs (default getBackend(); the native one ignores warmStart). */
  backend?: Backend;
  progressEvery?: number;
  onProgress?: (event: NuclearMinProgress) => void;
  signal?: AbortSignal;
}

/** One progress report of the ADMM iteration. */
export interface NuclearMinProgress {
  step: number;
  maxIters: number;
  /** ||X − Z||_F / max(||X||_F, ||Z||_F). */
  primalResidual: number;
  /** ρ·||Z − Z_prev||_F / ||ρU||_F. */
  dualResidual: number;
  rho: number;
  rank: number;
  elapsedSeconds: number;
}

/** The solution of min ||X||_* s.t. X ≈ M on Ω, and the evidence that it is one. */
export interface NuclearMinResult {
  /** The last SVT iterate (exactly of rank `rank`). */
  X: Matrix;
  /** Its nonzero singular values, descending. */
  singularValues: Float64Array;
  rank: number;
  iterations: number;
  stopReason: StopReason;
  seconds: number;
  primalResidual: number;
  dualResidual: number;
  /**
   * Constraint violation of X relative to the data: ||r||_F / ||P_Ω(M)||_F with r_ij = X_ij − M_ij on Ω
   * (for δ > 0, the part of |X_ij − M_ij| beyond δ).
   */
  constraintResidual: number;
  /** The largest |X_ij − M_ij| over Ω. */
  maxAbsResidual: number;
  /** Final ADMM penalty. */
  rho: number;
  /**
   * The dual matrix Y = −ρ·U (U the scaled ADMM multiplier), supported on Ω, entry k at (rows[k], cols[k]) of the
   * observations. At the optimum Y ∈ ∂||X||_*: P_T(Y) = U_X V_X^T and ||P_T⊥(Y)||_2 ≤ 1.
   */
  dual: Float64Array;
  /**
   * A lower bound on the optimal value from weak duality: with Ŷ = Y / max(1, ||Y||_2),
   * ⟨Ŷ, M⟩_Ω − δ·Σ|Ŷ_ij| ≤ ||X'||_* for every feasible X'.
   */
  dualBound: number;
  /** (||X||_* − dualBound) / ||X||_*: small when X is optimal (read together with constraintResidual). */
  dualityGap: number;
}

/**
 * Nuclear-norm minimization min ||X||_* s.t. |X_ij − M_ij| ≤ δ on Ω (δ = 0: X_Ω = M_Ω), solved by ADMM on the split
 * X = Z, Z ∈ C = {Z : |Z_ij − M_ij| ≤ δ on Ω} (Boyd et al. 2011; scaled form):
 *   X ← D_{1/ρ}(Z − U)  (singular value thresholding),  X̂ = αX + (1−α)Z,  Z ← Π_C(X̂ + U),  U ← U + X̂ − Z,
 * with over-relaxation α and residual balancing of ρ (Boyd 3.4.1, 3.4.3). U stays supported on Ω. A fixed point has
 * X = Z feasible and Y = −ρU ∈ ∂||X||_*, which is optimality. Each iteration costs one SVD of an m×n matrix
 * (warm-started, O(k²·max(m,n)) per Jacobi sweep, k = min(m,n), ~3 sweeps) plus O(m·n·rank).
 */
export function nuclearMin(obs: Observations, opts: NuclearMinOptions): NuclearMinResult {
  const [m, n] = obs.shape;
  const count = obs.values.length;
  const delta = opts.boxHalfWidth ?? NUCLEAR_MIN_DEFAULTS.boxTol;
  if (!(delta >= 0) || !Number.isFinite(delta)) throw new RangeError(`box tolerance must be >= 0, got ${delta}`);
  if (!(opts.relTol > 0)) throw new RangeError(`relative tolerance must be > 0, got ${opts.relTol}`);
  if (!(opts.maxIters >= 1) || !Number.isInteger(opts.maxIters)) {
    throw new RangeError(`max-iters must be a positive integer, got ${opts.maxIters}`);
  }
  const start = performance.now();
  const idx = linearIndices(obs);
  const M = obs.values;
  const mask = new Uint8Array(m * n);
  for (let k = 0; k < count; k++) mask[idx[k]] = 1;
  const X = zeros(m, n);
  const A = zeros(m, n);
  const backend = opts.backend ?? getBackend();
  const svdWs = backend.createSvdWorkspace(m, n);
  const work = new Float64Array(n * Math.min(m, n));
  const u = new Float64Array(count);
  const zd = new Float64Array(m * n);
  const sx = new Float64Array(Math.min(m, n));
  let normM = 0;
  for (let k = 0; k < count; k++) normM += M[k] * M[k];
  normM = Math.sqrt(normM);

  // Initial ρ: the first threshold 1/ρ is a tenth of ||P_Ω(M)||_2 (of 4, 10, 20 tried on the protocol, 10 was fastest).
  let rho = opts.rho ?? 0;
  if (!(rho > 0)) {
    for (let k = 0; k < count; k++) A.data[idx[k]] = M[k];
    const top = backend.svdInto(A, svdWs).s[0];
    rho = top > 0 ? 10 / top : 1;
  }
  // Z_0 = Π_C(0), U_0 = 0.
  for (let k = 0; k < count; k++) zd[idx[k]] = clamp(0, M[k] - delta, M[k] + delta);

  const warmStart = opts.warmStart ?? true;
  const alpha = opts.relaxation ?? 1.7;
  if (!(alpha > 0 && alpha < 2)) throw new RangeError(`relaxation must be in (0, 2), got ${alpha}`);
  const progressEvery = Math.max(1, opts.progressEvery ?? 10);
  const BALANCE_MU = 10;
  const BALANCE_TAU = 2;
  let rank = 0;
  let primal = Infinity;
  let dual = Infinity;
  let iterations = 0;
  const x = X.data;
  const a = A.data;
  const step = (t: number): StopReason | null => {
    if (t > opts.maxIters) return 'max-iters';
    if (opts.signal?.aborted) return 'interrupted';
    // A = Z − U (U is zero off Ω).
    a.set(zd);
    for (let k = 0; k < count; k++) a[idx[k]] -= u[k];
    const svd = backend.svdInto(A, svdWs, { warmStart: warmStart && t > 1 });
    rank = shrinkInto(svd, 1 / rho, X, { work });
    for (let c = 0; c < rank; c++) sx[c] = svd.s[c] - 1 / rho;
    // Over-relaxed X̂ = αX + (1−α)Z_prev; off Ω, Z = X̂ (no constraint, U = 0 there).
    let dz2 = 0;
    let xx = 0;
    let zz = 0;
    let r2 = 0;
    for (let i = 0; i < x.length; i++) {
      xx += x[i] * x[i];
      if (mask[i]) continue;
      const zn = alpha * x[i] + (1 - alpha) * zd[i];
      dz2 += (zn - zd[i]) * (zn - zd[i]);
      r2 += (x[i] - zn) * (x[i] - zn);
      zz += zn * zn;
      zd[i] = zn;
    }
    let uu = 0;
    for (let k = 0; k < count; k++) {
      const i = idx[k];
      const v = alpha * x[i] + (1 - alpha) * zd[i] + u[k];
      const zn = clamp(v, M[k] - delta, M[k] + delta);
      dz2 += (zn - zd[i]) * (zn - zd[i]);
      r2 += (x[i] - zn) * (x[i] - zn);
      zz += zn * zn;
      u[k] = v - zn;
      uu += u[k] * u[k];
      zd[i] = zn;
    }
    iterations = t;
    const scalePrimal = Math.max(Math.sqrt(xx), Math.sqrt(zz));
    primal = scalePrimal > 0 ? Math.sqrt(r2) / scalePrimal : 0;
    dual = uu > 0 ? Math.sqrt(dz2 / uu) : dz2 > 0 ? Infinity : 0;
    if (opts.onProgress && (t % progressEvery === 0 || t === opts.maxIters)) {
      opts.onProgress({
        step: t,
        maxIters: opts.maxIters,
        primalResidual: primal,
        dualResidual: dual,
        rho,
        rank,
        elapsedSeconds: (performance.now() - start) / 1000,
      });
    }
    if (primal <= opts.relTol && dual <= opts.relTol) return 'tolerance';
    // Residual balancing: keep the two residuals (relative to their tolerances) within a factor BALANCE_MU.
    if (primal > BALANCE_MU * dual) {
      rho *= BALANCE_TAU;
      for (let k = 0; k < count; k++) u[k] /= BALANCE_TAU;
    } else if (dual > BALANCE_MU * primal) {
      rho /= BALANCE_TAU;
      for (let k = 0; k < count; k++) u[k] *= BALANCE_TAU;
    }
    return null;
  };
  const stopReason = runToStop(step, (reason) => reason);

  const s = sx.slice(0, rank);
  // The dual matrix Y = −ρU on Ω and the constraint violation of X.
  const Y = new Float64Array(count);
  let viol2 = 0;
  let maxAbs = 0;
  let dualInner = 0;
  let dualL1 = 0;
  for (let k = 0; k < count; k++) {
    Y[k] = -rho * u[k];
    const d = x[idx[k]] - M[k];
    maxAbs = Math.max(maxAbs, Math.abs(d));
    const over = Math.max(Math.abs(d) - delta, 0);
    viol2 += over * over;
    dualInner += Y[k] * M[k];
    dualL1 += Math.abs(Y[k]);
  }
  a.fill(0);
  for (let k = 0; k < count; k++) a[idx[k]] = Y[k];
  const ySpectral = backend.svdInto(A, svdWs).s[0] ?? 0;
  const yScale = Math.max(1, ySpectral);
  const dualBound = (dualInner - delta * dualL1) / yScale;
  let nuclear = 0;
  for (let i = 0; i < s.length; i++) nuclear += s[i];
  return {
    X,
    singularValues: s,
    rank,
    iterations,
    stopReason,
    seconds: (performance.now() - start) / 1000,
    primalResidual: primal,
    dualResidual: dual,
    constraintResidual: normM > 0 ? Math.sqrt(viol2) / normM : Math.sqrt(viol2),
    maxAbsResidual: maxAbs,
    rho,
    dual: Y,
    dualBound,
    dualityGap: nuclear > 0 ? (nuclear - dualBound) / nuclear : -dualBound,
  };
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
