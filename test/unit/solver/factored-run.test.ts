import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gemm, zeros, type Matrix } from '../../../src/linalg/matrix.ts';
import { sampleWithoutReplacement, syntheticFactors, syntheticProblem } from '../../../src/data/synthetic.ts';
import { makeObservations, type Observations } from '../../../src/data/observations.ts';
import { factoredErrors, relativeError, relativeErrorUnobserved, trainMSE } from '../../../src/metrics/index.ts';
import { createFactoredWorkspace } from '../../../src/penalty/factored.ts';
import { factoredObjective } from '../../../src/solver/factored-train.ts';
import { runSynthetic, type FactoredRunSpec } from '../../../src/methods/run.ts';
import { createRng } from '../../../src/random/index.ts';
import { randomMatrix } from '../../helpers/random.ts';
import { numericGradient } from '../../helpers/gradient.ts';

const product = (A: Matrix, B: Matrix): Matrix => gemm(A, B, { transB: true });

/** The textbook partial Fisher–Yates over a dense pool (the reference for the sparse branch). */
function denseFisherYates(total: number, count: number, seed: number): Int32Array {
  const rng = createRng(seed);
  const pool = Array.from({ length: total }, (_, i) => i);
  for (let k = 0; k < count; k++) {
    const j = k + rng.int(total - k);
    [pool[k], pool[j]] = [pool[j], pool[k]];
  }
  return Int32Array.from(pool.slice(0, count)).sort();
}

test('sampleWithoutReplacement: the sparse (count <= total/8) and dense branches draw the textbook Fisher–Yates sample', () => {
  for (const [total, count] of [
    [1000, 10],
    [1000, 125],
    [1000, 126],
    [1000, 1000],
    [7, 7],
  ]) {
    const got = sampleWithoutReplacement(total, count, createRng(5));
    assert.deepEqual(Array.from(got), Array.from(denseFisherYates(total, count, 5)), `${count} of ${total}`);
    assert.equal(new Set(got).size, count);
  }
});

test('syntheticFactors is syntheticProblem in factor form: same mask, same values, U·V^T = the dense truth', () => {
  const spec = { n: 40, rank: 3, samples: 150, seed: 4 };
  const dense = syntheticProblem(spec);
  const fac = syntheticFactors(spec);
  assert.deepEqual(fac.observations.rows, dense.observations.rows);
  assert.deepEqual(fac.observations.cols, dense.observations.cols);
  const T = product(fac.U, fac.V);
  for (let i = 0; i < T.data.length; i++) assert.ok(Math.abs(T.data[i] - dense.truth.data[i]) < 1e-12);
  for (let t = 0; t < spec.samples; t++) {
    assert.ok(Math.abs(fac.observations.values[t] - dense.observations.values[t]) < 1e-12);
  }
});

function observationsOf(M: Matrix, count: number, seed: number): Observations {
  const idx = sampleWithoutReplacement(M.rows * M.cols, count, createRng(seed));
  const rows = Array.from(idx, (t) => Math.floor(t / M.cols));
  const cols = Array.from(idx, (t) => t % M.cols);
  return makeObservations(
    [M.rows, M.cols],
    rows,
    cols,
    Array.from(idx, (t) => M.data[t]),
  );
}

