import type { Observations } from '../data/observations.ts';
import type { FactoredModel } from '../model/factored.ts';
import { trainFactored, type FactoredTrainResult } from '../solver/factored-train.ts';
import { chain, scale, scaleByAdam } from '../optim/index.ts';

/** One setting of a gradient method (ratio or nuclear) on the factored model A·B^T. */
export interface GradientSetting {
  method: 'ratio' | 'nuclear';
  rank: number;
  lambda: number;
  /** ratio: the extra μ·||W||_* weight (0 for nuclear). */
  nuclearWeight: number;
  lr: number;
  initScale: number;
  seed: number;
  steps: number;
}

/** What a gradient fit reports back: validation checks while tuning, train MSE per step while refitting. */
export interface GradientHooks {
  evalEvery?: number;
  onEvaluate?: (step: number, model: FactoredModel) => boolean | void;
  onStep?: (step: number, trainMSE: number) => void;
}

/**
 * Trains the factored model W = A·B^T on `obs` with λ·R(W) (+ μ·||W||_* for ratio) by Adam: the only place
 * complete() calls the factored trainer, for tuning and refitting alike. Cost: see trainFactored.
 */
export function fitGradient(obs: Observations, s: GradientSetting, hooks: GradientHooks = {}): FactoredTrainResult {
  return trainFactored(obs, {
    rank: s.rank,
    penalty: s.method,
    lambda: s.lambda,
    nuclearWeight: s.nuclearWeight,
    optimizer: chain(scaleByAdam(), scale(-s.lr)),
    maxIters: s.steps,
    initScale: s.initScale,
    seed: s.seed,
    evalEvery: hooks.evalEvery,
    onEvaluate: hooks.onEvaluate,
    onStep: hooks.onStep,
  });
}
