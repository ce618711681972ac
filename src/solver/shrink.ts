import type { Matrix } from '../linalg/matrix.ts';
import type { SVD } from '../linalg/svd.ts';

/**
 * Singular value soft-thresholding D_τ(A) = U diag(max(s_i − τ, 0)) V^T (Cai, Candès & Shen 2010), written into
 * `out`, from the thin SVD of A; the prox of τ·||·||_*. With maxRank, only the leading maxRank terms are kept
 * (the prox of τ·||·||_* restricted to rank ≤ maxRank). `work` (≥ cols·k doubles) avoids an allocation.
 * Returns the number k of terms kept. Cost 2·m·n·k flops.
 */
export function shrinkInto(
  svd: SVD,
  tau: number,
  out: Matrix,
  opts: { maxRank?: number; work?: Float64Array } = {},
): number {
  const { U, s, V } = svd;
  const m = U.rows;
  const n = V.rows;
  const p = s.length;
  if (out.rows !== m || out.cols !== n)
    throw new RangeError(`shrinkInto: output is ${out.rows}×${out.cols}, expected ${m}×${n}`);
  if (!(tau >= 0)) throw new RangeError(`shrinkInto: threshold must be >= 0, got ${tau}`);
  const cap = Math.min(p, opts.maxRank ?? p);
  let k = 0;
  while (k < cap && s[k] > tau) k++;
  // Rows of W are d_c·v_c^T (contiguous), so out[i,:] = Σ_c U[i,c]·W[c,:] runs over contiguous memory.
  const W = opts.work && opts.work.length >= n * k ? opts.work : new Float64Array(n * k);
  const v = V.data;
  for (let c = 0; c < k; c++) {
    const d = s[c] - tau;
    for (let j = 0; j < n; j++) W[c * n + j] = d * v[j * p + c];
  }
  const u = U.data;
  const o = out.data;
  o.fill(0);
  for (let i = 0; i < m; i++) {
    const oi = i * n;
    for (let c = 0; c < k; c++) {
      const f = u[i * p + c];
      if (f === 0) continue;
      const wc = c * n;
      for (let j = 0; j < n; j++) o[oi + j] += f * W[wc + j];
    }
  }
  return k;
}
