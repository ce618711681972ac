// The gradient methods' search (successive halving) and the weight-decay / weighting candidates of complete().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { complete } from '../../../src/complete/index.ts';
import { fitBiases, residualObservations } from '../../../src/complete/biases.ts';
import { fitGradient } from '../../../src/complete/factored-fit.ts';
import {
  gradientCandidates,
  halvingSchedule,
  makeEvaluator,
  tuneGradient,
  type TuningTally,
} from '../../../src/complete/tune.ts';
import { parseTriplets } from '../../../src/data/formats/triplets.ts';
import { splitObservations } from '../../../src/data/split.ts';
import { ratingsProblem } from '../../helpers/ratings.ts';
import {
  alsIterationWork,
  BUDGET_SPEEDUP,
  fitGridToBudget,
  searchWork,
  softImputeBudgetCut,
  softImputePathWork,
} from '../../../src/complete/grid.ts';

test('halvingSchedule: rungs of ceil(n/3^r) candidates with 3× the steps, the last at the step cap', () => {
  assert.deepEqual(halvingSchedule(27, 2700), [
    { candidates: 27, budget: 100 },
    { candidates: 9, budget: 300 },
    { candidates: 3, budget: 900 },
    { candidates: 1, budget: 2700 },
  ]);
  // The smallest budget stays >= 100 steps: fewer rungs than log_3(n) when the cap is small.
  assert.deepEqual(halvingSchedule(100, 900), [
    { candidates: 100, budget: 100 },
    { candidates: 34, budget: 300 },
    { candidates: 12, budget: 900 },
  ]);
  // Few candidates: every one in full.
  assert.deepEqual(halvingSchedule(3, 2000), [{ candidates: 3, budget: 2000 }]);
});

const problem = ratingsProblem({ m: 30, n: 24, rank: 2, p: 0.5, noise: 0.3, seed: 7, offset: 3 });
const observed = parseTriplets(problem.observedCsv, {
  file: 'o.csv',
  columns: ['user', 'item', 'rating'],
}).observations;

test('successive halving: the schedule is followed, and a candidate’s trial is a plain run of its last budget (same seed, same path)', () => {
  const { train: fit, heldOut: val } = splitObservations(observed, 0.1, 0, 'validation');
  const b = fitBiases(fit, 2);
  const resid = residualObservations(fit, b);
  const evaluate = makeEvaluator(fit, val, b, null);
  const candidates = gradientCandidates([2, 4], [1e-2], [0, 0.03, 0.3], ['frequency', 'none']).filter(
    (c) => c.weightDecay > 0 || c.rank <= 2,
  );
  const settings = {
    nuclearWeight: 0,
    decay: 'loss' as const,
    lr: 1e-2,
    initScale: 1e-2,
    seed: 0,
    maxSteps: 900,
    evalEvery: 25,
    patience: 8,
  };
  const tally: TuningTally = { done: 0, total: 0, report: () => {} };
  const r = tuneGradient('ratio', resid, candidates, settings, { evaluate, tally });
  assert.equal(r.trials.length, candidates.length);
  assert.deepEqual(r.rungs, halvingSchedule(candidates.length, 900));
  const budgets = r.rungs.map((g) => g.budget);
  for (const t of r.trials) assert.ok(budgets.includes(t.budget!), `budget ${t.budget}`);
  // A candidate given the last rung's budget was among the best third at the rung before.
  const last = r.trials.filter((t) => t.budget === budgets[budgets.length - 1]);
  assert.ok(last.length <= r.rungs[r.rungs.length - 1].candidates);
  assert.ok(r.steps <= r.rungs.reduce((a, g) => a + g.candidates * g.budget, 0));
  // Re-running the winner's setting on its own gives the same validation curve, bit for bit.
  const best = r.trials.reduce((a, t) => (t.validationRMSE < a.validationRMSE ? t : a));
  let again = Infinity;
  fitGradient(
    resid,
    {
      method: 'ratio',
      rank: best.rank,
      lambda: best.lambda,
      weightDecay: best.weightDecay!,
      weighting: best.weighting!,
      nuclearWeight: 0,
      decay: 'loss',
      lr: 1e-2,
      initScale: 1e-2,
      seed: 0,
      steps: best.budget!,
    },
    {
      evalEvery: 25,
      onEvaluate: ({ model }) => {
        again = Math.min(again, evaluate(model.A, model.B));
        return false;
      },
    },
  );
  assert.equal(again, best.validationRMSE);
});

