// What every synthetic method shares: the metrics of a result, the hooks of a run, its progress events, the
// stepped-run shape the registry in run.ts hands out, and the measurement of a completed matrix.
import { clone, type Matrix } from '../linalg/matrix.ts';
import { getBackend, type Backend } from '../linalg/backend.ts';
import type { SVD, SvdWorkspace } from '../linalg/svd.ts';
import type { SyntheticProblem } from '../data/synthetic.ts';
import type { NuclearMinProgress } from '../solver/nuclear-min.ts';
import type { SteppedRun, StopReason } from '../solver/loop.ts';
import { effectiveRank, nuclearNorm, ratioValue, relativeError, relativeErrorUnobserved, trainMSE } from '../metrics/index.ts';

/** The metrics every method reports for its completed matrix W (plain JSON). */
export interface RunMetrics {
  relError: number;
  /** relError on the entries not observed; null when there is none (samples = n²). */
  relErrorUnobserved: number | null;
  trainMSE: number;
  effectiveRank: number;
  nuclearNorm: number;
  ratio: number;
  iterations: number;
  seconds: number;
  stopReason: StopReason;
  /**
   * Whether the mask gives every row and column at least `rank` observed entries (data/identifiable.ts); added by
   * startSynthetic to every method's result.
   */
  identifiable?: boolean;
  /**
   * Gradient runs with `holdout` only: the RMSE of W on the held-out observed entries (never the truth's other
   * entries); trainMSE is then over the entries trained on.
   */
  heldoutRMSE?: number;
}

/** A gradient run's progress, every `progressEvery` steps and at the end. */
export interface GradientProgressEvent {
  method: 'gradient';
  step: number;
  maxIters: number;
  trainMSE: number;
  objective: number;
  elapsedSeconds: number;
  /** The end-to-end matrix, a live view (deep model only; the factored model never forms it): copy to keep it. */
  W?: Matrix;
}

/** A nuclear-min run's progress, every `progressEvery` ADMM iterations; `step` is the iteration. */
export interface NuclearMinProgressEvent extends NuclearMinProgress {
  method: 'nuclear-min';
  step: number;
}

/** One point of a soft-impute path, measured against the truth. */
export interface SoftImputePathSummary {
  lambda: number;
  relError: number;
  rank: number;
  iterations: number;
  stopReason: StopReason;
}

/** A soft-impute run's progress, after each λ of the path: `step` of `maxIters` path points. */
export interface SoftImputeProgressEvent {
  method: 'soft-impute';
  step: number;
  maxIters: number;
  point: SoftImputePathSummary;
}

/** Progress of any method (`method` says which; `step` of `maxIters` is what a progress bar needs). */
export type RunProgressEvent = GradientProgressEvent | NuclearMinProgressEvent | SoftImputeProgressEvent;

/** Progress, interruption and recording hooks of a run (not part of its settings). */
export interface RunHooks {
  onProgress?: (event: RunProgressEvent) => void;
  /** Steps (gradient) or ADMM iterations (nuclear-min) between progress events; soft-impute reports every λ. */
  progressEvery?: number;
  signal?: AbortSignal;
  /** Called once with the returned matrix when the method forms one (not the factored model); a live view. */
  onSolution?: (X: Matrix) => void;
}

/** Where a run stands: updates so far, the stop reason once it stopped, and the live estimate (deep gradient only). */
export interface RunStatus {
  iterations: number;
  stopReason: StopReason | null;
  W: Matrix | null;
}

/**
 * One synthetic run that advances in chunks (SteppedRun): result() measures the current estimate against the truth
 * (final once advance returned true). Methods that cannot be stepped (the convex baselines) run whole at the first
 * advance.
 */
export interface SyntheticRun<R> extends SteppedRun<R> {
  /** Cheap look at the run (no measurement): what a live page shows between steps. */
  status(): RunStatus;
}

/** One SVD workspace per backend and shape, reused by svdOn (a native workspace is about 4mn² doubles). */
const svdWorkspaces = new WeakMap<Backend, Map<string, SvdWorkspace>>();

/** The thin SVD of W from a cold start on `backend` (default getBackend()), in buffers of its own. Cost one SVD. */
export function svdOn(W: Matrix, backend: Backend = getBackend()): SVD {
  // Reusing the workspace keeps a sweep's thousands of checkpoint SVDs from each allocating one (peak RSS of the
  // quick claims on the native backend: 203 MB with a new workspace per call, see docs/results.md); the result is
  // copied out (O(mn), small next to the SVD's O(mn·min(m, n))), since the next call overwrites the workspace.
  let byShape = svdWorkspaces.get(backend);
  if (!byShape) svdWorkspaces.set(backend, (byShape = new Map()));
  const key = `${W.rows}x${W.cols}`;
  let ws = byShape.get(key);
  if (!ws) byShape.set(key, (ws = backend.createSvdWorkspace(W.rows, W.cols)));
  const r = backend.svdInto(W, ws);
  return { U: clone(r.U), s: r.s.slice(), V: clone(r.V) };
}

/** The singular values of W, largest first (svdOn). Cost one SVD. */
export function singularValues(W: Matrix, backend: Backend = getBackend()): Float64Array {
  return svdOn(W, backend).s;
}

/**
 * The matrix metrics of RunMetrics (errors against the truth, train MSE, spectrum summaries) for W. Cost one SVD,
 * on `backend` (default getBackend()).
 */
export function measureMatrix(
  W: Matrix,
  problem: SyntheticProblem,
  backend: Backend = getBackend(),
): Pick<RunMetrics, 'relError' | 'relErrorUnobserved' | 'trainMSE' | 'effectiveRank' | 'nuclearNorm' | 'ratio'> {
  const s = singularValues(W, backend);
  return {
    relError: relativeError(W, problem.truth),
    relErrorUnobserved: relativeErrorUnobserved(W, problem.truth, problem.observations),
    trainMSE: trainMSE(W, problem.observations),
    effectiveRank: effectiveRank(s),
    nuclearNorm: nuclearNorm(s),
    ratio: ratioValue(s),
  };
}
