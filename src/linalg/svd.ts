import { type Matrix, zeros } from './matrix.ts';
import { applyQ, householderQrRows } from './qr.ts';

/** Thin SVD result: A = U diag(s) V^T, U m×k and V n×k with orthonormal columns, s descending, >= 0, k = min(m,n). */
export interface SVD {
  U: Matrix;
  s: Float64Array;
  V: Matrix;
}

/** Preallocated buffers for repeated SVDs of same-shaped matrices (training loops): no allocation per call. */
export interface SvdWorkspace {
  readonly rows: number;
  readonly cols: number;
}

/*
 * Method: one-sided Jacobi (Hestenes). Let T be A when m >= n and A^T otherwise, so T is L×p with L >= p = k.
 * Working vectors b_1..b_p (columns of T times an orthogonal matrix) are stored as rows, each followed by its
 * accumulator row v_j, and plane rotations are applied to pairs of these rows until the b_j are mutually orthogonal.
 * Then b_j = σ_j u_j: the singular values are the norms, the left vectors the normalized b_j.
 *
 * Cold start (k >= 3): T·P = Q R with column pivoting, and Jacobi runs on R^T (b_j = row j of R, length k), as
 * proposed by Drmač & Veselić: R^T is closer to having orthogonal columns than T, so fewer sweeps are needed, and
 * each costs O(k³) instead of O(L k²). With R^T = Ux Σ Vx^T we get T = (Q Vx) Σ (P Ux)^T.
 * Warm start: b_j = T·v_j with v_j the previous right singular vectors; when L >= 2k, T = Q R first and b_j = R·v_j.
 */

const EPS = 2.220446049250313e-16;
/**
 * Rows with squared norm below this (after scaling max |a_ij| to about 1) count as zero: not rotated, and their
 * singular vector is completed to an orthonormal set. Keeps all dot products clear of underflow.
 */
const TINY_SQ = 1e-200;
const MAX_SWEEPS = 60;
/** Convergence threshold tol = TOL_FACTOR·eps·sqrt(Lb): a little above the rounding noise of a dot product. */
const TOL_FACTOR = 4;
const REORTH_EVERY = 8;

class SvdWorkspaceImpl implements SvdWorkspace {
  readonly rows: number;
  readonly cols: number;
  /** p = min(m,n) vectors of length L = max(m,n); wide: T = A^T. */
  readonly p: number;
  readonly L: number;
  readonly wide: boolean;
  /** Jacobi rows [b_j | v_j]: working vector b_j (length Lb <= L) then its rotation-accumulator row v_j (length p). */
  readonly X: Float64Array;
  /** Right singular vectors of T from the last call, rows sorted like s (warm start source). */
  readonly Vprev: Float64Array;
  /** Householder QR of T, stored as T^T (p×L) with the reflectors (see qr.ts). */
  readonly W: Float64Array;
  readonly tau: Float64Array;
  readonly piv: Int32Array;
  /** Column pivoting buffers for householderQrRows (permutation, partial and exact column norms). */
  readonly pivoting: { piv: Int32Array; partial: Float64Array; exact: Float64Array };
  readonly norms: Float64Array;
  readonly sRaw: Float64Array;
  readonly perm: Int32Array;
  readonly good: Uint8Array;
  readonly tmp: Float64Array;
  readonly result: SVD;
  hasPrev = false;
  /** Warm starts left before V_prev is re-orthonormalized again (0: at the next one). */
  untilReorth = 0;
  lastSweeps = 0;

  constructor(rows: number, cols: number) {
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
      throw new RangeError(`createSvdWorkspace: shape must be non-negative integers, got ${rows}×${cols}`);
    }
    this.rows = rows;
    this.cols = cols;
    const p = Math.min(rows, cols);
    const L = Math.max(rows, cols);
    this.p = p;
    this.L = L;
    this.wide = rows < cols;
    this.X = new Float64Array(p * (L + p));
    this.Vprev = new Float64Array(p * p);
    this.W = new Float64Array(p * L);
    this.tau = new Float64Array(p);
    this.piv = new Int32Array(p);
    this.pivoting = { piv: this.piv, partial: new Float64Array(p), exact: new Float64Array(p) };
    this.norms = new Float64Array(p);
    this.sRaw = new Float64Array(p);
    this.perm = new Int32Array(p);
    this.good = new Uint8Array(p);
    this.tmp = new Float64Array(L);
    this.result = { U: zeros(rows, p), s: new Float64Array(p), V: zeros(cols, p) };
  }
}

