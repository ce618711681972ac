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
} from './loop.ts';

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
  return backend.sampledResidual(
    A,
    B,
    obs,
    opts.scale ?? 2 / obs.values.length,
    opts.gradA ?? null,
    opts.gradB ?? null,
  );
}

/** How the penalties see the sampling: 'none' (uniform), or 'frequency' (the weighted trace norm's D_r, D_c). */
export type FactoredWeighting = 'none' | 'frequency';

/** Every accepted weighting name, for flag validation. */
export const FACTORED_WEIGHTINGS: readonly FactoredWeighting[] = ['none', 'frequency'];

/**
 * The weighting and Frobenius decay of a factored objective, with its scratch buffers (allocated once).
 * rowWeight_i = m·p_i and colWeight_j = n·q_j (p, q the row and column sampling frequencies |Ω_i|/|Ω|, |Ω_j|/|Ω|;
 * mean 1, so uniform sampling gives the identity), or null for no weighting.
 */
export interface FactoredRegularizer {
  /** ω of the decay term ω·(Σ_i p_i ||A_i||² + Σ_j q_j ||B_j||²) (p_i = 1/m, q_j = 1/n without weighting). */
  weightDecay: number;
  rowWeight: Float64Array | null;
  colWeight: Float64Array | null;
  /** D_r^½ A, D_c^½ B and their penalty gradients (null without weighting). */
  scaledA: Matrix | null;
  scaledB: Matrix | null;
  gradScaledA: Matrix | null;
  gradScaledB: Matrix | null;
}

/**
 * The regularizer of `obs` for `rank`: with weighting 'frequency', the row and column weights m·p_i, n·q_j of the
 * weighted trace norm (Salakhutdinov & Srebro, "Collaborative Filtering in a Non-Uniform World: Learning with the
 * Weighted Trace Norm", NeurIPS 2010). Cost O(|Ω| + (m+n)·rank).
 */
export function factoredRegularizer(
  obs: Observations,
  rank: number,
  weighting: FactoredWeighting,
  weightDecay: number,
): FactoredRegularizer {
  if (!FACTORED_WEIGHTINGS.includes(weighting))
    throw new RangeError(`unknown weighting '${weighting as string}' (allowed: ${FACTORED_WEIGHTINGS.join(', ')})`);
  if (!(weightDecay >= 0) || !Number.isFinite(weightDecay))
    throw new RangeError(`weight decay must be >= 0, got ${weightDecay}`);
  const [m, n] = obs.shape;
  if (weighting === 'none')
    return {
      weightDecay,
      rowWeight: null,
      colWeight: null,
      scaledA: null,
      scaledB: null,
      gradScaledA: null,
      gradScaledB: null,
    };
  const count = obs.values.length;
  const rowWeight = new Float64Array(m);
  const colWeight = new Float64Array(n);
  for (let t = 0; t < count; t++) {
    rowWeight[obs.rows[t]] += m / count;
    colWeight[obs.cols[t]] += n / count;
  }
  return {
    weightDecay,
    rowWeight,
    colWeight,
    scaledA: zeros(m, rank),
    scaledB: zeros(n, rank),
    gradScaledA: zeros(m, rank),
    gradScaledB: zeros(n, rank),
  };
}

