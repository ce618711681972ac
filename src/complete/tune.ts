import { clone, zeros, type Matrix } from '../linalg/matrix.ts';
import type { Observations } from '../data/observations.ts';
import { softImputeAls, type SoftImputeAlsState } from '../solver/soft-impute-als.ts';
import { sparseSpectralNorm } from '../linalg/sparse.ts';
import { COMPLETE_SOFT_IMPUTE_ALS } from '../defaults.ts';
import { fitBiases, type Biases } from './biases.ts';
import { fitGradient, type GradientSetting } from './factored-fit.ts';
import type { FactoredWeighting } from '../solver/factored-train.ts';
import { gradientLambdas, softImputeLambdas, supportedRank, type CompletionMethod } from './grid.ts';

/** One setting tried on the validation split. */
export interface Trial {
  method: CompletionMethod;
  rank: number;
  lambda: number;
  /** Gradient methods: the step with the lowest validation RMSE (the steps chosen for this setting). */
  steps?: number;
  /** soft-impute: ALS iterations run, and the rank of the solution. */
  iterations?: number;
  solutionRank?: number;
  validationRMSE: number;
  seconds: number;
  /** Gradient methods: weight decay ω on the factors and the weighting of the penalties. */
  weightDecay?: number;
  weighting?: FactoredWeighting;
  /** Gradient methods: the step budget of this run (successive halving's rung). */
  budget?: number;
  /** 'mean': tried on the residual of the mean alone, no row or column biases (complete's centering check). */
  centering?: 'mean';
  /** Gradient methods: validation RMSE at every evaluation (every evalEvery steps), the curve early stopping read. */
  curve?: { step: number; validationRMSE: number }[];
}

/** The best fit seen so far over every trial of a tuning run: its validation RMSE and a copy of its L and R. */
export interface BestFit<T = Trial> {
  validationRMSE: number;
  trial: T | null;
  L: Matrix | null;
  R: Matrix | null;
}

/** Keeps (copies of) L and R when `rmse` beats the best so far. Cost O((m+n)k) on a new best. */
function offerBest<T>(best: BestFit<T>, rmse: number, L: Matrix | null, R: Matrix | null): boolean {
  if (!(rmse < best.validationRMSE)) return false;
  best.validationRMSE = rmse;
  best.L = L ? clone(L) : null;
  best.R = R ? clone(R) : null;
  return true;
}

/** One progress report: `done` of `total` units of a phase, and what is running. */
export interface CompleteProgress {
  /** 'plan': once, before tuning, with the plan in `info` (done = total = 0); then 'tuning' and 'fitting'. */
  phase: 'plan' | 'tuning' | 'fitting';
  done: number;
  total: number;
  info: string;
}

/** Tuning progress: units done (one per setting) of the planned total, and where to report it. */
export interface TuningTally {
  done: number;
  readonly total: number;
  readonly report: (event: CompleteProgress) => void;
}

/** Validation RMSE of the fitted baseline plus a low-rank part L·R^T (null: the baseline alone). */
export type Evaluator = (L: Matrix | null, R: Matrix | null) => number;

/** A bias ridge weight tried on validation, with the biases it fitted. */
export interface BiasTrial {
  lambda: number;
  validationRMSE: number;
  b: Biases;
}

/** Fits the biases for each ridge weight on `fit` and scores them on `val` (ties keep the first). Cost O(weights·|Ω|). */
export function tuneBiases(
  fit: Observations,
  val: Observations,
  lambdas: readonly number[],
  clip: readonly [number, number] | null,
): { trials: BiasTrial[]; best: BiasTrial } {
  const trials = lambdas.map((lambda) => {
    const b = fitBiases(fit, lambda);
    return { lambda, validationRMSE: validationRMSE(val, b, null, null, clip), b };
  });
  const best = trials.reduce((a, b) => (b.validationRMSE < a.validationRMSE ? b : a));
  return { trials, best };
}

/** Which rows and columns have at least one entry in `fit` (1) or none (0). Cost O(|fit| + m + n). */
export function seenRowsAndCols(fit: Observations): { seenRow: Uint8Array; seenCol: Uint8Array } {
  const [m, n] = fit.shape;
  const seenRow = new Uint8Array(m);
  const seenCol = new Uint8Array(n);
  for (let t = 0; t < fit.values.length; t++) {
    seenRow[fit.rows[t]] = 1;
    seenCol[fit.cols[t]] = 1;
  }
  return { seenRow, seenCol };
}

