import { zeros, type Matrix } from '../linalg/matrix.ts';
import type { Observations } from '../data/observations.ts';
import type { LabeledObservations } from '../data/labels.ts';
import { splitObservations } from '../data/split.ts';
import { fitBiases, residualObservations, zeroBiases, type Biases } from './biases.ts';
import { trainFactored } from './factored-train.ts';
import { softImputeAls, sparseSpectralNorm, type SoftImputeAlsState } from './soft-impute-als.ts';
import { makePredictor, type CompletionParts, type Predictor } from './completion-model.ts';

/** The completion methods: L∗/F + Adam on A·B^T, rank-restricted soft-impute (ALS), nuclear norm + Adam on A·B^T. */
export type CompletionMethod = 'ratio' | 'soft-impute' | 'nuclear';

/** A method, or `auto`: the methods of AUTO_METHODS compared on the validation split. */
export type MethodChoice = CompletionMethod | 'auto';

/** Every accepted method name, for flag validation. */
export const METHOD_CHOICES: readonly MethodChoice[] = ['auto', 'ratio', 'soft-impute', 'nuclear'];

/** The methods `auto` compares (nuclear is there for comparison only: same objective as soft-impute, slower). */
export const AUTO_METHODS: readonly CompletionMethod[] = ['ratio', 'soft-impute'];

/** Settings of complete(); every field has a default that works on ratings data. */
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
  /** Gradient methods: evaluate on validation every evalEvery steps; stop after `patience` evaluations without gain. */
  evalEvery?: number;
  patience?: number;
  /** Progress of tuning and of the final fit. */
  onProgress?: (event: CompleteProgress) => void;
}

/** One progress report: `done` of `total` units of a phase, and what is running. */
export interface CompleteProgress {
  phase: 'tuning' | 'fitting';
  done: number;
  total: number;
  info: string;
}

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
}

/** What complete() did: every setting tried with its validation RMSE, the choice, the refit and the time. */
export interface CompletionReport {
  method: CompletionMethod;
  chosen: Trial & { biasLambda: number; nuclearWeight?: number };
  /** The final fit on all observed entries: λ as rescaled for the larger data set, and its train RMSE. */
  refit: { lambda: number; steps?: number; iterations?: number; solutionRank?: number; trainRMSE: number };
  tried: Trial[];
  biasTrials: { lambda: number; validationRMSE: number }[];
  validation: { fraction: number; seed: number; entries: number; fitEntries: number };
  data: { rows: number; cols: number; observed: number; min: number; max: number };
  centered: boolean;
  clip: [number, number] | null;
  seconds: { tuning: number; fitting: number; total: number };
  notes: string[];
}

/** A fitted completion: predict and predictMany answer for labeled cells; `parts` holds the fitted pieces. */
export interface CompletionModel extends Predictor {
  readonly method: CompletionMethod;
  readonly report: CompletionReport;
  readonly parts: CompletionParts;
}

/** Default λ candidates of the ratio method (λ·L∗/F in the mean-squared-error objective). */
export const RATIO_LAMBDAS: readonly number[] = [1e-3, 1e-2, 1e-1];
/** Default candidate ranks of the ratio method (those the data support). */
export const RATIO_RANKS: readonly number[] = [2, 4, 8];
/** Default rank cap of soft-impute and nuclear (or min(m, n) when smaller). */
export const DEFAULT_RANK_CAP = 20;
/** soft-impute's λ path: λ_max·PATH_RATIO^q, q = 0..PATH_LENGTH−1, stopped once validation RMSE rose twice. */
const PATH_RATIO = 0.8;
const PATH_LENGTH = 31;
/** nuclear's default λ, as fractions of 2λ_max/|Ω| (the soft-impute λ_max in mean-squared-error units). */
const NUCLEAR_FRACTIONS: readonly number[] = [0.3, 0.1, 0.03];

/**
 * The largest rank k whose factored model has no more free parameters than there are observations:
 * k(m + n − k) <= count (0 when even rank 1 has too many). Cost O(min(m, n)).
 */
export function supportedRank(count: number, m: number, n: number): number {
  let k = 0;
  while (k < Math.min(m, n) && (k + 1) * (m + n - k - 1) <= count) k++;
  return k;
}

/**
 * Fill in a partially observed matrix. Hyperparameters (λ, rank, number of steps, bias ridge weight, and for
 * `auto` the method) are chosen on a validation split carved from the observed entries only; then the chosen
 * setting is refit on all observed entries. Predictions are mean + row bias + column bias + low-rank part,
 * clipped to the observed range. Ids never observed get the fallback of makePredictor.
 * Cost: one fit per setting tried plus the refit (see trainFactored and softImputeAls).
 */
