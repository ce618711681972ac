// k-fold cross-validation of complete() (and of the biases-only baseline): each rating is in the test part of exactly
// one fold; every method is fitted with complete() on the rest alone and scored on the held-out ratings by RMSE and
// MAE, and by ranking metrics of its top-k lists (docs/complete.md, "Evaluate"). Browser-safe: data in, numbers out.
import { zeros } from '../linalg/matrix.ts';
import { deriveRng } from '../random/index.ts';
import type { Observations } from '../data/observations.ts';
import { labelIndex, type LabeledObservations } from '../data/labels.ts';
import { splitObservations } from '../data/split.ts';
import { dataFingerprint } from '../data/fingerprint.ts';
import { rankingScores } from '../metrics/ranking.ts';
import { EVALUATE_DEFAULTS } from '../defaults.ts';
import { ParamError, resolveParams, showValue, type ParamInput, type ParamTable, type ParamValues } from '../params.ts';
import {
  complete,
  COMPLETE_PARAMS,
  METHOD_CHOICES,
  resolveCompleteOptions,
  type CompleteOptions,
  type CompletionModel,
  type MethodChoice,
} from './complete.ts';
import { minimumEntries } from './fit.ts';
import { fitBiases } from './biases.ts';
import { tuneBiases } from './tune.ts';
import { makeFittedModel, type FittedModel } from './model.ts';
import type { CompleteProgress } from './tune.ts';

/** A method crossValidate compares: one of complete()'s, or `biases`, the baseline mean + row + column biases. */
export type EvaluateMethod = MethodChoice | 'biases';

/** Every method name crossValidate accepts. */
export const EVALUATE_METHODS: readonly EvaluateMethod[] = [...METHOD_CHOICES, 'biases'];

const E = EVALUATE_DEFAULTS;

/** crossValidate()'s parameters: type, range or choices, default (EVALUATE_DEFAULTS) and what each sets. */
export const EVALUATE_PARAMS = {
  folds: {
    type: 'int',
    min: 2,
    max: 100,
    default: E.folds,
    doc: 'number of folds; each rating is in the test part of exactly one',
  },
  seed: {
    type: 'int',
    min: 0,
    max: 2 ** 32 - 1,
    default: E.seed,
    doc: "seed of the folds, and of each fit's validation split and random starts",
  },
  methods: {
    type: 'choice-list',
    choices: EVALUATE_METHODS,
    default: E.methods,
    doc: "methods compared on the same folds (biases: mean + ridge row and column biases, complete()'s baseline alone)",
  },
  k: { type: 'int', min: 1, default: E.k, doc: "length of each user's list for precision@k, recall@k, NDCG@k, MAP@k" },
  threshold: {
    type: 'number',
    nullable: true,
    default: null,
    doc: 'a held-out rating at or above this is relevant',
    defaultDoc: `lo + ${E.thresholdShare}·(hi − lo) of the observed values (4 on a 1–5 scale)`,
  },
  minSupport: {
    type: 'int',
    min: 0,
    default: E.minSupport,
    doc: "rank only items with at least this many ratings in the fold's training part",
  },
} as const satisfies ParamTable;

/** complete()'s options that crossValidate passes to every fit (method and seed are its own; progress is its own). */
export type FitOptions = Omit<CompleteOptions, 'method' | 'seed' | 'onProgress'>;

/** Progress of crossValidate: a (fold, method) fit starting, complete()'s own progress inside it, or its result. */
export interface EvaluateProgress {
  phase: 'start' | 'fit' | 'done';
  /** 1-based fold, of `folds`. */
  fold: number;
  folds: number;
  method: EvaluateMethod;
  /** (fold, method) pairs finished, of `total`. */
  done: number;
  total: number;
  /** 'fit': complete()'s event. */
  inner?: CompleteProgress;
  /** 'done': the row of this fold and method. */
  row?: FoldResult;
}

