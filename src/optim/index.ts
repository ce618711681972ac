// Optimizers as chains of small gradient transforms (optax style): (gradient, state) -> (update, state).
// Dependency-free: plain Float64Array groups in, updates written in place, state preallocated by init.
export { chain, type ChainState, type GradientTransform } from './transform.ts';
export {
  heavyBall,
  scale,
  scaleByGroupRms,
  scaleByRms,
  scaleBySchedule,
  scaleBySumOfSquares,
  traceMomentum,
} from './transforms.ts';
export {
  applyUpdates,
  makeOptimizer,
  OPTIMIZER_DEFAULTS,
  OPTIMIZER_NAMES,
  type OptimizerName,
  type OptimizerOptions,
} from './optimizers.ts';
