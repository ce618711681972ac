// The contract every synthetic method keeps (implicit's RecommenderBaseTestMixin, Surprise's test_algorithms.py):
// each registered method runs on a tiny problem on both backends with the shared result fields, the same seed gives
// the same numbers, each declared parameter refuses a bad value and an unknown key is refused with a did-you-mean.
// A toy method added in this file shows that a method is one module plus one registration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  METHOD_NAMES,
  METHODS,
  registerMethod,
  resolveSettings,
  runSynthetic,
  unregisterMethod,
  type RunInput,
} from '../../../src/methods/run.ts';
import {
  PROBLEM_PARAMS,
  measureMatrix,
  problemText,
  runWhole,
  type RunMetrics,
  type SyntheticMethod,
} from '../../../src/methods/method.ts';
import { validateSweepSpec, expandSweep } from '../../../src/sweep/spec.ts';
import { estimatedCost } from '../../../src/sweep/sweep.ts';
import { runCommand } from '../../../src/cli/run-command.ts';
import { getBackend, setBackend, tsBackend } from '../../../src/linalg/backend.ts';
import { loadNativeBackend } from '../../../src/linalg/native.ts';
import { syntheticProblem, type SyntheticSpec } from '../../../src/data/synthetic.ts';
import { zeros } from '../../../src/linalg/matrix.ts';
import { ParamError, type Param, type ParamTable, type ParamValues } from '../../../src/params.ts';

const TINY = { n: 12, rank: 1, samples: 90 };
/** Caps that keep every method's tiny run in milliseconds. */
const CAPS: Record<string, Record<string, unknown>> = {
  gradient: { maxIters: 60 },
  'nuclear-min': { maxIters: 60 },
  'soft-impute': { maxIters: 20, pathLength: 3 },
  gnmr: { maxIters: 5 },
  r2rils: { maxIters: 5 },
  altmin: { maxIters: 20 },
  'scaled-gd': { maxIters: 40 },
  'spectral-polish': { maxIters: 3, k: 4 },
  'matrix-irls': { maxIters: 5 },
};
const SHARED = [
  'relError',
  'relErrorUnobserved',
  'trainMSE',
  'effectiveRank',
  'nuclearNorm',
  'ratio',
  'spectralNorm',
  'iterations',
  'seconds',
  'stopReason',
  'identifiable',
  'settings',
];

/** A value the declaration must refuse. */
function badValue(p: Param): unknown {
  switch (p.type) {
    case 'int':
      return p.min - 1;
    case 'number':
      return Number.NaN;
    case 'choice':
      return 'no-such-choice';
    case 'boolean':
      return 'yes';
  }
}

// The native backend where the addon is built (a fresh clone without OpenBLAS runs the TypeScript one only).
const native = loadNativeBackend().backend;
const backends = [tsBackend, ...(native ? [native] : [])];

for (const name of [...METHOD_NAMES]) {
  const method = METHODS[name];
  const input = (seed: number): RunInput => ({ ...TINY, seed, method: name, ...CAPS[name] }) as RunInput;

  test(`${name}: runs on a tiny problem on every backend with the shared fields; the same seed gives the same numbers`, () => {
    const before = getBackend();
    try {
      const relErrors: number[] = [];
      for (const backend of backends) {
        setBackend(backend);
        const a = runSynthetic(input(3));
        for (const key of SHARED) assert.ok(key in a, `${name} on ${backend.name}: missing ${key}`);
        assert.ok(Number.isFinite(a.relError) && a.relError >= 0, `${name}: relError ${a.relError}`);
        assert.equal(a.settings.method ?? 'gradient', name);
        const b = runSynthetic(input(3));
        assert.equal(b.relError, a.relError, `${name} on ${backend.name}: same seed, same relError`);
        assert.equal(b.trainMSE, a.trainMSE);
        const other = runSynthetic(input(4));
        assert.notEqual(other.trainMSE, a.trainMSE, `${name}: another seed, another problem`);
        relErrors.push(a.relError);
        // What the CLI and the sweep read of it: a settings line naming the problem, summary lines, a finite cost.
        assert.match(method.settingsLine(a.settings as never), /n=12 rank=1 samples=90 seed=3/);
        assert.ok(method.summary(a as never).every((line) => typeof line === 'string'));
        const cost = estimatedCost(a.settings as never);
        assert.ok(Number.isFinite(cost) && cost > 0, `${name}: cost ${cost}`);
      }
      // The backends agree up to rounding on a short run.
      for (const r of relErrors)
        assert.ok(Math.abs(r - relErrors[0]) <= 1e-6 * (1 + relErrors[0]), `${name}: ${relErrors.join(' vs ')}`);
    } finally {
      setBackend(before);
    }
  });

  test(`${name}: every declared parameter has a default or is optional, a doc, and refuses a bad value naming itself`, () => {
    const resolved = resolveSettings(input(0)) as unknown as Record<string, unknown>;
    for (const [key, p] of Object.entries({ ...PROBLEM_PARAMS, ...method.params } as ParamTable)) {
      assert.ok(p.doc.length > 0, `${name}.${key}: no doc`);
      if (p.default !== undefined && key !== 'depth' && key !== 'k')
        assert.ok(key in resolved, `${name}: ${key} not resolved`);
      const bad = { ...input(0), [key]: badValue(p) } as RunInput;
      assert.throws(
        () => resolveSettings(bad),
        (e: unknown) =>
          e instanceof ParamError && e.param === key && e.message.includes(key) && /must be/.test(e.message),
        `${name}.${key} = ${String(badValue(p))}`,
      );
    }
    assert.throws(
      () => resolveSettings({ ...input(0), maxIter: 5 } as unknown as RunInput),
      (e: unknown) => e instanceof ParamError && /unknown option "maxIter" \(did you mean maxIters\?\)/.test(e.message),
    );
  });
}

