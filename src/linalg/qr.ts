import { type Matrix, norm2, zeros } from './matrix.ts';

/*
 * Householder QR on "column rows": the matrix being factored, T (len×nc), is stored transposed as W (nc×len,
 * row-major), so every column of T is a contiguous row of W and all inner loops run over contiguous memory.
 *
 * After factorization with k = min(nc, len) reflectors:
 *   R[j][c] = W[c*len + j] for j <= c (j < k),
 *   reflector j is H_j = I - tau[j] v v^T with v[j] = 1 and v[i] = W[j*len + i] for i > j (zero above j),
 *   T·P = H_0 H_1 ... H_{k-1} [R; 0], where column c of T·P is column piv[c] of T (P = I without pivoting).
 */

/**
 * In-place Householder QR of the len×nc matrix T stored as W = T^T (nc rows of length len), optionally with column
 * pivoting (largest remaining column norm first; piv receives the permutation, partial and exact are scratch, all of
 * length nc). Cost ~2k²(max(len, nc) − k/3) flops, k = min(len, nc).
 */
export function householderQrRows(
  W: Float64Array,
  nc: number,
  len: number,
  tau: Float64Array,
  pivoting?: { piv: Int32Array; partial: Float64Array; exact: Float64Array },
): void {
  const k = Math.min(nc, len);
  let pn: Float64Array | undefined;
  let pnExact: Float64Array | undefined;
  let piv: Int32Array | undefined;
  if (pivoting) {
    ({ piv, partial: pn, exact: pnExact } = pivoting);
    for (let c = 0; c < nc; c++) {
      piv[c] = c;
      const v = norm2(W, c * len, len);
      pn[c] = v * v;
      pnExact[c] = pn[c];
    }
  }
  // Downdated partial norms lose accuracy once they shrink below sqrt(eps) of the last exact value: recompute.
  const RECOMPUTE = 1.4901161193847656e-8;
  for (let j = 0; j < k; j++) {
    if (pn && pnExact && piv) {
      let best = j;
      let bv = pn[j];
      for (let c = j + 1; c < nc; c++) {
        if (pn[c] > bv) {
          bv = pn[c];
          best = c;
        }
      }
      if (best !== j) {
        swapRows(W, len, j, best);
        let t = pn[j];
        pn[j] = pn[best];
        pn[best] = t;
        t = pnExact[j];
        pnExact[j] = pnExact[best];
        pnExact[best] = t;
        const ti = piv[j];
        piv[j] = piv[best];
        piv[best] = ti;
      }
    }
    const rj = j * len;
    tau[j] = makeReflector(W, rj + j, len - j);
    const tj = tau[j];
    for (let c = j + 1; c < nc; c++) {
      const rc = c * len;
      if (tj !== 0) {
        // w = v·x, x -= tau w v   (v[j] = 1 implicit)
        let w = W[rc + j];
        for (let i = j + 1; i < len; i++) w += W[rj + i] * W[rc + i];
        w *= tj;
        W[rc + j] -= w;
        for (let i = j + 1; i < len; i++) W[rc + i] -= w * W[rj + i];
      }
      if (pn && pnExact) {
        const r = W[rc + j];
        let v = pn[c] - r * r;
        if (v <= RECOMPUTE * pnExact[c]) {
          const e = j + 1 < len ? norm2(W, rc + j + 1, len - j - 1) : 0;
          v = e * e;
          pnExact[c] = v;
        }
        pn[c] = v;
      }
    }
  }
}

/** Smallest normal double divided by eps: below this, reciprocals of sums may overflow. */
const SAFE_MIN = 2 ** -1022 / 2 ** -53;
const INV_SAFE_MIN = 1 / SAFE_MIN;

/**
 * Turns x = W[off .. off+n) into a Householder reflector (LAPACK dlarfg convention): afterwards W[off] = beta and
 * W[off+1 ..] holds v[1..] with v[0] = 1, such that (I − tau v v^T) x = beta e_1. Returns tau (0 when x[1..] = 0).
 * Cost ~3n flops.
 */
