// The penalties of the factored model W = A·B^T, exactly and without forming W (docs/design/math.md 3.3): thin QRs of A and B,
// then the SVD of the k×k core R_A·R_B^T on the workspace's Backend. The dense penalties of W itself are in index.ts.
import { zeros, type Matrix } from '../linalg/matrix.ts';
import { getBackend, type Backend } from '../linalg/backend.ts';
import { applyQ } from '../linalg/qr.ts';
import type { SvdWorkspace } from '../linalg/svd.ts';
import { spectralGradientCoefficients, spectralSums } from '../linalg/spectral.ts';
import { isZeroNorm } from './zero-norm.ts';
import { effectiveRankPenalty, nuclearOverSpectral } from './spectral-ratios.ts';

/** The penalties the factored model computes exactly (a subset of PenaltyName). */
export type FactoredPenaltyName = 'none' | 'nuclear' | 'ratio' | 'nuclear-spectral' | 'effective-rank';

/** Buffers for the exact spectrum and penalty gradients of A·B^T (one shape): nothing is allocated per step. */
export interface FactoredWorkspace {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** Householder QR of A (stored as A^T, k×m, with reflectors) and of B (k×n). */
  readonly qa: Float64Array;
  readonly tauA: Float64Array;
  readonly qb: Float64Array;
  readonly tauB: Float64Array;
  /** The k×k core R_A·R_B^T, and its SVD workspace on `backend` (which owns it). */
  readonly core: Matrix;
  readonly backend: Backend;
  readonly coreSvd: SvdWorkspace;
  /** k×k scratch products and a column buffer of length max(m, n). */
  readonly kA: Matrix;
  readonly kB: Matrix;
  readonly coef: Float64Array;
  readonly col: Float64Array;
  /** k×k scratch of the gemm expansion (addQTimes): R⁻¹ and R⁻¹·K. */
  readonly rInv: Matrix;
  readonly solved: Matrix;
  /** Expansions of the last gradient calls done by gemm and by the reflectors (the conditioning fallback). */
  readonly expansions: { gemm: number; reflectors: number };
}

/** A workspace for m×n models of rank k, its core SVDs on `backend` (default getBackend()): about 2(m+n)k + 7k² doubles. */
export function createFactoredWorkspace(
  m: number,
  n: number,
  k: number,
  backend: Backend = getBackend(),
): FactoredWorkspace {
  checkFactoredShape(m, n, k);
  return {
    m,
    n,
    k,
    qa: new Float64Array(k * m),
    tauA: new Float64Array(k),
    qb: new Float64Array(k * n),
    tauB: new Float64Array(k),
    core: zeros(k, k),
    backend,
    coreSvd: backend.createSvdWorkspace(k, k),
    kA: zeros(k, k),
    kB: zeros(k, k),
    coef: new Float64Array(k),
    col: new Float64Array(Math.max(m, n)),
    rInv: zeros(k, k),
    solved: zeros(k, k),
    expansions: { gemm: 0, reflectors: 0 },
  };
}

/** The SVD of W = A·B^T in factored form: W = (Q_A·Uc) diag(s) (Q_B·Vc)^T; Uc, Vc are k×k views into the workspace. */
export interface FactoredSpectrum {
  readonly s: Float64Array;
  readonly Uc: Matrix;
  readonly Vc: Matrix;
}

/**
 * The exact singular values of W = A·B^T without forming W: thin QRs A = Q_A R_A, B = Q_B R_B (Householder), then
 * the SVD of the k×k core R_A R_B^T = Uc diag(s) Vc^T, so W = Q_A Uc diag(s) Vc^T Q_B^T. The QR factors stay in
 * `ws` for factoredPenalty and expandLeft/expandRight. Cost ~2(m+n)k² + O(k³) flops.
 */
