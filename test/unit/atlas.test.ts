// The optimizer atlas (issue 14): its sweeps, the learning-rate rule, the tail step, and its checkpoints.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ATLAS_FULL,
  ATLAS_QUICK,
  atlasCells,
  atlasSpec,
  atlasTable,
  cellName,
  chooseLearningRates,
  finalObjective,
  restrictProtocol,
  tuneName,
  tuningSpec,
  type AtlasProtocol,
} from '../../src/experiment/atlas.ts';
import { executeTask, tailStepShare, type RunRecord } from '../../src/experiment/execute.ts';
import { expandSweep } from '../../src/experiment/spec.ts';
import type { RunMetrics } from '../../src/experiment/run.ts';
import { OPTIMIZER_NAMES, namedOptimizer } from '../../src/optim/index.ts';
import { syntheticProblem } from '../../src/data/synthetic.ts';
import { train } from '../../src/solver/train.ts';
import { svd } from '../../src/linalg/svd.ts';
import type { Matrix } from '../../src/linalg/matrix.ts';
import { atlasFigures } from '../../src/report/atlas.ts';

/** A record with just what the atlas reads. */
function record(name: string, seed: number, metrics: Partial<RunMetrics> | null): RunRecord {
  return { name, seed, metrics, key: `${name}/${seed}`, settings: {} } as unknown as RunRecord;
}

const m = (trainMSE: number, ratio: number, nuclearNorm = 0): Partial<RunMetrics> => ({ trainMSE, ratio, nuclearNorm, relError: 0.5 });

describe('atlas sweeps', () => {
  it('the tuning sweep: every cell at every grid rate, on the tuning seed, a quarter of the cap', () => {
    const spec = tuningSpec(ATLAS_QUICK);
    assert.equal(spec.methods.length, OPTIMIZER_NAMES.length * 3 * 3 * ATLAS_QUICK.lrGrid.length);
    assert.deepEqual(spec.seeds, [ATLAS_QUICK.tuneSeed]);
    assert.ok(!ATLAS_QUICK.seeds.includes(ATLAS_QUICK.tuneSeed), 'the tuning seed is not an atlas seed');
    assert.equal(new Set(spec.methods.map((x) => x.name)).size, spec.methods.length);
    for (const x of spec.methods) assert.equal(x.maxIters, 3000);
    assert.equal(ATLAS_FULL.n, 100);
    assert.equal(ATLAS_FULL.samples, 2000);
  });

  it('the rule picks the least final objective MSE + λ·R per cell; diverged rates are null; all diverged → none', () => {
    const p: AtlasProtocol = restrictProtocol(ATLAS_QUICK, { optimizers: ['adam', 'sgd'], penalties: ['ratio', 'nuclear'], depths: [1] });
    p.lrGrid = [0.01, 0.1, 1];
    const [adamRatio, adamNuc, sgdRatio] = [
      { optimizer: 'adam', penalty: 'ratio', depth: 1 },
      { optimizer: 'adam', penalty: 'nuclear', depth: 1 },
      { optimizer: 'sgd', penalty: 'ratio', depth: 1 },
    ] as const;
    const lam = p.lambda;
    const tuning = [
      // adam·ratio: objectives 0.1 + λ·1.5, 0.001 + λ·2 (least), 0.5 + λ
      record(tuneName(adamRatio, 0.01), 1000, m(0.1, 1.5)),
      record(tuneName(adamRatio, 0.1), 1000, m(0.001, 2)),
      record(tuneName(adamRatio, 1), 1000, m(0.5, 1)),
      // adam·nuclear: the nuclear norm counts, not the ratio: 0.01 + λ·100 vs 0.02 + λ·1 → 1 wins
      record(tuneName(adamNuc, 0.01), 1000, m(0.01, 1, 100)),
      record(tuneName(adamNuc, 1), 1000, m(0.02, 9, 1)),
      record(tuneName(adamNuc, 0.1), 1000, null),
      // sgd·ratio: every run diverged
      ...[0.01, 0.1, 1].map((lr) => record(tuneName(sgdRatio, lr), 1000, null)),
    ];
    const choices = chooseLearningRates(p, tuning);
    const of = (c: { optimizer: string; penalty: string }) => choices.find((x) => x.cell.optimizer === c.optimizer && x.cell.penalty === c.penalty)!;
    assert.equal(of(adamRatio).lr, 0.1);
    assert.deepEqual(of(adamRatio).grid.map((g) => g.objective), [0.1 + lam * 1.5, 0.001 + lam * 2, 0.5 + lam]);
    assert.equal(of(adamNuc).lr, 1);
    assert.equal(of(adamNuc).grid[1].objective, null);
    assert.equal(of(sgdRatio).lr, null);
    assert.equal(finalObjective('none', lam, m(0.3, 7) as RunMetrics), 0.3);

    // The atlas sweep runs only the cells with a rate, at that rate, on the protocol's seeds, recording tail steps.
    const spec = atlasSpec(p, choices);
    assert.deepEqual(spec.methods.map((x) => [x.name, x.lr]).sort(), [[cellName(adamNuc), 1], [cellName(adamRatio), 0.1]].sort());
    const tasks = expandSweep(spec);
    assert.equal(tasks.length, 2 * p.seeds.length);
    assert.ok(tasks.every((t) => t.recordTailStep === true));
    assert.notEqual(tasks[0].key, expandSweep({ ...spec, recordTailStep: false })[0].key, 'the tail flag is part of the key');

    const rows = atlasTable(choices, [record(cellName(adamRatio), 0, { relError: 0.2 }), record(cellName(adamRatio), 1, { relError: 0.4 }), record(cellName(adamRatio), 2, null)]);
    const row = rows.find((r) => r.cell.optimizer === 'adam' && r.cell.penalty === 'ratio')!;
    assert.ok(Math.abs(row.relError.mean - 0.3) < 1e-15);
    assert.equal(row.seeds, 2);
    assert.equal(row.diverged, 1);
    const figures = atlasFigures([], rows, 2);
    assert.deepEqual(figures.map((f) => f.id), ['atlas-heatmap'], 'no trajectories without runs that have checkpoints');
  });

  it('restrictProtocol keeps protocol order and rejects unknown names', () => {
    const p = restrictProtocol(ATLAS_FULL, { optimizers: ['muon', 'adam'], depths: [3, 1], seeds: [7] });
    assert.deepEqual(p.optimizers, ['adam', 'muon']);
    assert.deepEqual(p.depths, [1, 3]);
    assert.deepEqual(p.seeds, [7]);
    assert.equal(atlasCells(p).length, 2 * 3 * 2);
    assert.throws(() => restrictProtocol(ATLAS_FULL, { optimizers: ['lion'] }), /optimizers must be among .*adam-frozen, got "lion"/);
  });
});

