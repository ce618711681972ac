// The headline method as a synthetic method: gradient training of W (the deep product W_N⋯W_1 or the factored
// A·B^T) with a penalty and a named optimizer chain, optionally finished rank-free by Gauss–Newton (--polish).
import { getBackend, type Backend } from '../linalg/backend.ts';
import {
  syntheticFactors,
  syntheticProblem,
  type SyntheticFactors,
  type SyntheticProblem,
  type SyntheticSpec,
} from '../data/synthetic.ts';
import { createFactoredWorkspace, factoredSpectrum, type FactoredPenaltyName } from '../penalty/factored.ts';
import { startTrainFactored, type FactoredTrainResult } from '../solver/factored-train.ts';
import { startTrain, type TrainOptions, type TrainResult } from '../solver/train.ts';
import type { SteppedRun } from '../solver/loop.ts';
import { namedOptimizer, OPTIMIZER_NAMES, type GradientTransform, type OptimizerName } from '../optim/index.ts';
import { PENALTY_NAMES, penaltyNeedsSvd, type PenaltyName } from '../penalty/index.ts';
import {
  effectiveRank,
  factoredErrors,
  factoredErrorsExact,
  factoredRelativeError,
  nuclearNorm,
  ratioValue,
  relativeError,
  trainMSE,
} from '../metrics/index.ts';
import { defaultMaxIters, defaultTol, FACTORED_RANK, RUN_DEFAULTS } from '../defaults.ts';
import { ParamError, type ParamTable } from '../params.ts';
import {
  checkDense,
  denseSvdCost,
  measureMatrix,
  problemText,
  svdOn,
  type RunHooks,
  type RunMetrics,
  type RunStatus,
  type SyntheticMethod,
  type SyntheticRun,
} from './method.ts';
import { polishedRun, type PolishReport } from './polish-run.ts';
import { holdoutSplit } from '../solver/polish.ts';
import { factorPairSvd } from '../solver/factors.ts';
import type { Observations } from '../data/observations.ts';
import { gemm } from '../linalg/matrix.ts';
import type { Factors } from '../solver/factors.ts';

/** The settings every gradient run shares: the problem (docs/design/protocols.md section 4), penalty, optimizer (by name) and stop rules. */
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
   * Deep model only: the atlas's early stops (TrainWatch), on the watched error: with `holdout`, the held-out RMSE
   * over the held-out entries' RMS; else relError against the truth. Every max(1, ⌊earlyStopWindow/20⌋) steps; 'stall'
   * once it has not fallen by the share earlyStopTol (default 0) for earlyStopWindow steps, 'target-error' once it is
   * at or below earlyStopExact (default 0: off). Absent: off.
   */
  earlyStopWindow?: number;
  earlyStopTol?: number;
  earlyStopExact?: number;
  /**
   * Stop once relError (all entries, against the truth) is at or below this, checked at the start of every step
   * (stopReason 'target-error'): how many steps and seconds a run needs to reach an accuracy. Absent: off.
   */
  targetError?: number;
  /**
   * Finish rank-free by Gauss–Newton (methods/polish-run.ts): every POLISH_DEFAULTS.checkEvery steps read
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
 * A run of the factored model W = A·B^T of rank k (docs/design/math.md 3.3), for large n: the truth stays in factor form and
 * no n×n matrix is formed. `initScale` keeps its meaning, ||W_0||_F ≈ s·sqrt(n).
 */
export type FactoredRunSpec = GradientRunBase & {
  model: 'factored';
  k: number;
};

/** Everything that fixes one synthetic gradient run. */
export type RunSpec = DeepRunSpec | FactoredRunSpec;

/** The result of one gradient run: metrics of the final W plus the settings that produced it (plain JSON). */
export interface RunResult extends RunMetrics {
  settings: RunSpec & { backend?: TrainResult['backend'] };
  /** With settings.polish: the confirmed rank, the gap, Gauss–Newton iterations, relError before and after. */
  polish?: PolishReport;
  /** With settings.polish: why the result is the unpolished W. */
  warning?: string;
}

/** The default gradient run (RUN_DEFAULTS of src/defaults.ts): depth-1 W + L∗/F + Adam on n=100, rank 5, m=2000. */
export const DEFAULT_RUN_SPEC: DeepRunSpec = { ...RUN_DEFAULTS };

