// complete()'s fit as named phases that hand values to each other: split → plan → biases → tune → blend → select →
// refit → model. Each takes what the earlier ones returned and returns what the later ones need.
import type { Observations } from '../data/observations.ts';
import type { LabeledObservations } from '../data/labels.ts';
import { splitObservations } from '../data/split.ts';
import { fitBiases, residualObservations, zeroBiases, type Biases } from './biases.ts';
import { COMPLETE_SOFT_IMPUTE_ALS } from '../defaults.ts';
import {
  candidateRanks,
  fitGridToBudget,
  NUCLEAR_FRACTIONS,
  PLAN_WORK_RATE,
  RATIO_LAMBDAS,
  searchWork,
  softImputeBudgetCut,
  softImputePathLength,
  softImputePathWork,
  type CompletionMethod,
  type RankContext,
} from './grid.ts';
import type { CompletionParts } from './predictor.ts';
import { makeFittedModel, type FoldInBlock } from './model.ts';
import { dataFingerprint } from '../data/fingerprint.ts';
import { refitSettingsOf, runRefitJob, type RefitJob, type RefitSummary } from './refit.ts';
import type { FactoredWeighting } from '../solver/factored-train.ts';
import { lowRankSpectrum, validationDiagnostics } from './diagnostics.ts';
import {
  halvingSchedule,
  makeEvaluator,
  concurrently,
  resultOf,
  runBatch,
  runInline,
  runTuneJob,
  tuneBiases,
  tuneMethods,
  type BestFit,
  type FitJob,
  type FitJobResult,
  type FitSteps,
  type MethodsTuning,
  type BiasTrial,
  type Evaluator,
  type SoftImputeBest,
  type Trial,
  type TuningSettings,
} from './tune.ts';
import { blendFactors, chooseBlend } from './blend.ts';
import type { CompleterConfig, CompletionModel, CompletionReport, CompleteSettings } from './complete.ts';
import type { Matrix } from '../linalg/matrix.ts';

/**
 * complete()'s fit of `input` under a resolved configuration, phase by phase. Cost: one fit per setting tried plus
 * the refit (see trainFactored and softImputeAls).
 */
export function fitCompletion(input: Observations | LabeledObservations, config: CompleterConfig): CompletionModel {
  return runInline(fitCompletionSteps(input, config), runFitJob);
}

/**
 * fitCompletion as jobs (FitSteps): the tuning runs and the refits are jobs, the rest runs between them. Its model
 * depends on the jobs' results only, so it is the same whichever threads run them (runInline: fitCompletion).
 * `speculate` (for jobs run side by side): the refit of the choice on the biases starts beside the centering check
 * and is kept unless the check keeps the mean alone (then the refit is done again on the mean's residual): the same
 * model, sooner, at the cost of a refit thrown away when the mean wins.
 */
export function* fitCompletionSteps(
  input: Observations | LabeledObservations,
  config: CompleterConfig,
  options: { speculate?: boolean } = {},
): FitSteps<CompletionModel> {
  const started = performance.now();
  const s = config.settings;
  const split = splitPhase(input, s);
  const plan = planPhase(split, config);
  const biases = biasPhase(split, s);
  const tuned = yield* tunePhase(split, plan, biases, config);
  const blend = blendPhase(split, biases, tuned, s);
  const times = { started, tuned: 0 };
  function* select(): FitSteps<SelectPhase> {
    const selected = yield* selectPhase(split, biases, tuned, blend, s);
    times.tuned = performance.now();
    return selected;
  }
  let selected: SelectPhase;
  let refitted: RefitPhase;
  if (options.speculate && s.center) {
    // What selectPhase picks when the check keeps the biases.
    const onBiases = { chosen: tuned.best, softImpute: tuned.tuning.softImpute, blended: blend.won, meanOnly: false };
    const [picked, guessed] = yield* concurrently<SelectPhase | RefitPhase>([
      select(),
      refitPhase(split, biases, tuned, blend, onBiases, s),
    ]);
    selected = picked as SelectPhase;
    refitted = selected.meanOnly
      ? yield* refitPhase(split, biases, tuned, blend, selected, s)
      : (guessed as RefitPhase);
  } else {
    selected = yield* select();
    refitted = yield* refitPhase(split, biases, tuned, blend, selected, s);
  }
  return modelPhase(split, biases, tuned, blend, selected, refitted, s, times);
}