/** Settings of crossValidate (EVALUATE_PARAMS, every one optional), complete()'s options, and the callbacks. */
export type EvaluateOptions = ParamInput<typeof EVALUATE_PARAMS> & {
  /** complete()'s options for every fit (its validation share, ranks, step cap, …); checked before any fit. */
  fitOptions?: FitOptions;
  onProgress?: (event: EvaluateProgress) => void;
  /** Called with each fitted model and the training part it saw (the no-leak test reads its report). */
  onModel?: (event: { fold: number; method: EvaluateMethod; model: FittedModel; train: LabeledObservations }) => void;
};

/** The scores of one method on one fold. Ranking metrics are null when no user has a relevant held-out rating. */
export interface FoldResult {
  /** 1-based. */
  fold: number;
  method: EvaluateMethod;
  trainEntries: number;
  testEntries: number;
  rmse: number;
  mae: number;
  precision: number | null;
  recall: number | null;
  ndcg: number | null;
  map: number | null;
  /** Users averaged in the ranking metrics (those with at least one relevant held-out rating). */
  users: number;
  /** Of them, users absent from the training part (ranked by the fallback: mean + item bias). */
  unknownUsers: number;
  /** Test cells whose user or item is absent from the training part (predicted by the fallback rule). */
  unknownCells: number;
  /** Wall seconds of the fit (complete() or the baseline) and of the fit and the scoring together. */
  fitSeconds: number;
  seconds: number;
  /** What the fit chose, in words (method, rank, λ; a blend's components; the baseline's ridge weight). */
  chosen: string;
}

/** Mean and sample standard deviation (n − 1) over the folds; null where a fold has no value. */
export interface MeanStd {
  mean: number | null;
  std: number | null;
}

/** One method over every fold. */
export interface MethodSummary {
  method: EvaluateMethod;
  rmse: MeanStd;
  mae: MeanStd;
  precision: MeanStd;
  recall: MeanStd;
  ndcg: MeanStd;
  map: MeanStd;
  seconds: MeanStd;
}

/** What crossValidate returns: its settings, the data, a row per fold and method, and a summary per method. */
export interface CrossValidation {
  settings: {
    folds: number;
    seed: number;
    methods: EvaluateMethod[];
    k: number;
    threshold: number;
    /** Whether the threshold was given or came from the rule on the observed range. */
    thresholdFrom: 'given' | 'rule';
    minSupport: number;
    fitOptions: Record<string, unknown>;
  };
  data: { rows: number; cols: number; entries: number; min: number; max: number; fingerprint: string };
  folds: FoldResult[];
  summary: MethodSummary[];
  seconds: number;
}

/** crossValidate's settings once resolved. */
export type EvaluateSettings = ParamValues<typeof EVALUATE_PARAMS>;

/**
 * The fold of each entry: a uniformly random permutation π of the entries (Fisher–Yates on the stream 'folds' of
 * `seed`), and entry π(t) in fold t mod `folds`, so the folds' sizes differ by at most one and depend on the number
 * of entries and the seed alone (never on the values). Cost O(|Ω|).
 */
export function assignFolds(count: number, folds: number, seed: number): Uint8Array {
  if (!Number.isInteger(folds) || folds < 2 || folds > 255)
    throw new RangeError(`assignFolds: folds must be an integer in 2..255, got ${folds}`);
  const order = new Int32Array(count);
  for (let t = 0; t < count; t++) order[t] = t;
  const rng = deriveRng(seed, 'folds');
  for (let t = count - 1; t > 0; t--) {
    const s = rng.int(t + 1);
    const x = order[t];
    order[t] = order[s];
    order[s] = x;
  }
  const fold = new Uint8Array(count);
  for (let t = 0; t < count; t++) fold[order[t]] = t % folds;
  return fold;
}

/**
 * The training part of fold `f` (entries of every other fold, in their order) as labeled observations of the ids it
 * holds (an id with no training rating is left out, so the fitted model treats it as unknown: the fallback rule), and
 * the test part (entries of fold f, positions of `data`). Cost O(|Ω| + m + n).
 */