/**
 * The full-batch objective f(A, B) = (1/|Ω|) Σ_Ω ((A·B^T)_ij − M_ij)² + P(D_r^½ A·B^T D_c^½) + ω·(Σ_i p_i||A_i||² +
 * Σ_j q_j||B_j||²), P the weights' penalty (factoredPenalties), with its gradient written over gradA and gradB (zeroed first), the
 * data term on `backend`. D_r = diag(m·p), D_c = diag(n·q) with `reg`'s weighting, else the identity (and p_i = 1/m,
 * q_j = 1/n). The weighted spectrum is exact on the factors: D_r^½ W D_c^½ = (D_r^½ A)(D_c^½ B)^T, and
 * ∂P/∂A = D_r^½ ∂P/∂(D_r^½ A). At the balanced factorization the decay term is 2ω times the weighted trace norm
 * ||diag(√p) W diag(√q)||_* (Salakhutdinov & Srebro 2010: min over A·B^T = W of ½(Σ p_i||A_i||² + Σ q_j||B_j||²)).
 * `ws` may be null when every penalty weight is 0. Allocates no matrices. Cost ~6|Ω|k + ~8(m+n)k² + O(k³) flops.
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
  reg: FactoredRegularizer | null = null,
): { mse: number; objective: number } {
  const count = obs.values.length;
  gradA.data.fill(0);
  gradB.data.fill(0);
  const mse = factoredDataTerm(A, B, obs, { gradA, gradB, scale: 2 / count, backend }) / count;
  // Cold SVDs of the k×k core: O(k³), small next to the O((m+n)k²) QRs, so a warm start would save little.
  let objective = mse;
  if (ws && reg?.rowWeight && reg.colWeight && reg.scaledA && reg.scaledB && reg.gradScaledA && reg.gradScaledB) {
    scaleRowsInto(A, reg.rowWeight, reg.scaledA);
    scaleRowsInto(B, reg.colWeight, reg.scaledB);
    reg.gradScaledA.data.fill(0);
    reg.gradScaledB.data.fill(0);
    objective += factoredPenalties(weights, reg.scaledA, reg.scaledB, ws, {
      gradA: reg.gradScaledA,
      gradB: reg.gradScaledB,
    });
    addScaledRows(reg.gradScaledA, reg.rowWeight, gradA);
    addScaledRows(reg.gradScaledB, reg.colWeight, gradB);
  } else if (ws) objective += factoredPenalties(weights, A, B, ws, { gradA, gradB });
  if (reg && reg.weightDecay > 0)
    objective +=
      decayTerm(A, reg.rowWeight, reg.weightDecay, gradA) + decayTerm(B, reg.colWeight, reg.weightDecay, gradB);
  return { mse, objective };
}

/** out_i = sqrt(w_i)·X_i (row scaling by D^½). Cost O(rows·k). */
function scaleRowsInto(X: Matrix, w: Float64Array, out: Matrix): void {
  const k = X.cols;
  for (let i = 0; i < X.rows; i++) {
    const s = Math.sqrt(w[i]);
    for (let c = 0; c < k; c++) out.data[i * k + c] = s * X.data[i * k + c];
  }
}

/** grad_i += sqrt(w_i)·G_i (the chain rule through D^½). Cost O(rows·k). */
function addScaledRows(G: Matrix, w: Float64Array, grad: Matrix): void {
  const k = G.cols;
  for (let i = 0; i < G.rows; i++) {
    const s = Math.sqrt(w[i]);
    for (let c = 0; c < k; c++) grad.data[i * k + c] += s * G.data[i * k + c];
  }
}

/** ω Σ_i p_i ||X_i||² with p_i = w_i/rows (1/rows when w is null); adds its gradient 2ω p_i X_i. Cost O(rows·k). */
function decayTerm(X: Matrix, w: Float64Array | null, omega: number, grad: Matrix): number {
  const k = X.cols;
  let value = 0;
  for (let i = 0; i < X.rows; i++) {
    const p = (w ? w[i] : 1) / X.rows;
    let sq = 0;
    for (let c = 0; c < k; c++) {
      const x = X.data[i * k + c];
      sq += x * x;
      grad.data[i * k + c] += 2 * omega * p * x;
    }
    value += omega * p * sq;
  }
  return value;
}

/** Settings of the factored trainer: rank, penalty, and the trainer settings it shares with startTrain. */
export interface FactoredTrainOptions extends TrainerSettings<FactoredModel, FactoredProgressEvent> {
  rank: number;
  /** λ·R with R = ratio (L∗/F), nuclear, nuclear-spectral, effective-rank or none. */
  penalty: FactoredPenaltyName;
  /** An extra μ·||W||_* term (magnitude control for noisy data; default 0). */
  nuclearWeight?: number;
  /** ω of the Frobenius decay term on the factors (factoredObjective; default 0). */
  weightDecay?: number;
  /** The penalties (and decay) on D_r^½ W D_c^½ with the sampling frequencies ('frequency'), or not ('none', default). */
  weighting?: FactoredWeighting;
  /** Call onEvaluate after every this many updates (and after the last); 0 or absent: only after the last. */
  evalEvery?: number;
  /**
   * Sees the live model after the update of step `step` (copy A and B to keep them); returning true stops training
   * there with stopReason 'early-stop' (validation-based early stopping). With maxIters 0 it sees the initial model.
   */
  onEvaluate?: (event: FactoredEvaluation) => boolean | void;
}