/**
 * The evaluator of a fit: validation RMSE of clip(b + L_i·R_j), the low-rank term only for rows and columns the fit
 * has seen (as unknown ids would get the baseline alone). Cost O(|fit|) once, then O(|val|·k) per call.
 */
export function makeEvaluator(
  fit: Observations,
  val: Observations,
  b: Biases,
  clip: readonly [number, number] | null,
): Evaluator {
  const { seenRow, seenCol } = seenRowsAndCols(fit);
  return (L, R) => validationRMSE(val, b, L, R, clip, seenRow, seenCol);
}

/** The best soft-impute trial so far and its ALS state (a warm start for the refit; null on the λ >= λ_max side). */
export interface SoftImputeBest {
  trial: Trial;
  state: SoftImputeAlsState | null;
}

/**
 * soft-impute (ALS) along the decreasing λ path for each rank cap, each solve warm-started from the previous one;
 * with the default path a rank stops once validation RMSE rose twice (after the fourth λ). λ >= λ_max has the zero
 * solution and is scored without a fit. Returns every trial and the best one. Cost: one softImputeAls per λ.
 */
export function tuneSoftImpute(
  resid: Observations,
  ranks: readonly number[],
  path: readonly number[],
  lambdaMax: number,
  ctx: {
    seed: number;
    stopEarly: boolean;
    evaluate: Evaluator;
    tally: TuningTally;
    bestFit?: BestFit;
    maxIters?: number;
  },
): { trials: Trial[]; best: SoftImputeBest | null } {
  const { seed, evaluate, tally } = ctx;
  const maxIters = ctx.maxIters ?? COMPLETE_SOFT_IMPUTE_ALS.tuneMaxIters;
  const bestFit = ctx.bestFit ?? { validationRMSE: Infinity, trial: null, L: null, R: null };
  const trials: Trial[] = [];
  let best: SoftImputeBest | null = null;
  for (const rank of ranks) {
    let warm: SoftImputeAlsState | undefined;
    let bestHere = Infinity;
    let worse = 0;
    for (let q = 0; q < path.length; q++) {
      const lambda = path[q];
      const t0 = performance.now();
      const info = `soft-impute rank≤${rank} λ ${fmt(lambda)}`;
      tally.report({ phase: 'tuning', done: tally.done, total: tally.total, info });
      let trial: Trial;
      let state: SoftImputeAlsState | null = null;
      if (lambda >= lambdaMax) {
        trial = {
          method: 'soft-impute',
          rank,
          lambda,
          iterations: 0,
          solutionRank: 0,
          validationRMSE: evaluate(null, null),
          seconds: 0,
        };
        if (offerBest(bestFit, trial.validationRMSE, null, null)) bestFit.trial = trial;
      } else {
        const r = softImputeAls(resid, lambda, {
          rank,
          maxIters,
          squaredChangeTol: COMPLETE_SOFT_IMPUTE_ALS.tol,
          seed,
          warmStart: warm,
          onProgress: ({ step }) =>
            tally.report({
              phase: 'tuning',
              done: tally.done + Math.min(step / maxIters, 0.99),
              total: tally.total,
              info: `${info}, iteration ${step}`,
            }),
        });
        warm = r.state;
        state = r.state;
        const L = scaleColumns(r.U, r.s);
        const rmse = evaluate(L, r.V);
        trial = {
          method: 'soft-impute',
          rank,
          lambda,
          iterations: r.iterations,
          solutionRank: r.rank,
          validationRMSE: rmse,
          seconds: (performance.now() - t0) / 1000,
        };
        if (offerBest(bestFit, rmse, L, r.V)) bestFit.trial = trial;
      }
      trials.push(trial);
      tally.done++;
      if (!best || trial.validationRMSE < best.trial.validationRMSE) best = { trial, state };
      if (trial.validationRMSE < bestHere) {
        bestHere = trial.validationRMSE;
        worse = 0;
      } else if (ctx.stopEarly && q >= 3 && ++worse >= 2) {
        tally.done += path.length - q - 1;
        break;
      }
    }
  }
  return { trials, best };
}

