// Scale-invariant spectral penalties beside L∗/F (docs/design/math.md 3.2): functions of the singular values s
// (descending) of W that give R(W) and add the coefficients c of ∇R = U diag(c) V^T. Shared by the dense penalties
// (index.ts) and the factored model (factored.ts), which both hold a spectrum.
import { isZeroNorm } from './zero-norm.ts';

/**
 * The resolution of a computed spectrum relative to s_1: an SVD gives each s_i to about eps·s_1 times a small
 * factor of the size, so singular values within this of s_1 count as tied with it, and those below it as zero.
 */
export const SPECTRAL_RESOLUTION = 1e-12;

/**
 * R(W) = ||W||_* / ||W||_2 = N/s_1, N = Σ s_i, in [1, rank W], scale-invariant; adds weight·c to coef (when
 * given) for ∇R = U diag(c) V^T: c_i = 1/s_1 − N/(p·s_1²) for the p singular values tied with s_1
 * (SPECTRAL_RESOLUTION), c_i = 1/s_1 for the other s_i > SPECTRAL_RESOLUTION·s_1 and 0 for those below (zero up
 * to rounding: 0 is the nuclear norm's least subgradient there, and their singular vectors are noise). With s_1
 * simple (p = 1) that is the gradient U V^T/s_1 − (N/s_1²)·u_1 v_1^T; at a tie R is not differentiable and this spreads the s_1 term evenly
 * over the tied directions (the mean of the tied choices, so ⟨∇R, W⟩ = 0 still holds). Where s_1 counts as zero
 * (isZeroNorm) R is 1, its infimum, with zero gradient, as L∗/F's guard does. Cost O(k).
 */
export function nuclearOverSpectral(s: ArrayLike<number>, weight: number, coef: Float64Array | null): number {
  const s1 = s.length > 0 ? s[0] : 0;
  if (isZeroNorm(s1)) return 1;
  let N = 0;
  let tied = 0;
  for (let i = 0; i < s.length; i++) {
    N += s[i];
    if (s1 - s[i] <= SPECTRAL_RESOLUTION * s1) tied++;
  }
  if (coef) {
    const top = 1 / s1 - N / (tied * s1 * s1);
    const floor = SPECTRAL_RESOLUTION * s1;
    for (let i = 0; i < s.length; i++) if (s[i] > floor) coef[i] += weight * (i < tied ? top : 1 / s1);
  }
  return N / s1;
}

/**
 * The effective rank of Roy & Vetterli (2007), R(W) = exp(H), H = −Σ p_i log p_i, p_i = s_i/N, N = Σ s_i: in
 * [1, rank W], scale-invariant (p is). Adds weight·c to coef (when given) for ∇R = U diag(c) V^T with
 * c_i = −R·(log p_i + H)/N (dH/ds_i = −(log p_i + H)/N), which needs no simple s_1: R is a smooth symmetric function
 * of s wherever every s_i > 0. As s_i → 0 its coefficient grows like log(1/s_i) (the derivative of −p log p is +∞
 * at 0), so a singular value at the level of the SVD's rounding would get a large push along a direction that is
 * noise: c_i is 0 for s_i <= SPECTRAL_RESOLUTION·s_1 (the nuclear norm's subgradient choice at 0); each such term
 * adds under 3e-11 to H. p_i log p_i counts 0 at p_i = 0. Where W counts as zero (isZeroNorm of s_1) R is 1 with zero
 * gradient, as L∗/F's guard does. Same value as the metric effectiveRank for W ≠ 0. Cost O(k) (k logarithms).
 */
export function effectiveRankPenalty(s: ArrayLike<number>, weight: number, coef: Float64Array | null): number {
  const s1 = s.length > 0 ? s[0] : 0;
  if (isZeroNorm(s1)) return 1;
  let N = 0;
  for (let i = 0; i < s.length; i++) N += s[i];
  let H = 0;
  for (let i = 0; i < s.length; i++) {
    const p = s[i] / N;
    if (p > 0) H -= p * Math.log(p);
  }
  const R = Math.exp(H);
  if (coef) {
    const floor = SPECTRAL_RESOLUTION * s1;
    for (let i = 0; i < s.length; i++) if (s[i] > floor) coef[i] += (weight * -R * (Math.log(s[i] / N) + H)) / N;
  }
  return R;
}
