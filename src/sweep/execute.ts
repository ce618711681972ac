import { dot, frobeniusNorm, scaleMatrix, zeros, type Matrix } from '../linalg/matrix.ts';
import { getBackend, type Backend } from '../linalg/backend.ts';
import type { SVD } from '../linalg/svd.ts';
import { syntheticProblem } from '../data/synthetic.ts';
import { penalty } from '../penalty/index.ts';
import { relativeError } from '../metrics/index.ts';
import { DivergenceError } from '../solver/loop.ts';
import {
  runSynthetic,
  singularValues,
  svdOn,
  type MethodName,
  type RunHooks,
  type RunMetrics,
  type RunSettings,
} from '../methods/run.ts';
import type { RunTask } from './spec.ts';

/** The state of W at one recorded step of a gradient run. */
export interface Checkpoint {
  step: number;
  relError: number;
  /** Singular values of W, largest first (6 significant digits). */
  s: number[];
  /**
   * For the L∗/F penalty only: max over c ∈ INVARIANCE_SCALES of |R(cW) − R(W)|, each R from its own SVD
   * (scale invariance, docs/design/math.md 3.2).
   */
  scaleGap?: number;
  /** For L∗/F only: |⟨∇R(W), W⟩| / (||∇R(W)||_F ||W||_F), which is 0 in exact arithmetic. */
  gradCosine?: number;
  /**
   * With RunTask.recordTailStep (the optimizer atlas): ||P⊥ ΔW P⊥||_F / ||ΔW||_F for the update ΔW of the end-to-end
   * matrix at this step, P⊥ the projectors off the top-r left and right singular vectors of W (r the true rank):
   * the share of the step that moves the tail of the spectrum (tailStepShare).
   */
  tailStep?: number;
}

/** One line of a results file: who ran what, with which seed, and what came out. */
export interface RunRecord {
  /** Package version that produced the run. */
  version: string;
  /** Name of the sweep (spec "name"). */
  sweep: string;
  key: string;
  name: string;
  method: MethodName;
  n: number;
  rank: number;
  samples: number;
  seed: number;
  settings: RunSettings;
  recordSpectrumEvery: number;
  /** The run's metrics (RunMetrics plus the method's extras); null when the run failed. */
  metrics: RunMetrics | null;
  /** Why the run failed (training diverged), when it did. */
  error?: string;
  /** Recorded checkpoints of a gradient run (when recordSpectrumEvery > 0). */
  checkpoints?: Checkpoint[];
  /** Singular values of the returned matrix. */
  finalSpectrum?: number[];
  /** Which linalg backend did a gradient run's gemms and SVDs (ts or native). */
  backend?: string;
  finishedAt: string;
}

/** The scales c of the invariance check R(cW) = R(W). */
export const INVARIANCE_SCALES = [1e-3, 0.5, 7, 1e3] as const;

/**
 * Run one task of a sweep in this thread through runSynthetic and return its record (a diverged run is a record
 * with `error`). A gradient run records a Checkpoint every recordSpectrumEvery steps (when > 0) and, as its final
 * spectrum, that of the W of its last progress report; the baselines record the spectrum of their solution. Every
 * SVD runs on getBackend().
 */
export function executeTask(task: RunTask, context: { version: string; sweep: string }): RunRecord {
  const { settings } = task;
  const method: MethodName = settings.method ?? 'gradient';
  const base = {
    version: context.version,
    sweep: context.sweep,
    key: task.key,
    name: task.name,
    method,
    n: settings.n,
    rank: settings.rank,
    samples: settings.samples,
    seed: settings.seed,
    settings,
    recordSpectrumEvery: task.recordSpectrumEvery,
  };
  const backend = getBackend();
  const recorder =
    method === 'gradient'
      ? checkpointRecorder(settings, task.recordSpectrumEvery, backend, task.recordTailStep === true)
      : null;
  let solutionSpectrum: number[] | undefined;
  const hooks: RunHooks = recorder
    ? recorder.hooks
    : { onSolution: (X: Matrix) => void (solutionSpectrum = round6(singularValues(X, backend))) };
  try {
    const { settings: runSettings, ...metrics } = runSynthetic(settings, hooks);
    const backendName = 'backend' in runSettings ? runSettings.backend : undefined;
    const finishedAt = new Date().toISOString();
    if (!recorder) return { ...base, metrics, finalSpectrum: solutionSpectrum, finishedAt };
    return {
      ...base,
      metrics,
      checkpoints: recorder.checkpoints(),
      finalSpectrum: recorder.last(),
      backend: backendName,
      finishedAt,
    };
  } catch (err) {
    if (err instanceof DivergenceError)
      return { ...base, metrics: null, error: err.message, finishedAt: new Date().toISOString() };
    throw err;
  }
}

/**
 * Hooks that record a Checkpoint of a gradient run every `every` steps and at the end (every > 0; else only the
 * spectrum of the final report), with the SVDs on `backend`. With `tail` (and every > 0), progress comes every step
 * so that the checkpoint at step t also gets the tail step of the one update between the reports of t and t + 1,
 * which is taken at the W of report t (at depth 1 the live layer, W after t updates; at depth > 1 the product before
 * update t). Cost with `tail`: one event per step, and O(n²r) at each checkpoint.
 */
