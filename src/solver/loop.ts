// The stepped loop every solver shares, and its vocabulary: why a run stopped (StopReason), the chunked driver
// (steppedRun, finishAsync), and the settings, checks and divergence rule of the two gradient trainers (train.ts,
// factored-train.ts).
import type { Backend } from '../linalg/backend.ts';
import { applyUpdates, isGradientTransform, type GradientTransform } from '../optim/index.ts';

/** Why a run stopped ('polished': a gradient run's --polish confirmed a rank and finished by Gauss–Newton). */
export type StopReason =
  'max-iters' | 'tolerance' | 'stall' | 'interrupted' | 'target-error' | 'early-stop' | 'polished';

/** A run that advances in chunks, so callers can yield to an event loop (Ctrl-C, a browser page). */
export interface SteppedRun<R> {
  /** Take up to `steps` more steps; true once a stop rule has fired (then call result()). */
  advance(steps: number): boolean;
  /** The outcome so far (final once advance returned true). */
  result(): R;
}

/**
 * The chunked driver of every stepped run: step(t) for t = 1, 2, … until it returns a stop reason, or until the
 * signal is aborted (checked at the end of a chunk). result() snapshots the run ('interrupted' while none has
 * fired); the first snapshot after a stop is final: onStop sees it once and later calls return it.
 */
export function steppedRun<R>(
  step: (t: number) => StopReason | null,
  snapshot: (stopReason: StopReason) => R,
  onStop: (final: R) => void,
  signal?: AbortSignal,
): SteppedRun<R> {
  let t = 0;
  let stopReason: StopReason | null = null;
  let finished: R | null = null;
  return {
    advance(steps: number): boolean {
      for (let i = 0; i < steps && stopReason === null; i++) stopReason = step(++t);
      if (stopReason === null && signal?.aborted) stopReason = 'interrupted';
      return stopReason !== null;
    },
    result(): R {
      if (finished) return finished;
      const current = snapshot(stopReason ?? 'interrupted');
      if (stopReason) {
        onStop(current);
        finished = current;
      }
      return current;
    },
  };
}

/** Run step(t), t = 1, 2, …, until it returns a stop reason, in one synchronous call; returns finish(that reason). */
export function runToStop<R>(step: (t: number) => StopReason | null, finish: (stopReason: StopReason) => R): R {
  const run = steppedRun(step, finish, () => {});
  run.advance(Infinity);
  return run.result();
}

/** Advance a run to its stop rule `chunk` steps at a time, yielding to the event loop between chunks. */
export async function finishAsync<R>(run: SteppedRun<R>, chunk = 50): Promise<R> {
  while (!run.advance(chunk)) await new Promise((resolve) => setTimeout(resolve, 0));
  return run.result();
}

/**
 * The settings both trainers share (startTrain for the deep model, startTrainFactored for W = A·B^T):
 * optimizer, initialization, stop rules, hooks and backend. `Model` is what the target check sees, `Event` what
 * progress reports carry.
 */
export interface TrainerSettings<Model, Event> {
  lambda: number;
  /**
   * The optimizer: a chain of gradient transforms ending with the step size, e.g. chain(scaleByAdam(), scale(-1e-3))
   * (namedOptimizer builds the CLI's named ones). It turns the gradients into the updates added to the parameters.
   */
  optimizer: GradientTransform;
  /** Scale of the initialization as each model reads it: initDeepModel ||W_0||_F ≈ s·sqrt(n), initFactoredModel entry RMS. */
  initScale: number;
  /** Seed of the initialization (drawn from its own stream, so the data stays put when only the model changes). */
  seed: number;
  maxIters: number;
  /** Stop when the train MSE is at or below this (default 0: only an exact fit stops). */
  mseTol?: number;
  /**
   * Checked on the live model at the start of every step, before its update (like `mseTol`); true stops training with
   * stopReason 'target-error' (runSynthetic's `targetError`: relError against the truth at or below a target).
   * Cost: the hook's.
   */
  reachedTarget?: (model: Model) => boolean;
  progressEvery?: number;
  onProgress?: (event: Event) => void;
  signal?: AbortSignal;
  /** The kernels (gemm, SVD, the sampled data term); default getBackend(), the process-wide choice. */
  backend?: Backend;
}

/** How a training run went, as both trainers report it. */
export interface TrainerOutcome {
  /** Number of optimizer updates applied. */
  iterations: number;
  stopReason: StopReason;
  seconds: number;
  /** Train MSE of the returned model. */
  trainMSE: number;
  /** Objective at the last evaluated step. */
  objective: number;
  /** Which backend ran the kernels. */
  backend: Backend['name'];
}