/** Allocates the buffers for svdInto on rows×cols matrices: ~2k·max(m,n) + 2k² + (m+n)k doubles, k = min(m,n). */
export function createSvdWorkspace(rows: number, cols: number): SvdWorkspace {
  return new SvdWorkspaceImpl(rows, cols);
}

/** Thin SVD of any m×n matrix (m<n, vectors, zero, rank-deficient too) by one-sided Jacobi: O(k²·max(m,n))/sweep. */
export function svd(A: Matrix): SVD {
  return svdInto(A, createSvdWorkspace(A.rows, A.cols));
}

/** Number of Jacobi sweeps the last svdInto call on ws needed (0 when there was nothing to rotate). Cost O(1). */
export function lastSweepCount(ws: SvdWorkspace): number {
  return asImpl(ws).lastSweeps;
}

function asImpl(ws: SvdWorkspace): SvdWorkspaceImpl {
  if (!(ws instanceof SvdWorkspaceImpl)) throw new TypeError('svdInto: workspace must come from createSvdWorkspace');
  return ws;
}

/**
 * Which singular vectors of T the Jacobi rows give. direct: b_j = column of T·V (length L), v_j = right vector.
 * transposedR (cold): Jacobi on R^T from T·P = Q R; left = Q·v_j, right = P·b_j/|b_j|.
 * reducedR (warm, tall): T = Q R, Jacobi on R·V_prev; left = Q·b_j/|b_j|, right = v_j.
 */
type Path = 'direct' | 'transposedR' | 'reducedR';

/** Options of svdInto. */
export interface SvdOptions {
  /** Start Jacobi from the previous call's right singular vectors (default false; ignored on the first call). */
  warmStart?: boolean;
  /**
   * Sweeps a warm start may take (default 60, the cap of a cold start) before the call starts over cold: a warm start can cost
   * time, never the result, which is then exactly the cold one.
   */
  warmSweeps?: number;
}

/**
 * SVD of A using ws's buffers; the returned U, s, V are views owned by ws, overwritten by the next call. With
 * warmStart, Jacobi starts from the previous right singular vectors, and falls back to a cold start when it has not
 * converged after warmSweeps sweeps. Cost O(k²·max(m,n)) per sweep (~5 sweeps warm).
 */
