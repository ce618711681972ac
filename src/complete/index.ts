// Real-data completion: complete() (or createCompleter(options).fit) tunes on a validation split (tune.ts over the grid
// of grid.ts), refits the choice (refit.ts) and answers through a Predictor (predictor.ts) on top of the biases
// (biases.ts); fit.ts holds the phases.
export {
  complete,
  createCompleter,
  AUTO_METHODS,
  COMPLETE_PARAMS,
  METHOD_CHOICES,
  type CompleteOptions,
  type CompleteSettings,
  type Completer,
  type CompletionModel,
  type CompletionReport,
  type MethodChoice,
} from './complete.ts';
export { COMPLETE_DEFAULTS } from '../defaults.ts';
export { DEFAULT_RANK_CAP, RATIO_LAMBDAS, RATIO_RANKS, supportedRank, type CompletionMethod } from './grid.ts';
export type { CompleteProgress, Trial } from './tune.ts';
export {
  gridCandidate,
  tuneCandidates,
  type CandidateResult,
  type GridTrial,
  type ScoredTrial,
  type SearchContext,
  type TuningCandidate,
} from './tune.ts';
export type { RefitSummary } from './refit.ts';
export {
  FALLBACK_RULE,
  makePredictor,
  type CompletionParts,
  type ManyPredictions,
  type PredictOptions,
  type Predictor,
} from './predictor.ts';
export {
  loadModel,
  makeFittedModel,
  MODEL_FORMAT_VERSION,
  MODEL_MAGIC,
  type FittedModel,
  type FoldInBlock,
  type FoldInRatings,
  type FoldInRule,
  type ModelInfo,
  type ModelState,
  type Recommendation,
  type RecommendOptions,
  type SavedInput,
} from './model.ts';
export { fitBiases, residualObservations, zeroBiases, type Biases } from './biases.ts';
export {
  assignFolds,
  crossValidate,
  EVALUATE_METHODS,
  EVALUATE_PARAMS,
  foldParts,
  scoreFold,
  type CrossValidation,
  type EvaluateMethod,
  type EvaluateOptions,
  type EvaluateProgress,
  type FitOptions,
  type FoldResult,
  type MeanStd,
  type MethodSummary,
} from './evaluate.ts';
