// Spectral functions of a matrix W = U diag(s) V^T through its singular values: the sums behind ||W||_* and
// ||W||_F, and the gradient coefficients of the penalties built from them (docs/design/math.md 3.2). Shared by the dense
// penalties (src/penalty) and the factored model (src/model), which both hold a spectrum.

/** N = Σ s_i (the nuclear norm) and F² = Σ s_i² (the squared Frobenius norm) of a spectrum. Cost O(k). */
export function spectralSums(s: ArrayLike<number>): { N: number; F2: number } {
  let N = 0;
  let F2 = 0;
  for (let i = 0; i < s.length; i++) {
    N += s[i];
    F2 += s[i] * s[i];
  }
  return { N, F2 };
}

/**
 * The gradient of ratioWeight·N/F + nuclearWeight·N is U diag(c) V^T with
 * c_i = ratioWeight·(1 − N s_i/F²)/F + nuclearWeight (d(N/F)/ds_i = 1/F − N s_i/F³); c_i = 0 where s_i = 0
 * (the subgradient choice). Writes c into coef (length ≥ s.length). Pass ratioWeight 0 where F is 0.
 */
export function spectralGradientCoefficients(
  s: ArrayLike<number>,
  N: number,
  F2: number,
  ratioWeight: number,
  nuclearWeight: number,
  coef: Float64Array,
): void {
  const F = Math.sqrt(F2);
  for (let i = 0; i < s.length; i++) {
    if (s[i] <= 0) coef[i] = 0;
    else coef[i] = (ratioWeight !== 0 ? (ratioWeight * (1 - (N * s[i]) / F2)) / F : 0) + nuclearWeight;
  }
}