/** Runs any job of complete()'s on this thread: a tuning run (runTuneJob) or a refit (runRefitJob). */
export function runFitJob(job: FitJob): FitJobResult {
  return job.kind === 'refit' ? runRefitJob(job) : runTuneJob(job);
}

/** The split phase's output: the checked data, and the fit and validation parts of its observed entries. */
export interface SplitPhase {
  labeled: LabeledObservations;
  obs: Observations;
  m: number;
  n: number;
  count: number;
  fit: Observations;
  val: Observations;
  fitCount: number;
  /** A warning when every observed value is the same (constantValueNote). */
  notes: string[];
}

/**
 * The warning for data whose observed values are all equal (clicks, likes): the only completion consistent with
 * them is that constant, and implicit-feedback models (which treat the unobserved cells as weak negatives) are not
 * in scope. Null when two values differ. Cost O(|Ω|).
 */
export function constantValueNote(values: Float64Array): string | null {
  for (let t = 1; t < values.length; t++) if (values[t] !== values[0]) return null;
  return (
    `warning: every observed value is ${values[0]}, so the completion is that constant everywhere; ` +
    'clicks, likes and other implicit feedback need a model of the unobserved cells, which mcomplete does not have (docs/complete.md)'
  );
}

/** Checks the data (asLabeled) and that it holds a validation split; then splits it by the seed. Cost O(|Ω|). */
export function splitPhase(input: Observations | LabeledObservations, s: CompleteSettings): SplitPhase {
  const labeled = asLabeled(input);
  const obs = labeled.observations;
  const [m, n] = obs.shape;
  const count = obs.values.length;
  const valCount = Math.round(s.validation * count);
  if (valCount < 1 || count - valCount < 1) {
    throw new RangeError(
      `too few observed entries (${count}) to hold out a validation split of ${s.validation}: need at least ${minimumEntries(s.validation)}`,
    );
  }
  const { train: fit, heldOut: val } = splitObservations(obs, s.validation, s.seed, 'validation');
  const constant = constantValueNote(obs.values);
  return { labeled, obs, m, n, count, fit, val, fitCount: fit.values.length, notes: constant ? [constant] : [] };
}

/** The plan phase's output: each method's candidate ranks, and notes on methods skipped. */
export interface PlanPhase {
  ranks: Map<CompletionMethod, number[]>;
  notes: string[];
}

/** The candidate ranks of each method for these data (planRanks): an unsupported rank is refused before any fit. */
export function planPhase(split: SplitPhase, config: CompleterConfig): PlanPhase {
  const s = config.settings;
  const magnitude = s.nuclearWeight > 0 || (s.weightDecays ?? s.ratioWeightDecayFractions).some((w) => w > 0);
  const { m, n, count, fitCount } = split;
  return planRanks(config.methods, {
    m,
    n,
    count,
    fitCount,
    ranks: s.ranks,
    magnitudeControl: magnitude,
    auto: s.method === 'auto',
  });
}

/** The biases phase's output: the clip range, the bias trials, and the fit's baseline and residual. */
export interface BiasPhase {
  clip: [number, number] | null;
  trials: BiasTrial[];
  /** The chosen ridge weight of the biases. */
  lambda: number;
  /** The biases the low-rank part is tuned on (zero without centering), and the fit's residual after them. */
  fitBias: Biases;
  fitResid: Observations;
}

/** The clip range of the fit and its biases, their ridge weight chosen on validation (tuneBiases). Cost O(weights·|Ω|). */
export function biasPhase(split: SplitPhase, s: CompleteSettings): BiasPhase {
  const { fit, val, m, n } = split;
  const clip: [number, number] | null = s.clip ? valueRange(fit.values) : null;
  const bias = tuneBiases(fit, val, s.biasLambdas, clip);
  const fitBias = s.center ? bias.best.b : zeroBiases(m, n);
  return { clip, trials: bias.trials, lambda: bias.best.lambda, fitBias, fitResid: residualObservations(fit, fitBias) };
}

