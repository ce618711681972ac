import { assertSameShape, type Matrix } from '../linalg/matrix.ts';
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

/** Relative error restricted to the entries not in Ω: ||P_Ω⊥(W − W*)||_F / ||P_Ω⊥(W*)||_F. */
export function relativeErrorUnobserved(W: Matrix, truth: Matrix, observed: Observations): number {
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
  return den === 0 ? 0 : Math.sqrt(num / den);
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
