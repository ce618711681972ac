import { gemm, frobeniusNorm, type Matrix } from '../linalg/matrix.ts';
import { deriveRng, fillNormal, type Rng } from '../random/index.ts';
import { observeAt, type Observations } from './observations.ts';

/** What fixes a synthetic completion problem (DESIGN section 4). */
export interface SyntheticSpec {
  /** The matrix is n×n. */
  n: number;
  /** Rank of the ground truth. */
  rank: number;
  /** Number of observed entries |Ω| (distinct, uniformly without replacement). */
  samples: number;
  /** One seed fixes the ground truth and the mask. */
  seed: number;
}

/** A ground truth and its observed entries. */
export interface SyntheticProblem {
  readonly spec: SyntheticSpec;
  readonly truth: Matrix;
  readonly observations: Observations;
}

/**
 * The protocol of Arora et al. 2019: U, V ~ N(0,1)^{n×r}, W* = U V^T/sqrt(r) rescaled so ||W*||_F = n (entries have
 * RMS 1); Ω = `samples` distinct entries drawn uniformly without replacement; no noise. Cost O(n²r).
 */
export function syntheticProblem(spec: SyntheticSpec): SyntheticProblem {
  const { n, rank, samples, seed } = spec;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be a positive integer, got ${n}`);
  if (!Number.isInteger(rank) || rank < 1 || rank > n) throw new RangeError(`rank must be an integer in 1..${n}, got ${rank}`);
  if (!Number.isInteger(samples) || samples < 1 || samples > n * n) {
    throw new RangeError(`samples must be an integer in 1..${n * n} (n²), got ${samples}`);
  }
  const truth = lowRankTruth(n, n, rank, deriveRng(seed, 'data'));
  const mask = sampleWithoutReplacement(n * n, samples, deriveRng(seed, 'mask'));
  return { spec: { ...spec }, truth, observations: observeAt(truth, mask) };
}

/** A random rank-r m×n matrix U V^T (Gaussian factors), scaled to Frobenius norm sqrt(m·n) (entry RMS 1). */
export function lowRankTruth(m: number, n: number, rank: number, rng: Rng): Matrix {
  const U = fillNormal(rng, new Float64Array(m * rank));
  const V = fillNormal(rng, new Float64Array(n * rank));
  const W = gemm({ rows: m, cols: rank, data: U }, { rows: n, cols: rank, data: V }, { transB: true });
  const f = frobeniusNorm(W);
  const target = Math.sqrt(m * n);
  for (let i = 0; i < W.data.length; i++) W.data[i] *= target / f;
  return W;
}

/**
 * `count` distinct integers from [0, total), uniformly without replacement (partial Fisher–Yates), sorted ascending
 * so that later passes over Ω walk memory in order. Cost O(total).
 */
export function sampleWithoutReplacement(total: number, count: number, rng: Rng): Int32Array {
  if (count > total) throw new RangeError(`cannot draw ${count} distinct items from ${total}`);
  const pool = new Int32Array(total);
  for (let i = 0; i < total; i++) pool[i] = i;
  for (let k = 0; k < count; k++) {
    const j = k + rng.int(total - k);
    const t = pool[k];
    pool[k] = pool[j];
    pool[j] = t;
  }
  return pool.slice(0, count).sort();
}