/** The tuning settings of complete()'s methods, the evaluator of its baseline, and what was chosen. */
export interface TunePhase {
  /** The settings every method was tuned with (lr and maxSteps as cut to the budget); the refit uses them too. */
  settings: Omit<TuningSettings, 'evaluate'>;
  evaluator: Evaluator;
  tuning: MethodsTuning;
  /** The trial with the lowest validation RMSE. */
  best: Trial;
  notes: string[];
}

/**
 * The grids of the methods (default weight decays scaled to the residual's mean square; a large problem's default
 * search cut to the budget by fitGridToBudget), then every method's candidates tuned on validation (tuneMethods).
 */
export function* tunePhase(
  split: SplitPhase,
  plan: PlanPhase,
  biases: BiasPhase,
  config: CompleterConfig,
): FitSteps<TunePhase> {
  const s = config.settings;
  const { fitCount } = split;
  const notes = [...plan.notes];
  // Default weight decays scale with the residual's mean square (ω acts like a ridge weight per rating).
  let meanSquare = 0;
  for (const v of biases.fitResid.values) meanSquare += v * v;
  meanSquare /= fitCount;
  const scaled = (fs: readonly number[]): number[] => fs.map((f) => Number((f * meanSquare).toPrecision(3)));
  const weightDecays = new Map<CompletionMethod, readonly number[]>([
    ['ratio', s.weightDecays ?? scaled(s.ratioWeightDecayFractions)],
    ['nuclear', s.weightDecays ?? s.nuclearWeightDecays],
  ]);
  const unweightedDecays = new Map<CompletionMethod, readonly number[]>(
    s.weightDecays ? [] : [['ratio', scaled(s.ratioUnweightedDecayFractions)]],
  );
  const weightings = new Map<CompletionMethod, readonly FactoredWeighting[]>([
    ['ratio', s.weightings ?? s.ratioWeightings],
    ['nuclear', s.weightings ?? s.nuclearWeightings],
  ]);
  // A large problem gets a shorter default search, its planned work held near the budget (fitGridToBudget); one rate
  // and step cap for every gradient method (auto runs one of them, ratio).
  let lr = s.lr;
  let maxSteps = s.maxSteps;
  for (const mth of ['ratio', 'nuclear'] as const) {
    if (!config.methods.includes(mth)) continue;
    const lambdaCount = s.lambdas?.length ?? (mth === 'ratio' ? RATIO_LAMBDAS.length : NUCLEAR_FRACTIONS.length);
    const unweighted = unweightedDecays.get(mth);
    const cut = fitGridToBudget(
      {
        weightDecays: weightDecays.get(mth) ?? [0],
        ...(unweighted ? { unweightedDecays: unweighted } : {}),
        weightings: weightings.get(mth) ?? ['none'],
        lr: s.lr,
        maxSteps: s.maxSteps,
      },
      {
        weightDecays: s.weightDecays !== undefined,
        weightings: s.weightings !== undefined,
        lr: config.given.lr,
        maxSteps: config.given.maxSteps,
      },
      {
        ranks: plan.ranks.get(mth) ?? [],
        lambdas: lambdaCount,
        fitCount,
        budget: s.searchBudget,
        schedule: halvingSchedule,
      },
    );
    weightDecays.set(mth, cut.grid.weightDecays);
    if (cut.grid.unweightedDecays) unweightedDecays.set(mth, cut.grid.unweightedDecays);
    weightings.set(mth, cut.grid.weightings);
    lr = Math.max(lr, cut.grid.lr);
    maxSteps = Math.min(maxSteps, cut.grid.maxSteps);
    if (cut.note) notes.push(`${mth}: ${cut.note}`);
  }
  const siCut =
    config.methods.includes('soft-impute') && !s.lambdas
      ? softImputeBudgetCut(
          plan.ranks.get('soft-impute') ?? [],
          COMPLETE_SOFT_IMPUTE_ALS.tuneMaxIters,
          fitCount,
          split.m + split.n,
          s.searchBudget,
        )
      : null;
  if (siCut) notes.push(siCut.note);
  // The plan, stated before any of it is spent.
  const planned = config.methods.map((mth) => {
    const ranks = plan.ranks.get(mth) ?? [];
    if (mth === 'soft-impute') {
      const iters = siCut?.maxIters ?? COMPLETE_SOFT_IMPUTE_ALS.tuneMaxIters;
      const lambdaCount = s.lambdas?.length ?? softImputePathLength(siCut?.stride ?? 1);
      const work =
        (softImputePathWork(ranks, iters, fitCount, split.m + split.n) * lambdaCount) / softImputePathLength();
      return { method: mth, candidates: ranks.length * lambdaCount, work };
    }
    const lambdaCount = s.lambdas?.length ?? (mth === 'ratio' ? RATIO_LAMBDAS.length : NUCLEAR_FRACTIONS.length);
    const decays = weightDecays.get(mth) ?? [0];
    const unweighted = unweightedDecays.get(mth);
    const decayCount = (weightings.get(mth) ?? ['none']).reduce(
      (a, w) => a + (w === 'none' && unweighted ? unweighted.length : decays.length),
      0,
    );
    const candidates = ranks.length * lambdaCount * decayCount;
    const meanRank = ranks.reduce((a, k) => a + k, 0) / Math.max(1, ranks.length);
    return { method: mth, candidates, work: searchWork(halvingSchedule(candidates, maxSteps), fitCount, meanRank) };
  });
  const plannedWork = planned.reduce((a, p) => a + p.work, 0);
  const planText =
    `plan: ${planned.map((p) => `${p.method} ${p.candidates} candidates (${p.work.toExponential(1)})`).join(', ')}; ` +
    `planned work ${plannedWork.toExponential(2)} at most (early stops spend less), up to about ${formatDuration(plannedWork / PLAN_WORK_RATE)} at ${PLAN_WORK_RATE.toExponential(0)} a second`;
  notes.push(planText);
  progressOf(s)({ phase: 'plan', done: 0, total: 0, info: planText });
  const settings: Omit<TuningSettings, 'evaluate'> = {
    methods: config.methods,
    seed: s.seed,
    lr,
    maxSteps,
    initScale: s.initScale,
    evalEvery: s.evalEvery,
    patience: s.patience,
    nuclearWeight: s.nuclearWeight,
    decay: s.decay,
    weightDecays,
    unweightedDecays,
    weightings,
    progress: progressOf(s),
    ...(siCut ? { softImputeCut: { stride: siCut.stride, maxIters: siCut.maxIters } } : {}),
  };
  const evaluator = makeEvaluator(split.fit, split.val, biases.fitBias, biases.clip);
  const tuning = yield* tuneMethods(biases.fitResid, plan.ranks, s.lambdas, { ...settings, evaluate: evaluator });
  if (tuning.tried.length === 0) throw new RangeError(`no method could be tuned: ${notes.join('; ')}`);
  return { settings, evaluator, tuning, best: lowest(tuning.tried), notes };
}

