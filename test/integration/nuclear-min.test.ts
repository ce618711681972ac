import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nuclearMin } from '../../src/solver/nuclear-min.ts';
import { syntheticProblem } from '../../src/data/synthetic.ts';
import { linearIndices, type Observations } from '../../src/data/observations.ts';
import { gemm, zeros, type Matrix } from '../../src/linalg/matrix.ts';
import { svd } from '../../src/linalg/svd.ts';
import { relativeError } from '../../src/metrics/index.ts';

/** The dense m×n matrix with `values` at the observed positions and zeros elsewhere. */
function onOmega(obs: Observations, values: Float64Array): Matrix {
  const Y = zeros(obs.shape[0], obs.shape[1]);
  const idx = linearIndices(obs);
  for (let k = 0; k < idx.length; k++) Y.data[idx[k]] = values[k];
  return Y;
}

/** Columns 0..r−1 of A. */
function leading(A: Matrix, r: number): Matrix {
  const out = zeros(A.rows, r);
  for (let i = 0; i < A.rows; i++) for (let c = 0; c < r; c++) out.data[i * r + c] = A.data[i * A.cols + c];
  return out;
}

/** P_T(Y) = U U^T Y + Y V V^T − U U^T Y V V^T for the tangent space T at U S V^T. */
function projectTangent(Y: Matrix, U: Matrix, V: Matrix): Matrix {
  const UtY = gemm(U, Y, { transA: true });
  const UUtY = gemm(U, UtY);
  const YV = gemm(Y, V);
  const YVVt = gemm(YV, V, { transB: true });
  const UUtYV = gemm(UUtY, V);
  const UUtYVVt = gemm(UUtYV, V, { transB: true });
  const out = zeros(Y.rows, Y.cols);
  for (let i = 0; i < out.data.length; i++) out.data[i] = UUtY.data[i] + YVVt.data[i] - UUtYVVt.data[i];
  return out;
}

// Two regimes: enough samples that the solution is the truth, and too few (the solution differs from the truth).
for (const [label, spec] of [
  ['recovery', { n: 20, rank: 2, samples: 250, seed: 1 }],
  ['no recovery', { n: 20, rank: 3, samples: 110, seed: 2 }],
] as const) {
  test(`optimality conditions hold at the solution (${label}): a dual Y on Ω with P_T(Y) = UV^T, ||P_T⊥(Y)||_2 ≤ 1`, () => {
    const p = syntheticProblem(spec);
    const r = nuclearMin(p.observations, { relTol: 1e-10, maxIters: 20000 });
    assert.equal(r.stopReason, 'tolerance');
    assert.ok(r.constraintResidual < 1e-8, `constraint residual ${r.constraintResidual}`);
    // Rank and singular vectors of the solution, computed afresh.
    const f = svd(r.X);
    const rank = f.s.filter((v) => v > 1e-6 * f.s[0]).length;
    assert.equal(rank, r.rank);
    const U = leading(f.U, rank);
    const V = leading(f.V, rank);
    const Y = onOmega(p.observations, r.dual);
    const PT = projectTangent(Y, U, V);
    const UVt = gemm(U, V, { transB: true });
    let dev = 0;
    for (let i = 0; i < PT.data.length; i++) dev = Math.max(dev, Math.abs(PT.data[i] - UVt.data[i]));
    assert.ok(dev < 1e-6, `max |P_T(Y) − UV^T| = ${dev}`);
    const perp = zeros(Y.rows, Y.cols);
    for (let i = 0; i < perp.data.length; i++) perp.data[i] = Y.data[i] - PT.data[i];
    const perpNorm = svd(perp).s[0];
    assert.ok(perpNorm <= 1 + 1e-6, `||P_T⊥(Y)||_2 = ${perpNorm}`);
    // Weak duality: the truth is feasible, so its nuclear norm is no smaller than the optimum.
    let truthNuclear = 0;
    for (const v of svd(p.truth).s) truthNuclear += v;
    let nuclear = 0;
    for (const v of f.s) nuclear += v;
    assert.ok(nuclear <= truthNuclear * (1 + 1e-7), `||X||_* ${nuclear} > ||W*||_* ${truthNuclear}`);
    assert.ok(Math.abs(r.dualityGap) < 1e-7, `duality gap ${r.dualityGap}`);
    if (label === 'recovery') assert.ok(relativeError(r.X, p.truth) < 1e-6);
    else assert.ok(relativeError(r.X, p.truth) > 1e-2 && nuclear < truthNuclear * (1 - 1e-3));
  });
}

test('a box tolerance δ: |X − M| ≤ δ on Ω, and a nuclear norm no larger than with equality', () => {
  const p = syntheticProblem({ n: 20, rank: 2, samples: 150, seed: 3 });
  const exact = nuclearMin(p.observations, { relTol: 1e-9, maxIters: 20000 });
  const boxed = nuclearMin(p.observations, { relTol: 1e-9, maxIters: 20000, boxHalfWidth: 0.1 });
  assert.equal(boxed.stopReason, 'tolerance');
  assert.ok(boxed.maxAbsResidual <= 0.1 + 1e-6, `max |X − M| on Ω = ${boxed.maxAbsResidual}`);
  assert.ok(boxed.maxAbsResidual > 0.05, 'the box is used');
  const sum = (s: Float64Array): number => s.reduce((a, b) => a + b, 0);
  assert.ok(sum(boxed.singularValues) < sum(exact.singularValues));
  assert.ok(Math.abs(boxed.dualityGap) < 1e-7, `duality gap ${boxed.dualityGap}`);
});

test('warm-started SVDs give the same solution as cold ones', () => {
  const p = syntheticProblem({ n: 20, rank: 2, samples: 160, seed: 6 });
  const warm = nuclearMin(p.observations, { relTol: 1e-9, maxIters: 20000 });
  const cold = nuclearMin(p.observations, { relTol: 1e-9, maxIters: 20000, warmStart: false });
  assert.ok(relativeError(warm.X, cold.X) < 1e-7);
});
