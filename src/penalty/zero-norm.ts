/**
 * Below this Frobenius norm W is treated as zero: L∗/F is undefined at W = 0 (0/0), so there we return the value 1
 * (its infimum) and a zero gradient. Training starts away from 0, so this only guards against a collapsed W.
 */
export const RATIO_ZERO_NORM = 1e-300;

/** Whether ||W||_F = F counts as zero for L∗/F (F < RATIO_ZERO_NORM): the one guard of the dense and factored penalties. */
export function isZeroNorm(F: number): boolean {
  return F < RATIO_ZERO_NORM;
}