type Factors = { L: NonNullable<BestFit['L']>; R: NonNullable<BestFit['R']>; trial: Trial };

/** The blend phase's output: the pairs of groups tried, the best pair and its blend, and whether it won. */
export interface BlendPhase {
  pairs: number;
  pair: [Factors, Factors] | null;
  mix: ReturnType<typeof chooseBlend> | null;
  won: boolean;
}

/**
 * auto only: a convex blend of two groups' best fits (every pair tried, its weight fitted on validation), kept only
 * if it beats the best single fit there. Cost O(groups²·|val|·k).
 */
export function blendPhase(split: SplitPhase, biases: BiasPhase, tuned: TunePhase, s: CompleteSettings): BlendPhase {
  const pairs = s.method === 'auto' ? fitPairs(tuned.tuning.bestByGroup) : [];
  const scored = pairs.map((p) => ({
    p,
    q: chooseBlend(split.fit, split.val, biases.fitBias, p[0], p[1], tuned.evaluator),
  }));
  // The first pair with the lowest validation RMSE.
  const top = scored.reduce<(typeof scored)[number] | null>(
    (a, b) => (!a || b.q.validationRMSE < a.q.validationRMSE ? b : a),
    null,
  );
  const won = top !== null && top.q.weight > 0 && top.q.weight < 1 && top.q.validationRMSE < tuned.best.validationRMSE;
  return { pairs: pairs.length, pair: top?.p ?? null, mix: top?.q ?? null, won };
}

