// One entry point for every synthetic method: runSynthetic(settings) looks the method up in METHODS (gradient
// training of the deep or factored model, nuclear-min, soft-impute), runs it on the synthetic problem of
// docs/design.md section 4, and measures the result against the truth. The CLI's `run`, sweeps and the web page all go through it.
import { getBackend, type Backend } from '../linalg/backend.ts';
import { syntheticFactors, syntheticMask, syntheticProblem, type SyntheticFactors, type SyntheticProblem, type SyntheticSpec } from '../data/synthetic.ts';
import { createFactoredWorkspace, factoredSpectrum, type FactoredPenaltyName } from '../penalty/factored.ts';
import { createFactoredTrainer, type FactoredTrainResult } from '../solver/factored-train.ts';
import { createTrainer, type TrainOptions, type TrainResult } from '../solver/train.ts';
import { finishAsync, type SteppedRun } from '../solver/loop.ts';
import { namedOptimizer, type GradientTransform, type OptimizerName } from '../optim/index.ts';
import type { PenaltyName } from '../penalty/index.ts';
import { effectiveRank, factoredErrors, factoredErrorsExact, factoredRelativeError, nuclearNorm, ratioValue, relativeError, trainMSE } from '../metrics/index.ts';
import { defaultMaxIters, defaultTol, FACTORED_RANK, RUN_DEFAULTS, UNPENALIZED_MAX_ITERS } from '../defaults.ts';
import {
  DEFAULT_NUCLEAR_MIN,
  DEFAULT_SOFT_IMPUTE,
  runNuclearMin,
  runSoftImpute,
  type NuclearMinRunResult,
  type NuclearMinRunSpec,
  type SoftImputeRunResult,
  type SoftImputeRunSpec,
} from './baselines.ts';
import { measureMatrix, type RunHooks, type RunMetrics, type RunStatus, type SyntheticRun } from './method.ts';
import {
  altminDefaults,
  gnmrDefaults,
  runAltmin,
  runGnmr,
  runScaledGd,
  scaledGdDefaults,
  type AltminRunSpec,
  type ScaledGdRunSpec,
  type GnmrRunSpec,
  type RankGivenRunResult,
} from './rank-given.ts';
import { maskIdentifiability } from '../data/identifiable.ts';
import { polishedRun, type PolishReport } from './polish-run.ts';
import { factorPairSvd, holdoutSplit } from '../solver/polish.ts';
import type { Observations } from '../data/observations.ts';
import { gemm } from '../linalg/matrix.ts';
import type { Factors } from '../solver/factors.ts';

export { defaultMaxIters, defaultTol, UNPENALIZED_MAX_ITERS };
export type { GradientProgressEvent, RunHooks, RunMetrics, RunProgressEvent, RunStatus, SyntheticRun } from './method.ts';
export { measureMatrix, singularValues, svdOn } from './method.ts';
import { svdOn } from './method.ts';

/** The settings every gradient run shares: the problem (docs/design.md section 4), penalty, optimizer (by name) and stop rules. */
export type GradientRunBase = SyntheticSpec & {
  /** The gradient solver (the default method; the others have their own settings, see baselines.ts). */
  method?: 'gradient';
  penalty: PenaltyName;
  lambda: number;
  /** A name of the optimizer table (optim/named.ts); runSynthetic builds the chain with `lr`. */
  optimizer: OptimizerName;
  lr: number;
  /** Scale of the initialization: ||W_0||_F ≈ initScale·sqrt(n). */
  initScale: number;
  maxIters: number;
  /** Stop when the train MSE is at or below this (0: off). */
  tol: number;
  /** Deep model only: the trainer's stall rule (see TrainOptions). */
  stallWindow?: number;
  stallTol?: number;
  /**
   * Stop once relError (all entries, against the truth) is at or below this, checked at the start of every step
   * (stopReason 'target-error'): how many steps and seconds a run needs to reach an accuracy. Absent: off.
   */
  targetError?: number;
  /**
   * Finish rank-free by Gauss–Newton (experiment/polish-run.ts): every POLISH_DEFAULTS.checkEvery steps read
   * candidate ranks off W's spectrum, confirm one on Ω and held-out entries, and stop training. Absent: off.
   */
  polish?: boolean;
  /**
   * Train on Ω minus this share of it, held out by holdoutObservations (every row and column keeps ≥ rank entries), and
   * report heldoutRMSE on the held-out entries: the optimizer atlas's held-out learning-rate rule. Deep model only,
   * not with polish. Absent: off (all of Ω is trained on).
   */
  holdout?: number;
};

