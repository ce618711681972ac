import { assertSameShape, zeros, type Matrix } from '../linalg/matrix.ts';
import { qr } from '../linalg/qr.ts';
import { getBackend } from '../linalg/backend.ts';
import type { Observations } from '../data/observations.ts';

/** Relative error ||W − W*||_F / ||W*||_F over all entries (Arora et al.'s plotted test loss is its square). */
export function relativeError(W: Matrix, truth: Matrix): number {
  assertSameShape(W, truth, 'relativeError');
  let num = 0;
  let den = 0;
  for (let i = 0; i < W.data.length; i++) {
    const d = W.data[i] - truth.data[i];
    num += d * d;
    den += truth.data[i] * truth.data[i];
  }
  return Math.sqrt(num / den);
}

/**
 * Relative error restricted to the entries not in Ω: ||P_Ω⊥(W − W*)||_F / ||P_Ω⊥(W*)||_F; null when it is undefined
 * (every entry observed, or the truth is 0 on every unobserved entry), never a misleading 0.
 */
export function relativeErrorUnobserved(W: Matrix, truth: Matrix, observed: Observations): number | null {
  assertSameShape(W, truth, 'relativeErrorUnobserved');
  const mask = new Uint8Array(W.data.length);
  const n = W.cols;
  for (let k = 0; k < observed.rows.length; k++) mask[observed.rows[k] * n + observed.cols[k]] = 1;
  let num = 0;
  let den = 0;
  for (let i = 0; i < W.data.length; i++) {
    if (mask[i]) continue;
    const d = W.data[i] - truth.data[i];
    num += d * d;
    den += truth.data[i] * truth.data[i];
  }
  return den === 0 ? null : Math.sqrt(num / den);
}

/** Mean squared error on the observed entries: (1/|Ω|) Σ_Ω (W_ij − M_ij)². */
export function trainMSE(W: Matrix, observed: Observations): number {
  const n = W.cols;
  let s = 0;
  for (let k = 0; k < observed.rows.length; k++) {
    const d = W.data[observed.rows[k] * n + observed.cols[k]] - observed.values[k];
    s += d * d;
  }
  return s / observed.rows.length;
}

/** Root mean squared error of predictions against held-out values. */
export function rmse(predicted: ArrayLike<number>, actual: ArrayLike<number>): number {
  if (predicted.length !== actual.length) throw new RangeError('rmse: arrays differ in length');
  let s = 0;
  for (let i = 0; i < actual.length; i++) s += (predicted[i] - actual[i]) ** 2;
  return Math.sqrt(s / actual.length);
}

/** Effective rank exp(−Σ p_i log p_i), p_i = s_i/Σ s (Roy & Vetterli 2007); 0 for an all-zero spectrum. */
export function effectiveRank(s: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < s.length; i++) total += Math.abs(s[i]);
  if (total === 0) return 0;
  let h = 0;
  for (let i = 0; i < s.length; i++) {
    const p = Math.abs(s[i]) / total;
    if (p > 0) h -= p * Math.log(p);
  }
  return Math.exp(h);
}

/** Nuclear norm Σ s_i from singular values. */
export function nuclearNorm(s: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < s.length; i++) total += s[i];
  return total;
}

/** L∗/F = Σ s_i / sqrt(Σ s_i²) from singular values (1 ≤ value ≤ sqrt(rank)); NaN for an all-zero spectrum. */
export function ratioValue(s: ArrayLike<number>): number {
  let n1 = 0;
  let n2 = 0;
  for (let i = 0; i < s.length; i++) {
    n1 += s[i];
    n2 += s[i] * s[i];
  }
  return n2 === 0 ? NaN : n1 / Math.sqrt(n2);
}

/** Errors of a factored W = A·B^T against a factored truth W* = U·V^T (see factoredErrors). */
export interface FactoredErrors {
  relError: number;
  /** null when undefined (no unobserved entry; see relativeErrorUnobserved). */
  relErrorUnobserved: number | null;
  trainMSE: number;
}

/**
 * ||A·B^T||_F², ⟨A·B^T, U·V^T⟩ and ||U·V^T||_F² from k×k, k×r and r×r Gram matrices (gemms on the process-wide
 * backend). Cost O((m+n)(k+r)²).
 */
function gramSums(A: Matrix, B: Matrix, U: Matrix, V: Matrix): { ww: number; cross: number; tt: number } {
  const { gemm } = getBackend();
  const sumProduct = (X: Matrix, Y: Matrix): number => {
    let s = 0;
    for (let i = 0; i < X.data.length; i++) s += X.data[i] * Y.data[i];
    return s;
  };
  return {
    ww: sumProduct(gemm(A, A, { transA: true }), gemm(B, B, { transA: true })),
    cross: sumProduct(gemm(A, U, { transA: true }), gemm(B, V, { transA: true })),
    tt: sumProduct(gemm(U, U, { transA: true }), gemm(V, V, { transA: true })),
  };
}

/**
 * relativeError of W = A·B^T against W* = U·V^T without forming either (the relError of factoredErrors, without
 * the sums over Ω). Cost O((m+n)(k+r)²).
 */
export function factoredRelativeError(A: Matrix, B: Matrix, U: Matrix, V: Matrix): number {
  if (A.rows !== U.rows || B.rows !== V.rows || A.cols !== B.cols || U.cols !== V.cols) {
    throw new RangeError(
      `factoredRelativeError: A ${A.rows}×${A.cols}, B ${B.rows}×${B.cols}, U ${U.rows}×${U.cols}, V ${V.rows}×${V.cols} do not fit`,
    );
  }
  const { ww, cross, tt } = gramSums(A, B, U, V);
  return Math.sqrt(Math.max(0, ww - 2 * cross + tt) / tt);
}

