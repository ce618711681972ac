// ScaledGD (Tong, Ma & Chi 2021) as a synthetic method: preconditioned gradient descent on the factors, told the rank.
import { scaledGd } from '../solver/scaled-gd.ts';
import type { SyntheticSpec } from '../data/synthetic.ts';
import { SCALED_GD_DEFAULTS } from '../defaults.ts';
import type { ParamTable, ParamValues } from '../params.ts';
import { denseSvdCost } from './method.ts';
import { GIVEN_RANK_PARAM, rankGivenMethod, residualTolParam } from './rank-given.ts';

/** ScaledGD's parameters. */
export const SCALED_GD_PARAMS = {
  givenRank: GIVEN_RANK_PARAM,
  stepSize: {
    type: 'number',
    min: 0,
    minExclusive: true,
    default: SCALED_GD_DEFAULTS.stepSize,
    doc: 'step size η (their analysis allows ≤ 2/3)',
  },
  maxIters: { type: 'int', min: 1, default: SCALED_GD_DEFAULTS.maxIters, doc: 'iteration cap' },
  tol: residualTolParam(SCALED_GD_DEFAULTS.tol),
} as const satisfies ParamTable;

/** A synthetic problem solved by ScaledGD at a given rank. */
export type ScaledGdRunSpec = SyntheticSpec & { method: 'scaled-gd' } & ParamValues<typeof SCALED_GD_PARAMS>;

/** `--method scaled-gd`. */
export const scaledGdMethod = rankGivenMethod<ScaledGdRunSpec>({
  name: 'scaled-gd',
  description: 'ScaledGD (Tong, Ma & Chi 2021): preconditioned gradient descent on the factors, told the rank',
  params: SCALED_GD_PARAMS,
  solve: (obs, common, s) => scaledGd(obs, { ...common, stepSize: s.stepSize, maxIters: s.maxIters, tol: s.tol }),
  // O(|Ω|·r) per iteration plus the spectral start.
  cost: (s) => 0.01 * s.maxIters * s.samples * s.givenRank + 10 * denseSvdCost(s),
  settingsText: (s) => ` step-size=${s.stepSize}`,
});
