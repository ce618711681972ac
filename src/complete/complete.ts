import type { Observations } from '../data/observations.ts';
import type { LabeledObservations } from '../data/labels.ts';
import { splitObservations } from '../data/split.ts';
import { fitBiases, residualObservations, zeroBiases, type Biases } from './biases.ts';
import { COMPLETE_DEFAULTS, COMPLETE_SOFT_IMPUTE_ALS } from '../defaults.ts';
import { candidateRanks, fitGridToBudget, NUCLEAR_FRACTIONS, RATIO_LAMBDAS, softImputeBudgetCut, type CompletionMethod, type RankContext } from './grid.ts';
import { makePredictor, type CompletionParts, type Predictor } from './predictor.ts';
import { refit, type RefitSummary } from './refit.ts';
import { DECAY_MODES, type DecayMode } from './factored-fit.ts';
import { FACTORED_WEIGHTINGS, type FactoredWeighting } from '../solver/factored-train.ts';
import { lowRankSpectrum, validationDiagnostics, type CompletionDiagnostics } from './diagnostics.ts';
import { halvingSchedule, makeEvaluator, tuneBiases, tuneMethods, type BestFit, type CompleteProgress, type SearchSummary, type Trial, type TuningSettings } from './tune.ts';
import { blendFactors, chooseBlend } from './blend.ts';

/** A method, or `auto`: the methods of AUTO_METHODS compared on the validation split. */
export type MethodChoice = CompletionMethod | 'auto';

/** Every accepted method name, for flag validation. */
export const METHOD_CHOICES: readonly MethodChoice[] = ['auto', 'ratio', 'soft-impute', 'nuclear'];

/** The methods `auto` compares (nuclear is there for comparison only: same objective as soft-impute, slower). */
export const AUTO_METHODS: readonly CompletionMethod[] = ['ratio', 'soft-impute'];

/** Settings of complete(); every field has a default that works on ratings data (COMPLETE_DEFAULTS). */
export interface CompleteOptions {
  /** Default 'auto'. */
  method?: MethodChoice;
  /** Fit mean + row + column biases first and complete the residual (default true). */
  center?: boolean;
  /** Clamp predictions to the observed value range (default true). */
  clip?: boolean;
  /** Fraction of the observed entries held out to choose hyperparameters (default 0.1), in (0, 0.5]. */
  validation?: number;
  /** Seed of the validation split and of every random start (default 0). */
  seed?: number;
  /** Candidate ranks (ratio: the model's rank; soft-impute and nuclear: a rank cap). Default by method and size. */
  ranks?: readonly number[];
  /** Candidate λ for the chosen method (needs a method other than auto: λ means something different for each). */
  lambdas?: readonly number[];
  /** Candidate ridge weights of the biases (default 0, 1, 2, 5, 10, 20, 50). */
  biasLambdas?: readonly number[];
  /** Gradient methods: step cap; the number of steps itself is chosen on validation (default 1000; a third when searchBudget cuts it). */
  maxSteps?: number;
  /** Gradient methods: Adam's learning rate (default 1e-2; tripled when searchBudget cuts the steps) and initial entry RMS of W (default 1e-2). */
  lr?: number;
  initScale?: number;
  /** ratio only: an extra μ·||W||_* term, a magnitude control the scale-invariant L∗/F lacks (default 0). */
  nuclearWeight?: number;
  /** Gradient methods: candidate weight decays ω of the factors (loss term ω(Σ p_i||A_i||² + Σ q_j||B_j||²)). */
  weightDecays?: readonly number[];
  /** Gradient methods: candidate weightings of the penalties ('frequency': the weighted trace norm's D_r, D_c). */
  weightings?: readonly FactoredWeighting[];
  /** Gradient methods: the weight decay as a loss term (default) or decoupled (AdamW). */
  decay?: DecayMode;
  /** Gradient methods: evaluate on validation every evalEvery steps; stop after `patience` evaluations without gain. */
  evalEvery?: number;
  patience?: number;
  /**
   * Gradient methods: the planned work of the default search (Σ candidates × steps × |Ω_fit| × rank, searchWork)
   * above which its ω and weighting lists are shortened (fitGridToBudget; default COMPLETE_DEFAULTS.searchBudget).
   */
  searchBudget?: number;
  /** Progress of tuning and of the final fit. */
  onProgress?: (event: CompleteProgress) => void;
}

