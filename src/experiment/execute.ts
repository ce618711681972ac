import { dot, frobeniusNorm, scaleMatrix, zeros, type Matrix } from '../linalg/matrix.ts';
import { svd, type SVD } from '../linalg/svd.ts';
import { syntheticProblem } from '../data/synthetic.ts';
import { penalty } from '../penalty/index.ts';
import { relativeError } from '../metrics/index.ts';
import { DivergenceError } from '../solver/train.ts';
import { runSynthetic, type RunMetrics, type RunSpec } from './run.ts';
import { runNuclearMin, runSoftImpute, type MethodName } from './baselines.ts';
import type { RunSettings, RunTask } from './spec.ts';

/** The state of W at one recorded step of a gradient run. */
export interface Checkpoint {
  step: number;
  relError: number;
  /** Singular values of W, largest first (6 significant digits). */
  s: number[];
  /**
   * For the L∗/F penalty only: max over c ∈ INVARIANCE_SCALES of |R(cW) − R(W)|, each R from its own SVD
   * (scale invariance, DESIGN 3.2).
   */
  scaleGap?: number;
  /** For L∗/F only: |⟨∇R(W), W⟩| / (||∇R(W)||_F ||W||_F), which is 0 in exact arithmetic. */
  gradCosine?: number;
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

/** Run one task of a sweep in this thread and return its record (a diverged run is a record with `error`). */
export function executeTask(task: RunTask, context: { version: string; sweep: string }): RunRecord {
  const { settings } = task;
  const base = {
    version: context.version,
    sweep: context.sweep,
    key: task.key,
    name: task.name,
    method: (settings.method ?? 'gradient') as MethodName,
    n: settings.n,
    rank: settings.rank,
    samples: settings.samples,
    seed: settings.seed,
    settings,
    recordSpectrumEvery: task.recordSpectrumEvery,
  };
  let finalSpectrum: number[] | undefined;
  const keepSpectrum = (X: Matrix): void => {
    finalSpectrum = round6(svd(X).s);
  };
  try {
    if (settings.method === 'nuclear-min') {
      const { settings: _s, ...metrics } = runNuclearMin(settings, { onSolution: keepSpectrum });
      return { ...base, metrics, finalSpectrum, finishedAt: new Date().toISOString() };
    }
    if (settings.method === 'soft-impute') {
      const { settings: _s, ...metrics } = runSoftImpute(settings, { onSolution: keepSpectrum });
      return { ...base, metrics, finalSpectrum, finishedAt: new Date().toISOString() };
    }
    const { metrics, checkpoints, finalSpectrum: s, backend } = runGradientRecorded(settings, task.recordSpectrumEvery);
    return { ...base, metrics, checkpoints, finalSpectrum: s, backend, finishedAt: new Date().toISOString() };
  } catch (err) {
    if (err instanceof DivergenceError) return { ...base, metrics: null, error: err.message, finishedAt: new Date().toISOString() };
    throw err;
  }
}

/** A gradient run that records a Checkpoint every `every` steps and at the end (every > 0), and its final spectrum. */
function runGradientRecorded(
  spec: RunSpec,
  every: number,
): { metrics: RunMetrics; checkpoints?: Checkpoint[]; finalSpectrum: number[]; backend?: string } {
  const problem = every > 0 ? syntheticProblem(spec) : null;
  const checkpoints: Checkpoint[] = [];
  let lastStep = -1;
  let last: number[] = [];
  const { settings: runSettings, ...metrics } = runSynthetic(spec, {
    progressEvery: every > 0 ? every : spec.maxIters,
    onProgress: (e) => {
      if (e.step === lastStep) return; // the final report repeats the last step when maxIters is a multiple
      lastStep = e.step;
      if (!e.W) return;
      const sv = svd(e.W);
      last = round6(sv.s);
      if (!problem) return;
      const cp: Checkpoint = { step: e.step, relError: relativeError(e.W, problem.truth), s: last };
      if (spec.penalty === 'ratio') Object.assign(cp, ratioInvariance(e.W, sv));
      checkpoints.push(cp);
    },
  });
  return { metrics, checkpoints: problem ? checkpoints : undefined, finalSpectrum: last, backend: runSettings.backend };
}

/**
 * The two invariances of R = L∗/F at W (DESIGN 3.2): scaleGap = max_c |R(cW) − R(W)| over INVARIANCE_SCALES, each
 * R(cW) from its own SVD of cW; gradCosine = |⟨∇R, W⟩|/(||∇R||_F ||W||_F). Cost: |scales| SVDs, plus one for
 * W unless its SVD is given.
 */
export function ratioInvariance(W: Matrix, svdW: SVD = svd(W)): { scaleGap: number; gradCosine: number } {
  const grad = zeros(W.rows, W.cols);
  const r0 = penalty('ratio', W, svdW, { gradOut: grad });
  let scaleGap = 0;
  for (const c of INVARIANCE_SCALES) {
    const cW = scaleMatrix(W, c);
    scaleGap = Math.max(scaleGap, Math.abs(penalty('ratio', cW, svd(cW)) - r0));
  }
  const denom = frobeniusNorm(grad) * frobeniusNorm(W);
  return { scaleGap, gradCosine: denom === 0 ? 0 : Math.abs(dot(grad, W)) / denom };
}

/** Values rounded to 6 significant digits (spectra are for plots; the metrics keep full precision). */
function round6(values: ArrayLike<number>): number[] {
  return Array.from(values, (v) => Number(v.toPrecision(6)));
}
