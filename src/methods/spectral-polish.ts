// The control of the rank-free pipeline: the same rank search and the same Gauss–Newton finish as `--polish`
// (solver/polish.ts, with the options of training's last look: any gap, then the greedy rank scan), started from the plain spectral estimate of
// P_Ω(X)/p instead of a trained W, with no L*/F and no Adam. Whatever the polished gradient run does beyond this
// method is what L*/F + Adam contribute (docs/design/math.md 3.5e). Nothing n×n is formed: the truth is kept as
// factors, the spectrum comes from sparse subspace iteration (linalg/sparse.ts), the errors from factor Gram sums.
import { syntheticFactors, type SyntheticSpec } from '../data/synthetic.ts';
import { FACTORED_RANK, POLISH_DEFAULTS } from '../defaults.ts';
import { sparseTopSvd } from '../linalg/sparse.ts';
import type { ParamTable, ParamValues } from '../params.ts';
import { truncatedFactors, type Factors } from '../solver/factors.ts';
import { polish, type PolishAttempt } from '../solver/polish.ts';
import { rankWarning } from '../data/identifiable.ts';
import { measureFactors, runWhole, problemText, type RunMetrics, type SyntheticMethod } from './method.ts';

/** The control's parameters. */
export const SPECTRAL_POLISH_PARAMS = {
  k: {
    type: 'int',
    min: 1,
    maxDoc: 'n',
    default: (r: Readonly<Record<string, unknown>>) => Math.min(FACTORED_RANK, r.n as number),
    defaultDoc: `min(${FACTORED_RANK}, n), the factored model's k`,
    doc: 'singular triplets of P_Ω(X)/p whose gaps give the candidate ranks',
  },
  maxIters: {
    type: 'int',
    min: 1,
    default: POLISH_DEFAULTS.maxIters,
    doc: "Gauss–Newton iterations per candidate rank (the polish's)",
  },
} as const satisfies ParamTable;

/** A synthetic problem solved by the control: spectral start, rank search, Gauss–Newton finish. */
export type SpectralPolishRunSpec = SyntheticSpec & { method: 'spectral-polish' } & ParamValues<
    typeof SPECTRAL_POLISH_PARAMS
  >;

/** The control's result: the shared metrics, the confirmed rank and every attempt. */
export interface SpectralPolishRunResult extends RunMetrics {
  /** The confirmed rank; null when none was. */
  estimatedRank: number | null;
  /** Gauss–Newton iterations over every attempt and the refinement. */
  polishIterations: number;
  attempts: PolishAttempt[];
  /** Iterations of the sparse SVD of P_Ω(X). */
  spectralIterations: number;
  warning?: string;
  settings: SpectralPolishRunSpec;
}

/** Run the control on the problem of `spec` (see the top of this file). */
export function runSpectralPolish(spec: SpectralPolishRunSpec): SpectralPolishRunResult {
  const start = performance.now();
  const problem = syntheticFactors(spec);
  const obs = problem.observations;
  const [n1, n2] = obs.shape;
  const k = Math.min(spec.k, n1 - 1, n2 - 1);
  if (k < 1) throw new RangeError(`spectral-polish needs n ≥ 2, got n = ${spec.n}`);
  // P_Ω(X)/p: its top singular triplets estimate X's (the scale makes the truncation a start for Gauss–Newton).
  const p = obs.values.length / (n1 * n2);
  const scaled = { ...obs, values: obs.values.map((v) => v / p) };
  const top = sparseTopSvd(scaled, k + 1, { seed: spec.seed });
  const out = polish(obs, top, {
    ...POLISH_DEFAULTS,
    maxIters: spec.maxIters,
    gapThreshold: 1,
    seed: spec.seed,
    scan: true,
  });
  const factors: Factors = out.accepted ? (out.factors as Factors) : truncatedFactors(top, k);
  const warning = out.accepted
    ? rankWarning(obs, out.rank as number, 'estimated rank')
    : 'spectral-polish: no candidate rank was confirmed; the result is the rank-k spectral estimate';
  return {
    ...measureFactors(factors, problem),
    iterations: out.iterations,
    seconds: (performance.now() - start) / 1000,
    stopReason: out.accepted ? 'polished' : 'stall',
    estimatedRank: out.accepted ? (out.rank as number) : null,
    polishIterations: out.iterations,
    attempts: out.attempts,
    spectralIterations: top.iterations,
    ...(warning === undefined ? {} : { warning }),
    settings: { ...spec },
  };
}

/** `--method spectral-polish`. */
export const spectralPolishMethod: SyntheticMethod<SpectralPolishRunSpec, SpectralPolishRunResult> = {
  name: 'spectral-polish',
  description:
    "the control: --polish's rank search and Gauss–Newton finish from the spectral start of P_Ω(X), no L*/F, no Adam",
  params: SPECTRAL_POLISH_PARAMS,
  start: (settings) => runWhole(() => runSpectralPolish(settings)),
  cost: (s) => 20 * s.samples * s.k * 2000,
  settingsLine: (s) => `${problemText(s)} method=spectral-polish k=${s.k}${s.masks ? ` masks=${s.masks}` : ''}`,
  summary: (r) => [
    `estimated rank       ${r.estimatedRank ?? 'none'} (${r.polishIterations} Gauss–Newton iterations, ${r.attempts.length} attempts)`,
    `identifiable        ${r.identifiable}`,
    ...(r.warning ? [`warning: ${r.warning}`] : []),
  ],
};