describe('the tail step', () => {
  const mat = (rows: number, cols: number, f: (i: number, j: number) => number): Matrix => ({
    rows,
    cols,
    data: Float64Array.from({ length: rows * cols }, (_, k) => f(Math.floor(k / cols), k % cols)),
  });

  it('tailStepShare by hand: of ΔW = E11 + E22 + E14 off span(e1)×span(e1) only E22 is in the tail: 1/√3', () => {
    const W0 = mat(3, 4, (i, j) => (i === j ? 3 - i : 0));
    const W1 = mat(3, 4, (i, j) => W0.data[i * 4 + j] + (i === j && i < 2 ? 1 : 0) + (i === 0 && j === 3 ? 1 : 0));
    const e1 = (n: number) => mat(n, 1, (i) => (i === 0 ? 1 : 0));
    assert.ok(Math.abs(tailStepShare(W0, W1, e1(3), e1(4)) - Math.sqrt(1 / 3)) < 1e-15);
    assert.equal(tailStepShare(W0, W0, e1(3), e1(4)), 0);
  });

  it('a recorded checkpoint holds the tail share of that step: sgd, depth 1, recomputed from the gradient by hand', () => {
    const settings = { method: 'gradient', n: 10, rank: 2, samples: 40, seed: 3, depth: 1, penalty: 'none', lambda: 0, optimizer: 'sgd', lr: 2, initScale: 0.1, maxIters: 10, tol: 0 } as const;
    const rec = executeTask({ key: 'k', name: 'x', settings, recordSpectrumEvery: 5, recordTailStep: true }, { version: 't', sweep: 't' });
    const cp = rec.checkpoints!.find((c) => c.step === 5)!;
    assert.ok(cp.tailStep !== undefined);
    // At depth 1 the report of step 5 carries the live layer, W after 5 updates; the next update is
    // −lr·(2/|Ω|)·P_Ω(W − M), taken at that W. (At depth > 1 the report carries the product before its update.)
    const p = syntheticProblem(settings);
    const W = train(p.observations, { ...settings, optimizer: namedOptimizer('sgd', { lr: 2 }), maxIters: 5 }).W;
    const W1 = { rows: 10, cols: 10, data: Float64Array.from(W.data) };
    const { rows, cols, values } = p.observations;
    for (let k = 0; k < values.length; k++) W1.data[rows[k] * 10 + cols[k]] -= 2 * (2 / values.length) * (W.data[rows[k] * 10 + cols[k]] - values[k]);
    const s = svd(W);
    const top = (A: Matrix) => mat(10, 2, (i, l) => A.data[i * A.cols + l]);
    const expected = tailStepShare(W, W1, top(s.U), top(s.V));
    assert.ok(Math.abs(cp.tailStep! - expected) < 1e-9, `recorded ${cp.tailStep}, by hand ${expected}`);
    assert.ok(expected > 0.3 && expected < 1, `the sgd step is mostly in the tail (${expected})`);
  });
});
