// LSQR (Paige & Saunders, "LSQR: An algorithm for sparse linear equations and sparse least squares", ACM TOMS 8,
// 1982): min ||A x − b||₂ for an operator A given only by x ↦ A x and y ↦ Aᵀ y. From x₀ = 0 every iterate lies in
// range(Aᵀ), so the limit is the minimal-norm least-squares solution, which is what Gauss–Newton on factors needs
// (its Jacobian always has a null space, see gnmr.ts). Hand-written here because no well-kept TypeScript library
// provides a matrix-free LSQR (no LSQR package on npm; ml-matrix, the main one, has dense decompositions only), and
// it is forty lines of the paper's bidiagonalization recurrence. Cost per iteration: one A·x, one Aᵀ·y and O(m + N) vector work.

/** A linear operator R^cols → R^rows given by its products; `out` is overwritten (never aliased with the input). */
export interface LinearOperator {
  readonly rows: number;
  readonly cols: number;
  /** out = A x. */
  apply(x: Float64Array, out: Float64Array): void;
  /** out = Aᵀ y. */
  applyTranspose(y: Float64Array, out: Float64Array): void;
}

/** Stop rules of lsqr (Paige & Saunders 1982, section 6; the same tests as scipy.sparse.linalg.lsqr). */
export interface LsqrOptions {
  /** With btol: stop when ||r|| ≤ btol·||b|| + atol·||A||·||x|| (S1, a consistent system solved). Default 1e-14. */
  btol?: number;
  /** Also stop when ||Aᵀr|| ≤ atol·||A||·||r|| (S2, a least-squares solution reached). Default 1e-14. */
  atol?: number;
  /** Stop when the estimate of cond(A) reaches this (S3; default 1e8, Paige–Saunders' and scipy's). */
  conlim?: number;
  /** Iteration cap (default: 4·cols, well past the exact-arithmetic bound of min(rows, cols)). */
  maxIters?: number;
}

/** What lsqr returns: the solution, its residual norm (the recurrence's estimate) and why it stopped. */
export interface LsqrResult {
  x: Float64Array;
  iterations: number;
  /** ||b − A x||, as estimated by the recurrence (exact in exact arithmetic). */
  residualNorm: number;
  stopReason: 'consistent' | 'least-squares' | 'ill-conditioned' | 'max-iters';
}

/** The minimal-norm solution of min ||A x − b|| by LSQR from x = 0 (Paige & Saunders 1982, algorithm LSQR). */
export function lsqr(A: LinearOperator, b: Float64Array, opts: LsqrOptions = {}): LsqrResult {
  const btol = opts.btol ?? 1e-14;
  const atol = opts.atol ?? 1e-14;
  const ctol = 1 / (opts.conlim ?? 1e8);
  const maxIters = opts.maxIters ?? 4 * A.cols;
  const x = new Float64Array(A.cols);
  const u = Float64Array.from(b);
  const v = new Float64Array(A.cols);
  const w = new Float64Array(A.cols);
  const Av = new Float64Array(A.rows);
  const Atu = new Float64Array(A.cols);
  // β₁u₁ = b, α₁v₁ = Aᵀu₁.
  let beta = norm(u);
  const bnorm = beta;
  if (beta === 0) return { x, iterations: 0, residualNorm: 0, stopReason: 'consistent' };
  scaleInPlace(u, 1 / beta);
  A.applyTranspose(u, v);
  let alpha = norm(v);
  if (alpha === 0) return { x, iterations: 0, residualNorm: bnorm, stopReason: 'least-squares' };
  scaleInPlace(v, 1 / alpha);
  w.set(v);
  let phiBar = beta;
  let rhoBar = alpha;
  // ||A||_F and ||D_k||_F² (D_k = the search directions w/ρ) estimated as in the paper's section 5.3, for S1–S3.
  let anorm2 = 0;
  let ddnorm = 0;
  for (let it = 1; it <= maxIters; it++) {
    // Bidiagonalization: β u = A v − α u, α v = Aᵀ u − β v.
    // (Each update is fused with its norm, and v's scaling with the update of x and w below: the same operations in
    // the same order as separate passes, one pass fewer over each vector.)
    A.apply(v, Av);
    let uu = 0;
    for (let i = 0; i < u.length; i++) {
      const ui = Av[i] - alpha * u[i];
      u[i] = ui;
      uu += ui * ui;
    }
    beta = Math.sqrt(uu);
    if (beta > 0) scaleInPlace(u, 1 / beta);
    anorm2 += alpha * alpha + beta * beta;
    A.applyTranspose(u, Atu);
    let vv = 0;
    for (let i = 0; i < v.length; i++) {
      const vi = Atu[i] - beta * v[i];
      v[i] = vi;
      vv += vi * vi;
    }
    alpha = Math.sqrt(vv);
    const vScale = alpha > 0 ? 1 / alpha : 1;
    // The plane rotation that eliminates β from the lower bidiagonal matrix.
    const rho = Math.hypot(rhoBar, beta);
    const c = rhoBar / rho;
    const s = beta / rho;
    const theta = s * alpha;
    rhoBar = -c * alpha;
    const phi = c * phiBar;
    phiBar = s * phiBar;
    const t1 = phi / rho;
    const t2 = -theta / rho;
    let xnorm2 = 0;
    let dk2 = 0;
    for (let i = 0; i < x.length; i++) {
      const wi = w[i];
      const vi = v[i] * vScale;
      v[i] = vi;
      dk2 += wi * wi;
      const xi = x[i] + t1 * wi;
      x[i] = xi;
      xnorm2 += xi * xi;
      w[i] = vi + t2 * wi;
    }
    ddnorm += dk2 / (rho * rho);
    const anorm = Math.sqrt(anorm2);
    const rnorm = phiBar;
    const arnorm = phiBar * alpha * Math.abs(c);
    // S1: ||r|| ≤ btol·||b|| + atol·||A||·||x||; S2: ||Aᵀr|| ≤ atol·||A||·||r||; S3: cond(A) ≥ conlim; each also
    // when its ratio is below machine precision (1 + t ≤ 1), which is what ends a solve whose tolerance is tinier.
    const xnorm = Math.sqrt(xnorm2);
    const test1 = rnorm / bnorm;
    const test2 = arnorm / (anorm * rnorm);
    const test3 = 1 / (anorm * Math.sqrt(ddnorm));
    let stop: LsqrResult['stopReason'] | null = null;
    if (1 + test3 <= 1 || test3 <= ctol) stop = 'ill-conditioned';
    if (1 + test2 <= 1 || arnorm <= atol * anorm * rnorm || alpha === 0) stop = 'least-squares';
    if (1 + test1 / (1 + (anorm * xnorm) / bnorm) <= 1 || rnorm <= btol * bnorm + atol * anorm * xnorm)
      stop = 'consistent';
    if (stop !== null) return { x, iterations: it, residualNorm: rnorm, stopReason: stop };
  }
  return { x, iterations: maxIters, residualNorm: phiBar, stopReason: 'max-iters' };
}

function norm(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s);
}

function scaleInPlace(x: Float64Array, a: number): void {
  for (let i = 0; i < x.length; i++) x[i] *= a;
}