/**
 * auto's blend, when it won on validation: the prediction is b + w1·(first's low-rank part) + w2·(second's), clipped,
 * with w1 + w2 = 1 chosen on the validation split by least squares; both components refit on all entries. The
 * components are the best fits of two groups (soft-impute; ratio with weighting frequency; ratio with weighting
 * none), the pair with the lowest blended validation RMSE.
 */
export interface BlendSummary {
  methods: [CompletionMethod, CompletionMethod];
  /** The components' groups in words: 'soft-impute', 'ratio (weighting none)', 'ratio (weighting frequency)'. */
  labels: [string, string];
  weights: [number, number];
  /** The blend's validation RMSE (its weight fitted there: slightly optimistic), and the best single method's. */
  validationRMSE: number;
  bestSingleRMSE: number;
  /** Each component's chosen trial and its refit. */
  components: [Trial, Trial];
  refits: [RefitSummary, RefitSummary];
}

/** What complete() did: every setting tried with its validation RMSE, the choice, the refit and the time. */
export interface CompletionReport {
  method: CompletionMethod;
  chosen: Trial & { biasLambda: number; nuclearWeight?: number };
  /** The final fit on all observed entries: λ as rescaled for the larger data set, and its train RMSE. */
  refit: RefitSummary;
  tried: Trial[];
  /** How each gradient method was searched, and the steps it spent. */
  searches: SearchSummary[];
  biasTrials: { lambda: number; validationRMSE: number }[];
  validation: { fraction: number; seed: number; entries: number; fitEntries: number };
  data: { rows: number; cols: number; observed: number; min: number; max: number };
  centered: boolean;
  /**
   * With centering on: the best validation RMSE on the biases (the chosen setting or the blend) and with the mean alone (the same
   * setting retuned on the mean-only residual), and which was kept (checkCentering).
   */
  centerCheck?: { biasesRMSE: number; meanOnlyRMSE: number; kept: 'biases' | 'mean' };
  clip: [number, number] | null;
  seconds: { tuning: number; fitting: number; total: number };
  notes: string[];
  /** The chosen setting's validation residuals and cold-start picture (as tuned), and the final fit's spectrum. */
  diagnostics: CompletionDiagnostics;
  /**
   * `auto` only: the blend of the two best methods, tried on validation. `chosen` is set when it won (then the
   * predictions are the blend's, and `method`, `chosen` and `refit` describe its first, better component); else the
   * blend's validation RMSE is kept to say why it lost.
   */
  blend?: { chosen: BlendSummary } | { chosen: null; validationRMSE: number; weights: [number, number]; methods: [CompletionMethod, CompletionMethod]; labels: [string, string]; pairs: number };
}

/**
 * A fitted completion: predict and predictMany answer for labeled cells (keepObserved: observed cells keep their
 * value); `parts` holds the fitted pieces.
 */
export interface CompletionModel extends Predictor {
  readonly method: CompletionMethod;
  readonly report: CompletionReport;
  readonly parts: CompletionParts;
}

/**
 * Fill in a partially observed matrix. Hyperparameters (λ, rank, number of steps, bias ridge weight, and for
 * `auto` the method) are chosen on a validation split carved from the observed entries only (tune.ts, over the
 * candidates of grid.ts); then the chosen setting is refit on all observed entries (refit.ts). Predictions are
 * mean + row bias + column bias + low-rank part, clipped to the observed range. Ids never observed get the fallback
 * of makePredictor. Cost: one fit per setting tried plus the refit (see trainFactored and softImputeAls).
 */