// ---- a toy method: one module's worth of code, one registration ----------------------------------------------

const TOY_PARAMS = {
  shrink: { type: 'number', min: 0, max: 1, default: 0.5, doc: 'factor applied to the observed entries' },
} as const satisfies ParamTable;
type ToySettings = SyntheticSpec & { method: 'toy' } & ParamValues<typeof TOY_PARAMS>;
/** Fills the observed entries, shrunk, and leaves the rest 0. */
const toyMethod: SyntheticMethod<ToySettings, RunMetrics & { settings: ToySettings }> = {
  name: 'toy',
  description: 'observed entries times a factor, zero elsewhere',
  params: TOY_PARAMS,
  start: (settings) =>
    runWhole(() => {
      const problem = syntheticProblem(settings);
      const X = zeros(settings.n, settings.n);
      const { rows, cols, values } = problem.observations;
      for (let t = 0; t < values.length; t++) X.data[rows[t] * settings.n + cols[t]] = settings.shrink * values[t];
      return {
        ...measureMatrix(X, problem),
        iterations: 1,
        seconds: 0,
        stopReason: 'tolerance' as const,
        settings: { ...settings },
      };
    }),
  cost: (s) => s.samples,
  settingsLine: (s) => `${problemText(s)} method=toy shrink=${s.shrink}`,
  summary: () => [],
};

test('a toy method registered once runs through runSynthetic, spec files and `mcomplete run` flags', (t) => {
  registerMethod(toyMethod as never);
  // The unit tier runs in one process: the registry is left as the other tests expect it.
  t.after(() => unregisterMethod('toy'));
  const r = runSynthetic({ ...TINY, seed: 0, method: 'toy', shrink: 1 } as unknown as RunInput);
  // Shrink 1 reproduces the observed entries exactly: train MSE 0.
  assert.equal(r.trainMSE, 0);
  assert.equal((r.settings as unknown as ToySettings).shrink, 1);
  assert.throws(
    () => runSynthetic({ ...TINY, method: 'toy', shrink: 2 } as unknown as RunInput),
    /shrink must be a number in \[0, 1\], got 2/,
  );
  const spec = validateSweepSpec(
    { ...TINY, samples: [90], seeds: [0], methods: [{ name: 't', method: 'toy', shrink: 0.25 }] },
    'toy.json',
  );
  assert.equal((expandSweep(spec)[0].settings as unknown as ToySettings).shrink, 0.25);
  assert.throws(
    () =>
      validateSweepSpec(
        { ...TINY, samples: [90], seeds: [0], methods: [{ name: 't', method: 'toy', shrink: -1 }] },
        'toy.json',
      ),
    /toy\.json: methods\[0\]\.shrink: expected a number in \[0, 1\], got -1/,
  );
  const command = runCommand();
  const flag = command.options.find((o) => o.long === '--shrink');
  assert.ok(flag, 'run has a --shrink flag');
  assert.match(flag.description, /\(toy\) factor applied to the observed entries \(default: 0\.5\)/);
  assert.throws(() => registerMethod(toyMethod as never), /registered already/);
  assert.throws(() => unregisterMethod('gnmr'), /one of the package's own/);
});
