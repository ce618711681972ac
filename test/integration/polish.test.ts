// polish() on a too-large candidate rank (m = 700, long Gauss–Newton runs); the rest of polish is unit-tested in
// test/unit/solver/polish.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gemm, zeros, type Matrix } from '../../src/linalg/matrix.ts';
import { qr } from '../../src/linalg/qr.ts';
import { svd } from '../../src/linalg/svd.ts';
import { observeAt } from '../../src/data/observations.ts';
import { sampleWithoutReplacement } from '../../src/data/synthetic.ts';
import { createRng } from '../../src/random/index.ts';
import { relativeError } from '../../src/metrics/index.ts';
import { polish } from '../../src/solver/polish.ts';
import { POLISH_DEFAULTS } from '../../src/defaults.ts';
import { randomMatrix } from '../helpers/random.ts';

const OPTS = { ...POLISH_DEFAULTS, gapThreshold: 2, seed: 1 };

/** Q₁ diag(s) Q₂ᵀ for random n×k orthonormal Q's: a matrix with exactly the singular values s. */
function withSpectrum(n: number, s: number[], seed: number): Matrix {
  const k = s.length;
  const D = zeros(k, k);
  s.forEach((v, i) => (D.data[i * k + i] = v));
  return gemm(gemm(qr(randomMatrix(n, k, seed)).Q, D), qr(randomMatrix(n, k, seed + 1)).Q, { transB: true });
}

const add = (A: Matrix, B: Matrix, c = 1): Matrix => ({ ...A, data: A.data.map((v, i) => v + c * B.data[i]) });

/** The truth observed on `m` random entries, and a "trained" W = truth + extra (what a gradient run might hold). */
function setup(truth: Matrix, extra: Matrix, m: number, seed: number) {
  const obs = observeAt(truth, sampleWithoutReplacement(truth.rows * truth.cols, m, createRng(seed)));
  return { obs, w: svd(add(truth, extra)) };
}

test('a too-large candidate that Ω does determine (m = 700) fits the truth with a vanishing 4th direction: the rank is read off the fit, 3', () => {
  const truth = withSpectrum(40, [30, 20, 12], 1);
  const spurious = add(withSpectrum(40, [4], 7), randomMatrix(40, 40, 8), 0.02);
  const { obs, w } = setup(truth, spurious, 700, 9);
  // With enough GN iterations for the slow (singular-Jacobian) convergence of the too-large rank, it is accepted
  // and read back as 3; with the defaults' short budget it is given up and rank 3 is tried next. Either way: 3.
  const r = polish(obs, w, { ...OPTS, maxIters: 30, lsqrMaxIters: 2000 });
  assert.equal(r.attempts[0].rank, 4);
  assert.equal(r.attempts[0].accepted, true);
  assert.equal(polish(obs, w, OPTS).rank, 3);
  assert.equal(r.rank, 3);
  assert.equal(r.factors?.U.cols, 3);
  const f = r.factors as NonNullable<typeof r.factors>;
  assert.ok(relativeError(gemm(f.U, f.V, { transB: true }), truth) < 1e-12);
  // Five spurious directions: the candidate rank 8 converges to the truth as well, and is read back as 3.
  const five = setup(truth, add(withSpectrum(40, [4, 4, 4, 4, 4], 7), randomMatrix(40, 40, 8), 0.02), 700, 9);
  const r8 = polish(five.obs, five.w, { ...OPTS, maxIters: 30, lsqrMaxIters: 2000 });
  assert.equal(r8.attempts[0].rank, 8);
  assert.equal(r8.rank, 3);
});
