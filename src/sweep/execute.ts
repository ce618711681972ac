import type { Matrix } from '../linalg/matrix.ts';
import { getBackend, type Backend } from '../linalg/backend.ts';
import { syntheticProblem } from '../data/synthetic.ts';
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
import { probeNamed, type CheckpointProbe, type ProbeFields, type ProbeSite } from '../methods/probes.ts';
import { taskProbes, type RunTask } from './spec.ts';

// Kept importable from here, where it lived before the probes had a module of their own.
export { tailStepShare } from '../methods/probes.ts';

/** The state of W at one recorded step of a gradient run, with the fields of the probes its task named. */
export interface Checkpoint extends ProbeFields {
  step: number;
  relError: number;
  /** Singular values of W, largest first (6 significant digits). */
  s: number[];
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
      ? checkpointRecorder(settings, task.recordSpectrumEvery, backend, taskProbes(task).map(probeNamed))
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
 * spectrum of the final report), with the SVDs on `backend`, each with the fields of those `probes` that apply to
 * the run. When one of them measures the next step (and every > 0), progress comes every step, so that the
 * checkpoint at step t also gets the one update between the reports of t and t + 1, taken from the W of report t (at
 * depth 1 the live layer, W after t updates; at depth > 1 the product before update t). Cost of that: one event per
 * step.
 */
function checkpointRecorder(
  spec: RunSettings,
  every: number,
  backend: Backend,
  probes: readonly CheckpointProbe[],
): { hooks: RunHooks; checkpoints: () => Checkpoint[] | undefined; last: () => number[] } {
  const problem = every > 0 ? syntheticProblem(spec) : null;
  const applying = problem ? probes.filter((p) => p.applies(spec)) : [];
  const atCheckpoint = applying.filter((p) => !p.nextStep);
  const atNextStep = applying.filter((p) => p.nextStep);
  const stepMode = atNextStep.length > 0;
  const checkpoints: Checkpoint[] = [];
  let lastStep = -1;
  let last: number[] = [];
  let pending: { cp: Checkpoint; site: ProbeSite } | null = null;
  const record = (step: number, W: Matrix): void => {
    const sv = svdOn(W, backend);
    last = round6(sv.s);
    if (!problem) return;
    if (checkpoints.length > 0 && checkpoints[checkpoints.length - 1].step === step) return;
    const cp: Checkpoint = { step, relError: relativeError(W, problem.truth), s: last };
    const site: ProbeSite = { settings: spec, W, svd: sv, backend };
    for (const probe of atCheckpoint) Object.assign(cp, probe.measure(site));
    checkpoints.push(cp);
    // The trainer may update W in place, so the next-step probes get a copy of it.
    if (stepMode) pending = { cp, site: { ...site, W: copyMatrix(W) } };
  };
  const hooks: RunHooks = {
    progressEvery: stepMode ? 1 : every > 0 ? every : spec.maxIters,
    onProgress: (e) => {
      if (e.method !== 'gradient') return;
      const final = e.step === lastStep; // the final report repeats the last step
      lastStep = e.step;
      if (!e.W) return;
      if (!stepMode) {
        if (!final) record(e.step, e.W);
        return;
      }
      if (pending && !final && e.step === pending.cp.step + 1) {
        for (const probe of atNextStep) Object.assign(pending.cp, probe.measure({ ...pending.site, next: e.W }));
        pending = null;
      }
      if (final || e.step % every === 0) record(e.step, e.W);
    },
  };
  return { hooks, checkpoints: () => (problem ? checkpoints : undefined), last: () => last };
}

/** A copy of A. */
function copyMatrix(A: Matrix): Matrix {
  return { rows: A.rows, cols: A.cols, data: Float64Array.from(A.data) };
}

/** Values rounded to 6 significant digits (spectra are for plots; the metrics keep full precision). */
function round6(values: ArrayLike<number>): number[] {
  return Array.from(values, (v) => Number(v.toPrecision(6)));
}
