import { chain, type GradientTransform } from './transform.ts';
import {
  heavyBall,
  scale,
  scaleByGroupRms,
  scaleByRms,
  scaleBySumOfSquares,
  traceMomentum,
} from './transforms.ts';
import { checkNonNegative, checkPositive, checkUnitInterval, show } from './validate.ts';

/** Names accepted by makeOptimizer. */
export type OptimizerName = 'sgd' | 'momentum' | 'adam' | 'rmsprop' | 'adagrad' | 'group-rmsprop';

/** Every optimizer name, in a stable order (for CLI help and error messages). */
export const OPTIMIZER_NAMES: readonly OptimizerName[] = Object.freeze([
  'sgd',
  'momentum',
  'adam',
  'rmsprop',
  'adagrad',
  'group-rmsprop',
] as const);

/** Hyperparameters; anything omitted takes the named optimizer's default (OPTIMIZER_DEFAULTS). */
export interface OptimizerOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  momentum?: number;
  alpha?: number;
}

/** Default hyperparameters per optimizer (only the ones each optimizer uses). */
export const OPTIMIZER_DEFAULTS: Readonly<Record<OptimizerName, Readonly<Omit<OptimizerOptions, 'lr'>>>> = Object.freeze({
  sgd: Object.freeze({}),
  momentum: Object.freeze({ momentum: 0.9 }),
  adam: Object.freeze({ beta1: 0.9, beta2: 0.999, eps: 1e-8 }),
  // Adam without its numerator: same beta2 and eps, so the ablation differs only by the numerator.
  rmsprop: Object.freeze({ beta2: 0.999, eps: 1e-8 }),
  adagrad: Object.freeze({ eps: 1e-10 }),
  'group-rmsprop': Object.freeze({ alpha: 0.99, eps: 1e-4 }),
});

/** Build the named optimizer as a chain ending with scale(-lr); validates every option given. */
export function makeOptimizer(name: OptimizerName, opts: OptimizerOptions): GradientTransform<unknown> {
  if (!(OPTIMIZER_NAMES as readonly unknown[]).includes(name)) {
    throw new RangeError(
      `makeOptimizer: unknown optimizer name ${show(name)}; expected one of: ${OPTIMIZER_NAMES.join(', ')}`,
    );
  }
  if (opts === null || typeof opts !== 'object') {
    throw new TypeError(`makeOptimizer: options must be an object with at least { lr }, got ${show(opts)}`);
  }
  const where = `makeOptimizer(${JSON.stringify(name)})`;
  checkPositive(`${where}: option "lr"`, opts.lr);
  for (const key of ['beta1', 'beta2', 'momentum', 'alpha'] as const) {
    if (opts[key] !== undefined) checkUnitInterval(`${where}: option "${key}"`, opts[key]);
  }
  if (opts.eps !== undefined) checkNonNegative(`${where}: option "eps"`, opts.eps);

  const d: Omit<OptimizerOptions, 'lr'> = OPTIMIZER_DEFAULTS[name];
  const beta1 = opts.beta1 ?? d.beta1 ?? 0;
  const beta2 = opts.beta2 ?? d.beta2 ?? 0;
  const eps = opts.eps ?? d.eps ?? 0;
  const momentum = opts.momentum ?? d.momentum ?? 0;
  const alpha = opts.alpha ?? d.alpha ?? 0;
  const step = scale(-opts.lr);

  switch (name) {
    case 'sgd':
      return chain(step);
    case 'momentum':
      return chain(heavyBall(momentum), step);
    case 'adam':
      return chain(traceMomentum(beta1), scaleByRms(beta2, eps), step);
    case 'rmsprop':
      return chain(scaleByRms(beta2, eps), step);
    case 'adagrad':
      return chain(scaleBySumOfSquares(eps), step);
    case 'group-rmsprop':
      return chain(scaleByGroupRms(alpha, eps), step);
  }
}

/** params[g][i] += updates[g][i] (shapes must match). */
export function applyUpdates(params: Float64Array[], updates: Float64Array[]): void {
  if (params.length !== updates.length) {
    throw new RangeError(`applyUpdates: ${params.length} parameter groups but ${updates.length} update groups`);
  }
  for (let g = 0; g < params.length; g++) {
    const pg = params[g];
    const ug = updates[g];
    if (pg.length !== ug.length) {
      throw new RangeError(`applyUpdates: group ${g} has ${pg.length} parameters but ${ug.length} updates`);
    }
    for (let i = 0; i < pg.length; i++) pg[i] += ug[i];
  }
}