test('factoredErrors (Gram matrices, no m×n matrix) equals the dense relative errors and train MSE to 1e-10', () => {
  const [m, n, k, r] = [23, 17, 4, 3];
  const U = randomMatrix(m, r, 1);
  const V = randomMatrix(n, r, 2);
  const truth = product(U, V);
  const obs = observationsOf(truth, 120, 3);
  for (const noise of [1, 1e-3]) {
    // A·B^T = truth + noise·(random rank-k part).
    const A = zeros(m, k);
    const B = zeros(n, k);
    const N1 = randomMatrix(m, k - r, 4);
    const N2 = randomMatrix(n, k - r, 5);
    for (let i = 0; i < m; i++) {
      for (let c = 0; c < k; c++) A.data[i * k + c] = c < r ? U.data[i * r + c] : noise * N1.data[i * (k - r) + c - r];
    }
    for (let j = 0; j < n; j++) {
      for (let c = 0; c < k; c++)
        B.data[j * k + c] = c < r ? V.data[j * r + c] * (1 + noise / 3) : N2.data[j * (k - r) + c - r];
    }
    const W = product(A, B);
    const got = factoredErrors(A, B, U, V, obs);
    const want = {
      relError: relativeError(W, truth),
      relErrorUnobserved: relativeErrorUnobserved(W, truth, obs),
      trainMSE: trainMSE(W, obs),
    };
    assert.ok(want.relError > noise / 10, `the case is not trivial: ${want.relError}`);
    for (const key of ['relError', 'relErrorUnobserved', 'trainMSE'] as const) {
      assert.ok(
        Math.abs((got[key] ?? NaN) - (want[key] ?? NaN)) < 1e-10,
        `noise ${noise} ${key}: ${got[key]} vs ${want[key]}`,
      );
    }
  }
});

test('the factored training objective (data term + λ·L∗/F) has the gradient finite differences give', () => {
  const [m, n, k] = [9, 7, 3];
  const A = randomMatrix(m, k, 11);
  const B = randomMatrix(n, k, 12);
  const obs = observationsOf(randomMatrix(m, n, 13), 30, 14);
  const weights = { ratio: 0.3, nuclear: 0.05 };
  const ws = createFactoredWorkspace(m, n, k);
  const gA = zeros(m, k);
  const gB = zeros(n, k);
  gA.data.fill(7); // must be overwritten, not accumulated into
  factoredObjective(A, B, obs, weights, ws, gA, gB);
  const sA = zeros(m, k);
  const sB = zeros(n, k);
  const f = (): number => factoredObjective(A, B, obs, weights, ws, sA, sB).objective;
  for (const [X, G] of [
    [A, gA],
    [B, gB],
  ] as const) {
    const fd = numericGradient(X, f);
    let num = 0;
    let den = 0;
    for (let i = 0; i < X.data.length; i++) {
      num += (G.data[i] - fd.data[i]) ** 2;
      den += fd.data[i] ** 2;
    }
    assert.ok(Math.sqrt(num / den) < 1e-7, `relative gradient error ${Math.sqrt(num / den)}`);
  }
});

// Measured: relError 9.9e-4 at seed 0 (seeds 1, 2: 4.8e-3); the bound leaves a 10× margin at seed 0.
const small: FactoredRunSpec = {
  n: 30,
  rank: 2,
  samples: 300,
  seed: 0,
  model: 'factored',
  k: 5,
  penalty: 'ratio',
  lambda: 1e-3,
  optimizer: 'adam',
  lr: 1e-2,
  initScale: 1e-3,
  maxIters: 3000,
  tol: 0,
};

test('run --model factored (n=30, rank 2, adam + L∗/F) recovers the matrix', () => {
  const r = runSynthetic(small);
  assert.equal(r.iterations, 3000);
  assert.equal(r.stopReason, 'max-iters');
  assert.ok(r.relError < 1e-2, `relError ${r.relError}`);
  assert.ok(
    r.relErrorUnobserved !== null && r.relErrorUnobserved < 1.5e-2,
    `relErrorUnobserved ${r.relErrorUnobserved}`,
  );
  assert.ok(Math.abs(r.effectiveRank - 2) < 0.2, `effective rank ${r.effectiveRank}`);
  assert.equal(r.settings.model, 'factored');
});

test('run --model factored: same seed, same numbers; another seed, other numbers', () => {
  const spec = { ...small, maxIters: 200 };
  const { seconds: _a, ...a } = runSynthetic(spec);
  const { seconds: _b, ...b } = runSynthetic(spec);
  assert.deepEqual(a, b);
  assert.notEqual(runSynthetic({ ...spec, seed: 1 }).relError, a.relError);
});

test('run --model factored stops on the train-MSE tolerance before updating', () => {
  const r = runSynthetic({ ...small, tol: 1e-2 });
  assert.equal(r.stopReason, 'tolerance');
  assert.ok(r.iterations < small.maxIters);
  assert.ok(r.trainMSE <= 1e-2);
});
