import { syntheticProblem, type SyntheticSpec } from '../data/synthetic.ts';
import { clone, type Matrix } from '../linalg/matrix.ts';
import { relativeError } from '../metrics/index.ts';
import { nuclearMin, type NuclearMinProgress } from '../solver/nuclear-min.ts';
import { lambdaMax, lambdaPath, softImputePath, type SoftImputePathPoint } from '../solver/soft-impute.ts';
import type { StopReason } from '../solver/loop.ts';
import { NUCLEAR_MIN_DEFAULTS, SOFT_IMPUTE_DEFAULTS } from '../defaults.ts';
import { measureMatrix, type RunHooks, type RunMetrics, type SoftImputePathSummary } from './method.ts';

export type { SoftImputePathSummary };

/** A synthetic problem solved by nuclear-norm minimization (ADMM, see solver/nuclear-min.ts). */
export interface NuclearMinRunSpec extends SyntheticSpec {
  method: 'nuclear-min';
  /** Box half-width δ: |X_ij − M_ij| ≤ δ on Ω (0: exact equality; Arora et al. used 1e-3). */
  boxTol: number;
  /** ADMM stops when the relative primal and dual residuals are both at most this. */
  relTol: number;
  maxIters: number;
}

/** A synthetic problem solved by soft-impute along a λ path (see solver/soft-impute.ts). */
export interface SoftImputeRunSpec extends SyntheticSpec {
  method: 'soft-impute';
  /** The last λ of the path, whose solution is reported; null: the path point closest to the truth (an oracle). */
  lambda: number | null;
  /** Number of λ values, geometric from λ_max down to `lambda` (or to λ_max·lambdaMinRatio when lambda is null). */
  pathLength: number;
  lambdaMinRatio: number;
  /** Rank cap (null: none). */
  maxRank: number | null;
  /** Each λ stops when ||Z_new − Z||_F ≤ relTol·||Z||_F. */
  relTol: number;
  /** Iteration cap for each λ. */
  maxIters: number;
}

/** Defaults of `mcomplete run --method nuclear-min` (NUCLEAR_MIN_DEFAULTS of src/defaults.ts, with the method). */
export const DEFAULT_NUCLEAR_MIN: Omit<NuclearMinRunSpec, keyof SyntheticSpec> = { method: 'nuclear-min', ...NUCLEAR_MIN_DEFAULTS };

/** Defaults of `mcomplete run --method soft-impute` (SOFT_IMPUTE_DEFAULTS of src/defaults.ts, with the method). */
export const DEFAULT_SOFT_IMPUTE: Omit<SoftImputeRunSpec, keyof SyntheticSpec> = { method: 'soft-impute', ...SOFT_IMPUTE_DEFAULTS };

/** Nuclear-min's result: the shared metrics plus the solver's certificate of convergence. */
export interface NuclearMinRunResult extends RunMetrics {
  /** Constraint violation ||r||_F/||P_Ω(M)||_F, r the part of |X_ij − M_ij| beyond δ on Ω. */
  constraintResidual: number;
  /** The largest |X_ij − M_ij| on Ω. */
  maxAbsResidual: number;
  primalResidual: number;
  dualResidual: number;
  /** (||X||_* − dual bound)/||X||_*, the dual bound from the scaled ADMM multiplier (weak duality). */
  dualityGap: number;
  /** Rank of the returned X (number of singular values left by the last thresholding). */
  rank: number;
  settings: NuclearMinRunSpec;
}

/** Soft-impute's result: the shared metrics at the reported λ, which λ that is and why, and the whole path. */
export interface SoftImputeRunResult extends RunMetrics {
  /** The reported λ. */
  lambda: number;
  lambdaMax: number;
  /** 'oracle': chosen as the path point with the lowest relError against the truth; 'given': --lambda. */
  lambdaChoice: 'oracle' | 'given';
  path: SoftImputePathSummary[];
  settings: SoftImputeRunSpec;
}

/**
 * Build the synthetic problem of `spec`, solve min ||X||_* s.t. |X − M| ≤ δ on Ω, and measure X against the truth.
 * `iterations` counts ADMM iterations (one SVD each). Usually reached through runSynthetic.
 */