/** Settings of a gradient method's tuning: everything of a GradientSetting but the candidate's, plus early stopping. */
export interface GradientTuning extends Omit<
  GradientSetting,
  'method' | 'rank' | 'lambda' | 'steps' | 'weightDecay' | 'weighting'
> {
  maxSteps: number;
  evalEvery: number;
  patience: number;
}

/** One candidate of a gradient method: rank, λ, weight decay ω and weighting. */
export interface GradientCandidate {
  rank: number;
  lambda: number;
  weightDecay: number;
  weighting: FactoredWeighting;
}

/** One rung of successive halving: how many candidates run, each with a budget of this many steps. */
export interface Rung {
  candidates: number;
  budget: number;
}

/** Successive halving's factor: each rung keeps the best third and gives it three times the steps. */
export const HALVING_ETA = 3;
/** The smallest budget of a first rung (steps); with fewer than HALVING_MIN_CANDIDATES candidates every one runs in full. */
export const HALVING_MIN_BUDGET = 100;
/** The fewest candidates successive halving takes; with fewer, every candidate trains to the step cap. */
export const HALVING_MIN_CANDIDATES = 4;

/**
 * The schedule of successive halving (Jamieson & Talwalkar 2016; Li et al. 2017, Hyperband's inner loop) for
 * `count` candidates and a step cap: rungs r = 0..s with ceil(count/η^r) candidates, each run for maxSteps/η^(s−r)
 * steps (s = min(ceil(log_η count), floor(log_η(maxSteps/HALVING_MIN_BUDGET)))), so the last rung trains its few
 * candidates to maxSteps. Its budget (total steps) is Σ candidates·budget, stated in the report. Cost O(s).
 */
export function halvingSchedule(count: number, maxSteps: number, eta = HALVING_ETA): Rung[] {
  if (count < HALVING_MIN_CANDIDATES) return [{ candidates: count, budget: maxSteps }];
  const s = Math.max(
    0,
    Math.min(
      Math.ceil(Math.log(count) / Math.log(eta) - 1e-9),
      Math.floor(Math.log(maxSteps / HALVING_MIN_BUDGET) / Math.log(eta) + 1e-9),
    ),
  );
  return Array.from({ length: s + 1 }, (_, r) => ({
    candidates: r === 0 ? count : Math.max(1, Math.ceil(count / eta ** r)),
    budget: Math.round(maxSteps / eta ** (s - r)),
  }));
}

/**
 * A gradient method (ratio or nuclear) over its candidates by successive halving (halvingSchedule): every candidate
 * trains for the first rung's budget, the best third (lowest validation RMSE) again from the same start for three
 * times as many steps, and so on up to maxSteps. Same seed, same trajectory: a longer run passes through the shorter
 * one, so its best is never worse; a run that early-stopped (`patience` validation checks every evalEvery steps
 * without a gain) is kept as it is. Each candidate's trial is its last run (with its budget); the trial keeps the best
 * step. Returns the trials and the schedule. Cost: Σ over rungs of candidates × budget steps.
 */
export function tuneGradient(
  method: 'ratio' | 'nuclear',
  resid: Observations,
  candidates: readonly GradientCandidate[],
  settings: GradientTuning,
  ctx: { evaluate: Evaluator; tally: TuningTally; bestFit?: BestFit; bestFitOf?: (c: GradientCandidate) => BestFit },
): { trials: Trial[]; rungs: Rung[]; steps: number } {
  const { evaluate, tally } = ctx;
  const shared = ctx.bestFit ?? { validationRMSE: Infinity, trial: null, L: null, R: null };
  // Where a candidate's best fit is offered: one shared BestFit, or one per group (auto's blend keeps each group's).
  const bestFitOf = ctx.bestFitOf ?? ((): BestFit => shared);
  const rungs = halvingSchedule(candidates.length, settings.maxSteps);
  const latest: (Trial & { stopped: boolean })[] = [];
  let alive = candidates.map((_, q) => q);
  let steps = 0;
  for (const [r, rung] of rungs.entries()) {
    if (r > 0) {
      alive.sort((a, b) => latest[a].validationRMSE - latest[b].validationRMSE || a - b);
      alive = alive.slice(0, rung.candidates);
    }
    for (const q of alive) {
      if (latest[q]?.stopped) {
        tally.done++;
        continue;
      }
      const run = runGradient(method, resid, candidates[q], rung.budget, settings, {
        evaluate,
        tally,
        bestFit: bestFitOf(candidates[q]),
        rung: r,
      });
      steps += run.ran;
      latest[q] = run.trial;
      tally.done++;
    }
  }
  const trials = latest.map(({ stopped: _s, ...t }) => t);
  for (const bestFit of new Set(candidates.map(bestFitOf))) {
    if (bestFit.trial && 'stopped' in bestFit.trial)
      bestFit.trial = trials[latest.indexOf(bestFit.trial as Trial & { stopped: boolean })] ?? bestFit.trial;
  }
  return { trials, rungs, steps };
}

