import { test } from 'node:test';
import assert from 'node:assert/strict';
import { complete, makePredictor, supportedRank } from '../../../src/complete/index.ts';
import { parseTriplets } from '../../../src/data/formats/triplets.ts';
import { parseQuery } from '../../../src/data/formats/query.ts';
import { labelObservations } from '../../../src/data/labels.ts';
import { makeObservations } from '../../../src/data/observations.ts';
import * as lib from '../../../src/index.ts';
import { ratingsProblem } from '../../helpers/ratings.ts';

const NOISE = 0.1;
const problem = ratingsProblem({ m: 40, n: 30, rank: 2, p: 0.6, noise: NOISE, seed: 5, offset: 3 });
const observed = parseTriplets(problem.observedCsv, { file: 'observed.csv', columns: ['user', 'item', 'rating'] });
const query = parseQuery(problem.queryCsv, { file: 'query.csv', idNames: ['user', 'item'] });

test('ids map back: predict by label equals predictAt by position, for sparse unordered ids', () => {
  const model = complete(observed, { method: 'soft-impute' });
  // Labels were sorted numerically (rows) and by code unit (columns): positions differ from generation order.
  assert.deepEqual(model.rowIds.slice(0, 3), ['727', '734', '741']);
  for (const [i, j] of [
    [0, 0],
    [7, 3],
    [39, 29],
  ]) {
    const rowId = problem.rowId(i);
    const colId = problem.colId(j);
    const p = model.rowIds.indexOf(rowId);
    const q = model.colIds.indexOf(colId);
    assert.equal(model.predict(rowId, colId), model.predictAt(p, q));
    assert.equal(model.predict(Number(rowId), colId), model.predictAt(p, q));
    assert.ok(Math.abs(model.predict(rowId, colId) - problem.value(i, j)) < 0.5, `cell (${rowId}, ${colId})`);
  }
});

test('unknown ids fall back to the biases (row or column), else the global mean, and are counted', () => {
  const model = complete(observed, { method: 'soft-impute' });
  const { biases, fallback } = model.parts;
  // The fallback is the fitted biases; the model's own baseline is those biases, or their mean alone when the
  // centering check kept the mean (then no row or column terms).
  if (model.report.centerCheck?.kept === 'mean') {
    assert.equal(biases.mean, fallback.mean);
    assert.ok(biases.row.every((b) => b === 0) && biases.col.every((b) => b === 0));
  } else assert.equal(fallback, biases);
  const i = model.rowIds.indexOf('1000');
  const j = model.colIds.indexOf('m0');
  assert.equal(model.predict('nobody', 'm0'), fallback.mean + fallback.col[j]);
  assert.equal(model.predict('1000', 'nothing'), fallback.mean + fallback.row[i]);
  assert.equal(model.predict('nobody', 'nothing'), fallback.mean);
  const many = model.predictMany(['1000', 'nobody', 'nobody', 'ghost', '1000'], ['m0', 'm0', 'nothing', 'x', 'm0']);
  assert.deepEqual(
    [many.unknownCells, many.unknownRowCells, many.unknownColCells, many.unknownRowIds, many.unknownColIds],
    [3, 3, 2, 2, 2],
  );
  assert.equal(many.values[1], model.predict('nobody', 'm0'));
});

test('predictions are clipped to the observed range unless clip is off', () => {
  const obs = labelObservations(
    ['a', 'a', 'b', 'b', 'c', 'c', 'd'],
    ['x', 'y', 'x', 'z', 'y', 'z', 'x'],
    [1, 5, 1, 5, 1, 5, 3],
  );
  const model = complete(obs, { method: 'soft-impute', validation: 0.2 });
  for (const r of model.rowIds)
    for (const c of model.colIds) {
      const v = model.predict(r, c);
      assert.ok(v >= 1 && v <= 5, `prediction ${v}`);
    }
  assert.deepEqual(model.report.clip, [1, 5]);
  assert.equal(complete(obs, { method: 'soft-impute', validation: 0.2, clip: false }).report.clip, null);
});

test('plain Observations work too (positions as ids), and the library exports complete', () => {
  assert.equal(lib.complete, complete);
  const obs = makeObservations([3, 3], [0, 0, 1, 1, 2, 2, 0], [0, 1, 1, 2, 0, 2, 2], [1, 2, 2, 3, 1, 3, 2]);
  const model = complete(obs, { method: 'soft-impute', validation: 0.2 });
  assert.deepEqual(model.rowIds, ['0', '1', '2']);
  assert.equal(model.predict(1, 0), model.predictAt(1, 0));
});

