// `mcomplete`: the library's curated, browser-safe API. Importing it has no side effect and nothing in its import
// graph uses Node's built-ins, so bundlers can ship it to a page or a worker. The pure-TypeScript backend is the
// default; `mcomplete/node` (src/node.ts) adds the native backend, results files, sweeps, claims and reports.

// Data: observed entries, labels, synthetic problems.
export { makeObservations, type Observations } from './data/observations.ts';
export { labelObservations, type LabeledObservations } from './data/labels.ts';
export { splitObservations } from './data/split.ts';
export { syntheticProblem, type SyntheticProblem, type SyntheticSpec } from './data/synthetic.ts';

// Parsers of ratings, matrix and query files: text in, labeled observations (or cells) out; problems are InputErrors.
export { parseTriplets } from './data/formats/triplets.ts';
export { parseDense } from './data/formats/dense.ts';
export { parseMatrixMarket } from './data/formats/matrix-market.ts';
export { InputError } from './data/input-error.ts';

// Dense matrices and the SVD (on the TypeScript backend; getBackend().svdInto for the chosen one).
export { fromRows, type Matrix } from './linalg/matrix.ts';
export { svd, type SVD, type SvdWorkspace } from './linalg/svd.ts';
export { type SampledEntries } from './linalg/sampled.ts';

// The linear-algebra backend (gemm and SVD): TypeScript by default.
export { getBackend, setBackend, tsBackend, type Backend, type GemmOptions } from './linalg/backend.ts';

// Penalties R(W) on the end-to-end matrix.
export { penalty, PENALTY_NAMES, type PenaltyName } from './penalty/index.ts';

// Seeded random streams (initDeepModel draws from one).
export { createRng, type Rng } from './random/index.ts';

// Models.
export { createDeepWorkspace, forward, initDeepModel, type DeepModel, type DeepWorkspace } from './model/deep.ts';
export { type FactoredModel } from './model/factored.ts';

// Optimizers: chains of gradient transforms (optax style); names are looked up in one table.
export { applyUpdates, chain, type GradientTransform } from './optim/transform.ts';
export {
  scale,
  scaleByAdam,
  scaleByGroupRms,
  scaleByRms,
  scaleBySchedule,
  scaleBySumOfSquares,
  trace,
} from './optim/transforms.ts';
export { namedOptimizer, OPTIMIZER_NAMES, type OptimizerName } from './optim/named.ts';

// Solvers: the gradient trainers and the loop vocabulary they share.
export {
  DivergenceError,
  type SteppedRun,
  type StopReason,
  type TrainerOutcome,
  type TrainerSettings,
} from './solver/loop.ts';
export {
  startTrain,
  train,
  type ProgressEvent,
  type Trainer,
  type TrainOptions,
  type TrainResult,
} from './solver/train.ts';
export {
  trainFactored,
  type FactoredProgressEvent,
  type FactoredTrainOptions,
  type FactoredTrainResult,
  type FactoredWeighting,
} from './solver/factored-train.ts';

// Solvers: convex baselines (nuclear-norm minimization, soft-impute; softImputeAls for large sparse data).
export {
  nuclearMin,
  type NuclearMinOptions,
  type NuclearMinProgress,
  type NuclearMinResult,
} from './solver/nuclear-min.ts';
export {
  softImpute,
  type SoftImputeProgress,
  type SoftImputeOptions,
  type SoftImputeResult,
} from './solver/soft-impute.ts';
export {
  softImputeAls,
  type SoftImputeAlsOptions,
  type SoftImputeAlsResult,
  type SoftImputeAlsState,
} from './solver/soft-impute-als.ts';

// Solvers: told the rank (factors U·Vᵀ from the spectral start).
export { type Factors } from './solver/factors.ts';
export { gnmr, type GnmrProgress, type GnmrOptions, type GnmrResult, type GnmrVariant } from './solver/gnmr.ts';
export { altmin, type AltminOptions, type AltminResult } from './solver/altmin.ts';
export { scaledGd, type ScaledGdOptions, type ScaledGdResult } from './solver/scaled-gd.ts';

// Completion of real data (ratings): tune, refit, predict.
export { complete, type CompleteOptions, type CompletionModel } from './complete/index.ts';
export {
  loadModel,
  MODEL_FORMAT_VERSION,
  type FittedModel,
  type FoldInRatings,
  type ModelInfo,
  type Recommendation,
  type RecommendOptions,
} from './complete/index.ts';
export {
  crossValidate,
  type CrossValidation,
  type EvaluateMethod,
  type EvaluateOptions,
  type EvaluateProgress,
  type FoldResult,
  type MethodSummary,
} from './complete/index.ts';

// Synthetic experiments: every method through one runSynthetic.
export {
  DEFAULT_RUN_SPEC,
  runSynthetic,
  startSynthetic,
  type RunInput,
  type RunResult,
  type RunSpec,
  type SyntheticRun,
} from './methods/run.ts';

// The one defaults table.
export { DEFAULTS, defaultTol } from './defaults.ts';

// Metrics.
export { effectiveRank, ratioValue, relativeError, rmse, trainMSE } from './metrics/index.ts';
