import { zeros, type Matrix } from '../linalg/matrix.ts';
import { getBackend, type Backend } from '../linalg/backend.ts';
import type { Observations } from '../data/observations.ts';
import { linearIndices } from '../data/observations.ts';
import { createPenaltyWorkspace, penalty, penaltyNeedsSvd, type PenaltyName } from '../penalty/index.ts';
import { backward, createDeepWorkspace, forward, initDeepModel, type DeepModel } from '../model/deep.ts';
import { applyUpdates, isGradientTransform, type GradientTransform } from '../optim/index.ts';
import { deriveRng } from '../random/index.ts';
import { trainMSE } from '../metrics/index.ts';

/** Why training stopped. */
/** Why a run stopped ('polished': a gradient run's --polish confirmed a rank and finished by Gauss–Newton). */
export type StopReason = 'max-iters' | 'tolerance' | 'stall' | 'interrupted' | 'target-error' | 'early-stop' | 'polished';

/** One progress report, emitted every `progressEvery` steps and at the end. `W` is a live view: copy to keep it. */
export interface ProgressEvent {
  step: number;
  maxIters: number;
  trainMSE: number;
  objective: number;
  penaltyValue: number;
  elapsedSeconds: number;
  W: Matrix;
}

/**
 * The settings both trainers share (createTrainer for the deep model, createFactoredTrainer for W = A·B^T):
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
  tol?: number;
  /**
   * Checked on the live model at the start of every step, before its update (like `tol`); true stops training with
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

/** Settings of the gradient solver of the deep model: depth, penalty, and the shared trainer settings. */
export interface TrainOptions extends TrainerSettings<Matrix, ProgressEvent> {
  depth: number;
  penalty: PenaltyName;
  /** Stop when the objective improved by less than `stallTol` (relative) over the last `stallWindow` steps (0: off). */
  stallWindow?: number;
  stallTol?: number;
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

/** The trained end-to-end matrix and how training went. */
export interface TrainResult extends TrainerOutcome {
  W: Matrix;
  model: DeepModel;
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
    const hint = atStart ? 'the initial model is already too large: try a smaller initialization scale' : 'try a lower learning rate';
    super(`training diverged: ${what} ${how} at step ${step} (optimizer ${optimizer}); ${hint}`);
    this.name = 'DivergenceError';
    this.step = step;
    this.atStart = atStart;
  }
}

/** A run that advances in chunks, so callers can yield to an event loop (Ctrl-C, a browser page). */
export interface SteppedRun<R> {
  /** Take up to `steps` more steps; true once a stop rule has fired (then call result()). */
  advance(steps: number): boolean;
  /** The outcome so far (final once advance returned true). */
  result(): R;
}

/** A training run of the deep model that advances in chunks. */
export type Trainer = SteppedRun<TrainResult>;

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
    throw new RangeError(`max-iters must be ${minIters === 1 ? 'a positive integer' : 'an integer >= 0'}, got ${maxIters}`);
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
 * MSE <= tol gives 'tolerance' and the target check 'target-error'; else null.
 */