export function complete(input: Observations | LabeledObservations, options: CompleteOptions = {}): CompletionModel {
  const started = performance.now();
  const { observations: obs, rowIds, colIds } = asLabeled(input);
  const [m, n] = obs.shape;
  const count = obs.values.length;
  const s = resolveOptions(options, count);
  const { train: fit, heldOut: val } = splitObservations(obs, s.fraction, s.seed, 'validation');
  const fitCount = fit.values.length;
  const magnitude = s.nuclearWeight > 0 || (options.weightDecays ?? COMPLETE_DEFAULTS.ratioWeightDecayFractions).some((w) => w > 0);
  const plan = planRanks(s.methods, { m, n, count, fitCount, ranks: options.ranks, magnitudeControl: magnitude, auto: s.method === 'auto' });
  const notes = plan.notes;

  // Clip range and biases, tuned on the validation split; then every method's candidates.
  const clip: [number, number] | null = s.clipOn ? valueRange(fit.values) : null;
  const bias = tuneBiases(fit, val, options.biasLambdas ?? COMPLETE_DEFAULTS.biasLambdas, clip);
  const biasLambda = bias.best.lambda;
  const fitBias = s.center ? bias.best.b : zeroBiases(m, n);
  const fitResid = residualObservations(fit, fitBias);
  // Default weight decays scale with the residual's mean square (ω acts like a ridge weight per rating).
  let meanSquare = 0;
  for (const v of fitResid.values) meanSquare += v * v;
  meanSquare /= fitCount;
  const weightDecays = new Map(s.weightDecays);
  const unweightedDecays = new Map<CompletionMethod, readonly number[]>();
  if (!options.weightDecays) {
    const scaled = (fs: readonly number[]): number[] => fs.map((f) => Number((f * meanSquare).toPrecision(3)));
    weightDecays.set('ratio', scaled(COMPLETE_DEFAULTS.ratioWeightDecayFractions));
    unweightedDecays.set('ratio', scaled(COMPLETE_DEFAULTS.ratioUnweightedDecayFractions));
  }
  // A large problem gets a shorter default search, its planned work held near the budget (fitGridToBudget).
  const weightings = new Map(s.weightings);
  let { lr, maxSteps } = s;
  for (const mth of ['ratio', 'nuclear'] as const) {
    if (!s.methods.includes(mth)) continue;
    const ks = plan.ranks.get(mth) ?? [];
    const lambdaCount = options.lambdas?.length ?? (mth === 'ratio' ? RATIO_LAMBDAS.length : NUCLEAR_FRACTIONS.length);
    const unweighted = unweightedDecays.get(mth);
    const cut = fitGridToBudget(
      { weightDecays: weightDecays.get(mth) ?? [0], ...(unweighted ? { unweightedDecays: unweighted } : {}), weightings: weightings.get(mth) ?? ['none'], lr: s.lr, maxSteps: s.maxSteps },
      { weightDecays: options.weightDecays !== undefined, weightings: options.weightings !== undefined, lr: options.lr !== undefined, maxSteps: options.maxSteps !== undefined },
      { ranks: ks, lambdas: lambdaCount, fitCount, budget: s.searchBudget, schedule: halvingSchedule },
    );
    weightDecays.set(mth, cut.grid.weightDecays);
    if (cut.grid.unweightedDecays) unweightedDecays.set(mth, cut.grid.unweightedDecays);
    weightings.set(mth, cut.grid.weightings);
    // One rate and step cap for every gradient method (auto runs one of them, ratio).
    lr = Math.max(lr, cut.grid.lr);
    maxSteps = Math.min(maxSteps, cut.grid.maxSteps);
    if (cut.note) notes.push(`${mth}: ${cut.note}`);
  }
  const siCut = s.methods.includes('soft-impute') && !options.lambdas
    ? softImputeBudgetCut(plan.ranks.get('soft-impute') ?? [], COMPLETE_SOFT_IMPUTE_ALS.tuneMaxIters, fitCount, s.searchBudget)
    : null;
  if (siCut) notes.push(siCut.note);
  const t = { ...s, lr, maxSteps, weightDecays, unweightedDecays, weightings, ...(siCut ? { softImputeCut: { stride: siCut.stride, maxIters: siCut.maxIters } } : {}) };
  const evaluator = makeEvaluator(fit, val, fitBias, clip);
  const tuning = tuneMethods(fitResid, plan.ranks, options.lambdas, {
    ...t,
    evaluate: evaluator,
    progress: s.progress,
  });
  if (tuning.tried.length === 0) throw new RangeError(`no method could be tuned: ${notes.join('; ')}`);
  let chosen = tuning.tried.reduce((a, b) => (b.validationRMSE < a.validationRMSE ? b : a));
  let best = tuning.bestFit;
  let siBest = tuning.softImpute;
  // auto: a convex blend of two groups' best fits (every pair tried, weight fitted on validation), kept only if it
  // beats the best single fit there.
  const pairs = s.method === 'auto' ? fitPairs(tuning.bestByGroup) : [];
  let pair: [Factors, Factors] | null = null;
  let mix: ReturnType<typeof chooseBlend> | null = null;
  for (const p of pairs) {
    const q = chooseBlend(fit, val, fitBias, p[0], p[1], evaluator);
    if (!mix || q.validationRMSE < mix.validationRMSE) [pair, mix] = [p, q];
  }
  let blended = pair !== null && mix !== null && mix.weight > 0 && mix.weight < 1 && mix.validationRMSE < chosen.validationRMSE;
  // The biases were chosen alone; with the low-rank part the mean alone can do better (centerCheck): the chosen
  // single setting refit on the mean alone, kept when it beats the best on the biases (the blend, when it won).
  const centerCheck = s.center ? checkCentering(fit, val, chosen, clip, t, blended && mix ? mix.validationRMSE : chosen.validationRMSE) : null;
  if (centerCheck && centerCheck.kept === 'mean') {
    chosen = centerCheck.tuning.tried.reduce((a, b) => (b.validationRMSE < a.validationRMSE ? b : a));
    best = centerCheck.tuning.bestFit;
    siBest = centerCheck.tuning.softImpute;
    blended = false;
    notes.push(
      `centering: the mean alone (no row or column biases) gave validation RMSE ${centerCheck.meanOnlyRMSE.toFixed(4)} with the chosen setting, ` +
        `against ${centerCheck.biasesRMSE.toFixed(4)} with the biases: kept the mean alone`,
    );
  }
  const meanOnly = centerCheck?.kept === 'mean';
  const checks =
    blended && mix
      ? validationDiagnostics(fit, val, fitBias, mix.L, mix.R, clip)
      : validationDiagnostics(fit, val, meanOnly ? centerCheck.bias : fitBias, best.L, best.R, clip);
  const tuned = performance.now();

  // Refit the chosen setting (or both components of the blend) on every observed entry.
  const allBias = fitBiases(obs, biasLambda);
  const biases = !s.center ? zeroBiases(m, n) : meanOnly ? meanBiases(allBias) : allBias;
  const allResid = residualObservations(obs, biases);
  const refitOf = (trial: Trial) => refit(allResid, trial, siBest?.trial === trial ? siBest.state : null, fitCount, t, s.progress);
  const components = blended && pair ? [pair[0].trial, pair[1].trial] : [chosen];
  const finals = components.map(refitOf);
  const final = finals[0];
  for (const f of finals) notes.push(...f.notes);
  const lowRank = blended && mix ? blendFactors(finals[0].L, finals[0].R, finals[1].L, finals[1].R, mix.weight) : { L: final.L, R: final.R };
  let blend: CompletionReport['blend'];
  if (pair && mix) {
    const methods: [CompletionMethod, CompletionMethod] = [pair[0].trial.method, pair[1].trial.method];
    const labels: [string, string] = [groupLabel(pair[0].trial), groupLabel(pair[1].trial)];
    const weights: [number, number] = [mix.weight, 1 - mix.weight];
    blend = blended
      ? { chosen: { methods, labels, weights, validationRMSE: mix.validationRMSE, bestSingleRMSE: chosen.validationRMSE, components: [components[0], components[1]], refits: [finals[0].summary, finals[1].summary] } }
      : { chosen: null, validationRMSE: mix.validationRMSE, weights, methods, labels, pairs: pairs.length };
  }
  const allRange = valueRange(obs.values);
  const parts: CompletionParts = { rowIds, colIds, biases, fallback: allBias, L: lowRank.L, R: lowRank.R, clip: s.clipOn ? allRange : null };
  const predictor = makePredictor(parts, obs);
  let sse = 0;
  for (let t = 0; t < count; t++) sse += (predictor.predictAt(obs.rows[t], obs.cols[t]) - obs.values[t]) ** 2;
  const summary = final.summary;
  summary.trainRMSE = Math.sqrt(sse / count);
  const top = blended ? components[0] : chosen;
  const finished = performance.now();
  const report: CompletionReport = {
    method: top.method,
    chosen: { ...top, biasLambda, ...(top.method === 'ratio' && s.nuclearWeight > 0 ? { nuclearWeight: s.nuclearWeight } : {}) },
    refit: summary,
    tried: centerCheck ? [...tuning.tried, ...centerCheck.tuning.tried] : tuning.tried,
    searches: tuning.searches,
    biasTrials: bias.trials.map(({ lambda, validationRMSE: v }) => ({ lambda, validationRMSE: v })),
    validation: { fraction: s.fraction, seed: s.seed, entries: val.values.length, fitEntries: fitCount },
    data: { rows: m, cols: n, observed: count, min: allRange[0], max: allRange[1] },
    centered: s.center,
    ...(centerCheck ? { centerCheck: { biasesRMSE: centerCheck.biasesRMSE, meanOnlyRMSE: centerCheck.meanOnlyRMSE, kept: centerCheck.kept } } : {}),
    clip: parts.clip ? [parts.clip[0], parts.clip[1]] : null,
    seconds: { tuning: (tuned - started) / 1000, fitting: (finished - tuned) / 1000, total: (finished - started) / 1000 },
    notes,
    diagnostics: { ...checks, singularValues: lowRankSpectrum(lowRank.L, lowRank.R) },
    ...(blend ? { blend } : {}),
  };
  return { ...predictor, method: top.method, report, parts };
}

