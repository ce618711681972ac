import { test } from 'node:test';
import assert from 'node:assert/strict';
import { penalty, PENALTY_NAMES, penaltyNeedsSvd, type PenaltyName } from '../../../src/penalty/index.ts';
import { clone, dot, frobeniusNorm, gemm, scaleMatrix, zeros, type Matrix } from '../../../src/linalg/matrix.ts';
import { svd } from '../../../src/linalg/svd.ts';
import { randomMatrix } from '../../helpers/random.ts';
import { numericGradient } from '../../helpers/gradient.ts';

const value = (name: PenaltyName, W: Matrix): number => penalty(name, W, penaltyNeedsSvd(name) ? svd(W) : null);
const gradient = (name: PenaltyName, W: Matrix): Matrix => {
  const G = zeros(W.rows, W.cols);
  penalty(name, W, penaltyNeedsSvd(name) ? svd(W) : null, { gradOut: G });
  return G;
};

/** Central differences of the penalty along every coordinate. */
function penaltyNumericGradient(name: PenaltyName, W: Matrix): Matrix {
  const X = clone(W);
  return numericGradient(X, () => value(name, X));
}

for (const name of PENALTY_NAMES) {
  for (const [m, n] of [
    [6, 6],
    [7, 4],
    [4, 7],
  ]) {
    test(`${name}: gradient matches finite differences on a random ${m}×${n} W`, () => {
      const W = randomMatrix(m, n, 11 + m * n);
      const analytic = gradient(name, W);
      const numeric = penaltyNumericGradient(name, W);
      const err = frobeniusNorm(diff(analytic, numeric));
      const ref = Math.max(frobeniusNorm(numeric), 1e-300);
      if (name === 'none') assert.equal(frobeniusNorm(analytic), 0);
      else assert.ok(err / ref < 1e-6, `relative gradient error ${err / ref}`);
    });
  }
}

function diff(A: Matrix, B: Matrix): Matrix {
  const D = zeros(A.rows, A.cols);
  for (let i = 0; i < D.data.length; i++) D.data[i] = A.data[i] - B.data[i];
  return D;
}

test('values: nuclear = Σs, frobenius = ||W||²/2, ratio = Σs/sqrt(Σs²)', () => {
  const W = randomMatrix(5, 8, 3);
  const { s } = svd(W);
  const N = s.reduce((a, b) => a + b, 0);
  const F = frobeniusNorm(W);
  assert.ok(Math.abs(value('nuclear', W) - N) < 1e-12 * N);
  assert.ok(Math.abs(value('frobenius', W) - (F * F) / 2) < 1e-12 * F * F);
  assert.ok(Math.abs(value('ratio', W) - N / F) < 1e-12);
  assert.equal(value('none', W), 0);
});

test('ratio is scale-invariant: R(cW) = R(W) for c > 0, and its gradient scales as 1/c', () => {
  const W = randomMatrix(9, 6, 5);
  const r = value('ratio', W);
  const g = gradient('ratio', W);
  for (const c of [1e-8, 0.3, 7, 1e6]) {
    const cW = scaleMatrix(W, c);
    assert.ok(Math.abs(value('ratio', cW) - r) < 1e-12, `c = ${c}`);
    const gc = gradient('ratio', cW);
    for (let i = 0; i < g.data.length; i++) assert.ok(Math.abs(gc.data[i] * c - g.data[i]) < 1e-10);
  }
});

test('ratio gradient is orthogonal to W: <∇R(W), W> = 0 (Euler, degree-0 homogeneity)', () => {
  for (const seed of [1, 2, 3]) {
    const W = randomMatrix(10, 10, seed);
    const g = gradient('ratio', W);
    const cosine = dot(g, W) / (frobeniusNorm(g) * frobeniusNorm(W));
    assert.ok(Math.abs(cosine) < 1e-12, `cosine ${cosine}`);
  }
});

test('ratio lies in [1, sqrt(rank)], with 1 at rank one and sqrt(k) for k equal singular values', () => {
  const u = randomMatrix(8, 1, 1);
  const v = randomMatrix(6, 1, 2);
  const rank1 = gemm(u, v, { transB: true });
  assert.ok(Math.abs(value('ratio', rank1) - 1) < 1e-12);
  const I = zeros(4, 4);
  for (let i = 0; i < 4; i++) I.data[i * 5] = 3;
  assert.ok(Math.abs(value('ratio', I) - 2) < 1e-12);
  const W = randomMatrix(7, 7, 9);
  const r = value('ratio', W);
  assert.ok(r >= 1 && r <= Math.sqrt(7));
});

test('ratio gradient equals the alternative form U V^T/F − (N/F³)·W', () => {
  const W = randomMatrix(6, 9, 21);
  const { U, s, V } = svd(W);
  const N = s.reduce((a, b) => a + b, 0);
  const F = frobeniusNorm(W);
  const alt = gemm(U, V, { transB: true, alpha: 1 / F });
  for (let i = 0; i < alt.data.length; i++) alt.data[i] -= (N / F ** 3) * W.data[i];
  const g = gradient('ratio', W);
  assert.ok(frobeniusNorm(diff(g, alt)) < 1e-13 * frobeniusNorm(alt));
});

test('ratio at W = 0 is guarded: value 1, zero gradient, no NaN', () => {
  const Z = zeros(4, 5);
  const G = zeros(4, 5);
  assert.equal(penalty('ratio', Z, svd(Z), { gradOut: G }), 1);
  assert.ok(G.data.every((x) => x === 0));
});

test('gradients accumulate into gradOut with gradScale', () => {
  const W = randomMatrix(5, 5, 8);
  const G = zeros(5, 5);
  G.data.fill(1);
  penalty('frobenius', W, null, { gradOut: G, gradScale: 0.5 });
  for (let i = 0; i < 25; i++) assert.ok(Math.abs(G.data[i] - (1 + 0.5 * W.data[i])) < 1e-15);
  assert.throws(() => penalty('nuclear', W, null), /needs the SVD/);
});