/** A run of the full-width product W = W_N ⋯ W_1 (the default model). */
export type DeepRunSpec = GradientRunBase & {
  model?: 'deep';
  depth: number;
};

/**
 * A run of the factored model W = A·B^T of rank k (docs/design.md 3.3), for large n: the truth stays in factor form and
 * no n×n matrix is formed. `initScale` keeps its meaning, ||W_0||_F ≈ s·sqrt(n).
 */
export type FactoredRunSpec = GradientRunBase & {
  model: 'factored';
  k: number;
};

/** Everything that fixes one synthetic gradient run. */
export type RunSpec = DeepRunSpec | FactoredRunSpec;

/** The fully resolved settings of one synthetic run, whatever its method (plain JSON). */
export type RunSettings = RunSpec | NuclearMinRunSpec | SoftImputeRunSpec | GnmrRunSpec | AltminRunSpec | ScaledGdRunSpec;

/** The result of one gradient run: metrics of the final W plus the settings that produced it (plain JSON). */
export interface RunResult extends RunMetrics {
  settings: RunSpec & { backend?: TrainResult['backend'] };
  /** With settings.polish: the confirmed rank, the gap, Gauss–Newton iterations, relError before and after. */
  polish?: PolishReport;
  /** With settings.polish: why the result is the unpolished W. */
  warning?: string;
}

/**
 * What runSynthetic accepts: the settings of one method, any of them omitted (src/defaults.ts fills them in;
 * `method` absent means 'gradient', `model` absent means 'deep').
 */
export type RunInput =
  | Partial<DeepRunSpec>
  | (Partial<FactoredRunSpec> & { model: 'factored' })
  | (Partial<NuclearMinRunSpec> & { method: 'nuclear-min' })
  | (Partial<SoftImputeRunSpec> & { method: 'soft-impute' })
  | (Partial<GnmrRunSpec> & { method: 'gnmr' })
  | (Partial<AltminRunSpec> & { method: 'altmin' })
  | (Partial<ScaledGdRunSpec> & { method: 'scaled-gd' });

/** The resolved settings of an input of type S. */
export type SettingsOf<S> = S extends { method: 'nuclear-min' }
  ? NuclearMinRunSpec
  : S extends { method: 'soft-impute' }
    ? SoftImputeRunSpec
    : S extends { method: 'gnmr' }
      ? GnmrRunSpec
      : S extends { method: 'altmin' }
        ? AltminRunSpec
        : S extends { method: 'scaled-gd' }
          ? ScaledGdRunSpec
          : S extends { model: 'factored' }
            ? FactoredRunSpec
            : RunSpec;

/** The result of runSynthetic for settings of type S: RunMetrics and the settings, plus the method's extras. */
export type ResultOf<S> = S extends { method: 'nuclear-min' }
  ? NuclearMinRunResult
  : S extends { method: 'soft-impute' }
    ? SoftImputeRunResult
    : S extends { method: 'gnmr' | 'altmin' | 'scaled-gd' }
      ? RankGivenRunResult
      : RunResult;

/** Any method's result. */
export type SyntheticResult = ResultOf<RunSettings>;

/** The default gradient run (RUN_DEFAULTS of src/defaults.ts): depth-1 W + L∗/F + Adam on n=100, rank 5, m=2000. */
export const DEFAULT_RUN_SPEC: DeepRunSpec = { ...RUN_DEFAULTS };

