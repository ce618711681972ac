import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gemm } from '../../src/linalg/matrix.ts';
import { syntheticProblem } from '../../src/data/synthetic.ts';
import { factoredErrors, factoredRelativeError, relativeError } from '../../src/metrics/index.ts';
import { runSynthetic, DEFAULT_RUN_SPEC, type RunSpec } from '../../src/methods/run.ts';
import { expandSweep, parseSweepSpec } from '../../src/sweep/spec.ts';
import { randomMatrix } from '../helpers/random.ts';
import { runCli } from '../helpers/cli.ts';

const deep: RunSpec = { ...DEFAULT_RUN_SPEC, n: 20, rank: 2, samples: 250, seed: 1, lr: 1e-2, maxIters: 3000 };
const factored: RunSpec = { ...deep, model: 'factored', k: 6 };

for (const [label, spec] of [
  ['deep', deep],
  ['factored', factored],
] as const) {
  test(`targetError (${label}): stops at the first step whose W is within the target, and only changes when it stops`, () => {
    const target = 0.3;
    const stopped = runSynthetic({ ...spec, targetError: target });
    assert.equal(stopped.stopReason, 'target-error');
    assert.ok(
      stopped.iterations > 1 && stopped.iterations < spec.maxIters,
      `stopped after ${stopped.iterations} updates`,
    );
    assert.ok(stopped.relError <= target, `relError ${stopped.relError}`);
    assert.equal(stopped.settings.targetError, target);
    assert.equal(stopped.settings.backend, 'ts', 'the default backend is named in the settings');
    // The same run capped at that many updates ends on the same W; one update fewer is still above the target.
    const same = runSynthetic({ ...spec, maxIters: stopped.iterations });
    assert.equal(same.relError, stopped.relError);
    assert.equal(same.stopReason, 'max-iters');
    const before = runSynthetic({ ...spec, maxIters: stopped.iterations - 1 });
    assert.ok(before.relError > target, `one update earlier: relError ${before.relError}`);
  });
}

test('targetError must be a finite number > 0', () => {
  for (const bad of [0, -0.1, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => runSynthetic({ ...deep, targetError: bad }), /targetError must be a finite number > 0/);
    assert.throws(() => runSynthetic({ ...factored, targetError: bad }), /targetError must be a finite number > 0/);
  }
});

test('factoredRelativeError equals relativeError of the formed product and factoredErrors().relError', () => {
  const [m, n, k, r] = [13, 9, 4, 3];
  const A = randomMatrix(m, k, 1);
  const B = randomMatrix(n, k, 2);
  const U = randomMatrix(m, r, 3);
  const V = randomMatrix(n, r, 4);
  const W = gemm(A, B, { transB: true });
  const T = gemm(U, V, { transB: true });
  const got = factoredRelativeError(A, B, U, V);
  assert.ok(Math.abs(got - relativeError(W, T)) < 1e-12 * relativeError(W, T), `${got} vs ${relativeError(W, T)}`);
  const { observations } = syntheticProblem({ n: 9, rank: 2, samples: 20, seed: 0 });
  const square = [randomMatrix(9, k, 5), randomMatrix(9, k, 6), randomMatrix(9, r, 7), randomMatrix(9, r, 8)] as const;
  assert.equal(factoredRelativeError(...square), factoredErrors(...square, observations).relError);
  assert.throws(() => factoredRelativeError(A, B, V, U), /factoredRelativeError: .* do not fit/);
});

test('sweep specs take targetError for gradient methods (> 0), and only there', () => {
  const base = { n: 10, rank: 1, samples: [30], seeds: [0] };
  const spec = parseSweepSpec(
    JSON.stringify({ ...base, methods: [{ name: 'a', method: 'gradient', targetError: 0.01 }] }),
    's.json',
  );
  const settings = expandSweep(spec)[0].settings as RunSpec;
  assert.equal(settings.targetError, 0.01);
  assert.throws(
    () =>
      parseSweepSpec(
        JSON.stringify({ ...base, methods: [{ name: 'a', method: 'gradient', targetError: 0 }] }),
        's.json',
      ),
    /^SpecError: s\.json: methods\[0\]\.targetError: expected a finite number > 0, got 0$/,
  );
  assert.throws(
    () =>
      parseSweepSpec(
        JSON.stringify({ ...base, methods: [{ name: 'a', method: 'nuclear-min', targetError: 0.1 }] }),
        's.json',
      ),
    /methods\[0\]\.targetError: unknown field for method nuclear-min/,
  );
});

test('run --stop-at-error: JSON says target-error and records the target; bad values and other methods are usage errors', () => {
  const fast = [
    '--n',
    '20',
    '--rank',
    '2',
    '--samples',
    '250',
    '--seed',
    '1',
    '--lr',
    '1e-2',
    '--max-iters',
    '3000',
    '--quiet',
  ];
  const r = runCli(['run', ...fast, '--stop-at-error', '0.3', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.stopReason, 'target-error');
  assert.equal(out.settings.targetError, 0.3);
  assert.ok(out.relError <= 0.3 && out.iterations < 3000);
  const human = runCli(['run', ...fast, '--stop-at-error', '0.3']);
  assert.match(human.stdout, /stop-at-error=0\.3/);
  assert.match(human.stdout, /\(target-error\)/);
  for (const args of [
    [...fast, '--stop-at-error', '0'],
    [...fast, '--stop-at-error', 'soon'],
    ['--n', '20', '--stop-at-error', '0.1', '--method', 'nuclear-min'],
  ]) {
    const bad = runCli(['run', ...args]);
    assert.equal(bad.code, 2, args.join(' '));
    assert.match(bad.stderr, /stop-at-error/);
    assert.equal(bad.stdout, '');
  }
});
