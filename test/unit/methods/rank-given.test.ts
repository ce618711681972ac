import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSynthetic, resolveSettings } from '../../../src/methods/run.ts';
import { expandSweep, SpecError, validateSweepSpec } from '../../../src/sweep/spec.ts';
import { syntheticMask, syntheticProblem } from '../../../src/data/synthetic.ts';
import { maskIdentifiability } from '../../../src/data/identifiable.ts';
import { makeObservations } from '../../../src/data/observations.ts';

test('maskIdentifiability counts the rows and columns seen fewer than r times', () => {
  // 3×3, entries (0,0), (0,1), (1,0), (2,2): row counts 2, 1, 1; column counts 2, 1, 1.
  const obs = makeObservations([3, 3], [0, 0, 1, 2], [0, 1, 0, 2], [1, 1, 1, 1]);
  assert.deepEqual(maskIdentifiability(obs, 1), { identifiable: true, thinRows: 0, thinCols: 0 });
  assert.deepEqual(maskIdentifiability(obs, 2), { identifiable: false, thinRows: 2, thinCols: 2 });
});

test('masks identifiable: deterministic from the seed, identifiable, the uniform draw when that one already is, and a clear error when impossible', () => {
  const spec = { n: 100, rank: 5, samples: 1200, seed: 4 };
  const uniform = syntheticMask(spec);
  const toCounts = (mask: Int32Array): { shape: [number, number]; rows: Int32Array; cols: Int32Array } => ({
    shape: [100, 100],
    rows: mask.map((k) => Math.floor(k / 100)),
    cols: mask.map((k) => k % 100),
  });
  const a = syntheticMask({ ...spec, masks: 'identifiable' });
  const b = syntheticMask({ ...spec, masks: 'identifiable' });
  assert.deepEqual(a, b);
  assert.equal(a.length, 1200);
  assert.ok(maskIdentifiability(toCounts(a), 5).identifiable);
  if (maskIdentifiability(toCounts(uniform), 5).identifiable) assert.deepEqual(a, uniform);
  else assert.notDeepEqual(a, uniform);
  // Seed 0 at m = 2000 is identifiable already: the rule keeps the uniform draw, so old results stay comparable.
  const easy = { n: 100, rank: 5, samples: 2000, seed: 0 };
  assert.ok(maskIdentifiability(toCounts(syntheticMask(easy)), 5).identifiable);
  assert.deepEqual(syntheticMask({ ...easy, masks: 'identifiable' }), syntheticMask(easy));
  assert.throws(
    () => syntheticMask({ n: 100, rank: 5, samples: 400, seed: 0, masks: 'identifiable' }),
    /need at least 6·max\(n₁, n₂\) = 600/,
  );
});

test('run gnmr, altmin, scaled-gd and matrix-irls through runSynthetic: exact on a well-sampled problem, told the true rank by default, identifiable, no warning', () => {
  for (const method of ['gnmr', 'altmin', 'scaled-gd', 'matrix-irls'] as const) {
    const r = runSynthetic({ method, n: 40, rank: 2, samples: 800, seed: 3 });
    assert.equal(r.givenRank, 2);
    assert.ok(r.relError <= 1e-12, `${method}: relError ${r.relError}`);
    assert.equal(r.identifiable, true);
    assert.equal(r.warning, undefined);
    assert.equal(r.settings.method, method);
  }
});

test('a given rank too large for the data, or a mask with thin rows, gives a warning in the result, not a crash or a silent success', () => {
  const big = runSynthetic({ method: 'gnmr', n: 30, rank: 2, samples: 300, seed: 1, givenRank: 12, maxIters: 5 });
  assert.match(
    big.warning ?? '',
    /given rank 12 has r\(n₁\+n₂−r\) = 576 degrees of freedom, more than the 300 observed entries/,
  );
  const thin = runSynthetic({ method: 'altmin', n: 40, rank: 3, samples: 200, seed: 2, maxIters: 20 });
  assert.equal(thin.identifiable, false);
  assert.match(thin.warning ?? '', /fewer than 3 observed entries/);
  assert.ok(Number.isFinite(thin.relError));
});

test("identifiable is on every method's result, and resolveSettings keeps masks only when given", () => {
  const r = runSynthetic({ method: 'soft-impute', n: 20, rank: 2, samples: 30, seed: 0, pathLength: 2, maxIters: 5 });
  assert.equal(r.identifiable, false);
  assert.ok(!('masks' in resolveSettings({ method: 'gnmr' })));
  assert.equal(resolveSettings({ method: 'gnmr', masks: 'identifiable' }).masks, 'identifiable');
  // 60 = 3·20 entries cannot be spread ≥ rank + 1 = 3 per line by a uniform draw; the ≥ rank rule, asked for, can.
  const p = syntheticProblem({ n: 20, rank: 2, samples: 60, seed: 0, masks: 'identifiable', maskMinPerLine: 2 });
  assert.ok(maskIdentifiability(p.observations, 2).identifiable);
});

test('sweep specs: gnmr and altmin take givenRank (and gnmr variant), a top-level masks rule reaches every run, misplaced fields are errors', () => {
  const spec = validateSweepSpec(
    {
      name: 't',
      n: 20,
      rank: 2,
      samples: [100],
      seeds: [0],
      masks: 'identifiable',
      methods: [
        { name: 'g', method: 'gnmr', givenRank: 3, variant: 'setting' },
        { name: 'a', method: 'altmin' },
      ],
    },
    'spec.json',
  );
  const tasks = expandSweep(spec);
  assert.deepEqual(
    tasks.map((t) => [t.settings.method, 'givenRank' in t.settings ? t.settings.givenRank : null, t.settings.masks]),
    [
      ['gnmr', 3, 'identifiable'],
      ['altmin', 2, 'identifiable'],
    ],
  );
  assert.throws(
    () =>
      validateSweepSpec(
        { n: 20, rank: 2, samples: [100], seeds: [0], methods: [{ name: 'a', method: 'altmin', variant: 'setting' }] },
        's.json',
      ),
    (err: unknown) =>
      err instanceof SpecError && /methods\[0\]\.variant: unknown field for method altmin/.test(err.message),
  );
  assert.throws(
    () =>
      validateSweepSpec(
        { n: 20, rank: 2, samples: [100], seeds: [0], masks: 'some', methods: [{ name: 'a', method: 'altmin' }] },
        's.json',
      ),
    /masks: expected one of uniform, identifiable/,
  );
});
