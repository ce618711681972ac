import { zeros, type Matrix } from '../linalg/matrix.ts';
import { getBackend, type Backend } from '../linalg/backend.ts';
import type { SvdWorkspace } from '../linalg/svd.ts';
import { linearIndices, type Observations } from '../data/observations.ts';
import { shrinkInto } from './shrink.ts';
import { runToStop, type StopReason } from './loop.ts';

/** Settings of soft-impute (Mazumder, Hastie & Tibshirani 2010), for one λ or each λ of a path. */
export interface SoftImputeOptions {
  /** Keep at most this many singular values (the rank-restricted variant); default: no cap. */
  maxRank?: number;
  /** Stop a λ when ||Z_new − Z||_F ≤ changeTol·||Z||_F (both zero counts as converged). */
  changeTol: number;
  /** Iteration cap for each λ. */
  maxIters: number;
  /** Called after every iteration with the objective at the new iterate (for monitoring and tests). */
  onProgress?: (event: SoftImputeProgress) => void;
  signal?: AbortSignal;
  /** Backend of the SVDs (default getBackend(); the native one ignores warm starts). */
  backend?: Backend;
}

/** One soft-impute iteration: the objective ½||P_Ω(M − Z)||_F² + λ||Z||_* at the new Z. */
export interface SoftImputeProgress {
  step: number;
  maxIters: number;
  lambda: number;
  objective: number;
  rank: number;
}

/** The soft-impute solution at one λ. */
export interface SoftImputeResult {
  lambda: number;
  /** The solution X = Z_λ of the paper's notation (owned by the caller). */
  X: Matrix;
  /** Its nonzero singular values, descending. */
  singularValues: Float64Array;
  rank: number;
  iterations: number;
  stopReason: StopReason;
  /** ½||P_Ω(M − Z)||_F² + λ||Z||_* at Z. */
  objective: number;
  seconds: number;
}

/**
 * λ_max = ||P_Ω(M)||_2, the smallest λ whose soft-impute solution is Z = 0 (0 is optimal iff P_Ω(M) ∈ λ·∂||0||_*,
 * i.e. iff ||P_Ω(M)||_2 ≤ λ). Cost one SVD of an m×n matrix, on `backend` (default getBackend()).
 */
export function lambdaMax(obs: Observations, opts: { backend?: Backend } = {}): number {
  const [m, n] = obs.shape;
  const A = zeros(m, n);
  const idx = linearIndices(obs);
  for (let k = 0; k < idx.length; k++) A.data[idx[k]] = obs.values[k];
  const backend = opts.backend ?? getBackend();
  return backend.svdInto(A, backend.createSvdWorkspace(m, n)).s[0] ?? 0;
}

/** A geometric path of `length` values from `top` down to top·minRatio (just `top` when length is 1). Cost O(length). */
export function lambdaPath(top: number, length: number, minRatio: number): Float64Array {
  if (!Number.isInteger(length) || length < 1)
    throw new RangeError(`path length must be a positive integer, got ${length}`);
  if (!(minRatio > 0 && minRatio <= 1)) throw new RangeError(`lambda-min-ratio must be in (0, 1], got ${minRatio}`);
  const out = new Float64Array(length);
  for (let k = 0; k < length; k++) out[k] = length === 1 ? top : top * minRatio ** (k / (length - 1));
  if (length > 1) out[length - 1] = top * minRatio;
  return out;
}

/**
 * Soft-impute at one λ: Z ← D_λ(P_Ω(M) + P_Ω⊥(Z)) (singular value soft-thresholding, optionally capped at maxRank)
 * until the relative change is at most changeTol. Each step minimizes a majorizer of
 * f_λ(Z) = ½||P_Ω(M − Z)||_F² + λ||Z||_*, so f_λ never increases (Mazumder, Hastie & Tibshirani 2010, Lemma 2).
 * Starts from `init` (warm start) or 0. Cost per iteration one m×n SVD plus O(m·n·rank).
 */
export function softImpute(
  obs: Observations,
  lambda: number,
  opts: SoftImputeOptions,
  init?: Matrix,
): SoftImputeResult {
  const state = createState(obs, opts.backend ?? getBackend());
  if (init) state.Z.data.set(checkShape(init, obs).data);
  const point = solveLambda(state, lambda, opts);
  return { ...point, X: state.Z };
}

/** One point of a soft-impute path: the solution's summary at that λ. */
export type SoftImputePathPoint = Omit<SoftImputeResult, 'X'>;

/**
 * Soft-impute along a decreasing sequence of λ, each solve warm-started from the previous solution
 * (Mazumder, Hastie & Tibshirani 2010, Algorithm 1). `onSolution` sees each λ's solution as a live view
 * (copy it to keep it). Returns the summaries and the last solution. Cost: the sum of the solves.
 */
export function softImputePath(
  obs: Observations,
  lambdas: ArrayLike<number>,
  opts: SoftImputeOptions,
  onSolution?: (point: SoftImputePathPoint, X: Matrix) => void,
): { points: SoftImputePathPoint[]; X: Matrix } {
  for (let k = 1; k < lambdas.length; k++) {
    if (!(lambdas[k] <= lambdas[k - 1])) throw new RangeError('soft-impute: the λ path must be non-increasing');
  }
  const state = createState(obs, opts.backend ?? getBackend());
  const points: SoftImputePathPoint[] = [];
  for (let k = 0; k < lambdas.length; k++) {
    const point = solveLambda(state, lambdas[k], opts);
    points.push(point);
    onSolution?.(point, state.Z);
    if (point.stopReason === 'interrupted') break;
  }
  return { points, X: state.Z };
}