/** The select phase's output: the setting (or blend) refit, the baseline it goes with, and its diagnostics. */
export interface SelectPhase {
  chosen: Trial;
  best: BestFit;
  softImpute: SoftImputeBest | null;
  blended: boolean;
  meanOnly: boolean;
  centerCheck: CenterCheck | null;
  diagnostics: ReturnType<typeof validationDiagnostics>;
  notes: string[];
}

/**
 * The biases were chosen alone; with the low-rank part the mean alone can do better (checkCentering): the chosen
 * single setting retuned on the mean alone is kept when it beats the best on the biases (the blend, when it won).
 * Then the choice's validation diagnostics.
 */
export function* selectPhase(
  split: SplitPhase,
  biases: BiasPhase,
  tuned: TunePhase,
  blend: BlendPhase,
  s: CompleteSettings,
): FitSteps<SelectPhase> {
  const { fit, val } = split;
  const { clip, fitBias } = biases;
  const against = blend.won && blend.mix ? blend.mix.validationRMSE : tuned.best.validationRMSE;
  const centerCheck = s.center ? yield* checkCentering(fit, val, tuned.best, clip, tuned.settings, against) : null;
  const meanOnly = centerCheck?.kept === 'mean';
  const notes: string[] = [];
  if (meanOnly) {
    notes.push(
      `centering: the mean alone (no row or column biases) gave validation RMSE ${centerCheck.meanOnlyRMSE.toFixed(4)} with the chosen setting, ` +
        `against ${centerCheck.biasesRMSE.toFixed(4)} with the biases: kept the mean alone`,
    );
  }
  const from = meanOnly ? centerCheck.tuning : tuned.tuning;
  const chosen = meanOnly ? lowest(centerCheck.tuning.tried) : tuned.best;
  const blended = !meanOnly && blend.won;
  const diagnostics =
    blended && blend.mix
      ? validationDiagnostics(fit, val, fitBias, blend.mix.L, blend.mix.R, clip)
      : validationDiagnostics(fit, val, meanOnly ? centerCheck.bias : fitBias, from.bestFit.L, from.bestFit.R, clip);
  return {
    chosen,
    best: from.bestFit,
    softImpute: from.softImpute,
    blended,
    meanOnly,
    centerCheck,
    diagnostics,
    notes,
  };
}

/** One refit's low-rank part, summary and notes. */
type RefitResult = Omit<ReturnType<typeof runRefitJob>, 'kind'>;

/** The refit phase's output: the biases on all entries, each component's refit, and the low-rank part predicted. */
export interface RefitPhase {
  /** The biases of all entries at the chosen ridge weight (the fallback of unknown ids). */
  allBias: Biases;
  /** The baseline of the predictions: allBias, its mean alone, or zero. */
  biases: Biases;
  components: Trial[];
  finals: RefitResult[];
  lowRank: { L: Matrix; R: Matrix };
  notes: string[];
}

/** The chosen setting (or both components of the blend) refit on every observed entry, then blended. Jobs: the refits. */
export function* refitPhase(
  split: SplitPhase,
  biases: BiasPhase,
  tuned: TunePhase,
  blend: BlendPhase,
  selected: Pick<SelectPhase, 'chosen' | 'softImpute' | 'blended' | 'meanOnly'>,
  s: CompleteSettings,
): FitSteps<RefitPhase> {
  const { obs, m, n, fitCount } = split;
  const allBias = fitBiases(obs, biases.lambda);
  const base = !s.center ? zeroBiases(m, n) : selected.meanOnly ? meanBiases(allBias) : allBias;
  const allResid = residualObservations(obs, base);
  const si = selected.softImpute;
  const refitOf = (trial: Trial): RefitJob => ({
    kind: 'refit',
    resid: allResid,
    chosen: trial,
    softImputeState: si?.trial === trial ? si.state : null,
    fitCount,
    settings: refitSettingsOf(tuned.settings),
    progress: tuned.settings.progress,
  });
  const components = selected.blended && blend.pair ? [blend.pair[0].trial, blend.pair[1].trial] : [selected.chosen];
  const finals = (yield* runBatch(components.map(refitOf))).map((r) => resultOf(r, 'refit'));
  const lowRank =
    selected.blended && blend.mix
      ? blendFactors(finals[0].L, finals[0].R, finals[1].L, finals[1].R, blend.mix.weight)
      : { L: finals[0].L, R: finals[0].R };
  return { allBias, biases: base, components, finals, lowRank, notes: finals.flatMap((f) => f.notes) };
}

