// docs/contributing.md, "Adding a penalty": the ratio of the nuclear to the spectral norm, N/s_1, checked the way
// its tests would: R(cW) = R(W), ⟨∇R, W⟩ = 0, and the gradient U diag(c) V^T against central finite differences.
// Run it with `node --import tsx examples/custom-penalty.ts`; it prints one JSON object. The library's own version,
// `--penalty nuclear-spectral`, is in src/penalty/spectral-ratios.ts (it also handles a tie at s_1).
import { fromRows, svd } from '../src/index.ts';
import { isZeroNorm } from '../src/penalty/zero-norm.ts';

/**
 * R(W) = ||W||_* / ||W||_2 = Σ s_i / s_1 (s descending), in [1, rank W], scale-invariant. Its gradient is
 * U diag(c) V^T with c_1 = 1/s_1 − N/s_1² and c_i = 1/s_1 for i > 1 (s_1 simple). Fills `coef` (length k) with
 * gradScale·c when given. R is 1 at W = 0 (its infimum, zero gradient), as L∗/F's guard does. Cost O(k).
 */
export function nuclearOverSpectral(s: Float64Array, gradScale: number, coef: Float64Array | null): number {
  let N = 0;
  for (let i = 0; i < s.length; i++) N += s[i];
  const s1 = s.length > 0 ? s[0] : 0;
  if (isZeroNorm(s1)) {
    coef?.fill(0);
    return 1;
  }
  if (coef) {
    for (let i = 0; i < s.length; i++) coef[i] = s[i] > 0 ? gradScale / s1 : 0;
    coef[0] = gradScale * (1 / s1 - N / (s1 * s1));
  }
  return N / s1;
}

// A fixed 8×6 matrix (a small LCG, seed 1), its value and gradient G = U diag(c) V^T.
let state = 1;
const next = () => ((state = (state * 48271) % 2147483647) / 2147483647) * 2 - 1;
const W = fromRows(Array.from({ length: 8 }, () => Array.from({ length: 6 }, next)));
const R = (data: Float64Array) => nuclearOverSpectral(svd({ rows: W.rows, cols: W.cols, data }).s, 1, null);
const { U, s, V } = svd(W);
const coef = new Float64Array(s.length);
const value = nuclearOverSpectral(s, 1, coef);
const G = new Float64Array(W.data.length);
for (let i = 0; i < W.rows; i++)
  for (let j = 0; j < W.cols; j++)
    for (let k = 0; k < s.length; k++) G[i * W.cols + j] += U.data[i * U.cols + k] * coef[k] * V.data[j * V.cols + k];

// Scale invariance and ⟨∇R, W⟩ = 0 (relative to ||∇R||·||W||).
const scaleGap = Math.max(...[1e-3, 0.5, 7, 1e3].map((c) => Math.abs(R(W.data.map((x) => c * x)) - value)));
const dot = (a: Float64Array, b: Float64Array) => a.reduce((acc, x, i) => acc + x * b[i], 0);
const cosine = Math.abs(dot(G, W.data)) / Math.sqrt(dot(G, G) * dot(W.data, W.data));

// Central differences in every coordinate: the largest gap to G, relative to G's largest entry.
const h = 1e-6;
let fdError = 0;
for (let e = 0; e < W.data.length; e++) {
  const plus = W.data.slice();
  const minus = W.data.slice();
  plus[e] += h;
  minus[e] -= h;
  fdError = Math.max(fdError, Math.abs((R(plus) - R(minus)) / (2 * h) - G[e]));
}
fdError /= Math.max(...G.map(Math.abs));

console.log(JSON.stringify({ value, rank: s.length, scaleGap, cosine, fdError }));
