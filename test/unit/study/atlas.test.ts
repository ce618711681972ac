// The optimizer atlas: its sweeps, the learning-rate rule, the tail step, and its checkpoints.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ATLAS_FULL as FULL_PRESET,
  ATLAS_PENALTIES,
  ATLAS_QUICK as QUICK_PRESET,
  atlasCells,
  atlasSpec,
  atlasSweepName,
  atlasTable,
  cellName,
  chooseLearningRates,
  finalObjective,
  restrictProtocol,
  tuneName,
  tuningSpec,
  type AtlasProtocol,
} from '../../../src/study/atlas.ts';
import { executeTask, tailStepShare, type RunRecord } from '../../../src/sweep/execute.ts';
import { expandSweep, validateSweepSpec } from '../../../src/sweep/spec.ts';
import type { RunMetrics } from '../../../src/methods/run.ts';
import { OPTIMIZER_NAMES, namedOptimizer } from '../../../src/optim/index.ts';
import { syntheticProblem } from '../../../src/data/synthetic.ts';
import { train } from '../../../src/solver/train.ts';
import { svd } from '../../../src/linalg/svd.ts';
import type { Matrix } from '../../../src/linalg/matrix.ts';
import { atlasFigures } from '../../../src/report/atlas.ts';
import { holdoutObservations, runSynthetic } from '../../../src/methods/run.ts';
import { splitObservations } from '../../../src/data/split.ts';
import type { Observations } from '../../../src/data/observations.ts';
import { openResults } from '../../../src/sweep/results.ts';
import { sweep } from '../../../src/sweep/sweep.ts';
import { InputError } from '../../../src/data/input-error.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// These tests pin the 'full' tuning protocol on one tuning seed, the atlas's protocol before successive halving
// (test/unit/study/atlas-halving.test.ts tests the default one).
const ATLAS_FULL: AtlasProtocol = { ...FULL_PRESET, tuning: 'full', tuneSeedCount: 1 };
const ATLAS_QUICK: AtlasProtocol = { ...QUICK_PRESET, tuning: 'full', tuneSeedCount: 1 };

/** A record with just what the atlas reads. */
function record(name: string, seed: number, metrics: Partial<RunMetrics> | null): RunRecord {
  return { name, seed, metrics, key: `${name}/${seed}`, settings: {} } as unknown as RunRecord;
}

const m = (trainMSE: number, ratio: number, nuclearNorm = 0): Partial<RunMetrics> => ({
  trainMSE,
  ratio,
  nuclearNorm,
  relError: 0.5,
});

