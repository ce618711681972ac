// complete() as an estimator: options declared and checked once (COMPLETE_PARAMS), fit by phases, and a tuner that
// takes any candidate method.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  complete,
  COMPLETE_DEFAULTS,
  COMPLETE_PARAMS,
  createCompleter,
  type CompletionModel,
} from '../../../src/complete/index.ts';
import { fitBiases, residualObservations } from '../../../src/complete/biases.ts';
import {
  gridCandidate,
  makeEvaluator,
  softImputeCandidate,
  tuneCandidates,
  type GridTrial,
  type Trial,
} from '../../../src/complete/tune.ts';
import { softImputeLambdas } from '../../../src/complete/grid.ts';
import { parseTriplets } from '../../../src/data/formats/triplets.ts';
import { makeObservations } from '../../../src/data/observations.ts';
import { splitObservations } from '../../../src/data/split.ts';
import { zeros } from '../../../src/linalg/matrix.ts';
import { ParamError } from '../../../src/params.ts';
import { ratingsProblem } from '../../helpers/ratings.ts';

const problem = ratingsProblem({ m: 30, n: 24, rank: 2, p: 0.5, noise: 0.3, seed: 7, offset: 3 });
const observed = parseTriplets(problem.observedCsv, { file: 'o.csv', columns: ['user', 'item', 'rating'] });

/** Every cell's prediction and the report without its timings. */
function outcome(model: CompletionModel): { values: number[]; report: unknown } {
  const [m, n] = observed.observations.shape;
  const values: number[] = [];
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) values.push(model.predictAt(i, j));
  const strip = (x: unknown): unknown =>
    JSON.parse(JSON.stringify(x, (k, v: unknown) => (k === 'seconds' ? undefined : v)));
  return { values, report: strip(model.report) };
}

test('the estimator and the one-call form give the same predictions, bit for bit, and a completer fits again the same', () => {
  for (const options of [
    { method: 'auto', seed: 3, maxSteps: 300 },
    { method: 'soft-impute', seed: 1, center: false },
  ] as const) {
    const one = outcome(complete(observed, options));
    const completer = createCompleter(options);
    const first = outcome(completer.fit(observed));
    const again = outcome(completer.fit(observed));
    assert.ok(
      one.values.every((v, k) => Object.is(v, first.values[k]) && Object.is(v, again.values[k])),
      `${options.method}: identical predictions`,
    );
    assert.deepEqual(first.report, one.report);
    assert.deepEqual(again.report, one.report);
  }
});

test('options are checked when the completer is made, before any data: one ParamError naming the option', () => {
  const refusal = (options: Record<string, unknown>): ParamError => {
    try {
      createCompleter(options);
    } catch (err) {
      assert.ok(err instanceof ParamError, String(err));
      return err;
    }
    assert.fail(`${JSON.stringify(options)} was accepted`);
  };
  assert.equal(refusal({ method: 'ratio', lr: -1 }).message, 'complete: lr must be a finite number > 0, got -1');
  assert.equal(refusal({ maxSteps: 0 }).message, 'complete: maxSteps must be an integer >= 1, got 0');
  assert.equal(refusal({ patience: -3 }).message, 'complete: patience must be an integer >= 1, got -3');
  assert.equal(refusal({ maxStep: 10 }).message, 'complete: unknown option "maxStep" (did you mean maxSteps?)');
  assert.equal(refusal({ ranks: [0] }).param, 'ranks');
  assert.equal(
    refusal({ biasLambdas: [] }).message,
    'complete: biasLambdas must be a non-empty list of numbers >= 0, got []',
  );
  assert.equal(refusal({ seed: -1 }).param, 'seed');
  assert.equal(refusal({ center: 'yes' }).param, 'center');
  assert.equal(refusal({ onProgress: 'stderr' }).param, 'onProgress');
  assert.equal(refusal({ method: 'auto', lambdas: [1] }).param, 'lambdas');
  // complete() checks its options before it looks at the data (here: no observed entries at all).
  const empty = makeObservations([2, 2], [], [], []);
  assert.throws(() => complete(empty, { maxStep: 1 } as Record<string, unknown>), /did you mean maxSteps/);
  assert.throws(() => complete(empty, {}), /complete: no observed entries/);
});

test('every default of COMPLETE_DEFAULTS is a declared parameter with that default (one source)', () => {
  for (const [key, value] of Object.entries(COMPLETE_DEFAULTS)) {
    const p = (COMPLETE_PARAMS as Record<string, { default?: unknown }>)[key];
    assert.ok(p, `${key} is declared`);
    assert.deepEqual(p.default, value, key);
  }
  assert.deepEqual(createCompleter().settings, { ...COMPLETE_DEFAULTS });
});

test('the tuner takes any candidate method: a constant next to soft-impute, each scored on validation in its own group', () => {
  const obs = observed.observations;
  const { train: fit, heldOut: val } = splitObservations(obs, 0.1, 0, 'validation');
  const b = fitBiases(fit, 2);
  const resid = residualObservations(fit, b);
  const evaluate = makeEvaluator(fit, val, b, null);
  const [m, n] = obs.shape;
  // The constant c added to the baseline everywhere: L = c·1 (m×1), R = 1 (n×1); c = 0 is the baseline alone.
  const constant = gridCandidate('constant', [-0.5, 0, 0.5], (_resid, c) => {
    const L = zeros(m, 1);
    const R = zeros(n, 1);
    L.data.fill(c);
    R.data.fill(1);
    return { L, R };
  });
  const path = softImputeLambdas([8, 4], 0);
  const events: number[] = [];
  const r = tuneCandidates<Trial | GridTrial<number>>(
    resid,
    [constant, softImputeCandidate([3], path, Infinity, { seed: 0, stopEarly: false })],
    {
      evaluate,
      progress: (e) => events.push(e.total),
    },
  );
  assert.deepEqual(
    r.tried.slice(0, 3).map((t) => (t as GridTrial<number>).setting),
    [-0.5, 0, 0.5],
  );
  assert.equal(r.tried.length, 3 + path.length);
  assert.ok(
    events.length > 0 && events.every((t) => t === 3 + path.length),
    'the planned total is the candidates’ sum',
  );
  assert.equal(r.tried[1].validationRMSE, evaluate(null, null), 'c = 0 scores as the baseline alone');
  assert.deepEqual([...r.bestByGroup.keys()], ['constant', 'soft-impute']);
  const constantBest = r.bestByGroup.get('constant');
  assert.equal(constantBest?.validationRMSE, Math.min(...r.tried.slice(0, 3).map((t) => t.validationRMSE)));
  assert.equal(
    constantBest?.trial,
    r.tried.find((t) => t.validationRMSE === constantBest?.validationRMSE),
  );
  assert.equal(r.bestFit.validationRMSE, Math.min(...r.tried.map((t) => t.validationRMSE)));
  assert.equal(
    r.results[1].warm?.trial,
    r.bestByGroup.get('soft-impute')?.trial,
    'soft-impute hands its best ALS state on',
  );
});
