// The field's synthetic problems (docs/design/protocols.md section 4): the conditioned generator (kappa), rectangular
// n×n2 problems, rho, and identifiable masks with ≥ rank + 1 entries per line, checked against facts: a computed SVD,
// orthonormality, the factor form against the dense form, and the old path against the functions it was made of.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  conditionedFactors,
  IDENTIFIABLE_MASK_DRAWS,
  lowRankTruth,
  problemShape,
  sampleWithoutReplacement,
  samplesForRho,
  syntheticFactors,
  syntheticMask,
  syntheticProblem,
  type SyntheticSpec,
  FIELD_MASK_DRAWS,
} from '../../../src/data/synthetic.ts';
import { deriveRng } from '../../../src/random/index.ts';
import { frobeniusNorm, gemm, maxAbsDiff, type Matrix } from '../../../src/linalg/matrix.ts';
import { svd } from '../../../src/linalg/svd.ts';
import { resolveSettings, runSynthetic, type RunInput } from '../../../src/methods/run.ts';
import { DENSE_MAX_ENTRIES } from '../../../src/methods/method.ts';
import { expandSweep, runKey, SpecError, validateSweepSpec } from '../../../src/sweep/spec.ts';
import { ParamError } from '../../../src/params.ts';

/** Largest |(MᵀM − I)_ij|. */
function orthonormalityError(M: Matrix): number {
  const G = gemm(M, M, { transA: true });
  let worst = 0;
  for (let i = 0; i < G.rows; i++)
    for (let j = 0; j < G.cols; j++) worst = Math.max(worst, Math.abs(G.data[i * G.cols + j] - (i === j ? 1 : 0)));
  return worst;
}

/** Entries per row and per column of a mask of an n1×n2 problem. */
function lineCounts(mask: ArrayLike<number>, n1: number, n2: number): { rows: Int32Array; cols: Int32Array } {
  const rows = new Int32Array(n1);
  const cols = new Int32Array(n2);
  for (let t = 0; t < mask.length; t++) {
    rows[Math.floor(mask[t] / n2)]++;
    cols[mask[t] % n2]++;
  }
  return { rows, cols };
}

test('kappa: the truth has exactly r singular values, geometric from κ down to 1 up to the RMS scale, and ||W*||_F = sqrt(n₁n₂)', () => {
  for (const [n, n2, rank, kappa] of [
    [30, 20, 4, 10],
    [25, 25, 5, 1e5],
    [16, 40, 3, 2.5],
  ] as const) {
    const { truth } = syntheticProblem({ n, n2, rank, samples: 100, seed: 7, kappa });
    assert.equal(truth.rows, n);
    assert.equal(truth.cols, n2);
    assert.ok(Math.abs(frobeniusNorm(truth) - Math.sqrt(n * n2)) <= 1e-12 * Math.sqrt(n * n2));
    const { s } = svd(truth);
    const scale = s[rank - 1];
    // s_k / s_r = κ^{(r−k)/(r−1)}: s_1/s_r = κ and a constant ratio κ^{1/(r−1)} between neighbours.
    for (let k = 0; k < rank; k++) {
      const want = Math.pow(kappa, (rank - 1 - k) / (rank - 1));
      assert.ok(
        Math.abs(s[k] / scale - want) <= 1e-9 * want,
        `n=${n}×${n2} κ=${kappa}: s_${k + 1}/s_r ${s[k] / scale} vs ${want}`,
      );
    }
    for (let k = rank; k < s.length; k++) assert.ok(s[k] <= 1e-10 * s[0], `s_${k + 1} = ${s[k]} is not 0`);
    let sum2 = 0;
    for (let k = 0; k < rank; k++) sum2 += s[k] ** 2;
    assert.ok(Math.abs(Math.sqrt(sum2) - Math.sqrt(n * n2)) <= 1e-10 * Math.sqrt(n * n2));
  }
});

