import type { Backend } from '../linalg/backend.ts';
import { show } from './validate.ts';

/**
 * What a trainer knows about its parameter groups beyond their lengths (all optional, so `init(sizes)` keeps
 * working): each group's matrix shape (row-major rows×cols; null or absent for a plain vector) for the transforms
 * that treat a group as a matrix (scaleByFactoredRms, orthogonalize), and the backend whose kernels they use.
 */
export interface ParamInfo {
  readonly shapes?: readonly (readonly [number, number] | null)[];
  readonly backend?: Backend;
}

/**
 * One composable step of an optimizer (optax's GradientTransformation): `init` allocates the state for parameter
 * groups of the given lengths, `apply` turns the incoming updates into outgoing ones in place and advances the
 * state. Whatever a transform needs to remember, the step count included, lives in its state, so one transform
 * object can drive any number of independent runs (one state each).
 */
export interface GradientTransform<S = unknown> {
  /** A readable description, shown in error messages (e.g. `chain(scaleByAdam(…), scale(-0.001))`). */
  readonly name: string;
  /** Allocate the state for parameter groups of the given lengths (all buffers, once); `info` adds shapes. */
  init(sizes: readonly number[], info?: ParamInfo): S;
  /**
   * Turn `updates` (on entry the gradients, or the previous transform's output) into this step's updates, in place.
   * `params` (the current parameters, read only) is passed by the trainers for transforms that need it
   * (addDecayedWeights).
   */
  apply(updates: Float64Array[], state: S, params?: readonly Float64Array[]): void;
}

/** Whether `value` has the shape of a GradientTransform (an object with init and apply functions). */
export function isGradientTransform(value: unknown): value is GradientTransform {
  const t = value as GradientTransform | null;
  return t !== null && typeof t === 'object' && typeof t.init === 'function' && typeof t.apply === 'function';
}

/** The state of a chain: its transforms' states, in order. */
export type ChainState = unknown[];

/**
 * Compose transforms left to right into one (optax.chain): each sees the previous one's output. The state is the
 * list of their states. Cost: the sum of theirs.
 */
export function chain(...transforms: GradientTransform[]): GradientTransform<ChainState> {
  for (let i = 0; i < transforms.length; i++) {
    if (!isGradientTransform(transforms[i])) {
      throw new TypeError(`chain: argument ${i} is not a GradientTransform, got ${show(transforms[i])}`);
    }
  }
  const list = transforms.slice();
  return {
    name: `chain(${list.map((t) => t.name).join(', ')})`,
    init: (sizes, info) => list.map((t) => t.init(sizes, info)),
    apply(updates, state, params) {
      for (let i = 0; i < list.length; i++) list[i].apply(updates, state[i], params);
    },
  };
}

/** The same transform under another name (a named optimizer reads `sgd(lr 0.1)` rather than its chain). */
export function renamed<S>(transform: GradientTransform<S>, name: string): GradientTransform<S> {
  return {
    name,
    init: (sizes, info) => transform.init(sizes, info),
    apply: (updates, state, params) => transform.apply(updates, state, params),
  };
}

/** params[g][i] += updates[g][i] (optax.apply_updates; shapes must match). Cost one add per parameter. */
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