describe('atlas sweeps', () => {
  it('the tuning sweep: every cell at every grid rate, on the tuning seed, the whole cap by default or a share of it', () => {
    const spec = tuningSpec({ ...ATLAS_QUICK, tuneFraction: 0.25 });
    assert.equal(spec.methods.length, OPTIMIZER_NAMES.length * ATLAS_PENALTIES.length * 3 * ATLAS_QUICK.lrGrid.length);
    assert.deepEqual(spec.seeds, [ATLAS_QUICK.tuneSeed]);
    assert.ok(!ATLAS_QUICK.seeds.includes(ATLAS_QUICK.tuneSeed), 'the tuning seed is not an atlas seed');
    assert.equal(new Set(spec.methods.map((x) => x.name)).size, spec.methods.length);
    for (const x of spec.methods) assert.equal(x.maxIters, 3000);
    const full = tuningSpec(ATLAS_QUICK);
    assert.ok(
      full.methods.every((x) => x.maxIters === 12000),
      'by default the tuning runs take the whole cap',
    );
    assert.equal(tuningSpec(ATLAS_FULL).methods.find((x) => x.penalty === 'none')!.maxIters, 40000);
    assert.notEqual(expandSweep(full)[0].key, expandSweep(spec)[0].key, 'another share, other tuning runs');
    assert.equal(ATLAS_FULL.n, 100);
    assert.equal(ATLAS_FULL.samples, 2000);
  });

  it('the rule picks the least final objective MSE + λ·R per cell; diverged rates are null; all diverged → none', () => {
    const p: AtlasProtocol = restrictProtocol(ATLAS_QUICK, {
      optimizers: ['adam', 'sgd'],
      penalties: ['ratio', 'nuclear'],
      depths: [1],
    });
    p.lrGrid = [0.01, 0.1, 1];
    p.lrRule = 'objective';
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
    const of = (c: { optimizer: string; penalty: string }) =>
      choices.find((x) => x.cell.optimizer === c.optimizer && x.cell.penalty === c.penalty)!;
    assert.equal(of(adamRatio).lr, 0.1);
    assert.deepEqual(
      of(adamRatio).grid.map((g) => g.value),
      [0.1 + lam * 1.5, 0.001 + lam * 2, 0.5 + lam],
    );
    assert.equal(of(adamNuc).lr, 1);
    assert.equal(of(adamNuc).grid[1].value, null);
    assert.ok(choices.every((c) => c.rule === 'objective'));
    assert.equal(of(sgdRatio).lr, null);
    assert.equal(finalObjective('none', lam, m(0.3, 7) as RunMetrics), 0.3);

    // The atlas sweep runs only the cells with a rate, at that rate, on the protocol's seeds, recording tail steps.
    const spec = atlasSpec(p, choices);
    assert.deepEqual(
      spec.methods.map((x) => [x.name, x.lr]).sort(),
      [
        [cellName(adamNuc), 1],
        [cellName(adamRatio), 0.1],
      ].sort(),
    );
    const tasks = expandSweep(spec);
    assert.equal(tasks.length, 2 * p.seeds.length);
    assert.ok(tasks.every((t) => t.recordTailStep === true));
    assert.notEqual(
      tasks[0].key,
      expandSweep({ ...spec, recordTailStep: false })[0].key,
      'the tail flag is part of the key',
    );

    const rows = atlasTable(choices, [
      record(cellName(adamRatio), 0, { relError: 0.2 }),
      record(cellName(adamRatio), 1, { relError: 0.4 }),
      record(cellName(adamRatio), 2, null),
    ]);
    const row = rows.find((r) => r.cell.optimizer === 'adam' && r.cell.penalty === 'ratio')!;
    assert.ok(Math.abs(row.relError.mean - 0.3) < 1e-15);
    assert.equal(row.seeds, 2);
    assert.equal(row.diverged, 1);
    const figures = atlasFigures([], rows, 2);
    assert.deepEqual(
      figures.map((f) => f.id),
      ['atlas-heatmap'],
      'no trajectories without runs that have checkpoints',
    );
  });

  it('restrictProtocol keeps protocol order and rejects unknown names', () => {
    const p = restrictProtocol(ATLAS_FULL, { optimizers: ['muon', 'adam'], depths: [3, 1], seeds: [7] });
    assert.deepEqual(p.optimizers, ['adam', 'muon']);
    assert.deepEqual(p.depths, [1, 3]);
    assert.deepEqual(p.seeds, [7]);
    assert.equal(atlasCells(p).length, 2 * ATLAS_PENALTIES.length * 2);
    assert.throws(
      () => restrictProtocol(ATLAS_FULL, { optimizers: ['lion'] }),
      /optimizers must be among .*adam-frozen, got "lion"/,
    );
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
    const settings = {
      method: 'gradient',
      n: 10,
      rank: 2,
      samples: 40,
      seed: 3,
      depth: 1,
      penalty: 'none',
      lambda: 0,
      optimizer: 'sgd',
      lr: 2,
      initScale: 0.1,
      maxIters: 10,
      tol: 0,
    } as const;
    const rec = executeTask(
      { key: 'k', name: 'x', settings, recordSpectrumEvery: 5, recordTailStep: true },
      { version: 't', sweep: 't' },
    );
    const cp = rec.checkpoints!.find((c) => c.step === 5)!;
    assert.ok(cp.tailStep !== undefined);
    // At depth 1 the report of step 5 carries the live layer, W after 5 updates; the next update is
    // −lr·(2/|Ω|)·P_Ω(W − M), taken at that W. (At depth > 1 the report carries the product before its update.)
    const p = syntheticProblem(settings);
    const W = train(p.observations, { ...settings, optimizer: namedOptimizer('sgd', { lr: 2 }), maxIters: 5 }).W;
    const W1 = { rows: 10, cols: 10, data: Float64Array.from(W.data) };
    const { rows, cols, values } = p.observations;
    for (let k = 0; k < values.length; k++)
      W1.data[rows[k] * 10 + cols[k]] -= 2 * (2 / values.length) * (W.data[rows[k] * 10 + cols[k]] - values[k]);
    const s = svd(W);
    const top = (A: Matrix) => mat(10, 2, (i, l) => A.data[i * A.cols + l]);
    const expected = tailStepShare(W, W1, top(s.U), top(s.V));
    assert.ok(Math.abs(cp.tailStep! - expected) < 1e-9, `recorded ${cp.tailStep}, by hand ${expected}`);
    assert.ok(expected > 0.3 && expected < 1, `the sgd step is mostly in the tail (${expected})`);
  });
});

