// crossValidate: the folds partition the entries by the seed alone, the fits never see a test cell, and the scores
// are what their definitions give.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTriplets } from '../../../src/data/formats/triplets.ts';
import { labelObservations, type LabeledObservations } from '../../../src/data/labels.ts';
import { fitBiases } from '../../../src/complete/biases.ts';
import {
  assignFolds,
  crossValidate,
  defaultThreshold,
  fitBiasesOnly,
  foldParts,
  meanStd,
  scoreFold,
} from '../../../src/complete/evaluate.ts';
import type { CompletionModel } from '../../../src/complete/complete.ts';
import type { FittedModel } from '../../../src/complete/model.ts';
import { ratingsProblem } from '../../helpers/ratings.ts';

const problem = ratingsProblem({ m: 40, n: 30, rank: 2, p: 0.5, noise: 0.2, seed: 7, offset: 3 });
const data = parseTriplets(problem.observedCsv, { file: 'r.csv', columns: ['user', 'item', 'rating'] });
const FAST = { maxSteps: 200 } as const;

test('assignFolds: every entry in exactly one fold, sizes within one, the same folds for the same seed', () => {
  for (const [count, folds] of [
    [10, 2],
    [101, 5],
    [7, 7],
    [1000, 10],
  ]) {
    const a = assignFolds(count, folds, 3);
    assert.equal(a.length, count);
    const sizes = new Array<number>(folds).fill(0);
    for (const f of a) {
      assert.ok(f >= 0 && f < folds);
      sizes[f]++;
    }
    assert.equal(
      sizes.reduce((s, x) => s + x, 0),
      count,
    );
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `sizes ${sizes.join(', ')}`);
    assert.deepEqual(assignFolds(count, folds, 3), a, 'reproducible');
  }
  const one = assignFolds(1000, 5, 0);
  const other = assignFolds(1000, 5, 1);
  assert.ok(
    one.some((f, t) => f !== other[t]),
    'another seed gives other folds',
  );
  assert.throws(() => assignFolds(10, 1, 0), /folds must be an integer in 2\.\.255/);
});

test('foldParts: the test parts are disjoint and cover the data; training = the rest, relabeled to its own ids', () => {
  const obs = data.observations;
  const folds = assignFolds(obs.values.length, 4, 0);
  const seen = new Map<string, number>();
  const cell = (i: number, j: number): string => `${data.rowIds[i]}|${data.colIds[j]}`;
  for (let f = 0; f < 4; f++) {
    const { train, test: held } = foldParts(data, folds, f);
    const testCells = new Set<string>();
    for (let t = 0; t < held.values.length; t++) {
      const key = cell(held.rows[t], held.cols[t]);
      assert.ok(!seen.has(key), `${key} is in two test folds`);
      seen.set(key, held.values[t]);
      testCells.add(key);
    }
    const tr = train.observations;
    assert.equal(tr.values.length + held.values.length, obs.values.length);
    const usedRows = new Set<number>(tr.rows);
    const usedCols = new Set<number>(tr.cols);
    assert.equal(usedRows.size, train.rowIds.length, 'every training id has a training entry');
    assert.equal(usedCols.size, train.colIds.length);
    for (let t = 0; t < tr.values.length; t++) {
      const key = `${train.rowIds[tr.rows[t]]}|${train.colIds[tr.cols[t]]}`;
      assert.ok(!testCells.has(key), `training cell ${key} is a test cell`);
    }
    // The training part is what labeling its entries afresh gives (ids in the same order, same positions).
    const again = labelObservations(
      Array.from(tr.rows, (i) => train.rowIds[i]),
      Array.from(tr.cols, (j) => train.colIds[j]),
      tr.values,
    );
    assert.deepEqual(again.rowIds, train.rowIds);
    assert.deepEqual(again.colIds, train.colIds);
    assert.deepEqual(again.observations.rows, tr.rows);
  }
  assert.equal(seen.size, obs.values.length, 'the test parts cover every entry');
  for (let t = 0; t < obs.values.length; t++) assert.equal(seen.get(cell(obs.rows[t], obs.cols[t])), obs.values[t]);
});

/** The data with every entry of test fold `f` (of crossValidate's folds for `seed`) set far outside the range. */
function poisoned(d: LabeledObservations, folds: number, seed: number, f: number): LabeledObservations {
  const obs = d.observations;
  const fold = assignFolds(obs.values.length, folds, seed);
  const values = Float64Array.from(obs.values, (v, t) => (fold[t] === f ? v + 100 + t : v));
  return { ...d, observations: { ...obs, values } };
}