function checkpointRecorder(
  spec: RunSettings,
  every: number,
  backend: Backend,
  tail = false,
): { hooks: RunHooks; checkpoints: () => Checkpoint[] | undefined; last: () => number[] } {
  const problem = every > 0 ? syntheticProblem(spec) : null;
  const tailMode = tail && every > 0;
  const checkpoints: Checkpoint[] = [];
  let lastStep = -1;
  let last: number[] = [];
  let pending: { cp: Checkpoint; W: Matrix; U: Matrix; V: Matrix } | null = null;
  const record = (step: number, W: Matrix): void => {
    const sv = svdOn(W, backend);
    last = round6(sv.s);
    if (!problem) return;
    if (checkpoints.length > 0 && checkpoints[checkpoints.length - 1].step === step) return;
    const cp: Checkpoint = { step, relError: relativeError(W, problem.truth), s: last };
    if ('penalty' in spec && spec.penalty === 'ratio') Object.assign(cp, ratioInvariance(W, sv, backend));
    checkpoints.push(cp);
    if (tailMode)
      pending = { cp, W: copyMatrix(W), U: leadingColumns(sv.U, spec.rank), V: leadingColumns(sv.V, spec.rank) };
  };
  const hooks: RunHooks = {
    progressEvery: tailMode ? 1 : every > 0 ? every : spec.maxIters,
    onProgress: (e) => {
      if (e.method !== 'gradient') return;
      const final = e.step === lastStep; // the final report repeats the last step
      lastStep = e.step;
      if (!e.W) return;
      if (!tailMode) {
        if (!final) record(e.step, e.W);
        return;
      }
      if (pending && !final && e.step === pending.cp.step + 1) {
        pending.cp.tailStep = tailStepShare(pending.W, e.W, pending.U, pending.V);
        pending = null;
      }
      if (final || e.step % every === 0) record(e.step, e.W);
    },
  };
  return { hooks, checkpoints: () => (problem ? checkpoints : undefined), last: () => last };
}

/**
 * ||(I − UUᵀ)(W1 − W0)(I − VVᵀ)||_F / ||W1 − W0||_F: the share of the step W0 → W1 outside the column and row
 * spaces of U and V (orthonormal columns), i.e. the part that changes W0's tail singular values to first order
 * (0 when the step has no update). Cost O(rows·cols·r).
 */
export function tailStepShare(W0: Matrix, W1: Matrix, U: Matrix, V: Matrix): number {
  const { rows, cols } = W0;
  const r = U.cols;
  const D = new Float64Array(rows * cols);
  let total = 0;
  for (let i = 0; i < D.length; i++) {
    D[i] = W1.data[i] - W0.data[i];
    total += D[i] * D[i];
  }
  if (total === 0) return 0;
  // D ← D − U(UᵀD), then D ← D − (DV)Vᵀ.
  const t = new Float64Array(Math.max(r, 1) * Math.max(rows, cols));
  for (let l = 0; l < r; l++) {
    for (let j = 0; j < cols; j++) {
      let sum = 0;
      for (let i = 0; i < rows; i++) sum += U.data[i * r + l] * D[i * cols + j];
      t[l * cols + j] = sum;
    }
  }
  for (let i = 0; i < rows; i++)
    for (let l = 0; l < r; l++) for (let j = 0; j < cols; j++) D[i * cols + j] -= U.data[i * r + l] * t[l * cols + j];
  for (let i = 0; i < rows; i++) {
    for (let l = 0; l < r; l++) {
      let sum = 0;
      for (let j = 0; j < cols; j++) sum += D[i * cols + j] * V.data[j * r + l];
      t[l] = sum;
    }
    for (let l = 0; l < r; l++) for (let j = 0; j < cols; j++) D[i * cols + j] -= t[l] * V.data[j * r + l];
  }
  let outside = 0;
  for (let i = 0; i < D.length; i++) outside += D[i] * D[i];
  return Math.sqrt(outside / total);
}

/** A copy of A. */
function copyMatrix(A: Matrix): Matrix {
  return { rows: A.rows, cols: A.cols, data: Float64Array.from(A.data) };
}

/** The first min(k, cols) columns of A, as a new matrix. */
function leadingColumns(A: Matrix, k: number): Matrix {
  const c = Math.min(k, A.cols);
  const out = zeros(A.rows, c);
  for (let i = 0; i < A.rows; i++) for (let l = 0; l < c; l++) out.data[i * c + l] = A.data[i * A.cols + l];
  return out;
}

/**
 * The two invariances of R = L∗/F at W (docs/design/math.md 3.2): scaleGap = max_c |R(cW) − R(W)| over INVARIANCE_SCALES, each
 * R(cW) from its own SVD of cW; gradCosine = |⟨∇R, W⟩|/(||∇R||_F ||W||_F). Cost: |scales| SVDs on `backend`
 * (default getBackend()), plus one for W unless its SVD is given.
 */
export function ratioInvariance(
  W: Matrix,
  svdW?: SVD,
  backend: Backend = getBackend(),
): { scaleGap: number; gradCosine: number } {
  const grad = zeros(W.rows, W.cols);
  const r0 = penalty('ratio', W, svdW ?? svdOn(W, backend), { gradOut: grad });
  let scaleGap = 0;
  for (const c of INVARIANCE_SCALES) {
    const cW = scaleMatrix(W, c);
    scaleGap = Math.max(scaleGap, Math.abs(penalty('ratio', cW, svdOn(cW, backend)) - r0));
  }
  const denom = frobeniusNorm(grad) * frobeniusNorm(W);
  return { scaleGap, gradCosine: denom === 0 ? 0 : Math.abs(dot(grad, W)) / denom };
}

/** Values rounded to 6 significant digits (spectra are for plots; the metrics keep full precision). */
function round6(values: ArrayLike<number>): number[] {
  return Array.from(values, (v) => Number(v.toPrecision(6)));
}