/** One method of the registry: its defaults and how to start a run of it. */
export interface SyntheticMethod<S extends RunSettings> {
  /** One line for help texts. */
  readonly description: string;
  /** The settings `input` leaves out, from src/defaults.ts (they may depend on the ones given, e.g. the penalty). */
  defaults(input: Partial<S>): S;
  start(settings: S, hooks: RunHooks): SyntheticRun<ResultOf<S>>;
}

/** The synthetic problem's defaults (docs/design.md section 4). */
const PROBLEM_DEFAULTS: SyntheticSpec = { n: RUN_DEFAULTS.n, rank: RUN_DEFAULTS.rank, samples: RUN_DEFAULTS.samples, seed: RUN_DEFAULTS.seed };

/** A gradient run's defaults: RUN_DEFAULTS, the caps and tolerance of the penalty given, k for the factored model. */
function gradientDefaults(input: Partial<RunSpec>): RunSpec {
  const penalty = input.penalty ?? RUN_DEFAULTS.penalty;
  const shared = { ...RUN_DEFAULTS, penalty, maxIters: defaultMaxIters(penalty), tol: defaultTol(penalty) };
  if (input.model === 'factored') {
    const { depth: _depth, ...rest } = shared;
    return { ...rest, model: 'factored', k: Math.min(FACTORED_RANK, input.n ?? RUN_DEFAULTS.n) };
  }
  return shared;
}

/**
 * The registry of synthetic methods: a new method is one entry here (its settings type joins RunSettings, its
 * spec fields go to spec.ts, its flags to the CLI).
 */
export const METHODS = Object.freeze({
  gradient: {
    description: 'gradient training of W (deep product or factored A·B^T) with a penalty and a named optimizer',
    defaults: gradientDefaults,
    start: startGradient,
  } satisfies SyntheticMethod<RunSpec>,
  'nuclear-min': {
    description: 'nuclear-norm minimization subject to the observations (ADMM)',
    defaults: () => ({ ...PROBLEM_DEFAULTS, ...DEFAULT_NUCLEAR_MIN }),
    start: (settings, hooks) => runWhole(() => runNuclearMin(settings, hooks)),
  } satisfies SyntheticMethod<NuclearMinRunSpec>,
  'soft-impute': {
    description: 'soft-impute along a decreasing λ path with warm starts',
    defaults: () => ({ ...PROBLEM_DEFAULTS, ...DEFAULT_SOFT_IMPUTE }),
    start: (settings, hooks) => runWhole(() => runSoftImpute(settings, hooks)),
  } satisfies SyntheticMethod<SoftImputeRunSpec>,
  gnmr: {
    description: 'GNMR (Gauss–Newton on the factors, told the rank: --given-rank, default the true rank)',
    defaults: (input) => gnmrDefaults(input, PROBLEM_DEFAULTS),
    start: (settings, hooks) => runWhole(() => runGnmr(settings, hooks)),
  } satisfies SyntheticMethod<GnmrRunSpec>,
  altmin: {
    description: 'alternating least squares on the factors, told the rank (--given-rank, default the true rank)',
    defaults: (input) => altminDefaults(input, PROBLEM_DEFAULTS),
    start: (settings, hooks) => runWhole(() => runAltmin(settings, hooks)),
  } satisfies SyntheticMethod<AltminRunSpec>,
  'scaled-gd': {
    description: 'ScaledGD (Tong, Ma & Chi 2021): preconditioned gradient descent on the factors, told the rank',
    defaults: (input) => scaledGdDefaults(input, PROBLEM_DEFAULTS),
    start: (settings, hooks) => runWhole(() => runScaledGd(settings, hooks)),
  } satisfies SyntheticMethod<ScaledGdRunSpec>,
});

/** The names of the synthetic methods (`settings.method`; absent means 'gradient'). */
export type MethodName = keyof typeof METHODS;

/** Every method name, for flag and spec validation. */
export const METHOD_NAMES: readonly MethodName[] = Object.freeze(Object.keys(METHODS) as MethodName[]);