/** Everything a fit chose and why, without the timings. */
function tuning(model: FittedModel): unknown {
  const r = (model as CompletionModel).report;
  const strip = <T extends { seconds?: unknown }>(x: T): Omit<T, 'seconds'> => {
    const { seconds: _s, ...rest } = x;
    return rest;
  };
  return {
    tried: r.tried.map(strip),
    chosen: strip(r.chosen),
    biasTrials: r.biasTrials,
    refit: r.refit,
    clip: r.clip,
    blend: r.blend ?? null,
    L: Array.from(model.parts.L.data),
  };
}

test('no test cell reaches tuning: poisoning a fold’s test values leaves that fold’s fits unchanged', () => {
  const opts = { folds: 3, seed: 5, methods: ['soft-impute', 'ratio'] as const, threshold: 3, fitOptions: FAST };
  const capture = (d: LabeledObservations): { fits: Map<string, unknown>; rows: ReturnType<typeof crossValidate> } => {
    const fits = new Map<string, unknown>();
    const rows = crossValidate(d, {
      ...opts,
      methods: [...opts.methods],
      onModel: ({ fold, method, model }) => fits.set(`${fold}:${method}`, tuning(model)),
    });
    return { fits, rows };
  };
  const clean = capture(data);
  const bad = capture(poisoned(data, 3, 5, 0));
  for (const method of opts.methods) {
    // Fold 1's fit saw only folds 2 and 3: bit for bit the same settings tried, choice, refit and factors.
    assert.deepEqual(bad.fits.get(`1:${method}`), clean.fits.get(`1:${method}`), method);
    // The test would see a leak: folds 2 and 3 train on the poisoned entries, and their fits change.
    assert.notDeepEqual(bad.fits.get(`2:${method}`), clean.fits.get(`2:${method}`), `${method}, fold 2`);
    // And fold 1 is scored on the poisoned values.
    const row = (r: typeof clean.rows): number => r.folds.find((x) => x.fold === 1 && x.method === method)?.rmse ?? NaN;
    assert.ok(row(bad.rows) > 10 * row(clean.rows), `${method}: ${row(bad.rows)} vs ${row(clean.rows)}`);
  }
});

test('crossValidate: a row per fold and method, the summary their mean ± sample std, the same numbers for the seed', () => {
  const opts = { folds: 3, seed: 2, methods: ['soft-impute', 'biases'] as ('soft-impute' | 'biases')[], k: 5 };
  const r = crossValidate(data, { ...opts, fitOptions: FAST });
  assert.equal(r.folds.length, 6);
  assert.equal(r.settings.threshold, defaultThreshold(r.data.min, r.data.max));
  assert.equal(r.settings.thresholdFrom, 'rule');
  assert.equal(
    r.folds.filter((x) => x.method === 'biases').reduce((s, x) => s + x.testEntries, 0),
    data.observations.values.length,
  );
  for (const s of r.summary) {
    const mine = r.folds.filter((x) => x.method === s.method);
    const xs = mine.map((x) => x.rmse);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    assert.ok(Math.abs((s.rmse.mean ?? NaN) - mean) < 1e-12);
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
    assert.ok(Math.abs((s.rmse.std ?? NaN) - sd) < 1e-12);
    for (const x of mine) assert.ok(x.precision !== null && x.precision >= 0 && x.precision <= 1);
  }
  // The low-rank fit beats the biases alone on this rank-2 problem, on every fold.
  for (let f = 1; f <= 3; f++) {
    const by = (m: string) => r.folds.find((x) => x.fold === f && x.method === m)?.rmse ?? NaN;
    assert.ok(by('soft-impute') < by('biases'), `fold ${f}`);
  }
  const again = crossValidate(data, { ...opts, fitOptions: FAST });
  assert.deepEqual(
    again.folds.map(({ seconds: _a, fitSeconds: _b, ...rest }) => rest),
    r.folds.map(({ seconds: _a, fitSeconds: _b, ...rest }) => rest),
  );
});