export function foldParts(
  data: LabeledObservations,
  fold: Uint8Array,
  f: number,
): { train: LabeledObservations; test: Observations } {
  const obs = data.observations;
  const [m, n] = obs.shape;
  const count = obs.values.length;
  let testCount = 0;
  for (let t = 0; t < count; t++) if (fold[t] === f) testCount++;
  const trainCount = count - testCount;
  const rowAt = new Int32Array(m).fill(-1);
  const colAt = new Int32Array(n).fill(-1);
  for (let t = 0; t < count; t++) {
    if (fold[t] === f) continue;
    rowAt[obs.rows[t]] = 0;
    colAt[obs.cols[t]] = 0;
  }
  const rowIds: string[] = [];
  const colIds: string[] = [];
  // Positions follow the original order, so the training ids stay in sortedLabels order.
  for (let i = 0; i < m; i++) if (rowAt[i] === 0) rowAt[i] = rowIds.push(data.rowIds[i]) - 1;
  for (let j = 0; j < n; j++) if (colAt[j] === 0) colAt[j] = colIds.push(data.colIds[j]) - 1;
  const tr = {
    rows: new Int32Array(trainCount),
    cols: new Int32Array(trainCount),
    values: new Float64Array(trainCount),
  };
  const te = { rows: new Int32Array(testCount), cols: new Int32Array(testCount), values: new Float64Array(testCount) };
  for (let t = 0, a = 0, b = 0; t < count; t++) {
    if (fold[t] === f) {
      te.rows[b] = obs.rows[t];
      te.cols[b] = obs.cols[t];
      te.values[b++] = obs.values[t];
    } else {
      tr.rows[a] = rowAt[obs.rows[t]];
      tr.cols[a] = colAt[obs.cols[t]];
      tr.values[a++] = obs.values[t];
    }
  }
  return {
    train: { observations: { shape: [rowIds.length, colIds.length], ...tr }, rowIds, colIds },
    test: { shape: obs.shape, ...te },
  };
}

/** The default threshold of relevance: lo + share·(hi − lo) of the observed range (4 on a 1–5 scale). */
export function defaultThreshold(lo: number, hi: number): number {
  return lo + E.thresholdShare * (hi - lo);
}

/** crossValidate's options resolved and checked before any work (complete()'s options once per method). */
function resolveEvaluateOptions(options: EvaluateOptions): EvaluateSettings & { fitOptions: FitOptions } {
  const settings = resolveParams(EVALUATE_PARAMS, options, {
    where: 'crossValidate',
    extraKeys: ['fitOptions', 'onProgress', 'onModel'],
  });
  const seen = new Set<string>();
  for (const mth of settings.methods) {
    if (seen.has(mth))
      throw new ParamError('methods', `crossValidate: methods lists ${showValue(mth)} twice (each is run once)`);
    seen.add(mth);
  }
  for (const key of ['onProgress', 'onModel'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'function')
      throw new ParamError(key, `crossValidate: ${key} must be a function, got ${showValue(options[key])}`);
  }
  const fitOptions = (options.fitOptions ?? {}) as Record<string, unknown>;
  if (typeof fitOptions !== 'object' || fitOptions === null || Array.isArray(fitOptions))
    throw new ParamError(
      'fitOptions',
      `crossValidate: fitOptions must be complete()'s options, got ${showValue(fitOptions)}`,
    );
  for (const key of ['method', 'seed', 'onProgress']) {
    if (key in fitOptions)
      throw new ParamError(
        'fitOptions',
        `crossValidate: fitOptions.${key} is crossValidate's own (give ${key === 'method' ? 'methods' : key} instead)`,
      );
  }
  // complete()'s own checks, once per method, before any fit; the baseline reads validation, clip and biasLambdas.
  for (const mth of settings.methods)
    resolveCompleteOptions({
      ...fitOptions,
      method: mth === 'biases' ? 'soft-impute' : mth,
      seed: settings.seed,
    } as CompleteOptions);
  return { ...settings, fitOptions: fitOptions as FitOptions };
}

