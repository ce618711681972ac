import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { syntheticProblem } from '../../../src/data/synthetic.ts';
import { svd } from '../../../src/linalg/svd.ts';
import { zeros } from '../../../src/linalg/matrix.ts';
import {
  effectiveRank,
  ratioValue,
  relativeError,
  relativeErrorUnobserved,
  trainMSE,
} from '../../../src/metrics/index.ts';
import { colourScale, makeTarget, summarize } from '../../../web/snapshot.ts';
import { createSession } from '../../../web/session.ts';
import { DEFAULT_STATE, type PageState } from '../../../web/state.ts';
import {
  appendRow,
  createHistory,
  makeRow,
  positiveColumn,
  toPoint,
  type HistoryRow,
  type RunPoint,
} from '../../../web/history.ts';
import { divergingColor } from '../../../web/heatmap.ts';
import { buildResults } from '../../../web/results.ts';
import { randomMatrix } from '../../helpers/random.ts';

const close = (a: number, b: number, tol = 1e-12): boolean => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

describe('snapshot summaries', () => {
  const problem = syntheticProblem({ n: 12, rank: 2, samples: 50, seed: 4 });
  const target = makeTarget(problem);

  it('agree with the library metrics', () => {
    const W = randomMatrix(12, 12, 9);
    const { s } = svd(W);
    const m = summarize(W, target, s);
    assert.ok(close(m.relAll, relativeError(W, problem.truth)));
    assert.ok(close(m.relUnobserved ?? NaN, relativeErrorUnobserved(W, problem.truth, problem.observations) ?? NaN));
    assert.ok(close(m.trainMSE, trainMSE(W, problem.observations)));
    assert.equal(m.ratio, ratioValue(s));
    assert.equal(m.effectiveRank, effectiveRank(s));
    assert.deepEqual(Array.from(m.singularValues), Array.from(s));
    // Observed error: ||P_Ω(W − W*)|| / ||P_Ω(W*)||, from the definition.
    let num = 0;
    let den = 0;
    for (let k = 0; k < 50; k++) {
      const idx = problem.observations.rows[k] * 12 + problem.observations.cols[k];
      num += (W.data[idx] - problem.truth.data[idx]) ** 2;
      den += problem.truth.data[idx] ** 2;
    }
    assert.ok(close(m.relObserved, Math.sqrt(num / den)));
  });

  it('give error 0 at the truth and 1 at zero', () => {
    const atTruth = summarize(problem.truth, target, svd(problem.truth).s);
    assert.equal(atTruth.relAll, 0);
    assert.equal(atTruth.relObserved, 0);
    const atZero = summarize(zeros(12, 12), target, new Float64Array(12));
    assert.equal(atZero.relAll, 1);
    assert.equal(atZero.relUnobserved, 1);
  });

  it('count the mask and the truth norms', () => {
    assert.equal(target.count, 50);
    assert.equal(
      target.mask.reduce((a, b) => a + b, 0),
      50,
    );
    const total = problem.truth.data.reduce((a, b) => a + b * b, 0);
    assert.ok(close(target.ssObserved + target.ssUnobserved, total));
  });

  it('reject a W of the wrong shape', () => {
    assert.throws(() => summarize(zeros(3, 3), target, new Float64Array(3)), /W is 3×3/);
  });

  it('scale heatmaps by 2.5 × the RMS, at most the largest |entry| (1 for zeros)', () => {
    assert.equal(colourScale([1, -3, 2]), 3);
    const spiky = new Float64Array(100).fill(1);
    spiky[0] = 50;
    assert.ok(Math.abs(colourScale(spiky) - 2.5 * Math.sqrt((2500 + 99) / 100)) < 1e-12);
    assert.equal(colourScale(new Float32Array(4)), 1);
  });
});

describe('training session (the worker engine)', () => {
  const state: PageState = {
    ...DEFAULT_STATE,
    n: 12,
    rank: 1,
    fraction: 0.5,
    maxSteps: 300,
    runs: [
      { depth: 1, penalty: 'ratio', lambda: 1e-4, optimizer: 'adam', lr: 1e-2 },
      { depth: 1, penalty: 'ratio', lambda: 1e-4, optimizer: 'sgd', lr: 1e9 },
    ],
  };

  it('steps both runs in lockstep, reports a divergence, and finishes at the step cap', () => {
    const session = createSession(state);
    const first = session.snapshot(0);
    assert.deepEqual(
      first.map((r) => r.step),
      [0, 0],
    );
    assert.ok(first[0].metrics.relAll > 0.99, 'starts near W = 0');
    let changes = 0;
    while (!session.done()) if (session.stepAll()) changes++;
    const last = session.snapshot(1000);
    assert.equal(last[0].status, 'done');
    assert.equal(last[0].stopReason, 'max-iters');
    assert.equal(last[0].step, 300);
    assert.ok((last[0].metrics.relUnobserved ?? NaN) < (first[0].metrics.relUnobserved ?? NaN), 'adam made progress');
    assert.equal(last[0].estimate.length, 144);
    assert.equal(last[1].status, 'diverged');
    assert.match(last[1].error ?? '', /diverged/);
    assert.equal(changes, 2);
  });

  it('trains the atlas optimizers in both runs (muon and adafactor treat each layer as a matrix)', () => {
    const pairs = [
      ['muon', 'adafactor'],
      ['sign', 'normalized-gd'],
      ['adamw', 'adam-frozen'],
    ] as const;
    for (const [a, b] of pairs) {
      const session = createSession({
        ...state,
        maxSteps: 200,
        runs: [
          { depth: 2, penalty: 'ratio', lambda: 1e-4, optimizer: a, lr: 1e-2 },
          { depth: 1, penalty: 'ratio', lambda: 1e-4, optimizer: b, lr: 1e-2 },
        ],
      });
      const first = session.snapshot(0);
      while (!session.done()) session.stepAll();
      const last = session.snapshot(1000);
      for (const i of [0, 1]) {
        assert.equal(last[i].status, 'done', `${[a, b][i]}: ${last[i].error}`);
        assert.equal(last[i].step, 200);
        assert.ok(
          last[i].metrics.relObserved < first[i].metrics.relObserved,
          `${[a, b][i]} fitted the observed entries`,
        );
      }
    }
  });

  it('gives both runs the same problem as the library (same seed, same numbers)', () => {
    const session = createSession(state);
    const problem = syntheticProblem({ n: 12, rank: 1, samples: 72, seed: state.seed });
    assert.deepEqual(session.problem.truth.data, problem.truth.data);
    assert.deepEqual(session.problem.observations.rows, problem.observations.rows);
  });
});