test('the ratio model rank must be supported by the data: the error says how many entries are needed', () => {
  assert.equal(supportedRank(529, 40, 30), 8);
  assert.equal(supportedRank(10, 40, 30), 0);
  assert.throws(
    () => complete(observed, { method: 'ratio', ranks: [12], weightDecays: [0] }),
    /ratio: rank 12 on a 40×30 matrix has k\(m\+n−k\) = 696 free parameters and needs at least that many observed entries .*the fit sees \d+ .*largest rank these data support is \d+/,
  );
  assert.throws(() => complete(observed, { method: 'soft-impute', ranks: [31] }), /rank must be an integer in 1\.\.30/);
  const tiny = labelObservations(['a', 'b', 'c', 'a', 'b'], ['x', 'y', 'z', 'y', 'z'], [1, 2, 3, 4, 5]);
  assert.throws(
    () => complete(tiny, { method: 'ratio', validation: 0.2, weightDecays: [0] }),
    /even rank 1 on a 3×3 matrix needs at least m\+n−1 = 5 observed entries/,
  );
  assert.throws(
    () => complete(tiny, { validation: 0.05 }),
    /too few observed entries \(5\) to hold out a validation split of 0\.05: need at least 10/,
  ); // round(0.05 × 10) = 1 held out, 9 to fit
});

test('settings are checked up front', () => {
  assert.throws(() => complete(observed, { lambdas: [1] }), /λ candidates need one method/);
  assert.throws(() => complete(observed, { validation: 0.7 }), /validation fraction must be in \(0, 0\.5\]/);
  assert.throws(() => complete(observed, { method: 'svd' as 'ratio' }), /unknown method 'svd'/);
});

test('keepObserved: observed cells answer with their observed value, the others with the model, counts unchanged', () => {
  const model = complete(observed, { method: 'soft-impute' });
  const obs = observed.observations;
  const rowIds: string[] = [];
  const colIds: string[] = [];
  for (let t = 0; t < 5; t++) {
    rowIds.push(observed.rowIds[obs.rows[t]]);
    colIds.push(observed.colIds[obs.cols[t]]);
  }
  rowIds.push(query.rowIds[0], 'nobody');
  colIds.push(query.colIds[0], 'm0');
  const plain = model.predictMany(rowIds, colIds);
  const kept = model.predictMany(rowIds, colIds, { keepObserved: true });
  for (let t = 0; t < 5; t++) {
    assert.equal(kept.values[t], obs.values[t]);
    assert.notEqual(plain.values[t], obs.values[t]);
    assert.equal(model.predict(rowIds[t], colIds[t], { keepObserved: true }), obs.values[t]);
    assert.equal(model.predictAt(obs.rows[t], obs.cols[t], { keepObserved: true }), obs.values[t]);
  }
  assert.equal(kept.values[5], plain.values[5]);
  assert.equal(kept.values[6], plain.values[6]);
  assert.deepEqual({ ...kept, values: null }, { ...plain, values: null });
});

test('keepObserved needs the observed entries: a predictor made without them says so', () => {
  const model = complete(observed, { method: 'soft-impute' });
  const bare = makePredictor(model.parts);
  assert.equal(bare.predict('1000', 'm0'), model.predict('1000', 'm0'));
  assert.throws(
    () => bare.predict('1000', 'm0', { keepObserved: true }),
    /keepObserved: this predictor was made without the observed entries/,
  );
});

test('COMPLETE_DEFAULTS are the settings complete() uses when none are given', () => {
  const d = lib.DEFAULTS.complete;
  const small = labelObservations(
    ['a', 'a', 'b', 'b', 'c', 'c', 'd', 'd'],
    ['x', 'y', 'x', 'z', 'y', 'z', 'x', 'y'],
    [1, 5, 1, 5, 1, 5, 3, 2],
  );
  const implicit = complete(small, { method: 'soft-impute' }).report;
  const explicit = complete(small, { ...d, method: 'soft-impute' }).report;
  assert.deepEqual(
    explicit.tried.map((t) => t.validationRMSE),
    implicit.tried.map((t) => t.validationRMSE),
  );
  assert.deepEqual(explicit.biasTrials, implicit.biasTrials);
  assert.equal(implicit.validation.fraction, d.validation);
  assert.equal(implicit.validation.seed, d.seed);
  assert.deepEqual(
    implicit.biasTrials.map((b) => b.lambda),
    [...d.biasLambdas],
  );
});

test('data whose observed values are all equal (clicks, likes) get a warning that names the value, other data none', () => {
  const m = 6;
  const n = 5;
  const rows: number[] = [];
  const cols: number[] = [];
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      if ((i + j) % 3 === 0) continue;
      rows.push(i);
      cols.push(j);
    }
  const ones = makeObservations([m, n], rows, cols, new Array<number>(rows.length).fill(1));
  const model = complete(ones, { method: 'soft-impute', validation: 0.2 });
  const warnings = model.report.notes.filter((note) => note.startsWith('warning:'));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /every observed value is 1\b.*implicit feedback/);
  assert.equal(model.predict(0, 0), 1, 'the constant model is still returned');
  const varied = makeObservations(
    [m, n],
    rows,
    cols,
    rows.map((i, t) => i + cols[t]),
  );
  const other = complete(varied, { method: 'soft-impute', validation: 0.2 });
  assert.equal(other.report.notes.filter((note) => note.startsWith('warning:')).length, 0);
});