/** One gradient run of a candidate for up to `budget` steps with early stopping on validation. */
function runGradient(
  method: 'ratio' | 'nuclear',
  resid: Observations,
  c: GradientCandidate,
  budget: number,
  settings: GradientTuning,
  ctx: { evaluate: Evaluator; tally: TuningTally; bestFit: BestFit; rung: number },
): { trial: Trial & { stopped: boolean }; ran: number } {
  const { evaluate, tally, bestFit } = ctx;
  const t0 = performance.now();
  const info = `${method} ${candidateLabel(c)} (rung ${ctx.rung + 1})`;
  let best = Infinity;
  let bestStep = 0;
  let since = 0;
  let wonBest = false;
  let stopped = false;
  const curve: { step: number; validationRMSE: number }[] = [];
  const setting: GradientSetting = {
    method,
    ...c,
    nuclearWeight: method === 'ratio' ? settings.nuclearWeight : 0,
    decay: settings.decay,
    lr: settings.lr,
    initScale: settings.initScale,
    seed: settings.seed,
    steps: budget,
  };
  const result = fitGradient(resid, setting, {
    evalEvery: settings.evalEvery,
    onEvaluate: ({ step, model }) => {
      const rmse = evaluate(model.A, model.B);
      curve.push({ step, validationRMSE: rmse });
      if (offerBest(bestFit, rmse, model.A, model.B)) wonBest = true;
      if (rmse < best) {
        best = rmse;
        bestStep = step;
        since = 0;
      } else since++;
      tally.report({
        phase: 'tuning',
        done: tally.done + Math.min(step / budget, 0.99),
        total: tally.total,
        info: `${info}, step ${step}, val RMSE ${rmse.toFixed(4)}`,
      });
      stopped = since >= settings.patience;
      return stopped;
    },
  });
  const trial = {
    method,
    rank: c.rank,
    lambda: c.lambda,
    weightDecay: c.weightDecay,
    weighting: c.weighting,
    steps: bestStep,
    budget,
    validationRMSE: best,
    seconds: (performance.now() - t0) / 1000,
    curve,
    stopped: stopped || result.stopReason !== 'max-iters',
  };
  if (wonBest) bestFit.trial = trial;
  return { trial, ran: result.iterations };
}

/** A candidate in words, for progress lines. */
function candidateLabel(c: GradientCandidate): string {
  return `rank ${c.rank} λ ${fmt(c.lambda)} wd ${fmt(c.weightDecay)}${c.weighting === 'none' ? '' : ` ${c.weighting}`}`;
}

/** How a gradient method was searched: the strategy, its candidates, its rungs and the steps it spent (its budget). */
export interface SearchSummary {
  method: string;
  strategy: 'successive halving' | 'every candidate in full';
  candidates: number;
  rungs: Rung[];
  /** Training steps actually run over every rung (early stops make it smaller than Σ candidates·budget). */
  steps: number;
}

/**
 * The product rank × λ × ω × weighting, in that order of nesting; with `unweightedDecays`, candidates with weighting
 * 'none' take their ω from that list instead (the unweighted decay Σ||A_i||²/m acts on another scale than the
 * frequency-weighted one: on MovieLens its best ω is about three times larger, docs/results/log.md).
 */
