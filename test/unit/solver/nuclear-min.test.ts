import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nuclearMin } from '../../../src/solver/nuclear-min.ts';
import { syntheticProblem } from '../../../src/data/synthetic.ts';
import { observeAt, type Observations } from '../../../src/data/observations.ts';
import { frobeniusNorm, maxAbsDiff, type Matrix } from '../../../src/linalg/matrix.ts';
import { tsBackend, type Backend } from '../../../src/linalg/backend.ts';
import { loadNativeBackend } from '../../../src/linalg/native.ts';
import { relativeError } from '../../../src/metrics/index.ts';
import { randomMatrix } from '../../helpers/random.ts';

const all = (M: Matrix): Observations =>
  observeAt(
    M,
    Array.from({ length: M.rows * M.cols }, (_, i) => i),
  );

test('a fully observed M returns M (low-rank and full-rank)', () => {
  const low = syntheticProblem({ n: 15, rank: 2, samples: 1, seed: 4 }).truth;
  const full = randomMatrix(12, 9, 5);
  for (const M of [low, full]) {
    const r = nuclearMin(all(M), { relTol: 1e-9, maxIters: 2000 });
    assert.equal(r.stopReason, 'tolerance');
    assert.ok(relativeError(r.X, M) < 1e-7, `relError ${relativeError(r.X, M)}`);
    assert.ok(r.constraintResidual < 1e-7);
  }
});

test('stops at the iteration cap or on an aborted signal, and says so', () => {
  const p = syntheticProblem({ n: 20, rank: 2, samples: 150, seed: 3 });
  const capped = nuclearMin(p.observations, { relTol: 1e-12, maxIters: 5 });
  assert.equal(capped.stopReason, 'max-iters');
  assert.equal(capped.iterations, 5);
  const controller = new AbortController();
  const r = nuclearMin(p.observations, {
    relTol: 1e-12,
    maxIters: 1000,
    progressEvery: 1,
    signal: controller.signal,
    onProgress: (e) => {
      if (e.step === 7) controller.abort();
    },
  });
  assert.equal(r.stopReason, 'interrupted');
  assert.equal(r.iterations, 7);
  assert.throws(() => nuclearMin(p.observations, { relTol: 0, maxIters: 5 }), RangeError);
  assert.throws(() => nuclearMin(p.observations, { relTol: 1e-6, maxIters: 5, boxHalfWidth: -1 }), RangeError);
});

test('the SVDs run on the backend passed (same bits as the default ts backend), and on native agree to rounding', () => {
  const p = syntheticProblem({ n: 14, rank: 2, samples: 120, seed: 8 });
  let calls = 0;
  const spy: Backend = { ...tsBackend, svdInto: (A, ws, o) => (calls++, tsBackend.svdInto(A, ws, o)) };
  const base = nuclearMin(p.observations, { relTol: 1e-8, maxIters: 400 });
  const viaSpy = nuclearMin(p.observations, { relTol: 1e-8, maxIters: 400, backend: spy });
  assert.equal(calls, viaSpy.iterations + 2, 'one SVD per iteration, plus the initial ρ and the dual bound');
  assert.deepEqual(viaSpy.X.data, base.X.data);
  const native = loadNativeBackend().backend;
  if (native) {
    const viaNative = nuclearMin(p.observations, { relTol: 1e-8, maxIters: 400, backend: native });
    assert.ok(maxAbsDiff(viaNative.X, base.X) < 1e-8 * frobeniusNorm(base.X), 'native and ts solutions agree');
  }
});
