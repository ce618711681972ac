// What every synthetic method shares: the metrics of a result, the hooks of a run, its progress events, the
// stepped-run shape the registry in run.ts hands out, and the measurement of a completed matrix.
import { clone, type Matrix } from '../linalg/matrix.ts';
import { getBackend, type Backend } from '../linalg/backend.ts';
import type { SVD, SvdWorkspace } from '../linalg/svd.ts';
import {
  MASK_RULES,
  MAX_MASK_ENTRIES,
  type MaskDrawHook,
  problemShape,
  samplesForRho,
  type SyntheticFactors,
  type SyntheticProblem,
  type SyntheticSpec,
} from '../data/synthetic.ts';
import { RUN_DEFAULTS } from '../defaults.ts';
import { ParamError, type ParamTable } from '../params.ts';
import type { NuclearMinProgress } from '../solver/nuclear-min.ts';
import type { SteppedRun, StopReason } from '../solver/loop.ts';
import { factorPairSvd, type Factors } from '../solver/factors.ts';
import {
  effectiveRank,
  factoredErrors,
  factoredErrorsExact,
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
  /** The largest singular value s_1 = ||W||_2 (absent from records written before it was recorded). */
  spectralNorm?: number;
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
  /** masks identifiable: called after each draw of the mask (progress while it redraws; see syntheticMask). */
  onMaskDraw?: MaskDrawHook;
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
): Pick<
  RunMetrics,
  'relError' | 'relErrorUnobserved' | 'trainMSE' | 'effectiveRank' | 'nuclearNorm' | 'ratio' | 'spectralNorm'
> {
  const s = singularValues(W, backend);
  return {
    relError: relativeError(W, problem.truth),
    relErrorUnobserved: relativeErrorUnobserved(W, problem.truth, problem.observations),
    trainMSE: trainMSE(W, problem.observations),
    effectiveRank: effectiveRank(s),
    nuclearNorm: nuclearNorm(s),
    ratio: ratioValue(s),
    spectralNorm: s.length > 0 ? s[0] : 0,
  };
}

// ---- the method contract ----------------------------------------------------------------------------------------

/** The largest n and n2: the factored model and the mask's 32-bit indices (n·n2 ≤ MAX_MASK_ENTRIES) set the real limit. */
export const MAX_PROBLEM_SIZE = 100000;

/**
 * The most entries n·n2 of a method that forms dense n₁×n₂ matrices (the truth, W, the SVDs of measureMatrix): 5000²,
 * the largest problem such runs were allowed before the factored path reached larger n.
 */
export const DENSE_MAX_ENTRIES = 5000 * 5000;

/** The synthetic problem's parameters (docs/design/protocols.md section 4), shared by every method and declared once. */
export const PROBLEM_PARAMS = {
  n: { type: 'int', min: 1, max: MAX_PROBLEM_SIZE, default: RUN_DEFAULTS.n, doc: 'rows of the matrix (n×n, or n×n2)' },
  n2: {
    type: 'int',
    min: 1,
    max: MAX_PROBLEM_SIZE,
    defaultDoc: 'n (square)',
    doc: 'columns of the matrix, for a rectangular n×n2 problem',
  },
  rank: {
    type: 'int',
    min: 1,
    max: (r) => Math.min(r.n as number, (r.n2 ?? r.n) as number),
    maxDoc: 'min(n, n2)',
    default: RUN_DEFAULTS.rank,
    doc: 'rank of the ground truth',
  },
  rho: {
    type: 'number',
    min: 0,
    minExclusive: true,
    doc: 'oversampling: samples = round(ρ·r(n + n2 − r)), ρ times the degrees of freedom (instead of samples)',
  },
  samples: {
    type: 'int',
    min: 1,
    max: (r) => (r.n as number) * ((r.n2 ?? r.n) as number),
    maxDoc: 'n·n2',
    default: (r) =>
      r.rho === undefined
        ? RUN_DEFAULTS.samples
        : samplesForRho(r.rho as number, r.n as number, (r.n2 ?? r.n) as number, r.rank as number),
    defaultDoc: `${RUN_DEFAULTS.samples}; with rho, round(ρ·r(n + n2 − r))`,
    doc: 'number of observed entries',
  },
  seed: {
    type: 'int',
    min: 0,
    max: 2 ** 32 - 1,
    default: RUN_DEFAULTS.seed,
    doc: 'seed of data, mask and initialization',
  },
  kappa: {
    type: 'number',
    min: 1,
    defaultDoc: 'off (Gaussian factors)',
    doc: 'condition number κ of the truth: orthonormal U, V and singular values geometric from κ to 1 (Kümmerle & Verdun 2021)',
  },
  masks: {
    type: 'choice',
    choices: MASK_RULES,
    defaultDoc: 'uniform',
    doc: "uniform: the first draw; identifiable: redraw until every row and column has ≥ rank + 1 entries; field: the same at most 1000 times, then the last draw (the field's benchmark)",
  },
  maskMinPerLine: {
    type: 'int',
    min: 1,
    // Filled in by resolveSettings for identifiable masks (withMaskRule), so that it is not a default of every run.
    defaultDoc: 'rank + 1 (masks identifiable)',
    doc: '(masks identifiable) the fewest entries every row and column must have',
  },
} as const satisfies ParamTable;

