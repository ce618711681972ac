import { zeros, type Matrix } from '../linalg/matrix.ts';
import type { Observations } from '../data/observations.ts';
import type { Biases } from './biases.ts';
import { seenRowsAndCols, type Evaluator } from './tune.ts';

/**
 * The least-squares weight α ∈ [0, 1] of a convex blend of two low-rank parts on held-out entries: the minimizer of
 * Σ_t (base_t + z2_t + α(z1_t − z2_t) − y_t)², i.e. α = ⟨z1 − z2, y − base − z2⟩ / ||z1 − z2||², clamped to [0, 1]
 * (the objective is a convex parabola in α, so the clamp is the constrained optimum); 0 when z1 = z2. Cost O(len).
 */
export function blendWeight(
  y: ArrayLike<number>,
  base: ArrayLike<number>,
  z1: ArrayLike<number>,
  z2: ArrayLike<number>,
): number {
  let num = 0;
  let den = 0;
  for (let t = 0; t < y.length; t++) {
    const d = z1[t] - z2[t];
    num += d * (y[t] - base[t] - z2[t]);
    den += d * d;
  }
  if (!(den > 0)) return 0;
  return Math.min(1, Math.max(0, num / den));
}

/** L_i·R_j at each held-out entry, 0 for rows or columns the fit never saw (as the evaluator does). Cost O(len·k). */
export function lowRankAt(
  obs: Observations,
  L: Matrix,
  R: Matrix,
  seenRow: Uint8Array,
  seenCol: Uint8Array,
): Float64Array {
  const k = L.cols;
  const out = new Float64Array(obs.values.length);
  for (let t = 0; t < out.length; t++) {
    const i = obs.rows[t];
    const j = obs.cols[t];
    if (!seenRow[i] || !seenCol[j]) continue;
    let z = 0;
    for (let c = 0; c < k; c++) z += L.data[i * k + c] * R.data[j * k + c];
    out[t] = z;
  }
  return out;
}

/**
 * The blend α·L1·R1ᵀ + (1 − α)·L2·R2ᵀ as one low-rank part of rank k1 + k2: L = [α·L1, (1 − α)·L2], R = [R1, R2].
 * Exact, so the predictor, the spectrum and the diagnostics need nothing new. Cost O((m + n)(k1 + k2)).
 */
export function blendFactors(L1: Matrix, R1: Matrix, L2: Matrix, R2: Matrix, alpha: number): { L: Matrix; R: Matrix } {
  const k1 = L1.cols;
  const k2 = L2.cols;
  const k = k1 + k2;
  const L = zeros(L1.rows, k);
  const R = zeros(R1.rows, k);
  for (let i = 0; i < L1.rows; i++) {
    for (let c = 0; c < k1; c++) L.data[i * k + c] = alpha * L1.data[i * k1 + c];
    for (let c = 0; c < k2; c++) L.data[i * k + k1 + c] = (1 - alpha) * L2.data[i * k2 + c];
  }
  for (let j = 0; j < R1.rows; j++) {
    for (let c = 0; c < k1; c++) R.data[j * k + c] = R1.data[j * k1 + c];
    for (let c = 0; c < k2; c++) R.data[j * k + k1 + c] = R2.data[j * k2 + c];
  }
  return { L, R };
}

/** A validation-chosen blend of two fits: the weight of the first, its (clipped) validation RMSE and its factors. */
export interface BlendChoice {
  weight: number;
  validationRMSE: number;
  L: Matrix;
  R: Matrix;
}

/**
 * The convex blend of fits 1 and 2 (low-rank parts over the same baseline `b`) whose weight is the least-squares
 * optimum on the validation entries (blendWeight, unclipped predictions), scored by `evaluate` (clipped, as every
 * candidate is). The weight is one number fitted on the validation split, so its RMSE there is slightly optimistic;
 * complete() keeps the blend only when that RMSE is below the best single fit's. Cost O(|val|(k1 + k2) + |fit|).
 */
export function chooseBlend(
  fit: Observations,
  val: Observations,
  b: Biases,
  first: { L: Matrix; R: Matrix },
  second: { L: Matrix; R: Matrix },
  evaluate: Evaluator,
): BlendChoice {
  const { seenRow, seenCol } = seenRowsAndCols(fit);
  const base = Float64Array.from(val.values, (_, t) => b.mean + b.row[val.rows[t]] + b.col[val.cols[t]]);
  const z1 = lowRankAt(val, first.L, first.R, seenRow, seenCol);
  const z2 = lowRankAt(val, second.L, second.R, seenRow, seenCol);
  const weight = blendWeight(val.values, base, z1, z2);
  const { L, R } = blendFactors(first.L, first.R, second.L, second.R, weight);
  return { weight, validationRMSE: evaluate(L, R), L, R };
}