describe('the holdout learning-rate rule', () => {
  /** Entries per row and per column. */
  const counts = (o: Observations) => {
    const rows = new Array<number>(o.shape[0]).fill(0);
    const cols = new Array<number>(o.shape[1]).fill(0);
    for (let t = 0; t < o.values.length; t++) {
      rows[o.rows[t]]++;
      cols[o.cols[t]]++;
    }
    return { rows, cols };
  };
  /** The entries as "i,j=v" strings, sorted. */
  const entries = (o: Observations) => Array.from(o.values, (v, t) => `${o.rows[t]},${o.cols[t]}=${v}`).sort();
  /** Whether every row and column with ≥ r entries in Ω keeps ≥ r in `fit`, and one with fewer keeps all. */
  const keepsRank = (all: Observations, fit: Observations, r: number): boolean => {
    const a = counts(all);
    const f = counts(fit);
    return [...a.rows.map((c, i) => [c, f.rows[i]]), ...a.cols.map((c, j) => [c, f.cols[j]])].every(
      ([c, k]) => k >= Math.min(c, r),
    );
  };

  it('the split partitions Ω, keeps every row and column at ≥ r entries, and is fixed by the seed', () => {
    // The quick atlas's tuning problem, and a thin one near the information limit (4.5 entries a row for rank 3).
    for (const spec of [
      { n: 30, rank: 2, samples: 270, seed: 1000 },
      { n: 20, rank: 3, samples: 90, seed: 4 },
    ]) {
      const obs = syntheticProblem(spec).observations;
      const { fit, held } = holdoutObservations(obs, 0.1, spec.seed, spec.rank);
      assert.deepEqual(
        [...entries(fit), ...entries(held)].sort(),
        entries(obs),
        'fit and held-out part are Ω, disjoint',
      );
      assert.ok(
        held.values.length >= 1 && held.values.length <= Math.round(0.1 * spec.samples),
        `held out ${held.values.length}`,
      );
      assert.ok(keepsRank(obs, fit, spec.rank), `n=${spec.n}: a row or column kept fewer than r entries`);
      const again = holdoutObservations(obs, 0.1, spec.seed, spec.rank);
      assert.deepEqual(entries(again.held), entries(held), 'same seed, same held-out entries');
      assert.notDeepEqual(
        entries(holdoutObservations(obs, 0.1, spec.seed + 1, spec.rank).held),
        entries(held),
        'another seed, others',
      );
    }
    // The rule binds on the thin problem: a plain uniform tenth (data/split.ts) leaves some row or column below r.
    const thin = syntheticProblem({ n: 20, rank: 3, samples: 90, seed: 4 }).observations;
    const uniformBreaks = [0, 1, 2, 3, 4, 5, 6, 7].some(
      (seed) => !keepsRank(thin, splitObservations(thin, 0.1, seed).train, 3),
    );
    assert.ok(uniformBreaks, 'a uniform split would have broken identifiability for some seed');
    assert.throws(() => holdoutObservations(thin, 0, 1, 3), /holdout must be a share in \(0, 1\)/);
  });

  it('a holdout run trains on Ω∖H only and reports the RMSE on H, recomputed by hand', () => {
    const settings = {
      n: 12,
      rank: 2,
      samples: 70,
      seed: 5,
      depth: 1,
      penalty: 'ratio',
      lambda: 1e-3,
      optimizer: 'adam',
      lr: 0.01,
      initScale: 1e-3,
      maxIters: 60,
      tol: 0,
    } as const;
    let W: Matrix | null = null;
    const r = runSynthetic(
      { ...settings, holdout: 0.2 },
      { onSolution: (X) => void (W = { rows: X.rows, cols: X.cols, data: Float64Array.from(X.data) }) },
    );
    const obs = syntheticProblem(settings).observations;
    const { fit, held } = holdoutObservations(obs, 0.2, settings.seed, settings.rank);
    const byHand = train(fit, { ...settings, optimizer: namedOptimizer('adam', { lr: 0.01 }) }).W;
    assert.deepEqual(Array.from(W!.data), Array.from(byHand.data), 'the same W as training on the fitting part');
    const full = train(obs, { ...settings, optimizer: namedOptimizer('adam', { lr: 0.01 }) }).W;
    assert.notDeepEqual(Array.from(full.data), Array.from(byHand.data), 'training on all of Ω gives another W');
    const mse = (o: Observations) => {
      let s = 0;
      for (let t = 0; t < o.values.length; t++) s += (byHand.data[o.rows[t] * 12 + o.cols[t]] - o.values[t]) ** 2;
      return s / o.values.length;
    };
    assert.ok(
      Math.abs(r.heldoutRMSE! - Math.sqrt(mse(held))) <= 1e-12 * Math.sqrt(mse(held)),
      `${r.heldoutRMSE} vs ${Math.sqrt(mse(held))}`,
    );
    assert.ok(Math.abs(r.trainMSE - mse(fit)) <= 1e-12 * mse(fit), 'trainMSE is over the entries trained on');
    assert.equal(r.settings.holdout, 0.2);
    assert.equal(runSynthetic(settings).heldoutRMSE, undefined, 'no holdout, no heldoutRMSE');
    assert.throws(
      () => runSynthetic({ ...settings, holdout: 0.2, polish: true }),
      /holdout and polish cannot be combined/,
    );
    assert.throws(
      () => runSynthetic({ ...settings, depth: undefined, model: 'factored', k: 3, holdout: 0.2 }),
      /deep model only/,
    );
  });

  it('the rule picks the least held-out RMSE (not the least objective); diverged and non-finite are null; ties go to the smaller rate', () => {
    const p: AtlasProtocol = {
      ...restrictProtocol(ATLAS_QUICK, { optimizers: ['adam', 'sign', 'sgd'], penalties: ['ratio'], depths: [1] }),
      lrRule: 'holdout',
    };
    p.lrGrid = [1e-3, 1e-2, 1e-1, 1];
    const cell = (optimizer: 'adam' | 'sign' | 'sgd') => ({ optimizer, penalty: 'ratio', depth: 1 }) as const;
    const h = (heldoutRMSE: number, trainMSE: number, ratio: number): Partial<RunMetrics> => ({
      heldoutRMSE,
      trainMSE,
      ratio,
      relError: 0.5,
    });
    const tuning = [
      // adam: lr 0.1 has the least objective (1e-6 + λ·1.1) but a large held-out error; lr 0.01 wins on H.
      record(tuneName(cell('adam'), 1e-3), 1000, h(0.9, 0.5, 2)),
      record(tuneName(cell('adam'), 1e-2), 1000, h(0.05, 1e-3, 2.2)),
      record(tuneName(cell('adam'), 1e-1), 1000, h(0.7, 1e-6, 1.1)),
      record(tuneName(cell('adam'), 1), 1000, null),
      // sign: a tie between 1e-2 and 1e-3 (the smaller wins, whatever the record order); NaN counts as missing.
      record(tuneName(cell('sign'), 1e-2), 1000, h(0.2, 0.1, 2)),
      record(tuneName(cell('sign'), 1e-3), 1000, h(0.2, 0.1, 2)),
      record(tuneName(cell('sign'), 1e-1), 1000, h(NaN, 0, 2)),
      // sgd: every run diverged or lacks the held-out error (an objective-rule record).
      record(tuneName(cell('sgd'), 1e-3), 1000, m(0.01, 2)),
      ...[1e-2, 1e-1, 1].map((lr) => record(tuneName(cell('sgd'), lr), 1000, null)),
    ];
    const choices = chooseLearningRates(p, tuning);
    const of = (o: string) => choices.find((c) => c.cell.optimizer === o)!;
    assert.equal(of('adam').lr, 1e-2);
    assert.equal(of('adam').rule, 'holdout');
    assert.deepEqual(of('adam').grid, [
      { lr: 1e-3, value: 0.9 },
      { lr: 1e-2, value: 0.05 },
      { lr: 1e-1, value: 0.7 },
      { lr: 1, value: null },
    ]);
    assert.equal(
      chooseLearningRates({ ...p, lrRule: 'objective' }, tuning).find((c) => c.cell.optimizer === 'adam')!.lr,
      1e-1,
      'the objective rule would pick 0.1',
    );
    assert.equal(of('sign').lr, 1e-3);
    assert.equal(of('sign').grid[2].value, null);
    assert.equal(of('sgd').lr, null);
    const rows = atlasTable(choices, []);
    assert.ok(
      rows.every((r) => r.rule === 'holdout'),
      'each table row says which rule chose its rate',
    );
  });

  it('a sweep spec takes "holdout" as a share in (0, 1), into the run settings; other values name the field', () => {
    const spec = (holdout: unknown) => ({
      n: 10,
      rank: 2,
      samples: [40],
      seeds: [0],
      methods: [{ name: 'h', method: 'gradient', holdout }],
    });
    const [task] = expandSweep(validateSweepSpec(spec(0.1), 's.json'));
    assert.equal((task.settings as { holdout?: number }).holdout, 0.1);
    for (const bad of [0, 1, 1.5, '0.1'])
      assert.throws(
        () => validateSweepSpec(spec(bad), 's.json'),
        /s\.json: methods\[0\]\.holdout: expected a share in \(0, 1\)/,
      );
    const { methods } = validateSweepSpec({ ...spec(0.1), methods: [{ name: 'h', method: 'gradient' }] }, 's.json');
    assert.ok(!('holdout' in methods[0]), 'absent stays absent (run keys of other sweeps unchanged)');
  });

  it('the two rules are two sweeps: other names and keys, holdout on every tuning run, a resume with the other rule refused', async () => {
    const one = restrictProtocol(ATLAS_QUICK, { optimizers: ['sgd'], penalties: ['none'], depths: [1] });
    const rule = (lrRule: 'objective' | 'holdout'): AtlasProtocol => ({
      ...one,
      lrRule,
      lrGrid: [0.1],
      tuneFraction: 10 / one.unpenalizedMaxIters,
    });
    const [obj, hold] = [tuningSpec(rule('objective')), tuningSpec(rule('holdout'))];
    assert.equal(obj.name, 'atlas-quick-tune');
    assert.equal(hold.name, 'atlas-quick-holdout-tune');
    assert.equal(atlasSweepName(rule('holdout')), 'atlas-quick-holdout');
    assert.equal(atlasSpec(rule('objective'), []).name, 'atlas-quick');
    assert.ok(
      hold.methods.every((x) => x.holdout === ATLAS_QUICK.holdoutFraction) &&
        obj.methods.every((x) => x.holdout === undefined),
    );
    const [objTask] = expandSweep(obj);
    const [holdTask] = expandSweep(hold);
    assert.notEqual(objTask.key, holdTask.key);

    // A tuning file written under the holdout rule: resuming it under the objective rule is refused, under its own rule it reruns nothing.
    const out = join(mkdtempSync(join(tmpdir(), 'mcomplete-atlas-rule-')), 'tuning.jsonl');
    const rec = executeTask(holdTask, { version: 't', sweep: hold.name });
    assert.equal(rec.settings.maxIters, 10);
    assert.ok(typeof rec.metrics?.heldoutRMSE === 'number', 'the tuning record carries its held-out RMSE');
    const w = openResults(out, { truncate: true });
    w.append(rec);
    w.close();
    await assert.rejects(
      sweep(obj, { out, resume: true, workers: 1 }),
      (err: unknown) => err instanceof InputError && /another sweep \("atlas-quick-holdout-tune"\)/.test(err.message),
    );
    const same = await sweep(hold, { out, resume: true, workers: 1 });
    assert.equal(same.records.length, 1);
    assert.equal(same.skipped, 1);
  });
});