/**
 * The divergence rule's growth factor: an objective larger than DIVERGENCE_GROWTH times its value at step 1
 * (before any update) is divergence, as is a non-finite objective or update. Training from a small initialization
 * only lowers the objective in practice (its data term starts near mean(M²)), so a millionfold growth means the
 * steps overshoot (`mcomplete run --lr 1e9` with Adam reached 1e16 from about 1 within 30 steps).
 */
export const DIVERGENCE_GROWTH = 1e6;

/**
 * Training diverged (NaN or Inf, or the objective grew more than DIVERGENCE_GROWTH times): says what diverged, at
 * which step, with which optimizer (its chain's name), and a hint. `atStart` marks a model that is non-finite
 * before any update (the initialization is too large, not the learning rate).
 */
export class DivergenceError extends Error {
  readonly step: number;
  readonly atStart: boolean;
  constructor(what: string, step: number, optimizer: string, how = 'became non-finite', atStart = false) {
    const hint = atStart
      ? 'the initial model is already too large: try a smaller initialization scale'
      : 'try a lower learning rate';
    super(`training diverged: ${what} ${how} at step ${step} (optimizer ${optimizer}); ${hint}`);
    this.name = 'DivergenceError';
    this.step = step;
    this.atStart = atStart;
  }
}

/**
 * The checks both trainers make: some observations, an integer step cap >= minIters (1 for the deep trainer; 0 for
 * the factored one, which then returns its initial model), a finite λ >= 0, and an optimizer that is a
 * GradientTransform.
 */
export function checkTrainSettings(
  count: number,
  opts: Pick<TrainerSettings<unknown, never>, 'maxIters' | 'lambda' | 'optimizer'>,
  minIters: 0 | 1 = 1,
): void {
  const { maxIters, lambda, optimizer } = opts;
  if (count === 0) throw new RangeError('train: no observed entries');
  if (!(maxIters >= minIters) || !Number.isInteger(maxIters)) {
    throw new RangeError(
      `max-iters must be ${minIters === 1 ? 'a positive integer' : 'an integer >= 0'}, got ${maxIters}`,
    );
  }
  if (!(lambda >= 0) || !Number.isFinite(lambda)) throw new RangeError(`lambda must be >= 0, got ${lambda}`);
  if (!isGradientTransform(optimizer)) {
    throw new TypeError(
      `optimizer must be a GradientTransform such as chain(scaleByAdam(), scale(-1e-3)), got ${typeof optimizer === 'string' ? JSON.stringify(optimizer) : typeof optimizer}`,
    );
  }
}

/**
 * The stop rules both trainers check right after evaluating step t, before its update: a non-finite objective, or
 * one above DIVERGENCE_GROWTH × `firstObjective` (the objective at step 1), throws a DivergenceError; then train
 * MSE <= mseTol gives 'tolerance' and the target check 'target-error'; else null.
 */
export function evaluationStop<M>(
  t: number,
  mse: number,
  objective: number,
  usePenalty: boolean,
  opts: Pick<TrainerSettings<M, never>, 'mseTol' | 'reachedTarget' | 'optimizer'>,
  model: M,
  firstObjective: number = objective,
): StopReason | null {
  const what = usePenalty ? 'the objective (data term + penalty)' : 'the train MSE';
  if (!Number.isFinite(objective))
    throw new DivergenceError(what, t, opts.optimizer.name, 'became non-finite', t === 1);
  if (firstObjective > 0 && objective > DIVERGENCE_GROWTH * firstObjective) {
    const grew = `grew from ${firstObjective.toExponential(2)} at step 1 to ${objective.toExponential(2)} (more than ${DIVERGENCE_GROWTH.toExponential(0)} times)`;
    throw new DivergenceError(what, t, opts.optimizer.name, grew);
  }
  if (mse <= (opts.mseTol ?? 0)) return 'tolerance';
  if (opts.reachedTarget?.(model)) return 'target-error';
  return null;
}

/**
 * One optimizer update of step t in place: grads become updates, checked finite (else a DivergenceError), then
 * added to params. Cost: the optimizer's plus 2 flops per parameter.
 */
export function optimizerStep(
  optimizer: GradientTransform,
  params: Float64Array[],
  grads: Float64Array[],
  state: unknown,
  t: number,
): void {
  optimizer.apply(grads, state, params);
  let updateSum = 0;
  for (const u of grads) for (let i = 0; i < u.length; i++) updateSum += u[i];
  if (!Number.isFinite(updateSum)) throw new DivergenceError('the parameter update', t, optimizer.name);
  applyUpdates(params, grads);
}