interface State {
  readonly obs: Observations;
  readonly idx: Int32Array;
  readonly mask: Uint8Array;
  readonly Z: Matrix;
  readonly A: Matrix;
  readonly zOmega: Float64Array;
  readonly backend: Backend;
  readonly svdWs: SvdWorkspace;
  readonly work: Float64Array;
  svdCalls: number;
}

function createState(obs: Observations, backend: Backend): State {
  const [m, n] = obs.shape;
  const idx = linearIndices(obs);
  const mask = new Uint8Array(m * n);
  for (let k = 0; k < idx.length; k++) mask[idx[k]] = 1;
  return {
    obs,
    idx,
    mask,
    Z: zeros(m, n),
    A: zeros(m, n),
    zOmega: new Float64Array(idx.length),
    backend,
    svdWs: backend.createSvdWorkspace(m, n),
    work: new Float64Array(n * Math.min(m, n)),
    svdCalls: 0,
  };
}

function checkShape(Z: Matrix, obs: Observations): Matrix {
  if (Z.rows !== obs.shape[0] || Z.cols !== obs.shape[1]) {
    throw new RangeError(
      `soft-impute: initial Z is ${Z.rows}×${Z.cols}, observations are ${obs.shape[0]}×${obs.shape[1]}`,
    );
  }
  return Z;
}

/** Iterate at one λ from state.Z; leaves the solution in state.Z and returns its summary. */
function solveLambda(state: State, lambda: number, opts: SoftImputeOptions): SoftImputePathPoint {
  if (!(lambda >= 0) || !Number.isFinite(lambda))
    throw new RangeError(`lambda must be a finite number >= 0, got ${lambda}`);
  if (!(opts.changeTol >= 0)) throw new RangeError(`relative tolerance must be >= 0, got ${opts.changeTol}`);
  if (!(opts.maxIters >= 1) || !Number.isInteger(opts.maxIters)) {
    throw new RangeError(`max-iters must be a positive integer, got ${opts.maxIters}`);
  }
  const maxRank = opts.maxRank ?? Infinity;
  if (!(maxRank >= 1)) throw new RangeError(`max-rank must be a positive integer, got ${maxRank}`);
  const start = performance.now();
  const { idx, mask, Z, A, zOmega, svdWs, work } = state;
  const M = state.obs.values;
  const count = idx.length;
  const z = Z.data;
  const a = A.data;
  const s = new Float64Array(Math.min(Z.rows, Z.cols));
  let rank = 0;
  let objective = NaN;
  let iterations = 0;
  const step = (t: number): StopReason | null => {
    if (t > opts.maxIters) return 'max-iters';
    if (opts.signal?.aborted) return 'interrupted';
    // A = P_Ω(M) + P_Ω⊥(Z); remember Z on Ω to measure the change.
    a.set(z);
    for (let k = 0; k < count; k++) {
      zOmega[k] = z[idx[k]];
      a[idx[k]] = M[k];
    }
    const svd = state.backend.svdInto(A, svdWs, { warmStart: state.svdCalls > 0 });
    state.svdCalls++;
    rank = shrinkInto(svd, lambda, Z, { maxRank, work });
    let nuclear = 0;
    for (let c = 0; c < rank; c++) {
      s[c] = svd.s[c] - lambda;
      nuclear += s[c];
    }
    // ||Z_new − Z_old||² and ||Z_old||²: off Ω, Z_old = A; on Ω, zOmega.
    let diff = 0;
    let old = 0;
    for (let i = 0; i < z.length; i++) {
      if (mask[i]) continue;
      const d = z[i] - a[i];
      diff += d * d;
      old += a[i] * a[i];
    }
    let sse = 0;
    for (let k = 0; k < count; k++) {
      const zk = z[idx[k]];
      const d = zk - zOmega[k];
      diff += d * d;
      old += zOmega[k] * zOmega[k];
      sse += (zk - M[k]) * (zk - M[k]);
    }
    objective = 0.5 * sse + lambda * nuclear;
    iterations = t;
    opts.onProgress?.({ step: t, maxIters: opts.maxIters, lambda, objective, rank });
    if (diff <= opts.changeTol * opts.changeTol * old) return 'tolerance';
    return null;
  };
  const stopReason = runToStop(step, (reason) => reason);
  if (iterations === 0) objective = evaluate(state, lambda);
  return {
    lambda,
    singularValues: s.slice(0, rank),
    rank,
    iterations,
    stopReason,
    objective,
    seconds: (performance.now() - start) / 1000,
  };
}

/** The objective at state.Z (only needed when no iteration ran). */
function evaluate(state: State, lambda: number): number {
  const { idx, Z } = state;
  const M = state.obs.values;
  let sse = 0;
  for (let k = 0; k < idx.length; k++) sse += (Z.data[idx[k]] - M[k]) ** 2;
  const { s } = state.backend.svdInto({ rows: Z.rows, cols: Z.cols, data: Z.data.slice() }, state.svdWs);
  let nuclear = 0;
  for (let i = 0; i < s.length; i++) nuclear += s[i];
  return 0.5 * sse + lambda * nuclear;
}
