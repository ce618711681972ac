import { checkShapes, show, zeros } from './validate.ts';

/**
 * One composable step: turns gradients into updates in place (optax GradientTransformation).
 *
 * Raw-gradient design: `apply` takes an optional fourth argument `grads`, the raw gradients as they
 * were before the enclosing chain's first transform ran. Second-moment statistics (scaleByRms,
 * scaleBySumOfSquares, scaleByGroupRms) accumulate from `grads` and divide the incoming `updates`;
 * everything else works on `updates` alone. `chain` copies the raw gradients into a buffer
 * preallocated by its init before the first transform runs and passes that copy to every transform,
 * so chain(traceMomentum(b1), scaleByRms(b2, eps)) is exactly Adam (m from g, v from g, u = m̂/(√v̂+ε)).
 * When `grads` is omitted (a transform used on its own, or first in a chain) it defaults to `updates`,
 * which are then still the raw gradients.
 */
export interface GradientTransform<S = unknown> {
  readonly name: string;
  /** Allocate the state for parameter groups of the given lengths. */
  init(sizes: readonly number[]): S;
  /** Turn `updates` into the step's updates in place; step t = 1, 2, ...; `grads` = raw gradients (see above). */
  apply(updates: Float64Array[], state: S, step: number, grads?: readonly Float64Array[]): void;
}

/** State of a chain: the inner transforms' states in order, plus the preallocated raw-gradient copy. */
export type ChainState = unknown[] & {
  /** Copy of the raw gradients taken before the first transform runs; null for chains of < 2 transforms. */
  readonly raw: Float64Array[] | null;
};

/** Compose transforms left to right into one transform (optax.chain); copies raw grads for later transforms. */
export function chain(...transforms: GradientTransform<any>[]): GradientTransform<ChainState> {
  for (let i = 0; i < transforms.length; i++) {
    const t = transforms[i] as unknown;
    if (t === null || typeof t !== 'object' || typeof (t as GradientTransform).apply !== 'function') {
      throw new TypeError(`chain: argument ${i} is not a GradientTransform, got ${show(t)}`);
    }
  }
  const list = transforms.slice();
  const name = `chain(${list.map((t) => t.name).join(', ')})`;
  return {
    name,
    init(sizes) {
      const states = list.map((t) => t.init(sizes));
      // Only a later transform can see modified updates, so a single transform needs no copy.
      const raw = list.length >= 2 ? zeros('chain', sizes) : null;
      return Object.assign(states, { raw });
    },
    apply(updates, state, step, grads) {
      let rawGrads = grads;
      if (rawGrads === undefined && state.raw !== null) {
        const raw = state.raw;
        checkShapes('chain', updates, raw);
        for (let g = 0; g < raw.length; g++) raw[g].set(updates[g]);
        rawGrads = raw;
      }
      for (let i = 0; i < list.length; i++) list[i].apply(updates, state[i], step, rawGrads);
    },
  };
}