/** The registry entry of `input.method` (absent: 'gradient'); an unknown name is a RangeError listing the names. */
function methodOf(input: RunInput): SyntheticMethod<RunSettings> {
  const name: string = input.method ?? 'gradient';
  if (!Object.hasOwn(METHODS, name)) {
    throw new RangeError(`method must be one of ${METHOD_NAMES.join(', ')}, got ${JSON.stringify(name)}`);
  }
  return METHODS[name as MethodName] as unknown as SyntheticMethod<RunSettings>;
}

/**
 * The full settings of `input`: every field it omits (or leaves undefined) from its method's defaults
 * (src/defaults.ts), after the fields it gives, which keep their order.
 */
export function resolveSettings<S extends RunInput>(input: S): SettingsOf<S> {
  const out: Record<string, unknown> = { ...input };
  for (const [key, value] of Object.entries(methodOf(input).defaults(input as Partial<RunSettings>))) {
    if (out[key] === undefined) out[key] = value;
  }
  return out as unknown as SettingsOf<S>;
}

/** Start the run of `settings` (omitted fields from the defaults, see resolveSettings) without advancing it. */
export function startSynthetic<S extends RunInput>(settings: S, hooks: RunHooks = {}): SyntheticRun<ResultOf<S>> {
  const resolved = resolveSettings(settings);
  const run = methodOf(settings).start(resolved, hooks) as SyntheticRun<ResultOf<S>>;
  // Every record says whether its mask could be recovered at all (each row and column seen ≥ rank times).
  let identifiable: boolean | undefined;
  return {
    ...run,
    result: () => ({ ...run.result(), identifiable: (identifiable ??= maskIdentifiability(maskOf(resolved), resolved.rank).identifiable) }),
  };
}

/** The mask of a synthetic problem as row/column arrays (no values): what maskIdentifiability needs. O(|Ω| log |Ω|). */
function maskOf(spec: SyntheticSpec): { shape: [number, number]; rows: Int32Array; cols: Int32Array } {
  const mask = syntheticMask(spec);
  const rows = new Int32Array(mask.length);
  const cols = new Int32Array(mask.length);
  for (let t = 0; t < mask.length; t++) {
    rows[t] = Math.floor(mask[t] / spec.n);
    cols[t] = mask[t] - rows[t] * spec.n;
  }
  return { shape: [spec.n, spec.n], rows, cols };
}

/**
 * Build the synthetic problem of `settings` (omitted fields from the defaults), run its method to a stop rule, and
 * measure the result against the truth: runSynthetic({ method: 'gradient', seed: 1 }) is the default run on seed 1.
 */
export function runSynthetic<S extends RunInput>(settings: S, hooks: RunHooks = {}): ResultOf<S> {
  const run = startSynthetic(settings, hooks);
  run.advance(Infinity);
  return run.result();
}

/** runSynthetic, yielding to the event loop between chunks of steps so that Ctrl-C and timers work. */
export async function runSyntheticAsync<S extends RunInput>(settings: S, hooks: RunHooks = {}): Promise<ResultOf<S>> {
  return finishAsync(startSynthetic(settings, hooks));
}

/** A method that runs in one go (the convex baselines), as a SyntheticRun: the first advance runs it whole. */
function runWhole<R extends RunMetrics>(run: () => R): SyntheticRun<R> {
  let result: R | null = null;
  const finish = (): R => (result ??= run());
  return {
    advance: () => (finish(), true),
    result: finish,
    status: () => ({ iterations: result?.iterations ?? 0, stopReason: result?.stopReason ?? null, W: null }),
  };
}

/** A target error, when given, must be a finite number > 0. */
function checkTargetError(target: number | undefined): void {
  if (target !== undefined && !(target > 0 && Number.isFinite(target))) {
    throw new RangeError(`targetError must be a finite number > 0, got ${target}`);
  }
}