export function factoredSpectrum(
  A: Matrix,
  B: Matrix,
  ws: FactoredWorkspace,
  opts?: { warmStart?: boolean },
): FactoredSpectrum {
  const { m, n, k } = ws;
  if (A.rows !== m || A.cols !== k || B.rows !== n || B.cols !== k) {
    throw new RangeError(
      `factoredSpectrum: A is ${A.rows}×${A.cols}, B is ${B.rows}×${B.cols}; workspace is for ${m}×${k} and ${n}×${k}`,
    );
  }
  loadTransposed(A, ws.qa);
  ws.backend.householderQr(ws.qa, k, m, ws.tauA);
  loadTransposed(B, ws.qb);
  ws.backend.householderQr(ws.qb, k, n, ws.tauB);
  // core[i][l] = Σ_p R_A[i][p] R_B[l][p], R[j][c] = q[c·len + j] for j <= c.
  const c = ws.core.data;
  const qa = ws.qa;
  const qb = ws.qb;
  for (let i = 0; i < k; i++) {
    for (let l = 0; l < k; l++) {
      let s = 0;
      for (let p = Math.max(i, l); p < k; p++) s += qa[p * m + i] * qb[p * n + l];
      c[i * k + l] = s;
    }
  }
  const { U, s, V } = ws.backend.svdInto(ws.core, ws.coreSvd, { warmStart: opts?.warmStart ?? false });
  return { s, Uc: U, Vc: V };
}

/**
 * R(A·B^T) for R = none, nuclear (Σ s_i), ratio (L∗/F = Σ s_i / sqrt(Σ s_i²)), nuclear-spectral (Σ s_i / s_1) or
 * effective-rank (exp(−Σ p_i log p_i), p = s/Σ s), computed exactly from factoredSpectrum, and, when gradA/gradB
 * are given, gradA += scale·∇_W R·B and gradB += scale·∇_W R^T·A (see factoredPenalties for the formulas and cost).
 */
export function factoredPenalty(
  name: FactoredPenaltyName,
  A: Matrix,
  B: Matrix,
  ws: FactoredWorkspace,
  opts: { gradA?: Matrix; gradB?: Matrix; scale?: number; warmStart?: boolean } = {},
): number {
  if (name === 'none') return 0;
  const key = FACTORED_WEIGHT_KEYS[name];
  if (key === undefined) {
    throw new RangeError(
      `factored model: unknown penalty '${name as string}' (allowed: none, ${Object.keys(FACTORED_WEIGHT_KEYS).join(', ')})`,
    );
  }
  const scale = opts.scale ?? 1;
  const value = factoredPenalties({ [key]: scale }, A, B, ws, opts);
  return scale === 0 ? 0 : value / scale;
}

/** Weights of the penalties on W = A·B^T: λ_ratio·L∗/F(W) + λ_nuclear·||W||_* + λ_ns·N/s_1 + λ_er·erank(W). */
export interface PenaltyWeights {
  ratio?: number;
  nuclear?: number;
  /** λ of ||W||_* / ||W||_2 (nuclearOverSpectral). */
  nuclearSpectral?: number;
  /** λ of the effective rank (effectiveRankPenalty). */
  effectiveRank?: number;
}

/** The weight of PenaltyWeights that each penalty name other than none sets. */
export const FACTORED_WEIGHT_KEYS: Readonly<Record<Exclude<FactoredPenaltyName, 'none'>, keyof PenaltyWeights>> = {
  nuclear: 'nuclear',
  ratio: 'ratio',
  'nuclear-spectral': 'nuclearSpectral',
  'effective-rank': 'effectiveRank',
};

/**
 * The weighted penalty P(W) = λ_r·N/F + λ_n·N (+ λ_ns·N/s_1 + λ_er·erank) of W = A·B^T (N = Σ s_i = ||W||_*,
 * F = sqrt(Σ s_i²) = ||W||_F), exact from factoredSpectrum, and, when gradA/gradB are given, gradA += ∇_W P·B and
 * gradB += ∇_W P^T·A (docs/design/math.md 3.3). With ∇_W P = U diag(c) V^T, c_i = λ_r(1 − N s_i/F²)/F + λ_n (0
 * where s_i = 0), plus the coefficients of nuclearOverSpectral and effectiveRankPenalty (spectral-ratios.ts):
 *   ∇_W P·B = Q_A Uc diag(c) Vc^T R_B,   ∇_W P^T·A = Q_B Vc diag(c) Uc^T R_A,
 * since Q_B^T B = R_B and Q_A^T A = R_A. Cost ~6(m+n)k² + O(k³) flops.
 * Where W counts as zero (isZeroNorm) L∗/F is undefined (0/0): it counts as 1 with zero gradient.
 */
