// Alternating least squares as a synthetic method, told the rank (src/solver/altmin.ts).
import { altmin } from '../solver/altmin.ts';
import type { SyntheticSpec } from '../data/synthetic.ts';
import { ALTMIN_DEFAULTS } from '../defaults.ts';
import type { ParamTable, ParamValues } from '../params.ts';
import { denseSvdCost } from './method.ts';
import { GIVEN_RANK_PARAM, rankGivenMethod, residualTolParam } from './rank-given.ts';

/** Alternating least squares' parameters. */
export const ALTMIN_PARAMS = {
  givenRank: GIVEN_RANK_PARAM,
  maxIters: {
    type: 'int',
    min: 1,
    default: ALTMIN_DEFAULTS.maxIters,
    doc: 'sweep cap (linear convergence: more sweeps)',
  },
  tol: residualTolParam(ALTMIN_DEFAULTS.tol),
} as const satisfies ParamTable;

/** A synthetic problem solved by alternating least squares at a given rank. */
export type AltminRunSpec = SyntheticSpec & { method: 'altmin' } & ParamValues<typeof ALTMIN_PARAMS>;

/** `--method altmin`. */
export const altminMethod = rankGivenMethod<AltminRunSpec>({
  name: 'altmin',
  description: 'alternating least squares on the factors, told the rank (--given-rank, default the true rank)',
  params: ALTMIN_PARAMS,
  solve: (obs, common, s) => altmin(obs, { ...common, maxIters: s.maxIters, tol: s.tol }),
  // O(|Ω|·r²) per sweep plus the spectral start.
  cost: (s) => 0.01 * s.maxIters * s.samples * s.givenRank ** 2 + 10 * denseSvdCost(s),
});