/** A gradient run: the deep or the factored trainer on the spec's problem, with the named optimizer's chain. */
function startGradient(spec: RunSpec, hooks: RunHooks): SyntheticRun<RunResult> {
  checkTargetError(spec.targetError);
  const optimizer = namedOptimizer(spec.optimizer, { lr: spec.lr });
  const backend = getBackend();
  if (spec.model === 'factored') {
    if (spec.holdout !== undefined) throw new RangeError('holdout is for the deep model only, not the factored one');
    const { problem, trainer } = factoredRun(spec, optimizer, backend, hooks);
    if (spec.polish) {
      return polishedRun(trainer, {
        observations: problem.observations,
        seed: spec.seed,
        spectrum: (r) => factorPairSvd(r.model.A, r.model.B),
        relErrorOf: (r) => factoredRelativeError(r.model.A, r.model.B, problem.U, problem.V),
        measure: (r, f, stopReason) => {
          const m = measureFactored(problem, f ? { ...r, model: { ...r.model, A: f.U, B: f.V } } : r, spec);
          // Gram-based errors stop near 1e-7; a polished run is judged to rounding (factoredErrorsExact).
          return { ...m, ...(f ? factoredErrorsExact(f.U, f.V, problem.U, problem.V, problem.observations) : {}), stopReason };
        },
        liveW: () => null,
      });
    }
    return steppedGradientRun(trainer, () => null, (r) => measureFactored(problem, r, spec));
  }
  if (spec.holdout !== undefined) return holdoutRun(spec, optimizer, backend, hooks);
  const problem = syntheticProblem(spec);
  const trainer = createTrainer(problem.observations, deepTrainOptions(spec, optimizer, backend, problem, hooks));
  if (spec.polish) {
    let seen = false;
    return polishedRun(trainer, {
      observations: problem.observations,
      seed: spec.seed,
      spectrum: (r) => svdOn(r.W, backend),
      relErrorOf: (r) => relativeError(r.W, problem.truth),
      measure: (r, f: Factors | null, stopReason) => {
        const W = f ? gemm(f.U, f.V, { transB: true }) : r.W;
        if (!seen) hooks.onSolution?.(W);
        seen = true;
        return { ...measure(problem, { ...r, W }, spec, backend), stopReason };
      },
      liveW: (r) => r.W,
    });
  }
  return deepRun(trainer, hooks, (r) => measure(problem, r, spec, backend));
}

/** A deep trainer as a run: hooks.onSolution gets the first final W only (the result may be asked for twice). */
function deepRun(trainer: SteppedRun<TrainResult>, hooks: RunHooks, result: (r: TrainResult) => RunResult): SyntheticRun<RunResult> {
  let seen = false;
  return steppedGradientRun(
    trainer,
    (r) => r.W,
    (r) => {
      if (!seen) hooks.onSolution?.(r.W);
      seen = true;
      return result(r);
    },
  );
}

/**
 * Ω split for a held-out run: round(share·|Ω|) entries held out (fewer if the rule runs out), drawn from `seed` by
 * the polish's holdoutSplit, each only while its row and its column keep at least `rank` entries in the fitting
 * part (a row or column with fewer than `rank` in Ω keeps all of them), so Ω∖H stays identifiable where Ω was.
 */
export function holdoutObservations(obs: Observations, share: number, seed: number, rank: number): { fit: Observations; held: Observations } {
  if (!(share > 0 && share < 1)) throw new RangeError(`holdout must be a share in (0, 1), got ${share}`);
  return holdoutSplit(obs, Math.round(share * obs.values.length), seed, rank);
}

/** A deep gradient run trained on Ω minus a held-out part, measured as usual plus heldoutRMSE on the held-out part. */
function holdoutRun(spec: DeepRunSpec, optimizer: GradientTransform<unknown>, backend: Backend, hooks: RunHooks): SyntheticRun<RunResult> {
  if (spec.polish) throw new RangeError('holdout and polish cannot be combined (the polish draws its own held-out entries)');
  const full = syntheticProblem(spec);
  const { fit, held } = holdoutObservations(full.observations, spec.holdout as number, spec.seed, spec.rank);
  const problem: SyntheticProblem = { ...full, observations: fit };
  const trainer = createTrainer(fit, deepTrainOptions(spec, optimizer, backend, problem, hooks));
  return deepRun(trainer, hooks, (r) => ({ ...measure(problem, r, spec, backend), heldoutRMSE: Math.sqrt(trainMSE(r.W, held)) }));
}

