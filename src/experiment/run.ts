import type { Matrix } from '../linalg/matrix.ts';
import { svd } from '../linalg/svd.ts';
import { syntheticFactors, syntheticProblem, type SyntheticFactors, type SyntheticProblem, type SyntheticSpec } from '../data/synthetic.ts';
import { createFactoredWorkspace, factoredSpectrum, type FactoredPenaltyName } from '../penalty/factored.ts';
import { createFactoredTrainer, type FactoredTrainerResult } from '../solver/factored-train.ts';
import {
  train,
  trainAsync,
  finishAsync,
  type ProgressEvent,
  type StopReason,
  type TrainOptions,
  type TrainResult,
} from '../solver/train.ts';
import {
  effectiveRank,
  factoredErrors,
  factoredRelativeError,
  nuclearNorm,
  ratioValue,
  relativeError,
  relativeErrorUnobserved,
  trainMSE,
} from '../metrics/index.ts';

/** The settings every gradient run shares: the problem (DESIGN section 4), penalty, optimizer and stop rules. */
export type GradientRunBase = SyntheticSpec &
  Omit<TrainOptions, 'onProgress' | 'signal' | 'progressEvery' | 'depth' | 'backend' | 'reachedTarget'> & {
    /** The gradient solver (the other methods have their own specs, see baselines.ts). */
    method?: 'gradient';
    /**
     * Stop once relError (all entries, against the truth) is at or below this, checked at the start of every step
     * (stopReason 'target-error'): how many steps and seconds a run needs to reach an accuracy. Absent: off.
     */
    targetError?: number;
  };

/** A run of the full-width product W = W_N ⋯ W_1 (the default model). */
export type DeepRunSpec = GradientRunBase & {
  model?: 'deep';
  depth: number;
};

/**
 * A run of the factored model W = A·B^T of rank k (DESIGN 3.3), for large n: the truth stays in factor form and
 * no n×n matrix is formed. `initScale` keeps its meaning, ||W_0||_F ≈ s·sqrt(n).
 */
export type FactoredRunSpec = GradientRunBase & {
  model: 'factored';
  k: number;
};

/** Everything that fixes one synthetic gradient run. */
export type RunSpec = DeepRunSpec | FactoredRunSpec;

/** The metrics every method reports for its completed matrix W (plain JSON). */
export interface RunMetrics {
  relError: number;
  relErrorUnobserved: number;
  trainMSE: number;
  effectiveRank: number;
  nuclearNorm: number;
  ratio: number;
  iterations: number;
  seconds: number;
  stopReason: StopReason;
}

/** The result of one run: metrics of the final W plus the settings that produced it (plain JSON). */
export interface RunResult extends RunMetrics {
  settings: RunSpec & { backend?: TrainResult['backend'] };
}

/** Defaults of `mcomplete run` (issue 2): the headline method, depth-1 W + L∗/F + Adam, on n=100, rank 5, m=2000. */
export const DEFAULT_RUN_SPEC: DeepRunSpec = {
  n: 100,
  rank: 5,
  samples: 2000,
  seed: 0,
  depth: 1,
  penalty: 'ratio',
  lambda: 1e-4,
  optimizer: 'adam',
  lr: 1e-3,
  initScale: 1e-3,
  maxIters: 25000,
  tol: 0,
};

/**
 * The train-MSE stop rule's default: Arora et al.'s 1e-6 without a penalty; off (0) with one, because a penalized
 * depth-1 run fits Ω (train MSE ≈ 1e-8 at 8k steps on the default problem) long before it leaves its plateau.
 */
export function defaultTol(penalty: RunSpec['penalty']): number {
  return penalty === 'none' ? 1e-6 : 0;
}

/** Iteration cap when none is given without a penalty: the train-MSE rule stops those runs (depth 3 needs 25–35k steps). */
export const UNPENALIZED_MAX_ITERS = 40000;

/**
 * The iteration cap's default: DEFAULT_RUN_SPEC.maxIters (25,000, past the plateau of penalized depth-1 runs) with a
 * penalty, UNPENALIZED_MAX_ITERS without one, where train MSE ≤ 1e-6 is the stop rule (Arora et al.).
 */
export function defaultMaxIters(penalty: RunSpec['penalty']): number {
  return penalty === 'none' ? UNPENALIZED_MAX_ITERS : DEFAULT_RUN_SPEC.maxIters;
}

/** The progress fields both models report (the deep model's events also carry its live W). */
export type RunProgressEvent = Pick<ProgressEvent, 'step' | 'maxIters' | 'trainMSE' | 'objective' | 'elapsedSeconds'> & {
  /** The end-to-end matrix (deep model only; the factored model never forms it). */
  W?: ProgressEvent['W'];
};

/** Progress, interruption and reporting hooks of a run (not part of its settings). */
export interface RunHooks {
  onProgress?: (event: RunProgressEvent) => void;
  progressEvery?: number;
  signal?: AbortSignal;
}

/** Build the synthetic problem of `spec`, train on its observed entries, and measure the result against the truth. */
export function runSynthetic(spec: RunSpec, hooks: RunHooks = {}): RunResult {
  checkTargetError(spec.targetError);
  if (spec.model === 'factored') {
    const { problem, trainer } = factoredRun(spec, hooks);
    trainer.advance(Infinity);
    return measureFactored(problem, trainer.result(), spec);
  }
  const problem = syntheticProblem(spec);
  return measure(problem, train(problem.observations, deepTrainOptions(spec, problem, hooks)), spec);
}

