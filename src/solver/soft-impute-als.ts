import { zeros, type Matrix } from '../linalg/matrix.ts';
import { getBackend, type Backend } from '../linalg/backend.ts';
import type { SvdWorkspace } from '../linalg/svd.ts';
import type { Observations } from '../data/observations.ts';
import { deriveRng, fillNormal } from '../random/index.ts';
import { qr } from '../linalg/qr.ts';
import type { StopReason } from './loop.ts';
import { residualsOnOmega, sparseTimes, sparseTransposeTimes } from '../linalg/sparse.ts';

/*
 * Rank-restricted soft-impute by alternating least squares, "softImpute-ALS" (Hastie, Mazumder, Lee & Zadeh 2015,
 * JMLR 16, Algorithm 3.1, as in their R package softImpute, type = "als"). For sparse data: every iteration works on
 * the sparse residual on Ω plus the current low-rank estimate, so nothing of size m×n is ever formed or factored.
 * (A dense, exact soft-impute for small synthetic problems lives elsewhere; this one is for large sparse matrices.)
 */

/** The ALS iterate U diag(d) V^T (U m×r, V n×r with orthonormal columns, d >= 0): a warm start for the next λ. */
export interface SoftImputeAlsState {
  readonly U: Matrix;
  readonly d: Float64Array;
  readonly V: Matrix;
}

/** Settings of one softImputeAls solve. */
export interface SoftImputeAlsOptions {
  /** Rank cap r of the iterate (the solution is the exact soft-impute one when its rank comes out below r). */
  rank: number;
  /** Iteration cap (each iteration updates both sides). */
  maxIters: number;
  /** Stop when ||Z_new − Z_old||_F² / ||Z_old||_F² < squaredChangeTol (the package's `thresh`, default there 1e-5). */
  squaredChangeTol: number;
  /** Seed of the random orthonormal start, when there is no warm start. */
  seed: number;
  warmStart?: SoftImputeAlsState;
  /** Called after every iteration with the relative change of the iterate (progress, monitoring). */
  onProgress?: (event: SoftImputeAlsProgress) => void;
  /** Backend of the (m or n)×r SVDs (default getBackend()). */
  backend?: Backend;
}

/** One softImputeAls iteration: `change` is ||Z_new − Z_old||_F² / ||Z_old||_F², the quantity the stop rule bounds. */
export interface SoftImputeAlsProgress {
  step: number;
  maxIters: number;
  change: number;
}

/** The solution Z = U diag(s) V^T at one λ, with s the soft-thresholded singular values (s_i = max(σ_i − λ, 0)). */
export interface SoftImputeAlsResult {
  lambda: number;
  U: Matrix;
  s: Float64Array;
  V: Matrix;
  /** Number of nonzero s_i. */
  rank: number;
  iterations: number;
  /** 'tolerance' (the change fell below squaredChangeTol) or 'max-iters'. */
  stopReason: StopReason;
  /** The ALS iterate before the final thresholding step: pass it as warmStart for a nearby λ. */
  state: SoftImputeAlsState;
}

/**
 * Solve min_Z ½||P_Ω(M − Z)||_F² + λ||Z||_* over rank(Z) <= r by softImpute-ALS (Hastie et al. 2015, Alg. 3.1):
 * with X* = P_Ω(M − Z) + Z (sparse + low rank), alternate
 *   B̃ = X*^T U diag(d/(d+λ)),  SVD B̃ = P diag(σ) Q^T,  V ← P, d ← σ, U ← U·Q;
 *   Ã = X* V diag(d/(d+λ)),    SVD Ã = P diag(σ) Q^T,  U ← P, d ← σ, V ← V·Q,
 * then one final step X*·V = P diag(σ) Q^T, Z = P diag((σ − λ)_+) (V·Q)^T. Each half step costs ~4|Ω|r flops
 * (residuals on Ω and one sparse product) plus an SVD of an (m or n)×r matrix, O((m+n)r²).
 */
