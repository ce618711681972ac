// The oracle noise floor of the scale problem (test/helpers/scale-problem.ts): hand-computed posteriors, and its
// expected test MSE against its own test MSE on a large query.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { oracleFloor, scaleProblem, type ScaleProblem } from '../../helpers/scale-problem.ts';
import { createRng } from '../../../src/random/index.ts';

/** A problem with given column factors B (A is not used by the oracle). */
function withB(m: number, r: number, sigma: number, B: number[]): ScaleProblem {
  const none = new Float64Array(0);
  return {
    m,
    n: B.length / r,
    r,
    sigma,
    A: new Float64Array(m * r),
    B: Float64Array.from(B),
    rows: new Int32Array(0),
    cols: new Int32Array(0),
    values: none,
    truth: none,
  };
}

test('oracleFloor, rank 1 by hand: P = 1 + Σb²/σ², mean Σb·y/σ²/P, variance b²/P', () => {
  // B = (1, 2, −1), σ 0.5: train (0,0) = 0.3 and (0,1) = −0.4, query (0,2) = 0.2.
  // P = 1 + (1 + 4)/0.25 = 21; h = (0.3 − 0.8)/0.25 = −2; μ = −2/21; prediction μ·(−1) = 2/21.
  const o = oracleFloor(
    withB(1, 1, 0.5, [1, 2, -1]),
    { rows: [0, 0], cols: [0, 1], values: [0.3, -0.4] },
    { rows: [0], cols: [2], values: [0.2] },
  );
  assert.ok(Math.abs(o.expectedMSE - (0.25 + 1 / 21)) < 1e-12);
  assert.ok(Math.abs(o.rmse - Math.abs(2 / 21 - 0.2)) < 1e-12);
});

test('oracleFloor, rank 2 by hand: a 2×2 posterior precision inverted by its adjugate, scaled by 1/r and 1/√r', () => {
  // r = 2, σ = 1: b_0 = (1, 0), b_1 = (1, 1), query column b_2 = (0, 2). P = I + (b_0b_0ᵀ + b_1b_1ᵀ)/2 = [[2, .5], [.5, 1.5]].
  const B = [1, 0, 1, 1, 0, 2];
  const det = 2 * 1.5 - 0.25;
  const Pinv = [1.5 / det, -0.5 / det, -0.5 / det, 2 / det];
  // b_2ᵀ P⁻¹ b_2 / r = 4·Pinv[3]/2.
  const variance = (4 * Pinv[3]) / 2;
  // h = Σ b_j y_j/(√2·1): y = (1, −1): h = ((1, 0) − (1, 1))/√2 = (0, −1/√2); μ = P⁻¹h; prediction μ·b_2/√2.
  const h = [0, -1 / Math.SQRT2];
  const mu = [Pinv[0] * h[0] + Pinv[1] * h[1], Pinv[2] * h[0] + Pinv[3] * h[1]];
  const pred = (2 * mu[1]) / Math.SQRT2;
  const o = oracleFloor(
    withB(1, 2, 1, B),
    { rows: [0, 0], cols: [0, 1], values: [1, -1] },
    { rows: [0], cols: [2], values: [0.5] },
  );
  assert.ok(Math.abs(o.expectedMSE - (1 + variance)) < 1e-12);
  assert.ok(Math.abs(o.rmse - Math.abs(pred - 0.5)) < 1e-12);
});

test('oracleFloor on a generated problem: its own test MSE matches the expected MSE it states, and more data lowers it', () => {
  const p = scaleProblem({ m: 400, n: 100, r: 3, sigma: 0.5, ratings: 16000, seed: 3 });
  const rng = createRng(4);
  const isQuery = Array.from({ length: p.values.length }, () => rng.uniform() < 0.4);
  const cells = (want: boolean, keep = 1) => {
    const ts = [...isQuery.keys()].filter((t) => isQuery[t] === want && (want || t % keep === 0));
    return { rows: ts.map((t) => p.rows[t]), cols: ts.map((t) => p.cols[t]), values: ts.map((t) => p.values[t]) };
  };
  const query = cells(true);
  const o = oracleFloor(p, cells(false), query);
  // 6,400 query cells: the squared errors' mean has a relative standard error of about sqrt(2/6400) ≈ 1.8%.
  assert.ok(Math.abs(o.rmse ** 2 / o.expectedMSE - 1) < 0.06, `test MSE ${o.rmse ** 2}, expected ${o.expectedMSE}`);
  assert.ok(o.expectedMSE > p.sigma ** 2);
  // About 24 ratings a row: the excess is about r/(24 − r − 1)·σ² ≈ 0.15σ²; with half the ratings it grows.
  const half = oracleFloor(p, cells(false, 2), query);
  assert.ok(
    half.expectedMSE - p.sigma ** 2 > 1.8 * (o.expectedMSE - p.sigma ** 2),
    `${half.expectedMSE} vs ${o.expectedMSE}`,
  );
});
