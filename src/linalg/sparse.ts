// Kernels on a sparse matrix S given by its entries on Ω (rows[t], cols[t], values[t]): products with dense
// n×r factors, the residual of a low-rank U diag(d) Vᵀ on Ω, and the spectral norm by power iteration. None forms
// an m×n matrix; each costs O(|Ω|·r) (or O(|Ω|) per power step).
import { gemm, transpose, zeros, type Matrix } from './matrix.ts';
import { qr } from './qr.ts';
import { svd } from './svd.ts';
import type { SampledEntries } from './sampled.ts';
import { deriveRng, fillNormal } from '../random/index.ts';

/** The positions (rows[t], cols[t]) of a sparse matrix's entries; their values are given separately. */
export type SparsePattern = Pick<SampledEntries, 'rows' | 'cols'>;

/** A sparse m×n matrix: its entries on Ω and its shape (Observations is one). */
export interface SparseEntries extends SampledEntries {
  readonly shape: readonly [number, number];
}

/**
 * ||S||_2 of the sparse matrix S = P_Ω(M) (soft-impute's λ_max, the smallest λ whose solution is 0), by power
 * iteration on S^T S with sparse products (never an m×n matrix). Stops when the estimate changes by at most `changeTol` (relative).
 * Cost O(|Ω|) per iteration.
 */
export function sparseSpectralNorm(
  obs: SparseEntries,
  opts: { maxIters?: number; changeTol?: number; seed?: number } = {},
): number {
  const [m, n] = obs.shape;
  const { rows, cols, values } = obs;
  const x = fillNormal(deriveRng(opts.seed ?? 0, 'power-iteration'), new Float64Array(n));
  const y = new Float64Array(m);
  let est = 0;
  const maxIters = opts.maxIters ?? 300;
  const changeTol = opts.changeTol ?? 1e-7;
  for (let it = 0; it < maxIters; it++) {
    let nx = 0;
    for (let j = 0; j < n; j++) nx += x[j] * x[j];
    nx = Math.sqrt(nx);
    if (nx === 0) return 0;
    for (let j = 0; j < n; j++) x[j] /= nx;
    y.fill(0);
    for (let t = 0; t < values.length; t++) y[rows[t]] += values[t] * x[cols[t]];
    let ny = 0;
    for (let i = 0; i < m; i++) ny += y[i] * y[i];
    const next = Math.sqrt(ny);
    x.fill(0);
    for (let t = 0; t < values.length; t++) x[cols[t]] += values[t] * y[rows[t]];
    if (Math.abs(next - est) <= changeTol * next) return next;
    est = next;
  }
  return est;
}

/** S_t = M_t − (U diag(d) V^T)_{i_t j_t} on Ω. Cost 2|Ω|r flops. */
export function residualsOnOmega(obs: SampledEntries, U: Matrix, d: Float64Array, V: Matrix, S: Float64Array): void {
  const r = d.length;
  const u = U.data;
  const v = V.data;
  const { rows, cols, values } = obs;
  for (let t = 0; t < values.length; t++) {
    const ui = rows[t] * r;
    const vj = cols[t] * r;
    let z = 0;
    for (let c = 0; c < r; c++) z += u[ui + c] * d[c] * v[vj + c];
    S[t] = values[t] - z;
  }
}

/** out (n×r) = S^T·U for the sparse S on Ω. Cost 2|Ω|r flops. */
export function sparseTransposeTimes(obs: SparsePattern, S: Float64Array, U: Matrix, out: Matrix): void {
  const r = U.cols;
  const u = U.data;
  const o = out.data;
  o.fill(0);
  const { rows, cols } = obs;
  for (let t = 0; t < S.length; t++) {
    const ui = rows[t] * r;
    const oj = cols[t] * r;
    const st = S[t];
    for (let c = 0; c < r; c++) o[oj + c] += st * u[ui + c];
  }
}

