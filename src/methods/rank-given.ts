// The rank-given baselines as synthetic methods: GNMR (src/solver/gnmr.ts) and alternating least squares
// (src/solver/altmin.ts), told the rank (`givenRank`, default the true rank). Same problem, metrics and JSON as
// every other method, plus the fit on Ω and a warning when the data cannot determine the answer.
import { syntheticProblem, type SyntheticSpec } from '../data/synthetic.ts';
import { rankWarning } from '../data/identifiable.ts';
import type { Observations } from '../data/observations.ts';
import { gemm, type Matrix } from '../linalg/matrix.ts';
import { getBackend, type Backend } from '../linalg/backend.ts';
import { gnmr, type GnmrVariant } from '../solver/gnmr.ts';
import { altmin } from '../solver/altmin.ts';
import { scaledGd } from '../solver/scaled-gd.ts';
import { ALTMIN_DEFAULTS, GNMR_DEFAULTS, SCALED_GD_DEFAULTS } from '../defaults.ts';
import { measureMatrix, type RunHooks, type RunMetrics } from './method.ts';

/** A synthetic problem solved by GNMR at a given rank. */
export interface GnmrRunSpec extends SyntheticSpec {
  method: 'gnmr';
  /** The rank the method is told (default: the true rank). */
  givenRank: number;
  variant: GnmrVariant;
  maxIters: number;
  /** Stop when the relative residual on Ω is at most this. */
  tol: number;
  /** Iterations without a new lowest residual before stopping (the lowest-residual iterate is returned). */
  patience: number;
}

/** A synthetic problem solved by alternating least squares at a given rank. */
export interface AltminRunSpec extends SyntheticSpec {
  method: 'altmin';
  givenRank: number;
  maxIters: number;
  tol: number;
}

/** A synthetic problem solved by ScaledGD at a given rank. */
export interface ScaledGdRunSpec extends SyntheticSpec {
  method: 'scaled-gd';
  givenRank: number;
  /** Step size η. */
  stepSize: number;
  maxIters: number;
  tol: number;
}

/** A rank-given method's result: the shared metrics plus its fit on Ω and, when the data cannot decide, a warning. */
export interface RankGivenRunResult extends RunMetrics {
  givenRank: number;
  /** ||P_Ω(UVᵀ) − b|| / ||b|| of the returned factors. */
  residual: number;
  /** GNMR only: LSQR iterations over all outer iterations. */
  lsqrIterations?: number;
  /** Why the answer cannot be trusted even if it fits Ω (see rankGivenWarning); absent when none applies. */
  warning?: string;
  settings: GnmrRunSpec | AltminRunSpec | ScaledGdRunSpec;
}

/** The defaults of `run --method gnmr`, the given rank from the input's true rank. */
export function gnmrDefaults(input: Partial<GnmrRunSpec>, problem: SyntheticSpec): GnmrRunSpec {
  return { ...problem, method: 'gnmr', givenRank: input.rank ?? problem.rank, ...GNMR_DEFAULTS };
}

/** The defaults of `run --method altmin`, the given rank from the input's true rank. */
export function altminDefaults(input: Partial<AltminRunSpec>, problem: SyntheticSpec): AltminRunSpec {
  return { ...problem, method: 'altmin', givenRank: input.rank ?? problem.rank, ...ALTMIN_DEFAULTS };
}

/** The defaults of `run --method scaled-gd`, the given rank from the input's true rank. */
export function scaledGdDefaults(input: Partial<ScaledGdRunSpec>, problem: SyntheticSpec): ScaledGdRunSpec {
  return { ...problem, method: 'scaled-gd', givenRank: input.rank ?? problem.rank, ...SCALED_GD_DEFAULTS };
}

/** rankWarning for the rank a rank-given method was told (see data/identifiable.ts). */
export function rankGivenWarning(obs: Observations, rank: number): string | undefined {
  return rankWarning(obs, rank, 'given rank');
}

/** What every rank-given solver returns: the factors and its stopping facts (GNMR also its LSQR work). */
interface RankGivenFit {
  U: Matrix;
  V: Matrix;
  iterations: number;
  seconds: number;
  stopReason: RankGivenRunResult['stopReason'];
  residual: number;
  lsqrIterations?: number;
}

/** Build the problem of `spec`, fit it at spec.givenRank with `solve`, and measure U·Vᵀ against the truth. */
function runRankGiven(
  spec: GnmrRunSpec | AltminRunSpec | ScaledGdRunSpec,
  hooks: RunHooks,
  solve: (observations: Observations, common: { rank: number; signal?: AbortSignal; backend: Backend }) => RankGivenFit,
): RankGivenRunResult {
  const problem = syntheticProblem(spec);
  const warning = rankGivenWarning(problem.observations, checkGivenRank(spec));
  const r = solve(problem.observations, { rank: spec.givenRank, signal: hooks.signal, backend: getBackend() });
  const X = gemm(r.U, r.V, { transB: true });
  hooks.onSolution?.(X);
  return {
    ...measureMatrix(X, problem),
    iterations: r.iterations,
    seconds: r.seconds,
    stopReason: r.stopReason,
    givenRank: spec.givenRank,
    residual: r.residual,
    ...(r.lsqrIterations === undefined ? {} : { lsqrIterations: r.lsqrIterations }),
    ...(warning === undefined ? {} : { warning }),
    settings: { ...spec },
  };
}

/** Build the problem of `spec`, run GNMR at spec.givenRank and measure U·Vᵀ against the truth. */
export function runGnmr(spec: GnmrRunSpec, hooks: RunHooks = {}): RankGivenRunResult {
  return runRankGiven(spec, hooks, (obs, common) => gnmr(obs, { ...common, variant: spec.variant, maxIters: spec.maxIters, tol: spec.tol, patience: spec.patience, returnBest: true }));
}

/** Build the problem of `spec`, run alternating least squares at spec.givenRank and measure U·Vᵀ against the truth. */
export function runAltmin(spec: AltminRunSpec, hooks: RunHooks = {}): RankGivenRunResult {
  return runRankGiven(spec, hooks, (obs, common) => altmin(obs, { ...common, maxIters: spec.maxIters, tol: spec.tol }));
}

/** Build the problem of `spec`, run ScaledGD at spec.givenRank and measure L·Rᵀ against the truth. */
export function runScaledGd(spec: ScaledGdRunSpec, hooks: RunHooks = {}): RankGivenRunResult {
  return runRankGiven(spec, hooks, (obs, common) => scaledGd(obs, { ...common, stepSize: spec.stepSize, maxIters: spec.maxIters, tol: spec.tol }));
}

/** The given rank must be an integer in 1..n (a RangeError naming givenRank otherwise); returns it. */
function checkGivenRank(spec: { givenRank: number; n: number }): number {
  if (!Number.isInteger(spec.givenRank) || spec.givenRank < 1 || spec.givenRank > spec.n) {
    throw new RangeError(`givenRank must be an integer in 1..${spec.n}, got ${spec.givenRank}`);
  }
  return spec.givenRank;
}
