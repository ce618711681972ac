// GNMR (Zilber & Nadler 2022) as a synthetic method: Gauss–Newton on the factors, told the rank (src/solver/gnmr.ts).
import { gnmr, GNMR_VARIANTS, type GnmrVariant } from '../solver/gnmr.ts';
import type { SyntheticSpec } from '../data/synthetic.ts';
import { GNMR_DEFAULTS } from '../defaults.ts';
import type { ParamTable, ParamValues } from '../params.ts';
import { GIVEN_RANK_PARAM, rankGivenMethod, residualTolParam } from './rank-given.ts';

/** GNMR's parameters. */
export const GNMR_PARAMS = {
  givenRank: GIVEN_RANK_PARAM,
  variant: {
    type: 'choice',
    choices: Object.keys(GNMR_VARIANTS) as GnmrVariant[],
    default: GNMR_DEFAULTS.variant as GnmrVariant,
    doc: 'GNMR variant: α = 1, 0, −1 (docs/design/math.md 3.5b)',
  },
  maxIters: { type: 'int', min: 1, default: GNMR_DEFAULTS.maxIters, doc: 'outer iteration cap' },
  tol: residualTolParam(GNMR_DEFAULTS.tol),
  lsqrMaxIters: {
    type: 'int',
    min: 1,
    default: GNMR_DEFAULTS.lsqrMaxIters,
    doc: "LSQR iterations per outer iteration (the authors' cap)",
  },
} as const satisfies ParamTable;

/** A synthetic problem solved by GNMR at a given rank. */
export type GnmrRunSpec = SyntheticSpec & { method: 'gnmr' } & ParamValues<typeof GNMR_PARAMS>;

/** `--method gnmr`. */
export const gnmrMethod = rankGivenMethod<GnmrRunSpec>({
  name: 'gnmr',
  description: 'GNMR (Gauss–Newton on the factors, told the rank: --given-rank, default the true rank)',
  params: GNMR_PARAMS,
  solve: (obs, common, s) =>
    gnmr(obs, {
      ...common,
      variant: s.variant,
      maxIters: s.maxIters,
      tol: s.tol,
      lsqrMaxIters: s.lsqrMaxIters,
    }),
  // Up to maxIters·lsqrMaxIters LSQR steps of O(|Ω|·r) each; it usually stops well before.
  cost: (s) => 20 * s.samples * s.givenRank * s.lsqrMaxIters,
  matrixFree: true,
  settingsText: (s) => ` variant=${s.variant}`,
});