test('kappa: U and V have orthonormal columns before scaling, and κ = 1 gives r equal singular values', () => {
  const f = conditionedFactors(50, 30, 6, 10, deriveRng(3, 'data'));
  assert.equal(f.U.rows, 50);
  assert.equal(f.V.rows, 30);
  assert.ok(orthonormalityError(f.U) <= 1e-13, `UᵀU − I: ${orthonormalityError(f.U)}`);
  assert.ok(orthonormalityError(f.V) <= 1e-13, `VᵀV − I: ${orthonormalityError(f.V)}`);
  assert.ok(Math.abs(f.s[0] / f.s[5] - 10) <= 1e-12 * 10);
  const one = syntheticProblem({ n: 24, n2: 18, rank: 4, samples: 50, seed: 1, kappa: 1 });
  const { s } = svd(one.truth);
  const each = Math.sqrt((24 * 18) / 4);
  for (let k = 0; k < 4; k++) assert.ok(Math.abs(s[k] - each) <= 1e-12 * each, `s_${k + 1} = ${s[k]}, want ${each}`);
  // A rank-1 matrix has one singular value: κ = 1 is the only condition number it can have.
  assert.doesNotThrow(() => syntheticProblem({ n: 8, rank: 1, samples: 10, seed: 0, kappa: 1 }));
  assert.throws(() => conditionedFactors(8, 8, 1, 3, deriveRng(0, 'data')), /kappa must be 1 at rank 1/);
});

test('syntheticFactors equals syntheticProblem to rounding, for kappa, rectangular and rectangular-with-kappa problems', () => {
  const specs: SyntheticSpec[] = [
    { n: 30, rank: 3, samples: 200, seed: 2, kappa: 10 },
    { n: 20, n2: 45, rank: 4, samples: 300, seed: 5 },
    { n: 45, n2: 20, rank: 4, samples: 300, seed: 5, kappa: 100 },
    { n: 25, n2: 35, rank: 3, samples: 240, seed: 8, masks: 'identifiable' },
  ];
  for (const spec of specs) {
    const dense = syntheticProblem(spec);
    const factors = syntheticFactors(spec);
    const [n1, n2] = problemShape(spec);
    assert.deepEqual(factors.observations.shape, [n1, n2]);
    assert.equal(factors.U.rows, n1);
    assert.equal(factors.V.rows, n2);
    const W = gemm(factors.U, factors.V, { transB: true });
    assert.ok(maxAbsDiff(W, dense.truth) <= 1e-12 * Math.sqrt(n1 * n2), JSON.stringify(spec));
    assert.deepEqual(factors.observations.rows, dense.observations.rows);
    assert.deepEqual(factors.observations.cols, dense.observations.cols);
    for (let t = 0; t < spec.samples; t++)
      assert.ok(Math.abs(factors.observations.values[t] - dense.observations.values[t]) <= 1e-12);
  }
});

test('one seed fixes a kappa or rectangular problem; another seed changes it', () => {
  for (const spec of [
    { n: 20, rank: 2, samples: 120, seed: 4, kappa: 10 },
    { n: 12, n2: 30, rank: 2, samples: 120, seed: 4 },
  ] as SyntheticSpec[]) {
    const a = syntheticProblem(spec);
    const b = syntheticProblem({ ...spec });
    const c = syntheticProblem({ ...spec, seed: 5 });
    assert.deepEqual(a.truth.data, b.truth.data);
    assert.deepEqual(a.observations, b.observations);
    assert.notDeepEqual(a.truth.data, c.truth.data);
    assert.notDeepEqual(a.observations.rows, c.observations.rows);
  }
});

test('without kappa and n2 the problem is the one the old path made: lowRankTruth of the data stream, the first uniform draw of the mask stream', () => {
  for (const spec of [
    { n: 40, rank: 3, samples: 300, seed: 1 },
    { n: 25, rank: 5, samples: 500, seed: 9 },
  ]) {
    const p = syntheticProblem(spec);
    const truth = lowRankTruth(spec.n, spec.n, spec.rank, deriveRng(spec.seed, 'data'));
    assert.deepEqual(p.truth.data, truth.data);
    const mask = sampleWithoutReplacement(spec.n * spec.n, spec.samples, deriveRng(spec.seed, 'mask'));
    assert.deepEqual(syntheticMask(spec), mask);
    assert.deepEqual(syntheticMask({ ...spec, masks: 'uniform' }), mask);
    for (let t = 0; t < mask.length; t++) {
      assert.equal(p.observations.rows[t] * spec.n + p.observations.cols[t], mask[t]);
      assert.equal(p.observations.values[t], truth.data[mask[t]]);
    }
    // Resolved settings of such a run name none of the new parameters, so their run keys are as before.
    const settings = resolveSettings({ ...spec, method: 'gnmr' });
    for (const key of ['n2', 'rho', 'kappa', 'maskMinPerLine']) assert.ok(!(key in settings), key);
    assert.ok(!('n2' in resolveSettings({ ...spec, n2: spec.n })), 'n2 = n is the square problem');
  }
  // A rectangular problem without kappa is lowRankTruth of its shape.
  const rect = syntheticProblem({ n: 14, n2: 33, rank: 2, samples: 100, seed: 3 });
  assert.deepEqual(rect.truth.data, lowRankTruth(14, 33, 2, deriveRng(3, 'data')).data);
});