export function factoredPenalties(
  weights: PenaltyWeights,
  A: Matrix,
  B: Matrix,
  ws: FactoredWorkspace,
  opts: { gradA?: Matrix; gradB?: Matrix; warmStart?: boolean } = {},
): number {
  const lr = weights.ratio ?? 0;
  const ln = weights.nuclear ?? 0;
  const lns = weights.nuclearSpectral ?? 0;
  const ler = weights.effectiveRank ?? 0;
  if (lr === 0 && ln === 0 && lns === 0 && ler === 0) return 0;
  const { s, Uc, Vc } = factoredSpectrum(A, B, ws, { warmStart: opts.warmStart });
  const { N, F2 } = spectralSums(s);
  const F = Math.sqrt(F2);
  const ratioOn = lr !== 0 && !isZeroNorm(F);
  let value = (ratioOn ? lr * (N / F) : lr) + ln * N;
  const { gradA, gradB } = opts;
  const grads = gradA !== undefined || gradB !== undefined;
  const coef = ws.coef;
  if (grads) spectralGradientCoefficients(s, N, F2, ratioOn ? lr : 0, ln, coef);
  // The ratios of spectral-ratios.ts add their coefficients to coef (only when weighted: L∗/F's bits stay as they were).
  if (lns !== 0) value += lns * nuclearOverSpectral(s, lns, grads ? coef : null);
  if (ler !== 0) value += ler * effectiveRankPenalty(s, ler, grads ? coef : null);
  if (grads) {
    if (gradA) {
      // kA = Uc diag(c) Vc^T R_B, then gradA += Q_A kA.
      coreProduct(Uc, coef, Vc, ws.qb, ws.n, ws.k, ws.kA);
      addQTimes(A, ws.qa, ws.tauA, ws.m, ws.kA, gradA, ws);
    }
    if (gradB) {
      coreProduct(Vc, coef, Uc, ws.qa, ws.m, ws.k, ws.kB);
      addQTimes(B, ws.qb, ws.tauB, ws.n, ws.kB, gradB, ws);
    }
  }
  return value;
}

/**
 * out = X diag(c) Y^T R, with R the upper-triangular factor held in q (stored as R[j][col] = q[col·len + j]).
 * All k×k. Cost ~2k³ flops.
 */
function coreProduct(
  X: Matrix,
  c: Float64Array,
  Y: Matrix,
  q: Float64Array,
  len: number,
  k: number,
  out: Matrix,
): void {
  const x = X.data;
  const y = Y.data;
  const o = out.data;
  // T = X diag(c) Y^T into out, then multiply by R in place row by row (backwards over columns, since R is upper).
  for (let i = 0; i < k; i++) {
    for (let l = 0; l < k; l++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += x[i * k + p] * c[p] * y[l * k + p];
      o[i * k + l] = s;
    }
  }
  for (let i = 0; i < k; i++) {
    const row = i * k;
    for (let col = k - 1; col >= 0; col--) {
      let s = 0;
      for (let j = 0; j <= col; j++) s += o[row + j] * q[col * len + j];
      o[row + col] = s;
    }
  }
}

/**
 * The largest κ_F(R) = ||R||_F·||R⁻¹||_F for which addQTimes expands by gemm. Q_A = A·R_A⁻¹ computed that way has
 * error about eps·κ(A) (Householder QR is backward stable: A + ΔA = Q R with ||ΔA|| ~ eps||A||, so
 * A R⁻¹ − Q = −ΔA R⁻¹); at 1e6 that is ~1e-10, far below what a gradient step needs. Above it: the reflectors.
 */
export const GEMM_EXPANSION_MAX_CONDITION = 1e6;

/**
 * out (len×k) += Q·K with Q = X·R⁻¹ the thin Q factor of X (R from householderQrRows in q): by one gemm
 * out += X·(R⁻¹K) when R is well conditioned (κ_F(R) <= GEMM_EXPANSION_MAX_CONDITION), else by the reflectors
 * (addExpanded). Why: applying k reflectors to k columns is ~4·len·k² flops of vector loops, 40% of a rank-20
 * MovieLens step; the gemm is ~2·len·k² at BLAS speed. Cost ~2·len·k² + O(k³) flops.
 */
