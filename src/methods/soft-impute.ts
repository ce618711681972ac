// Soft-impute along a decreasing λ path with warm starts as a synthetic method (src/solver/soft-impute.ts).
import { syntheticProblem, type SyntheticSpec } from '../data/synthetic.ts';
import { clone, type Matrix } from '../linalg/matrix.ts';
import { relativeError } from '../metrics/index.ts';
import { lambdaMax, lambdaPath, softImputePath, type SoftImputePathPoint } from '../solver/soft-impute.ts';
import type { StopReason } from '../solver/loop.ts';
import { SOFT_IMPUTE_DEFAULTS } from '../defaults.ts';
import type { ParamTable, ParamValues } from '../params.ts';
import {
  checkDense,
  denseSvdCost,
  measureMatrix,
  problemText,
  runWhole,
  type RunHooks,
  type RunMetrics,
  type SoftImputePathSummary,
  type SyntheticMethod,
} from './method.ts';

export type { SoftImputePathSummary };

/** Soft-impute's parameters. */
export const SOFT_IMPUTE_PARAMS = {
  lambda: {
    type: 'number',
    min: 0,
    minExclusive: true,
    nullable: true,
    default: SOFT_IMPUTE_DEFAULTS.lambda,
    doc: 'the last λ of the path, whose solution is reported; null: the path point closest to the truth (an oracle)',
  },
  pathLength: {
    type: 'int',
    min: 1,
    max: 1000,
    default: SOFT_IMPUTE_DEFAULTS.pathLength,
    doc: 'number of λ values, geometric from λ_max down to lambda (or to λ_max·lambdaMinRatio when lambda is null)',
  },
  lambdaMinRatio: {
    type: 'number',
    min: 0,
    minExclusive: true,
    max: 1,
    default: SOFT_IMPUTE_DEFAULTS.lambdaMinRatio,
    doc: 'smallest λ / λ_max when lambda is not given',
  },
  maxRank: { type: 'int', min: 1, nullable: true, default: SOFT_IMPUTE_DEFAULTS.maxRank, doc: 'rank cap (null: none)' },
  relTol: {
    type: 'number',
    min: 0,
    minExclusive: true,
    default: SOFT_IMPUTE_DEFAULTS.relTol,
    doc: 'each λ stops when ||Z_new − Z||_F ≤ relTol·||Z||_F',
  },
  maxIters: { type: 'int', min: 1, default: SOFT_IMPUTE_DEFAULTS.maxIters, doc: 'iteration cap for each λ' },
} as const satisfies ParamTable;

/** A synthetic problem solved by soft-impute along a λ path (see solver/soft-impute.ts). */
export type SoftImputeRunSpec = SyntheticSpec & { method: 'soft-impute' } & ParamValues<typeof SOFT_IMPUTE_PARAMS>;

/** Defaults of `mcomplete run --method soft-impute` (SOFT_IMPUTE_DEFAULTS of src/defaults.ts, with the method). */
export const DEFAULT_SOFT_IMPUTE: Omit<SoftImputeRunSpec, keyof SyntheticSpec> = {
  method: 'soft-impute',
  ...SOFT_IMPUTE_DEFAULTS,
};

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
 * Build the synthetic problem of `spec`, run soft-impute along a geometric λ path from λ_max (warm starts), and
 * report the solution at spec.lambda, or (lambda null) the path point closest to the truth: an oracle choice, fair
 * only as a best case in synthetic comparisons. `iterations` and `seconds` cover the whole path; `stopReason` is
 * 'max-iters' when any λ hit its cap, else the last λ's. Usually reached through runSynthetic.
 */
export function runSoftImpute(spec: SoftImputeRunSpec, hooks: RunHooks = {}): SoftImputeRunResult {
  const start = performance.now();
  const problem = syntheticProblem(spec, hooks.onMaskDraw);
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
  let best: { X: Matrix; relError: number; point: SoftImputePathPoint } | null = null;
  const { points } = softImputePath(
    problem.observations,
    lambdas,
    { changeTol: spec.relTol, maxIters: spec.maxIters, maxRank: spec.maxRank ?? undefined, signal: hooks.signal },
    (point, X) => {
      const summary: SoftImputePathSummary = {
        lambda: point.lambda,
        relError: relativeError(X, problem.truth),
        rank: point.rank,
        iterations: point.iterations,
        stopReason: point.stopReason,
      };
      path.push(summary);
      hooks.onProgress?.({ method: 'soft-impute', step: path.length, maxIters: lambdas.length, point: summary });
      // Given λ: the last point; oracle: the lowest error so far.
      if (given || best === null || summary.relError < best.relError)
        best = { X: clone(X), relError: summary.relError, point };
    },
  );
  const chosen = best as { X: Matrix; relError: number; point: SoftImputePathPoint } | null;
  if (!chosen) throw new Error('soft-impute: the path is empty');
  hooks.onSolution?.(chosen.X);
  let stopReason: StopReason = points[points.length - 1].stopReason;
  if (stopReason !== 'interrupted' && points.some((p) => p.stopReason === 'max-iters')) stopReason = 'max-iters';
  return {
    ...measureMatrix(chosen.X, problem),
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

/** `--method soft-impute`. */
export const softImputeMethod: SyntheticMethod<SoftImputeRunSpec, SoftImputeRunResult> = {
  name: 'soft-impute',
  description: 'soft-impute along a decreasing λ path with warm starts',
  params: SOFT_IMPUTE_PARAMS,
  check: (s) => checkDense(s, 'soft-impute', 'use --method gradient --model factored at this size'),
  start: (settings, hooks) => runWhole(() => runSoftImpute(settings, hooks)),
  // One SVD per iteration of each λ.
  cost: (s) => 0.01 * s.pathLength * s.maxIters * denseSvdCost(s),
  settingsLine: (s) =>
    `${problemText(s)} method=soft-impute path-length=${s.pathLength} rel-tol=${s.relTol} max-rank=${s.maxRank ?? 'none'}`,
  summary: (r) => [
    `lambda              ${r.lambda.toExponential(3)} (${r.lambdaChoice === 'oracle' ? 'lowest relError on the path: an oracle choice' : 'given'}; λ_max ${r.lambdaMax.toExponential(3)})`,
    'path: lambda relError rank iterations',
    ...r.path.map(
      (p) =>
        `  ${p.lambda.toExponential(2)}  ${p.relError.toExponential(3)}  ${p.rank}  ${p.iterations} (${p.stopReason})`,
    ),
  ],
};
