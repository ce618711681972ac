// The atlas's tuning protocol: the trainer's early stops, successive halving over the rates on several tuning seeds,
// the worst-seed rule, and claim 10 (normalized penalties against their unnormalized counterparts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { train } from '../../../src/solver/train.ts';
import { namedOptimizer } from '../../../src/optim/index.ts';
import { syntheticProblem } from '../../../src/data/synthetic.ts';
import { relativeError } from '../../../src/metrics/index.ts';
import { runSynthetic } from '../../../src/methods/run.ts';
import {
  ATLAS_QUICK,
  atlasSweepName,
  chooseByHalving,
  chooseLearningRates,
  halvingBudgets,
  halvingName,
  halvingRoundSpec,
  restrictProtocol,
  tuneName,
  tuneSeeds,
  withTuning,
  type AtlasCell,
  type AtlasProtocol,
} from '../../../src/study/atlas.ts';
import {
  DEFAULT_THRESHOLDS,
  FULL_CLAIMS,
  NORMALIZED_PAIRS,
  normalizedPenaltyClaim,
} from '../../../src/study/claims.ts';
import { expandSweep } from '../../../src/sweep/spec.ts';
import type { RunRecord } from '../../../src/sweep/execute.ts';

const problem = syntheticProblem({ n: 12, rank: 2, samples: 80, seed: 3 });
const base = {
  depth: 1,
  penalty: 'ratio',
  lambda: 1e-3,
  optimizer: namedOptimizer('adam', { lr: 1e-2 }),
  initScale: 1e-3,
  seed: 3,
  maxIters: 400,
} as const;

describe("the trainer's early stops (watch)", () => {
  it("'stall' once the score's least value has not fallen by the share tol for window steps; scored every `every` steps", () => {
    const seen: number[] = [];
    // 1, 0.5, then 0.499 (a fall of 0.2%, under tol 1%) for ever: the least value is set at step 4 (the second score).
    const scores = [1, 0.5];
    const r = train(problem.observations, {
      ...base,
      watch: {
        every: 2,
        window: 10,
        tol: 0.01,
        exact: 0,
        score: () => {
          seen.push(seen.length);
          return scores[seen.length - 1] ?? 0.499;
        },
      },
    });
    assert.equal(r.stopReason, 'stall');
    // Scored at steps 2, 4, …; the best at step 4; stopped at the first score ≥ 10 steps later, step 14, before its update.
    assert.equal(r.iterations, 13);
    assert.equal(seen.length, 7);
  });

  it("'target-error' once the score is at or below exact; absent, the run is as before, bit for bit", () => {
    let calls = 0;
    const r = train(problem.observations, {
      ...base,
      watch: { every: 1, window: 1000, tol: 0, exact: 0.25, score: () => (++calls >= 5 ? 0.25 : 1) },
    });
    assert.equal(r.stopReason, 'target-error');
    assert.equal(r.iterations, 4);
    const plain = train(problem.observations, { ...base, maxIters: 60 });
    const watched = train(problem.observations, {
      ...base,
      maxIters: 60,
      watch: { every: 3, window: 1000, tol: 0, exact: 0, score: (W) => relativeError(W, problem.truth) },
    });
    assert.deepEqual(Array.from(watched.W.data), Array.from(plain.W.data), 'watching does not change the run');
  });

  it('runSynthetic: the early stop watches the held-out error under holdout, relError otherwise, and stops a flat run', () => {
    const spec = {
      method: 'gradient',
      n: 12,
      rank: 2,
      samples: 80,
      seed: 3,
      depth: 1,
      penalty: 'nuclear',
      lambda: 1e-2,
      optimizer: 'adam',
      lr: 1e-2,
      initScale: 1e-3,
      maxIters: 20000,
      tol: 0,
    } as const;
    const full = runSynthetic(spec);
    const early = runSynthetic({ ...spec, earlyStopWindow: 500, earlyStopTol: 0.01 });
    assert.equal(full.stopReason, 'max-iters');
    assert.equal(early.stopReason, 'stall');
    assert.ok(early.iterations < 20000);
    // Stopped where the error no longer moved: within 1% of the run to the cap.
    assert.ok(
      Math.abs(early.relError - full.relError) <= 0.02 * full.relError,
      `${early.relError} vs ${full.relError}`,
    );
    const held = runSynthetic({ ...spec, holdout: 0.1, earlyStopWindow: 500, earlyStopTol: 0.01 });
    assert.equal(held.stopReason, 'stall');
    const exact = runSynthetic({ ...spec, earlyStopWindow: 500, earlyStopExact: 0.9 });
    assert.equal(exact.stopReason, 'target-error');
    assert.throws(
      () => runSynthetic({ ...spec, model: 'factored', k: 2, earlyStopWindow: 500 } as never),
      /deep model only/,
    );
  });
});

