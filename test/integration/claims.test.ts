import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  allOf,
  anyOf,
  atLeast,
  atMost,
  DEFAULT_THRESHOLDS,
  evaluateClaims,
  meanStd,
  QUICK_CLAIMS,
  FULL_CLAIMS,
  claimsPresetFor,
  denominatorClaim,
  OTHER_NORMALIZATIONS,
  WITH_DENOMINATOR,
  WITHOUT_DENOMINATOR,
  type ClaimsConfig,
} from '../../src/study/claims.ts';
import { expandSweep, validateSweepSpec } from '../../src/sweep/spec.ts';
import type { Checkpoint, RunRecord } from '../../src/sweep/execute.ts';

const config: ClaimsConfig = {
  nuclear: 'nm',
  adam: 'adam',
  rmsprop: 'rmsprop',
  sgd: 'sgd',
  momentum: 'momentum',
  deep: 'deep',
  compareAt: 200,
  thresholds: DEFAULT_THRESHOLDS,
};

/** A result row with the given relError (null: diverged) and optional checkpoints. */
function rec(
  name: string,
  samples: number,
  seed: number,
  relError: number | null,
  checkpoints?: Checkpoint[],
): RunRecord {
  return {
    version: '0.0.0',
    sweep: 'synthetic',
    key: `${name}/${samples}/${seed}`,
    name,
    method: name === 'nm' ? 'nuclear-min' : 'gradient',
    n: 20,
    rank: 2,
    samples,
    seed,
    settings: { n: 20, rank: 2, samples, seed, method: 'nuclear-min', boxTol: 0, relTol: 1e-6, maxIters: 10 },
    recordSpectrumEvery: 0,
    metrics:
      relError === null
        ? null
        : {
            relError,
            relErrorUnobserved: relError,
            trainMSE: 0,
            effectiveRank: 2,
            nuclearNorm: 1,
            ratio: 1,
            iterations: 1,
            seconds: 0,
            stopReason: 'max-iters',
          },
    ...(relError === null ? { error: 'training diverged' } : {}),
    ...(checkpoints ? { checkpoints } : {}),
    finishedAt: '2026-01-01T00:00:00.000Z',
  };
}

/** Three seeds of `name` at `samples` with these errors. */
function seeds(name: string, samples: number, errors: (number | null)[], cps?: Checkpoint[]): RunRecord[] {
  return errors.map((e, seed) => rec(name, samples, seed, e, cps));
}

const cp = (scaleGap: number, gradCosine: number): Checkpoint[] => [
  { step: 100, relError: 0.1, s: [2, 1], scaleGap, gradCosine },
];

/** Records in which every claim holds clearly. */
function allHold(): RunRecord[] {
  return [
    ...seeds('nm', 200, [0.3, 0.35, 0.25]),
    ...seeds('nm', 400, [1e-6, 2e-6, 1e-6]),
    ...seeds('adam', 200, [1e-3, 2e-3, 1.5e-3], cp(1e-15, 1e-16)),
    ...seeds('adam', 400, [1e-4, 2e-4, 1e-4]),
    ...seeds('rmsprop', 200, [3e-3, 4e-3, 5e-3], cp(2e-15, 3e-16)),
    ...seeds('sgd', 200, [0.6, 0.7, 0.65]),
    ...seeds('momentum', 200, [0.5, 0.55, 0.6]),
    ...seeds('deep', 200, [5e-3, 6e-3, 4e-3]),
    ...seeds('deep', 400, [4e-3, 5e-3, 4e-3]),
  ];
}

const verdicts = (records: RunRecord[]): string[] => evaluateClaims(records, config).map((c) => c.verdict);

test('mean and sample standard deviation', () => {
  assert.deepEqual(meanStd([1, 2, 3]), { mean: 2, std: 1 });
  assert.deepEqual(meanStd([5]), { mean: 5, std: 0 });
  assert.ok(Number.isNaN(meanStd([]).mean));
});

test('three-way comparisons: the whole interval, only the mean, or neither', () => {
  const s = (mean: number, std: number) => ({ mean, std, count: 3, failed: 0 });
  assert.equal(atMost(s(0.005, 0.002), 0.01), 'supported');
  assert.equal(atMost(s(0.008, 0.004), 0.01), 'inconclusive');
  assert.equal(atMost(s(0.02, 0.001), 0.01), 'not supported');
  assert.equal(atLeast(s(0.5, 0.1), 0.3), 'supported');
  assert.equal(atLeast(s(0.35, 0.1), 0.3), 'inconclusive');
  assert.equal(atLeast(s(0.1, 0.01), 0.3), 'not supported');
  assert.equal(atLeast(s(0.1, 0), 0.1, true), 'not supported');
  assert.equal(
    atLeast({ mean: NaN, std: NaN, count: 0, failed: 3 }, 0.3),
    'supported',
    'all diverged: did not recover',
  );
  assert.equal(atMost(null, 0.01), 'inconclusive');
  assert.equal(allOf(['supported', 'inconclusive']), 'inconclusive');
  assert.equal(allOf(['supported', 'not supported', 'inconclusive']), 'not supported');
  assert.equal(anyOf(['not supported', 'supported']), 'supported');
});