test('complete(): decoupled weight decay (AdamW) and the weighted penalties run through the report', () => {
  const model = complete(observed, {
    method: 'ratio',
    ranks: [4],
    lambdas: [1e-2],
    weightDecays: [0.1],
    weightings: ['frequency'],
    decay: 'decoupled',
    seed: 1,
  });
  const c = model.report.chosen;
  assert.equal(c.weightDecay, 0.1);
  assert.equal(c.weighting, 'frequency');
  assert.deepEqual(
    model.report.searches.map((s) => [s.method, s.strategy, s.candidates]),
    [['ratio', 'every candidate in full', 1]],
  );
  assert.throws(
    () => complete(observed, { method: 'ratio', weightings: ['rows' as 'none'] }),
    /weightings must be a non-empty list of none, frequency/,
  );
  assert.throws(
    () => complete(observed, { method: 'ratio', weightDecays: [-1] }),
    /weightDecays must be a non-empty list of numbers >= 0/,
  );
  assert.throws(
    () => complete(observed, { method: 'ratio', decay: 'x' as 'loss' }),
    /unknown decay 'x' \(allowed: loss, decoupled\)/,
  );
});

test('fitGridToBudget: the planned work Σ candidates × steps × |Ω_fit| × mean rank, cut in order until it fits', () => {
  // 24 candidates (3 ranks × 4 ω × 2 weightings) at 1000 steps: rungs 24×111, 8×333, 3×1000 = 8328 steps.
  assert.equal(searchWork(halvingSchedule(24, 1000), 1000, 10), 8328 * 1000 * 10);
  const grid = {
    weightDecays: [0, 0.1, 0.17, 0.3],
    weightings: ['frequency', 'none'] as const,
    lr: 0.01,
    maxSteps: 1000,
  };
  const free = { weightDecays: false, weightings: false, lr: false, maxSteps: false };
  const ctx = (budget: number) => ({
    ranks: [4, 10, 20],
    lambdas: 1,
    fitCount: 1000,
    budget,
    schedule: halvingSchedule,
  });
  const mean = 34 / 3;
  const work = (count: number, steps: number) => searchWork(halvingSchedule(count, steps), 1000, mean);
  // Within the budget: nothing cut, no note.
  const same = fitGridToBudget(grid, free, ctx(work(24, 1000)));
  assert.equal(same.grid, grid);
  assert.equal(same.note, null);
  // Just under the full work: only the weightings go (12 candidates).
  const one = fitGridToBudget(grid, free, ctx(work(24, 1000) - 1));
  assert.deepEqual(one.grid, { ...grid, weightings: ['frequency'] });
  assert.match(one.note ?? '', /search cut to its budget/);
  // Below everything: ω 0 alone, frequency, lr × 3 and a third of the steps.
  const all = fitGridToBudget(grid, free, ctx(1));
  assert.deepEqual(all.grid, {
    weightDecays: [0],
    weightings: ['frequency'],
    lr: 0.01 * BUDGET_SPEEDUP,
    maxSteps: Math.round(1000 / BUDGET_SPEEDUP),
  });
  // What the user gave is kept.
  const kept = fitGridToBudget(grid, { weightDecays: true, weightings: false, lr: true, maxSteps: false }, ctx(1));
  assert.deepEqual(kept.grid, { ...grid, weightings: ['frequency'] });
  // A separate ω list for the unweighted candidates counts as such (3 ranks × (2 + 3) = 15 candidates) and is cut with the other.
  const two = { ...grid, weightDecays: [0, 0.2], unweightedDecays: [0.5, 0.6, 0.7] };
  assert.equal(fitGridToBudget(two, free, ctx(work(15, 1000))).note, null);
  assert.deepEqual(fitGridToBudget(two, free, ctx(work(15, 1000) - 1)).grid, { ...two, weightings: ['frequency'] });
  // 6 candidates over budget: ω cut to one (3 candidates in one full-length rung: more work still), then lr and steps.
  assert.deepEqual(fitGridToBudget(two, free, ctx(work(6, 1000) - 1)).grid, {
    weightDecays: [0],
    unweightedDecays: [0.5],
    weightings: ['frequency'],
    lr: 0.01 * BUDGET_SPEEDUP,
    maxSteps: Math.round(1000 / BUDGET_SPEEDUP),
  });
});

test('softImputeBudgetCut: the path fits as it is, or takes every other λ and an iteration cap that fits the budget', () => {
  // An iteration at k = 20 of 1000 entries, m + n = 50: 1000·20 + 50·20² + 6·20³ = 88000; 31 λ × 100 iterations = 2.728e8.
  assert.equal(alsIterationWork(1000, 50, 20), 88000);
  assert.equal(softImputeBudgetCut([20], 100, 1000, 50, 2.728e8), null);
  const cut = softImputeBudgetCut([20], 100, 1000, 50, 1e8);
  // 16 λ: floor(1e8 / (16 · 88000)) = 71 iterations; 16 · 71 · 88000 = 9.9968e7 <= 1e8.
  assert.deepEqual({ stride: cut?.stride, maxIters: cut?.maxIters }, { stride: 2, maxIters: 71 });
  assert.match(cut?.note ?? '', /every other λ \(16\) and at most 71 iterations/);
  // Never below 10 iterations.
  assert.equal(softImputeBudgetCut([20], 100, 1000, 50, 1)?.maxIters, 10);
});