/**
 * `s` with the rule of its identifiable mask stated, maskMinPerLine = rank + 1 when left out (the field's rule), so
 * that settings and run keys made under the older ≥ rank rule (which had no maskMinPerLine) are never taken for
 * these. Uniform masks are left as they are.
 */
export function withMaskRule<S extends SyntheticSpec>(s: S): S {
  if ((s.masks === 'identifiable' || s.masks === 'field') && s.maskMinPerLine === undefined)
    s.maskMinPerLine = s.rank + 1;
  return s;
}

/**
 * Checks across the problem's parameters once each is resolved (a ParamError naming one of them): a rho and a
 * samples that disagree (both given; equal when `samples` came from rho, as in settings read back), a rho whose
 * sample count leaves 1..n·n2, a kappa ≠ 1 at rank 1, maskMinPerLine without identifiable masks or more than
 * samples can meet, n·n2 beyond MAX_MASK_ENTRIES. Called by resolveSettings before the method's own check.
 */
export function checkProblem(s: SyntheticSpec): void {
  const [n1, n2] = problemShape(s);
  if (n1 * n2 > MAX_MASK_ENTRIES) {
    throw new ParamError(
      s.n2 === undefined ? 'n' : 'n2',
      `n·n2 must be at most ${MAX_MASK_ENTRIES} (the mask's indices are 32-bit), got ${n1}·${n2} = ${n1 * n2}`,
    );
  }
  if (s.rho !== undefined) {
    const m = samplesForRho(s.rho, n1, n2, s.rank);
    if (s.samples !== m) {
      throw new ParamError(
        'rho',
        `give samples or rho, not both: samples ${s.samples} and rho ${s.rho} (which gives round(ρ·r(n + n2 − r)) = ${m})`,
      );
    }
    if (m < 1 || m > n1 * n2) {
      throw new ParamError(
        'rho',
        `rho must give between 1 and n·n2 = ${n1 * n2} samples, got rho ${s.rho}: round(ρ·r(n + n2 − r)) = ${m}`,
      );
    }
  }
  if (s.kappa !== undefined && s.rank === 1 && s.kappa !== 1)
    throw new ParamError('kappa', `kappa must be 1 at rank 1 (a rank-1 matrix has one singular value), got ${s.kappa}`);
  if (s.maskMinPerLine !== undefined) {
    if (s.masks !== 'identifiable' && s.masks !== 'field')
      throw new ParamError('maskMinPerLine', `maskMinPerLine must be left out unless masks is identifiable or field`);
    const need = s.maskMinPerLine * Math.max(n1, n2);
    if (s.masks === 'identifiable' && s.samples < need) {
      throw new ParamError(
        'samples',
        `samples must be at least maskMinPerLine·max(n, n2) = ${s.maskMinPerLine}·${Math.max(n1, n2)} = ${need} for identifiable masks (every row and column seen ≥ ${s.maskMinPerLine} times), got ${s.samples}`,
      );
    }
  }
}

/**
 * A method that forms dense n₁×n₂ matrices refuses a problem of more than DENSE_MAX_ENTRIES entries with one
 * ParamError naming n (and n2) and the method; `alternative` says what runs at that size.
 */
export function checkDense(s: SyntheticSpec, method: string, alternative: string): void {
  const [n1, n2] = problemShape(s);
  if (n1 * n2 <= DENSE_MAX_ENTRIES) return;
  throw new ParamError(
    'n',
    `n must keep n·n2 at most ${DENSE_MAX_ENTRIES} (5000²) for ${method}, which forms dense ${n1}×${n2} matrices; ${alternative}`,
  );
}

/** The size term n₁n₂·min(n₁, n₂) of a cost estimate (n³ for a square problem): one dense SVD. */
export function denseSvdCost(s: SyntheticSpec): number {
  const [n1, n2] = problemShape(s);
  return n1 * n2 * Math.min(n1, n2);
}

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

/** The problem part of a settings line: "n=100 rank=5 samples=2000 seed=0", with n2, rho and kappa when given. */
export function problemText(s: SyntheticSpec): string {
  return (
    `n=${s.n}${s.n2 === undefined ? '' : ` n2=${s.n2}`} rank=${s.rank} samples=${s.samples}` +
    `${s.rho === undefined ? '' : ` rho=${s.rho}`} seed=${s.seed}${s.kappa === undefined ? '' : ` kappa=${s.kappa}`}`
  );
}

/** The metrics of UVᵀ against a truth kept as factors (exact errors from stacked QRs; nothing n×n). */
export function measureFactors(
  f: Factors,
  problem: SyntheticFactors,
): Pick<
  RunMetrics,
  'relError' | 'relErrorUnobserved' | 'trainMSE' | 'effectiveRank' | 'nuclearNorm' | 'ratio' | 'spectralNorm'
> {
  const { s } = factorPairSvd(f.U, f.V);
  return {
    // trainMSE from factoredErrors; the errors to rounding from factoredErrorsExact (the Gram ones stop near 1e-7).
    ...factoredErrors(f.U, f.V, problem.U, problem.V, problem.observations),
    ...factoredErrorsExact(f.U, f.V, problem.U, problem.V, problem.observations),
    effectiveRank: effectiveRank(s),
    nuclearNorm: nuclearNorm(s),
    ratio: ratioValue(s),
    spectralNorm: s.length > 0 ? s[0] : 0,
  };
}