export function gradientCandidates(
  ranks: readonly number[],
  lambdas: readonly number[],
  weightDecays: readonly number[],
  weightings: readonly FactoredWeighting[],
  unweightedDecays?: readonly number[],
): GradientCandidate[] {
  const decaysOf = (weighting: FactoredWeighting): readonly number[] =>
    weighting === 'none' && unweightedDecays ? unweightedDecays : weightDecays;
  return ranks.flatMap((rank) =>
    lambdas.flatMap((lambda) => {
      const out: GradientCandidate[] = [];
      const decays = [...new Set([...weightDecays, ...(unweightedDecays ?? [])])];
      for (const weightDecay of decays)
        for (const weighting of weightings)
          if (decaysOf(weighting).includes(weightDecay)) out.push({ rank, lambda, weightDecay, weighting });
      return out;
    }),
  );
}

/** What tuneMethods needs besides the data: the gradient settings, the seed, the scorer and where progress goes. */
export interface TuningSettings extends GradientTuning {
  methods: readonly CompletionMethod[];
  /** Candidate weight decays ω and weightings of each gradient method. */
  weightDecays: ReadonlyMap<CompletionMethod, readonly number[]>;
  /** Candidate ω of the candidates with weighting 'none', where they differ from weightDecays. */
  unweightedDecays?: ReadonlyMap<CompletionMethod, readonly number[]>;
  weightings: ReadonlyMap<CompletionMethod, readonly FactoredWeighting[]>;
  evaluate: Evaluator;
  progress: (event: CompleteProgress) => void;
  /** soft-impute: every `stride`-th λ of the default path and this iteration cap per λ (complete's budget cut). */
  softImputeCut?: { stride: number; maxIters: number };
}

/** A trial of any candidate method: at least its validation RMSE. */
export interface ScoredTrial {
  validationRMSE: number;
}

/** What a candidate's search is given: the scorer, the progress tally, and the best fit of each group. */
export interface SearchContext<T extends ScoredTrial = Trial> {
  evaluate: Evaluator;
  tally: TuningTally;
  /** The best fit of a group (made on first use; the order of first use breaks ties): a search offers its fits there. */
  bestFitOf: (group: string) => BestFit<T>;
}

/** What a candidate's search returns: every trial, and what the caller may need of the search. */
export interface CandidateResult<T extends ScoredTrial = Trial> {
  trials: T[];
  /** How the settings were searched, when not simply one fit each (successive halving's rungs and steps). */
  summary?: SearchSummary;
  /** The best trial with its solver state, a warm start for the refit (soft-impute's ALS state). */
  warm?: SoftImputeBest;
}

/**
 * A candidate method of the tuner, as Surprise's GridSearchCV takes an algorithm and its grid of settings: its name,
 * the progress units its search plans (one per setting tried), and the search itself, which fits its settings on
 * the residual, scores each fit by ctx.evaluate and offers it to the best fit of its group.
 */
export interface TuningCandidate<T extends ScoredTrial = Trial> {
  readonly method: string;
  readonly planned: number;
  search(resid: Observations, ctx: SearchContext<T>): CandidateResult<T>;
}

/**
 * Every candidate's search on the residual `resid`, in order, scored on validation by `evaluate`: every trial, each
 * candidate's result, the best fit of each group and over all (the lowest validation RMSE, the earlier group on a tie).
 * Cost: the sum of the candidates' searches.
 */
export function tuneCandidates<T extends ScoredTrial>(
  resid: Observations,
  candidates: readonly TuningCandidate<T>[],
  ctx: { evaluate: Evaluator; progress: (event: CompleteProgress) => void },
): { tried: T[]; results: CandidateResult<T>[]; bestFit: BestFit<T>; bestByGroup: Map<string, BestFit<T>> } {
  const bestByGroup = new Map<string, BestFit<T>>();
  const bestFitOf = (group: string): BestFit<T> => {
    let b = bestByGroup.get(group);
    if (!b) bestByGroup.set(group, (b = { validationRMSE: Infinity, trial: null, L: null, R: null }));
    return b;
  };
  const tally: TuningTally = { done: 0, total: candidates.reduce((a, c) => a + c.planned, 0), report: ctx.progress };
  const results = candidates.map((c) => c.search(resid, { evaluate: ctx.evaluate, tally, bestFitOf }));
  const empty: BestFit<T> = { validationRMSE: Infinity, trial: null, L: null, R: null };
  const bestFit = [...bestByGroup.values()].reduce((a, b) => (b.validationRMSE < a.validationRMSE ? b : a), empty);
  return { tried: results.flatMap((r) => r.trials), results, bestFit, bestByGroup };
}