/** The predictor of the refit parts, its train RMSE on every observed entry, and the report of every phase. */
export function modelPhase(
  split: SplitPhase,
  biases: BiasPhase,
  tuned: TunePhase,
  blend: BlendPhase,
  selected: SelectPhase,
  refitted: RefitPhase,
  s: CompleteSettings,
  times: { started: number; tuned: number },
): CompletionModel {
  const { obs, labeled, m, n, count, fitCount, val } = split;
  const { chosen, centerCheck, blended } = selected;
  const { components, finals, lowRank } = refitted;
  let report: CompletionReport['blend'];
  if (blend.pair && blend.mix) {
    const { pair, mix } = blend;
    const methods: [CompletionMethod, CompletionMethod] = [pair[0].trial.method, pair[1].trial.method];
    const labels: [string, string] = [groupLabel(pair[0].trial), groupLabel(pair[1].trial)];
    const weights: [number, number] = [mix.weight, 1 - mix.weight];
    report = blended
      ? {
          chosen: {
            methods,
            labels,
            weights,
            validationRMSE: mix.validationRMSE,
            bestSingleRMSE: chosen.validationRMSE,
            components: [components[0], components[1]],
            refits: [finals[0].summary, finals[1].summary],
          },
        }
      : { chosen: null, validationRMSE: mix.validationRMSE, weights, methods, labels, pairs: blend.pairs };
  }
  const allRange = valueRange(obs.values);
  const parts: CompletionParts = {
    rowIds: labeled.rowIds,
    colIds: labeled.colIds,
    biases: refitted.biases,
    fallback: refitted.allBias,
    L: lowRank.L,
    R: lowRank.R,
    clip: s.clip ? allRange : null,
  };
  const blocks: FoldInBlock[] = components.map((trial, b) => ({
    method: trial.method,
    rank: finals[b].L.cols,
    weight: blended && blend.mix ? (b === 0 ? blend.mix.weight : 1 - blend.mix.weight) : 1,
    lambda: finals[b].summary.lambda,
    weightDecay: trial.weightDecay ?? 0,
    weighting: trial.weighting ?? 'none',
  }));
  const { onProgress: _progress, ...settings } = s;
  const predictor = makeFittedModel({
    parts,
    observed: obs,
    info: {
      method: (blended ? components[0] : chosen).method,
      settings,
      fingerprint: dataFingerprint(labeled),
      foldIn: { center: s.center, blocks, entries: count, rows: m, cols: n },
      input: null,
      foldedIn: 0,
    },
  });
  let sse = 0;
  for (let t = 0; t < count; t++) sse += (predictor.predictAt(obs.rows[t], obs.cols[t]) - obs.values[t]) ** 2;
  const summary: RefitSummary = finals[0].summary;
  summary.trainRMSE = Math.sqrt(sse / count);
  const top = blended ? components[0] : chosen;
  const finished = performance.now();
  const fullReport: CompletionReport = {
    method: top.method,
    chosen: {
      ...top,
      biasLambda: biases.lambda,
      ...(top.method === 'ratio' && s.nuclearWeight > 0 ? { nuclearWeight: s.nuclearWeight } : {}),
    },
    refit: summary,
    tried: centerCheck ? [...tuned.tuning.tried, ...centerCheck.tuning.tried] : tuned.tuning.tried,
    searches: tuned.tuning.searches,
    biasTrials: biases.trials.map(({ lambda, validationRMSE: v }) => ({ lambda, validationRMSE: v })),
    validation: { fraction: s.validation, seed: s.seed, entries: val.values.length, fitEntries: fitCount },
    data: { rows: m, cols: n, observed: count, min: allRange[0], max: allRange[1] },
    centered: s.center,
    ...(centerCheck
      ? {
          centerCheck: {
            biasesRMSE: centerCheck.biasesRMSE,
            meanOnlyRMSE: centerCheck.meanOnlyRMSE,
            kept: centerCheck.kept,
          },
        }
      : {}),
    clip: parts.clip ? [parts.clip[0], parts.clip[1]] : null,
    seconds: {
      tuning: (times.tuned - times.started) / 1000,
      fitting: (finished - times.tuned) / 1000,
      total: (finished - times.started) / 1000,
    },
    notes: [...split.notes, ...tuned.notes, ...selected.notes, ...refitted.notes],
    diagnostics: { ...selected.diagnostics, singularValues: lowRankSpectrum(lowRank.L, lowRank.R) },
    ...(report ? { blend: report } : {}),
  };
  return { ...predictor, report: fullReport };
}