test('softImputeBudgetCut counts every term of an ALS iteration: many ids with few ratings each are planned as expensive', () => {
  // 10⁶ ratings where every user and every item appears once (m = n = 10⁶), the rank cap 20: the (m + n)·k² of the
  // thin SVDs is 40 times the |Ω|·k of the data term (which alone planned 6.2e10 and was cut to 16 λ × 31
  // iterations, 9.9e9, about 20 minutes in fact); counted, even 16 λ × 10 iterations are over the budget.
  const [count, lines, k] = [1e6, 2e6, 20];
  assert.equal(alsIterationWork(count, lines, k) - alsIterationWork(count, 0, k), lines * k * k);
  assert.equal(lines * k * k, 40 * count * k);
  const full = softImputePathWork([k], 100, count, lines);
  assert.ok(full > 40 * 31 * 100 * count * k, `planned ${full}`);
  const cut = softImputeBudgetCut([k], 100, count, lines, 1e10);
  assert.equal(cut?.maxIters, 10, 'the floor: even 10 iterations are over the budget');
  assert.ok(softImputePathWork([k], 10, count, lines, 2) > 1e10);
  // The same ratings on 10³ users and 10³ items: the data term dominates, and nothing is cut at the same budget.
  assert.ok(alsIterationWork(count, 2e3, k) < 1.05 * count * k);
});

test('gradientCandidates: weighting none takes its ω from the unweighted list, frequency from the other; without it both share one', () => {
  const c = gradientCandidates([4, 20], [1e-2], [0, 0.1], ['frequency', 'none'], [0.4, 0.6]);
  const key = (x: { rank: number; weightDecay: number; weighting: string }): string =>
    `${x.rank}/${x.weightDecay}/${x.weighting}`;
  assert.deepEqual(c.map(key), [
    '4/0/frequency',
    '4/0.1/frequency',
    '4/0.4/none',
    '4/0.6/none',
    '20/0/frequency',
    '20/0.1/frequency',
    '20/0.4/none',
    '20/0.6/none',
  ]);
  assert.equal(gradientCandidates([4], [1e-2], [0, 0.1], ['frequency', 'none']).length, 4);
});

test('complete() states its plan (candidates per method, planned work, estimated time) before it spends any of it', () => {
  const events: { phase: string; info: string }[] = [];
  const model = complete(observed, {
    method: 'auto',
    maxSteps: 200,
    onProgress: (e) => events.push({ phase: e.phase, info: e.info }),
  });
  assert.equal(events[0]?.phase, 'plan');
  assert.equal(events.filter((e) => e.phase === 'plan').length, 1);
  assert.match(
    events[0].info,
    /^plan: ratio \d+ candidates \(.+\), soft-impute \d+ candidates \(.+\); planned work .+ at most \(early stops spend less\), up to about \d+ (s|min)/,
  );
  assert.ok(model.report.notes.includes(events[0].info));
  // Every id once and few ratings each: the plan says hours or minutes, not seconds, before a single fit.
  const count = 20000;
  const ids = Array.from({ length: count }, (_, t) => t);
  const sparse = {
    rows: Int32Array.from(ids),
    cols: Int32Array.from(ids, (t) => (t * 7919) % count),
    values: Float64Array.from(ids, (t) => 1 + (t % 5)),
    shape: [count, count] as [number, number],
  };
  let plan = '';
  assert.throws(
    () =>
      complete(sparse, {
        method: 'soft-impute',
        onProgress: (e) => {
          if (e.phase !== 'plan') assert.fail(`${e.phase} before the plan`);
          plan = e.info;
          throw new Error('planned');
        },
      }),
    /planned/,
  );
  // 31 λ × 100 iterations × (18000·20 + 40000·20² + 6·20³) = 5.1e10 is cut to 16 λ × 38 iterations: 1.0e10, ~17 min at 1e7 a second.
  assert.match(plan, /^plan: soft-impute 16 candidates/);
  assert.match(
    plan,
    /soft-impute 16 candidates \(1\.0e\+10\); planned work 9\.98e\+9 at most.*, up to about 17 min at 1e\+7 a second$/,
  );
});
