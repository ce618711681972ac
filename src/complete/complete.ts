import type { Observations } from '../data/observations.ts';
import type { LabeledObservations } from '../data/labels.ts';
import { COMPLETE_DEFAULTS } from '../defaults.ts';
import { ParamError, resolveParams, showValue, type ParamInput, type ParamTable, type ParamValues } from '../params.ts';
import { DEFAULT_RANK_CAP, RATIO_RANKS, type CompletionMethod } from './grid.ts';
import type { FittedModel } from './model.ts';
import type { RefitSummary } from './refit.ts';
import { DECAY_MODES, type DecayMode } from './factored-fit.ts';
import { FACTORED_WEIGHTINGS } from '../solver/factored-train.ts';
import type { CompletionDiagnostics } from './diagnostics.ts';
import type { CompleteProgress, SearchSummary, Trial } from './tune.ts';
import { fitCompletion } from './fit.ts';

export { minimumEntries } from './fit.ts';

/** A method, or `auto`: the methods of AUTO_METHODS compared on the validation split. */
export type MethodChoice = CompletionMethod | 'auto';

/** Every accepted method name, for flag validation. */
export const METHOD_CHOICES: readonly MethodChoice[] = ['auto', 'ratio', 'soft-impute', 'nuclear'];

/** The methods `auto` compares (nuclear is there for comparison only: same objective as soft-impute, slower). */
export const AUTO_METHODS: readonly CompletionMethod[] = ['ratio', 'soft-impute'];

const D = COMPLETE_DEFAULTS;

/**
 * complete()'s parameters: type, range or choices, default (from COMPLETE_DEFAULTS, whose every key is one of them)
 * and what each sets. ranks, lambdas, weightDecays and weightings left out get defaults that depend on the method and
 * the data (their defaultDoc). The refusals of method, validation and decay keep their older wording.
 */
export const COMPLETE_PARAMS = {
  method: {
    type: 'choice',
    choices: METHOD_CHOICES,
    default: D.method as MethodChoice,
    doc: `completion method; auto compares ${AUTO_METHODS.join(' and ')} (and their blend) on validation`,
    refusal: (v) => `unknown method '${String(v)}' (allowed: ${METHOD_CHOICES.join(', ')})`,
  },
  center: { type: 'boolean', default: D.center, doc: 'fit mean + row + column biases first and complete the residual' },
  clip: { type: 'boolean', default: D.clip, doc: 'clamp predictions to the observed value range' },
  validation: {
    type: 'number',
    min: 0,
    minExclusive: true,
    max: 0.5,
    default: D.validation,
    doc: 'share of the observed entries held out to choose the settings',
    refusal: (v) => `validation fraction must be in (0, 0.5], got ${showValue(v)}`,
  },
  seed: {
    type: 'int',
    min: 0,
    max: 2 ** 32 - 1,
    default: D.seed,
    doc: 'seed of the validation split and of every random start',
  },
  ranks: {
    type: 'int-list',
    min: 1,
    doc: "candidate ranks (ratio: the model's rank; soft-impute and nuclear: a rank cap); each at most min(m, n)",
    defaultDoc: `ratio: ${RATIO_RANKS.join(', ')} up to the rank the data support; soft-impute, nuclear: min(${DEFAULT_RANK_CAP}, m, n)`,
  },
  lambdas: {
    type: 'number-list',
    min: 0,
    doc: 'candidate λ of the chosen method (needs a method other than auto: λ means something different for each)',
    defaultDoc: "by method: ratio's fixed λ, soft-impute's path from λ_max down, fractions of λ_max for nuclear",
  },
  biasLambdas: { type: 'number-list', min: 0, default: D.biasLambdas, doc: 'candidate ridge weights of the biases' },
  maxSteps: {
    type: 'int',
    min: 1,
    default: D.maxSteps,
    doc: 'gradient methods: step cap (the steps are chosen on validation; a third when searchBudget cuts the default)',
  },
  lr: {
    type: 'number',
    min: 0,
    minExclusive: true,
    default: D.lr,
    doc: "gradient methods: Adam's learning rate (tripled when searchBudget cuts the default steps)",
  },
  initScale: {
    type: 'number',
    min: 0,
    minExclusive: true,
    default: D.initScale,
    doc: 'gradient methods: initial entry RMS of W',
  },
  nuclearWeight: {
    type: 'number',
    min: 0,
    default: D.nuclearWeight,
    doc: 'ratio: μ of an extra μ·||W||_* term (a magnitude control L∗/F lacks)',
  },
  weightDecays: {
    type: 'number-list',
    min: 0,
    doc: 'gradient methods: candidate weight decays ω of the factors (loss term ω(Σ p_i||A_i||² + Σ q_j||B_j||²))',
    defaultDoc:
      "ratio: ratioWeightDecayFractions (weighting none: ratioUnweightedDecayFractions) of the residual's mean square; nuclear: nuclearWeightDecays",
  },
  weightings: {
    type: 'choice-list',
    choices: FACTORED_WEIGHTINGS,
    doc: "gradient methods: candidate weightings of the penalties ('frequency': the weighted trace norm's D_r, D_c)",
    defaultDoc: 'ratio: ratioWeightings; nuclear: nuclearWeightings',
  },
  ratioWeightDecayFractions: {
    type: 'number-list',
    min: 0,
    default: D.ratioWeightDecayFractions,
    doc: "ratio, weightDecays left out: candidate ω as fractions of the mean square of the fit's residual",
  },
  ratioUnweightedDecayFractions: {
    type: 'number-list',
    min: 0,
    default: D.ratioUnweightedDecayFractions,
    doc: "ratio, weightDecays left out: the same for the candidates with weighting 'none'",
  },
  nuclearWeightDecays: {
    type: 'number-list',
    min: 0,
    default: D.nuclearWeightDecays,
    doc: 'nuclear, weightDecays left out: candidate ω',
  },
  ratioWeightings: {
    type: 'choice-list',
    choices: FACTORED_WEIGHTINGS,
    default: D.ratioWeightings,
    doc: 'ratio, weightings left out: candidate weightings',
  },
  nuclearWeightings: {
    type: 'choice-list',
    choices: FACTORED_WEIGHTINGS,
    default: D.nuclearWeightings,
    doc: 'nuclear, weightings left out: candidate weightings',
  },
  decay: {
    type: 'choice',
    choices: DECAY_MODES,
    default: D.decay as DecayMode,
    doc: 'gradient methods: the weight decay as a loss term or decoupled (AdamW)',
    refusal: (v) => `unknown decay '${String(v)}' (allowed: ${DECAY_MODES.join(', ')})`,
  },
  evalEvery: {
    type: 'int',
    min: 1,
    default: D.evalEvery,
    doc: 'gradient methods: evaluate on validation every this many steps',
  },
  patience: {
    type: 'int',
    min: 1,
    default: D.patience,
    doc: 'gradient methods: stop after this many evaluations without a gain',
  },
  searchBudget: {
    type: 'number',
    min: 0,
    minExclusive: true,
    default: D.searchBudget,
    doc: 'gradient methods: planned work (Σ candidates × steps × |Ω_fit| × rank) above which the default search is shortened',
  },
} as const satisfies ParamTable;

