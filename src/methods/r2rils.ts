// R2RILS (Bauch, Nadler & Zilber 2021) as a synthetic method: rank 2r iterative least squares, told the rank
// (src/solver/r2rils.ts).
import { r2rils } from '../solver/r2rils.ts';
import type { SyntheticSpec } from '../data/synthetic.ts';
import { R2RILS_DEFAULTS } from '../defaults.ts';
import type { ParamTable, ParamValues } from '../params.ts';
import { GIVEN_RANK_PARAM, rankGivenMethod, residualTolParam } from './rank-given.ts';

/** R2RILS's parameters. */
export const R2RILS_PARAMS = {
  givenRank: GIVEN_RANK_PARAM,
  maxIters: {
    type: 'int',
    min: 1,
    default: R2RILS_DEFAULTS.maxIters,
    doc: 'iteration cap (one least-squares solve each)',
  },
  tol: residualTolParam(R2RILS_DEFAULTS.tol),
  lsqrMaxIters: {
    type: 'int',
    min: 1,
    default: R2RILS_DEFAULTS.lsqrMaxIters,
    doc: 'LSQR iteration cap of each least-squares solve',
  },
} as const satisfies ParamTable;

/** A synthetic problem solved by R2RILS at a given rank. */
export type R2rilsRunSpec = SyntheticSpec & { method: 'r2rils' } & ParamValues<typeof R2RILS_PARAMS>;

/** `--method r2rils`. */
export const r2rilsMethod = rankGivenMethod<R2rilsRunSpec>({
  name: 'r2rils',
  description: 'R2RILS (rank 2r iterative least squares, told the rank: --given-rank, default the true rank)',
  params: R2RILS_PARAMS,
  solve: (obs, common, s) => r2rils(obs, { ...common, maxIters: s.maxIters, tol: s.tol, lsqrMaxIters: s.lsqrMaxIters }),
  // The spectral start's SVD plus O(|Ω|·r) LSQR steps, a few hundred per iteration.
  cost: (s) => 20 * s.n ** 3 + 100 * s.maxIters * s.samples * s.givenRank,
  settingsText: (s) => ` lsqr-max-iters=${s.lsqrMaxIters}`,
});
