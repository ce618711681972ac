import { zeros, type Matrix } from '../linalg/matrix.ts';
import { getBackend } from '../linalg/backend.ts';
import type { Observations } from '../data/observations.ts';
import { linearIndices } from '../data/observations.ts';
import { createPenaltyWorkspace, penalty, penaltyNeedsSvd, type PenaltyName } from '../penalty/index.ts';
import { backward, createDeepWorkspace, forward, initDeepModel, type DeepModel } from '../model/deep.ts';
import { deriveRng } from '../random/index.ts';
import { trainMSE } from '../metrics/index.ts';
import {
  checkTrainSettings,
  DivergenceError,
  evaluationStop,
  finishAsync,
  optimizerStep,
  steppedRun,
  type SteppedRun,
  type StopReason,
  type TrainerOutcome,
  type TrainerSettings,
} from './loop.ts';

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

/** Settings of the gradient solver of the deep model: depth, penalty, and the shared trainer settings. */
export interface TrainOptions extends TrainerSettings<Matrix, ProgressEvent> {
  depth: number;
  penalty: PenaltyName;
  /** Stop when the objective improved by less than `stallTol` (relative) over the last `stallWindow` steps (0: off). */
  stallWindow?: number;
  stallTol?: number;
  /** Early stops on a score of W (the atlas's tuning protocol; see TrainWatch). Absent: off. */
  watch?: TrainWatch;
}

/**
 * Early stops on a score of the end-to-end matrix (lower is better, e.g. the held-out error), computed every `every`
 * steps on the W about to be updated: 'target-error' once the score is at or below `exact`; 'stall' once its least
 * value has not fallen by more than the share `tol` for `window` steps (the score stopped moving). Cost: the
 * score's, every `every` steps.
 */
export interface TrainWatch {
  score: (W: Matrix) => number;
  every: number;
  window: number;
  tol: number;
  exact: number;
}

/** The trained end-to-end matrix and how training went. */
export interface TrainResult extends TrainerOutcome {
  W: Matrix;
  model: DeepModel;
}

/** A training run of the deep model that advances in chunks. */
export type Trainer = SteppedRun<TrainResult>;

/**
 * Minimize f(W) = (1/|Ω|) Σ_Ω (W_ij − M_ij)² + λ·R(W) over a depth-N product W = W_N ⋯ W_1 (docs/design/math.md 3.1–3.4).
 * Per step: forward product, sparse data gradient, SVD of W when the penalty needs it (warm-started from the last
 * step where the backend can), chain rule to the layers, optimizer transform. All buffers are allocated once, before the loop. Gemms and
 * SVDs run on opts.backend (default getBackend()).
 */
export function startTrain(obs: Observations, opts: TrainOptions): Trainer {
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
  const watch = opts.watch;
  let watchBest = Infinity;
  let watchBestAt = 0;
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
    if (watch && t % watch.every === 0) {
      const score = watch.score(W);
      if (score <= watch.exact) return 'target-error';
      if (score < watchBest * (1 - watch.tol)) {
        watchBest = score;
        watchBestAt = t;
      } else if (t - watchBestAt >= watch.window) return 'stall';
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

/** Train to a stop rule in one synchronous call (see startTrain). */
export function train(obs: Observations, opts: TrainOptions): TrainResult {
  const trainer = startTrain(obs, opts);
  trainer.advance(Infinity);
  return trainer.result();
}

/** Train to a stop rule, yielding to the event loop every `chunk` steps so signals and timers can run. */
export async function trainAsync(obs: Observations, opts: TrainOptions, chunk = 50): Promise<TrainResult> {
  return finishAsync(startTrain(obs, opts), chunk);
}