export function runNuclearMin(spec: NuclearMinRunSpec, hooks: RunHooks = {}): NuclearMinRunResult {
  const problem = syntheticProblem(spec);
  const { onProgress } = hooks;
  const r = nuclearMin(problem.observations, {
    boxTol: spec.boxTol,
    relTol: spec.relTol,
    maxIters: spec.maxIters,
    progressEvery: hooks.progressEvery,
    signal: hooks.signal,
    onProgress: onProgress && ((e: NuclearMinProgress) => onProgress({ method: 'nuclear-min', step: e.iteration, ...e })),
  });
  hooks.onSolution?.(r.X);
  return {
    ...measureMatrix(r.X, problem),
    iterations: r.iterations,
    seconds: r.seconds,
    stopReason: r.stopReason,
    constraintResidual: r.constraintResidual,
    maxAbsResidual: r.maxAbsResidual,
    primalResidual: r.primalResidual,
    dualResidual: r.dualResidual,
    dualityGap: r.dualityGap,
    rank: r.rank,
    settings: { ...spec },
  };
}

/**
 * Build the synthetic problem of `spec`, run soft-impute along a geometric λ path from λ_max (warm starts), and
 * report the solution at spec.lambda, or (lambda null) the path point closest to the truth: an oracle choice, fair
 * only as a best case in synthetic comparisons. `iterations` and `seconds` cover the whole path; `stopReason` is
 * 'max-iters' when any λ hit its cap, else the last λ's. Usually reached through runSynthetic.
 */
export function runSoftImpute(spec: SoftImputeRunSpec, hooks: RunHooks = {}): SoftImputeRunResult {
  const start = performance.now();
  const problem = syntheticProblem(spec);
  const top = lambdaMax(problem.observations);
  const given = spec.lambda !== null;
  let lambdas: Float64Array;
  if (spec.lambda === null) lambdas = lambdaPath(top, spec.pathLength, spec.lambdaMinRatio);
  else if (spec.lambda >= top || spec.pathLength === 1) lambdas = Float64Array.of(spec.lambda);
  else {
    lambdas = lambdaPath(top, spec.pathLength, spec.lambda / top);
    lambdas[lambdas.length - 1] = spec.lambda;
  }
  const path: SoftImputePathSummary[] = [];
  let best: { Z: Matrix; relError: number; point: SoftImputePathPoint } | null = null;
  const { points } = softImputePath(
    problem.observations,
    lambdas,
    { relTol: spec.relTol, maxIters: spec.maxIters, maxRank: spec.maxRank ?? undefined, signal: hooks.signal },
    (point, Z) => {
      const summary: SoftImputePathSummary = {
        lambda: point.lambda,
        relError: relativeError(Z, problem.truth),
        rank: point.rank,
        iterations: point.iterations,
        stopReason: point.stopReason,
      };
      path.push(summary);
      hooks.onProgress?.({ method: 'soft-impute', step: path.length, maxIters: lambdas.length, point: summary });
      // Given λ: the last point; oracle: the lowest error so far.
      if (given || best === null || summary.relError < best.relError) best = { Z: clone(Z), relError: summary.relError, point };
    },
  );
  const chosen = best as { Z: Matrix; relError: number; point: SoftImputePathPoint } | null;
  if (!chosen) throw new Error('soft-impute: the path is empty');
  hooks.onSolution?.(chosen.Z);
  let stopReason: StopReason = points[points.length - 1].stopReason;
  if (stopReason !== 'interrupted' && points.some((p) => p.stopReason === 'max-iters')) stopReason = 'max-iters';
  return {
    ...measureMatrix(chosen.Z, problem),
    iterations: points.reduce((sum, p) => sum + p.iterations, 0),
    seconds: (performance.now() - start) / 1000,
    stopReason,
    lambda: chosen.point.lambda,
    lambdaMax: top,
    lambdaChoice: given ? 'given' : 'oracle',
    path,
    settings: { ...spec },
  };
}
