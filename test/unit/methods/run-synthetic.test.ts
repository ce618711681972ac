// runSynthetic: one entry point for every method (the registry), the defaults it fills in, and its stepped form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_RUN_SPEC,
  METHOD_NAMES,
  METHODS,
  resolveSettings,
  runSynthetic,
  startSynthetic,
  type RunSpec,
} from '../../../src/methods/run.ts';
import { DEFAULT_NUCLEAR_MIN, runNuclearMin } from '../../../src/methods/nuclear-min.ts';
import { DEFAULT_SOFT_IMPUTE, runSoftImpute } from '../../../src/methods/soft-impute.ts';
import { methodSettings } from '../../../src/sweep/spec.ts';
import { RUN_DEFAULTS, UNPENALIZED_MAX_ITERS } from '../../../src/defaults.ts';
import { relativeError } from '../../../src/metrics/index.ts';
import { syntheticProblem } from '../../../src/data/synthetic.ts';

const problem = { n: 12, rank: 1, samples: 70, seed: 3 };

/** A result without its wall-clock time (the only field that differs between two equal runs). */
function timeless<T extends { seconds: number }>(r: T): Omit<T, 'seconds'> {
  const { seconds: _s, ...rest } = r;
  return rest;
}

test('the registry lists every method, and runSynthetic dispatches to each one', () => {
  assert.deepEqual([...METHOD_NAMES].sort(), Object.keys(METHODS).sort());
  assert.ok(
    METHOD_NAMES.includes('gradient') && METHOD_NAMES.includes('nuclear-min') && METHOD_NAMES.includes('soft-impute'),
  );
  const nm = { ...problem, ...DEFAULT_NUCLEAR_MIN, maxIters: 300 };
  // The registry adds `identifiable` (the mask's row and column counts) to every method's own result.
  const { identifiable, ...nmResult } = runSynthetic(nm);
  assert.equal(typeof identifiable, 'boolean');
  assert.deepEqual(timeless(nmResult), timeless(runNuclearMin(nm)));
  const si = { ...problem, ...DEFAULT_SOFT_IMPUTE, pathLength: 4 };
  const { identifiable: _siIdentifiable, ...viaRegistry } = runSynthetic(si);
  assert.deepEqual(timeless(viaRegistry), timeless(runSoftImpute(si)));
  assert.equal(viaRegistry.path.length, 4, 'the method-specific fields come through');
});

test('an unknown method is refused with the list of methods', () => {
  assert.throws(
    () => runSynthetic({ ...problem, method: 'newton' } as never),
    (e: unknown) =>
      e instanceof RangeError &&
      /method must be one of/.test(e.message) &&
      /newton/.test(e.message) &&
      METHOD_NAMES.every((m) => e.message.includes(m)),
  );
});

test('omitted settings come from the defaults table, with the caps and tolerance of the penalty given', () => {
  const r = resolveSettings({ method: 'gradient', seed: 1 });
  assert.deepEqual(r, { ...DEFAULT_RUN_SPEC, method: 'gradient', seed: 1 });
  const none = resolveSettings({ penalty: 'none' });
  assert.equal(none.maxIters, UNPENALIZED_MAX_ITERS);
  assert.equal(none.tol, 1e-6);
  assert.equal(resolveSettings({ penalty: 'ratio' }).maxIters, RUN_DEFAULTS.maxIters);
  const fac = resolveSettings({ model: 'factored', n: 12 });
  assert.equal(fac.k, 12, 'k is capped at n');
  assert.equal('depth' in fac, false);
  assert.deepEqual(resolveSettings({ method: 'nuclear-min' }), {
    ...DEFAULT_NUCLEAR_MIN,
    n: 100,
    rank: 5,
    samples: 2000,
    seed: 0,
  });
  // Given fields keep their values and their order; explicit undefined takes the default.
  const given: RunSpec = { ...DEFAULT_RUN_SPEC, ...problem, lr: 0.5, maxIters: undefined as unknown as number };
  const resolved = resolveSettings(given);
  assert.deepEqual(Object.keys(resolved), Object.keys(given));
  assert.equal(resolved.lr, 0.5);
  assert.equal(resolved.maxIters, RUN_DEFAULTS.maxIters);
});

test('a sweep and `run` agree on the gradient defaults: 40,000 steps and tol 1e-6 without a penalty', () => {
  const s = methodSettings({ name: 'x', method: 'gradient', penalty: 'none' }, problem);
  assert.equal(s.maxIters, resolveSettings({ penalty: 'none' }).maxIters);
  assert.equal(s.maxIters, UNPENALIZED_MAX_ITERS);
  const withPenalty = methodSettings({ name: 'x', method: 'gradient' }, problem);
  assert.equal(withPenalty.maxIters, RUN_DEFAULTS.maxIters);
});

test('startSynthetic advances in chunks to the numbers of runSynthetic, and says where it stands', () => {
  const spec: RunSpec = { ...DEFAULT_RUN_SPEC, ...problem, lr: 1e-2, maxIters: 120 };
  const run = startSynthetic(spec);
  assert.deepEqual(run.status().stopReason, null);
  let chunks = 0;
  while (!run.advance(25)) chunks++;
  assert.equal(chunks, 4);
  const status = run.status();
  assert.equal(status.iterations, 120);
  assert.equal(status.stopReason, 'max-iters');
  const whole = runSynthetic(spec);
  assert.deepEqual(timeless(run.result()), timeless(whole));
  assert.ok(status.W !== null);
  assert.equal(relativeError(status.W, syntheticProblem(spec).truth), whole.relError);
  // The baselines run whole at the first advance.
  const nm = startSynthetic({ ...problem, ...DEFAULT_NUCLEAR_MIN, maxIters: 50 });
  assert.equal(nm.status().iterations, 0);
  assert.equal(nm.advance(1), true);
  assert.ok(nm.status().iterations > 0);
});

test('progress events name their method; onSolution sees the returned matrix of the baselines', () => {
  const methods = new Set<string>();
  let solution = 0;
  runSynthetic(
    { ...problem, ...DEFAULT_NUCLEAR_MIN, maxIters: 40 },
    { progressEvery: 10, onProgress: (e) => methods.add(e.method), onSolution: () => solution++ },
  );
  runSynthetic(
    { ...problem, ...DEFAULT_SOFT_IMPUTE, pathLength: 3 },
    { onProgress: (e) => methods.add(e.method), onSolution: () => solution++ },
  );
  const steps: number[] = [];
  runSynthetic(
    { ...DEFAULT_RUN_SPEC, ...problem, maxIters: 30 },
    { progressEvery: 10, onProgress: (e) => (methods.add(e.method), steps.push(e.step)) },
  );
  assert.deepEqual([...methods].sort(), ['gradient', 'nuclear-min', 'soft-impute']);
  assert.equal(solution, 2);
  assert.deepEqual(steps, [10, 20, 30, 30]);
});
