// What the rank-given solvers (gnmr.ts, altmin.ts, scaled-gd.ts) and the polish share: factors U·Vᵀ, the spectral
// start, the product and the relative residual on Ω, the rank check and the r×r Gram matrix.
import { gemm, zeros, type Matrix } from '../linalg/matrix.ts';
import { qr } from '../linalg/qr.ts';
import { svd } from '../linalg/svd.ts';
import { getBackend, type Backend } from '../linalg/backend.ts';
import type { Observations } from '../data/observations.ts';

/** Factors of a rank-r matrix U·Vᵀ: U n₁×r, V n₂×r. */
export interface Factors {
  U: Matrix;
  V: Matrix;
}

/** A given rank must be an integer in 1..min(n₁, n₂). */
export function checkRank(rank: number, n1: number, n2: number): void {
  if (!Number.isInteger(rank) || rank < 1 || rank > Math.min(n1, n2)) {
    throw new RangeError(`given rank must be an integer in 1..${Math.min(n1, n2)}, got ${rank}`);
  }
}

/**
 * The spectral start of the rank-given methods: the rank-r truncated SVD of P_Ω(X)/p, p = |Ω|/(n₁n₂), split
 * evenly, U = U_r·√Σ_r and V = V_r·√Σ_r (balanced factors, UᵀU = VᵀV). One dense n₁×n₂ SVD on `backend`.
 */
export function spectralInit(obs: Observations, rank: number, backend: Backend = getBackend()): Factors {
  const [n1, n2] = obs.shape;
  checkRank(rank, n1, n2);
  const p = obs.values.length / (n1 * n2);
  const Y = zeros(n1, n2);
  for (let t = 0; t < obs.values.length; t++) Y.data[obs.rows[t] * n2 + obs.cols[t]] = obs.values[t] / p;
  const { U: Us, s, V: Vs } = backend.svdInto(Y, backend.createSvdWorkspace(n1, n2));
  return { U: scaledColumns(Us, s, rank), V: scaledColumns(Vs, s, rank) };
}

/** The first r columns of Q, column k times √s_k. */
function scaledColumns(Q: Matrix, s: Float64Array, r: number): Matrix {
  const out = zeros(Q.rows, r);
  for (let i = 0; i < Q.rows; i++)
    for (let k = 0; k < r; k++) out.data[i * r + k] = Q.data[i * Q.cols + k] * Math.sqrt(s[k]);
  return out;
}

/** (U·Vᵀ)_{ij} for every observed (i, j), into `out`. Cost O(|Ω|·r). */
export function sampledProduct(
  U: Matrix,
  V: Matrix,
  obs: Observations,
  out = new Float64Array(obs.values.length),
): Float64Array {
  const r = U.cols;
  const u = U.data;
  const v = V.data;
  for (let t = 0; t < out.length; t++) {
    const a = obs.rows[t] * r;
    const b = obs.cols[t] * r;
    let s = 0;
    for (let k = 0; k < r; k++) s += u[a + k] * v[b + k];
    out[t] = s;
  }
  return out;
}

/** ||P_Ω(UVᵀ) − b|| / ||b|| (0 when b = 0 and the fit is exact). */
export function relativeResidual(U: Matrix, V: Matrix, obs: Observations): number {
  const fit = sampledProduct(U, V, obs);
  let num = 0;
  let den = 0;
  for (let t = 0; t < fit.length; t++) {
    num += (fit[t] - obs.values[t]) ** 2;
    den += obs.values[t] ** 2;
  }
  return den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
}

/** XᵀX of an n×r matrix, r×r row-major. */
export function gram(X: Matrix): Float64Array {
  const r = X.cols;
  const G = new Float64Array(r * r);
  for (let i = 0; i < X.rows; i++) {
    for (let a = 0; a < r; a++) {
      const xa = X.data[i * r + a];
      for (let b = 0; b < r; b++) G[a * r + b] += xa * X.data[i * r + b];
    }
  }
  return G;
}

/** A thin SVD W = U diag(s) Vᵀ with its singular values largest first (U n₁×k, V n₂×k). */
export interface ThinSvd {
  U: Matrix;
  s: ArrayLike<number>;
  V: Matrix;
}

/** The thin SVD of A·Bᵀ (A n₁×k, B n₂×k) from QRs of the factors and the SVD of the k×k core. Cost O((n₁+n₂)k² + k³). */
export function factorPairSvd(A: Matrix, B: Matrix): ThinSvd {
  const qa = qr(A);
  const qb = qr(B);
  const core = svd(gemm(qa.R, qb.R, { transB: true }));
  return { U: gemm(qa.Q, core.U), s: core.s, V: gemm(qb.Q, core.V) };
}

/** Balanced factors U_r √Σ_r, V_r √Σ_r of the rank-r truncation of a thin SVD. */
export function truncatedFactors(w: ThinSvd, r: number): Factors {
  const take = (Q: Matrix): Matrix => {
    const out = zeros(Q.rows, r);
    for (let i = 0; i < Q.rows; i++)
      for (let k = 0; k < r; k++) out.data[i * r + k] = Q.data[i * Q.cols + k] * Math.sqrt(w.s[k]);
    return out;
  };
  return { U: take(w.U), V: take(w.V) };
}