/** A tuning record: the held-out RMSE it ended with (null: diverged) and its stop reason. */
function rec(
  name: string,
  lr: number,
  seed: number,
  heldout: number | null,
  stopReason = 'max-iters',
  iterations = 100,
): RunRecord {
  return {
    name,
    seed,
    settings: { lr },
    metrics: heldout === null ? null : { heldoutRMSE: heldout, stopReason, iterations, relError: 0.5 },
    ...(heldout === null
      ? { error: `training diverged: the objective became non-finite at step 7 (optimizer x)` }
      : {}),
  } as unknown as RunRecord;
}

// The 'halving' protocol (the default before 'lean', test/unit/study/atlas-lean.test.ts), named explicitly.
describe('successive halving over the rates on two tuning seeds', () => {
  const p: AtlasProtocol = withTuning(
    restrictProtocol(ATLAS_QUICK, { optimizers: ['adam'], penalties: ['ratio'], depths: [1] }),
    'halving',
  );
  const cell: AtlasCell = { optimizer: 'adam', penalty: 'ratio', depth: 1 };

  it('the protocol: two tuning seeds, budgets cap/9, cap/3, cap, its own sweep names', () => {
    assert.deepEqual(tuneSeeds(p), [1000, 1001]);
    assert.deepEqual(halvingBudgets(p, cell), [1333, 4000, 12000]);
    assert.equal(atlasSweepName(p), 'atlas-quick-holdout-halving');
    assert.equal(atlasSweepName({ ...p, tuning: 'full' }), 'atlas-quick-holdout');
    const r0 = halvingRoundSpec(p, 0, []);
    assert.equal(r0.name, 'atlas-quick-holdout-halving-tune-1');
    assert.equal(expandSweep(r0).length, 7 * 2);
    assert.ok(
      r0.methods.every(
        (m) =>
          m.maxIters === 1333 &&
          m.holdout === 0.1 &&
          (m as unknown as Record<string, unknown>).earlyStopWindow === 3000,
      ),
    );
  });

  it('each round keeps the third with the least worst-over-seeds score (at least two in the last), carries early stops, and the last round decides', () => {
    // Round 1: lr 0.01 is best on seed 1000 but worst on 1001 (unstable); lr 1 diverges on one seed.
    const v1: Record<number, [number | null, number | null]> = {
      1e-4: [0.9, 0.9],
      1e-3: [0.6, 0.62],
      1e-2: [0.3, 5],
      1e-1: [0.5, 0.55],
      1: [0.1, null],
      10: [null, null],
      100: [null, null],
    };
    const round1 = Object.entries(v1).flatMap(([lr, [a, b]]) => [
      rec(halvingName(p, cell, Number(lr), 0), Number(lr), 1000, a),
      rec(halvingName(p, cell, Number(lr), 0), Number(lr), 1001, b),
    ]);
    const spec2 = halvingRoundSpec(p, 1, [round1]);
    // ⌈7/3⌉ = 3 kept: 0.1 (worst 0.55), 1e-3 (0.62), 1e-4 (0.9); 0.01 (worst 5) and 1 (diverged on a seed) are out.
    assert.deepEqual(spec2.methods.map((m) => m.lr).sort(), [1e-4, 1e-3, 0.1].sort());
    assert.ok(spec2.methods.every((m) => m.maxIters === 4000));
    // Round 2: 1e-4 stopped early (stall) on both seeds: carried to round 3, not rerun there.
    const round2 = [
      rec(halvingName(p, cell, 1e-4, 1), 1e-4, 1000, 0.4, 'stall', 3000),
      rec(halvingName(p, cell, 1e-4, 1), 1e-4, 1001, 0.45, 'stall', 3000),
      rec(halvingName(p, cell, 1e-3, 1), 1e-3, 1000, 0.3),
      rec(halvingName(p, cell, 1e-3, 1), 1e-3, 1001, 0.35),
      rec(halvingName(p, cell, 0.1, 1), 0.1, 1000, 0.5),
      rec(halvingName(p, cell, 0.1, 1), 0.1, 1001, 0.6),
    ];
    const spec3 = halvingRoundSpec(p, 2, [round1, round2]);
    // ⌈3/3⌉ = 1, but the last round compares two: 1e-3 (0.35) and 1e-4 (0.45, carried over); only 1e-3 runs.
    assert.deepEqual(
      spec3.methods.map((m) => [m.lr, m.maxIters]),
      [[1e-3, 12000]],
    );
    const round3 = [
      rec(halvingName(p, cell, 1e-3, 2), 1e-3, 1000, 0.5),
      rec(halvingName(p, cell, 1e-3, 2), 1e-3, 1001, 0.2),
    ];
    const [choice] = chooseByHalving(p, [round1, round2, round3]);
    // 1e-3 ends at worst 0.5 over seeds, 1e-4 at 0.45: the carried run wins.
    assert.equal(choice.lr, 1e-4);
    assert.deepEqual(
      choice.grid.map((g) => [g.lr, g.value, g.round]),
      [
        [1e-4, 0.45, 3],
        [1e-3, 0.5, 3],
        [1e-2, 5, 1],
        [1e-1, 0.6, 2],
        [1, null, 1],
        [10, null, 1],
        [100, null, 1],
      ],
    );
    assert.deepEqual(
      choice.rounds?.map((r) => [r.budget, r.lrs.length, r.steps]),
      [
        [1333, 7, 9 * 100 + 5 * 7],
        [4000, 3, 2 * 3000 + 4 * 100],
        [12000, 2, 2 * 100],
      ],
    );
    assert.equal(choice.stepsRun, 935 + 6400 + 200);
    assert.equal(choice.fixedCapSteps, 7 * 2 * 12000);
  });

  it("the 'full' rule on several seeds: a rate's score is its worst seed's, and a divergence on one seed rules it out", () => {
    const q: AtlasProtocol = { ...p, tuning: 'full', lrGrid: [1e-3, 1e-2, 1e-1] };
    const tuning = [
      rec(tuneName(cell, 1e-3), 1e-3, 1000, 0.4),
      rec(tuneName(cell, 1e-3), 1e-3, 1001, 0.3),
      rec(tuneName(cell, 1e-2), 1e-2, 1000, 0.01),
      rec(tuneName(cell, 1e-2), 1e-2, 1001, 4),
      rec(tuneName(cell, 1e-1), 1e-1, 1000, 0.001),
      rec(tuneName(cell, 1e-1), 1e-1, 1001, null),
    ];
    const [c] = chooseLearningRates(q, tuning);
    assert.deepEqual(
      c.grid.map((g) => g.value),
      [0.4, 4, null],
    );
    assert.equal(c.lr, 1e-3);
    // One seed: the rule of before (seed 1000 alone picks 0.1).
    const [one] = chooseLearningRates({ ...q, tuneSeedCount: 1 }, tuning);
    assert.equal(one.lr, 1e-1);
  });
});

