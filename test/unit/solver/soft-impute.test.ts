import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lambdaMax, lambdaPath, softImpute, softImputePath } from '../../../src/solver/soft-impute.ts';
import { shrinkInto } from '../../../src/solver/shrink.ts';
import { syntheticProblem } from '../../../src/data/synthetic.ts';
import { observeAt, type Observations } from '../../../src/data/observations.ts';
import { frobeniusNorm, gemm, maxAbsDiff, zeros, type Matrix } from '../../../src/linalg/matrix.ts';
import { svd } from '../../../src/linalg/svd.ts';
import { tsBackend, type Backend } from '../../../src/linalg/backend.ts';
import { loadNativeBackend } from '../../../src/linalg/native.ts';
import { relativeError } from '../../../src/metrics/index.ts';
import { randomMatrix } from '../../helpers/random.ts';

const all = (M: Matrix): Observations =>
  observeAt(
    M,
    Array.from({ length: M.rows * M.cols }, (_, i) => i),
  );

/** U diag(max(s − λ, 0)) V^T over the leading `cap` terms, built with gemm (independent of shrinkInto). */
function softThresholdedSvd(M: Matrix, lambda: number, cap = Infinity): Matrix {
  const { U, s, V } = svd(M);
  const k = s.length;
  const Us = zeros(U.rows, k);
  for (let i = 0; i < U.rows; i++) {
    for (let c = 0; c < k; c++) Us.data[i * k + c] = c < cap ? U.data[i * k + c] * Math.max(s[c] - lambda, 0) : 0;
  }
  return gemm(Us, V, { transB: true });
}

test('shrinkInto is U diag(max(s − τ, 0)) V^T, with and without a rank cap', () => {
  const A = randomMatrix(9, 6, 1);
  const f = svd(A);
  for (const [tau, cap] of [
    [0, Infinity],
    [0.8, Infinity],
    [0.8, 2],
    [1e9, Infinity],
  ]) {
    const out = zeros(9, 6);
    const k = shrinkInto(f, tau, out, { maxRank: cap });
    assert.equal(k, Math.min(cap, f.s.filter((v) => v > tau).length));
    assert.ok(maxAbsDiff(out, softThresholdedSvd(A, tau, cap)) < 1e-13);
  }
  const wide = randomMatrix(4, 7, 2);
  const out = zeros(4, 7);
  shrinkInto(svd(wide), 0.5, out);
  assert.ok(maxAbsDiff(out, softThresholdedSvd(wide, 0.5)) < 1e-13);
});

test('on a fully observed M the solution is the soft-thresholded SVD of M', () => {
  const M = randomMatrix(12, 10, 3);
  const lambda = 0.7 * svd(M).s[3];
  for (const cap of [Infinity, 2]) {
    const r = softImpute(all(M), lambda, { changeTol: 1e-12, maxIters: 10, maxRank: cap });
    assert.ok(maxAbsDiff(r.X, softThresholdedSvd(M, lambda, cap)) < 1e-12 * frobeniusNorm(M));
    assert.equal(r.stopReason, 'tolerance');
    assert.ok(r.iterations <= 2, `${r.iterations} iterations`); // one step lands on it, the next confirms it
  }
});

test('λ_max = ||P_Ω(M)||_2: the solution is 0 there (from any start) and nonzero just below', () => {
  const p = syntheticProblem({ n: 20, rank: 2, samples: 150, seed: 1 });
  const top = lambdaMax(p.observations);
  const dense = zeros(20, 20);
  for (let k = 0; k < p.observations.values.length; k++) {
    dense.data[p.observations.rows[k] * 20 + p.observations.cols[k]] = p.observations.values[k];
  }
  assert.ok(Math.abs(top - svd(dense).s[0]) < 1e-12 * top);
  const fromZero = softImpute(p.observations, top, { changeTol: 1e-9, maxIters: 100 });
  assert.equal(fromZero.rank, 0);
  assert.equal(frobeniusNorm(fromZero.X), 0);
  const fromTruth = softImpute(p.observations, top, { changeTol: 0, maxIters: 3000 }, p.truth);
  assert.ok(frobeniusNorm(fromTruth.X) < 1e-6 * frobeniusNorm(p.truth), `||Z||_F = ${frobeniusNorm(fromTruth.X)}`);
  const below = softImpute(p.observations, 0.95 * top, { changeTol: 1e-9, maxIters: 100 });
  assert.ok(below.rank >= 1 && frobeniusNorm(below.X) > 0);
});

