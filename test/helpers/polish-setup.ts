// Problems for the polish's tests (test/unit/solver/polish.test.ts and test/integration/polish.test.ts): a matrix
// with a given spectrum, and a truth observed on m entries beside a "trained" W that differs from it.
import { gemm, zeros, type Matrix } from '../../src/linalg/matrix.ts';
import { qr } from '../../src/linalg/qr.ts';
import { svd } from '../../src/linalg/svd.ts';
import { observeAt } from '../../src/data/observations.ts';
import { sampleWithoutReplacement } from '../../src/data/synthetic.ts';
import { createRng } from '../../src/random/index.ts';
import { POLISH_DEFAULTS } from '../../src/defaults.ts';
import { randomMatrix } from './random.ts';

/** The polish's defaults with a gap threshold of 2 and seed 1, as both test files use them. */
export const OPTS = { ...POLISH_DEFAULTS, gapThreshold: 2, seed: 1 };

/** Q₁ diag(s) Q₂ᵀ for random n×k orthonormal Q's: a matrix with exactly the singular values s. */
export function withSpectrum(n: number, s: number[], seed: number): Matrix {
  const k = s.length;
  const D = zeros(k, k);
  s.forEach((v, i) => (D.data[i * k + i] = v));
  return gemm(gemm(qr(randomMatrix(n, k, seed)).Q, D), qr(randomMatrix(n, k, seed + 1)).Q, { transB: true });
}

/** A + c·B, entrywise. */
export const add = (A: Matrix, B: Matrix, c = 1): Matrix => ({ ...A, data: A.data.map((v, i) => v + c * B.data[i]) });

/** The truth observed on `m` random entries, and a "trained" W = truth + extra (what a gradient run might hold). */
export function setup(truth: Matrix, extra: Matrix, m: number, seed: number) {
  const obs = observeAt(truth, sampleWithoutReplacement(truth.rows * truth.cols, m, createRng(seed)));
  return { obs, w: svd(add(truth, extra)) };
}
