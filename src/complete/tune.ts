import { clone, zeros, type Matrix } from '../linalg/matrix.ts';
import type { Observations } from '../data/observations.ts';
import { softImputeAls, type SoftImputeAlsState } from '../solver/soft-impute-als.ts';
import { sparseSpectralNorm } from '../linalg/sparse.ts';
import { COMPLETE_SOFT_IMPUTE_ALS } from '../defaults.ts';
import { fitBiases, type Biases } from './biases.ts';
import { fitGradient, type GradientSetting } from './factored-fit.ts';
import type { FactoredWeighting } from '../solver/factored-train.ts';
import { gradientLambdas, softImputeLambdas, supportedRank, type CompletionMethod } from './grid.ts';
import type { RefitJob, RefitJobResult } from './refit.ts';

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

/** Takes L and R (not copies: the caller hands them over) when `rmse` beats the best so far. */
function takeBest<T>(best: BestFit<T>, rmse: number, L: Matrix | null, R: Matrix | null): boolean {
  if (!(rmse < best.validationRMSE)) return false;
  best.validationRMSE = rmse;
  best.L = L;
  best.R = R;
  return true;
}

/** A unit of complete()'s work that depends on its fields alone, so that any thread may run it. */
export type FitJob = GradientJob | SoftImputeJob | RefitJob;

/** A job's result, by the job's kind. */
export type FitJobResult = GradientJobResult | SoftImputeJobResult | RefitJobResult;

/** A job that finished and its result, handed back to the computation that started it. */
export interface FitJobDone {
  job: FitJob;
  result: FitJobResult;
}

/**
 * A computation as a generator of jobs: it yields the jobs it starts (none: it waits) and is resumed with one
 * finished job at a time, in any order; it takes its results by job, so what it returns depends on the jobs'
 * results only, never on the order in which they finish or on the thread that ran them (runInline: all on the
 * calling thread, in the order started; the Node module src/sweep/complete-async.ts: on worker threads).
 */
export type FitSteps<R> = Generator<{ start: FitJob[] }, R, FitJobDone | undefined>;

/** Runs a computation's jobs one after the other on this thread, in the order started, with `run`. */
export function runInline<R>(steps: FitSteps<R>, run: (job: FitJob) => FitJobResult): R {
  const queue: FitJob[] = [];
  let next = steps.next(undefined);
  for (let head = 0; !next.done; head++) {
    queue.push(...next.value.start);
    if (head >= queue.length) throw new Error('complete: a computation waits for a job it never started');
    const job = queue[head];
    next = steps.next({ job, result: run(job) });
  }
  return next.value;
}

/** Starts `jobs` and returns their results in the order of `jobs`, however they finish. */
export function* runBatch(jobs: readonly FitJob[]): FitSteps<FitJobResult[]> {
  const results = new Map<FitJob, FitJobResult>();
  if (jobs.length === 0) return [];
  let done = yield { start: [...jobs] };
  for (;;) {
    if (done) results.set(done.job, done.result);
    if (results.size === jobs.length) break;
    done = yield { start: [] };
  }
  return jobs.map((j) => results.get(j) as FitJobResult);
}

/**
 * Several computations at once: each is started in order (running up to its first job), gets back its own jobs'
 * results, and returns its value in its place. Their jobs may run at the same time; each result is as if alone.
 */
export function* concurrently<R>(all: readonly FitSteps<R>[]): FitSteps<R[]> {
  const owner = new Map<FitJob, number>();
  const values: R[] = new Array<R>(all.length);
  let live = all.length;
  let start: FitJob[] = [];
  const advance = (g: number, done?: FitJobDone): void => {
    const next = all[g].next(done);
    if (next.done) {
      values[g] = next.value;
      live--;
      return;
    }
    for (const job of next.value.start) owner.set(job, g);
    start.push(...next.value.start);
  };
  for (let g = 0; g < all.length; g++) advance(g);
  while (live > 0) {
    const done = yield { start };
    start = [];
    const g = done ? owner.get(done.job) : undefined;
    if (done === undefined || g === undefined) throw new Error('complete: a result for a job nobody started');
    owner.delete(done.job);
    advance(g, done);
  }
  return values;
}

/** A finished job's result as the kind its job asked for. */
export function resultOf<K extends FitJobResult['kind']>(
  result: FitJobResult,
  kind: K,
): Extract<FitJobResult, { kind: K }> {
  if (result.kind !== kind) throw new Error(`complete: a ${kind} job returned a ${result.kind} result`);
  return result as Extract<FitJobResult, { kind: K }>;
}

