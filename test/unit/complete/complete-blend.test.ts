// auto's validation-chosen blend of the two best methods (src/complete/blend.ts and complete()).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blendFactors, blendWeight, chooseBlend } from '../../../src/complete/blend.ts';
import { makeEvaluator } from '../../../src/complete/tune.ts';
import { zeroBiases } from '../../../src/complete/biases.ts';
import { fromRows } from '../../../src/linalg/matrix.ts';
import type { Observations } from '../../../src/data/observations.ts';

test('blendWeight is the least-squares optimum of Σ(base + z2 + α(z1 − z2) − y)², clamped to [0, 1]', () => {
  // Hand-built: y − base = (1, 2, 0), z1 = (2, 2, 0), z2 = (0, 0, 1): d = (2, 2, −1), target y − base − z2 = (1, 2, −1).
  // α = ⟨d, target⟩/||d||² = (2 + 4 + 1)/9 = 7/9.
  const y = [1.5, 2.5, 0.5];
  const base = [0.5, 0.5, 0.5];
  const alpha = blendWeight(y, base, [2, 2, 0], [0, 0, 1]);
  assert.ok(Math.abs(alpha - 7 / 9) < 1e-15, `α ${alpha}`);
  // It is the minimum: the squared error at α ± 0.01 is larger (a parabola, so this is the optimum, not a guess).
  const sse = (a: number): number =>
    y.reduce((s, v, t) => s + (base[t] + [0, 0, 1][t] + a * ([2, 2, 0][t] - [0, 0, 1][t]) - v) ** 2, 0);
  assert.ok(sse(alpha) < sse(alpha + 0.01) && sse(alpha) < sse(alpha - 0.01));
  // The unconstrained optimum outside [0, 1] is clamped: targets equal to z1 + (z1 − z2) would want α = 2.
  assert.equal(blendWeight([4, 4], [0, 0], [2, 2], [0, 0]), 1);
  assert.equal(blendWeight([-2, -2], [0, 0], [2, 2], [0, 0]), 0);
  // Identical parts: no information, weight 0.
  assert.equal(blendWeight([1, 2], [0, 0], [1, 1], [1, 1]), 0);
});

test('blendFactors: [αL1, (1−α)L2]·[R1, R2]ᵀ equals α·L1R1ᵀ + (1−α)·L2R2ᵀ entry by entry', () => {
  const L1 = fromRows([
    [1, 2],
    [3, -1],
    [0, 1],
  ]);
  const R1 = fromRows([
    [1, 0],
    [2, 1],
  ]);
  const L2 = fromRows([[-1], [2], [5]]);
  const R2 = fromRows([[3], [-2]]);
  const a = 0.3;
  const { L, R } = blendFactors(L1, R1, L2, R2, a);
  assert.equal(L.cols, 3);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 2; j++) {
      let got = 0;
      for (let c = 0; c < 3; c++) got += L.data[i * 3 + c] * R.data[j * 3 + c];
      const want =
        a * (L1.data[i * 2] * R1.data[j * 2] + L1.data[i * 2 + 1] * R1.data[j * 2 + 1]) +
        (1 - a) * L2.data[i] * R2.data[j];
      assert.ok(Math.abs(got - want) < 1e-14, `(${i}, ${j}): ${got} vs ${want}`);
    }
  }
});

test('chooseBlend: the weight of two rank-1 fits recovers the mixture that generated the values, and the RMSE is the evaluator’s', () => {
  // Validation values = 0.25·(fit 1) + 0.75·(fit 2) exactly, on a 2×3 grid: the blend weight must be 0.25, RMSE 0.
  const fit: Observations = {
    shape: [2, 3],
    rows: Int32Array.from([0, 0, 0, 1, 1, 1]),
    cols: Int32Array.from([0, 1, 2, 0, 1, 2]),
    values: new Float64Array(6),
  };
  const L1 = fromRows([[1], [2]]);
  const R1 = fromRows([[1], [0], [-1]]);
  const L2 = fromRows([[0], [1]]);
  const R2 = fromRows([[2], [1], [1]]);
  const cells: [number, number][] = [
    [0, 0],
    [0, 2],
    [1, 0],
    [1, 1],
    [1, 2],
  ];
  const vals = cells.map(([i, j]) => 0.25 * L1.data[i] * R1.data[j] + 0.75 * L2.data[i] * R2.data[j]);
  const val: Observations = {
    shape: [2, 3],
    rows: Int32Array.from(cells.map((c) => c[0])),
    cols: Int32Array.from(cells.map((c) => c[1])),
    values: Float64Array.from(vals),
  };
  const b = zeroBiases(2, 3);
  const evaluate = makeEvaluator(fit, val, b, null);
  const r = chooseBlend(fit, val, b, { L: L1, R: R1 }, { L: L2, R: R2 }, evaluate);
  assert.ok(Math.abs(r.weight - 0.25) < 1e-14, `weight ${r.weight}`);
  assert.ok(r.validationRMSE < 1e-14);
  assert.equal(r.validationRMSE, evaluate(r.L, r.R));
});
