// Alternating minimization (alternating least squares on the factors) for completion at a given rank r: with V
// fixed, min_U ||P_Ω(UVᵀ) − b||² splits into one r×r least-squares problem per row, (Σ_{j∈Ω_i} v_j v_jᵀ) u_i =
// Σ_{j∈Ω_i} b_ij v_j, and the same for V with U fixed (Jain, Netrapalli & Sanghavi, STOC 2013, without their
// resampling). Each sweep costs O(|Ω|·r² + (n₁ + n₂)·r³); it converges linearly, not quadratically like gnmr.ts.
import { zeros, type Matrix } from '../linalg/matrix.ts';
import type { Backend } from '../linalg/backend.ts';
import type { Observations } from '../data/observations.ts';
import { checkRank, relativeResidual, spectralInit, type Factors } from './factors.ts';
import { choleskySolveInPlace } from './small-dense.ts';
import { runToStop, type StopReason } from './loop.ts';
import { ALTMIN_DEFAULTS } from '../defaults.ts';

/** Settings of altmin. */
export interface AltminOptions {
  rank: number;
  /** Sweeps (one U update and one V update each; default ALTMIN_DEFAULTS.maxIters, 2000). */
  maxIters?: number;
  /** Stop when the relative residual on Ω is at most this (default ALTMIN_DEFAULTS.tol, 1e-14). */
  tol?: number;
  /** Starting factors (default: spectralInit; only V is used, the first half-sweep solves for U). */
  init?: Factors;
  backend?: Backend;
  signal?: AbortSignal;
  /** After every sweep, with the relative residual on Ω (U, V are live: copy to keep them). */
  onProgress?: (event: { step: number; maxIters: number; residual: number; U: Matrix; V: Matrix }) => void;
}

/** What altmin returns. */
export interface AltminResult extends Factors {
  iterations: number;
  /** Final ||P_Ω(UVᵀ) − b|| / ||b||. */
  residual: number;
  /** 'tolerance', 'stall' (the residual fell by less than 0.01% over 50 sweeps), 'max-iters' or 'interrupted'. */
  stopReason: StopReason;
  seconds: number;
}

/** The observed entries grouped by row (or, transposed, by column): CSR offsets into a permutation of Ω. */
function groupBy(index: Int32Array, count: number): { start: Int32Array; order: Int32Array } {
  const start = new Int32Array(count + 1);
  for (let t = 0; t < index.length; t++) start[index[t] + 1]++;
  for (let i = 0; i < count; i++) start[i + 1] += start[i];
  const fill = start.slice(0, count);
  const order = new Int32Array(index.length);
  for (let t = 0; t < index.length; t++) order[fill[index[t]]++] = t;
  return { start, order };
}

/**
 * Overwrite X (rows × r) with the per-row least-squares solutions against the fixed factor Y: row i from the
 * entries (i, other[t]) of its group. A row seen fewer than r times has a singular Gram matrix; a ridge of 1e-12 of
 * its mean diagonal gives it the (near) minimal-norm answer instead of a failure.
 */
function solveRows(
  X: Matrix,
  Y: Matrix,
  groups: { start: Int32Array; order: Int32Array },
  other: Int32Array,
  values: Float64Array,
): void {
  const r = X.cols;
  const G = new Float64Array(r * r);
  const y = Y.data;
  for (let i = 0; i < X.rows; i++) {
    G.fill(0);
    const off = i * r;
    for (let k = 0; k < r; k++) X.data[off + k] = 0;
    for (let q = groups.start[i]; q < groups.start[i + 1]; q++) {
      const t = groups.order[q];
      const b = other[t] * r;
      for (let a = 0; a < r; a++) {
        const ya = y[b + a];
        X.data[off + a] += values[t] * ya;
        for (let c = 0; c <= a; c++) G[a * r + c] += ya * y[b + c];
      }
    }
    let trace = 0;
    for (let a = 0; a < r; a++) {
      trace += G[a * r + a];
      for (let c = 0; c < a; c++) G[c * r + a] = G[a * r + c];
    }
    const ridge = trace > 0 ? (1e-12 * trace) / r : 1e-300;
    const rhs = X.data.slice(off, off + r);
    if (!choleskySolveInPlace(G, r, X.data, off, groups.start[i + 1] - groups.start[i] < r ? ridge : 0)) {
      // Numerically singular with at least r entries: retry with the ridge.
      X.data.set(rhs, off);
      G.fill(0);
      for (let q = groups.start[i]; q < groups.start[i + 1]; q++) {
        const b = other[groups.order[q]] * r;
        for (let a = 0; a < r; a++) for (let c = 0; c < r; c++) G[a * r + c] += y[b + a] * y[b + c];
      }
      if (!choleskySolveInPlace(G, r, X.data, off, ridge)) X.data.fill(0, off, off + r);
    }
  }
}

/** Alternating least squares for completion of `obs` at rank opts.rank, from the spectral start (or opts.init). */
export function altmin(obs: Observations, opts: AltminOptions): AltminResult {
  const start = performance.now();
  const [n1, n2] = obs.shape;
  checkRank(opts.rank, n1, n2);
  const maxIters = opts.maxIters ?? ALTMIN_DEFAULTS.maxIters;
  const tol = opts.tol ?? ALTMIN_DEFAULTS.tol;
  const init = opts.init ?? spectralInit(obs, opts.rank, opts.backend);
  const U = zeros(n1, opts.rank);
  const V = Object.assign(zeros(n2, opts.rank), { data: Float64Array.from(init.V.data) });
  const byRow = groupBy(obs.rows, n1);
  const byCol = groupBy(obs.cols, n2);
  const history: number[] = [];
  let residual = relativeResidual(init.U, init.V, obs);
  let iterations = 0;
  const step = (t: number): StopReason | null => {
    if (t > maxIters) return 'max-iters';
    if (opts.signal?.aborted) return 'interrupted';
    solveRows(U, V, byRow, obs.cols, obs.values);
    solveRows(V, U, byCol, obs.rows, obs.values);
    iterations = t;
    residual = relativeResidual(U, V, obs);
    history.push(residual);
    opts.onProgress?.({ step: iterations, maxIters, residual, U, V });
    if (residual <= tol) return 'tolerance';
    if (!Number.isFinite(residual) || (history.length > 50 && residual > 0.9999 * history[history.length - 51]))
      return 'stall';
    return null;
  };
  return runToStop(step, (stopReason): AltminResult => {
    if (iterations === 0) {
      U.data.set(init.U.data);
      V.data.set(init.V.data);
    }
    return { U, V, iterations, residual, stopReason, seconds: (performance.now() - start) / 1000 };
  });
}
