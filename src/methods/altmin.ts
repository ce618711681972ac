// Alternating least squares as a synthetic method, told the rank (src/solver/altmin.ts).
import { altmin } from '../solver/altmin.ts';
import type { SyntheticSpec } from '../data/synthetic.ts';
import { ALTMIN_DEFAULTS } from '../defaults.ts';
import type { ParamTable, ParamValues } from '../params.ts';
import { runWhole, type SyntheticMethod } from './method.ts';
import {
  checkGivenRank,
  GIVEN_RANK_PARAM,
  rankGivenSettingsLine,
  rankGivenSummary,
  runRankGiven,
  type RankGivenRunResult,
} from './rank-given.ts';

/** Alternating least squares' parameters. */
export const ALTMIN_PARAMS = {
  givenRank: GIVEN_RANK_PARAM,
  maxIters: {
    type: 'int',
    min: 1,
    default: ALTMIN_DEFAULTS.maxIters,
    doc: 'sweep cap (linear convergence: more sweeps)',
  },
  tol: {
    type: 'number',
    min: 0,
    default: ALTMIN_DEFAULTS.tol,
    doc: 'stop when the relative residual on Ω is at most this',
  },
} as const satisfies ParamTable;

/** A synthetic problem solved by alternating least squares at a given rank. */
export type AltminRunSpec = SyntheticSpec & { method: 'altmin' } & ParamValues<typeof ALTMIN_PARAMS>;

/** `--method altmin`. */
export const altminMethod: SyntheticMethod<AltminRunSpec, RankGivenRunResult<AltminRunSpec>> = {
  name: 'altmin',
  description: 'alternating least squares on the factors, told the rank (--given-rank, default the true rank)',
  params: ALTMIN_PARAMS,
  check: checkGivenRank,
  start: (settings, hooks) =>
    runWhole(() =>
      runRankGiven(settings, hooks, (obs, common) =>
        altmin(obs, { ...common, maxIters: settings.maxIters, tol: settings.tol }),
      ),
    ),
  // O(|Ω|·r²) per sweep plus the spectral start.
  cost: (s) => 0.01 * s.maxIters * s.samples * s.givenRank ** 2 + 10 * s.n ** 3,
  settingsLine: (s) => rankGivenSettingsLine(s),
  summary: rankGivenSummary,
};