/** Where complete() reports progress: of tuning, then of the final fit. */
export type CompleteProgressHandler = (event: CompleteProgress) => void;

/** Settings of complete() (COMPLETE_PARAMS, every one optional), and where progress goes. */
export type CompleteOptions = ParamInput<typeof COMPLETE_PARAMS> & { onProgress?: CompleteProgressHandler };

/** complete()'s settings once resolved: every defaulted parameter present, the lists left out absent. */
export type CompleteSettings = ParamValues<typeof COMPLETE_PARAMS> & { onProgress?: CompleteProgressHandler };

/** The parameters whose given value is kept even when a default would be cut to a large problem's budget. */
export type BudgetedKey = 'lr' | 'maxSteps';

/** A completion configured and validated once: the settings, the methods they select, which were given. */
export interface CompleterConfig {
  readonly settings: Readonly<CompleteSettings>;
  readonly methods: readonly CompletionMethod[];
  /** Which of lr and maxSteps the caller gave (a default may be cut to the budget, a given value never). */
  readonly given: Readonly<Record<BudgetedKey, boolean>>;
}

/**
 * complete()'s options resolved against COMPLETE_PARAMS before any work: an unknown key is refused with a did-you-mean,
 * a bad value by one ParamError naming it; λ candidates need a single method.
 */
export function resolveCompleteOptions(options: CompleteOptions): CompleterConfig {
  const settings: CompleteSettings = resolveParams(COMPLETE_PARAMS, options, {
    where: 'complete',
    extraKeys: ['onProgress'],
  });
  if (settings.onProgress !== undefined && typeof settings.onProgress !== 'function') {
    throw new ParamError(
      'onProgress',
      `complete: onProgress must be a function, got ${showValue(settings.onProgress)}`,
    );
  }
  if (settings.method === 'auto' && settings.lambdas) {
    throw new ParamError(
      'lambdas',
      'λ candidates need one method (ratio, soft-impute or nuclear): λ means something different for each',
    );
  }
  return {
    settings,
    methods: settings.method === 'auto' ? AUTO_METHODS : [settings.method],
    given: { lr: options.lr !== undefined, maxSteps: options.maxSteps !== undefined },
  };
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
  blend?:
    | { chosen: BlendSummary }
    | {
        chosen: null;
        validationRMSE: number;
        weights: [number, number];
        methods: [CompletionMethod, CompletionMethod];
        labels: [string, string];
        pairs: number;
      };
}

/**
 * A fitted completion: predict and predictMany answer for labeled cells (keepObserved: observed cells keep their
 * value); `parts` holds the fitted pieces; save, recommend, similarItems and the fold-ins are FittedModel's;
 * `report` says how it was chosen (a loaded model has no report).
 */
export interface CompletionModel extends FittedModel {
  readonly report: CompletionReport;
}

/** A configured completion (createCompleter): its settings, and fit, which tunes and refits on observed entries. */
export interface Completer {
  readonly settings: Readonly<CompleteSettings>;
  /** Tunes on a validation split of `input` and refits the choice on all of it (fitCompletion's phases). */
  fit(input: Observations | LabeledObservations): CompletionModel;
}

/**
 * A completion estimator: the options are checked here, once, before any data is seen (resolveCompleteOptions);
 * fit(observations) then runs complete()'s phases (split, biases, tune, blend, refit) and returns the model.
 */
export function createCompleter(options: CompleteOptions = {}): Completer {
  const config = resolveCompleteOptions(options);
  return { settings: config.settings, fit: (input) => fitCompletion(input, config) };
}

/**
 * Fill in a partially observed matrix: createCompleter(options).fit(input). Hyperparameters (λ, rank, number of
 * steps, bias ridge weight, and for `auto` the method) are chosen on a validation split carved from the observed
 * entries only (tune.ts, over the candidates of grid.ts); then the chosen setting is refit on all observed entries
 * (refit.ts). Predictions are mean + row bias + column bias + low-rank part, clipped to the observed range. Ids never
 * observed get the fallback of makePredictor. Cost: one fit per setting tried plus the refit (see trainFactored and
 * softImputeAls).
 */
export function complete(input: Observations | LabeledObservations, options: CompleteOptions = {}): CompletionModel {
  return createCompleter(options).fit(input);
}
