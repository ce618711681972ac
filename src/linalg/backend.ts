import { gemm as tsGemm, type Matrix } from './matrix.ts';
import { householderQrRows, qr as tsQr } from './qr.ts';
import {
  factorJacobian as tsFactorJacobian,
  factorJacobianTranspose as tsFactorJacobianTranspose,
  sampledResidual as tsSampledResidual,
  type SampledEntries,
  type SampledPositions,
} from './sampled.ts';
import {
  createSvdWorkspace as tsCreateSvdWorkspace,
  svdInto as tsSvdInto,
  type SVD,
  type SvdWorkspace,
} from './svd.ts';

/** Options of Backend.gemm: C = alpha·op(A)·op(B) + beta·C (BLAS dgemm semantics), written into `out` if given. */
export interface GemmOptions {
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  beta?: number;
  out?: Matrix;
}

/**
 * The dense kernels that dominate training (docs/design/architecture.md section 5), behind one interface so a fast implementation can replace the
 * pure-TypeScript one. Workspaces belong to the backend that made them. Results agree between backends to rounding
 * (singular vectors up to sign and, for repeated singular values, rotation).
 */
export interface Backend {
  /** 'ts' (pure TypeScript, runs everywhere, the oracle) or 'native' (N-API addon over OpenBLAS/LAPACKE). */
  readonly name: 'ts' | 'native';
  /** C = alpha·op(A)·op(B) + beta·C; the output must not alias an input. Cost 2mnk flops. */
  gemm(A: Matrix, B: Matrix, opts?: GemmOptions): Matrix;
  /** Buffers for repeated thin SVDs of rows×cols matrices (allocated once). */
  createSvdWorkspace(rows: number, cols: number): SvdWorkspace;
  /** Thin SVD A = U diag(s) V^T into ws's buffers (views overwritten by the next call); warmStart may be ignored. */
  svdInto(A: Matrix, ws: SvdWorkspace, opts?: { warmStart?: boolean }): SVD;
  /** Thin QR A = Q R: Q m×k with orthonormal columns, R k×n upper triangular, k = min(m,n). */
  qr(A: Matrix): { Q: Matrix; R: Matrix };
  /**
   * In-place Householder QR of the len×nc matrix (nc <= len) stored transposed in W, no pivoting: the layout and
   * reflector convention of householderQrRows (qr.ts), which LAPACK's dgeqrf shares. Cost ~2·nc²(len − nc/3) flops.
   */
  householderQr(W: Float64Array, nc: number, len: number, tau: Float64Array): void;
  /**
   * Σ_t (A_{i_t}·B_{j_t} − v_t)² over the entries, adding scale·r_t·B_j to gradA_i and scale·r_t·A_i to gradB_j
   * when the gradients are given (the factored model's data term, see sampled.ts). Both backends give the same bits.
   */
  sampledResidual(
    A: Matrix,
    B: Matrix,
    entries: SampledEntries,
    scale: number,
    gradA: Matrix | null,
    gradB: Matrix | null,
  ): number;
  /**
   * out = J x, J the Jacobian of (U, V) ↦ P_Ω(U Vᵀ) at (U, V): out_t = U_i·x_V[j] + x_U[i]·V_j for each entry
   * (i, j), x = [vec x_U; vec x_V] row-major (GNMR's LSQR product, see sampled.ts). Both backends give the same bits.
   */
  factorJacobian(U: Matrix, V: Matrix, entries: SampledPositions, x: Float64Array, out: Float64Array): void;
  /** out = Jᵀ y (overwritten): y_t·V_j summed into row i of the U block, y_t·U_i into row j of the V block. Same bits. */
  factorJacobianTranspose(U: Matrix, V: Matrix, entries: SampledPositions, y: Float64Array, out: Float64Array): void;
}

/** The pure-TypeScript backend: one-sided Jacobi SVD with warm starts (svd.ts), loop-ordered gemm (matrix.ts). */
export const tsBackend: Backend = {
  name: 'ts',
  gemm: tsGemm,
  createSvdWorkspace: tsCreateSvdWorkspace,
  svdInto: tsSvdInto,
  qr: tsQr,
  householderQr: (W, nc, len, tau) => householderQrRows(W, nc, len, tau),
  sampledResidual: tsSampledResidual,
  factorJacobian: tsFactorJacobian,
  factorJacobianTranspose: tsFactorJacobianTranspose,
};

let active: Backend = tsBackend;

/** The backend used when a caller passes none: tsBackend unless setBackend chose another (the CLI picks native). */
export function getBackend(): Backend {
  return active;
}

/** Makes `backend` the default for the whole process (see getBackend); returns the previous default. */
export function setBackend(backend: Backend): Backend {
  const previous = active;
  active = backend;
  return previous;
}