/** out (m×r) = S·V for the sparse S on Ω. Cost 2|Ω|r flops. */
export function sparseTimes(obs: SparsePattern, S: Float64Array, V: Matrix, out: Matrix): void {
  const r = V.cols;
  const v = V.data;
  const o = out.data;
  o.fill(0);
  const { rows, cols } = obs;
  for (let t = 0; t < S.length; t++) {
    const oi = rows[t] * r;
    const vj = cols[t] * r;
    const st = S[t];
    for (let c = 0; c < r; c++) o[oi + c] += st * v[vj + c];
  }
}

/** Settings of sparseTopSvd. */
export interface SparseTopSvdOptions {
  /** Extra columns of the iterated block beyond k (speed of convergence: the rate is σ_{k+p+1}/σ_k per step). Default 10. */
  oversample?: number;
  /** Stop when every wanted pair has ||S vᵢ − σᵢ uᵢ|| ≤ tol·σ₁ (Sᵀuᵢ = σᵢvᵢ holds by construction). Default 1e-12. */
  tol?: number;
  /** Iteration cap (default 1000); the pairs reached so far are returned. */
  maxIters?: number;
  /** Seeds the random start block (default 0). */
  seed?: number;
}

/**
 * The top-k singular triplets of the sparse m×n matrix S = P_Ω(M), by block subspace iteration with Rayleigh–Ritz
 * (Halko, Martinsson & Tropp 2011, algorithm 4.4 with the Ritz step of Saad's subspace iteration): never an m×n
 * matrix. Each step: Z R = qr(Sᵀ Q), the Ritz pairs from the SVD of the small Rᵀ, then Q = qr(S Z). Returns U (m×k),
 * s (k, largest first), V (n×k) and the iterations done. Cost per step O(|Ω|·b + (m + n)·b²), b = k + oversample.
 * Written here because no browser-safe package offers a sparse truncated SVD.
 */
export function sparseTopSvd(
  obs: SparseEntries,
  k: number,
  opts: SparseTopSvdOptions = {},
): { U: Matrix; s: Float64Array; V: Matrix; iterations: number } {
  const [m, n] = obs.shape;
  const b = Math.min(m, n, k + (opts.oversample ?? 10));
  const tol = opts.tol ?? 1e-12;
  const maxIters = opts.maxIters ?? 1000;
  const G: Matrix = {
    rows: n,
    cols: b,
    data: fillNormal(deriveRng(opts.seed ?? 0, 'sparse-top-svd'), new Float64Array(n * b)),
  };
  const SZ = zeros(m, b);
  const StQ = zeros(n, b);
  sparseTimes(obs, obs.values, G, SZ);
  let Q = qr(SZ).Q;
  let out = { U: zeros(m, k), s: new Float64Array(k), V: zeros(n, k), iterations: 0 };
  for (let it = 1; it <= maxIters; it++) {
    sparseTransposeTimes(obs, obs.values, Q, StQ);
    const { Q: Z, R } = qr(StQ);
    // Sᵀ Q = Z R, so Qᵀ S = Rᵀ Zᵀ; with Rᵀ = Ũ Σ Ṽᵀ the Ritz triplets are (Q Ũ, Σ, Z Ṽ).
    const core = svd(transpose(R));
    const Uk = gemm(Q, core.U);
    const Vk = gemm(Z, core.V);
    sparseTimes(obs, obs.values, Z, SZ);
    // S vᵢ − σᵢ uᵢ for the wanted pairs: (S Z) Ṽ − (Q Ũ) Σ.
    const SV = gemm(SZ, core.V);
    let worst = 0;
    for (let c = 0; c < k; c++) {
      let e = 0;
      for (let i = 0; i < m; i++) e += (SV.data[i * b + c] - core.s[c] * Uk.data[i * b + c]) ** 2;
      worst = Math.max(worst, Math.sqrt(e));
    }
    out = { U: firstColumns(Uk, k), s: core.s.slice(0, k), V: firstColumns(Vk, k), iterations: it };
    if (worst <= tol * core.s[0] || core.s[0] === 0) break;
    Q = qr(SZ).Q;
  }
  return out;
}

function firstColumns(A: Matrix, k: number): Matrix {
  const out = zeros(A.rows, k);
  for (let i = 0; i < A.rows; i++) for (let c = 0; c < k; c++) out.data[i * k + c] = A.data[i * A.cols + c];
  return out;
}
