// What the rank-given baselines share (GNMR, alternating least squares, ScaledGD; one module each beside this one):
// the given rank's declaration, the run that builds the problem, fits it at that rank and measures U·Vᵀ, the result
// with the fit on Ω and a warning when the data cannot determine the answer, and the lines `mcomplete run` prints.
import {
  problemShape,
  syntheticFactors,
  syntheticProblem,
  type SyntheticFactors,
  type SyntheticProblem,
  type SyntheticSpec,
} from '../data/synthetic.ts';
import { rankWarning } from '../data/identifiable.ts';
import type { Observations } from '../data/observations.ts';
import { gemm, type Matrix } from '../linalg/matrix.ts';
import { getBackend, type Backend } from '../linalg/backend.ts';
import { ParamError, type ParamTable } from '../params.ts';
import {
  checkDense,
  DENSE_MAX_ENTRIES,
  measureFactors,
  measureMatrix,
  problemText,
  runWhole,
  type RunHooks,
  type RunMetrics,
  type SyntheticMethod,
} from './method.ts';

/** The rank a rank-given method is told; by default the true rank. */
export const GIVEN_RANK_PARAM = {
  type: 'int',
  min: 1,
  maxDoc: 'min(n, n2)',
  default: (r: Readonly<Record<string, unknown>>) => r.rank as number,
  defaultDoc: 'the true rank',
  doc: 'the rank the method is told',
} as const;

/** The settings every rank-given method has: the problem, its name and the rank it is told. */
export interface RankGivenSettings extends SyntheticSpec {
  method: string;
  givenRank: number;
  tol: number;
}

/** A rank-given method's result: the shared metrics plus its fit on Ω and, when the data cannot decide, a warning. */
export interface RankGivenRunResult<S extends RankGivenSettings = RankGivenSettings> extends RunMetrics {
  givenRank: number;
  /** ||P_Ω(UVᵀ) − b|| / ||b|| of the returned factors. */
  residual: number;
  /** GNMR and R2RILS: LSQR iterations over all outer iterations. */
  lsqrIterations?: number;
  /** Why the answer cannot be trusted even if it fits Ω (see rankGivenWarning); absent when none applies. */
  warning?: string;
  settings: S;
}

/** rankWarning for the rank a rank-given method was told (see data/identifiable.ts). */
export function rankGivenWarning(obs: Observations, rank: number): string | undefined {
  return rankWarning(obs, rank, 'given rank');
}

/** What every rank-given solver returns: the factors and its stopping facts (GNMR and R2RILS also their LSQR work). */
export interface RankGivenFit {
  U: Matrix;
  V: Matrix;
  iterations: number;
  seconds: number;
  stopReason: RankGivenRunResult['stopReason'];
  residual: number;
  lsqrIterations?: number;
}

/**
 * Build the problem of `spec`, fit it at spec.givenRank with `solve`, and measure U·Vᵀ against the truth. A
 * matrix-free method on a problem beyond DENSE_MAX_ENTRIES gets the problem in factor form and is measured from the
 * factors (nothing n₁×n₂ is formed; `onSolution` is not called); otherwise the truth and U·Vᵀ are dense.
 */
