import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_THRESHOLDS,
  evaluateClaims,
  FULL_CLAIMS,
  QUICK_CLAIMS,
  type ClaimsConfig,
} from '../../../src/study/claims.ts';
import { expandSweep, validateSweepSpec } from '../../../src/sweep/spec.ts';
import type { RunRecord } from '../../../src/sweep/execute.ts';

const config: ClaimsConfig = {
  nuclear: 'nm',
  adam: 'adam',
  rmsprop: 'rmsprop',
  sgd: 'sgd',
  momentum: 'momentum',
  deep: 'deep',
  polished: 'polish',
  gnmr: 'gnmr',
  compareAt: 200,
  rankAt: 400,
  thresholds: DEFAULT_THRESHOLDS,
};

/** A record of `name` at m with relError and, for the polished method, the rank it estimated. */
function rec(name: string, samples: number, seed: number, relError: number, estimatedRank?: number | null): RunRecord {
  const polish = estimatedRank === undefined ? {} : { polish: { estimatedRank } };
  return {
    version: '0.0.0',
    sweep: 'synthetic',
    key: `${name}/${samples}/${seed}`,
    name,
    method: name === 'gnmr' ? 'gnmr' : 'gradient',
    n: 20,
    rank: 2,
    samples,
    seed,
    settings: {
      n: 20,
      rank: 2,
      samples,
      seed,
      method: 'gnmr',
      givenRank: 2,
      variant: 'updating',
      maxIters: 10,
      tol: 1e-14,
      lsqrMaxIters: 2000,
    },
    recordSpectrumEvery: 0,
    metrics: {
      relError,
      relErrorUnobserved: relError,
      trainMSE: 0,
      effectiveRank: 2,
      nuclearNorm: 1,
      ratio: 1,
      iterations: 1,
      seconds: 0,
      stopReason: 'max-iters',
      ...polish,
    } as RunRecord['metrics'],
    finishedAt: '2026-01-01T00:00:00.000Z',
  };
}

const claim = (records: RunRecord[], id: number) => evaluateClaims(records, config).find((c) => c.id === id)!;

test('claim 7: supported when the polish estimates the true rank on every seed at rankAt, not when one seed misses', () => {
  const good = [0, 1, 2].map((s) => rec('polish', 400, s, 1e-15, 2));
  assert.equal(claim(good, 7).verdict, 'supported');
  assert.match(claim(good, 7).evidence, /true rank 2; estimated 2, 2, 2/);
  const bad = [...good.slice(0, 2), rec('polish', 400, 2, 0.1, 3)];
  assert.equal(claim(bad, 7).verdict, 'not supported');
  assert.equal(claim([], 7).verdict, 'inconclusive');
});

test('claim 8: supported when the polish is exact wherever GNMR is and first exact at no larger m; not when it misses one', () => {
  const at = (name: string, m: number, errors: number[]): RunRecord[] =>
    errors.map((e, s) => rec(name, m, s, e, name === 'polish' ? 2 : undefined));
  const records = [
    ...at('gnmr', 200, [1e-15, 0.3, 1e-15]),
    ...at('gnmr', 300, [1e-15, 1e-15, 1e-15]),
    ...at('polish', 200, [1e-15, 1e-15, 1e-15]),
    ...at('polish', 300, [1e-15, 1e-15, 1e-15]),
  ];
  assert.equal(claim(records, 8).verdict, 'supported');
  const missed = [
    ...records.filter((r) => !(r.name === 'polish' && r.samples === 300)),
    ...at('polish', 300, [1e-15, 1e-3, 1e-15]),
  ];
  assert.equal(claim(missed, 8).verdict, 'not supported');
  assert.match(claim(missed, 8).evidence, /m=300: gnmr exact, polish not/);
});

test('a config without the polish roles (older results files) evaluates the six claims only', () => {
  const { polished: _p, gnmr: _g, ...old } = config;
  assert.deepEqual(
    evaluateClaims([], old).map((c) => c.id),
    [1, 2, 3, 4, 5, 6],
  );
});

test('the built-in claims sweeps run the polished Adam and GNMR at rankAt', () => {
  for (const preset of [QUICK_CLAIMS, FULL_CLAIMS]) {
    const tasks = expandSweep(validateSweepSpec(preset.spec, preset.spec.name));
    const c = preset.config;
    for (const name of [c.polished, c.gnmr])
      assert.ok(
        tasks.some((t) => t.name === name && t.settings.samples === c.rankAt),
        `${name} at m=${c.rankAt}`,
      );
  }
});

test('claims 7 and 8 say whether the control (no L*/F, no Adam) matches the polish', () => {
  const withControl: ClaimsConfig = { ...config, control: 'control' };
  const at = (name: string, m: number, errors: number[], rank: number | null = 2): RunRecord[] =>
    errors.map((e, s) => {
      const r = rec(name, m, s, e, name === 'polish' ? rank : undefined);
      return name === 'control' ? { ...r, metrics: { ...r.metrics, estimatedRank: rank } as RunRecord['metrics'] } : r;
    });
  const base = [...at('gnmr', 400, [1e-15, 1e-15]), ...at('polish', 400, [1e-15, 1e-15])];
  const same = [...base, ...at('control', 400, [1e-15, 1e-15])];
  const c7 = evaluateClaims(same, withControl).find((c) => c.id === 7)!;
  assert.equal(c7.verdict, 'supported');
  assert.match(c7.evidence, /control estimated 2, 2: the control finds it too, so the rank search finds it here/);
  const c8 = evaluateClaims(same, withControl).find((c) => c.id === 8)!;
  assert.match(c8.evidence, /m=400: gnmr exact, polish exact, control exact/);
  assert.match(c8.evidence, /L\*\/F \+ Adam add nothing to exact recovery here/);
  const worse = [...base, ...at('control', 400, [1e-15, 0.3], null)];
  const w7 = evaluateClaims(worse, withControl).find((c) => c.id === 7)!;
  assert.match(w7.evidence, /control estimated none, none$/);
  const w8 = evaluateClaims(worse, withControl).find((c) => c.id === 8)!;
  assert.match(w8.evidence, /Only the polish is exact at m=400: what L\*\/F \+ Adam add/);
  // Without control runs in the file (older results), the evidence is as before.
  assert.doesNotMatch(evaluateClaims(base, withControl).find((c) => c.id === 8)!.evidence, /control/);
});

test('the built-in claims sweeps run the control at rankAt', () => {
  for (const preset of [QUICK_CLAIMS, FULL_CLAIMS]) {
    const tasks = expandSweep(validateSweepSpec(preset.spec, preset.spec.name));
    assert.ok(tasks.some((t) => t.name === preset.config.control && t.settings.samples === preset.config.rankAt));
  }
});