test('rho gives samples = round(ρ·r(n₁ + n₂ − r)); the settings carry both; samples and rho that disagree are refused naming both', () => {
  assert.equal(samplesForRho(1.05, 1000, 1000, 5), Math.round(1.05 * 5 * 1995));
  const s = resolveSettings({ method: 'gnmr', n: 40, n2: 60, rank: 3, rho: 2 });
  assert.equal(s.samples, Math.round(2 * 3 * (40 + 60 - 3)));
  assert.equal(s.rho, 2);
  // Settings read back (a sweep's tasks, a results file) hold both: consistent, they resolve to themselves.
  assert.deepEqual(resolveSettings(s), s);
  assert.throws(
    () => resolveSettings({ method: 'gnmr', n: 40, rank: 3, rho: 2, samples: 100 }),
    (e: unknown) =>
      e instanceof ParamError && /give samples or rho, not both/.test(e.message) && /samples 100/.test(e.message),
  );
  const r = runSynthetic({ method: 'altmin', n: 20, n2: 30, rank: 2, rho: 3, seed: 1, maxIters: 5 });
  assert.equal(r.settings.rho, 3);
  assert.equal(r.settings.samples, Math.round(3 * 2 * 48));
});

test('identifiable masks give every row and column ≥ rank + 1 entries (square and rectangular), and say so in the settings', () => {
  for (const spec of [
    { n: 30, rank: 2, samples: 150, seed: 1 },
    { n: 20, n2: 50, rank: 3, samples: 330, seed: 2 },
    { n: 50, n2: 20, rank: 3, samples: 330, seed: 2 },
  ]) {
    const [n1, n2] = problemShape(spec);
    const uniform = lineCounts(syntheticMask(spec), n1, n2);
    const mask = syntheticMask({ ...spec, masks: 'identifiable' });
    assert.equal(mask.length, spec.samples);
    const { rows, cols } = lineCounts(mask, n1, n2);
    assert.ok(Math.min(...rows) >= spec.rank + 1 && Math.min(...cols) >= spec.rank + 1, JSON.stringify(spec));
    // The draw is needed here: the uniform mask of this seed is short of the rule somewhere.
    assert.ok(Math.min(...uniform.rows, ...uniform.cols) < spec.rank + 1, 'pick a spec whose uniform mask fails');
    const settings = resolveSettings({ ...spec, method: 'gnmr', masks: 'identifiable' });
    assert.equal(settings.maskMinPerLine, spec.rank + 1);
  }
  // The older rule on request: ≥ rank per line.
  const old = syntheticMask({ n: 20, rank: 2, samples: 60, seed: 0, masks: 'identifiable', maskMinPerLine: 2 });
  const counts = lineCounts(old, 20, 20);
  assert.ok(Math.min(...counts.rows, ...counts.cols) >= 2);
});

test('the run key of an identifiable run differs from one made under the older rule (no maskMinPerLine); uniform keys are unchanged', () => {
  const spec = validateSweepSpec(
    {
      name: 't',
      n: 30,
      rank: 2,
      samples: [150],
      seeds: [1],
      masks: 'identifiable',
      methods: [{ name: 'a', method: 'altmin' }],
    },
    'spec.json',
  );
  const [task] = expandSweep(spec);
  assert.equal(task.settings.maskMinPerLine, 3);
  const { maskMinPerLine: _rule, ...older } = task.settings;
  assert.notEqual(task.key, runKey(task.name, older, task.recordSpectrumEvery));
  const uniform = expandSweep({ ...spec, masks: undefined })[0];
  assert.ok(!('maskMinPerLine' in uniform.settings));
  assert.equal(
    uniform.key,
    runKey('a', resolveSettings({ n: 30, rank: 2, samples: 150, seed: 1, method: 'altmin' }), 0),
  );
});