export function complete(input: Observations | LabeledObservations, options: CompleteOptions = {}): CompletionModel {
  const started = performance.now();
  const { observations: obs, rowIds, colIds } = asLabeled(input);
  const [m, n] = obs.shape;
  const count = obs.values.length;
  const method = options.method ?? 'auto';
  if (!METHOD_CHOICES.includes(method)) throw new RangeError(`unknown method '${method as string}' (allowed: ${METHOD_CHOICES.join(', ')})`);
  const methods: readonly CompletionMethod[] = method === 'auto' ? AUTO_METHODS : [method];
  if (method === 'auto' && options.lambdas) {
    throw new RangeError('λ candidates need one method (ratio, soft-impute or nuclear): λ means something different for each');
  }
  const center = options.center ?? true;
  const clipOn = options.clip ?? true;
  const fraction = options.validation ?? 0.1;
  if (!(fraction > 0 && fraction <= 0.5)) throw new RangeError(`validation fraction must be in (0, 0.5], got ${fraction}`);
  const seed = options.seed ?? 0;
  const valCount = Math.round(fraction * count);
  if (valCount < 1 || count - valCount < 1) {
    throw new RangeError(
      `too few observed entries (${count}) to hold out a validation split of ${fraction}: need at least ${Math.ceil(0.5 / fraction) + 1}`,
    );
  }
  const lr = options.lr ?? 1e-3;
  const initScale = options.initScale ?? 1e-3;
  const maxSteps = options.maxSteps ?? 2000;
  const evalEvery = options.evalEvery ?? 25;
  const patience = options.patience ?? 8;
  const nuclearWeight = options.nuclearWeight ?? 0;
  const progress = options.onProgress ?? (() => {});
  const notes: string[] = [];

  const { train: fit, heldOut: val } = splitObservations(obs, fraction, seed, 'validation');
  const fitCount = fit.values.length;
  const supported = supportedRank(fitCount, m, n);
  const ranksFor = (mth: CompletionMethod): number[] => {
    if (mth === 'ratio') {
      const check = nuclearWeight === 0;
      if (options.ranks) {
        for (const k of options.ranks) {
          checkRank(k, m, n);
          if (check && k > supported) {
            throw new RangeError(
              `ratio: rank ${k} on a ${m}×${n} matrix has k(m+n−k) = ${k * (m + n - k)} free parameters and needs at least that ` +
                `many observed entries to fit, but the fit sees ${fitCount} (${count} observed, less ${valCount} held out for validation); ` +
                `the largest rank these data support is ${supported}` +
                (method === 'auto' ? ' (or choose --method soft-impute, where the rank is only a cap)' : ''),
            );
          }
        }
        return [...options.ranks];
      }
      const limit = check ? supported : Math.min(m, n);
      const ks = RATIO_RANKS.filter((k) => k <= limit);
      return ks.length > 0 ? ks : limit >= 1 ? [limit] : [];
    }
    if (options.ranks) {
      for (const k of options.ranks) checkRank(k, m, n);
      return [...options.ranks];
    }
    return [Math.min(DEFAULT_RANK_CAP, m, n)];
  };
  for (const mth of methods) {
    if (ranksFor(mth).length === 0) {
      const need = m + n - 1;
      if (method !== 'auto') {
        throw new RangeError(
          `${mth}: even rank 1 on a ${m}×${n} matrix needs at least m+n−1 = ${need} observed entries to fit, but the fit sees ${fitCount}`,
        );
      }
      notes.push(`${mth} skipped: even rank 1 needs ${need} observed entries, the fit sees ${fitCount}`);
    }
  }

  // Clip range and biases, tuned on the validation split.
  const range = valueRange(fit.values);
  const clip: [number, number] | null = clipOn ? range : null;
  const biasLambdas = options.biasLambdas ?? [0, 1, 2, 5, 10, 20, 50];
  const biasTrials = biasLambdas.map((lambda) => {
    const b = fitBiases(fit, lambda);
    return { lambda, validationRMSE: validationRMSE(val, b, null, null, clip), b };
  });
  const bestBias = biasTrials.reduce((a, b) => (b.validationRMSE < a.validationRMSE ? b : a));
  const biasLambda = bestBias.lambda;
  const fitBias = center ? bestBias.b : zeroBiases(m, n);
  const fitResid = residualObservations(fit, fitBias);
  const seenRow = new Uint8Array(m);
  const seenCol = new Uint8Array(n);
  for (let t = 0; t < fitCount; t++) {
    seenRow[fit.rows[t]] = 1;
    seenCol[fit.cols[t]] = 1;
  }
  const evaluate = (L: Matrix | null, R: Matrix | null): number => validationRMSE(val, fitBias, L, R, clip, seenRow, seenCol);

  // Plan the tuning runs, for progress.
  const lambdaMaxFit = methods.includes('soft-impute') || methods.includes('nuclear') ? sparseSpectralNorm(fitResid, { seed }) : 0;
  const gradientLambdas = (mth: 'ratio' | 'nuclear'): number[] =>
    options.lambdas ? [...options.lambdas] : mth === 'ratio' ? [...RATIO_LAMBDAS] : NUCLEAR_FRACTIONS.map((f) => (f * 2 * lambdaMaxFit) / fitCount);
  const siPath = (): number[] =>
    options.lambdas
      ? [...options.lambdas].sort((a, b) => b - a)
      : Array.from({ length: PATH_LENGTH }, (_, q) => lambdaMaxFit * PATH_RATIO ** q);
  let total = 0;
  for (const mth of methods) {
    const ks = ranksFor(mth).length;
    total += mth === 'soft-impute' ? ks * siPath().length : ks * gradientLambdas(mth).length;
  }
  let done = 0;
  const tried: Trial[] = [];
  let siBest: { trial: Trial; state: SoftImputeAlsState | null } | null = null;

  for (const mth of methods) {
    const ranks = ranksFor(mth);
    if (mth === 'soft-impute') {
      for (const rank of ranks) {
        const path = siPath();
        let warm: SoftImputeAlsState | undefined;
        let bestHere = Infinity;
        let worse = 0;
        for (let q = 0; q < path.length; q++) {
          const lambda = path[q];
          const t0 = performance.now();
          const info = `soft-impute rank≤${rank} λ ${fmt(lambda)}`;
          progress({ phase: 'tuning', done, total, info });
          let trial: Trial;
          let state: SoftImputeAlsState | null = null;
          if (lambda >= lambdaMaxFit) {
            trial = { method: mth, rank, lambda, iterations: 0, solutionRank: 0, validationRMSE: evaluate(null, null), seconds: 0 };
          } else {
            const r = softImputeAls(fitResid, lambda, {
              rank,
              maxIters: 100,
              tol: 1e-5,
              seed,
              warmStart: warm,
              onIteration: (it) => progress({ phase: 'tuning', done: done + Math.min(it / 100, 0.99), total, info: `${info}, iteration ${it}` }),
            });
            warm = r.state;
            state = r.state;
            const L = scaleColumns(r.U, r.s);
            trial = {
              method: mth,
              rank,
              lambda,
              iterations: r.iterations,
              solutionRank: r.rank,
              validationRMSE: evaluate(L, r.V),
              seconds: (performance.now() - t0) / 1000,
            };
          }
          tried.push(trial);
          done++;
          if (!siBest || trial.validationRMSE < siBest.trial.validationRMSE) siBest = { trial, state };
          if (trial.validationRMSE < bestHere) {
            bestHere = trial.validationRMSE;
            worse = 0;
          } else if (!options.lambdas && q >= 3 && ++worse >= 2) {
            done += path.length - q - 1;
            break;
          }
        }
      }
      continue;
    }
    for (const rank of ranks) {
      for (const lambda of gradientLambdas(mth)) {
        const t0 = performance.now();
        const info = `${mth} rank ${rank} λ ${fmt(lambda)}`;
        let best = Infinity;
        let bestStep = 0;
        let since = 0;
        trainFactored(fitResid, {
          rank,
          penalty: mth,
          lambda,
          nuclearWeight: mth === 'ratio' ? nuclearWeight : 0,
          lr,
          steps: maxSteps,
          initScale,
          seed,
          evalEvery,
          onEvaluate: (step, model) => {
            const rmse = evaluate(model.A, model.B);
            if (rmse < best) {
              best = rmse;
              bestStep = step;
              since = 0;
            } else since++;
            progress({
              phase: 'tuning',
              done: done + Math.min(step / maxSteps, 0.99),
              total,
              info: `${info}, step ${step}, val RMSE ${rmse.toFixed(4)}`,
            });
            return since >= patience;
          },
        });
        tried.push({ method: mth, rank, lambda, steps: bestStep, validationRMSE: best, seconds: (performance.now() - t0) / 1000 });
        done++;
      }
    }
  }
  if (tried.length === 0) throw new RangeError(`no method could be tuned: ${notes.join('; ')}`);
  const chosen = tried.reduce((a, b) => (b.validationRMSE < a.validationRMSE ? b : a));
  const tuned = performance.now();

  // Refit the chosen setting on every observed entry.
  const allBias = fitBiases(obs, biasLambda);
  const biases = center ? allBias : zeroBiases(m, n);
  const resid = residualObservations(obs, biases);
  const grow = Math.sqrt(count / fitCount);
  let L: Matrix = zeros(m, 0);
  let R: Matrix = zeros(n, 0);
  let refit: CompletionReport['refit'];
  if (chosen.method === 'soft-impute') {
    // λ of ½||P_Ω(M − Z)||² + λ||Z||_* grows like sqrt(|Ω|) at a fixed noise level: rescale for the larger set.
    const lambda = chosen.lambda * grow;
    const state = siBest?.trial === chosen ? siBest.state : null;
    if (chosen.solutionRank === 0 || state === null) {
      refit = { lambda, iterations: 0, solutionRank: 0, trainRMSE: NaN };
    } else {
      const r = softImputeAls(resid, lambda, {
        rank: chosen.rank,
        maxIters: 200,
        tol: 1e-5,
        seed,
        warmStart: state,
        onIteration: (it, change) => progress({ phase: 'fitting', done: it, total: 200, info: `soft-impute λ ${fmt(lambda)}, change ${change.toExponential(1)}` }),
      });
      L = scaleColumns(r.U, r.s);
      R = r.V;
      refit = { lambda, iterations: r.iterations, solutionRank: r.rank, trainRMSE: NaN };
      if (r.rank === chosen.rank) notes.push(`soft-impute: the solution uses the whole rank cap ${chosen.rank}; a larger rank might do better`);
    }
  } else {
    // The mean-squared-error form λ_mean = 2λ/|Ω| of the same rule for the nuclear norm; L∗/F is scale-free and keeps λ.
    const lambda = chosen.method === 'nuclear' ? chosen.lambda / grow : chosen.lambda;
    const steps = chosen.steps ?? 0;
    const r = trainFactored(resid, {
      rank: chosen.rank,
      penalty: chosen.method,
      lambda,
      nuclearWeight: chosen.method === 'ratio' ? nuclearWeight / grow : 0,
      lr,
      steps,
      initScale,
      seed,
      onStep: (step, mse) => progress({ phase: 'fitting', done: step, total: steps, info: `${chosen.method} rank ${chosen.rank}, train RMSE ${Math.sqrt(mse).toFixed(4)}` }),
    });
    L = r.model.A;
    R = r.model.B;
    refit = { lambda, steps, trainRMSE: NaN };
  }
  const allRange = valueRange(obs.values);
  const parts: CompletionParts = { rowIds, colIds, biases, fallback: allBias, L, R, clip: clipOn ? allRange : null };
  const predictor = makePredictor(parts);
  let sse = 0;
  for (let t = 0; t < count; t++) sse += (predictor.predictAt(obs.rows[t], obs.cols[t]) - obs.values[t]) ** 2;
  refit.trainRMSE = Math.sqrt(sse / count);
  const finished = performance.now();
  const report: CompletionReport = {
    method: chosen.method,
    chosen: { ...chosen, biasLambda, ...(chosen.method === 'ratio' && nuclearWeight > 0 ? { nuclearWeight } : {}) },
    refit,
    tried,
    biasTrials: biasTrials.map(({ lambda, validationRMSE: v }) => ({ lambda, validationRMSE: v })),
    validation: { fraction, seed, entries: val.values.length, fitEntries: fitCount },
    data: { rows: m, cols: n, observed: count, min: allRange[0], max: allRange[1] },
    centered: center,
    clip: parts.clip ? [parts.clip[0], parts.clip[1]] : null,
    seconds: { tuning: (tuned - started) / 1000, fitting: (finished - tuned) / 1000, total: (finished - started) / 1000 },
    notes,
  };
  return { ...predictor, method: chosen.method, report, parts };
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

function checkRank(k: number, m: number, n: number): void {
  if (!Number.isInteger(k) || k < 1 || k > Math.min(m, n)) {
    throw new RangeError(`rank must be an integer in 1..${Math.min(m, n)} (min(m, n) of the ${m}×${n} matrix), got ${k}`);
  }
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
    if (l && r && (!seenRow || (seenRow[i] && seenCol?.[j]))) for (let c = 0; c < k; c++) z += l[i * k + c] * r[j * k + c];
    z = z < lo ? lo : z > hi ? hi : z;
    sse += (z - val.values[t]) ** 2;
  }
  return Math.sqrt(sse / val.values.length);
}

/** U·diag(s) as a new matrix. Cost O(rows·k). */
function scaleColumns(U: Matrix, s: Float64Array): Matrix {
  const out = zeros(U.rows, U.cols);
  const k = U.cols;
  for (let i = 0; i < U.rows; i++) for (let c = 0; c < k; c++) out.data[i * k + c] = U.data[i * k + c] * s[c];
  return out;
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

/** A number for progress lines: 3 significant digits. */
function fmt(x: number): string {
  return Number(x.toPrecision(3)).toString();
}