/** The trial with the lowest validation RMSE (the first on a tie). */
function lowest(trials: readonly Trial[]): Trial {
  return trials.reduce((a, b) => (b.validationRMSE < a.validationRMSE ? b : a));
}

/** Where progress goes: the caller's handler, or nowhere. */
function progressOf(s: CompleteSettings): NonNullable<CompleteSettings['onProgress']> {
  return s.onProgress ?? ((): void => {});
}

/** A group in words: soft-impute, or a gradient method with its weighting. */
function groupLabel(t: Trial): string {
  return t.method === 'soft-impute' ? t.method : `${t.method} (weighting ${t.weighting ?? 'none'})`;
}

/** Every pair of groups' best fits (each with a low-rank part), the better one first. Cost O(groups²). */
function fitPairs(byGroup: ReadonlyMap<string, BestFit>): [Factors, Factors][] {
  const fits = [...byGroup.values()].filter(
    (f): f is Factors & BestFit => f.L !== null && f.R !== null && f.trial !== null && f.L.cols > 0,
  );
  fits.sort((a, b) => a.validationRMSE - b.validationRMSE);
  return fits.flatMap((a, i) => fits.slice(i + 1).map((b): [Factors, Factors] => [a, b]));
}

/** Biases reduced to their mean (no row or column terms), for `centerCheck.kept === 'mean'`. */
function meanBiases(b: Biases): Biases {
  return { mean: b.mean, row: new Float64Array(b.row.length), col: new Float64Array(b.col.length), lambda: Infinity };
}

/** What checkCentering found: the mean-only biases, both validation RMSEs, which was kept, and the retuning. */
interface CenterCheck {
  bias: Biases;
  biasesRMSE: number;
  meanOnlyRMSE: number;
  kept: 'biases' | 'mean';
  tuning: MethodsTuning;
}

/**
 * Whether the row and column biases help the chosen setting. They are tuned alone, before any low-rank part, so
 * they soak up what a low-rank part would fit better: on a matrix with no biases (the scale problem of
 * bench/scale.ts) the fitted b_i are row means of a few dozen noisy values, a rank-2 perturbation a rank-k model
 * of the residual cannot undo (about 0.25σ² of test MSE at 49 ratings per row). The chosen setting (its method,
 * rank, λ, ω, weighting and step budget; soft-impute's whole λ path at its rank cap) is retuned on the residual of
 * the mean alone and kept when its validation RMSE is below `against` (the best on the biases: the chosen setting's, or
 * the blend's when auto blended). Cost: one more tuning of one setting.
 */
function* checkCentering(
  fit: Observations,
  val: Observations,
  chosen: Trial,
  clip: [number, number] | null,
  s: Omit<TuningSettings, 'methods' | 'evaluate'>,
  against: number,
): FitSteps<CenterCheck> {
  const bias = meanBiases(fitBiases(fit, 0, 0));
  const mth = chosen.method;
  const one = <T>(x: T): Map<CompletionMethod, readonly T[]> => new Map([[mth, [x]]]);
  const tuning = yield* tuneMethods(
    residualObservations(fit, bias),
    one(chosen.rank),
    mth === 'soft-impute' ? undefined : [chosen.lambda],
    {
      ...s,
      methods: [mth],
      maxSteps: chosen.budget ?? s.maxSteps,
      weightDecays: one(chosen.weightDecay ?? 0),
      unweightedDecays: undefined, // the chosen ω alone, whatever its weighting
      weightings: one(chosen.weighting ?? 'none'),
      evaluate: makeEvaluator(fit, val, bias, clip),
    },
  );
  for (const t of tuning.tried) t.centering = 'mean';
  const meanOnlyRMSE = tuning.tried.length > 0 ? Math.min(...tuning.tried.map((t) => t.validationRMSE)) : Infinity;
  return { bias, biasesRMSE: against, meanOnlyRMSE, kept: meanOnlyRMSE < against ? 'mean' : 'biases', tuning };
}

