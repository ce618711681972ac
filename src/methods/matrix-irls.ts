// MatrixIRLS (Kümmerle & Verdun 2021) as a synthetic method: IRLS on a smoothed log-det objective, told the rank
// (src/solver/matrix-irls.ts).
import { matrixIrls } from '../solver/matrix-irls.ts';
import type { SyntheticSpec } from '../data/synthetic.ts';
import { MATRIX_IRLS_DEFAULTS } from '../defaults.ts';
import type { ParamTable, ParamValues } from '../params.ts';
import { GIVEN_RANK_PARAM, rankGivenMethod, residualTolParam } from './rank-given.ts';

/** MatrixIRLS's parameters (defaults: the authors' settings for their benchmark). */
export const MATRIX_IRLS_PARAMS = {
  givenRank: GIVEN_RANK_PARAM,
  maxIters: { type: 'int', min: 1, default: MATRIX_IRLS_DEFAULTS.maxIters, doc: 'outer iteration cap' },
  tol: residualTolParam(MATRIX_IRLS_DEFAULTS.tol),
  changeTol: {
    type: 'number',
    min: 0,
    default: MATRIX_IRLS_DEFAULTS.changeTol,
    doc: 'stop when the iterate changes by at most this, relative (Frobenius norm)',
  },
  cgTol: {
    type: 'number',
    min: 0,
    default: MATRIX_IRLS_DEFAULTS.cgTol,
    doc: 'conjugate gradients: stop at this residual, relative to the first',
  },
  cgMaxIters: {
    type: 'int',
    min: 1,
    default: MATRIX_IRLS_DEFAULTS.cgMaxIters,
    doc: 'conjugate-gradient iterations per step, at most',
  },
} as const satisfies ParamTable;

/** A synthetic problem solved by MatrixIRLS at a given rank. */
export type MatrixIrlsRunSpec = SyntheticSpec & { method: 'matrix-irls' } & ParamValues<typeof MATRIX_IRLS_PARAMS>;

/** `--method matrix-irls`. */
export const matrixIrlsMethod = rankGivenMethod<MatrixIrlsRunSpec>({
  name: 'matrix-irls',
  description: 'MatrixIRLS (Kümmerle & Verdun 2021): reweighted least squares on a smoothed log-det, told the rank',
  params: MATRIX_IRLS_PARAMS,
  solve: (obs, common, s) =>
    matrixIrls(obs, {
      ...common,
      maxIters: s.maxIters,
      tol: s.tol,
      changeTol: s.changeTol,
      cgTol: s.cgTol,
      cgMaxIters: s.cgMaxIters,
    }),
  // About 30 iterations of about 150 conjugate-gradient steps of O(|Ω|·r) each.
  cost: (s) => 3e4 * s.samples * s.givenRank,
  matrixFree: true,
  settingsText: (s) => ` change-tol=${s.changeTol} cg-tol=${s.cgTol} cg-max-iters=${s.cgMaxIters}`,
});
