import { zeros, type Matrix } from '../linalg/matrix.ts';
import { getBackend, type Backend } from '../linalg/backend.ts';
import type { SVD } from '../linalg/svd.ts';
import { spectralGradientCoefficients, spectralSums } from '../linalg/spectral.ts';
import { isZeroNorm } from './zero-norm.ts';
import { effectiveRankPenalty, nuclearOverSpectral } from './spectral-ratios.ts';

export { isZeroNorm, RATIO_ZERO_NORM } from './zero-norm.ts';
export { effectiveRankPenalty, nuclearOverSpectral, SPECTRAL_RESOLUTION } from './spectral-ratios.ts';
export * from './factored.ts';

/** The penalties R(W) on the end-to-end matrix (docs/design/math.md 3.2). */
export type PenaltyName = 'none' | 'nuclear' | 'frobenius' | 'ratio' | 'nuclear-spectral' | 'effective-rank';

/** Every penalty name, for flag validation. */
export const PENALTY_NAMES: readonly PenaltyName[] = [
  'none',
  'nuclear',
  'frobenius',
  'ratio',
  'nuclear-spectral',
  'effective-rank',
];

/** Whether the penalty needs the SVD of W (all but none and frobenius do). */
export function penaltyNeedsSvd(name: PenaltyName): boolean {
  return name !== 'none' && name !== 'frobenius';
}

/** Scratch space for penalty gradients of m×n matrices: reuse it across steps to avoid allocation. */
export interface PenaltyWorkspace {
  readonly scaledU: Matrix;
  readonly coef: Float64Array;
}

/** A workspace for m×n matrices. */
export function createPenaltyWorkspace(m: number, n: number): PenaltyWorkspace {
  const k = Math.min(m, n);
  return { scaledU: zeros(m, k), coef: new Float64Array(k) };
}

/**
 * R(W) for the named penalty and, when `gradOut` is given, gradOut += gradScale·∇R(W). `svd` must be the thin SVD
 * of W when penaltyNeedsSvd(name). With W = U diag(s) V^T, N = Σ s_i, F = sqrt(Σ s_i²):
 *   none 0; frobenius F²/2 with ∇ = W; nuclear N with ∇ = U V^T (over s_i > 0);
 *   ratio N/F with ∇ = (1/F)·U diag(1 − N·s_i/F²) V^T  (= U V^T/F − (N/F³)·W);
 *   nuclear-spectral N/s_1 (nuclearOverSpectral); effective-rank exp(−Σ p_i log p_i), p = s/N (effectiveRankPenalty).
 * Cost: O(mn) for frobenius; one m×n×k product (2mnk flops, on `backend`, default getBackend()) for the others.
 */
export function penalty(
  name: PenaltyName,
  W: Matrix,
  svd: SVD | null,
  opts: { gradOut?: Matrix; gradScale?: number; workspace?: PenaltyWorkspace; backend?: Backend } = {},
): number {
  const { gradOut } = opts;
  const gradScale = opts.gradScale ?? 1;
  if (gradOut && (gradOut.rows !== W.rows || gradOut.cols !== W.cols)) {
    throw new RangeError(`penalty: gradient output is ${gradOut.rows}×${gradOut.cols}, W is ${W.rows}×${W.cols}`);
  }
  switch (name) {
    case 'none':
      return 0;
    case 'frobenius': {
      let ss = 0;
      const w = W.data;
      for (let i = 0; i < w.length; i++) ss += w[i] * w[i];
      if (gradOut) for (let i = 0; i < w.length; i++) gradOut.data[i] += gradScale * w[i];
      return ss / 2;
    }
    case 'nuclear':
    case 'ratio': {
      if (!svd) throw new Error(`penalty '${name}' needs the SVD of W`);
      const s = svd.s;
      const { N, F2 } = spectralSums(s);
      const F = Math.sqrt(F2);
      if (name === 'ratio' && isZeroNorm(F)) return 1;
      if (gradOut) {
        const ws = opts.workspace ?? createPenaltyWorkspace(W.rows, W.cols);
        const coef = ws.coef;
        if (name === 'nuclear') spectralGradientCoefficients(s, N, F2, 0, gradScale, coef);
        else spectralGradientCoefficients(s, N, F2, gradScale, 0, coef);
        addScaledProduct(svd.U, coef, svd.V, ws.scaledU, gradOut, opts.backend ?? getBackend());
      }
      return name === 'nuclear' ? N : N / F;
    }
    case 'nuclear-spectral':
    case 'effective-rank': {
      if (!svd) throw new Error(`penalty '${name}' needs the SVD of W`);
      const ws = gradOut ? (opts.workspace ?? createPenaltyWorkspace(W.rows, W.cols)) : null;
      ws?.coef.fill(0);
      const value = (name === 'nuclear-spectral' ? nuclearOverSpectral : effectiveRankPenalty)(
        svd.s,
        gradScale,
        ws ? ws.coef : null,
      );
      if (gradOut && ws) addScaledProduct(svd.U, ws.coef, svd.V, ws.scaledU, gradOut, opts.backend ?? getBackend());
      return value;
    }
    default:
      throw new RangeError(`unknown penalty '${name as string}' (allowed: ${PENALTY_NAMES.join(', ')})`);
  }
}

/** out += U diag(coef) V^T, using `scaledU` (same shape as U) as scratch. Cost 2mnk flops. */
function addScaledProduct(
  U: Matrix,
  coef: Float64Array,
  V: Matrix,
  scaledU: Matrix,
  out: Matrix,
  backend: Backend,
): void {
  const k = U.cols;
  const u = U.data;
  const su = scaledU.data;
  for (let i = 0; i < U.rows; i++) {
    const row = i * k;
    for (let c = 0; c < k; c++) su[row + c] = u[row + c] * coef[c];
  }
  backend.gemm(scaledU, V, { transB: true, beta: 1, out });
}