/** runSynthetic, yielding to the event loop during training so that Ctrl-C and timers work. */
export async function runSyntheticAsync(spec: RunSpec, hooks: RunHooks = {}): Promise<RunResult> {
  checkTargetError(spec.targetError);
  if (spec.model === 'factored') {
    const { problem, trainer } = factoredRun(spec, hooks);
    return measureFactored(problem, await finishAsync(trainer), spec);
  }
  const problem = syntheticProblem(spec);
  return measure(problem, await trainAsync(problem.observations, deepTrainOptions(spec, problem, hooks)), spec);
}

/** A target error, when given, must be a finite number > 0. */
function checkTargetError(target: number | undefined): void {
  if (target !== undefined && !(target > 0 && Number.isFinite(target))) {
    throw new RangeError(`targetError must be a finite number > 0, got ${target}`);
  }
}

/** The trainer's options for a deep spec: its settings, the hooks, and the targetError stop (O(n²) per step). */
function deepTrainOptions(spec: DeepRunSpec, problem: SyntheticProblem, hooks: RunHooks): TrainOptions {
  const { targetError } = spec;
  return {
    ...spec,
    ...hooks,
    reachedTarget: targetError === undefined ? undefined : (W) => relativeError(W, problem.truth) <= targetError,
  };
}

/** The penalties the factored model computes (DESIGN 3.3). */
export const FACTORED_PENALTIES: readonly FactoredPenaltyName[] = ['none', 'nuclear', 'ratio'];

/** The factor-form problem of a factored spec and a trainer on it (not yet advanced). */
function factoredRun(spec: FactoredRunSpec, hooks: RunHooks) {
  if (!(FACTORED_PENALTIES as readonly string[]).includes(spec.penalty)) {
    throw new RangeError(`the factored model supports penalties ${FACTORED_PENALTIES.join(', ')}, not ${spec.penalty}`);
  }
  const problem = syntheticFactors(spec);
  const trainer = createFactoredTrainer(problem.observations, {
    rank: spec.k,
    penalty: spec.penalty as FactoredPenaltyName,
    lambda: spec.lambda,
    optimizer: spec.optimizer,
    lr: spec.lr,
    // initFactoredModel takes the entry RMS; s/sqrt(n) gives ||W_0||_F ≈ s·sqrt(n) as for the deep model.
    initScale: spec.initScale / Math.sqrt(spec.n),
    seed: spec.seed,
    maxIters: spec.maxIters,
    tol: spec.tol,
    // O((m+n)(k+r)²) per step: at n = 2000, k = 20, r = 10 0.27 ms on the native backend (7.6 ms on ts), in a 16 ms step.
    reachedTarget:
      spec.targetError === undefined
        ? undefined
        : (model) => factoredRelativeError(model.A, model.B, problem.U, problem.V) <= (spec.targetError as number),
    progressEvery: hooks.progressEvery,
    onProgress: hooks.onProgress,
    signal: hooks.signal,
  });
  return { problem, trainer };
}

/**
 * The metrics of trained factors A·B^T against the factored truth, never forming an n×n matrix: errors from Gram
 * matrices (factoredErrors), spectrum summaries from the exact k×k core SVD (factoredSpectrum).
 * Cost O(n(k+r)² + |Ω|(k+r) + k³).
 */
export function measureFactored(problem: SyntheticFactors, result: FactoredTrainerResult, spec: FactoredRunSpec): RunResult {
  const { A, B } = result.model;
  const { s } = factoredSpectrum(A, B, createFactoredWorkspace(A.rows, B.rows, A.cols));
  return {
    ...factoredErrors(A, B, problem.U, problem.V, problem.observations),
    effectiveRank: effectiveRank(s),
    nuclearNorm: nuclearNorm(s),
    ratio: ratioValue(s),
    iterations: result.iterations,
    seconds: result.seconds,
    stopReason: result.stopReason,
    settings: { ...spec, backend: result.backend },
  };
}

/** The metrics of a trained W against the problem's truth. */
function measure(problem: SyntheticProblem, result: TrainResult, spec: RunSpec): RunResult {
  return {
    ...measureMatrix(result.W, problem),
    iterations: result.iterations,
    seconds: result.seconds,
    stopReason: result.stopReason,
    settings: { ...spec, backend: result.backend },
  };
}

/** The matrix metrics of RunMetrics (errors against the truth, train MSE, spectrum summaries) for W. Cost one SVD. */
export function measureMatrix(
  W: Matrix,
  problem: SyntheticProblem,
): Pick<RunMetrics, 'relError' | 'relErrorUnobserved' | 'trainMSE' | 'effectiveRank' | 'nuclearNorm' | 'ratio'> {
  const { s } = svd(W);
  return {
    relError: relativeError(W, problem.truth),
    relErrorUnobserved: relativeErrorUnobserved(W, problem.truth, problem.observations),
    trainMSE: trainMSE(W, problem.observations),
    effectiveRank: effectiveRank(s),
    nuclearNorm: nuclearNorm(s),
    ratio: ratioValue(s),
  };
}
