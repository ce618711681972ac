// Optimizers as chains of small gradient transforms (optax style): (updates, state) -> (updates, state), in place.
// Plain Float64Array groups in, updates written in place, state (step counts included) from init; only the matrix
// transforms (matrix-transforms.ts) use linalg's backend (SVD, gemm).
export {
  applyUpdates,
  chain,
  isGradientTransform,
  renamed,
  type ChainState,
  type GradientTransform,
  type ParamInfo,
} from './transform.ts';
export {
  addDecayedWeights,
  freezeDenominator,
  scale,
  scaleByAdam,
  scaleByGroupRms,
  scaleByRms,
  scaleByNorm,
  scaleBySchedule,
  scaleBySign,
  scaleBySumOfSquares,
  trace,
  type AdamState,
  type FrozenAdamState,
  type GroupRmsState,
  type RmsState,
  type ScheduleState,
} from './transforms.ts';
export {
  orthogonalize,
  scaleByFactoredRms,
  type FactoredRmsState,
  type OrthogonalizeState,
  type PolarMethod,
} from './matrix-transforms.ts';
export {
  namedOptimizer,
  OPTIMIZER_DEFAULTS,
  OPTIMIZER_NAMES,
  type OptimizerName,
  type OptimizerOptions,
} from './named.ts';