test('all six claims come out supported when the numbers say so, with the numbers in the evidence', () => {
  const results = evaluateClaims(allHold(), config);
  assert.deepEqual(
    results.map((c) => c.verdict),
    Array(6).fill('supported'),
  );
  assert.deepEqual(
    results.map((c) => c.id),
    [1, 2, 3, 4, 5, 6],
  );
  assert.match(results[0].evidence, /m=200: 3\.0e-1 ± 5\.0e-2 \(3 seeds\)/);
  assert.match(results[4].evidence, /6 checkpoints of 6 runs: max \|R\(cW\) − R\(W\)\| = 2\.0e-15/);
});

test('claim 3 is not supported when SGD recovers, and claim 4 when momentum does', () => {
  const records = allHold().filter((r) => r.name !== 'sgd');
  records.push(...seeds('sgd', 200, [2e-3, 3e-3, 2e-3]));
  assert.deepEqual(verdicts(records), [
    'supported',
    'supported',
    'not supported',
    'supported',
    'supported',
    'supported',
  ]);
  const withMomentum = allHold().filter((r) => r.name !== 'momentum');
  withMomentum.push(...seeds('momentum', 200, [2e-3, 3e-3, 2e-3]));
  const v = verdicts(withMomentum);
  assert.equal(v[2], 'not supported');
  assert.equal(v[3], 'not supported');
});

test('claim 1 and 2: nuclear-min recovering at the smallest m, or Adam failing, is not support', () => {
  const records = allHold().filter((r) => !(r.name === 'nm' && r.samples === 200));
  records.push(...seeds('nm', 200, [0.02, 0.03, 0.01]));
  const v = verdicts(records);
  assert.equal(v[0], 'not supported');
  assert.equal(v[1], 'not supported');
  const adamFails = allHold().filter((r) => r.name !== 'adam');
  adamFails.push(...seeds('adam', 200, [0.2, 0.3, 0.25]), ...seeds('adam', 400, [1e-4, 1e-4, 1e-4]));
  const w = verdicts(adamFails);
  assert.equal(w[1], 'not supported');
  assert.equal(w[5], 'not supported', 'depth 3 beats a failing adam');
});

test('a spread that straddles the threshold is inconclusive; missing runs are inconclusive', () => {
  const records = allHold().filter((r) => r.name !== 'sgd');
  records.push(...seeds('sgd', 200, [0.1, 0.6, 0.35])); // mean 0.35 ≥ 0.3 but mean − std < 0.3
  assert.equal(verdicts(records)[2], 'inconclusive');
  const noDeep = allHold().filter((r) => r.name !== 'deep');
  assert.equal(verdicts(noDeep)[5], 'inconclusive');
  const noCheckpoints = allHold().map((r) => ({ ...r, checkpoints: undefined }));
  assert.equal(verdicts(noCheckpoints)[4], 'inconclusive');
});

test('claim 5 is not supported when an invariance check is off at any checkpoint', () => {
  const records = allHold();
  records.push(rec('adam', 400, 7, 1e-4, cp(1e-15, 3e-9)));
  assert.equal(verdicts(records)[4], 'not supported');
});

test('diverged SGD runs count as not recovering', () => {
  const records = allHold().filter((r) => r.name !== 'sgd');
  records.push(...seeds('sgd', 200, [null, null, null]));
  const c = evaluateClaims(records, config)[2];
  assert.equal(c.verdict, 'supported');
  assert.match(c.evidence, /sgd all 3 runs diverged/);
});

test('the built-in claims sweeps run every role of their config at the comparison m', () => {
  for (const preset of [QUICK_CLAIMS, FULL_CLAIMS]) {
    const tasks = expandSweep(validateSweepSpec(preset.spec, preset.spec.name));
    const c = preset.config;
    for (const name of [c.nuclear, c.adam, c.rmsprop, c.sgd, c.momentum, c.deep]) {
      assert.ok(
        tasks.some((t) => t.name === name && t.settings.samples === c.compareAt),
        `${name} at m=${c.compareAt}`,
      );
    }
    assert.ok(preset.spec.recordSpectrumEvery > 0, 'claim 5 needs checkpoints');
    assert.equal(claimsPresetFor(preset.spec.name), preset);
  }
  // The full protocol of docs/design/protocols.md section 4.
  assert.deepEqual(FULL_CLAIMS.spec.samples, [1000, 1500, 2000, 2500, 3000, 4000, 5000]);
  assert.equal(FULL_CLAIMS.spec.n, 100);
  assert.equal(FULL_CLAIMS.spec.rank, 5);
  assert.equal(FULL_CLAIMS.spec.seeds.length, 3);
});

// ---- claim 9: which normalization recovers with L*/F -------------------------------------------------------