export function svdInto(A: Matrix, ws: SvdWorkspace, opts?: SvdOptions): SVD {
  const warmSweeps = opts?.warmSweeps ?? MAX_SWEEPS;
  if (!Number.isInteger(warmSweeps) || warmSweeps < 1)
    throw new RangeError(`svdInto: warmSweeps must be an integer >= 1, got ${warmSweeps}`);
  const w = asImpl(ws);
  const m = A.rows;
  const n = A.cols;
  if (m !== w.rows || n !== w.cols) {
    throw new RangeError(`svdInto: matrix is ${m}×${n} but the workspace is for ${w.rows}×${w.cols}`);
  }
  const { p, L, wide, X, Vprev, W, tau, result: out } = w;
  w.lastSweeps = 0;
  if (p === 0) return out;

  // Scale by a power of two (exact) so the largest |a_ij| lies in [0.5, 1) (or as near as a normal factor allows):
  // no overflow, no harmful underflow.
  const a = A.data;
  let maxAbs = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]);
    if (v > maxAbs) maxAbs = v;
    else if (!(v <= maxAbs)) throw new RangeError('svd: matrix has a NaN entry');
  }
  if (maxAbs === Infinity) throw new RangeError('svd: matrix has an infinite entry');
  const expo = maxAbs === 0 ? 0 : Math.min(1000, Math.max(-1000, Math.floor(Math.log2(maxAbs)) + 1));
  const sc = 2 ** -expo;

  const warm = (opts?.warmStart ?? false) && w.hasPrev && maxAbs !== 0;
  let path: Path;
  if (maxAbs === 0 || p < 3 || (warm && L < 2 * p)) path = 'direct';
  else path = warm ? 'reducedR' : 'transposedR';
  const Lb = path === 'direct' ? L : p;
  const st = Lb + p;
  // Re-orthonormalizing V_prev (2k³ flops) keeps T·V_prev·V_prev^T = T to working accuracy, so rounding cannot
  // build up over many warm-started calls and the result is as accurate as a cold start. A warm-started call
  // adds only ~eps to the departure from orthogonality, so doing it every REORTH_EVERY calls is enough.
  if (warm) {
    if (w.untilReorth === 0) {
      orthonormalizeRows(Vprev, p, p);
      w.untilReorth = REORTH_EVERY;
    }
    w.untilReorth--;
  } else {
    w.untilReorth = 0;
  }

  if (path === 'direct') {
    if (maxAbs === 0) {
      for (let j = 0; j < p; j++) X.fill(0, j * st, j * st + L);
    } else if (warm) {
      loadWarm(a, m, n, wide, Vprev, X, st, sc, p);
    } else {
      loadT(a, m, n, wide, X, st, sc);
    }
  } else {
    loadT(a, m, n, wide, W, L, sc);
    if (path === 'transposedR') {
      householderQrRows(W, p, L, tau, w.pivoting);
      // b_j = row j of R (upper triangular).
      for (let j = 0; j < p; j++) {
        const xj = j * st;
        for (let c = 0; c < j; c++) X[xj + c] = 0;
        for (let c = j; c < p; c++) X[xj + c] = W[c * L + j];
      }
    } else {
      householderQrRows(W, p, L, tau);
      // b_r = R·v_r with R[j][c] = W[c·L + j] (c >= j).
      for (let r = 0; r < p; r++) {
        const xr = r * st;
        const vr = r * p;
        X.fill(0, xr, xr + p);
        for (let c = 0; c < p; c++) {
          const f = Vprev[vr + c];
          const wc = c * L;
          for (let j = 0; j <= c; j++) X[xr + j] += W[wc + j] * f;
        }
      }
    }
  }
  // Accumulator rows start at V_prev (warm) or I.
  for (let j = 0; j < p; j++) {
    const xv = j * st + Lb;
    if (warm) {
      for (let i = 0; i < p; i++) X[xv + i] = Vprev[j * p + i];
    } else {
      X.fill(0, xv, xv + p);
      X[xv + j] = 1;
    }
  }

  if (maxAbs !== 0) {
    const sweeps = jacobi(X, w.norms, p, Lb, st, warm ? warmSweeps : MAX_SWEEPS);
    if (sweeps < 0) {
      if (!warm) throw new Error(`svd: one-sided Jacobi did not converge in ${MAX_SWEEPS} sweeps`);
      // The warm start did not pay off: start over cold (which sees nothing of this attempt but its cost).
      const cold = svdInto(A, ws);
      w.lastSweeps += warmSweeps;
      return cold;
    }
    w.lastSweeps = sweeps;
    // Rounding in c and s makes each rotation scale by 1 + O(eps) with a bias, which adds up over many rotations
    // (and warm-started calls). b_j = T·v_j holds regardless, so rescaling both by 1/|v_j| removes the drift.
    for (let j = 0; j < p; j++) {
      const xj = j * st;
      const f = 1 / Math.sqrt(rowSq(X, xj + Lb, p));
      for (let k = 0; k < st; k++) X[xj + k] *= f;
    }
  }

  // Singular values (scaled) and which rows are numerically zero.
  const { sRaw, perm, good } = w;
  for (let j = 0; j < p; j++) {
    const ss = rowSq(X, j * st, Lb);
    if (ss >= TINY_SQ) {
      good[j] = 1;
      sRaw[j] = Math.sqrt(ss);
    } else {
      good[j] = 0;
      sRaw[j] = scaledNorm(X, j * st, Lb);
    }
  }
  // Insertion sort of indices by descending s (near-linear when already sorted, as after warm starts).
  for (let j = 0; j < p; j++) perm[j] = j;
  for (let j = 1; j < p; j++) {
    const pj = perm[j];
    const v = sRaw[pj];
    let q = j - 1;
    while (q >= 0 && sRaw[perm[q]] < v) {
      perm[q + 1] = perm[q];
      q--;
    }
    perm[q + 1] = pj;
  }
  const s = out.s;
  const unscale = 2 ** expo;
  for (let c = 0; c < p; c++) s[c] = sRaw[perm[c]] * unscale;

  // Normalize the good working vectors; complete the rest to an orthonormal set.
  for (let j = 0; j < p; j++) {
    if (!good[j]) continue;
    const inv = 1 / sRaw[j];
    const xj = j * st;
    for (let i = 0; i < Lb; i++) X[xj + i] *= inv;
  }
  completeRows(X, st, good, p, Lb);

  // Right singular vectors of T (sorted) go to Vprev; left ones are written straight into U or V.
  const left = wide ? out.V.data : out.U.data;
  const right = wide ? out.U.data : out.V.data;
  const tmp = w.tmp;
  for (let c = 0; c < p; c++) {
    const xc = perm[c] * st;
    const dst = c * p;
    if (path === 'direct') {
      for (let i = 0; i < p; i++) Vprev[dst + i] = X[xc + Lb + i];
      for (let i = 0; i < L; i++) left[i * p + c] = X[xc + i];
      continue;
    }
    if (path === 'transposedR') {
      const piv = w.piv;
      for (let i = 0; i < p; i++) Vprev[dst + piv[i]] = X[xc + i];
      for (let i = 0; i < p; i++) tmp[i] = X[xc + Lb + i];
    } else {
      for (let i = 0; i < p; i++) Vprev[dst + i] = X[xc + Lb + i];
      for (let i = 0; i < p; i++) tmp[i] = X[xc + i];
    }
    tmp.fill(0, p, L);
    applyQ(W, L, p, tau, tmp, 0);
    for (let i = 0; i < L; i++) left[i * p + c] = tmp[i];
  }
  for (let c = 0; c < p; c++) {
    const vc = c * p;
    for (let i = 0; i < p; i++) right[i * p + c] = Vprev[vc + i];
  }
  w.hasPrev = true;
  return out;
}

