// A sweep is refused before its first run when one of its runs could not start: the checks resolveSettings makes
// across parameters apply to spec files, and the built-in sweeps pass the same validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkBuiltInSweep, expandSweep, SpecError, validateSweepSpec } from '../../../src/sweep/spec.ts';
import { PHASE_GRIDS, phaseSweeps } from '../../../src/study/phase.ts';
import { FULL_CLAIMS, QUICK_CLAIMS } from '../../../src/study/claims.ts';
import { ATLAS_FULL, ATLAS_QUICK, atlasCells, atlasSpec, tuningSpec } from '../../../src/study/atlas.ts';

/** The message of the SpecError `f` throws. */
function specError(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof SpecError, String(err));
    return err.message;
  }
  assert.fail('no SpecError');
}

test('a spec whose givenRank exceeds n, or whose samples identifiable masks cannot meet, is refused naming the field', () => {
  const base = { n: 10, rank: 2, samples: [60], seeds: [0] };
  assert.match(
    specError(() => validateSweepSpec({ ...base, methods: [{ name: 'g', method: 'gnmr', givenRank: 50 }] }, 's.json')),
    /^s\.json: methods\[0\]\.givenRank: givenRank must be an integer in 1\.\.10, got 50/,
  );
  assert.match(
    specError(() =>
      validateSweepSpec(
        { ...base, samples: [60, 20], masks: 'identifiable', methods: [{ name: 'g', method: 'gnmr' }] },
        's.json',
      ),
    ),
    /^s\.json: samples\[1\]: samples must be at least maskMinPerLine·max\(n, n2\) = 3·10 = 30.*got 20/,
  );
  // A method kept to the sample counts it can run is accepted.
  const ok = validateSweepSpec(
    { ...base, samples: [60, 20], masks: 'identifiable', methods: [{ name: 'g', method: 'gnmr', samples: [60] }] },
    's.json',
  );
  assert.equal(expandSweep(ok).length, 1);
});

test('checkBuiltInSweep names the flag a field came from, and leaves the spec as built', () => {
  const spec = phaseSweeps({ ...PHASE_GRIDS.quick, rhos: [2, 1000] })[0].spec;
  const before = JSON.stringify(spec);
  assert.match(
    specError(() => checkBuiltInSweep(spec, 'phase', { samples: '--rhos' })),
    /^phase: option '--rhos': samples\[1\]: expected an integer in 1\.\.n² = 900, got 116000$/,
  );
  assert.equal(JSON.stringify(spec), before);
});

test('every built-in sweep (phase grids, claims, atlas) passes the spec validation', () => {
  for (const grid of Object.values(PHASE_GRIDS))
    for (const { spec } of phaseSweeps(grid)) checkBuiltInSweep(spec, grid.name);
  for (const preset of [QUICK_CLAIMS, FULL_CLAIMS]) checkBuiltInSweep(preset.spec, preset.spec.name);
  for (const p of [ATLAS_QUICK, ATLAS_FULL]) {
    checkBuiltInSweep(tuningSpec(p), p.name);
    const choices = atlasCells(p).map((cell) => ({ cell, rule: p.lrRule, grid: [], lr: p.lrGrid[1] }));
    checkBuiltInSweep(atlasSpec(p, choices), p.name);
  }
});
