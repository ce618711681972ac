// Optimizers as chains of small gradient transforms (optax style): (updates, state) -> (updates, state), in place.
// Dependency-free: plain Float64Array groups in, updates written in place, state (step counts included) from init.
export { applyUpdates, chain, isGradientTransform, renamed, type ChainState, type GradientTransform } from './transform.ts';
export {
  scale,
  scaleByAdam,
  scaleByGroupRms,
  scaleByRms,
  scaleBySchedule,
  scaleBySumOfSquares,
  trace,
  type AdamState,
  type GroupRmsState,
  type RmsState,
  type ScheduleState,
} from './transforms.ts';
export { namedOptimizer, OPTIMIZER_DEFAULTS, OPTIMIZER_NAMES, type OptimizerName, type OptimizerOptions } from './named.ts';