test('bad problem settings are one ParamError naming the parameter, never a silent success', () => {
  const base = { method: 'gnmr', n: 20, rank: 2, samples: 150 } as const;
  const refuses = (input: Record<string, unknown>, param: string, pattern: RegExp): void =>
    assert.throws(
      () => resolveSettings({ ...base, ...input } as RunInput),
      (e: unknown) =>
        e instanceof ParamError && e.param === param && pattern.test(e.message) && !e.message.includes('\n'),
      JSON.stringify(input),
    );
  for (const kappa of [0.5, 0, -1, Number.NaN, Infinity])
    refuses({ kappa }, 'kappa', /kappa must be a finite number >= 1/);
  refuses({ kappa: 3, rank: 1 }, 'kappa', /kappa must be 1 at rank 1/);
  for (const rho of [0, -2, Number.NaN, Infinity])
    refuses({ rho, samples: undefined }, 'rho', /rho must be a finite number > 0/);
  refuses({ rho: 1e-4, samples: undefined }, 'rho', /rho must give between 1 and n·n2 = 400 samples.* = 0$/);
  refuses({ rho: 50, samples: undefined }, 'rho', /rho must give between 1 and n·n2 = 400 samples.* = 3800$/);
  for (const n2 of [0, 1.5, -3, Number.NaN, 200000]) refuses({ n2 }, 'n2', /n2 must be an integer in 1\.\.100000/);
  refuses({ n2: 1 }, 'rank', /rank must be an integer in 1\.\.1, got 2/);
  refuses({ n2: 5, samples: 101 }, 'samples', /samples must be an integer in 1\.\.100/);
  // (rank + 1)·max(n₁, n₂) = 3·20 = 60 entries at least; 59 cannot meet the rule.
  refuses({ masks: 'identifiable', samples: 59 }, 'samples', /at least maskMinPerLine·max\(n, n2\) = 3·20 = 60/);
  refuses({ maskMinPerLine: 2 }, 'maskMinPerLine', /left out unless masks is identifiable/);
  refuses({ maskMinPerLine: 0, masks: 'identifiable' }, 'maskMinPerLine', /must be an integer >= 1/);
  refuses({ n: 50000, samples: 10 }, 'n', /n·n2 must be at most 2147483647/);
  // Dense methods refuse what they cannot hold; the factored model and the matrix-free gnmr take it.
  refuses({ method: 'scaled-gd', n: 6000, samples: 10 }, 'n', /at most 25000000 \(5000²\) for scaled-gd/);
  assert.equal(resolveSettings({ ...base, n: 6000, samples: 10 }).n, 6000);
  for (const input of [
    { method: 'gradient', n: 6000 },
    { method: 'nuclear-min', n: 6000 },
    { method: 'soft-impute', n: 6000 },
    { method: 'altmin', n: 3000, n2: 9000 },
  ]) {
    assert.ok(3000 * 9000 > DENSE_MAX_ENTRIES);
    assert.throws(
      () => resolveSettings({ ...input, rank: 2, samples: 100 } as RunInput),
      (e: unknown) => e instanceof ParamError && e.param === 'n' && /forms dense/.test(e.message),
    );
  }
  const big = resolveSettings({ method: 'gradient', model: 'factored', n: 10000, rank: 5, rho: 2 });
  assert.equal(big.samples, Math.round(2 * 5 * 19995));
  // The data layer refuses the same values itself.
  assert.throws(() => syntheticProblem({ n: 10, rank: 2, samples: 30, seed: 0, kappa: 0.9 }), /kappa must be/);
  assert.throws(() => syntheticProblem({ n: 10, n2: 0, rank: 2, samples: 30, seed: 0 }), /n2 must be/);
  assert.throws(
    () => syntheticProblem({ n: 10, n2: 4, rank: 2, samples: 41, seed: 0 }),
    /samples must be an integer in 1\.\.40/,
  );
});

test('a mask rule no draw meets is one RangeError saying how many draws were tried and what to change', () => {
  // 3 per line on 20 lines and exactly 60 entries: every row and column exactly 3, which no uniform draw gives.
  assert.throws(
    () => syntheticMask({ n: 20, rank: 2, samples: 60, seed: 0, masks: 'identifiable' }),
    (e: unknown) =>
      e instanceof RangeError &&
      e.message.includes(`none of ${IDENTIFIABLE_MASK_DRAWS} draws of 60 entries`) &&
      /use more samples \(a larger rho\) or masks uniform/.test(e.message),
  );
  assert.throws(
    () => syntheticMask({ n: 10, n2: 30, rank: 2, samples: 80, seed: 0, masks: 'identifiable' }),
    /cannot give each of the 30 columns 3 entries \(need at least 3·max\(n₁, n₂\) = 90\)/,
  );
});