/**
 * relativeError, relativeErrorUnobserved and trainMSE of W = A·B^T (A m×k, B n×k) against W* = U·V^T (U m×r,
 * V n×r) without forming either: ||W||_F² = Σ (A^T A)∘(B^T B), ⟨W, W*⟩ = Σ (A^T U)∘(B^T V), ||W*||_F² =
 * Σ (U^T U)∘(V^T V), so ||W − W*||_F² = ||W||² − 2⟨W, W*⟩ + ||W*||²; the unobserved parts subtract the sums over Ω.
 * The squared error comes from a difference of squares, so relError is resolved down to about
 * sqrt(ε·(k+r)) ≈ 1e-7, not to ε. Cost O((m+n)(k+r)² + |Ω|(k+r)) time, O((k+r)²) extra memory.
 */
export function factoredErrors(A: Matrix, B: Matrix, U: Matrix, V: Matrix, observed: Observations): FactoredErrors {
  const k = A.cols;
  const r = U.cols;
  const [m, n] = observed.shape;
  if (A.rows !== m || B.rows !== n || B.cols !== k || U.rows !== m || V.rows !== n || V.cols !== r) {
    throw new RangeError(
      `factoredErrors: A ${A.rows}×${A.cols}, B ${B.rows}×${B.cols}, U ${U.rows}×${U.cols}, V ${V.rows}×${V.cols} ` +
        `do not fit a ${m}×${n} problem`,
    );
  }
  const { ww, cross, tt } = gramSums(A, B, U, V);
  const a = A.data;
  const b = B.data;
  const u = U.data;
  const v = V.data;
  let obsErr = 0;
  let obsTruth = 0;
  let sse = 0;
  for (let t = 0; t < observed.rows.length; t++) {
    const i = observed.rows[t];
    const j = observed.cols[t];
    let w = 0;
    for (let p = 0; p < k; p++) w += a[i * k + p] * b[j * k + p];
    let x = 0;
    for (let p = 0; p < r; p++) x += u[i * r + p] * v[j * r + p];
    obsErr += (w - x) * (w - x);
    obsTruth += x * x;
    const d = w - observed.values[t];
    sse += d * d;
  }
  const err = Math.max(0, ww - 2 * cross + tt);
  const unobsTruth = tt - obsTruth;
  return {
    relError: Math.sqrt(err / tt),
    relErrorUnobserved:
      observed.rows.length >= m * n || unobsTruth <= 0 ? null : Math.sqrt(Math.max(0, err - obsErr) / unobsTruth),
    trainMSE: sse / observed.rows.length,
  };
}

/**
 * relError and relErrorUnobserved of W = A·B^T against W* = U·V^T resolved to rounding (unlike factoredErrors'
 * Gram sums, which stop near 1e-7): W − W* = [A, −U]·[B, V]^T, and with thin QRs [A, −U] = Q₁R₁, [B, V] = Q₂R₂ its
 * Frobenius norm is ||R₁R₂^T||_F. The unobserved part subtracts the exact sums over Ω. What an exact-recovery claim
 * on the factored model needs. Cost O((m+n)(k+r)² + |Ω|(k+r)).
 */
export function factoredErrorsExact(
  A: Matrix,
  B: Matrix,
  U: Matrix,
  V: Matrix,
  observed: Observations,
): Pick<FactoredErrors, 'relError' | 'relErrorUnobserved'> {
  const k = A.cols;
  const r = U.cols;
  const stack = (X: Matrix, Y: Matrix, sign: number): Matrix => {
    const out = zeros(X.rows, k + r);
    for (let i = 0; i < X.rows; i++) {
      for (let p = 0; p < k; p++) out.data[i * (k + r) + p] = X.data[i * k + p];
      for (let p = 0; p < r; p++) out.data[i * (k + r) + k + p] = sign * Y.data[i * r + p];
    }
    return out;
  };
  const R1 = qr(stack(A, U, -1)).R;
  const R2 = qr(stack(B, V, 1)).R;
  let diff2 = 0;
  for (let i = 0; i < R1.rows; i++) {
    for (let j = 0; j < R2.rows; j++) {
      let s = 0;
      for (let p = 0; p < R1.cols; p++) s += R1.data[i * R1.cols + p] * R2.data[j * R2.cols + p];
      diff2 += s * s;
    }
  }
  const { tt } = gramSums(A, B, U, V);
  let obsErr = 0;
  let obsTruth = 0;
  for (let t = 0; t < observed.rows.length; t++) {
    const i = observed.rows[t];
    const j = observed.cols[t];
    let w = 0;
    for (let p = 0; p < k; p++) w += A.data[i * k + p] * B.data[j * k + p];
    let x = 0;
    for (let p = 0; p < r; p++) x += U.data[i * r + p] * V.data[j * r + p];
    obsErr += (w - x) * (w - x);
    obsTruth += x * x;
  }
  const unobsTruth = tt - obsTruth;
  const allObserved = observed.rows.length >= A.rows * B.rows || unobsTruth <= 0;
  return {
    relError: Math.sqrt(diff2 / tt),
    relErrorUnobserved: allObserved ? null : Math.sqrt(Math.max(0, diff2 - obsErr) / unobsTruth),
  };
}