/** Row j of dst (stride st) = column j of T, scaled (T = A, or A^T when wide). */
function loadT(a: Float64Array, m: number, n: number, wide: boolean, dst: Float64Array, st: number, sc: number): void {
  if (wide) {
    for (let i = 0; i < m; i++) {
      const ai = i * n;
      const di = i * st;
      for (let j = 0; j < n; j++) dst[di + j] = a[ai + j] * sc;
    }
  } else {
    for (let i = 0; i < m; i++) {
      const ai = i * n;
      for (let j = 0; j < n; j++) dst[j * st + i] = a[ai + j] * sc;
    }
  }
}

/** Row r of X (stride st) = sc·T·v_r, the columns of T V_prev. */
function loadWarm(
  a: Float64Array,
  m: number,
  n: number,
  wide: boolean,
  Vp: Float64Array,
  X: Float64Array,
  st: number,
  sc: number,
  p: number,
): void {
  if (!wide) {
    // T = A (m×n, p = n): X[r][i] = Σ_c V[r][c] A[i][c]
    for (let r = 0; r < p; r++) {
      const vr = r * p;
      const xr = r * st;
      for (let i = 0; i < m; i++) X[xr + i] = dot(Vp, vr, a, i * n, n) * sc;
    }
  } else {
    // T = A^T (n×m, p = m): X[r][:] = Σ_c V[r][c] A[c][:]
    for (let r = 0; r < p; r++) {
      const vr = r * p;
      const xr = r * st;
      X.fill(0, xr, xr + n);
      for (let c = 0; c < m; c++) {
        const f = Vp[vr + c] * sc;
        if (f === 0) continue;
        const ac = c * n;
        for (let i = 0; i < n; i++) X[xr + i] += f * a[ac + i];
      }
    }
  }
}