/**
 * k-fold cross-validation: the entries are split into `folds` folds by the seed (assignFolds); for each fold and
 * method, the method is fitted on the other folds alone (complete() with that method and the seed, which tunes on a
 * validation split of that training part only; `biases`: the ridge biases, their weight chosen on the same split),
 * then scored on the fold's entries: RMSE and MAE of the predictions (ids absent from the training part get the
 * fallback rule), and, over the users with at least one held-out rating ≥ threshold, the mean precision@k,
 * recall@k, NDCG@k and AP@k (MAP@k) of model.recommendMany's top k among the items of the training part the user
 * did not rate there (rankingScores; docs/complete.md, "Evaluate"). Returns a row per fold and method and each
 * method's mean ± sample std. Cost: folds × the methods' fits, plus O(|Ω|) and one recommendMany per fold and method.
 */
export function crossValidate(data: LabeledObservations, options: EvaluateOptions = {}): CrossValidation {
  const started = performance.now();
  const s = resolveEvaluateOptions(options);
  const obs = data.observations;
  const count = obs.values.length;
  if (count < s.folds)
    throw new RangeError(
      `crossValidate: ${count} observed entries cannot fill ${s.folds} folds (one entry each at least)`,
    );
  let lo = Infinity;
  let hi = -Infinity;
  for (let t = 0; t < count; t++) {
    lo = Math.min(lo, obs.values[t]);
    hi = Math.max(hi, obs.values[t]);
  }
  const threshold = s.threshold ?? defaultThreshold(lo, hi);
  const fold = assignFolds(count, s.folds, s.seed);
  const rows: FoldResult[] = [];
  const total = s.folds * s.methods.length;
  for (let f = 0; f < s.folds; f++) {
    const { train, test } = foldParts(data, fold, f);
    for (const method of s.methods) {
      const at = { fold: f + 1, folds: s.folds, method, done: rows.length, total };
      options.onProgress?.({ phase: 'start', ...at });
      const t0 = performance.now();
      const model: FittedModel & { report?: CompletionModel['report'] } =
        method === 'biases'
          ? fitBiasesOnly(train, s.fitOptions, s.seed)
          : complete(train, {
              ...s.fitOptions,
              method,
              seed: s.seed,
              onProgress: (inner) => options.onProgress?.({ phase: 'fit', ...at, inner }),
            });
      const fitSeconds = (performance.now() - t0) / 1000;
      options.onModel?.({ fold: f + 1, method, model, train });
      const scores = scoreFold(data, test, model, { k: s.k, threshold, minSupport: s.minSupport });
      const row: FoldResult = {
        fold: f + 1,
        method,
        trainEntries: train.observations.values.length,
        testEntries: test.values.length,
        ...scores,
        fitSeconds,
        seconds: (performance.now() - t0) / 1000,
        chosen: model.report ? choiceText(model.report) : `biases, ridge λ ${model.parts.biases.lambda}`,
      };
      rows.push(row);
      options.onProgress?.({ phase: 'done', ...at, done: rows.length, row });
    }
  }
  const { fitOptions, ...rest } = s;
  return {
    settings: {
      folds: rest.folds,
      seed: rest.seed,
      methods: [...rest.methods],
      k: rest.k,
      threshold,
      thresholdFrom: s.threshold === null ? 'rule' : 'given',
      minSupport: rest.minSupport,
      fitOptions: { ...fitOptions },
    },
    data: {
      rows: obs.shape[0],
      cols: obs.shape[1],
      entries: count,
      min: lo,
      max: hi,
      fingerprint: dataFingerprint(data),
    },
    folds: rows,
    summary: s.methods.map((method) =>
      summarize(
        method,
        rows.filter((r) => r.method === method),
      ),
    ),
    seconds: (performance.now() - started) / 1000,
  };
}

