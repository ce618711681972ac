import { test } from 'node:test';
import assert from 'node:assert/strict';
import { train, type TrainOptions } from '../../src/solver/train.ts';
import { DEFAULT_RUN_SPEC, runSynthetic, type RunSpec } from '../../src/methods/run.ts';
import { syntheticProblem } from '../../src/data/synthetic.ts';
import { namedOptimizer } from '../../src/optim/index.ts';

// A small, fast version of the protocol (n = 30, rank 2) with the same pattern as the headline claims.
const small: RunSpec = { ...DEFAULT_RUN_SPEC, n: 30, rank: 2, samples: 270, maxIters: 3000 };

test('depth 1 + L*/F + Adam recovers a small low-rank matrix from few entries', () => {
  // Like the full protocol, the error sits on a plateau (≈ 0.2 at 10k steps here) and then drops sharply.
  const r = runSynthetic({ ...small, maxIters: 15000 });
  assert.ok(r.relError < 0.01, `relError ${r.relError}`);
  assert.ok(r.effectiveRank < 2.5, `effective rank ${r.effectiveRank}`);
});

test('the stall rule stops a run whose objective no longer improves', () => {
  const p = syntheticProblem(small);
  const opts: TrainOptions = {
    ...small,
    optimizer: namedOptimizer(small.optimizer, { lr: small.lr }),
    penalty: 'none',
    maxIters: 50000,
    stallWindow: 200,
    stallTol: 1e-3,
  };
  const r = train(p.observations, opts);
  assert.equal(r.stopReason, 'stall');
  assert.ok(r.iterations < 50000);
});

test('depth 3 with group-rmsprop and no penalty (deep matrix factorization) recovers too', () => {
  const r = runSynthetic({
    ...small,
    depth: 3,
    penalty: 'none',
    optimizer: 'group-rmsprop',
    maxIters: 16000,
    tol: 1e-6,
  });
  assert.ok(r.relError < 0.02, `relError ${r.relError}`);
});
