// The named optimizers of the CLI, sweep specs and the web page: each name is one chain of transforms. Library
// code passes a chain (a GradientTransform) and never looks names up.
import { OPTIMIZER_DEFAULTS } from '../defaults.ts';
import { chain, renamed, type GradientTransform } from './transform.ts';
import { orthogonalize, scaleByFactoredRms } from './matrix-transforms.ts';
import {
  addDecayedWeights,
  freezeDenominator,
  scale,
  scaleByAdam,
  scaleByGroupRms,
  scaleByNorm,
  scaleByRms,
  scaleBySign,
  scaleBySumOfSquares,
  trace,
} from './transforms.ts';
import { checkNonNegative, checkPositive, checkUnitInterval, show } from './validate.ts';
import { closestKey } from '../params.ts';

export { OPTIMIZER_DEFAULTS };

/** Names accepted by namedOptimizer. */
export type OptimizerName = keyof typeof OPTIMIZER_DEFAULTS;

/** Every optimizer name, in a stable order (for CLI help and error messages). */
export const OPTIMIZER_NAMES: readonly OptimizerName[] = Object.freeze([
  'sgd',
  'momentum',
  'adam',
  'rmsprop',
  'adagrad',
  'group-rmsprop',
  'sign',
  'normalized-gd',
  'adafactor',
  'muon',
  'adamw',
  'adam-frozen',
] as const);

/** The learning rate and hyperparameters of a named optimizer; anything omitted takes OPTIMIZER_DEFAULTS[name]. */
export interface OptimizerOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  momentum?: number;
  alpha?: number;
  /** adamw: decoupled weight decay (per step lr·weightDecay·p). */
  weightDecay?: number;
  /** adam-frozen: the step after which the second moment stays fixed (integer >= 1). */
  freezeAfter?: number;
}

/**
 * The named optimizer as a chain ending with scale(-lr): sgd = chain(scale(-lr)); momentum = chain(trace(0.9),
 * scale(-lr)); adam = chain(scaleByAdam(), scale(-lr)); rmsprop = chain(scaleByRms(), scale(-lr)); adagrad =
 * chain(scaleBySumOfSquares(), scale(-lr)); group-rmsprop = chain(scaleByGroupRms(), scale(-lr)); sign =
 * chain(scaleBySign(), scale(-lr)); normalized-gd = chain(scaleByNorm(), scale(-lr)); adafactor =
 * chain(scaleByFactoredRms(), scale(-lr)); muon = chain(trace(0.95, nesterov), orthogonalize(), scale(-lr)); adamw =
 * chain(scaleByAdam(), addDecayedWeights(1e-4), scale(-lr)); adam-frozen = chain(freezeDenominator(1000),
 * scale(-lr)). Validates every
 * option given and refuses one the chain does not use; the chain's name reads e.g. `adam(lr 0.001)`, with any hyperparameter that is not the default.
 */
export function namedOptimizer(name: OptimizerName, opts: OptimizerOptions): GradientTransform<unknown> {
  if (!(OPTIMIZER_NAMES as readonly unknown[]).includes(name)) {
    throw new RangeError(
      `namedOptimizer: unknown optimizer name ${show(name)}; expected one of: ${OPTIMIZER_NAMES.join(', ')}`,
    );
  }
  if (opts === null || typeof opts !== 'object') {
    throw new TypeError(`namedOptimizer: options must be an object with at least { lr }, got ${show(opts)}`);
  }
  const where = `namedOptimizer(${JSON.stringify(name)})`;
  checkPositive(`${where}: option "lr"`, opts.lr);
  for (const key of ['beta1', 'beta2', 'momentum', 'alpha'] as const) {
    if (opts[key] !== undefined) checkUnitInterval(`${where}: option "${key}"`, opts[key]);
  }
  if (opts.eps !== undefined) checkNonNegative(`${where}: option "eps"`, opts.eps);
  if (opts.weightDecay !== undefined) checkNonNegative(`${where}: option "weightDecay"`, opts.weightDecay);
  if (opts.freezeAfter !== undefined && !(Number.isInteger(opts.freezeAfter) && opts.freezeAfter >= 1)) {
    throw new RangeError(`${where}: option "freezeAfter" must be an integer >= 1, got ${show(opts.freezeAfter)}`);
  }

  // An option the named chain does not use is refused, not ignored (a misspelt one gets a did-you-mean).
  const applies = ['lr', ...Object.keys(OPTIMIZER_DEFAULTS[name])];
  for (const key of Object.keys(opts)) {
    if (applies.includes(key) || (opts as unknown as Record<string, unknown>)[key] === undefined) continue;
    const near = closestKey(key, applies);
    throw new RangeError(
      `${where}: option ${show(key)} does not apply to ${name}${near ? ` (did you mean ${near}?)` : ''}; its options: ${applies.join(', ')}`,
    );
  }

  const d: Omit<OptimizerOptions, 'lr'> = OPTIMIZER_DEFAULTS[name];
  const beta1 = opts.beta1 ?? d.beta1 ?? 0;
  const beta2 = opts.beta2 ?? d.beta2 ?? 0;
  const eps = opts.eps ?? d.eps ?? 0;
  const momentum = opts.momentum ?? d.momentum ?? 0;
  const alpha = opts.alpha ?? d.alpha ?? 0;
  const weightDecay = opts.weightDecay ?? d.weightDecay ?? 0;
  const freezeAfter = opts.freezeAfter ?? d.freezeAfter ?? 1;
  const step = scale(-opts.lr);
  const label = [`lr ${opts.lr}`];
  for (const key of ['beta1', 'beta2', 'eps', 'momentum', 'alpha', 'weightDecay', 'freezeAfter'] as const) {
    if (key in d && opts[key] !== undefined && opts[key] !== d[key]) label.push(`${key} ${opts[key]}`);
  }
  const named = (t: GradientTransform<unknown>): GradientTransform<unknown> =>
    renamed(t, `${name}(${label.join(', ')})`);

  switch (name) {
    case 'sgd':
      return named(chain(step));
    case 'momentum':
      return named(chain(trace(momentum), step));
    case 'adam':
      return named(chain(scaleByAdam({ b1: beta1, b2: beta2, eps }), step));
    case 'rmsprop':
      return named(chain(scaleByRms({ decay: beta2, eps }), step));
    case 'adagrad':
      return named(chain(scaleBySumOfSquares({ eps }), step));
    case 'group-rmsprop':
      return named(chain(scaleByGroupRms({ decay: alpha, eps }), step));
    case 'sign':
      return named(chain(scaleBySign(), step));
    case 'normalized-gd':
      return named(chain(scaleByNorm({ eps }), step));
    case 'adafactor':
      return named(chain(scaleByFactoredRms({ decay: beta2, eps }), step));
    case 'muon':
      return named(chain(trace(momentum, true), orthogonalize(), step));
    case 'adamw':
      return named(chain(scaleByAdam({ b1: beta1, b2: beta2, eps }), addDecayedWeights(weightDecay), step));
    case 'adam-frozen':
      return named(chain(freezeDenominator(freezeAfter, { b1: beta1, b2: beta2, eps }), step));
  }
}
