import type { Matrix } from '../linalg/matrix.ts';
import { svd } from '../linalg/svd.ts';
import { syntheticProblem, type SyntheticProblem, type SyntheticSpec } from '../data/synthetic.ts';
import {
  train,
  trainAsync,
  type ProgressEvent,
  type StopReason,
  type TrainOptions,
  type TrainResult,
} from '../solver/train.ts';
import {
  effectiveRank,
  nuclearNorm,
  ratioValue,
  relativeError,
  relativeErrorUnobserved,
  trainMSE,
} from '../metrics/index.ts';

/** Everything that fixes one synthetic run: the problem (DESIGN section 4) and the solver's settings. */
export type RunSpec = SyntheticSpec &
  Omit<TrainOptions, 'onProgress' | 'signal' | 'progressEvery' | 'backend'> & {
    /** The gradient solver (the other methods have their own specs, see baselines.ts). */
    method?: 'gradient';
  };

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
export const DEFAULT_RUN_SPEC: RunSpec = {
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

/** Progress, interruption and reporting hooks of a run (not part of its settings). */
export interface RunHooks {
  onProgress?: (event: ProgressEvent) => void;
  progressEvery?: number;
  signal?: AbortSignal;
}

/** Build the synthetic problem of `spec`, train on its observed entries, and measure the result against the truth. */
export function runSynthetic(spec: RunSpec, hooks: RunHooks = {}): RunResult {
  const problem = syntheticProblem(spec);
  return measure(problem, train(problem.observations, { ...spec, ...hooks }), spec);
}

/** runSynthetic, yielding to the event loop during training so that Ctrl-C and timers work. */
export async function runSyntheticAsync(spec: RunSpec, hooks: RunHooks = {}): Promise<RunResult> {
  const problem = syntheticProblem(spec);
  return measure(problem, await trainAsync(problem.observations, { ...spec, ...hooks }), spec);
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
