// What every synthetic method shares: the metrics of a result, the hooks of a run, its progress events, the
// stepped-run shape the registry in run.ts hands out, and the measurement of a completed matrix.
import { clone, type Matrix } from '../linalg/matrix.ts';
import { getBackend, type Backend } from '../linalg/backend.ts';
import type { SVD, SvdWorkspace } from '../linalg/svd.ts';
import { MASK_RULES, type SyntheticProblem, type SyntheticSpec } from '../data/synthetic.ts';
import { RUN_DEFAULTS } from '../defaults.ts';
import type { ParamTable } from '../params.ts';
import type { NuclearMinProgress } from '../solver/nuclear-min.ts';
import type { SteppedRun, StopReason } from '../solver/loop.ts';
import {
  effectiveRank,
  nuclearNorm,
  ratioValue,
  relativeError,
  relativeErrorUnobserved,
  trainMSE,
} from '../metrics/index.ts';

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
  // quick claims on the native backend: 203 MB with a new workspace per call, see docs/results/log.md); the result is
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

// ---- the method contract ----------------------------------------------------------------------------------------

/** The synthetic problem's parameters (docs/design/protocols.md section 4), shared by every method and declared once. */
export const PROBLEM_PARAMS = {
  n: { type: 'int', min: 1, max: 5000, default: RUN_DEFAULTS.n, doc: 'matrix size (n×n)' },
  rank: {
    type: 'int',
    min: 1,
    max: (r) => r.n as number,
    maxDoc: 'n',
    default: RUN_DEFAULTS.rank,
    doc: 'rank of the ground truth',
  },
  samples: {
    type: 'int',
    min: 1,
    max: (r) => (r.n as number) ** 2,
    maxDoc: 'n²',
    default: RUN_DEFAULTS.samples,
    doc: 'number of observed entries',
  },
  seed: {
    type: 'int',
    min: 0,
    max: 2 ** 32 - 1,
    default: RUN_DEFAULTS.seed,
    doc: 'seed of data, mask and initialization',
  },
  masks: {
    type: 'choice',
    choices: MASK_RULES,
    defaultDoc: 'uniform',
    doc: 'uniform: the first draw; identifiable: redraw until every row and column has ≥ rank entries',
  },
} as const satisfies ParamTable;

/**
 * One synthetic method, in one module (src/methods/NAME.ts), behind one interface (Surprise's AlgoBase): its
 * parameters declared once (type, range, default, doc; src/params.ts), how a run of it starts, what a run costs and
 * how its result reads. The registry (registry.ts), the spec validator, `mcomplete run`'s flags and help, the types
 * and the docs' flag tables are derived from it. S: its resolved settings; R: its result.
 */
export interface SyntheticMethod<
  S extends SyntheticSpec & { method?: string } = SyntheticSpec,
  R extends RunMetrics = RunMetrics,
> {
  /** The name of `settings.method` and of `--method`. */
  readonly name: NonNullable<S['method']>;
  /** One line for help texts. */
  readonly description: string;
  /** The method's own parameters (the problem's are PROBLEM_PARAMS), in the order settings are resolved. */
  readonly params: ParamTable;
  /** Checks across parameters after each is resolved (a ParamError naming one of them); absent: none. */
  check?(settings: S): void;
  /** Start a run of the resolved `settings` without advancing it. */
  start(settings: S, hooks: RunHooks): SyntheticRun<R>;
  /** A rough relative cost of a run, so that a sweep starts the longest runs first. */
  cost(settings: S): number;
  /** The lines `mcomplete run` prints for a result, after the settings line and the shared metric lines. */
  summary(result: R): string[];
  /** The settings line of `mcomplete run`'s text output. */
  settingsLine(settings: S): string;
}

/** A method that runs in one go (the convex and rank-given baselines), as a SyntheticRun: the first advance runs it whole. */
export function runWhole<R extends RunMetrics>(run: () => R): SyntheticRun<R> {
  let result: R | null = null;
  const finish = (): R => (result ??= run());
  return {
    advance: () => (finish(), true),
    result: finish,
    status: () => ({ iterations: result?.iterations ?? 0, stopReason: result?.stopReason ?? null, W: null }),
  };
}

/** The problem part of a settings line: "n=100 rank=5 samples=2000 seed=0". */
export function problemText(s: SyntheticSpec): string {
  return `n=${s.n} rank=${s.rank} samples=${s.samples} seed=${s.seed}`;
}
