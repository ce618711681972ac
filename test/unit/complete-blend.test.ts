// auto's validation-chosen blend of the two best methods (src/complete/blend.ts and complete()).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blendFactors, blendWeight, chooseBlend } from '../../src/complete/blend.ts';
import { makeEvaluator } from '../../src/complete/tune.ts';
import { complete } from '../../src/complete/index.ts';
import { zeroBiases } from '../../src/complete/biases.ts';
import { fromRows } from '../../src/linalg/matrix.ts';
import { parseTriplets } from '../../src/data/formats/triplets.ts';
import { ratingsProblem } from '../helpers/ratings.ts';
import type { Observations } from '../../src/data/observations.ts';
import { renderCompletionReport } from '../../src/report/complete.ts';
import { formatSummary } from '../../src/cli/complete-summary.ts';

test('blendWeight is the least-squares optimum of Σ(base + z2 + α(z1 − z2) − y)², clamped to [0, 1]', () => {
  // Hand-built: y − base = (1, 2, 0), z1 = (2, 2, 0), z2 = (0, 0, 1): d = (2, 2, −1), target y − base − z2 = (1, 2, −1).
  // α = ⟨d, target⟩/||d||² = (2 + 4 + 1)/9 = 7/9.
  const y = [1.5, 2.5, 0.5];
  const base = [0.5, 0.5, 0.5];
  const alpha = blendWeight(y, base, [2, 2, 0], [0, 0, 1]);
  assert.ok(Math.abs(alpha - 7 / 9) < 1e-15, `α ${alpha}`);
  // It is the minimum: the squared error at α ± 0.01 is larger (a parabola, so this is the optimum, not a guess).
  const sse = (a: number): number => y.reduce((s, v, t) => s + (base[t] + [0, 0, 1][t] + a * ([2, 2, 0][t] - [0, 0, 1][t]) - v) ** 2, 0);
  assert.ok(sse(alpha) < sse(alpha + 0.01) && sse(alpha) < sse(alpha - 0.01));
  // The unconstrained optimum outside [0, 1] is clamped: targets equal to z1 + (z1 − z2) would want α = 2.
  assert.equal(blendWeight([4, 4], [0, 0], [2, 2], [0, 0]), 1);
  assert.equal(blendWeight([-2, -2], [0, 0], [2, 2], [0, 0]), 0);
  // Identical parts: no information, weight 0.
  assert.equal(blendWeight([1, 2], [0, 0], [1, 1], [1, 1]), 0);
});

test('blendFactors: [αL1, (1−α)L2]·[R1, R2]ᵀ equals α·L1R1ᵀ + (1−α)·L2R2ᵀ entry by entry', () => {
  const L1 = fromRows([[1, 2], [3, -1], [0, 1]]);
  const R1 = fromRows([[1, 0], [2, 1]]);
  const L2 = fromRows([[-1], [2], [5]]);
  const R2 = fromRows([[3], [-2]]);
  const a = 0.3;
  const { L, R } = blendFactors(L1, R1, L2, R2, a);
  assert.equal(L.cols, 3);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 2; j++) {
      let got = 0;
      for (let c = 0; c < 3; c++) got += L.data[i * 3 + c] * R.data[j * 3 + c];
      const want = a * (L1.data[i * 2] * R1.data[j * 2] + L1.data[i * 2 + 1] * R1.data[j * 2 + 1]) + (1 - a) * L2.data[i] * R2.data[j];
      assert.ok(Math.abs(got - want) < 1e-14, `(${i}, ${j}): ${got} vs ${want}`);
    }
  }
});

test('chooseBlend: the weight of two rank-1 fits recovers the mixture that generated the values, and the RMSE is the evaluator’s', () => {
  // Validation values = 0.25·(fit 1) + 0.75·(fit 2) exactly, on a 2×3 grid: the blend weight must be 0.25, RMSE 0.
  const fit: Observations = { shape: [2, 3], rows: Int32Array.from([0, 0, 0, 1, 1, 1]), cols: Int32Array.from([0, 1, 2, 0, 1, 2]), values: new Float64Array(6) };
  const L1 = fromRows([[1], [2]]);
  const R1 = fromRows([[1], [0], [-1]]);
  const L2 = fromRows([[0], [1]]);
  const R2 = fromRows([[2], [1], [1]]);
  const cells: [number, number][] = [[0, 0], [0, 2], [1, 0], [1, 1], [1, 2]];
  const vals = cells.map(([i, j]) => 0.25 * L1.data[i] * R1.data[j] + 0.75 * L2.data[i] * R2.data[j]);
  const val: Observations = { shape: [2, 3], rows: Int32Array.from(cells.map((c) => c[0])), cols: Int32Array.from(cells.map((c) => c[1])), values: Float64Array.from(vals) };
  const b = zeroBiases(2, 3);
  const evaluate = makeEvaluator(fit, val, b, null);
  const r = chooseBlend(fit, val, b, { L: L1, R: R1 }, { L: L2, R: R2 }, evaluate);
  assert.ok(Math.abs(r.weight - 0.25) < 1e-14, `weight ${r.weight}`);
  assert.ok(r.validationRMSE < 1e-14);
  assert.equal(r.validationRMSE, evaluate(r.L, r.R));
});