export function runRankGiven<S extends RankGivenSettings>(
  spec: S,
  hooks: RunHooks,
  solve: (observations: Observations, common: { rank: number; signal?: AbortSignal; backend: Backend }) => RankGivenFit,
  matrixFree = false,
): RankGivenRunResult<S> {
  checkGivenRank(spec);
  const [n1, n2] = problemShape(spec);
  const large = matrixFree && n1 * n2 > DENSE_MAX_ENTRIES;
  const problem = large ? syntheticFactors(spec, hooks.onMaskDraw) : syntheticProblem(spec, hooks.onMaskDraw);
  const warning = rankGivenWarning(problem.observations, spec.givenRank);
  const r = solve(problem.observations, { rank: spec.givenRank, signal: hooks.signal, backend: getBackend() });
  let metrics: ReturnType<typeof measureFactors>;
  if (large) metrics = measureFactors(r, problem as SyntheticFactors);
  else {
    const X = gemm(r.U, r.V, { transB: true });
    hooks.onSolution?.(X);
    metrics = measureMatrix(X, problem as SyntheticProblem);
  }
  return {
    ...metrics,
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

/** The given rank must be an integer in 1..min(n, n2) (a ParamError naming givenRank otherwise). */
export function checkGivenRank(spec: { givenRank: number; n: number; n2?: number }): void {
  const most = Math.min(spec.n, spec.n2 ?? spec.n);
  if (!Number.isInteger(spec.givenRank) || spec.givenRank < 1 || spec.givenRank > most) {
    throw new ParamError('givenRank', `givenRank must be an integer in 1..${most}, got ${spec.givenRank}`);
  }
}

/**
 * The checks of a rank-given run: the given rank, and, unless the method is matrix-free (GNMR, MatrixIRLS: sparse
 * spectral start, factored answer), a problem small enough for the dense n₁×n₂ matrices it forms (the spectral
 * start's SVD of P_Ω(M)/p, the truth, U·Vᵀ and its SVD in measureMatrix).
 */
export function checkRankGiven(spec: RankGivenSettings, matrixFree = false): void {
  checkGivenRank(spec);
  if (matrixFree) return;
  checkDense(
    spec,
    spec.method,
    'the rank-given runs take a dense spectral start; use --method gnmr or matrix-irls, or gradient --model factored',
  );
}

/** `mcomplete run`'s settings line of a rank-given run, with the method's own settings in `extra`. */
export function rankGivenSettingsLine(s: RankGivenSettings & { masks?: string }, extra = ''): string {
  return `${problemText(s)} method=${s.method} given-rank=${s.givenRank}${extra} tol=${s.tol}${s.masks ? ` masks=${s.masks}` : ''}`;
}

/** `mcomplete run`'s lines of a rank-given result: the fit on Ω, identifiability, the warning. */
export function rankGivenSummary(r: RankGivenRunResult): string[] {
  return [
    `residual on Ω        ${r.residual.toExponential(3)}${r.lsqrIterations === undefined ? '' : ` (${r.lsqrIterations} LSQR iterations)`}`,
    `identifiable        ${r.identifiable}`,
    ...(r.warning ? [`warning: ${r.warning}`] : []),
  ];
}

/** The stop rule every rank-given method shares, with its own default: the relative residual on Ω. */
export function residualTolParam(defaultValue: number) {
  return {
    type: 'number',
    min: 0,
    default: defaultValue,
    doc: 'stop when the relative residual on Ω is at most this',
  } as const;
}

/**
 * A rank-given method from what is its own: its name, description and parameters, the solver call on Ω at the given
 * rank, its cost and the settings it prints beyond the shared ones. The run, the checks of the given rank and the
 * printed result are the shared ones above.
 */
export function rankGivenMethod<S extends RankGivenSettings & { method: string }>(parts: {
  name: S['method'];
  description: string;
  params: ParamTable;
  solve: (
    observations: Observations,
    common: { rank: number; signal?: AbortSignal; backend: Backend },
    settings: S,
  ) => RankGivenFit;
  cost: (settings: S) => number;
  settingsText?: (settings: S) => string;
  /** Never forms an n₁×n₂ matrix (sparse start, factored answer): runs past DENSE_MAX_ENTRIES in factor form. */
  matrixFree?: boolean;
}): SyntheticMethod<S, RankGivenRunResult<S>> {
  return {
    name: parts.name as NonNullable<S['method']>,
    description: parts.description,
    params: parts.params,
    check: (settings) => checkRankGiven(settings, parts.matrixFree),
    start: (settings, hooks) =>
      runWhole(() =>
        runRankGiven(settings, hooks, (obs, common) => parts.solve(obs, common, settings), parts.matrixFree),
      ),
    cost: parts.cost,
    settingsLine: (s) => rankGivenSettingsLine(s, parts.settingsText?.(s) ?? ''),
    summary: rankGivenSummary,
  };
}