/**
 * One-sided Jacobi with de Rijk pivoting on the p rows of X (stride st): rotates pairs of working vectors
 * b_i = X[i·st .. i·st+Lb) and, with them, the accumulator rows that follow. A pair is rotated when
 * |b_i·b_j| > tol·|b_i||b_j|; stops after the first sweep without rotations. Returns the number of sweeps, or −1
 * when maxSweeps sweeps still rotated.
 */
function jacobi(X: Float64Array, norms: Float64Array, p: number, Lb: number, st: number, maxSweeps: number): number {
  const tol = TOL_FACTOR * EPS * Math.sqrt(Lb);
  for (let sweep = 1; sweep <= maxSweeps; sweep++) {
    for (let j = 0; j < p; j++) norms[j] = rowSq(X, j * st, Lb);
    let rotated = 0;
    for (let i = 0; i < p - 1; i++) {
      // de Rijk: bring the longest remaining vector to position i.
      let best = i;
      let bn = norms[i];
      for (let q = i + 1; q < p; q++) {
        if (norms[q] > bn) {
          bn = norms[q];
          best = q;
        }
      }
      if (bn < TINY_SQ) break;
      if (best !== i) {
        swapRows(X, st, i, best);
        norms[best] = norms[i];
        norms[i] = bn;
      }
      const oi = i * st;
      for (let j = i + 1; j < p; j++) {
        const nb = norms[j];
        if (nb < TINY_SQ) continue;
        const na = norms[i];
        const oj = j * st;
        // 4 partial sums: shorter dependency chains, and slightly better rounding.
        let g0 = 0;
        let g1 = 0;
        let g2 = 0;
        let g3 = 0;
        let t = 0;
        for (; t + 3 < Lb; t += 4) {
          g0 += X[oi + t] * X[oj + t];
          g1 += X[oi + t + 1] * X[oj + t + 1];
          g2 += X[oi + t + 2] * X[oj + t + 2];
          g3 += X[oi + t + 3] * X[oj + t + 3];
        }
        for (; t < Lb; t++) g0 += X[oi + t] * X[oj + t];
        const g = g0 + g1 + (g2 + g3);
        if (Math.abs(g) <= tol * Math.sqrt(na * nb)) continue;
        // Rutishauser's rotation annihilating g in the 2×2 Gram matrix [[na, g], [g, nb]].
        const zeta = (nb - na) / (2 * g);
        const az = Math.abs(zeta);
        const tt = az > 1e150 ? 0.5 / zeta : (zeta >= 0 ? 1 : -1) / (az + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + tt * tt);
        const sn = c * tt;
        if (c === 1) {
          for (let k = 0; k < st; k++) {
            const x = X[oi + k];
            const y = X[oj + k];
            X[oi + k] = x - sn * y;
            X[oj + k] = y + sn * x;
          }
        } else {
          for (let k = 0; k < st; k++) {
            const x = X[oi + k];
            const y = X[oj + k];
            X[oi + k] = c * x - sn * y;
            X[oj + k] = sn * x + c * y;
          }
        }
        let ni = na - tt * g;
        let nj = nb + tt * g;
        // The updated norm is inaccurate after heavy cancellation: recompute it.
        if (ni < 0.25 * na) ni = rowSq(X, oi, Lb);
        if (nj < 0.25 * nb) nj = rowSq(X, oj, Lb);
        norms[i] = ni;
        norms[j] = nj;
        rotated++;
      }
    }
    if (rotated === 0) return sweep;
  }
  return -1;
}