/** A fit's choice in words: method, rank and λ, or the blend's two components and weights. */
function choiceText(r: CompletionModel['report']): string {
  const num = (x: number): string => Number(x.toPrecision(3)).toString();
  const b = r.blend?.chosen;
  if (b) return `blend ${b.weights[0].toFixed(2)}·${b.labels[0]} + ${b.weights[1].toFixed(2)}·${b.labels[1]}`;
  return `${r.method} rank ${r.chosen.rank}, λ ${num(r.chosen.lambda)}`;
}

/**
 * The biases-only baseline on a training part: mean + ridge row and column biases, the ridge weight chosen among
 * complete()'s biasLambdas on the same validation split complete() draws (seed, validation share), then refit on the
 * whole training part, clipped as complete() clips. A model of rank 0: soft-impute's solution at λ ≥ λ_max, which is
 * how it records its method. Cost O(|biasLambdas|·|Ω|).
 */
export function fitBiasesOnly(train: LabeledObservations, fitOptions: FitOptions, seed: number): FittedModel {
  const s = resolveParams(COMPLETE_PARAMS, { ...fitOptions, method: 'soft-impute', seed }, { where: 'complete' });
  const obs = train.observations;
  const [m, n] = obs.shape;
  const count = obs.values.length;
  const held = Math.round(s.validation * count);
  if (held < 1 || count - held < 1)
    throw new RangeError(
      `too few observed entries (${count}) to hold out a validation split of ${s.validation}: need at least ${minimumEntries(s.validation)}`,
    );
  const { train: fit, heldOut: val } = splitObservations(obs, s.validation, s.seed, 'validation');
  const { best } = tuneBiases(fit, val, s.biasLambdas, s.clip ? valueRange(fit.values) : null);
  const biases = fitBiases(obs, best.lambda);
  const { onProgress: _p, ...settings } = s as typeof s & { onProgress?: unknown };
  return makeFittedModel({
    parts: {
      rowIds: train.rowIds,
      colIds: train.colIds,
      biases,
      fallback: biases,
      L: zeros(m, 0),
      R: zeros(n, 0),
      clip: s.clip ? valueRange(obs.values) : null,
    },
    observed: obs,
    info: {
      method: 'soft-impute',
      settings: { ...settings, baseline: 'biases', biasLambda: best.lambda },
      fingerprint: dataFingerprint(train),
      foldIn: { center: true, blocks: [], entries: count, rows: m, cols: n },
      input: null,
      foldedIn: 0,
    },
  });
}

/** [min, max] of the values. */
function valueRange(values: Float64Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let t = 0; t < values.length; t++) {
    if (values[t] < lo) lo = values[t];
    if (values[t] > hi) hi = values[t];
  }
  return [lo, hi];
}

/** The test scores of one model on one fold (the fields of FoldResult that score it). */
type FoldScores = Pick<
  FoldResult,
  'rmse' | 'mae' | 'precision' | 'recall' | 'ndcg' | 'map' | 'users' | 'unknownUsers' | 'unknownCells'
>;

/**
 * RMSE and MAE of `model` on the test entries (positions of `data`), and the ranking metrics of its top-k lists
 * over the users with at least one test rating ≥ threshold. A user the model knows is ranked by recommendMany
 * (items of the training part it did not rate there, minSupport applied); a user it does not know by the fallback,
 * mean + item bias, over every item. Cost O(|test|·k_model + users·n·k_model).
 */