export function evaluationStop<M>(
  t: number,
  mse: number,
  objective: number,
  usePenalty: boolean,
  opts: Pick<TrainerSettings<M, never>, 'tol' | 'reachedTarget' | 'optimizer'>,
  model: M,
  firstObjective: number = objective,
): StopReason | null {
  const what = usePenalty ? 'the objective (data term + penalty)' : 'the train MSE';
  if (!Number.isFinite(objective)) throw new DivergenceError(what, t, opts.optimizer.name, 'became non-finite', t === 1);
  if (firstObjective > 0 && objective > DIVERGENCE_GROWTH * firstObjective) {
    const grew = `grew from ${firstObjective.toExponential(2)} at step 1 to ${objective.toExponential(2)} (more than ${DIVERGENCE_GROWTH.toExponential(0)} times)`;
    throw new DivergenceError(what, t, opts.optimizer.name, grew);
  }
  if (mse <= (opts.tol ?? 0)) return 'tolerance';
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

/**
 * Minimize f(W) = (1/|Ω|) Σ_Ω (W_ij − M_ij)² + λ·R(W) over a depth-N product W = W_N ⋯ W_1 (docs/design/math.md 3.1–3.4).
 * Per step: forward product, sparse data gradient, SVD of W when the penalty needs it (warm-started from the last
 * step where the backend can), chain rule to the layers, optimizer transform. All buffers are allocated once, before the loop. Gemms and
 * SVDs run on opts.backend (default getBackend()).
 */
export function createTrainer(obs: Observations, opts: TrainOptions): Trainer {
  const [m, n] = obs.shape;
  const count = obs.values.length;
  checkTrainSettings(count, opts);
  const backend = opts.backend ?? getBackend();
  const model = initDeepModel(m, n, opts.depth, opts.initScale, deriveRng(opts.seed, 'init'));
  const deepWs = createDeepWorkspace(model);
  const optimizer = opts.optimizer;
  const params = model.layers.map((L) => L.data);
  const state = optimizer.init(
    params.map((p) => p.length),
    { shapes: model.layers.map((L) => [L.rows, L.cols] as const), backend },
  );
  const G = zeros(m, n);
  const grads = opts.depth === 1 ? [G] : model.layers.map((L) => zeros(L.rows, L.cols));
  const gradData = grads.map((g) => g.data);
  const usePenalty = opts.penalty !== 'none' && opts.lambda > 0;
  const needSvd = usePenalty && penaltyNeedsSvd(opts.penalty);
  const svdWs = needSvd ? backend.createSvdWorkspace(m, n) : null;
  const penWs = needSvd ? createPenaltyWorkspace(m, n) : undefined;
  const idx = linearIndices(obs);
  const values = obs.values;
  const g = G.data;
  const dataScale = 2 / count;
  const progressEvery = Math.max(1, opts.progressEvery ?? 100);
  const stallWindow = opts.stallWindow ?? 0;
  const stallTol = opts.stallTol ?? 0;
  const stallRing = new Float64Array(Math.max(1, stallWindow));
  const start = performance.now();

  let mse = NaN;
  let objective = NaN;
  let firstObjective = NaN;
  let penaltyValue = 0;
  let updates = 0;
  let W = forward(model, deepWs, backend);
  const report = (step: number): void => {
    opts.onProgress?.({
      step,
      maxIters: opts.maxIters,
      trainMSE: mse,
      objective,
      penaltyValue,
      elapsedSeconds: (performance.now() - start) / 1000,
      W,
    });
  };

  /** One evaluation and (unless a stop rule fires) one update; returns the stop reason or null. */
  const step = (t: number): StopReason | null => {
    W = forward(model, deepWs, backend);
    const w = W.data;
    g.fill(0);
    let sse = 0;
    for (let k = 0; k < count; k++) {
      const r = w[idx[k]] - values[k];
      sse += r * r;
      g[idx[k]] = dataScale * r;
    }
    mse = sse / count;
    penaltyValue = 0;
    if (usePenalty) {
      // A product of finite layers can overflow (depth > 1, a large step): that is divergence, not a bad SVD input.
      if (svdWs && !allFinite(w)) throw new DivergenceError('the end-to-end matrix W', t, optimizer.name);
      const svd = svdWs ? backend.svdInto(W, svdWs, { warmStart: t > 1 }) : null;
      penaltyValue = penalty(opts.penalty, W, svd, {
        gradOut: G,
        gradScale: opts.lambda,
        workspace: penWs,
        backend,
      });
    }
    objective = mse + opts.lambda * penaltyValue;
    if (t === 1) firstObjective = objective;
    const stop = evaluationStop(t, mse, objective, usePenalty, opts, W, firstObjective);
    if (stop) return stop;
    if (stallWindow > 0) {
      const slot = t % stallWindow;
      if (t > stallWindow && stallRing[slot] - objective < stallTol * Math.abs(stallRing[slot])) return 'stall';
      stallRing[slot] = objective;
    }
    if (opts.signal?.aborted) return 'interrupted';
    backward(model, deepWs, G, grads, backend);
    optimizerStep(optimizer, params, gradData, state, t);
    updates = t;
    if (t % progressEvery === 0) report(t);
    return t === opts.maxIters ? 'max-iters' : null;
  };

  return steppedRun(
    step,
    (stopReason): TrainResult => {
      W = forward(model, deepWs, backend);
      return {
        W,
        model,
        iterations: updates,
        stopReason,
        seconds: (performance.now() - start) / 1000,
        trainMSE: trainMSE(W, obs),
        objective,
        backend: backend.name,
      };
    },
    (final) => {
      mse = final.trainMSE;
      report(updates);
    },
    opts.signal,
  );
}

/** Whether every entry is finite (one pass, no allocation). */
function allFinite(x: Float64Array): boolean {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i] * 0;
  return sum === 0;
}

/**
 * The chunked driver both trainers share: step(t) for t = 1, 2, … until it returns a stop reason, or until the
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

/** Train to a stop rule in one synchronous call (see createTrainer). */
export function train(obs: Observations, opts: TrainOptions): TrainResult {
  const trainer = createTrainer(obs, opts);
  trainer.advance(Infinity);
  return trainer.result();
}

/** Train to a stop rule, yielding to the event loop every `chunk` steps so signals and timers can run. */
export async function trainAsync(obs: Observations, opts: TrainOptions, chunk = 50): Promise<TrainResult> {
  return finishAsync(createTrainer(obs, opts), chunk);
}

/** Advance a run to its stop rule `chunk` steps at a time, yielding to the event loop between chunks. */
export async function finishAsync<R>(run: SteppedRun<R>, chunk = 50): Promise<R> {
  while (!run.advance(chunk)) await new Promise((resolve) => setTimeout(resolve, 0));
  return run.result();
}
