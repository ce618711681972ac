// Nuclear-norm minimization as a synthetic method: min ||X||_* s.t. |X − M| ≤ δ on Ω by ADMM (src/solver/nuclear-min.ts).
import { syntheticProblem, type SyntheticSpec } from '../data/synthetic.ts';
import { nuclearMin, type NuclearMinProgress } from '../solver/nuclear-min.ts';
import { NUCLEAR_MIN_DEFAULTS } from '../defaults.ts';
import type { ParamTable, ParamValues } from '../params.ts';
import {
  checkDense,
  denseSvdCost,
  measureMatrix,
  problemText,
  runWhole,
  type RunHooks,
  type RunMetrics,
  type SyntheticMethod,
} from './method.ts';

/** Nuclear-min's parameters. */
export const NUCLEAR_MIN_PARAMS = {
  boxTol: {
    type: 'number',
    min: 0,
    default: NUCLEAR_MIN_DEFAULTS.boxTol,
    flag: 'tol',
    doc: 'box half-width δ: |X_ij − M_ij| ≤ δ on Ω (0: exact equality; Arora et al. used 1e-3)',
  },
  relTol: {
    type: 'number',
    min: 0,
    minExclusive: true,
    default: NUCLEAR_MIN_DEFAULTS.relTol,
    doc: 'ADMM stops when the relative primal and dual residuals are both at most this',
  },
  maxIters: { type: 'int', min: 1, default: NUCLEAR_MIN_DEFAULTS.maxIters, doc: 'ADMM iteration cap (one SVD each)' },
} as const satisfies ParamTable;

/** A synthetic problem solved by nuclear-norm minimization (ADMM, see solver/nuclear-min.ts). */
export type NuclearMinRunSpec = SyntheticSpec & { method: 'nuclear-min' } & ParamValues<typeof NUCLEAR_MIN_PARAMS>;

/** Defaults of `mcomplete run --method nuclear-min` (NUCLEAR_MIN_DEFAULTS of src/defaults.ts, with the method). */
export const DEFAULT_NUCLEAR_MIN: Omit<NuclearMinRunSpec, keyof SyntheticSpec> = {
  method: 'nuclear-min',
  ...NUCLEAR_MIN_DEFAULTS,
};

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

/**
 * Build the synthetic problem of `spec`, solve min ||X||_* s.t. |X − M| ≤ δ on Ω, and measure X against the truth.
 * `iterations` counts ADMM iterations (one SVD each). Usually reached through runSynthetic.
 */
export function runNuclearMin(spec: NuclearMinRunSpec, hooks: RunHooks = {}): NuclearMinRunResult {
  const problem = syntheticProblem(spec, hooks.onMaskDraw);
  const { onProgress } = hooks;
  const r = nuclearMin(problem.observations, {
    boxHalfWidth: spec.boxTol,
    relTol: spec.relTol,
    maxIters: spec.maxIters,
    progressEvery: hooks.progressEvery,
    signal: hooks.signal,
    onProgress: onProgress && ((e: NuclearMinProgress) => onProgress({ method: 'nuclear-min', ...e })),
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

/** `--method nuclear-min`. */
export const nuclearMinMethod: SyntheticMethod<NuclearMinRunSpec, NuclearMinRunResult> = {
  name: 'nuclear-min',
  description: 'nuclear-norm minimization subject to the observations (ADMM)',
  params: NUCLEAR_MIN_PARAMS,
  check: (s) => checkDense(s, 'nuclear-min', 'use --method gradient --model factored at this size'),
  start: (settings, hooks) => runWhole(() => runNuclearMin(settings, hooks)),
  // One SVD per ADMM iteration.
  cost: (s) => 0.01 * s.maxIters * denseSvdCost(s),
  settingsLine: (s) => `${problemText(s)} method=nuclear-min tol=${s.boxTol} rel-tol=${s.relTol}`,
  summary: (r) => [
    `constraintResidual  ${r.constraintResidual.toExponential(3)} (max |X − M| on Ω ${r.maxAbsResidual.toExponential(2)})`,
    `dualityGap          ${r.dualityGap.toExponential(3)}`,
    `rank                ${r.rank}`,
  ],
};
