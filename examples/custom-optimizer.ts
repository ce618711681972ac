// docs/contributing.md, "Adding an optimizer transform": Lion's update as a gradient transform, chained and trained
// at once. Run it with `node --import tsx examples/custom-optimizer.ts`; it prints one JSON object. In the repository
// the transform goes to src/optim/transforms.ts, which imports GradientTransform from './transform.ts'.
import type { GradientTransform } from '../src/index.ts';
import { chain, scale, syntheticProblem, train } from '../src/index.ts';

/** State of scaleByLion: the step count and the momentum, one array per group. */
export interface LionState {
  count: number;
  m: Float64Array[];
}

/**
 * Lion's step direction (Chen et al. 2023): u ← sign(b1·m + (1−b1)·g), then m ← b2·m + (1−b2)·g. End the chain
 * with scale(-lr) (Lion's lr is ~10× smaller than Adam's). Defaults b1 0.9, b2 0.99. Cost ~6 flops per parameter; state P.
 */
export function scaleByLion(opts: { b1?: number; b2?: number } = {}): GradientTransform<LionState> {
  const { b1 = 0.9, b2 = 0.99 } = opts;
  return {
    name: `scaleByLion(${b1}, ${b2})`,
    init: (sizes) => ({ count: 0, m: sizes.map((p) => new Float64Array(p)) }),
    apply(updates, state) {
      state.count += 1;
      for (let g = 0; g < updates.length; g++) {
        const u = updates[g];
        const m = state.m[g];
        for (let i = 0; i < u.length; i++) {
          const grad = u[i];
          u[i] = Math.sign(b1 * m[i] + (1 - b1) * grad);
          m[i] = b2 * m[i] + (1 - b2) * grad;
        }
      }
    },
  };
}

const { observations } = syntheticProblem({ n: 30, rank: 2, samples: 400, seed: 0 });
const result = train(observations, {
  optimizer: chain(scaleByLion(), scale(-1e-4)),
  depth: 1, penalty: 'ratio', lambda: 1e-4, initScale: 1e-3, seed: 0, maxIters: 2000,
});

console.log(
  JSON.stringify({
    iterations: result.iterations,
    stopReason: result.stopReason,
    trainMSE: result.trainMSE,
    startMSE: observations.values.reduce((s, v) => s + v * v, 0) / observations.values.length,
  }),
);