/** The progress units a tuning job stands for: one per gradient run, one per λ of a soft-impute path (0: a refit). */
export function jobUnits(job: FitJob): number {
  return job.kind === 'gradient' ? 1 : job.kind === 'soft-impute' ? job.path.length : 0;
}

/** Runs a tuning job (gradient or soft-impute) on this thread, then counts it in its tally. */
export function runTuneJob(job: FitJob): FitJobResult {
  if (job.kind === 'refit') throw new Error('complete: a refit job is not a tuning job');
  const result = job.kind === 'gradient' ? runGradientJob(job) : runSoftImputeJob(job);
  if (job.tally) job.tally.done += jobUnits(job);
  return result;
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

/** What an evaluator scores against: the fit (the rows and columns it saw), the validation entries, baseline and clip. */
export interface EvaluatorSource {
  fit: Observations;
  val: Observations;
  b: Biases;
  clip: readonly [number, number] | null;
}

/**
 * Validation RMSE of the fitted baseline plus a low-rank part L·R^T (null: the baseline alone); `source` is the data
 * of makeEvaluator's evaluators, from which another thread makes the same one.
 */
export type Evaluator = ((L: Matrix | null, R: Matrix | null) => number) & { readonly source?: EvaluatorSource };

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
  const source: EvaluatorSource = { fit, val, b, clip };
  return Object.assign((L: Matrix | null, R: Matrix | null) => validationRMSE(val, b, L, R, clip, seenRow, seenCol), {
    source,
  });
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
  ctx: SoftImputeTuning,
): { trials: Trial[]; best: SoftImputeBest | null } {
  return runInline(tuneSoftImputeSteps(resid, ranks, path, lambdaMax, ctx), runTuneJob);
}

/** What tuneSoftImpute needs besides the data: the seed, the early stop, the scorer, the progress tally. */
export interface SoftImputeTuning {
  seed: number;
  stopEarly: boolean;
  evaluate: Evaluator;
  tally: TuningTally;
  bestFit?: BestFit;
  maxIters?: number;
}

/**
 * tuneSoftImpute as jobs: one job per rank cap (its λ path is one chain of warm starts), the results taken in rank
 * order, so the trials, the best and the best fit are those of the ranks one after the other.
 */
export function* tuneSoftImputeSteps(
  resid: Observations,
  ranks: readonly number[],
  path: readonly number[],
  lambdaMax: number,
  ctx: SoftImputeTuning,
): FitSteps<{ trials: Trial[]; best: SoftImputeBest | null }> {
  const { seed, evaluate, tally } = ctx;
  const maxIters = ctx.maxIters ?? COMPLETE_SOFT_IMPUTE_ALS.tuneMaxIters;
  const bestFit = ctx.bestFit ?? { validationRMSE: Infinity, trial: null, L: null, R: null };
  const jobs = ranks.map((rank): SoftImputeJob => ({
    kind: 'soft-impute',
    resid,
    rank,
    path,
    lambdaMax,
    seed,
    stopEarly: ctx.stopEarly,
    maxIters,
    evaluate,
    tally,
  }));
  const trials: Trial[] = [];
  let best: SoftImputeBest | null = null;
  for (const done of yield* runBatch(jobs)) {
    const r = resultOf(done, 'soft-impute');
    trials.push(...r.trials);
    const first = r.trials[r.best];
    if (first && (!best || first.validationRMSE < best.trial.validationRMSE)) best = { trial: first, state: r.state };
    const fitted = r.trials[r.fitted];
    if (fitted && takeBest(bestFit, fitted.validationRMSE, r.L, r.R)) bestFit.trial = fitted;
  }
  return { trials, best };
}

/** One rank cap's λ path of soft-impute's tuning: a job whose result depends on its fields alone. */
export interface SoftImputeJob {
  kind: 'soft-impute';
  resid: Observations;
  rank: number;
  path: readonly number[];
  lambdaMax: number;
  seed: number;
  stopEarly: boolean;
  maxIters: number;
  evaluate: Evaluator;
  /** Where progress goes (on the thread that made the job; a job run elsewhere reports none). */
  tally?: TuningTally;
}

/**
 * A soft-impute job's trials; `best`: the index of the first trial with the lowest validation RMSE (a later one
 * replaces it only when lower), with its ALS state; `fitted`: the first trial below every earlier one and Infinity
 * (−1: none), with its low-rank part L = U·diag(s), R = V.
 */
export interface SoftImputeJobResult {
  kind: 'soft-impute';
  trials: Trial[];
  best: number;
  state: SoftImputeAlsState | null;
  fitted: number;
  L: Matrix | null;
  R: Matrix | null;
}