/** What onEvaluate sees: the step just taken (0: none) and the live model (copy A and B to keep them). */
export interface FactoredEvaluation {
  step: number;
  maxIters: number;
  model: FactoredModel;
}

/**
 * One progress report of the factored trainer, after every `progressEvery` updates (with the train MSE at the start
 * of that step) and at the end; `model` is live: copy A and B to keep them.
 */
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

/** A factored training run that advances in chunks (see SteppedRun in loop.ts). */
export type FactoredTrainer = SteppedRun<FactoredTrainResult>;

/**
 * Minimize f(A, B) = (1/|Ω|) Σ_Ω ((A·B^T)_ij − M_ij)² + λ·R(A·B^T) (+ μ·||A·B^T||_*) with R one of
 * FactoredPenaltyName, full batch, by `optimizer` on the parameter groups A and B (docs/design/math.md 3.3: the penalty is exact,
 * from thin QRs of A and B and the SVD of the k×k core; W is never formed). The stop rules are the deep trainer's
 * (divergence, train MSE <= tol and the target, checked before each update; max-iters; interruption) plus
 * onEvaluate's early stop. All buffers (gradients, QR and SVD workspaces, optimizer state) are allocated once,
 * before the loop; a step costs ~6|Ω|k + ~8(m+n)k² + O(k³) flops and the run O((m+n)k + |Ω|) memory.
 * maxIters may be 0 (the initial model is returned).
 */
export function startTrainFactored(obs: Observations, opts: FactoredTrainOptions): FactoredTrainer {
  const [m, n] = obs.shape;
  const count = obs.values.length;
  checkTrainSettings(count, opts, 0);
  const nuclearWeight = opts.nuclearWeight ?? 0;
  if (!(nuclearWeight >= 0) || !Number.isFinite(nuclearWeight))
    throw new RangeError(`nuclear weight must be >= 0, got ${nuclearWeight}`);
  const model = initFactoredModel(m, n, opts.rank, opts.initScale, deriveRng(opts.seed, 'init'));
  const { A, B } = model;
  const optimizer = opts.optimizer;
  const params = [A.data, B.data];
  const backend = opts.backend ?? getBackend();
  const state = optimizer.init(
    params.map((p) => p.length),
    {
      shapes: [
        [m, opts.rank],
        [n, opts.rank],
      ],
      backend,
    },
  );
  const gradA = zeros(m, opts.rank);
  const gradB = zeros(n, opts.rank);
  const grads = [gradA.data, gradB.data];
  const weights: PenaltyWeights = {
    ratio: opts.penalty === 'ratio' ? opts.lambda : 0,
    nuclear: (opts.penalty === 'nuclear' ? opts.lambda : 0) + nuclearWeight,
    nuclearSpectral: opts.penalty === 'nuclear-spectral' ? opts.lambda : 0,
    effectiveRank: opts.penalty === 'effective-rank' ? opts.lambda : 0,
  };
  const spectral = Object.values(weights).some((w) => w !== 0);
  const reg = factoredRegularizer(obs, opts.rank, opts.weighting ?? 'none', opts.weightDecay ?? 0);
  const usePenalty = spectral || reg.weightDecay > 0;
  const ws = spectral ? createFactoredWorkspace(m, n, opts.rank, backend) : null;
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
      opts.onEvaluate?.({ step: 0, maxIters: 0, model });
      return 'max-iters';
    }
    ({ mse, objective } = factoredObjective(A, B, obs, weights, ws, gradA, gradB, backend, reg));
    if (t === 1) firstObjective = objective;
    const stop = evaluationStop(t, mse, objective, usePenalty, opts, model, firstObjective);
    if (stop) return stop;
    if (opts.signal?.aborted) return 'interrupted';
    optimizerStep(optimizer, params, grads, state, t);
    updates = t;
    if (t % progressEvery === 0) report(t);
    const last = t === opts.maxIters;
    if (
      ((evalEvery > 0 && t % evalEvery === 0) || last) &&
      opts.onEvaluate?.({ step: t, maxIters: opts.maxIters, model }) === true
    )
      return 'early-stop';
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

/** Train the factored model to a stop rule in one synchronous call (see startTrainFactored). */
export function trainFactored(obs: Observations, opts: FactoredTrainOptions): FactoredTrainResult {
  const trainer = startTrainFactored(obs, opts);
  trainer.advance(Infinity);
  return trainer.result();
}