/**
 * The fewest observed entries that leave both a validation split (round(fraction·count) >= 1) and a fit (at
 * least one entry) for a fraction in (0, 0.5]: the first count from about 0.5/fraction that passes the same test.
 */
export function minimumEntries(fraction: number): number {
  let count = Math.max(2, Math.floor(0.5 / fraction) - 1);
  while (Math.round(fraction * count) < 1 || count - Math.round(fraction * count) < 1) count++;
  return count;
}

/**
 * The candidate ranks of each method (candidateRanks). A method no rank fits is an error when it was asked for, and
 * skipped with a note under `auto`.
 */
function planRanks(
  methods: readonly CompletionMethod[],
  ctx: RankContext,
): { ranks: Map<CompletionMethod, number[]>; notes: string[] } {
  const { m, n, fitCount } = ctx;
  const ranks = new Map(methods.map((mth) => [mth, candidateRanks(mth, ctx)]));
  const notes: string[] = [];
  for (const mth of methods) {
    if (ranks.get(mth)?.length !== 0) continue;
    const need = m + n - 1;
    if (!ctx.auto) {
      throw new RangeError(
        `${mth}: even rank 1 on a ${m}×${n} matrix needs at least m+n−1 = ${need} observed entries to fit, but the fit sees ${fitCount}`,
      );
    }
    notes.push(`${mth} skipped: even rank 1 needs ${need} observed entries, the fit sees ${fitCount}`);
  }
  return { ranks, notes };
}

/** Labeled observations as given, or positions as labels ("0".."m−1") for plain Observations; checks entries. */
function asLabeled(input: Observations | LabeledObservations): LabeledObservations {
  const labeled: LabeledObservations =
    'observations' in input
      ? input
      : {
          observations: input,
          rowIds: Array.from({ length: input.shape[0] }, (_, i) => String(i)),
          colIds: Array.from({ length: input.shape[1] }, (_, j) => String(j)),
        };
  const { observations: obs, rowIds, colIds } = labeled;
  const [m, n] = obs.shape;
  if (rowIds.length !== m || colIds.length !== n) {
    throw new RangeError(`complete: ${rowIds.length} row ids and ${colIds.length} column ids for a ${m}×${n} matrix`);
  }
  if (obs.values.length === 0) throw new RangeError('complete: no observed entries');
  const rowSeen = new Uint8Array(m);
  const colSeen = new Uint8Array(n);
  for (let t = 0; t < obs.values.length; t++) {
    const i = obs.rows[t];
    const j = obs.cols[t];
    if (!(i >= 0 && i < m && j >= 0 && j < n))
      throw new RangeError(`complete: entry ${t} at (${i}, ${j}) is outside the ${m}×${n} matrix`);
    if (!Number.isFinite(obs.values[t]))
      throw new RangeError(`complete: entry ${t} (row id ${rowIds[i]}, column id ${colIds[j]}) is ${obs.values[t]}`);
    rowSeen[i] = 1;
    colSeen[j] = 1;
  }
  const i = rowSeen.indexOf(0);
  if (i >= 0)
    throw new RangeError(`complete: row id ${rowIds[i]} has no observed entries: nothing to complete it from`);
  const j = colSeen.indexOf(0);
  if (j >= 0)
    throw new RangeError(`complete: column id ${colIds[j]} has no observed entries: nothing to complete it from`);
  return labeled;
}

/** [min, max] of the values. Cost O(count). */
function valueRange(values: Float64Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let t = 0; t < values.length; t++) {
    if (values[t] < lo) lo = values[t];
    if (values[t] > hi) hi = values[t];
  }
  return [lo, hi];
}

/** A duration in words for a plan: "40 s", "12 min", "3.5 h". */
function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toPrecision(2)} h`;
}
