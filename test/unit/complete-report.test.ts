import { test } from 'node:test';
import assert from 'node:assert/strict';
import { complete } from '../../src/complete/index.ts';
import { COUNT_BUCKETS, validationDiagnostics } from '../../src/complete/diagnostics.ts';
import { parseTriplets } from '../../src/data/formats/triplets.ts';
import { makeObservations } from '../../src/data/observations.ts';
import { gemm, zeros } from '../../src/linalg/matrix.ts';
import { svd } from '../../src/linalg/svd.ts';
import { completionFigures, renderCompletionReport } from '../../src/report/complete.ts';
import { ratingsProblem } from '../helpers/ratings.ts';

const problem = ratingsProblem({ m: 40, n: 30, rank: 2, p: 0.5, noise: 0.1, seed: 11, offset: 3 });
const observed = parseTriplets(problem.observedCsv, { file: 'observed.csv', columns: ['user', 'item', 'rating'] });

for (const method of ['ratio', 'soft-impute'] as const) {
  test(`${method}: the report's diagnostics add up (cold-start buckets, histogram, RMSE, spectrum)`, () => {
    const model = complete(observed, { method, seed: 2 });
    const r = model.report;
    const d = r.diagnostics;
    const sum = (xs: { entries: number }[]): number => xs.reduce((s, b) => s + b.entries, 0);
    // Every validation entry lands in exactly one bucket by row count and one by column count.
    assert.equal(sum(d.byRowCount), r.validation.entries);
    assert.equal(sum(d.byColCount), r.validation.entries);
    assert.equal(d.byRowCount.length, COUNT_BUCKETS.length);
    assert.equal(d.residuals.counts.reduce((s, c) => s + c, 0), r.validation.entries);
    assert.equal(d.residuals.edges.length, d.residuals.counts.length + 1);
    // The pooled bucket RMSE is the chosen setting's validation RMSE: the diagnostics are of the model that was scored.
    const pooled = (xs: typeof d.byRowCount): number => Math.sqrt(xs.reduce((s, b) => s + (b.rmse ?? 0) ** 2 * b.entries, 0) / r.validation.entries);
    assert.ok(Math.abs(pooled(d.byRowCount) - r.chosen.validationRMSE) < 1e-12, `${pooled(d.byRowCount)} vs ${r.chosen.validationRMSE}`);
    assert.ok(Math.abs(pooled(d.byColCount) - r.chosen.validationRMSE) < 1e-12);
    // Singular values of the final L·R^T against a dense SVD of the formed matrix.
    const W = gemm(model.parts.L, model.parts.R, { transB: true });
    const dense = Array.from(svd(W).s).sort((a, b) => b - a).slice(0, d.singularValues.length);
    assert.equal(d.singularValues.length, model.parts.L.cols);
    for (let i = 0; i < dense.length; i++) assert.ok(Math.abs(dense[i] - d.singularValues[i]) < 1e-9 * (dense[0] + 1), `σ${i + 1}`);
    if (method === 'ratio') {
      // The chosen trial's curve holds its validation RMSE at the step kept.
      const chosen = r.tried.find((t) => t.validationRMSE === r.chosen.validationRMSE)!;
      const at = chosen.curve!.find((c) => c.step === chosen.steps)!;
      assert.equal(at.validationRMSE, chosen.validationRMSE);
      assert.equal(Math.min(...chosen.curve!.map((c) => c.validationRMSE)), chosen.validationRMSE);
    }
  });
}

test('validationDiagnostics: hand-checked buckets and residuals on a 3×2 example', () => {
  // fit: row 0 has 2 entries, row 1 has 1, row 2 none; col 0 has 2, col 1 has 1.
  const fit = makeObservations([3, 2], [0, 0, 1], [0, 1, 0], [1, 2, 3]);
  const val = makeObservations([3, 2], [1, 2], [1, 0], [5, 4]);
  const b = { mean: 2, row: new Float64Array([0, 1, 0]), col: new Float64Array([0, 0.5]), lambda: 0 };
  const L = zeros(3, 1);
  L.data.set([1, 1, 1]);
  const R = zeros(2, 1);
  R.data.set([1, 1]);
  const d = validationDiagnostics(fit, val, b, L, R, null, 4);
  // (1, 1): seen row and column: 2 + 1 + 0.5 + 1 − 5 = −0.5. (2, 0): row 2 unseen, baseline alone: 2 − 4 = −2.
  assert.equal(d.unseenValidation, 1);
  const rows = d.byRowCount.filter((x) => x.entries > 0);
  assert.deepEqual(rows.map((x) => [x.lo, x.entries, x.rmse]), [[0, 1, 2], [1, 1, 0.5]]);
  const cols = d.byColCount.filter((x) => x.entries > 0);
  assert.deepEqual(cols.map((x) => [x.lo, x.entries, x.rmse]), [[1, 2, Math.sqrt((0.25 + 4) / 2)]]);
  assert.deepEqual(d.residuals.edges, [-2, -1, 0, 1, 2]);
  assert.deepEqual(d.residuals.counts, [1, 1, 0, 0]);
});

test('the HTML report escapes user strings and has one figure per method plus curve, spectrum, residuals, cold start', async () => {
  const model = complete(observed, { method: 'auto', seed: 2 });
  const evil = 'x<script>alert(1)</script>&"y.csv';
  const html = await renderCompletionReport({
    ...model.report,
    input: { file: evil, format: 'triplets', names: ['user', 'item', '<b>rating</b>'], duplicates: 'error' },
    query: { file: evil, cells: 10, unknownCells: 3, unknownRowCells: 2, unknownColCells: 1, unknownRowIds: 1, unknownColIds: 1 },
  });
  assert.ok(!html.includes('<script>') && !html.includes('<b>rating'), 'user strings are escaped');
  assert.ok(html.includes('x&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;y.csv'));
  const ids = completionFigures(model.report).map((f) => f.id);
  assert.deepEqual(ids, ['trials-ratio', 'trials-soft-impute', 'curve', 'spectrum', 'residuals', 'cold-start']);
  assert.equal((html.match(/<svg/g) ?? []).length, ids.length);
  for (const id of ids) assert.ok(html.includes(`<figure id="${id}">`), id);
});
