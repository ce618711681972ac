/**
 * Below this Frobenius norm W is treated as zero: L∗/F is undefined at W = 0 (0/0), so there we return the value 1
 * (its infimum) and a zero gradient. Training starts away from 0, so this only guards against a collapsed W. The
 * other scale-invariant penalties (nuclear-spectral, effective-rank) apply the same guard to s_1 = ||W||_2.
 */
export const RATIO_ZERO_NORM = 1e-300;

/** Whether a norm of W (F for L∗/F, s_1 for the others) counts as zero (< RATIO_ZERO_NORM): the one guard of the dense and factored penalties. */
export function isZeroNorm(F: number): boolean {
  return F < RATIO_ZERO_NORM;
}