export function softImputeAls(obs: Observations, lambda: number, opts: SoftImputeAlsOptions): SoftImputeAlsResult {
  const [m, n] = obs.shape;
  const r = opts.rank;
  if (!Number.isInteger(r) || r < 1 || r > Math.min(m, n)) {
    throw new RangeError(`soft-impute: rank must be an integer in 1..${Math.min(m, n)} (min(m, n)), got ${r}`);
  }
  if (!(lambda >= 0) || !Number.isFinite(lambda))
    throw new RangeError(`soft-impute: lambda must be >= 0, got ${lambda}`);
  let U: Matrix;
  let d: Float64Array;
  let V: Matrix;
  if (opts.warmStart) {
    const w = opts.warmStart;
    if (w.U.rows !== m || w.V.rows !== n || w.U.cols !== r || w.V.cols !== r || w.d.length !== r) {
      throw new RangeError(
        `soft-impute: warm start has rank ${w.d.length} for ${w.U.rows}×${w.V.rows}, expected rank ${r} for ${m}×${n}`,
      );
    }
    U = { rows: m, cols: r, data: w.U.data.slice() };
    d = w.d.slice();
    V = { rows: n, cols: r, data: w.V.data.slice() };
    reviveDead(U, d, V, opts.seed);
  } else {
    const G = zeros(m, r);
    fillNormal(deriveRng(opts.seed, 'soft-impute-als'), G.data);
    U = qr(G).Q;
    d = new Float64Array(r).fill(1);
    V = zeros(n, r);
  }
  const S = new Float64Array(obs.values.length);
  const X = zeros(n, r);
  const Y = zeros(m, r);
  const backend = opts.backend ?? getBackend();
  const wsN = backend.createSvdWorkspace(n, r);
  const wsM = backend.createSvdWorkspace(m, r);
  const Uold = zeros(m, r);
  const Vold = zeros(n, r);
  const dOld = new Float64Array(r);
  const tmpM = zeros(m, r);
  const tmpN = zeros(n, r);
  let iterations = 0;
  let stopReason: StopReason = 'max-iters';
  while (iterations < opts.maxIters) {
    iterations++;
    Uold.data.set(U.data);
    Vold.data.set(V.data);
    dOld.set(d);
    // U step: V, d from the SVD of X*^T U diag(d/(d+λ)); rotate U.
    residualsOnOmega(obs, U, d, V, S);
    sparseTransposeTimes(obs, S, U, X);
    addScaledAndShrink(X, V, d, lambda);
    ({ d } = rotateBySvd(backend, X, wsN, V, U, tmpM));
    dropNegligible(d);
    // V step: U, d from the SVD of X* V diag(d/(d+λ)); rotate V.
    residualsOnOmega(obs, U, d, V, S);
    sparseTimes(obs, S, V, Y);
    addScaledAndShrink(Y, U, d, lambda);
    ({ d } = rotateBySvd(backend, Y, wsM, U, V, tmpN));
    dropNegligible(d);
    const change = relativeChange(Uold, dOld, Vold, U, d, V);
    opts.onProgress?.({ step: iterations, maxIters: opts.maxIters, change });
    if (change < opts.squaredChangeTol) {
      stopReason = 'tolerance';
      break;
    }
  }
  const state: SoftImputeAlsState = {
    U: { ...U, data: U.data.slice() },
    d: d.slice(),
    V: { ...V, data: V.data.slice() },
  };
  // Final step: SVD of X* V, then soft-threshold the singular values.
  residualsOnOmega(obs, U, d, V, S);
  sparseTimes(obs, S, V, Y);
  addScaledAndShrink(Y, U, d, 0);
  ({ d } = rotateBySvd(backend, Y, wsM, U, V, tmpN));
  const s = new Float64Array(r);
  let rank = 0;
  for (let c = 0; c < r; c++) {
    s[c] = Math.max(d[c] - lambda, 0);
    if (s[c] > 0) rank++;
  }
  return { lambda, U, s, V, rank, iterations, stopReason, state };
}

/** Z_ij = Σ_c U_ic s_c V_jc for one entry of a soft-impute solution. Cost O(r). */
export function softImputeAlsEntry(result: Pick<SoftImputeAlsResult, 'U' | 's' | 'V'>, i: number, j: number): number {
  const r = result.s.length;
  const u = result.U.data;
  const v = result.V.data;
  let z = 0;
  for (let c = 0; c < r; c++) z += u[i * r + c] * result.s[c] * v[j * r + c];
  return z;
}

/** Components below this fraction of the largest are set to exactly 0 (their shrink factor d/(d+λ) makes them
 *  decay super-exponentially; exact zeros keep the SVDs away from absurdly graded columns). */
const NEGLIGIBLE = 1e-12;

/** d_c ← 0 where d_c <= NEGLIGIBLE·max d. Cost O(r). */
function dropNegligible(d: Float64Array): void {
  let top = 0;
  for (let c = 0; c < d.length; c++) top = Math.max(top, d[c]);
  for (let c = 0; c < d.length; c++) if (d[c] <= NEGLIGIBLE * top) d[c] = 0;
}

/**
 * A component that died (d_c = 0) cannot come back under ALS (its update is scaled by d_c/(d_c+λ) = 0), yet at a
 * smaller λ the solution may need it: restart each dead one as the cold start does (d_c = 1, V_c = 0), with U_c a
 * random unit vector orthogonal to the other columns of U. Cost O(m·r²).
 */