/** Swaps rows a and b (each of length len) of a row-major buffer. */
function swapRows(X: Float64Array, len: number, a: number, b: number): void {
  const oa = a * len;
  const ob = b * len;
  for (let i = 0; i < len; i++) {
    const t = X[oa + i];
    X[oa + i] = X[ob + i];
    X[ob + i] = t;
  }
}

function rowSq(X: Float64Array, o: number, n: number): number {
  return dot(X, o, X, o, n);
}

/** x[xo..xo+n)·y[yo..yo+n) with 4 partial sums (shorter dependency chains than one running sum). */
function dot(x: Float64Array, xo: number, y: Float64Array, yo: number, n: number): number {
  let g0 = 0;
  let g1 = 0;
  let g2 = 0;
  let g3 = 0;
  let t = 0;
  for (; t + 3 < n; t += 4) {
    g0 += x[xo + t] * y[yo + t];
    g1 += x[xo + t + 1] * y[yo + t + 1];
    g2 += x[xo + t + 2] * y[yo + t + 2];
    g3 += x[xo + t + 3] * y[yo + t + 3];
  }
  for (; t < n; t++) g0 += x[xo + t] * y[yo + t];
  return g0 + g1 + (g2 + g3);
}

/** Euclidean norm with scaling, for rows so small that their squares underflow. */
function scaledNorm(X: Float64Array, o: number, n: number): number {
  let mx = 0;
  for (let t = 0; t < n; t++) mx = Math.max(mx, Math.abs(X[o + t]));
  if (mx === 0) return 0;
  let ss = 0;
  for (let t = 0; t < n; t++) {
    const v = X[o + t] / mx;
    ss += v * v;
  }
  return mx * Math.sqrt(ss);
}

/**
 * Replaces each working vector j (row j of X, stride st, length len) with good[j] = 0 by a unit vector orthogonal to
 * all good and already completed ones (the good ones are orthonormal). Candidates, Gram–Schmidt applied twice: the
 * row's own direction (when nonzero), then unit vectors e_t; the first whose projection keeps more than 1/(2·len)
 * of its squared length is taken. Some e_t always does: those squared lengths sum over t to the free dimension (>= 1).
 */
function completeRows(X: Float64Array, st: number, good: Uint8Array, p: number, len: number): void {
  let cursor = 0;
  for (let j = 0; j < p; j++) {
    if (good[j]) continue;
    const oj = j * st;
    const own = scaledNorm(X, oj, len);
    let done = false;
    for (let tries = own > 0 ? -1 : 0; tries < len && !done; tries++) {
      if (tries < 0) {
        const inv = 1 / own;
        for (let t = 0; t < len; t++) X[oj + t] *= inv;
      } else {
        X.fill(0, oj, oj + len);
        X[oj + cursor] = 1;
        cursor = (cursor + 1) % len;
      }
      for (let pass = 0; pass < 2; pass++) {
        for (let q = 0; q < p; q++) {
          if (!good[q] || q === j) continue;
          const oq = q * st;
          const d = dot(X, oj, X, oq, len);
          if (d === 0) continue;
          for (let t = 0; t < len; t++) X[oj + t] -= d * X[oq + t];
        }
      }
      const nn = rowSq(X, oj, len);
      if (nn > 0.5 / len) {
        const inv = 1 / Math.sqrt(nn);
        for (let t = 0; t < len; t++) X[oj + t] *= inv;
        done = true;
      }
    }
    if (!done) throw new Error('svd: could not complete the singular vectors (internal error)');
    good[j] = 1;
  }
}

/** Modified Gram–Schmidt on the r rows (length len) of X, in place; the rows are nearly orthonormal already. */
function orthonormalizeRows(X: Float64Array, r: number, len: number): void {
  for (let i = 0; i < r; i++) {
    const oi = i * len;
    for (let q = 0; q < i; q++) {
      const oq = q * len;
      const d = dot(X, oi, X, oq, len);
      for (let t = 0; t < len; t++) X[oi + t] -= d * X[oq + t];
    }
    const inv = 1 / Math.sqrt(rowSq(X, oi, len));
    for (let t = 0; t < len; t++) X[oi + t] *= inv;
  }
}
