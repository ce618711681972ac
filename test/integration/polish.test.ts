// polish() on a too-large candidate rank (m = 700, long Gauss–Newton runs); the rest of polish is unit-tested in
// test/unit/solver/polish.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gemm } from '../../src/linalg/matrix.ts';
import { relativeError } from '../../src/metrics/index.ts';
import { polish } from '../../src/solver/polish.ts';
import { randomMatrix } from '../helpers/random.ts';
import { add, OPTS, setup, withSpectrum } from '../helpers/polish-setup.ts';

test('a too-large candidate that Ω does determine (m = 700) fits the truth with a vanishing 4th direction: the rank is read off the fit, 3', () => {
  const truth = withSpectrum(40, [30, 20, 12], 1);
  const spurious = add(withSpectrum(40, [4], 7), randomMatrix(40, 40, 8), 0.02);
  const { obs, w } = setup(truth, spurious, 700, 9);
  // With enough GN iterations for the slow (singular-Jacobian) convergence of the too-large rank, it is accepted
  // and read back as 3; with the defaults' short budget it is given up and rank 3 is tried next. Either way: 3.
  const r = polish(obs, w, { ...OPTS, maxIters: 30 });
  assert.equal(r.attempts[0].rank, 4);
  assert.equal(r.attempts[0].accepted, true);
  assert.equal(polish(obs, w, OPTS).rank, 3);
  assert.equal(r.rank, 3);
  assert.equal(r.factors?.U.cols, 3);
  const f = r.factors as NonNullable<typeof r.factors>;
  assert.ok(relativeError(gemm(f.U, f.V, { transB: true }), truth) < 1e-12);
  // Five spurious directions: the candidate rank 8 converges to the truth as well, and is read back as 3.
  const five = setup(truth, add(withSpectrum(40, [4, 4, 4, 4, 4], 7), randomMatrix(40, 40, 8), 0.02), 700, 9);
  const r8 = polish(five.obs, five.w, { ...OPTS, maxIters: 30 });
  assert.equal(r8.attempts[0].rank, 8);
  assert.equal(r8.rank, 3);
});