/** Runs a soft-impute job: its rank's λ path, warm-started λ to λ, with the early stop. Cost: one softImputeAls per λ. */
export function runSoftImputeJob(job: SoftImputeJob): SoftImputeJobResult {
  const { resid, rank, path, lambdaMax, seed, maxIters, evaluate, tally } = job;
  const base = tally?.done ?? 0;
  const trials: Trial[] = [];
  const out: SoftImputeJobResult = { kind: 'soft-impute', trials, best: -1, state: null, fitted: -1, L: null, R: null };
  let fittedRMSE = Infinity;
  let warm: SoftImputeAlsState | undefined;
  let bestHere = Infinity;
  let worse = 0;
  for (let q = 0; q < path.length; q++) {
    const lambda = path[q];
    const t0 = performance.now();
    const info = `soft-impute rank≤${rank} λ ${fmt(lambda)}`;
    tally?.report({ phase: 'tuning', done: base + q, total: tally.total, info });
    let trial: Trial;
    let state: SoftImputeAlsState | null = null;
    let L: Matrix | null = null;
    let R: Matrix | null = null;
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
    } else {
      const r = softImputeAls(resid, lambda, {
        rank,
        maxIters,
        squaredChangeTol: COMPLETE_SOFT_IMPUTE_ALS.tol,
        seed,
        warmStart: warm,
        onProgress: ({ step }) =>
          tally?.report({
            phase: 'tuning',
            done: base + q + Math.min(step / maxIters, 0.99),
            total: tally.total,
            info: `${info}, iteration ${step}`,
          }),
      });
      warm = r.state;
      state = r.state;
      L = scaleColumns(r.U, r.s);
      R = r.V;
      trial = {
        method: 'soft-impute',
        rank,
        lambda,
        iterations: r.iterations,
        solutionRank: r.rank,
        validationRMSE: evaluate(L, R),
        seconds: (performance.now() - t0) / 1000,
      };
    }
    trials.push(trial);
    if (trial.validationRMSE < fittedRMSE) {
      fittedRMSE = trial.validationRMSE;
      Object.assign(out, { fitted: q, L, R });
    }
    if (out.best < 0 || trial.validationRMSE < trials[out.best].validationRMSE) Object.assign(out, { best: q, state });
    if (trial.validationRMSE < bestHere) {
      bestHere = trial.validationRMSE;
      worse = 0;
    } else if (job.stopEarly && q >= 3 && ++worse >= 2) break;
  }
  return out;
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
  return runInline(tuneGradientSteps(method, resid, candidates, settings, ctx), runTuneJob);
}

/**
 * tuneGradient as jobs: the runs of a rung are one batch of independent jobs (each run starts from the seed, so it
 * depends on its candidate and budget alone); their results are taken in candidate order, each run's best fit
 * offered then, so the trials, the next rung and the best fits are those of the runs one after the other.
 */
export function* tuneGradientSteps(
  method: 'ratio' | 'nuclear',
  resid: Observations,
  candidates: readonly GradientCandidate[],
  settings: GradientTuning,
  ctx: { evaluate: Evaluator; tally: TuningTally; bestFit?: BestFit; bestFitOf?: (c: GradientCandidate) => BestFit },
): FitSteps<{ trials: Trial[]; rungs: Rung[]; steps: number }> {
  const { evaluate, tally } = ctx;
  const shared = ctx.bestFit ?? { validationRMSE: Infinity, trial: null, L: null, R: null };
  // Where a candidate's best fit is offered: one shared BestFit, or one per group (auto's blend keeps each group's).
  const bestFitOf = ctx.bestFitOf ?? ((): BestFit => shared);
  const rungs = halvingSchedule(candidates.length, settings.maxSteps);
  const tuning = gradientTuningOf(settings);
  const latest: (Trial & { stopped: boolean })[] = [];
  let alive = candidates.map((_, q) => q);
  let steps = 0;
  for (const [r, rung] of rungs.entries()) {
    if (r > 0) {
      alive.sort((a, b) => latest[a].validationRMSE - latest[b].validationRMSE || a - b);
      alive = alive.slice(0, rung.candidates);
    }
    const runs: { q: number; job: GradientJob }[] = [];
    for (const q of alive) {
      if (latest[q]?.stopped) {
        tally.done++;
        continue;
      }
      const job: GradientJob = {
        kind: 'gradient',
        method,
        resid,
        candidate: candidates[q],
        budget: rung.budget,
        settings: tuning,
        rung: r,
        evaluate,
        tally,
      };
      runs.push({ q, job });
    }
    const done = yield* runBatch(runs.map((x) => x.job));
    for (const [i, { q }] of runs.entries()) {
      const run = resultOf(done[i], 'gradient');
      const bestFit = bestFitOf(candidates[q]);
      if (run.best && takeBest(bestFit, run.best.validationRMSE, run.best.L, run.best.R)) bestFit.trial = run.trial;
      steps += run.ran;
      latest[q] = run.trial;
    }
  }
  const trials = latest.map(({ stopped: _s, ...t }) => t);
  for (const bestFit of new Set(candidates.map(bestFitOf))) {
    if (bestFit.trial && 'stopped' in bestFit.trial)
      bestFit.trial = trials[latest.indexOf(bestFit.trial as Trial & { stopped: boolean })] ?? bestFit.trial;
  }
  return { trials, rungs, steps };
}