/** A trial of gridCandidate: the method, the setting, its validation RMSE and time. */
export interface GridTrial<S> {
  method: string;
  setting: S;
  validationRMSE: number;
  seconds: number;
}

/**
 * Any method as a tuning candidate searched exhaustively (GridSearchCV): every setting of `grid` fitted in full on the
 * residual by `fit` (its low-rank part L·R^T; null, null for none) and scored on validation; one group, the method's
 * name. Cost: one fit per setting.
 */
export function gridCandidate<S>(
  method: string,
  grid: readonly S[],
  fit: (resid: Observations, setting: S) => { L: Matrix | null; R: Matrix | null },
): TuningCandidate<GridTrial<S>> {
  return {
    method,
    planned: grid.length,
    search(resid, ctx) {
      const best = ctx.bestFitOf(method);
      const trials = grid.map((setting) => {
        ctx.tally.report({
          phase: 'tuning',
          done: ctx.tally.done,
          total: ctx.tally.total,
          info: `${method} ${JSON.stringify(setting)}`,
        });
        const t0 = performance.now();
        const { L, R } = fit(resid, setting);
        const validationRMSE = ctx.evaluate(L, R);
        const trial = { method, setting, validationRMSE, seconds: (performance.now() - t0) / 1000 };
        if (offerBest(best, validationRMSE, L, R)) best.trial = trial;
        ctx.tally.done++;
        return trial;
      });
      return { trials };
    },
  };
}

/** soft-impute as a tuning candidate: its λ path per rank cap (tuneSoftImpute), in the group 'soft-impute'. */
export function softImputeCandidate(
  ranks: readonly number[],
  path: readonly number[],
  lambdaMax: number,
  options: { seed: number; stopEarly: boolean; maxIters?: number },
): TuningCandidate {
  return {
    method: 'soft-impute',
    planned: ranks.length * path.length,
    search(resid, ctx) {
      const r = tuneSoftImpute(resid, ranks, path, lambdaMax, {
        ...options,
        evaluate: ctx.evaluate,
        tally: ctx.tally,
        bestFit: ctx.bestFitOf('soft-impute'),
      });
      return { trials: r.trials, ...(r.best ? { warm: r.best } : {}) };
    },
  };
}

/** A gradient method as a tuning candidate: its candidates by successive halving (tuneGradient), a group per weighting. */
export function gradientSearchCandidate(
  method: 'ratio' | 'nuclear',
  candidates: readonly GradientCandidate[],
  settings: GradientTuning,
): TuningCandidate {
  const group = (c: GradientCandidate): string => `${method}/${c.weighting}`;
  return {
    method,
    planned: halvingSchedule(candidates.length, settings.maxSteps).reduce((a, r) => a + r.candidates, 0),
    search(resid, ctx) {
      for (const c of candidates) ctx.bestFitOf(group(c));
      const r = tuneGradient(method, resid, candidates, settings, {
        evaluate: ctx.evaluate,
        tally: ctx.tally,
        bestFitOf: (c) => ctx.bestFitOf(group(c)),
      });
      const strategy = r.rungs.length > 1 ? 'successive halving' : 'every candidate in full';
      return {
        trials: r.trials,
        summary: { method, strategy, candidates: candidates.length, rungs: r.rungs, steps: r.steps },
      };
    },
  };
}

/**
 * complete()'s methods as tuning candidates on the fit's residual `resid`, scored on validation (tuneCandidates):
 * soft-impute along its λ path (softImputeLambdas), the gradient methods over rank × λ (gradientLambdas); λ_max =
 * ||P_Ω(resid)||_2 by power iteration when soft-impute or nuclear is tuned. Returns every trial in order, soft-impute's
 * best with its state, and the best fit of each group (soft-impute; a gradient method per weighting: its factors, for
 * auto's blend) and over all. Cost: the sum of the fits tried.
 */