const problem = ratingsProblem({ m: 30, n: 24, rank: 2, p: 0.5, noise: 0.3, seed: 7, offset: 3 });
const observed = parseTriplets(problem.observedCsv, { file: 'o.csv', columns: ['user', 'item', 'rating'] });

test('auto: the blend is tried, and kept only when its validation RMSE is below the best single method’s', () => {
  // Without centering (so the centering check does not compete): seed 0 blends (weight inside (0, 1), validation RMSE
  // below the best single); seed 1's least-squares weight is 1 (the best method alone), so nothing is blended. Both
  // branches are checked against the rule, not just the outcome.
  let kept = 0;
  for (const seed of [0, 1]) {
    const model = complete(observed, { method: 'auto', seed, maxSteps: 300, center: false });
    const r = model.report;
    assert.ok(r.blend, 'auto tries a blend of its two methods');
    const bestSingle = Math.min(...r.tried.map((t) => t.validationRMSE));
    if (r.blend.chosen) {
      kept++;
      assert.ok(r.blend.chosen.validationRMSE < bestSingle);
      assert.equal(r.blend.chosen.bestSingleRMSE, bestSingle);
      assert.ok(r.blend.chosen.weights[0] > 0 && r.blend.chosen.weights[0] < 1);
      assert.ok(Math.abs(r.blend.chosen.weights[0] + r.blend.chosen.weights[1] - 1) < 1e-15);
      assert.notEqual(r.blend.chosen.labels[0], r.blend.chosen.labels[1], 'two different groups');
      // The first component is the better one alone, and the report's method and chosen trial describe it.
      assert.equal(r.chosen.validationRMSE, bestSingle);
      assert.equal(r.method, r.blend.chosen.methods[0]);
    } else {
      assert.ok(!(r.blend.validationRMSE < bestSingle && r.blend.weights[0] > 0 && r.blend.weights[0] < 1), 'a blend that won would have been kept');
      assert.equal(r.chosen.validationRMSE, bestSingle);
    }
  }
  assert.equal(kept, 1, 'one seed blends, the other does not');
  // A single method never blends.
  assert.equal(complete(observed, { method: 'soft-impute', seed: 0 }).report.blend, undefined);
  // With centering, seed 0's blend on the biases (0.436) loses to the chosen setting on the mean alone (0.413): the
  // centering check compares with the blend, keeps the mean alone, and the blend is reported as not kept.
  const centered = complete(observed, { method: 'auto', seed: 0, maxSteps: 300 }).report;
  assert.equal(centered.centerCheck?.kept, 'mean');
  assert.equal(centered.blend?.chosen, null);
  assert.equal(centered.centerCheck?.biasesRMSE, centered.blend?.validationRMSE);
  assert.ok(centered.centerCheck.meanOnlyRMSE < centered.centerCheck.biasesRMSE);
});

test('a blend is said to be one: the summary’s why line, the HTML report’s rows, its spectrum of both components', async () => {
  const model = complete(observed, { method: 'auto', seed: 0, maxSteps: 300, center: false });
  const r = model.report;
  assert.ok(r.blend?.chosen, 'seed 0 without centering blends (previous test)');
  const summary = formatSummary(r, null, 1);
  const [a, b] = r.blend.chosen.labels;
  assert.ok(summary.includes(`chosen: a blend, ${r.blend.chosen.weights[0].toFixed(3)}·${a} + ${r.blend.chosen.weights[1].toFixed(3)}·${b}`), summary);
  assert.match(summary, new RegExp(`why a blend: .* below ${r.method} alone .*slightly optimistic`));
  const html = await renderCompletionReport(r);
  assert.ok(html.includes('<th>blend</th>') && html.includes('<th>best single method</th>'));
  assert.ok(html.includes('slightly optimistic'));
  // The low-rank part is the blend of two fits: more singular values than the first component's rank.
  assert.ok(r.diagnostics.singularValues.length > r.blend.chosen.components[0].rank);
  assert.equal(Math.min(model.parts.L.cols, 24), r.diagnostics.singularValues.length);
});

test('the centering check retunes the chosen setting alone: its trials have the chosen rank, λ, ω and weighting (unweighted, whose ω has its own list)', () => {
  for (const seed of [0, 1]) {
    const r = complete(observed, { method: 'ratio', seed, maxSteps: 300, weightings: ['none'] }).report;
    const onBiases = r.tried.filter((t) => t.centering === undefined);
    const chosen = onBiases.reduce((a, b) => (b.validationRMSE < a.validationRMSE ? b : a));
    const mean = r.tried.filter((t) => t.centering === 'mean');
    assert.ok(mean.length > 0, 'the centering check ran');
    for (const t of mean) {
      assert.deepEqual([t.rank, t.lambda, t.weightDecay, t.weighting], [chosen.rank, chosen.lambda, chosen.weightDecay, chosen.weighting]);
    }
  }
});