describe('claim 10: normalized penalties against their unnormalized counterparts', () => {
  const stats = (name: string, values: (number | null)[]): RunRecord[] =>
    values.map(
      (v, seed) => ({ name, seed, samples: 270, metrics: v === null ? null : { relError: v } }) as unknown as RunRecord,
    );
  const runs = { adam: { ratio: 'a-r', nuclear: 'a-n' }, sgd: { ratio: 's-r', nuclear: 's-n' } };

  it('supported when the normalized one recovers where the other does not and never the reverse; not supported on a reversal; inconclusive without both', () => {
    assert.ok(NORMALIZED_PAIRS.some((p) => p.normalized === 'ratio' && p.unnormalized === 'nuclear'));
    const win = [...stats('a-r', [1e-3, 2e-3, 1e-3]), ...stats('a-n', [0.2, 0.18, 0.19])];
    const bothFail = [...stats('s-r', [0.6, 0.62, 0.6]), ...stats('s-n', [0.2, 0.2, 0.21])];
    const c = normalizedPenaltyClaim([...win, ...bothFail], runs, 270, DEFAULT_THRESHOLDS);
    assert.equal(c.id, 10);
    assert.equal(c.verdict, 'supported');
    assert.match(c.evidence, /normalized alone recovers: adam; unnormalized alone: none/);
    const reversed = [...win, ...stats('s-r', [0.6, 0.62, 0.6]), ...stats('s-n', [1e-3, 1e-3, 2e-3])];
    assert.equal(normalizedPenaltyClaim(reversed, runs, 270, DEFAULT_THRESHOLDS).verdict, 'not supported');
    const noWin = [...stats('a-r', [0.3, 0.3, 0.3]), ...stats('a-n', [0.2, 0.2, 0.2])];
    assert.equal(normalizedPenaltyClaim(noWin, { adam: runs.adam }, 270, DEFAULT_THRESHOLDS).verdict, 'not supported');
    assert.equal(
      normalizedPenaltyClaim(win, { adam: { ratio: 'a-r' } }, 270, DEFAULT_THRESHOLDS).verdict,
      'inconclusive',
    );
  });

  it('the full claims run Adam with each paired penalty at the ablation m and evaluate claim 10', () => {
    const nuclear = FULL_CLAIMS.spec.methods.find((m) => m.name === 'adam + nuclear');
    assert.ok(nuclear);
    assert.deepEqual(
      [nuclear.penalty, nuclear.optimizer, nuclear.depth, nuclear.samples],
      ['nuclear', 'adam', 1, [2000]],
    );
    const adam = FULL_CLAIMS.spec.methods.find((m) => m.name === FULL_CLAIMS.config.adam)!;
    assert.deepEqual([nuclear.lr, nuclear.lambda, nuclear.maxIters], [adam.lr, adam.lambda, adam.maxIters]);
    assert.deepEqual(FULL_CLAIMS.config.normalizedPenalties, {
      adam: { ratio: 'adam + L*/F', nuclear: 'adam + nuclear', 'nuclear-spectral': 'adam + nuclear-spectral' },
    });
  });
});
