// complete()'s report on whole runs: its diagnostics and the HTML page; validationDiagnostics is unit-tested in
// test/unit/complete/complete-report.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { complete } from '../../src/complete/index.ts';
import { COUNT_BUCKETS } from '../../src/complete/diagnostics.ts';
import { parseTriplets } from '../../src/data/formats/triplets.ts';
import { gemm } from '../../src/linalg/matrix.ts';
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
    assert.equal(
      d.residuals.counts.reduce((s, c) => s + c, 0),
      r.validation.entries,
    );
    assert.equal(d.residuals.edges.length, d.residuals.counts.length + 1);
    // The pooled bucket RMSE is the chosen setting's validation RMSE: the diagnostics are of the model that was scored.
    const pooled = (xs: typeof d.byRowCount): number =>
      Math.sqrt(xs.reduce((s, b) => s + (b.rmse ?? 0) ** 2 * b.entries, 0) / r.validation.entries);
    assert.ok(
      Math.abs(pooled(d.byRowCount) - r.chosen.validationRMSE) < 1e-12,
      `${pooled(d.byRowCount)} vs ${r.chosen.validationRMSE}`,
    );
    assert.ok(Math.abs(pooled(d.byColCount) - r.chosen.validationRMSE) < 1e-12);
    // Singular values of the final L·R^T against a dense SVD of the formed matrix.
    const W = gemm(model.parts.L, model.parts.R, { transB: true });
    const dense = Array.from(svd(W).s)
      .sort((a, b) => b - a)
      .slice(0, d.singularValues.length);
    assert.equal(d.singularValues.length, model.parts.L.cols);
    for (let i = 0; i < dense.length; i++)
      assert.ok(Math.abs(dense[i] - d.singularValues[i]) < 1e-9 * (dense[0] + 1), `σ${i + 1}`);
    if (method === 'ratio') {
      // The chosen trial's curve holds its validation RMSE at the step kept.
      const chosen = r.tried.find((t) => t.validationRMSE === r.chosen.validationRMSE)!;
      const at = chosen.curve!.find((c) => c.step === chosen.steps)!;
      assert.equal(at.validationRMSE, chosen.validationRMSE);
      assert.equal(Math.min(...chosen.curve!.map((c) => c.validationRMSE)), chosen.validationRMSE);
    }
  });
}

test('the HTML report escapes user strings and has one figure per method plus curve, spectrum, residuals, cold start', async () => {
  const model = complete(observed, { method: 'auto', seed: 2 });
  const evil = 'x<script>alert(1)</script>&"y.csv';
  const html = await renderCompletionReport({
    ...model.report,
    input: { file: evil, format: 'triplets', names: ['user', 'item', '<b>rating</b>'], duplicates: 'error' },
    query: {
      file: evil,
      cells: 10,
      unknownCells: 3,
      unknownRowCells: 2,
      unknownColCells: 1,
      unknownRowIds: 1,
      unknownColIds: 1,
    },
  });
  assert.ok(!html.includes('<script>') && !html.includes('<b>rating'), 'user strings are escaped');
  assert.ok(html.includes('x&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;y.csv'));
  const ids = completionFigures(model.report).map((f) => f.id);
  assert.deepEqual(ids, ['trials-ratio', 'trials-soft-impute', 'curve', 'spectrum', 'residuals', 'cold-start']);
  assert.equal((html.match(/<svg/g) ?? []).length, ids.length);
  for (const id of ids) assert.ok(html.includes(`<figure id="${id}">`), id);
});