/** The plain fields of a gradient method's tuning settings (what a job carries to another thread). */
function gradientTuningOf(s: GradientTuning): GradientTuning {
  const { nuclearWeight, decay, lr, initScale, seed, maxSteps, evalEvery, patience } = s;
  return { nuclearWeight, decay, lr, initScale, seed, maxSteps, evalEvery, patience };
}

/** One gradient run of a candidate for up to `budget` steps with early stopping: a job that depends on its fields alone. */
export interface GradientJob {
  kind: 'gradient';
  method: 'ratio' | 'nuclear';
  resid: Observations;
  candidate: GradientCandidate;
  budget: number;
  settings: GradientTuning;
  /** The rung of successive halving (0-based), for progress lines. */
  rung: number;
  evaluate: Evaluator;
  /** Where progress goes (on the thread that made the job; a job run elsewhere reports none). */
  tally?: TuningTally;
}

/**
 * A gradient run's trial (and whether it stopped before its budget), the steps it ran, and its best fit: the factors
 * at the first evaluation with its lowest validation RMSE (null when none was below Infinity).
 */
export interface GradientJobResult {
  kind: 'gradient';
  trial: Trial & { stopped: boolean };
  ran: number;
  best: { validationRMSE: number; L: Matrix; R: Matrix } | null;
}