/** Claim 9's roles: one method per optimizer, named after it. */
const roles = Object.fromEntries(
  [...WITH_DENOMINATOR, ...WITHOUT_DENOMINATOR, ...OTHER_NORMALIZATIONS].map((o) => [o, o]),
);

/** Depth-1 runs at m = 200 where claim 9 holds clearly; `over` replaces some optimizers' errors. */
function denominatorRuns(over: Record<string, (number | null)[]> = {}): RunRecord[] {
  const errs = (o: string): (number | null)[] =>
    over[o] ??
    ((WITH_DENOMINATOR as readonly string[]).includes(o)
      ? [1e-3, 2e-3, 1e-3]
      : (WITHOUT_DENOMINATOR as readonly string[]).includes(o)
        ? [0.6, 0.7, 0.8]
        : [0.2, 0.3, 0.25]);
  return Object.keys(roles).flatMap((o) => seeds(o, 200, errs(o)));
}

test('claim 9 is supported when every denominator optimizer recovers and the others do not, and is evaluated only when configured', () => {
  const c = denominatorClaim(denominatorRuns(), roles, 200, DEFAULT_THRESHOLDS);
  assert.equal(c.id, 9);
  assert.equal(c.verdict, 'supported');
  assert.match(c.evidence, /with a denominator: adam 1\.3e-3 ± 5\.8e-4 \(3 seeds\)/);
  assert.doesNotMatch(c.evidence, /recovers? without/);
  assert.equal(evaluateClaims(allHold(), config).length, 6, 'no claim 9 without config.denominator');
  const nine = evaluateClaims([...allHold(), ...denominatorRuns()], { ...config, denominator: roles });
  assert.deepEqual(
    nine.map((x) => x.id),
    [1, 2, 3, 4, 5, 6, 9],
  );
});

test('claim 9: muon or normalized GD recovering is "not supported", and the evidence names it', () => {
  const muon = denominatorClaim(denominatorRuns({ muon: [1e-3, 1e-3, 2e-3] }), roles, 200, DEFAULT_THRESHOLDS);
  assert.equal(muon.verdict, 'not supported');
  assert.match(muon.evidence, /muon recovers without a per-coordinate denominator/);
  const ngd = denominatorClaim(
    denominatorRuns({ 'normalized-gd': [1e-3, 1e-3, 2e-3] }),
    roles,
    200,
    DEFAULT_THRESHOLDS,
  );
  assert.equal(ngd.verdict, 'not supported');
  assert.match(ngd.evidence, /normalized-gd recovers/);
  const adafactorFails = denominatorClaim(
    denominatorRuns({ adafactor: [0.2, 0.3, 0.2] }),
    roles,
    200,
    DEFAULT_THRESHOLDS,
  );
  assert.equal(adafactorFails.verdict, 'not supported');
  const missing = denominatorClaim(
    denominatorRuns().filter((r) => r.name !== 'sign'),
    roles,
    200,
    DEFAULT_THRESHOLDS,
  );
  assert.equal(missing.verdict, 'inconclusive');
});

test('the claims sweeps run claim 9: every optimizer at depth 1 with L*/F at the comparison m', () => {
  for (const preset of [QUICK_CLAIMS, FULL_CLAIMS]) {
    const tasks = expandSweep(validateSweepSpec(preset.spec, preset.spec.name));
    const d = preset.config.denominator!;
    for (const o of [...WITH_DENOMINATOR, ...WITHOUT_DENOMINATOR, ...OTHER_NORMALIZATIONS]) {
      const t = tasks.filter((x) => x.name === d[o] && x.settings.samples === preset.config.compareAt);
      // The quick claims run claim 9's extra optimizers on seed 0 only (npm start's time); the roles of claims 2–4 on all.
      const extra = preset === QUICK_CLAIMS && !['adam', 'rmsprop', 'sgd', 'momentum'].includes(o);
      assert.deepEqual(
        t.map((x) => x.settings.seed),
        extra ? [0] : [0, 1, 2],
        `${o} at m=${preset.config.compareAt}`,
      );
      const s = t[0].settings as { optimizer: string; depth: number; penalty: string };
      assert.deepEqual([s.optimizer, s.depth, s.penalty], [o, 1, 'ratio']);
    }
  }
});

test('a method\'s "seeds" must be among the sweep\'s and restricts its runs', () => {
  const spec = {
    n: 10,
    rank: 1,
    samples: [20],
    seeds: [0, 1, 2],
    methods: [{ name: 'a', method: 'gradient', seeds: [2] }],
  };
  assert.deepEqual(
    expandSweep(validateSweepSpec(spec, 's.json')).map((t) => t.settings.seed),
    [2],
  );
  assert.throws(
    () => validateSweepSpec({ ...spec, methods: [{ name: 'a', method: 'gradient', seeds: [5] }] }, 's.json'),
    /s\.json: methods\[0\]\.seeds\[0\]: 5 is not in the sweep's seeds \[0, 1, 2\]/,
  );
});
