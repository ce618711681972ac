import type { Observations } from '../data/observations.ts';
import type { LabeledObservations } from '../data/labels.ts';
import { splitObservations } from '../data/split.ts';
import { fitBiases, residualObservations, zeroBiases } from './biases.ts';
import { COMPLETE_DEFAULTS } from '../defaults.ts';
import { candidateRanks, type CompletionMethod, type RankContext } from './grid.ts';
import { makePredictor, type CompletionParts, type Predictor } from './predictor.ts';
import { refit, type RefitSummary } from './refit.ts';
import { DECAY_MODES, type DecayMode } from './factored-fit.ts';
import { FACTORED_WEIGHTINGS, type FactoredWeighting } from '../solver/factored-train.ts';
import { lowRankSpectrum, validationDiagnostics, type CompletionDiagnostics } from './diagnostics.ts';
import { makeEvaluator, tuneBiases, tuneMethods, type BestFit, type CompleteProgress, type SearchSummary, type Trial } from './tune.ts';
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
  /** Gradient methods: step cap; the number of steps itself is chosen on validation (default 2000). */
  maxSteps?: number;
  /** Gradient methods: Adam's learning rate (default 1e-3) and initial entry RMS of W (default 1e-3). */
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
  const evaluator = makeEvaluator(fit, val, fitBias, clip);
  const tuning = tuneMethods(fitResid, plan.ranks, options.lambdas, {
    ...s,
    weightDecays,
    unweightedDecays,
    evaluate: evaluator,
    progress: s.progress,
  });
  if (tuning.tried.length === 0) throw new RangeError(`no method could be tuned: ${notes.join('; ')}`);
  const chosen = tuning.tried.reduce((a, b) => (b.validationRMSE < a.validationRMSE ? b : a));
  // auto: a convex blend of two groups' best fits (every pair tried, weight fitted on validation), kept only if it
  // beats the best single fit there.
  const pairs = s.method === 'auto' ? fitPairs(tuning.bestByGroup) : [];
  let pair: [Factors, Factors] | null = null;
  let mix: ReturnType<typeof chooseBlend> | null = null;
  for (const p of pairs) {
    const q = chooseBlend(fit, val, fitBias, p[0], p[1], evaluator);
    if (!mix || q.validationRMSE < mix.validationRMSE) [pair, mix] = [p, q];
  }
  const blended = pair !== null && mix !== null && mix.weight > 0 && mix.weight < 1 && mix.validationRMSE < chosen.validationRMSE;
  const best = tuning.bestFit;
  const checks = blended && mix ? validationDiagnostics(fit, val, fitBias, mix.L, mix.R, clip) : validationDiagnostics(fit, val, fitBias, best.L, best.R, clip);
  const tuned = performance.now();

  // Refit the chosen setting (or both components of the blend) on every observed entry.
  const allBias = fitBiases(obs, biasLambda);
  const biases = s.center ? allBias : zeroBiases(m, n);
  const allResid = residualObservations(obs, biases);
  const refitOf = (trial: Trial) => refit(allResid, trial, tuning.softImpute?.trial === trial ? tuning.softImpute.state : null, fitCount, s, s.progress);
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
    tried: tuning.tried,
    searches: tuning.searches,
    biasTrials: bias.trials.map(({ lambda, validationRMSE: v }) => ({ lambda, validationRMSE: v })),
    validation: { fraction: s.fraction, seed: s.seed, entries: val.values.length, fitEntries: fitCount },
    data: { rows: m, cols: n, observed: count, min: allRange[0], max: allRange[1] },
    centered: s.center,
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