/** Runs a gradient job: one fitGradient with a validation check every evalEvery steps and the early stop. */
export function runGradientJob(job: GradientJob): GradientJobResult {
  const { method, resid, candidate: c, budget, settings, evaluate, tally } = job;
  const t0 = performance.now();
  const base = tally?.done ?? 0;
  const info = `${method} ${candidateLabel(c)} (rung ${job.rung + 1})`;
  let best = Infinity;
  let bestStep = 0;
  let since = 0;
  let fit: GradientJobResult['best'] = null;
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
      if (rmse < best) {
        best = rmse;
        bestStep = step;
        since = 0;
        if (fit) {
          fit.validationRMSE = rmse;
          fit.L.data.set(model.A.data);
          fit.R.data.set(model.B.data);
        } else fit = { validationRMSE: rmse, L: clone(model.A), R: clone(model.B) };
      } else since++;
      tally?.report({
        phase: 'tuning',
        done: base + Math.min(step / budget, 0.99),
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
  return { kind: 'gradient', trial, ran: result.iterations, best: fit };
}

/** A job in words, for progress lines: the run, the λ path or the refit it is. */
export function jobLabel(job: FitJob): string {
  if (job.kind === 'gradient') return `${job.method} ${candidateLabel(job.candidate)} (rung ${job.rung + 1})`;
  if (job.kind === 'soft-impute') return `soft-impute rank≤${job.rank}, ${job.path.length} λ`;
  const c = job.chosen;
  return `${c.method} rank ${c.rank}${c.weighting && c.weighting !== 'none' ? ` ${c.weighting}` : ''}`;
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
  /** The same search as jobs (FitSteps), which other threads may run; without it the search runs on the caller's. */
  steps?(resid: Observations, ctx: SearchContext<T>): FitSteps<CandidateResult<T>>;
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
  return runInline(tuneCandidatesSteps(resid, candidates, ctx), runTuneJob);
}

/**
 * tuneCandidates as jobs: the candidates' searches run concurrently (each started in order, so the groups are made
 * in the same order), each taking its own results; a candidate without `steps` searches on the calling thread.
 */
export function* tuneCandidatesSteps<T extends ScoredTrial>(
  resid: Observations,
  candidates: readonly TuningCandidate<T>[],
  ctx: { evaluate: Evaluator; progress: (event: CompleteProgress) => void },
): FitSteps<{ tried: T[]; results: CandidateResult<T>[]; bestFit: BestFit<T>; bestByGroup: Map<string, BestFit<T>> }> {
  const bestByGroup = new Map<string, BestFit<T>>();
  const bestFitOf = (group: string): BestFit<T> => {
    let b = bestByGroup.get(group);
    if (!b) bestByGroup.set(group, (b = { validationRMSE: Infinity, trial: null, L: null, R: null }));
    return b;
  };
  const tally: TuningTally = { done: 0, total: candidates.reduce((a, c) => a + c.planned, 0), report: ctx.progress };
  const search = { evaluate: ctx.evaluate, tally, bestFitOf };
  const results = yield* concurrently(
    candidates.map((c) => (c.steps ? c.steps(resid, search) : searchHere(c, resid, search))),
  );
  const empty: BestFit<T> = { validationRMSE: Infinity, trial: null, L: null, R: null };
  const bestFit = [...bestByGroup.values()].reduce((a, b) => (b.validationRMSE < a.validationRMSE ? b : a), empty);
  return { tried: results.flatMap((r) => r.trials), results, bestFit, bestByGroup };
}

/** A candidate's search on this thread, as a computation with no jobs. */
// eslint-disable-next-line require-yield
function* searchHere<T extends ScoredTrial>(
  c: TuningCandidate<T>,
  resid: Observations,
  ctx: SearchContext<T>,
): FitSteps<CandidateResult<T>> {
  return c.search(resid, ctx);
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
  function* steps(resid: Observations, ctx: SearchContext): FitSteps<CandidateResult> {
    const r = yield* tuneSoftImputeSteps(resid, ranks, path, lambdaMax, {
      ...options,
      evaluate: ctx.evaluate,
      tally: ctx.tally,
      bestFit: ctx.bestFitOf('soft-impute'),
    });
    return { trials: r.trials, ...(r.best ? { warm: r.best } : {}) };
  }
  return {
    method: 'soft-impute',
    planned: ranks.length * path.length,
    search: (resid, ctx) => runInline(steps(resid, ctx), runTuneJob),
    steps,
  };
}

/** A gradient method as a tuning candidate: its candidates by successive halving (tuneGradient), a group per weighting. */
export function gradientSearchCandidate(
  method: 'ratio' | 'nuclear',
  candidates: readonly GradientCandidate[],
  settings: GradientTuning,
): TuningCandidate {
  const group = (c: GradientCandidate): string => `${method}/${c.weighting}`;
  function* steps(resid: Observations, ctx: SearchContext): FitSteps<CandidateResult> {
    for (const c of candidates) ctx.bestFitOf(group(c));
    const r = yield* tuneGradientSteps(method, resid, candidates, settings, {
      evaluate: ctx.evaluate,
      tally: ctx.tally,
      bestFitOf: (c) => ctx.bestFitOf(group(c)),
    });
    const strategy = r.rungs.length > 1 ? 'successive halving' : 'every candidate in full';
    return {
      trials: r.trials,
      summary: { method, strategy, candidates: candidates.length, rungs: r.rungs, steps: r.steps },
    };
  }
  return {
    method,
    planned: halvingSchedule(candidates.length, settings.maxSteps).reduce((a, r) => a + r.candidates, 0),
    search: (resid, ctx) => runInline(steps(resid, ctx), runTuneJob),
    steps,
  };
}

/** What tuneMethods found: every trial, soft-impute's best with its state, the best fit of each group and over all. */
export interface MethodsTuning {
  tried: Trial[];
  softImpute: SoftImputeBest | null;
  bestFit: BestFit;
  bestByGroup: Map<string, BestFit>;
  searches: SearchSummary[];
}

/**
 * complete()'s methods as tuning candidates on the fit's residual `resid`, scored on validation (tuneCandidates):
 * soft-impute along its λ path (softImputeLambdas), the gradient methods over rank × λ (gradientLambdas); λ_max =
 * ||P_Ω(resid)||_2 by power iteration when soft-impute or nuclear is tuned. Returns every trial in order, soft-impute's
 * best with its state, and the best fit of each group (soft-impute; a gradient method per weighting: its factors, for
 * auto's blend) and over all. Jobs: the candidates' (tuneCandidatesSteps). Cost: the sum of the fits tried.
 */
export function* tuneMethods(
  resid: Observations,
  ranks: ReadonlyMap<CompletionMethod, readonly number[]>,
  lambdas: readonly number[] | undefined,
  settings: TuningSettings,
): FitSteps<MethodsTuning> {
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
  const r = yield* tuneCandidatesSteps(resid, candidates, { evaluate, progress: settings.progress });
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