test('scoreFold: RMSE, MAE and the ranking metrics from their definitions on a model whose every score is known', () => {
  // Users a, b; items p, q, r, s. Training: a rated p; b rated p and q. Held out: a: q 5, r 1; b: r 5; c (unknown): s 5.
  const all = labelObservations(
    ['a', 'a', 'a', 'b', 'b', 'b', 'c'],
    ['p', 'q', 'r', 'p', 'q', 'r', 's'],
    [3, 5, 1, 3, 3, 5, 5],
  );
  const trainOf = labelObservations(['a', 'b', 'b', 'b'], ['p', 'p', 'q', 's'], [3, 3, 3, 2]);
  // Biases only, no ridge; item r is unknown to the training part.
  const model = fitBiasesOnly(trainOf, { validation: 0.5, biasLambdas: [0], clip: false }, 0);
  const b = fitBiases(trainOf.observations, 0);
  const testIdx = [1, 2, 5, 6];
  const test = {
    shape: all.observations.shape,
    rows: Int32Array.from(testIdx, (t) => all.observations.rows[t]),
    cols: Int32Array.from(testIdx, (t) => all.observations.cols[t]),
    values: Float64Array.from(testIdx, (t) => all.observations.values[t]),
  };
  const s = scoreFold(all, test, model, { k: 2, threshold: 4, minSupport: 0 });
  // Predictions: (a, q) = μ + b_a + c_q; (a, r) = μ + b_a (r unknown); (b, r) = μ + b_b; (c, s) = μ + c_s.
  const ai = trainOf.rowIds.indexOf('a');
  const bi = trainOf.rowIds.indexOf('b');
  const qj = trainOf.colIds.indexOf('q');
  const sj = trainOf.colIds.indexOf('s');
  const pred = [b.mean + b.row[ai] + b.col[qj], b.mean + b.row[ai], b.mean + b.row[bi], b.mean + b.col[sj]];
  const err = pred.map((x, t) => x - test.values[t]);
  assert.ok(Math.abs(s.rmse - Math.sqrt(err.reduce((a, e) => a + e * e, 0) / 4)) < 1e-12);
  assert.ok(Math.abs(s.mae - err.reduce((a, e) => a + Math.abs(e), 0) / 4) < 1e-12);
  assert.equal(s.unknownCells, 3, '(a, r), (b, r): item r unknown; (c, s): user c unknown');
  // Relevant (≥ 4): a → {q}, b → {r}, c → {s}. a's candidates: q, s (p seen) → q first: a hit at rank 1.
  // b rated p, q and s in training and r is unknown to the model: no candidate, an empty list, no hit. c is
  // unknown: ranked by the fallback over every item; s (rated 2 where q got 3 from the same user) is last of three,
  // so c's relevant s is not in its top 2: no hit.
  assert.equal(s.users, 3);
  assert.equal(s.unknownUsers, 1);
  assert.ok(Math.abs((s.precision ?? NaN) - (1 / 2 + 0 + 0) / 3) < 1e-12);
  assert.ok(Math.abs((s.recall ?? NaN) - (1 + 0 + 0) / 3) < 1e-12);
  assert.ok(Math.abs((s.ndcg ?? NaN) - 1 / 3) < 1e-12);
  assert.ok(Math.abs((s.map ?? NaN) - 1 / 3) < 1e-12);
});

test('fitBiasesOnly is the ridge biases refit on the training part, with the weight chosen on its validation split', () => {
  const model = fitBiasesOnly(data, { biasLambdas: [5] }, 0);
  const b = fitBiases(data.observations, 5);
  assert.equal(model.parts.L.cols, 0);
  assert.deepEqual(model.parts.biases.row, b.row);
  const [i, j] = [3, 4];
  const lo = Math.min(...data.observations.values);
  const hi = Math.max(...data.observations.values);
  const z = Math.min(hi, Math.max(lo, b.mean + b.row[i] + b.col[j]));
  assert.equal(model.predictAt(i, j), z);
});

test('meanStd: sample standard deviation, null when a fold has no value', () => {
  assert.deepEqual(meanStd([1, 2, 3]), { mean: 2, std: 1 });
  assert.deepEqual(meanStd([1, null]), { mean: null, std: null });
  assert.deepEqual(meanStd([4]), { mean: 4, std: null });
});

test('bad options are one ParamError naming the option and what is allowed, before any fit', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ folds: 1 }, /crossValidate: folds must be an integer in 2\.\.100, got 1/],
    [{ methods: ['auto', 'svd'] }, /methods must be a non-empty list of auto, ratio, soft-impute, nuclear, biases/],
    [{ methods: ['ratio', 'ratio'] }, /methods lists "ratio" twice/],
    [{ k: 0 }, /k must be an integer >= 1/],
    [{ threshold: Number.NaN }, /threshold must be a finite number/],
    [{ fold: 3 }, /unknown option "fold" \(did you mean folds\?\)/],
    [{ fitOptions: { method: 'ratio' } }, /fitOptions\.method is crossValidate's own \(give methods instead\)/],
    [{ fitOptions: { maxSteps: 0 } }, /complete: maxSteps must be an integer >= 1, got 0/],
  ];
  for (const [opts, message] of cases) {
    let fitted = false;
    assert.throws(
      () => crossValidate(data, { ...opts, onModel: () => (fitted = true) } as never),
      (err: Error) => err.name === 'ParamError' && message.test(err.message) && !err.message.includes('\n'),
      JSON.stringify(opts),
    );
    assert.equal(fitted, false);
  }
  assert.throws(
    () => crossValidate(labelObservations(['a', 'b'], ['x', 'y'], [1, 2]), { folds: 3 }),
    /2 observed entries cannot fill 3 folds/,
  );
});