type Factors = { L: NonNullable<BestFit['L']>; R: NonNullable<BestFit['R']>; trial: Trial };

/** A group in words: soft-impute, or a gradient method with its weighting. */
function groupLabel(t: Trial): string {
  return t.method === 'soft-impute' ? t.method : `${t.method} (weighting ${t.weighting ?? 'none'})`;
}

/** Every pair of groups' best fits (each with a low-rank part), the better one first. Cost O(groups²). */
function fitPairs(byGroup: ReadonlyMap<string, BestFit>): [Factors, Factors][] {
  const fits = [...byGroup.values()].filter((f): f is Factors & BestFit => f.L !== null && f.R !== null && f.trial !== null && f.L.cols > 0);
  fits.sort((a, b) => a.validationRMSE - b.validationRMSE);
  return fits.flatMap((a, i) => fits.slice(i + 1).map((b): [Factors, Factors] => [a, b]));
}

/** Biases reduced to their mean (no row or column terms), for `centerCheck.kept === 'mean'`. */
function meanBiases(b: Biases): Biases {
  return { mean: b.mean, row: new Float64Array(b.row.length), col: new Float64Array(b.col.length), lambda: Infinity };
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
function checkCentering(
  fit: Observations,
  val: Observations,
  chosen: Trial,
  clip: [number, number] | null,
  s: Omit<TuningSettings, 'methods' | 'evaluate'>,
  against: number,
): { bias: Biases; biasesRMSE: number; meanOnlyRMSE: number; kept: 'biases' | 'mean'; tuning: ReturnType<typeof tuneMethods> } {
  const bias = meanBiases(fitBiases(fit, 0, 0));
  const mth = chosen.method;
  const one = <T>(x: T): Map<CompletionMethod, readonly T[]> => new Map([[mth, [x]]]);
  const tuning = tuneMethods(residualObservations(fit, bias), one(chosen.rank), mth === 'soft-impute' ? undefined : [chosen.lambda], {
    ...s,
    methods: [mth],
    maxSteps: chosen.budget ?? s.maxSteps,
    weightDecays: one(chosen.weightDecay ?? 0),
    unweightedDecays: undefined, // the chosen ω alone, whatever its weighting
    weightings: one(chosen.weighting ?? 'none'),
    evaluate: makeEvaluator(fit, val, bias, clip),
  });
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

/** complete()'s options with the defaults filled in and checked (method, λ with auto, validation split size). */
function resolveOptions(options: CompleteOptions, count: number) {
  const D = COMPLETE_DEFAULTS;
  const method = options.method ?? D.method;
  if (!METHOD_CHOICES.includes(method)) throw new RangeError(`unknown method '${method as string}' (allowed: ${METHOD_CHOICES.join(', ')})`);
  const methods: readonly CompletionMethod[] = method === 'auto' ? AUTO_METHODS : [method];
  if (method === 'auto' && options.lambdas) {
    throw new RangeError('λ candidates need one method (ratio, soft-impute or nuclear): λ means something different for each');
  }
  const center = options.center ?? D.center;
  const clipOn = options.clip ?? D.clip;
  const fraction = options.validation ?? D.validation;
  if (!(fraction > 0 && fraction <= 0.5)) throw new RangeError(`validation fraction must be in (0, 0.5], got ${fraction}`);
  const seed = options.seed ?? D.seed;
  const valCount = Math.round(fraction * count);
  if (valCount < 1 || count - valCount < 1) {
    throw new RangeError(
      `too few observed entries (${count}) to hold out a validation split of ${fraction}: need at least ${minimumEntries(fraction)}`,
    );
  }
  return {
    method,
    methods,
    center,
    clipOn,
    fraction,
    seed,
    lr: options.lr ?? D.lr,
    initScale: options.initScale ?? D.initScale,
    maxSteps: options.maxSteps ?? D.maxSteps,
    evalEvery: options.evalEvery ?? D.evalEvery,
    patience: options.patience ?? D.patience,
    nuclearWeight: options.nuclearWeight ?? D.nuclearWeight,
    weightDecays: new Map<CompletionMethod, readonly number[]>([
      ['ratio', checkList('weightDecays', options.weightDecays ?? D.ratioWeightDecayFractions)],
      ['nuclear', checkList('weightDecays', options.weightDecays ?? D.nuclearWeightDecays)],
    ]),
    weightings: new Map<CompletionMethod, readonly FactoredWeighting[]>([
      ['ratio', checkWeightings(options.weightings ?? D.ratioWeightings)],
      ['nuclear', checkWeightings(options.weightings ?? D.nuclearWeightings)],
    ]),
    decay: checkDecay(options.decay ?? D.decay),
    searchBudget: checkBudget(options.searchBudget ?? D.searchBudget),
    progress: options.onProgress ?? ((): void => {}),
  };
}

/** A non-empty list of finite numbers >= 0, or a RangeError naming the option. */
function checkList(name: string, xs: readonly number[]): readonly number[] {
  if (xs.length === 0 || !xs.every((x) => Number.isFinite(x) && x >= 0)) throw new RangeError(`${name} must be a non-empty list of numbers >= 0, got [${xs.join(', ')}]`);
  return xs;
}

function checkWeightings(xs: readonly FactoredWeighting[]): readonly FactoredWeighting[] {
  if (xs.length === 0 || !xs.every((x) => FACTORED_WEIGHTINGS.includes(x))) {
    throw new RangeError(`weightings must be a non-empty list of ${FACTORED_WEIGHTINGS.join(', ')}, got [${xs.join(', ')}]`);
  }
  return xs;
}

function checkBudget(x: number): number {
  if (!(x > 0)) throw new RangeError(`searchBudget must be a number > 0, got ${x}`);
  return x;
}

function checkDecay(x: DecayMode): DecayMode {
  if (!DECAY_MODES.includes(x)) throw new RangeError(`unknown decay '${x as string}' (allowed: ${DECAY_MODES.join(', ')})`);
  return x;
}

/**
 * The candidate ranks of each method (candidateRanks). A method no rank fits is an error when it was asked for, and
 * skipped with a note under `auto`.
 */
function planRanks(methods: readonly CompletionMethod[], ctx: RankContext): { ranks: Map<CompletionMethod, number[]>; notes: string[] } {
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
    if (!(i >= 0 && i < m && j >= 0 && j < n)) throw new RangeError(`complete: entry ${t} at (${i}, ${j}) is outside the ${m}×${n} matrix`);
    if (!Number.isFinite(obs.values[t])) throw new RangeError(`complete: entry ${t} (row id ${rowIds[i]}, column id ${colIds[j]}) is ${obs.values[t]}`);
    rowSeen[i] = 1;
    colSeen[j] = 1;
  }
  const i = rowSeen.indexOf(0);
  if (i >= 0) throw new RangeError(`complete: row id ${rowIds[i]} has no observed entries: nothing to complete it from`);
  const j = colSeen.indexOf(0);
  if (j >= 0) throw new RangeError(`complete: column id ${colIds[j]} has no observed entries: nothing to complete it from`);
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