test('the objective never increases along the iterations, with and without a rank cap', () => {
  const p = syntheticProblem({ n: 25, rank: 3, samples: 250, seed: 2 });
  const top = lambdaMax(p.observations);
  for (const maxRank of [undefined, 3]) {
    const objectives = new Map<number, number[]>();
    softImputePath(p.observations, lambdaPath(top, 6, 1e-3), {
      changeTol: 1e-6,
      maxIters: 300,
      maxRank,
      onProgress: (e) => {
        const list = objectives.get(e.lambda) ?? [];
        list.push(e.objective);
        objectives.set(e.lambda, list);
      },
    });
    assert.equal(objectives.size, 6);
    let steps = 0;
    for (const [lambda, list] of objectives) {
      for (let t = 1; t < list.length; t++) {
        assert.ok(list[t] <= list[t - 1] * (1 + 1e-12), `λ ${lambda}, iteration ${t + 1}: ${list[t]} > ${list[t - 1]}`);
        steps++;
      }
    }
    assert.ok(steps > 50);
  }
});

test('the path: decreasing λ, warm starts, rank grows, a small λ recovers an easy problem', () => {
  const p = syntheticProblem({ n: 20, rank: 2, samples: 250, seed: 1 });
  const lambdas = lambdaPath(lambdaMax(p.observations), 8, 1e-4);
  assert.equal(lambdas[0], lambdaMax(p.observations));
  assert.ok(Math.abs(lambdas[7] / lambdas[0] - 1e-4) < 1e-12);
  const errors: number[] = [];
  const { points } = softImputePath(p.observations, lambdas, { changeTol: 1e-7, maxIters: 2000 }, (_, Z) => {
    errors.push(relativeError(Z, p.truth));
  });
  assert.equal(points.length, 8);
  assert.equal(points[0].rank, 0);
  assert.ok(points[7].rank >= 2);
  assert.ok(Math.min(...errors) < 1e-3, `best relError ${Math.min(...errors)}`);
  assert.throws(() => softImputePath(p.observations, [1, 2], { changeTol: 1e-6, maxIters: 10 }), RangeError);
  assert.throws(() => lambdaPath(1, 0, 0.1), RangeError);
});

test('the SVDs run on the backend passed (same bits as the default ts backend), and on native agree to rounding', () => {
  const p = syntheticProblem({ n: 14, rank: 2, samples: 120, seed: 9 });
  let calls = 0;
  const spy: Backend = { ...tsBackend, svdInto: (A, ws, o) => (calls++, tsBackend.svdInto(A, ws, o)) };
  assert.equal(lambdaMax(p.observations, { backend: spy }), lambdaMax(p.observations));
  assert.equal(calls, 1);
  const lambda = 0.1 * lambdaMax(p.observations);
  const base = softImpute(p.observations, lambda, { changeTol: 1e-9, maxIters: 300 });
  const viaSpy = softImpute(p.observations, lambda, { changeTol: 1e-9, maxIters: 300, backend: spy });
  assert.equal(calls, 1 + viaSpy.iterations, 'one SVD per iteration');
  assert.deepEqual(viaSpy.X.data, base.X.data);
  const native = loadNativeBackend().backend;
  if (native) {
    const viaNative = softImpute(p.observations, lambda, { changeTol: 1e-9, maxIters: 300, backend: native });
    assert.ok(maxAbsDiff(viaNative.X, base.X) < 1e-7 * frobeniusNorm(base.X), 'native and ts solutions agree');
  }
});