function addQTimes(
  X: Matrix,
  q: Float64Array,
  tau: Float64Array,
  len: number,
  K: Matrix,
  out: Matrix,
  ws: FactoredWorkspace,
): void {
  const k = ws.k;
  if (!invertTriangular(q, len, k, ws.rInv)) {
    ws.expansions.reflectors++;
    addExpanded(q, tau, len, k, K, out, ws.col);
    return;
  }
  ws.expansions.gemm++;
  ws.backend.gemm(ws.rInv, K, { out: ws.solved });
  ws.backend.gemm(X, ws.solved, { beta: 1, out });
}

/**
 * rInv = R⁻¹ for the k×k upper-triangular R held in q (R[j][c] = q[c·len + j]), by back substitution; false (and
 * rInv unusable) when R is singular or κ_F(R) = ||R||_F·||R⁻¹||_F exceeds GEMM_EXPANSION_MAX_CONDITION. Cost ~k³/3.
 */
function invertTriangular(q: Float64Array, len: number, k: number, rInv: Matrix): boolean {
  const x = rInv.data;
  x.fill(0);
  let normR = 0;
  for (let c = 0; c < k; c++) for (let j = 0; j <= c; j++) normR += q[c * len + j] ** 2;
  // Column c of R⁻¹ solves R x = e_c: x_c = 1/R_cc, x_i = −(Σ_{p=i+1..c} R_ip x_p)/R_ii for i < c.
  for (let c = 0; c < k; c++) {
    for (let i = c; i >= 0; i--) {
      let acc = i === c ? 1 : 0;
      for (let p = i + 1; p <= c; p++) acc -= q[p * len + i] * x[p * k + c];
      x[i * k + c] = acc / q[i * len + i];
    }
  }
  let normInv = 0;
  for (let t = 0; t < k * k; t++) normInv += x[t] * x[t];
  const kappa = Math.sqrt(normR * normInv);
  return Number.isFinite(kappa) && kappa <= GEMM_EXPANSION_MAX_CONDITION;
}

/** out (len×k, row-major) += Q·[K; 0], Q = H_0⋯H_{k−1} from householderQrRows in q. Cost ~4·len·k² flops. */
function addExpanded(
  q: Float64Array,
  tau: Float64Array,
  len: number,
  k: number,
  K: Matrix,
  out: Matrix,
  col: Float64Array,
): void {
  const o = out.data;
  for (let c = 0; c < k; c++) {
    for (let j = 0; j < k; j++) col[j] = K.data[j * k + c];
    col.fill(0, k, len);
    applyQ(q, len, k, tau, col, 0);
    for (let i = 0; i < len; i++) o[i * k + c] += col[i];
  }
}

/**
 * The left singular vectors U = Q_A·Uc (m×k) of the last factoredSpectrum call on ws, as a new matrix.
 * Cost ~4mk² flops.
 */
export function expandLeft(ws: FactoredWorkspace, Uc: Matrix): Matrix {
  const out = zeros(ws.m, ws.k);
  addExpanded(ws.qa, ws.tauA, ws.m, ws.k, Uc, out, ws.col);
  return out;
}

/** The right singular vectors V = Q_B·Vc (n×k) of the last factoredSpectrum call on ws, as a new matrix. Cost ~4nk². */
export function expandRight(ws: FactoredWorkspace, Vc: Matrix): Matrix {
  const out = zeros(ws.n, ws.k);
  addExpanded(ws.qb, ws.tauB, ws.n, ws.k, Vc, out, ws.col);
  return out;
}

/** dst (k×len) = X^T for X len×k row-major: the "column rows" layout householderQrRows factors. Cost O(len·k). */
function loadTransposed(X: Matrix, dst: Float64Array): void {
  const { rows: len, cols: k, data: x } = X;
  for (let i = 0; i < len; i++) {
    const xi = i * k;
    for (let c = 0; c < k; c++) dst[c * len + i] = x[xi + c];
  }
}

/** Throws unless m, n are positive integers and the rank k is an integer in 1..min(m, n). */
export function checkFactoredShape(m: number, n: number, k: number): void {
  if (!Number.isInteger(m) || !Number.isInteger(n) || m < 1 || n < 1) {
    throw new RangeError(`factored model: shape must be positive integers, got ${m}×${n}`);
  }
  if (!Number.isInteger(k) || k < 1 || k > Math.min(m, n)) {
    throw new RangeError(`factored model: rank must be an integer in 1..${Math.min(m, n)} (min(m, n)), got ${k}`);
  }
}