describe('history', () => {
  const point = (v: number): RunPoint => ({
    trainMSE: v,
    relObserved: v,
    relUnobserved: v,
    relAll: v,
    ratio: v,
    effectiveRank: v,
    sv: [v],
  });

  it('keeps the largest singular values of a snapshot', () => {
    const p = toPoint({ ...point(1), singularValues: Float64Array.from([5, 4, 3, 2, 1]) }, 3);
    assert.deepEqual(p.sv, [5, 4, 3]);
  });

  it('rows are measured at the largest step; a run that stopped earlier gets null', () => {
    const row = makeRow([
      { step: 40, point: point(1) },
      { step: 25, point: point(2) },
    ]);
    assert.equal(row.step, 40);
    assert.deepEqual(row.runs, [point(1), null]);
  });

  it('stays bounded, keeps first and last, and covers the whole run evenly', () => {
    const h = createHistory(100);
    for (let step = 0; step <= 10000; step += 10) {
      appendRow(h, { step, runs: [point(step)] });
      assert.ok(h.rows.length <= 100);
    }
    const rows = h.rows;
    assert.ok(rows.length >= 50, `${rows.length} rows`);
    assert.equal(rows[0].step, 0);
    assert.equal(rows[rows.length - 1].step, 10000);
    for (let i = 1; i < rows.length; i++) assert.ok(rows[i].step > rows[i - 1].step);
    const gaps = rows.slice(1).map((r, i) => r.step - rows[i].step);
    // Even spacing, but for the latest row (it is kept whatever its step).
    const inner = gaps.slice(0, -1);
    assert.equal(Math.max(...inner), Math.min(...inner), `gaps ${Math.min(...inner)}…${Math.max(...inner)}`);
  });

  it('replaces a row of the same step', () => {
    const h = createHistory(10);
    appendRow(h, { step: 5, runs: [point(1)] });
    appendRow(h, { step: 5, runs: [point(2)] });
    assert.deepEqual(h.rows, [{ step: 5, runs: [point(2)] }]);
  });

  it('columns for log charts drop missing and non-positive values', () => {
    const rows: HistoryRow[] = [
      { step: 0, runs: [point(1), null] },
      { step: 1, runs: [point(0), point(2)] },
      { step: 2, runs: [point(NaN), point(3)] },
    ];
    assert.deepEqual(
      positiveColumn(rows, 0, (p) => p.relAll),
      [1, null, null],
    );
    assert.deepEqual(
      positiveColumn(rows, 1, (p) => p.relAll),
      [null, 2, 3],
    );
  });
});

describe('heatmap colours', () => {
  it('are white at 0, red at +scale, blue at −scale, and saturate beyond', () => {
    assert.deepEqual(divergingColor(0, 1), [255, 255, 255]);
    const red = divergingColor(2, 2);
    const blue = divergingColor(-2, 2);
    assert.ok(red[0] > red[2] && red[0] > red[1], `red ${red}`);
    assert.ok(blue[2] > blue[0] && blue[2] > blue[1], `blue ${blue}`);
    assert.deepEqual(divergingColor(10, 2), red);
    assert.deepEqual(divergingColor(NaN, 1), [0, 0, 0]);
  });
});

describe('results JSON', () => {
  it("holds the settings, each run's final state and the history as columns, and survives JSON", () => {
    const state: PageState = { ...DEFAULT_STATE, n: 10, rank: 1, maxSteps: 20 };
    const session = createSession(state);
    const h = createHistory(100);
    const record = (): void => {
      const snaps = session.snapshot(0);
      appendRow(h, makeRow(snaps.map((r) => ({ step: r.step, point: toPoint(r.metrics) }))));
    };
    record();
    while (!session.done()) {
      session.stepAll();
      record();
    }
    const results = buildResults(state, 'http://host/?n=10', session.snapshot(0), h.rows);
    const back = JSON.parse(JSON.stringify(results)) as typeof results;
    assert.deepEqual(back.settings, state);
    assert.equal(back.problem.samples, 30);
    // Run B (gradient descent, lr 100) diverges on this 10×10 rank-1 problem (NaN at step 205 before the growth rule
    // of DIVERGENCE_GROWTH; its objective passes 1e6 × its start at step 5): the results record it as diverged.
    assert.deepEqual(
      back.runs.map((r) => [r.label, r.step, r.status]),
      [
        ['A', 20, 'done'],
        ['B', 4, 'diverged'],
      ],
    );
    assert.equal(back.runs[0].final.singularValues.length, 10);
    assert.equal(back.history.step.length, 21);
    assert.equal(back.history.runs[1].relUnobserved.length, 21);
    assert.equal(back.history.runs[0].sv[0]?.length, 10);
  });
});
