import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  phaseLabel,
  phaseSweep,
  phaseSweeps,
  phaseTable,
  phaseThresholds,
  PHASE_GRIDS,
  rhoOf,
  samplesFor,
} from '../../../src/study/phase.ts';
import { expandSweep, validateSweepSpec } from '../../../src/sweep/spec.ts';
import type { RunRecord } from '../../../src/sweep/execute.ts';

/** A record of `name` at m (n = 100, r = 5) with this relError (null: failed). */
function rec(name: string, samples: number, seed: number, relError: number | null): RunRecord {
  return {
    version: '0',
    sweep: 'phase',
    key: `${name}/${samples}/${seed}`,
    name,
    method: 'gnmr',
    n: 100,
    rank: 5,
    samples,
    seed,
    settings: {
      n: 100,
      rank: 5,
      samples,
      seed,
      method: 'gnmr',
      givenRank: 5,
      variant: 'updating',
      maxIters: 1,
      tol: 0,
      lsqrMaxIters: 2000,
    },
    recordSpectrumEvery: 0,
    metrics:
      relError === null
        ? null
        : {
            relError,
            relErrorUnobserved: relError,
            trainMSE: 0,
            effectiveRank: 5,
            nuclearNorm: 1,
            ratio: 1,
            iterations: 1,
            seconds: seed + 1,
            stopReason: 'tolerance',
          },
    finishedAt: '2026-01-01T00:00:00.000Z',
  };
}

test('m = round(ρ·r(2n − r)): 975 is the information limit at n = 100, r = 5, and ρ reads back from m', () => {
  assert.equal(samplesFor(1, 100, 5), 975);
  assert.equal(samplesFor(1.5, 100, 5), 1463);
  assert.equal(rhoOf({ samples: 1950, n: 100, rank: 5 }), 2);
});

test('the phase sweep: every method at every m of the ρ grid, identifiable masks, valid as a sweep spec', () => {
  const spec = phaseSweep(PHASE_GRIDS.n100);
  assert.equal(spec.masks, 'identifiable');
  assert.deepEqual(
    spec.samples,
    PHASE_GRIDS.n100.rhos.map((r) => samplesFor(r, 100, 5)),
  );
  const tasks = expandSweep(validateSweepSpec(spec, 'phase'));
  assert.equal(tasks.length, PHASE_GRIDS.n100.methods.length * PHASE_GRIDS.n100.rhos.length * 10);
  assert.ok(tasks.every((t) => t.settings.masks === 'identifiable'));
  assert.throws(() => phaseSweep({ ...PHASE_GRIDS.quick, methods: ['newton'] }), /unknown method "newton"/);
});

test('phaseTable: success counts, medians (a failed run counts as a failure), and the smallest ρ with ≥ 90% success', () => {
  const records = [
    ...[1e-15, 1e-3, 1e-15].map((e, s) => rec('a', 1463, s, e)),
    ...[1e-15, 1e-15, 1e-15].map((e, s) => rec('a', 1950, s, e)),
    ...[1e-15, null, 1e-2].map((e, s) => rec('b', 1950, s, e)),
  ];
  const cells = phaseTable(records, 1e-6);
  assert.deepEqual(
    cells.map((c) => [c.method, c.rho, c.successes, c.runs, c.medianRelError, c.medianSeconds]),
    [
      ['a', 1.501, 2, 3, 1e-15, 2],
      ['a', 2, 3, 3, 1e-15, 2],
      ['b', 2, 1, 3, 1e-2, 2],
    ],
  );
  assert.deepEqual(phaseThresholds(cells), [
    { method: 'a', rho: 2 },
    { method: 'b', rho: null },
  ]);
});

test('the n1000 grid: one sweep per κ on field masks, named by κ, and its records labelled by κ in the table', () => {
  const grid = PHASE_GRIDS.n1000;
  const sweeps = phaseSweeps(grid);
  assert.deepEqual(
    sweeps.map((s) => [s.kappa, s.spec.name, s.spec.kappa, s.spec.masks]),
    [
      [1, 'phase-n1000-r5-kappa1', 1, 'field'],
      [10, 'phase-n1000-r5-kappa10', 10, 'field'],
    ],
  );
  // m = round(ρ·r(2n − r)), r(2n − r) = 5·1995 = 9975; ρ = 1.5 gives the 14963.
  assert.deepEqual(
    sweeps[0].spec.samples,
    [1.1, 1.2, 1.3, 1.4, 1.5, 1.75, 2, 3].map((rho) => Math.round(rho * 9975)),
  );
  assert.equal(sweeps[0].spec.samples?.[4], 14963);
  assert.equal(phaseLabel({ name: 'gnmr', settings: { kappa: 10 } as never }), 'gnmr κ=10');
  assert.equal(phaseLabel({ name: 'gnmr', settings: {} as never }), 'gnmr');
  assert.deepEqual(
    phaseSweeps(PHASE_GRIDS.n100).map((s) => s.spec.name),
    ['phase-n100-r5'],
  );
});

test('the median figure draws the published κ = 10 medians beside n = 1000 κ = 10 cells, and only there', async () => {
  const { medianErrorVsRho } = await import('../../../src/report/phase.ts');
  const cell = (method: string, rho: number) => ({
    method,
    rho,
    samples: 1,
    runs: 1,
    successes: 1,
    successRate: 1,
    medianRelError: 1e-14,
    medianSeconds: 1,
  });
  const withKappa = medianErrorVsRho([cell('gnmr κ=10', 1.5), cell('gnmr κ=10', 2)], 1000);
  const values = (withKappa.spec as { data: { values: { method: string; rho: number; err: number }[] } }).data.values;
  const mirls = values.filter((v) => v.method === 'MatrixIRLS κ=10 (published)');
  assert.deepEqual(
    mirls.map((v) => v.rho),
    [1.5, 1.6, 1.7, 1.8, 1.9, 2],
  );
  assert.equal(mirls[0].err, 5.23e-13);
  const n100 = medianErrorVsRho([cell('gnmr κ=10', 1.5)], 100);
  assert.ok(
    !(n100.spec as { data: { values: { method: string }[] } }).data.values.some((v) => v.method.includes('published')),
  );
});