export function makeReflector(W: Float64Array, off: number, n: number): number {
  if (n <= 1) return 0;
  let alpha = W[off];
  let xnorm = norm2(W, off + 1, n - 1);
  if (xnorm === 0) return 0;
  let beta = -Math.sign(alpha || 1) * Math.hypot(alpha, xnorm);
  // v = x/(alpha − beta) and tau are scale-invariant; scale tiny x up first so 1/(alpha − beta) cannot overflow.
  let rescaled = 0;
  while (Math.abs(beta) < SAFE_MIN && rescaled < 20) {
    for (let i = off + 1; i < off + n; i++) W[i] *= INV_SAFE_MIN;
    alpha *= INV_SAFE_MIN;
    beta *= INV_SAFE_MIN;
    rescaled++;
  }
  if (rescaled > 0) {
    xnorm = norm2(W, off + 1, n - 1);
    beta = -Math.sign(alpha || 1) * Math.hypot(alpha, xnorm);
  }
  const tau = (beta - alpha) / beta;
  const inv = 1 / (alpha - beta);
  for (let i = off + 1; i < off + n; i++) W[i] *= inv;
  for (let r = 0; r < rescaled; r++) beta *= SAFE_MIN;
  W[off] = beta;
  return tau;
}

/**
 * x ← Q x for Q = H_0 ⋯ H_{k−1} from householderQrRows (x has length len, offset xo). Cost ~4·len·k flops.
 */
export function applyQ(W: Float64Array, len: number, k: number, tau: Float64Array, x: Float64Array, xo = 0): void {
  for (let j = k - 1; j >= 0; j--) {
    const tj = tau[j];
    if (tj === 0) continue;
    const rj = j * len;
    let w = x[xo + j];
    for (let i = j + 1; i < len; i++) w += W[rj + i] * x[xo + i];
    w *= tj;
    x[xo + j] -= w;
    for (let i = j + 1; i < len; i++) x[xo + i] -= w * W[rj + i];
  }
}

/** Swaps rows a and b (each of length len) of a row-major buffer. */
function swapRows(W: Float64Array, len: number, a: number, b: number): void {
  const oa = a * len;
  const ob = b * len;
  for (let i = 0; i < len; i++) {
    const t = W[oa + i];
    W[oa + i] = W[ob + i];
    W[ob + i] = t;
  }
}

/**
 * Thin Householder QR: A (m×n) = Q R, Q m×k with orthonormal columns, R k×n upper triangular (exact zeros below the
 * diagonal), k = min(m,n). Cost ~2mn²−2n³/3 flops (m >= n; else 2nm²−2m³/3) plus ~2mk²−2k³/3 to form Q.
 */
export function qr(A: Matrix): { Q: Matrix; R: Matrix } {
  const m = A.rows;
  const n = A.cols;
  const k = Math.min(m, n);
  const a = A.data;
  // W = A^T: row c of W is column c of A.
  const W = new Float64Array(n * m);
  for (let i = 0; i < m; i++) {
    const ai = i * n;
    for (let c = 0; c < n; c++) W[c * m + i] = a[ai + c];
  }
  const tau = new Float64Array(k);
  householderQrRows(W, n, m, tau);

  const R = zeros(k, n);
  const r = R.data;
  for (let j = 0; j < k; j++) {
    for (let c = j; c < n; c++) r[j * n + c] = W[c * m + j];
  }

  // Q^T row c = Q e_c, accumulated backwards: only H_j with j <= c touch e_c, and H_j acts on entries >= j.
  const QT = new Float64Array(k * m);
  for (let c = 0; c < k; c++) QT[c * m + c] = 1;
  for (let j = k - 1; j >= 0; j--) {
    const tj = tau[j];
    if (tj === 0) continue;
    const rj = j * m;
    for (let c = j; c < k; c++) {
      const qc = c * m;
      let w = QT[qc + j];
      for (let i = j + 1; i < m; i++) w += W[rj + i] * QT[qc + i];
      w *= tj;
      QT[qc + j] -= w;
      for (let i = j + 1; i < m; i++) QT[qc + i] -= w * W[rj + i];
    }
  }
  const Q = zeros(m, k);
  const q = Q.data;
  for (let c = 0; c < k; c++) {
    const qc = c * m;
    for (let i = 0; i < m; i++) q[i * k + c] = QT[qc + i];
  }
  return { Q, R };
}