/** The models of the gradient method. */
export const MODEL_NAMES = ['deep', 'factored'] as const;

/** The gradient method's parameters (RUN_DEFAULTS of src/defaults.ts; caps and tolerances follow the penalty). */
export const GRADIENT_PARAMS = {
  depth: {
    type: 'int',
    min: 1,
    max: 10,
    default: (r: Readonly<Record<string, unknown>>) =>
      (r.model === 'factored' ? undefined : RUN_DEFAULTS.depth) as number,
    defaultDoc: `${RUN_DEFAULTS.depth} (deep model)`,
    doc: '(deep) number of layers of W = W_N⋯W_1',
  },
  penalty: {
    type: 'choice',
    choices: PENALTY_NAMES,
    default: RUN_DEFAULTS.penalty as PenaltyName,
    doc: 'penalty on W',
  },
  lambda: { type: 'number', min: 0, default: RUN_DEFAULTS.lambda, doc: 'penalty weight λ' },
  optimizer: {
    type: 'choice',
    choices: OPTIMIZER_NAMES,
    default: RUN_DEFAULTS.optimizer as OptimizerName,
    doc: 'optimizer (a chain of the optimizer table)',
  },
  lr: { type: 'number', min: 0, minExclusive: true, default: RUN_DEFAULTS.lr, doc: 'learning rate' },
  initScale: {
    type: 'number',
    min: 0,
    minExclusive: true,
    default: RUN_DEFAULTS.initScale,
    doc: 'initial ||W||_F ≈ s·sqrt(n)',
  },
  maxIters: {
    type: 'int',
    min: 1,
    default: (r: Readonly<Record<string, unknown>>) =>
      defaultMaxIters((r.penalty ?? RUN_DEFAULTS.penalty) as PenaltyName),
    defaultDoc: `${RUN_DEFAULTS.maxIters} gradient, ${defaultMaxIters('none')} without a penalty`,
    doc: 'iteration cap, in training steps',
  },
  tol: {
    type: 'number',
    min: 0,
    default: (r: Readonly<Record<string, unknown>>) => defaultTol((r.penalty ?? RUN_DEFAULTS.penalty) as PenaltyName),
    defaultDoc: `${defaultTol('ratio')} with a penalty, ${defaultTol('none').toExponential()} without`,
    doc: 'stop when train MSE <= tol (0: off)',
  },
  stallWindow: { type: 'int', min: 1, doc: "(deep) the trainer's stall rule: steps compared (see TrainOptions)" },
  stallTol: { type: 'number', min: 0, doc: "(deep) the trainer's stall rule: relative change that counts as a stall" },
  earlyStopWindow: {
    type: 'int',
    min: 1,
    doc: '(deep) stop once the watched error (held-out with holdout, else relError) has not fallen for this many steps',
  },
  earlyStopTol: {
    type: 'number',
    min: 0,
    max: 1,
    doc: '(deep) the early stop: the relative fall of the watched error that counts as moving (default 0)',
  },
  earlyStopExact: {
    type: 'number',
    min: 0,
    doc: '(deep) the early stop: stop once the watched error is at or below this (default 0: off)',
  },
  targetError: {
    type: 'number',
    min: 0,
    minExclusive: true,
    flag: 'stop-at-error',
    doc: 'stop once relError (all entries, against the truth) <= this, checked every step',
  },
  polish: { type: 'boolean', doc: 'rank-free finish: confirm a rank from the spectrum of W and end by Gauss–Newton' },
  holdout: {
    type: 'number',
    min: 0,
    max: 1,
    minExclusive: true,
    maxExclusive: true,
    doc: '(deep) train on Ω minus this share and report heldoutRMSE on it',
  },
  model: {
    type: 'choice',
    choices: MODEL_NAMES,
    defaultDoc: 'deep',
    doc: 'deep: W = W_N⋯W_1 (full width); factored: W = A·B^T of rank k, for large n',
  },
  k: {
    type: 'int',
    min: 1,
    max: (r: Readonly<Record<string, unknown>>) => Math.min(r.n as number, (r.n2 ?? r.n) as number),
    maxDoc: 'min(n, n2)',
    default: (r: Readonly<Record<string, unknown>>) =>
      (r.model === 'factored' ? Math.min(FACTORED_RANK, r.n as number, (r.n2 ?? r.n) as number) : undefined) as number,
    defaultDoc: `min(${FACTORED_RANK}, n, n2) (factored model)`,
    doc: '(factored) rank k of A·B^T',
  },
} as const satisfies ParamTable;

