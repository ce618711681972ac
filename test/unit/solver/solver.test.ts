import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTrain, train } from '../../../src/solver/train.ts';
import { DivergenceError } from '../../../src/solver/loop.ts';
import { DEFAULT_RUN_SPEC, runSynthetic, type RunSpec } from '../../../src/methods/run.ts';
import { syntheticProblem } from '../../../src/data/synthetic.ts';
import { namedOptimizer } from '../../../src/optim/index.ts';

// A small, fast version of the protocol (n = 30, rank 2) with the same pattern as the headline claims.
const small: RunSpec = { ...DEFAULT_RUN_SPEC, n: 30, rank: 2, samples: 270, maxIters: 3000 };

test('without a penalty a depth-1 W never moves off Ω: relError ≈ sqrt(1 − m/n²)', () => {
  const r = runSynthetic({ ...small, penalty: 'none', maxIters: 3000 });
  const expected = Math.sqrt(1 - small.samples / small.n ** 2);
  assert.ok(Math.abs(r.relError - expected) < 0.01, `relError ${r.relError}, expected ≈ ${expected}`);
  assert.ok(r.relErrorUnobserved !== null && r.relErrorUnobserved > 0.99);
});

test('same seed, same numbers', () => {
  const a = runSynthetic({ ...small, maxIters: 300 });
  const b = runSynthetic({ ...small, maxIters: 300 });
  assert.equal(a.relError, b.relError);
  assert.equal(a.trainMSE, b.trainMSE);
  const c = runSynthetic({ ...small, maxIters: 300, seed: 1 });
  assert.notEqual(a.relError, c.relError);
});

test('the train-MSE tolerance stops the run and says so', () => {
  const r = runSynthetic({ ...small, penalty: 'none', tol: 1e-4, maxIters: 20000 });
  assert.equal(r.stopReason, 'tolerance');
  assert.ok(r.trainMSE <= 1.01e-4 && r.iterations < 20000);
});

test('NaN/Inf stops the run with a message naming the optimizer and learning rate', () => {
  const p = syntheticProblem(small);
  assert.throws(
    () =>
      train(p.observations, {
        ...small,
        optimizer: namedOptimizer('sgd', { lr: 1e6 }),
        penalty: 'none',
        maxIters: 5000,
      }),
    (err: unknown) =>
      err instanceof DivergenceError &&
      /sgd/.test(err.message) &&
      /lr 1000000/.test(err.message) &&
      /lower learning rate/.test(err.message),
  );
});

test('an aborted signal interrupts training cleanly; progress events arrive in order', () => {
  const p = syntheticProblem(small);
  const controller = new AbortController();
  const steps: number[] = [];
  const trainer = startTrain(p.observations, {
    ...small,
    optimizer: namedOptimizer(small.optimizer, { lr: small.lr }),
    maxIters: 10000,
    progressEvery: 10,
    signal: controller.signal,
    onProgress: (e) => {
      steps.push(e.step);
      if (e.step === 50) controller.abort();
    },
  });
  assert.equal(trainer.advance(10000), true);
  const r = trainer.result();
  assert.equal(r.stopReason, 'interrupted');
  assert.equal(r.iterations, 50);
  assert.deepEqual(steps, [10, 20, 30, 40, 50, 50]);
});
