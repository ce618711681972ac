import { zeros, type Matrix } from '../linalg/matrix.ts';
import { getBackend, type Backend } from '../linalg/backend.ts';
import type { Observations } from '../data/observations.ts';
import { initFactoredModel, type FactoredModel } from '../model/factored.ts';
import {
  createFactoredWorkspace,
  factoredPenalties,
  type PenaltyWeights,
  type FactoredPenaltyName,
  type FactoredWorkspace,
} from '../penalty/factored.ts';
import { deriveRng } from '../random/index.ts';
import {
  checkTrainSettings,
  evaluationStop,
  optimizerStep,
  steppedRun,
  type SteppedRun,
  type StopReason,
  type TrainerOutcome,
  type TrainerSettings,
} from './train.ts';

/**
 * The data term (1/|Ω|) Σ_Ω (A_i·B_j − M_ij)² of the factored model: returns the sum of squared residuals and,
 * when gradA/gradB are given, adds ∂/∂A = G·B and ∂/∂B = G^T·A for the sparse G_ij = scale·(A_i·B_j − M_ij) on Ω
 * (scale = 2/|Ω| for the gradient of the mean). Runs on `backend` (default getBackend(); both give the same bits).
 * Cost ~6|Ω|k flops (2|Ω|k without gradients).
 */
export function factoredDataTerm(
  A: Matrix,
  B: Matrix,
  obs: Observations,
  opts: { gradA?: Matrix; gradB?: Matrix; scale?: number; backend?: Backend } = {},
): number {
  const backend = opts.backend ?? getBackend();
  return backend.sampledResidual(A, B, obs, opts.scale ?? 2 / obs.values.length, opts.gradA ?? null, opts.gradB ?? null);
}

/**
 * The full-batch objective f(A, B) = (1/|Ω|) Σ_Ω ((A·B^T)_ij − M_ij)² + P(A·B^T), P = λ_r·L∗/F + λ_n·||·||_*, with
 * its gradient written over gradA and gradB (zeroed first), the data term on `backend`. `ws` may be null when both
 * weights are 0. Allocates no matrices. Cost ~6|Ω|k + ~8(m+n)k² + O(k³) flops.
 */
export function factoredObjective(
  A: Matrix,
  B: Matrix,
  obs: Observations,
  weights: PenaltyWeights,
  ws: FactoredWorkspace | null,
  gradA: Matrix,
  gradB: Matrix,
  backend: Backend = getBackend(),
): { mse: number; objective: number } {
  const count = obs.values.length;
  gradA.data.fill(0);
  gradB.data.fill(0);
  const mse = factoredDataTerm(A, B, obs, { gradA, gradB, scale: 2 / count, backend }) / count;
  // Cold SVDs of the k×k core: O(k³), small next to the O((m+n)k²) QRs, so a warm start would save little.
  const objective = mse + (ws ? factoredPenalties(weights, A, B, ws, { gradA, gradB }) : 0);
  return { mse, objective };
}

/** Settings of the factored trainer: rank, penalty, and the trainer settings it shares with createTrainer. */
export interface FactoredTrainOptions extends TrainerSettings<FactoredModel, FactoredProgressEvent> {
  rank: number;
  /** λ·R with R = ratio (L∗/F), nuclear or none. */
  penalty: FactoredPenaltyName;
  /** An extra μ·||W||_* term (magnitude control for noisy data; default 0). */
  nuclearWeight?: number;
  /** Call onEvaluate after every this many updates (and after the last); 0 or absent: only after the last. */
  evalEvery?: number;
  /**
   * Sees the live model after the update of step `step` (copy A and B to keep them); returning true stops training
   * there with stopReason 'early-stop' (validation-based early stopping). With maxIters 0 it sees the initial model.
   */
  onEvaluate?: (step: number, model: FactoredModel) => boolean | void;
  /** Called after every update with the train MSE at the start of that step. */
  onStep?: (step: number, trainMSE: number) => void;
}

/** One progress report of the factored trainer; `model` is live: copy A and B to keep them. */
export interface FactoredProgressEvent {
  step: number;
  maxIters: number;
  trainMSE: number;
  objective: number;
  elapsedSeconds: number;
  model: FactoredModel;
}

/** The trained factors and how training went, as TrainResult says it for the deep model. */
export interface FactoredTrainResult extends TrainerOutcome {
  model: FactoredModel;
}

/** A factored training run that advances in chunks (see SteppedRun in train.ts). */
export type FactoredTrainer = SteppedRun<FactoredTrainResult>;