export function tuneMethods(
  resid: Observations,
  ranks: ReadonlyMap<CompletionMethod, readonly number[]>,
  lambdas: readonly number[] | undefined,
  settings: TuningSettings,
): {
  tried: Trial[];
  softImpute: SoftImputeBest | null;
  bestFit: BestFit;
  bestByGroup: Map<string, BestFit>;
  searches: SearchSummary[];
} {
  const { methods, seed, evaluate } = settings;
  const [m, n] = resid.shape;
  const fitCount = resid.values.length;
  const lambdaMax =
    methods.includes('soft-impute') || methods.includes('nuclear') ? sparseSpectralNorm(resid, { seed }) : 0;
  const lambdasOf = (mth: CompletionMethod): number[] =>
    mth === 'soft-impute'
      ? softImputeLambdas(lambdas, lambdaMax).filter(
          (_, q) => lambdas !== undefined || q % (settings.softImputeCut?.stride ?? 1) === 0,
        )
      : gradientLambdas(mth, lambdas, lambdaMax, fitCount);
  const supported = supportedRank(fitCount, m, n);
  const candidatesOf = (mth: 'ratio' | 'nuclear'): GradientCandidate[] =>
    gradientCandidates(
      ranks.get(mth) ?? [],
      lambdasOf(mth),
      settings.weightDecays.get(mth) ?? [0],
      settings.weightings.get(mth) ?? ['none'],
      settings.unweightedDecays?.get(mth),
    ).filter(
      // Without any magnitude control L∗/F needs k(m+n−k) <= |Ω_fit| (grid.ts, candidateRanks).
      (c) => mth !== 'ratio' || c.weightDecay > 0 || settings.nuclearWeight > 0 || c.rank <= supported,
    );
  const candidates = methods.map((mth) =>
    mth === 'soft-impute'
      ? softImputeCandidate(ranks.get(mth) ?? [], lambdasOf(mth), lambdaMax, {
          seed,
          stopEarly: !lambdas,
          maxIters: settings.softImputeCut?.maxIters,
        })
      : gradientSearchCandidate(mth, candidatesOf(mth), settings),
  );
  const r = tuneCandidates(resid, candidates, { evaluate, progress: settings.progress });
  const softImpute = r.results.find((x) => x.warm)?.warm ?? null;
  const searches = r.results.flatMap((x) => (x.summary ? [x.summary] : []));
  return { tried: r.tried, softImpute, bestFit: r.bestFit, bestByGroup: r.bestByGroup, searches };
}

/**
 * RMSE on held-out entries of clip(b + L_i·R_j), where the low-rank term counts only for rows and columns seen in
 * the fit (others get the baseline alone, as unknown ids would). Cost O(|held out|·k).
 */
function validationRMSE(
  val: Observations,
  b: Biases,
  L: Matrix | null,
  R: Matrix | null,
  clip: readonly [number, number] | null,
  seenRow?: Uint8Array,
  seenCol?: Uint8Array,
): number {
  const k = L ? L.cols : 0;
  const l = L?.data;
  const r = R?.data;
  const lo = clip ? clip[0] : -Infinity;
  const hi = clip ? clip[1] : Infinity;
  let sse = 0;
  for (let t = 0; t < val.values.length; t++) {
    const i = val.rows[t];
    const j = val.cols[t];
    let z = b.mean + b.row[i] + b.col[j];
    if (l && r && (!seenRow || (seenRow[i] && seenCol?.[j])))
      for (let c = 0; c < k; c++) z += l[i * k + c] * r[j * k + c];
    z = z < lo ? lo : z > hi ? hi : z;
    sse += (z - val.values[t]) ** 2;
  }
  return Math.sqrt(sse / val.values.length);
}

/** U·diag(s) as a new matrix. Cost O(rows·k). */
export function scaleColumns(U: Matrix, s: Float64Array): Matrix {
  const out = zeros(U.rows, U.cols);
  const k = U.cols;
  for (let i = 0; i < U.rows; i++) for (let c = 0; c < k; c++) out.data[i * k + c] = U.data[i * k + c] * s[c];
  return out;
}

/** A number for progress lines: 3 significant digits. */
export function fmt(x: number): string {
  return Number(x.toPrecision(3)).toString();
}