export function scoreFold(
  data: LabeledObservations,
  test: Observations,
  model: FittedModel,
  opts: { k: number; threshold: number; minSupport: number },
): FoldScores {
  const size = test.values.length;
  const rowIds = Array.from(test.rows, (i) => data.rowIds[i]);
  const colIds = Array.from(test.cols, (j) => data.colIds[j]);
  const p = model.predictMany(rowIds, colIds);
  let sse = 0;
  let sae = 0;
  for (let t = 0; t < size; t++) {
    const e = p.values[t] - test.values[t];
    sse += e * e;
    sae += Math.abs(e);
  }
  // The relevant held-out items of each user (by original position), users in order of position.
  const relevant = new Map<number, Set<string>>();
  for (let t = 0; t < size; t++) {
    if (!(test.values[t] >= opts.threshold)) continue;
    const i = test.rows[t];
    let set = relevant.get(i);
    if (!set) relevant.set(i, (set = new Set()));
    set.add(data.colIds[test.cols[t]]);
  }
  const users = [...relevant.keys()].sort((a, b) => a - b);
  const known = labelIndex(model.rowIds);
  const knownUsers = users.filter((i) => known.has(data.rowIds[i]));
  const lists = new Map<number, string[]>();
  const recs = model.recommendMany(
    knownUsers.map((i) => data.rowIds[i]),
    { top: opts.k, minSupport: opts.minSupport },
  );
  knownUsers.forEach((i, u) =>
    lists.set(
      i,
      recs[u].map((r) => r.item),
    ),
  );
  if (knownUsers.length < users.length) {
    const fallback = fallbackList(model, opts.k, opts.minSupport);
    for (const i of users) if (!lists.has(i)) lists.set(i, fallback);
  }
  const sums = { precision: 0, recall: 0, ndcg: 0, ap: 0 };
  for (const i of users) {
    const rel = relevant.get(i) as Set<string>;
    const hits = (lists.get(i) as string[]).map((item) => rel.has(item));
    const sc = rankingScores(hits, rel.size, opts.k);
    sums.precision += sc.precision;
    sums.recall += sc.recall;
    sums.ndcg += sc.ndcg;
    sums.ap += sc.ap;
  }
  const mean = (x: number): number | null => (users.length > 0 ? x / users.length : null);
  return {
    rmse: Math.sqrt(sse / size),
    mae: sae / size,
    precision: mean(sums.precision),
    recall: mean(sums.recall),
    ndcg: mean(sums.ndcg),
    map: mean(sums.ap),
    users: users.length,
    unknownUsers: users.length - knownUsers.length,
    unknownCells: p.unknownCells,
  };
}

/** The top k items for a user the model does not know: by the fallback, mean + item bias (ties: the earlier item). */
function fallbackList(model: FittedModel, k: number, minSupport: number): string[] {
  const { fallback } = model.parts;
  const support = model.itemSupport();
  const items: number[] = [];
  for (let j = 0; j < model.colIds.length; j++) if (support[j] >= minSupport) items.push(j);
  items.sort((a, b) => fallback.col[b] - fallback.col[a] || a - b);
  return items.slice(0, k).map((j) => model.colIds[j]);
}

/** Mean and sample standard deviation of the folds' values (null when any is null or there are none). */
export function meanStd(values: readonly (number | null)[]): MeanStd {
  if (values.length === 0 || values.some((v) => v === null)) return { mean: null, std: null };
  const xs = values as number[];
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (xs.length < 2) return { mean, std: null };
  const ss = xs.reduce((a, b) => a + (b - mean) ** 2, 0);
  return { mean, std: Math.sqrt(ss / (xs.length - 1)) };
}

/** One method's rows summarized. */
function summarize(method: EvaluateMethod, rows: readonly FoldResult[]): MethodSummary {
  const of = (key: 'rmse' | 'mae' | 'precision' | 'recall' | 'ndcg' | 'map' | 'seconds'): MeanStd =>
    meanStd(rows.map((r) => r[key]));
  return {
    method,
    rmse: of('rmse'),
    mae: of('mae'),
    precision: of('precision'),
    recall: of('recall'),
    ndcg: of('ndcg'),
    map: of('map'),
    seconds: of('seconds'),
  };
}
