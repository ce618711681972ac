// auto's blend and the centering check through whole complete() runs; the blend arithmetic is unit-tested in
// test/unit/complete/complete-blend.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { complete } from '../../src/complete/index.ts';
import { parseTriplets } from '../../src/data/formats/triplets.ts';
import { ratingsProblem } from '../helpers/ratings.ts';
import { renderCompletionReport } from '../../src/report/complete.ts';
import { formatSummary } from '../../src/cli/complete-summary.ts';

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
      assert.ok(
        !(r.blend.validationRMSE < bestSingle && r.blend.weights[0] > 0 && r.blend.weights[0] < 1),
        'a blend that won would have been kept',
      );
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
  assert.ok(
    summary.includes(
      `chosen: a blend, ${r.blend.chosen.weights[0].toFixed(3)}·${a} + ${r.blend.chosen.weights[1].toFixed(3)}·${b}`,
    ),
    summary,
  );
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
      assert.deepEqual(
        [t.rank, t.lambda, t.weightDecay, t.weighting],
        [chosen.rank, chosen.lambda, chosen.weightDecay, chosen.weighting],
      );
    }
  }
});
