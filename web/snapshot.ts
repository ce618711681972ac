// Summaries of a training snapshot: errors against the truth, split by observed/unobserved, and spectrum measures.
import { effectiveRank, ratioValue, type Matrix, type SyntheticProblem } from '../src/index.ts';

/** What a snapshot is measured against: the truth, the mask of Ω and the truth's squared norms on and off Ω. */
export interface Target {
  readonly truth: Matrix;
  /** mask[i·n + j] = 1 where (i, j) ∈ Ω. */
  readonly mask: Uint8Array;
  /** |Ω|. */
  readonly count: number;
  readonly ssObserved: number;
  readonly ssUnobserved: number;
}

/** The measurements of one estimate W. */
export interface RunMetrics {
  /** (1/|Ω|) Σ_Ω (W_ij − M_ij)². */
  trainMSE: number;
  /** ||P_Ω(W − W*)||_F / ||P_Ω(W*)||_F. */
  relObserved: number;
  /** ||P_Ω⊥(W − W*)||_F / ||P_Ω⊥(W*)||_F (null when every entry is observed: undefined, not 0). */
  relUnobserved: number | null;
  /** ||W − W*||_F / ||W*||_F. */
  relAll: number;
  /** L∗/F of W. */
  ratio: number;
  /** exp(entropy of s/Σs). */
  effectiveRank: number;
  /** Singular values of W, descending. */
  singularValues: Float64Array;
}

/** The target of a synthetic problem: its mask and the truth's squared norms. Cost O(n²). */
export function makeTarget(problem: SyntheticProblem): Target {
  const { truth, observations } = problem;
  const mask = new Uint8Array(truth.rows * truth.cols);
  for (let k = 0; k < observations.rows.length; k++) mask[observations.rows[k] * truth.cols + observations.cols[k]] = 1;
  let ssObserved = 0;
  let ssUnobserved = 0;
  for (let i = 0; i < mask.length; i++) {
    const t = truth.data[i] * truth.data[i];
    if (mask[i]) ssObserved += t;
    else ssUnobserved += t;
  }
  return { truth, mask, count: observations.rows.length, ssObserved, ssUnobserved };
}

/** The metrics of W against `target`, given W's singular values `s` (descending). One pass over W: O(n²). */
export function summarize(W: Matrix, target: Target, s: ArrayLike<number>): RunMetrics {
  const { truth, mask } = target;
  if (W.rows !== truth.rows || W.cols !== truth.cols) {
    throw new RangeError(`summarize: W is ${W.rows}×${W.cols}, the truth ${truth.rows}×${truth.cols}`);
  }
  let eObserved = 0;
  let eUnobserved = 0;
  for (let i = 0; i < mask.length; i++) {
    const d = W.data[i] - truth.data[i];
    if (mask[i]) eObserved += d * d;
    else eUnobserved += d * d;
  }
  const ssAll = target.ssObserved + target.ssUnobserved;
  return {
    trainMSE: eObserved / target.count,
    relObserved: Math.sqrt(eObserved / target.ssObserved),
    relUnobserved: target.ssUnobserved === 0 ? null : Math.sqrt(eUnobserved / target.ssUnobserved),
    relAll: Math.sqrt((eObserved + eUnobserved) / ssAll),
    ratio: ratioValue(s),
    effectiveRank: effectiveRank(s),
    singularValues: Float64Array.from(s),
  };
}

/**
 * The heatmaps' colour scale for a matrix's entries: 2.5 × their RMS, at most the largest |entry| (so a few large
 * entries do not wash the rest out); 1 for an all-zero matrix. Cost O(n²).
 */
export function colourScale(data: ArrayLike<number>): number {
  let max = 0;
  let ss = 0;
  for (let i = 0; i < data.length; i++) {
    max = Math.max(max, Math.abs(data[i]));
    ss += data[i] * data[i];
  }
  if (max === 0) return 1;
  return Math.min(max, 2.5 * Math.sqrt(ss / data.length));
}