test('every method runs on a rectangular problem: the shapes reach the solvers and the metrics', () => {
  const problem = { n: 14, n2: 22, rank: 2, samples: 220, seed: 3 };
  const inputs: RunInput[] = [
    { ...problem, maxIters: 30 },
    { ...problem, maxIters: 30, depth: 2 },
    { ...problem, model: 'factored', maxIters: 30 },
    { ...problem, maxIters: 300, polish: true },
    { ...problem, method: 'nuclear-min', maxIters: 40 },
    { ...problem, method: 'soft-impute', maxIters: 10, pathLength: 3 },
    { ...problem, method: 'gnmr' },
    { ...problem, method: 'altmin' },
    { ...problem, method: 'scaled-gd', maxIters: 50 },
    { ...problem, kappa: 10, method: 'gnmr', masks: 'identifiable' },
  ];
  for (const input of inputs) {
    const r = runSynthetic(input);
    assert.ok(Number.isFinite(r.relError) && r.relError >= 0, `${JSON.stringify(input)}: ${r.relError}`);
    assert.equal(r.settings.n2, 22);
    assert.equal(typeof r.identifiable, 'boolean');
    if (input.method === 'gnmr' || input.method === 'altmin')
      assert.ok(r.relError <= 1e-9, `${input.method}: ${r.relError}`);
  }
  // Without n2 the run is the square one, whose settings never name n2.
  const square = runSynthetic({ ...problem, n2: undefined, samples: 150, method: 'gnmr' });
  assert.ok(!('n2' in square.settings));
});

test('sweep specs take rho lists (settings carry ρ and its samples), n2 and kappa; samples and rho together are refused', () => {
  const spec = validateSweepSpec(
    {
      name: 'field',
      n: 20,
      n2: 30,
      rank: 2,
      rho: [1.5, 3],
      seeds: [0],
      kappa: 10,
      methods: [
        { name: 'g', method: 'gnmr' },
        { name: 'a', method: 'altmin', rho: [3] },
      ],
    },
    'spec.json',
  );
  assert.deepEqual(spec.samples, [Math.round(1.5 * 2 * 48), Math.round(3 * 2 * 48)]);
  const tasks = expandSweep(spec);
  assert.deepEqual(
    tasks.map((t) => [t.name, t.settings.rho, t.settings.samples, t.settings.n2, t.settings.kappa]),
    [
      ['g', 1.5, 144, 30, 10],
      ['g', 3, 288, 30, 10],
      ['a', 3, 288, 30, 10],
    ],
  );
  const bad = (raw: Record<string, unknown>, pattern: RegExp): void =>
    assert.throws(
      () =>
        validateSweepSpec({ n: 20, rank: 2, seeds: [0], methods: [{ name: 'a', method: 'altmin' }], ...raw }, 's.json'),
      (e: unknown) => e instanceof SpecError && pattern.test(e.message),
    );
  bad({ samples: [100], rho: [2] }, /^s\.json: rho: give samples or rho, not both$/);
  bad({ rho: [0] }, /rho\[0\]: expected a finite number > 0, got 0/);
  bad({ rho: [100] }, /rho\[0\]: 100 gives round\(ρ·r\(n \+ n2 − r\)\) = 7600 samples, outside 1\.\.400/);
  bad({ rho: [2, 2.001] }, /rho\[1\]: 2\.001 gives the same 152 samples as rho\[0\]/);
  bad({ samples: [100], kappa: 0.5 }, /kappa: expected a finite number >= 1, got 0\.5/);
  bad({ samples: [100], n2: 0 }, /n2: expected an integer in 1\.\.100000, got 0/);
  bad(
    { samples: [100], methods: [{ name: 'a', method: 'altmin', rho: [2] }] },
    /methods\[0\]\.rho: the sweep gives samples, not rho/,
  );
});

test("field masks: the identifiable draw when one of the first FIELD_MASK_DRAWS qualifies, else the last of them (the field's benchmark keeps it)", () => {
  // n = 40, r = 2: 400 samples qualify on an early draw; 90 (under 3·40) never can.
  const easy = { n: 40, rank: 2, samples: 400, seed: 5 };
  assert.deepEqual(
    syntheticMask({ ...easy, masks: 'field' }),
    syntheticMask({ ...easy, masks: 'identifiable', maskMinPerLine: 3 }),
  );
  const hard = { n: 40, rank: 2, samples: 90, seed: 5 };
  const field = syntheticMask({ ...hard, masks: 'field' });
  // The mask stream's FIELD_MASK_DRAWS-th uniform draw.
  const rng = deriveRng(5, 'mask');
  let last: Int32Array = new Int32Array(0);
  for (let d = 0; d < FIELD_MASK_DRAWS; d++) last = sampleWithoutReplacement(1600, 90, rng);
  assert.deepEqual(field, last);
  const r = resolveSettings({ method: 'gnmr', ...hard, masks: 'field' });
  assert.equal(r.maskMinPerLine, 3, 'the settings state the rule the redraws aimed at');
});
