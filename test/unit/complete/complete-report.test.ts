import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validationDiagnostics } from '../../../src/complete/diagnostics.ts';
import { makeObservations } from '../../../src/data/observations.ts';
import { zeros } from '../../../src/linalg/matrix.ts';
import { complete } from '../../../src/complete/index.ts';
import { parseTriplets } from '../../../src/data/formats/triplets.ts';
import { completionFigures } from '../../../src/report/complete.ts';
import { ratingsProblem } from '../../helpers/ratings.ts';

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
  assert.deepEqual(
    rows.map((x) => [x.lo, x.entries, x.rmse]),
    [
      [0, 1, 2],
      [1, 1, 0.5],
    ],
  );
  const cols = d.byColCount.filter((x) => x.entries > 0);
  assert.deepEqual(
    cols.map((x) => [x.lo, x.entries, x.rmse]),
    [[1, 2, Math.sqrt((0.25 + 4) / 2)]],
  );
  assert.deepEqual(d.residuals.edges, [-2, -1, 0, 1, 2]);
  assert.deepEqual(d.residuals.counts, [1, 1, 0, 0]);
});

test('completion report figures: every caption is plain prose (no string-concatenation text left in it)', () => {
  const problem = ratingsProblem({ m: 30, n: 20, rank: 2, p: 0.6, noise: 0.1, seed: 3, offset: 3 });
  const data = parseTriplets(problem.observedCsv, { file: 'o.csv', columns: ['user', 'item', 'rating'] });
  const figures = completionFigures(complete(data, { method: 'soft-impute' }).report);
  const coldStart = figures.find((f) => f.id === 'cold-start');
  assert.ok(coldStart, 'the cold-start figure is drawn');
  assert.match(coldStart.caption, /the row \(user\) or the column \(item\) of each validation entry/);
  for (const f of figures) assert.doesNotMatch(f.caption, /' \+ '|` \+ `|'\s*\+\s*$/, `${f.id}: ${f.caption}`);
});
