import { test } from 'node:test';
import assert from 'node:assert/strict';
import { train } from '../../../src/solver/train.ts';
import { DIVERGENCE_GROWTH, DivergenceError, evaluationStop } from '../../../src/solver/loop.ts';
import { trainFactored } from '../../../src/solver/factored-train.ts';
import { syntheticProblem } from '../../../src/data/synthetic.ts';
import { makeObservations } from '../../../src/data/observations.ts';
import { fromRows } from '../../../src/linalg/matrix.ts';
import { factoredErrors, relativeErrorUnobserved } from '../../../src/metrics/index.ts';
import { chain, namedOptimizer, scale } from '../../../src/optim/index.ts';
import { runMain } from '../../helpers/main.ts';
import { makeTarget, summarize } from '../../../web/snapshot.ts';
import { svd } from '../../../src/linalg/svd.ts';

const problem = syntheticProblem({ n: 10, rank: 1, samples: 50, seed: 0 });
const base = { depth: 1, penalty: 'ratio' as const, lambda: 1e-3, initScale: 1e-3, seed: 0, maxIters: 200 };

test('the growth rule: an objective above DIVERGENCE_GROWTH × its step-1 value is divergence, at the bound it is not', () => {
  const opts = { optimizer: chain(scale(-1)), mseTol: 0 };
  assert.equal(evaluationStop(5, 1, DIVERGENCE_GROWTH * 2, false, opts, null, 2), null);
  assert.throws(
    () => evaluationStop(5, 1, DIVERGENCE_GROWTH * 2 * (1 + 1e-9), true, opts, null, 2),
    (e: unknown) =>
      e instanceof DivergenceError &&
      e.step === 5 &&
      !e.atStart &&
      /objective .* grew from 2\.00e\+0 at step 1 .* at step 5 \(optimizer chain\(scale\(-1\)\)\); try a lower learning rate/.test(
        e.message,
      ),
  );
  assert.equal(evaluationStop(5, 1, 1e300, false, opts, null, 0), null, 'no reference when the step-1 objective is 0');
  assert.throws(
    () => evaluationStop(1, NaN, NaN, false, opts, null),
    (e: unknown) => e instanceof DivergenceError && e.atStart && /smaller initialization/.test(e.message),
  );
});

test('Adam with lr 1e9 stops as divergence within a few steps (deep and factored), instead of finishing at max-iters', () => {
  for (const run of [
    () => train(problem.observations, { ...base, optimizer: namedOptimizer('adam', { lr: 1e9 }) }),
    () => trainFactored(problem.observations, { ...base, rank: 3, optimizer: namedOptimizer('adam', { lr: 1e9 }) }),
  ]) {
    assert.throws(
      run,
      (e: unknown) =>
        e instanceof DivergenceError &&
        e.step <= 5 &&
        /grew from .* \(optimizer adam\(lr 1000000000\)\)/.test(e.message),
    );
  }
});

test('the rule does not fire on ordinary training: the default learning rate ends at max-iters with a lower objective', () => {
  const r = train(problem.observations, { ...base, optimizer: namedOptimizer('adam', { lr: 1e-2 }), maxIters: 500 });
  assert.equal(r.stopReason, 'max-iters');
  const f = trainFactored(problem.observations, {
    ...base,
    rank: 3,
    optimizer: namedOptimizer('adam', { lr: 1e-2 }),
    maxIters: 500,
  });
  assert.equal(f.stopReason, 'max-iters');
});

test('mcomplete run: --lr 1e9 exits 1 naming what diverged, the optimizer, the step and a lower --lr; --init-scale 1e300 points at the init scale', async () => {
  const small = ['run', '--n', '4', '--rank', '1', '--samples', '10', '--max-iters', '30', '--quiet'];
  const lr = await runMain([...small, '--lr', '1e9']);
  assert.equal(lr.code, 1);
  assert.match(
    lr.stderr,
    /^mcomplete: training diverged: the objective \(data term \+ penalty\) grew from .* at step \d+ \(optimizer adam\(lr 1000000000\)\); try a lower learning rate \(--lr 100000000\)\n$/,
  );
  const init = await runMain([...small, '--init-scale', '1e300']);
  assert.equal(init.code, 1);
  assert.match(
    init.stderr,
    /at step 1 .*smaller initialization scale \(--init-scale 1e\+300 was given; the default is 0\.001\)\n$/,
  );
  assert.doesNotMatch(init.stderr, /learning rate/);
});

test('relErrorUnobserved is null, not 0, when every entry is observed (metrics, factored metrics, the web page, run --json and text)', async () => {
  const T = fromRows([
    [1, 2],
    [3, 4],
  ]);
  const all = makeObservations([2, 2], [0, 0, 1, 1], [0, 1, 0, 1], [1, 2, 3, 4]);
  assert.equal(
    relativeErrorUnobserved(
      fromRows([
        [0, 0],
        [0, 0],
      ]),
      T,
      all,
    ),
    null,
  );
  const A = fromRows([[1], [2]]);
  assert.equal(factoredErrors(A, A, A, A, all).relErrorUnobserved, null);
  const json = await runMain([
    'run',
    '--n',
    '3',
    '--rank',
    '1',
    '--samples',
    '9',
    '--max-iters',
    '5',
    '--json',
    '--quiet',
  ]);
  assert.equal(json.code, 0, json.stderr);
  assert.equal(JSON.parse(json.stdout).relErrorUnobserved, null);
  const text = await runMain(['run', '--n', '3', '--rank', '1', '--samples', '9', '--max-iters', '5', '--quiet']);
  assert.match(text.stdout, /relErrorUnobserved {2}n\/a \(every entry is observed\)/);
  // The live page's own summary agrees: no unobserved entry, no number.
  const full = syntheticProblem({ n: 3, rank: 1, samples: 9, seed: 0 });
  assert.equal(summarize(full.truth, makeTarget(full), svd(full.truth).s).relUnobserved, null);
  for (const method of ['nuclear-min', 'soft-impute']) {
    const r = await runMain([
      'run',
      '--method',
      method,
      '--n',
      '3',
      '--rank',
      '1',
      '--samples',
      '9',
      '--max-iters',
      '5',
      '--json',
      '--quiet',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).relErrorUnobserved, null, method);
  }
});