/** A trainer as a SyntheticRun: advance passes through, result() measures the trainer's result. */
function steppedGradientRun<T extends TrainResult | FactoredTrainResult>(
  trainer: SteppedRun<T>,
  liveW: (r: T) => TrainResult['W'] | null,
  measureResult: (r: T) => RunResult,
): SyntheticRun<RunResult> {
  let stopped = false;
  return {
    advance: (steps) => (stopped = trainer.advance(steps)),
    result: () => measureResult(trainer.result()),
    status: (): RunStatus => {
      const r = trainer.result();
      return { iterations: r.iterations, stopReason: stopped ? r.stopReason : null, W: liveW(r) };
    },
  };
}

/** The trainer's options for a deep spec: its settings, the hooks, and the targetError stop (O(n²) per step). */
function deepTrainOptions(
  spec: DeepRunSpec,
  optimizer: GradientTransform<unknown>,
  backend: Backend,
  problem: SyntheticProblem,
  hooks: RunHooks,
): TrainOptions {
  const { targetError } = spec;
  const { onProgress } = hooks;
  return {
    depth: spec.depth,
    penalty: spec.penalty,
    lambda: spec.lambda,
    optimizer,
    initScale: spec.initScale,
    seed: spec.seed,
    maxIters: spec.maxIters,
    tol: spec.tol,
    stallWindow: spec.stallWindow,
    stallTol: spec.stallTol,
    reachedTarget: targetError === undefined ? undefined : (W) => relativeError(W, problem.truth) <= targetError,
    progressEvery: hooks.progressEvery,
    onProgress: onProgress && ((e) => onProgress({ method: 'gradient', ...e })),
    signal: hooks.signal,
    backend,
  };
}

/** The penalties the factored model computes (docs/design.md 3.3). */
export const FACTORED_PENALTIES: readonly FactoredPenaltyName[] = ['none', 'nuclear', 'ratio'];

/** The factor-form problem of a factored spec and a trainer on it (not yet advanced). */
function factoredRun(spec: FactoredRunSpec, optimizer: GradientTransform<unknown>, backend: Backend, hooks: RunHooks) {
  if (!(FACTORED_PENALTIES as readonly string[]).includes(spec.penalty)) {
    throw new RangeError(`the factored model supports penalties ${FACTORED_PENALTIES.join(', ')}, not ${spec.penalty}`);
  }
  const problem = syntheticFactors(spec);
  const { onProgress } = hooks;
  const trainer = createFactoredTrainer(problem.observations, {
    rank: spec.k,
    penalty: spec.penalty as FactoredPenaltyName,
    lambda: spec.lambda,
    optimizer,
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
    onProgress:
      onProgress &&
      (({ step, maxIters, trainMSE, objective, elapsedSeconds }) =>
        onProgress({ method: 'gradient', step, maxIters, trainMSE, objective, elapsedSeconds })),
    signal: hooks.signal,
    backend,
  });
  return { problem, trainer };
}

/**
 * The metrics of trained factors A·B^T against the factored truth, never forming an n×n matrix: errors from Gram
 * matrices (factoredErrors), spectrum summaries from the exact k×k core SVD (factoredSpectrum).
 * Cost O(n(k+r)² + |Ω|(k+r) + k³).
 */
export function measureFactored(problem: SyntheticFactors, result: FactoredTrainResult, spec: FactoredRunSpec): RunResult {
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

/** The metrics of a trained W against the problem's truth (the SVD on the run's backend). */
function measure(problem: SyntheticProblem, result: TrainResult, spec: RunSpec, backend: Backend): RunResult {
  return {
    ...measureMatrix(result.W, problem, backend),
    iterations: result.iterations,
    seconds: result.seconds,
    stopReason: result.stopReason,
    settings: { ...spec, backend: result.backend },
  };
}