/**
 * Minimize f(A, B) = (1/|Ω|) Σ_Ω ((A·B^T)_ij − M_ij)² + λ·R(A·B^T) (+ μ·||A·B^T||_*) with R = ratio (L∗/F),
 * nuclear or none, full batch, by `optimizer` on the parameter groups A and B (docs/design.md 3.3: the penalty is exact,
 * from thin QRs of A and B and the SVD of the k×k core; W is never formed). The stop rules are the deep trainer's
 * (divergence, train MSE <= tol and the target, checked before each update; max-iters; interruption) plus
 * onEvaluate's early stop. All buffers (gradients, QR and SVD workspaces, optimizer state) are allocated once,
 * before the loop; a step costs ~6|Ω|k + ~8(m+n)k² + O(k³) flops and the run O((m+n)k + |Ω|) memory.
 * maxIters may be 0 (the initial model is returned).
 */
export function createFactoredTrainer(obs: Observations, opts: FactoredTrainOptions): FactoredTrainer {
  const [m, n] = obs.shape;
  const count = obs.values.length;
  checkTrainSettings(count, opts, 0);
  const nuclearWeight = opts.nuclearWeight ?? 0;
  if (!(nuclearWeight >= 0) || !Number.isFinite(nuclearWeight)) throw new RangeError(`nuclear weight must be >= 0, got ${nuclearWeight}`);
  const model = initFactoredModel(m, n, opts.rank, opts.initScale, deriveRng(opts.seed, 'init'));
  const { A, B } = model;
  const optimizer = opts.optimizer;
  const params = [A.data, B.data];
  const backend = opts.backend ?? getBackend();
  const state = optimizer.init(params.map((p) => p.length), { shapes: [[m, opts.rank], [n, opts.rank]], backend });
  const gradA = zeros(m, opts.rank);
  const gradB = zeros(n, opts.rank);
  const grads = [gradA.data, gradB.data];
  const weights: PenaltyWeights = {
    ratio: opts.penalty === 'ratio' ? opts.lambda : 0,
    nuclear: (opts.penalty === 'nuclear' ? opts.lambda : 0) + nuclearWeight,
  };
  const usePenalty = weights.ratio !== 0 || weights.nuclear !== 0;
  const ws = usePenalty ? createFactoredWorkspace(m, n, opts.rank, backend) : null;
  const progressEvery = Math.max(1, opts.progressEvery ?? 100);
  const evalEvery = opts.evalEvery ?? 0;
  const start = performance.now();
  let mse = NaN;
  let objective = NaN;
  let firstObjective = NaN;
  let updates = 0;
  const report = (step: number): void => {
    opts.onProgress?.({
      step,
      maxIters: opts.maxIters,
      trainMSE: mse,
      objective,
      elapsedSeconds: (performance.now() - start) / 1000,
      model,
    });
  };

  const step = (t: number): StopReason | null => {
    if (opts.maxIters === 0) {
      opts.onEvaluate?.(0, model);
      return 'max-iters';
    }
    ({ mse, objective } = factoredObjective(A, B, obs, weights, ws, gradA, gradB, backend));
    if (t === 1) firstObjective = objective;
    const stop = evaluationStop(t, mse, objective, usePenalty, opts, model, firstObjective);
    if (stop) return stop;
    if (opts.signal?.aborted) return 'interrupted';
    optimizerStep(optimizer, params, grads, state, t);
    updates = t;
    opts.onStep?.(t, mse);
    if (t % progressEvery === 0) report(t);
    const last = t === opts.maxIters;
    if (((evalEvery > 0 && t % evalEvery === 0) || last) && opts.onEvaluate?.(t, model) === true) return 'early-stop';
    return last ? 'max-iters' : null;
  };

  return steppedRun(
    step,
    (stopReason): FactoredTrainResult => ({
      model,
      iterations: updates,
      stopReason,
      seconds: (performance.now() - start) / 1000,
      trainMSE: factoredDataTerm(A, B, obs, { backend }) / count,
      objective,
      backend: backend.name,
    }),
    (final) => {
      mse = final.trainMSE;
      report(updates);
    },
    opts.signal,
  );
}

/** Train the factored model to a stop rule in one synchronous call (see createFactoredTrainer). */
export function trainFactored(obs: Observations, opts: FactoredTrainOptions): FactoredTrainResult {
  const trainer = createFactoredTrainer(obs, opts);
  trainer.advance(Infinity);
  return trainer.result();
}