/** Checks across the gradient method's parameters: the deep model's size, the factored model's penalties, the target error. */
function checkGradient(s: RunSpec): void {
  const factored = s.model === 'factored';
  if (!factored) checkDense(s, 'the deep model', 'use --model factored (W = A·B^T), which never forms them');
  if (factored && !(FACTORED_PENALTIES as readonly string[]).includes(s.penalty)) {
    throw new ParamError(
      'penalty',
      `the factored model supports penalties ${FACTORED_PENALTIES.join(', ')}, not ${s.penalty}`,
    );
  }
  if (factored && s.earlyStopWindow !== undefined)
    throw new ParamError('earlyStopWindow', 'the early stop is for the deep model only, not the factored one');
  checkTargetError(s.targetError);
}

/** `--method gradient` (the default): the headline method. */
export const gradientMethod: SyntheticMethod<RunSpec, RunResult> = {
  name: 'gradient',
  description: 'gradient training of W (deep product or factored A·B^T) with a penalty and a named optimizer',
  params: GRADIENT_PARAMS,
  check: checkGradient,
  start: startGradient,
  // One SVD per step with an SVD penalty, else the depth's gemms.
  cost: (s) => s.maxIters * denseSvdCost(s) * (penaltyNeedsSvd(s.penalty) ? 1 : 0.1 * ('depth' in s ? s.depth : 1)),
  settingsLine: (s) =>
    `${problemText(s)} ${s.model === 'factored' ? `model=factored k=${s.k}` : `depth=${s.depth}`} ` +
    `penalty=${s.penalty} lambda=${s.lambda} ` +
    `optimizer=${s.optimizer} lr=${s.lr} init-scale=${s.initScale}` +
    `${s.targetError === undefined ? '' : ` stop-at-error=${s.targetError}`}${s.polish ? ' polish' : ''}${'backend' in s && s.backend ? ` backend=${String(s.backend)}` : ''}`,
  summary: (r) => [
    ...(r.polish
      ? [
          `polish              rank ${r.polish.estimatedRank ?? 'none'} (gap ${r.polish.gap?.toFixed(2) ?? '-'}) at step ${r.polish.step}, ` +
            `${r.polish.polishIterations} Gauss–Newton iterations, ${r.polish.seconds.toFixed(2)} s; ` +
            `relError ${r.polish.relErrorBefore.toExponential(3)} → ${r.polish.relErrorAfter.toExponential(3)}`,
        ]
      : []),
    ...(r.warning ? [`warning: ${r.warning}`] : []),
  ],
};

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
          return {
            ...m,
            ...(f ? factoredErrorsExact(f.U, f.V, problem.U, problem.V, problem.observations) : {}),
            stopReason,
          };
        },
        liveW: () => null,
      });
    }
    return steppedGradientRun(
      trainer,
      () => null,
      (r) => measureFactored(problem, r, spec),
    );
  }
  if (spec.holdout !== undefined) return holdoutRun(spec, optimizer, backend, hooks);
  const problem = syntheticProblem(spec, hooks.onMaskDraw);
  const trainer = startTrain(problem.observations, deepTrainOptions(spec, optimizer, backend, problem, hooks));
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
function deepRun(
  trainer: SteppedRun<TrainResult>,
  hooks: RunHooks,
  result: (r: TrainResult) => RunResult,
): SyntheticRun<RunResult> {
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
export function holdoutObservations(
  obs: Observations,
  share: number,
  seed: number,
  rank: number,
): { fit: Observations; held: Observations } {
  if (!(share > 0 && share < 1)) throw new RangeError(`holdout must be a share in (0, 1), got ${share}`);
  return holdoutSplit(obs, Math.round(share * obs.values.length), seed, rank);
}

/** A deep gradient run trained on Ω minus a held-out part, measured as usual plus heldoutRMSE on the held-out part. */
function holdoutRun(
  spec: DeepRunSpec,
  optimizer: GradientTransform<unknown>,
  backend: Backend,
  hooks: RunHooks,
): SyntheticRun<RunResult> {
  if (spec.polish)
    throw new RangeError('holdout and polish cannot be combined (the polish draws its own held-out entries)');
  const full = syntheticProblem(spec, hooks.onMaskDraw);
  const { fit, held } = holdoutObservations(full.observations, spec.holdout as number, spec.seed, spec.rank);
  const problem: SyntheticProblem = { ...full, observations: fit };
  const heldRms = Math.sqrt(held.values.reduce((a, v) => a + v * v, 0) / held.values.length);
  const trainer = startTrain(
    fit,
    deepTrainOptions(spec, optimizer, backend, problem, hooks, (W) => Math.sqrt(trainMSE(W, held)) / heldRms),
  );
  return deepRun(trainer, hooks, (r) => ({
    ...measure(problem, r, spec, backend),
    heldoutRMSE: Math.sqrt(trainMSE(r.W, held)),
  }));
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
  watched: (W: TrainResult['W']) => number = (W) => relativeError(W, problem.truth),
): TrainOptions {
  const { targetError, earlyStopWindow } = spec;
  const { onProgress } = hooks;
  return {
    depth: spec.depth,
    penalty: spec.penalty,
    lambda: spec.lambda,
    optimizer,
    initScale: spec.initScale,
    seed: spec.seed,
    maxIters: spec.maxIters,
    mseTol: spec.tol,
    stallWindow: spec.stallWindow,
    stallTol: spec.stallTol,
    watch:
      earlyStopWindow === undefined
        ? undefined
        : {
            score: watched,
            every: Math.max(1, Math.floor(earlyStopWindow / 20)),
            window: earlyStopWindow,
            tol: spec.earlyStopTol ?? 0,
            exact: spec.earlyStopExact ?? 0,
          },
    reachedTarget: targetError === undefined ? undefined : (W) => relativeError(W, problem.truth) <= targetError,
    progressEvery: hooks.progressEvery,
    onProgress: onProgress && ((e) => onProgress({ method: 'gradient', ...e })),
    signal: hooks.signal,
    backend,
  };
}

/** The penalties the factored model computes (docs/design/math.md 3.3). */
export const FACTORED_PENALTIES: readonly FactoredPenaltyName[] = [
  'none',
  'nuclear',
  'ratio',
  'nuclear-spectral',
  'effective-rank',
];

/** The factor-form problem of a factored spec and a trainer on it (not yet advanced). */
function factoredRun(spec: FactoredRunSpec, optimizer: GradientTransform<unknown>, backend: Backend, hooks: RunHooks) {
  if (!(FACTORED_PENALTIES as readonly string[]).includes(spec.penalty)) {
    throw new RangeError(`the factored model supports penalties ${FACTORED_PENALTIES.join(', ')}, not ${spec.penalty}`);
  }
  const problem = syntheticFactors(spec, hooks.onMaskDraw);
  const { onProgress } = hooks;
  const trainer = startTrainFactored(problem.observations, {
    rank: spec.k,
    penalty: spec.penalty as FactoredPenaltyName,
    lambda: spec.lambda,
    optimizer,
    // initFactoredModel takes the entry RMS; s/sqrt(n) gives ||W_0||_F ≈ s·sqrt(n) as for the deep model.
    initScale: spec.initScale / Math.sqrt(spec.n),
    seed: spec.seed,
    maxIters: spec.maxIters,
    mseTol: spec.tol,
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
export function measureFactored(
  problem: SyntheticFactors,
  result: FactoredTrainResult,
  spec: FactoredRunSpec,
): RunResult {
  const { A, B } = result.model;
  const { s } = factoredSpectrum(A, B, createFactoredWorkspace(A.rows, B.rows, A.cols));
  return {
    ...factoredErrors(A, B, problem.U, problem.V, problem.observations),
    effectiveRank: effectiveRank(s),
    nuclearNorm: nuclearNorm(s),
    ratio: ratioValue(s),
    spectralNorm: s.length > 0 ? s[0] : 0,
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
