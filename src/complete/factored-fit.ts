import type { Observations } from '../data/observations.ts';
import type { FactoredEvaluation, FactoredProgressEvent, FactoredTrainResult } from '../solver/factored-train.ts';
import { startTrainFactored, type FactoredTrainer, type FactoredWeighting } from '../solver/factored-train.ts';
import { addDecayedWeights, chain, scale, scaleByAdam } from '../optim/index.ts';

/** How the weight decay ω acts: as a loss term ω(Σ p_i||A_i||² + Σ q_j||B_j||²), or decoupled (AdamW: lr·ω·θ). */
export type DecayMode = 'loss' | 'decoupled';

/** Every accepted decay mode, for flag validation. */
export const DECAY_MODES: readonly DecayMode[] = ['loss', 'decoupled'];

/** One setting of a gradient method (ratio or nuclear) on the factored model A·B^T. */
export interface GradientSetting {
  method: 'ratio' | 'nuclear';
  rank: number;
  lambda: number;
  /** ratio: the extra μ·||W||_* weight (0 for nuclear). */
  nuclearWeight: number;
  /** ω of the weight decay on the factors (0: none), and how it acts. */
  weightDecay: number;
  decay: DecayMode;
  /** Spectral penalties (and the loss-term decay) on D_r^½ W D_c^½ ('frequency') or on W ('none'). */
  weighting: FactoredWeighting;
  lr: number;
  initScale: number;
  seed: number;
  steps: number;
}

/** What a gradient fit reports back: validation checks while tuning, train MSE per step while refitting. */
export interface GradientHooks {
  evalEvery?: number;
  onEvaluate?: (event: FactoredEvaluation) => boolean | void;
  progressEvery?: number;
  onProgress?: (event: FactoredProgressEvent) => void;
}

/**
 * A trainer of the factored model W = A·B^T on `obs` with λ·R(W) (+ μ·||W||_* for ratio, + the weight decay), by
 * Adam (AdamW for decoupled decay), advanced in chunks: the only place complete() makes the factored trainer, for
 * tuning and refitting alike. Cost: see startTrainFactored.
 */
export function gradientTrainer(obs: Observations, s: GradientSetting, hooks: GradientHooks = {}): FactoredTrainer {
  const decoupled = s.decay === 'decoupled' && s.weightDecay > 0;
  return startTrainFactored(obs, {
    rank: s.rank,
    penalty: s.method,
    lambda: s.lambda,
    nuclearWeight: s.nuclearWeight,
    weightDecay: decoupled ? 0 : s.weightDecay,
    weighting: s.weighting,
    optimizer: decoupled
      ? chain(scaleByAdam(), addDecayedWeights(s.weightDecay), scale(-s.lr))
      : chain(scaleByAdam(), scale(-s.lr)),
    maxIters: s.steps,
    initScale: s.initScale,
    seed: s.seed,
    evalEvery: hooks.evalEvery,
    onEvaluate: hooks.onEvaluate,
    progressEvery: hooks.progressEvery,
    onProgress: hooks.onProgress,
  });
}

/** gradientTrainer run to its stop rule in one call. */
export function fitGradient(obs: Observations, s: GradientSetting, hooks: GradientHooks = {}): FactoredTrainResult {
  const trainer = gradientTrainer(obs, s, hooks);
  trainer.advance(Infinity);
  return trainer.result();
}