function reviveDead(U: Matrix, d: Float64Array, V: Matrix, seed: number): void {
  const r = d.length;
  const m = U.rows;
  const u = U.data;
  let top = 0;
  for (let c = 0; c < r; c++) top = Math.max(top, d[c]);
  const rng = deriveRng(seed, 'soft-impute-als-revive');
  const col = new Float64Array(m);
  for (let c = 0; c < r; c++) {
    if (d[c] > NEGLIGIBLE * top && top > 0) continue;
    for (let attempt = 0; attempt < 5; attempt++) {
      fillNormal(rng, col);
      for (let pass = 0; pass < 2; pass++) {
        for (let q = 0; q < r; q++) {
          if (q === c) continue;
          let dot = 0;
          for (let i = 0; i < m; i++) dot += u[i * r + q] * col[i];
          for (let i = 0; i < m; i++) col[i] -= dot * u[i * r + q];
        }
      }
      let nn = 0;
      for (let i = 0; i < m; i++) nn += col[i] * col[i];
      if (nn > 1e-8) {
        const inv = 1 / Math.sqrt(nn);
        for (let i = 0; i < m; i++) u[i * r + c] = col[i] * inv;
        break;
      }
    }
    d[c] = 1;
    for (let j = 0; j < V.rows; j++) V.data[j * r + c] = 0;
  }
}

/** X ← (X + P diag(d)) diag(d/(d+λ)) (column c scaled by d_c/(d_c+λ); by 1 when λ = 0). Cost O(len·r). */
function addScaledAndShrink(X: Matrix, P: Matrix, d: Float64Array, lambda: number): void {
  const r = d.length;
  const x = X.data;
  const p = P.data;
  const f = new Float64Array(r);
  for (let c = 0; c < r; c++) f[c] = lambda === 0 ? 1 : d[c] / (d[c] + lambda);
  for (let i = 0; i < X.rows; i++) {
    const o = i * r;
    for (let c = 0; c < r; c++) x[o + c] = (x[o + c] + p[o + c] * d[c]) * f[c];
  }
}

/**
 * SVD X = P diag(σ) Q^T (X len×r); then `into` ← P and `rotate` ← rotate·Q (using `tmp`, same shape as rotate).
 * Returns σ. Cost O(len·r² + other·r²).
 */
function rotateBySvd(
  backend: Backend,
  X: Matrix,
  ws: SvdWorkspace,
  into: Matrix,
  rotate: Matrix,
  tmp: Matrix,
): { d: Float64Array } {
  // Cold start: X is len×r, typically len ≫ r, and the SVD's cost is then its O(len·r²) QR, which warm and cold
  // starts both pay.
  const { U: P, s, V: Q } = backend.svdInto(X, ws);
  into.data.set(P.data);
  const r = s.length;
  const a = rotate.data;
  const q = Q.data;
  const t = tmp.data;
  for (let i = 0; i < rotate.rows; i++) {
    const o = i * r;
    for (let c = 0; c < r; c++) {
      let z = 0;
      for (let p = 0; p < r; p++) z += a[o + p] * q[p * r + c];
      t[o + c] = z;
    }
  }
  a.set(t);
  return { d: s.slice() };
}

/**
 * ||Z_old − Z||_F² / ||Z_old||_F² for Z = U diag(d) V^T, from r×r products only (the package's Frob):
 * ||Z_old||² + ||Z||² − 2 tr((diag(d) U^T U_old)(diag(d_old) V_old^T V)). Cost O((m+n)r²).
 */
function relativeChange(Uo: Matrix, dOld: Float64Array, Vo: Matrix, U: Matrix, d: Float64Array, V: Matrix): number {
  const r = d.length;
  const utu = crossProduct(U, Uo, r);
  const vtv = crossProduct(Vo, V, r);
  let denom = 0;
  let cur = 0;
  for (let c = 0; c < r; c++) {
    denom += dOld[c] * dOld[c];
    cur += d[c] * d[c];
  }
  let uv = 0;
  for (let a = 0; a < r; a++) for (let b = 0; b < r; b++) uv += d[a] * utu[a * r + b] * dOld[b] * vtv[b * r + a];
  return (denom + cur - 2 * uv) / Math.max(denom, 1e-9);
}

/** X^T Y (r×r) for X, Y len×r row-major. Cost 2·len·r² flops. */
function crossProduct(X: Matrix, Y: Matrix, r: number): Float64Array {
  const out = new Float64Array(r * r);
  const x = X.data;
  const y = Y.data;
  for (let i = 0; i < X.rows; i++) {
    const o = i * r;
    for (let a = 0; a < r; a++) {
      const xa = x[o + a];
      if (xa === 0) continue;
      for (let b = 0; b < r; b++) out[a * r + b] += xa * y[o + b];
    }
  }
  return out;
}
