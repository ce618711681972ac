// The native backend: a Node-only loader for the optional N-API addon in native/ (OpenBLAS + LAPACKE). This is the
// one file under src/ (besides src/cli) that uses Node APIs; the browser build never imports it.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsBackend, type Backend, type GemmOptions } from './backend.ts';
import { gemm as tsGemm, zeros, type Matrix } from './matrix.ts';
import { householderQrRows, qr } from './qr.ts';
import {
  checkJacobianShapes,
  checkSampledShapes,
  factorJacobian as tsFactorJacobian,
  factorJacobianTranspose as tsFactorJacobianTranspose,
  sampledResidual as tsSampledResidual,
} from './sampled.ts';
import type { SVD, SvdWorkspace } from './svd.ts';

/** The addon's functions (native/mcomplete_native.c). */
interface Addon {
  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    A: Float64Array,
    lda: number,
    B: Float64Array,
    ldb: number,
    beta: number,
    C: Float64Array,
    ldc: number,
  ): void;
  svdCreate(m: number, n: number): object;
  svd(ws: object, A: Float64Array, U: Float64Array, s: Float64Array, V: Float64Array): number;
  /** dgesdd's INFO from the workspace's last svd call; absent from addons built before it existed. */
  svdInfo?(ws: object): number;
  threads(n: number): number;
  /** LAPACK dgeqrf in place on a column-major m×n matrix; absent from addons built before it existed. */
  geqrf?(m: number, n: number, A: Float64Array, tau: Float64Array): number;
  sampledResidual(
    k: number,
    A: Float64Array,
    B: Float64Array,
    rows: Int32Array,
    cols: Int32Array,
    values: Float64Array,
    scale: number,
    gradA: Float64Array | null,
    gradB: Float64Array | null,
  ): number;
  /** GNMR's Jacobian products (src/linalg/sampled.ts); absent from addons built before they existed. */
  factorJacobian?(
    r: number,
    U: Float64Array,
    V: Float64Array,
    rows: Int32Array,
    cols: Int32Array,
    x: Float64Array,
    out: Float64Array,
  ): void;
  factorJacobianTranspose?(
    r: number,
    U: Float64Array,
    V: Float64Array,
    rows: Int32Array,
    cols: Int32Array,
    y: Float64Array,
    out: Float64Array,
  ): void;
}

/** How a user gets the native backend (one line, for messages). */
export const NATIVE_HOW_TO =
  'install OpenBLAS and LAPACKE (Debian/Ubuntu: libopenblas-dev liblapacke-dev; Fedora/RHEL: openblas-devel ' +
  'lapack-devel; macOS: brew install openblas lapack) and run `npm run build:native`, which says what it found';

/** Where the compiled addon lives, relative to this file (src/linalg or dist/linalg: both two levels down). */
export function nativeAddonPath(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../native/build/Release/mcomplete_native.node');
}

let cached: { backend: Backend | null; reason: string } | null = null;

/** The native backend when the addon is built and loads (loaded once per process), else null and why not. */
export function loadNativeBackend(): { backend: Backend | null; reason: string } {
  if (cached) return cached;
  const file = nativeAddonPath();
  if (!existsSync(file)) {
    cached = { backend: null, reason: `the addon is not built (${file} is missing)` };
    return cached;
  }
  try {
    const addon = createRequire(import.meta.url)(file) as Addon;
    // One OpenBLAS thread unless the user set OPENBLAS_NUM_THREADS: training matrices are small, sweeps run one
    // process per core, and on a shared machine spinning BLAS threads cost far more than they give.
    if (!process.env.OPENBLAS_NUM_THREADS) addon.threads(1);
    cached = { backend: makeNativeBackend(addon), reason: 'loaded' };
  } catch (err) {
    cached = { backend: null, reason: `the addon did not load: ${(err as Error).message.split('\n')[0]}` };
  }
  return cached;
}

/**
 * The backend MCOMPLETE_BACKEND asks for: 'ts', 'native' (an Error saying how to get it when it is missing), or
 * unset/empty: native when the addon loads, else ts.
 */
export function chooseBackend(setting: string | undefined = process.env.MCOMPLETE_BACKEND): Backend {
  const want = (setting ?? '').trim();
  if (want === 'ts') return tsBackend;
  if (want !== '' && want !== 'native') {
    throw new Error(`MCOMPLETE_BACKEND must be 'ts' or 'native' (or unset), got '${want}'`);
  }
  const { backend, reason } = loadNativeBackend();
  if (backend) return backend;
  if (want === 'native') {
    throw new Error(
      `MCOMPLETE_BACKEND=native but the native backend is unavailable: ${reason}; to get it, ${NATIVE_HOW_TO}`,
    );
  }
  return tsBackend;
}

/** dgesdd's arguments in order (LAPACK numbers them from 1; INFO = -i means argument i was illegal). */
const DGESDD_ARGUMENTS = [
  'JOBZ',
  'M',
  'N',
  'A',
  'LDA',
  'S',
  'U',
  'LDU',
  'VT',
  'LDVT',
  'WORK',
  'LWORK',
  'IWORK',
  'INFO',
];

/**
 * The error for a failed native svd call: `code` is what the addon's svd returned (1 NaN, 2 infinity, 3 an illegal
 * dgesdd argument, 4 no convergence, 5 LAPACKE out of work memory), `info` dgesdd's INFO when the addon reports it.
 */
export function nativeSvdError(code: number, info: number | null): Error {
  const infoText = info === null ? '' : ` (INFO = ${info})`;
  switch (code) {
    case 1:
      return new RangeError('svd: matrix has a NaN entry');
    case 2:
      return new RangeError('svd: matrix has an infinite entry');
    case 3: {
      const arg = info === null ? 'an argument' : `argument ${-info} (${DGESDD_ARGUMENTS[-info - 1] ?? 'unknown'})`;
      const bug = "a bug in mcomplete's call, please report it";
      return new Error(`svd: LAPACK dgesdd says ${arg} had an illegal value${infoText}: ${bug}`);
    }
    case 4:
      return new Error(`svd: LAPACK dgesdd did not converge: its divide-and-conquer step DBDSDC failed${infoText}`);
    case 5:
      return new Error(`svd: LAPACKE could not allocate dgesdd's work memory${infoText}: out of memory`);
    default:
      return new Error(`svd: the native addon returned an unknown status ${code}`);
  }
}

/** Native SVD workspace: the addon's dgesdd buffers plus the result matrices (views handed to callers). */
interface NativeSvdWorkspace extends SvdWorkspace {
  readonly handle: object | null;
  readonly result: SVD;
}

const NATIVE_WS = new WeakSet<object>();

function makeNativeBackend(addon: Addon): Backend {
  const gemm = (A: Matrix, B: Matrix, opts: GemmOptions = {}): Matrix => {
    const transA = opts.transA ?? false;
    const transB = opts.transB ?? false;
    const m = transA ? A.cols : A.rows;
    const k = transA ? A.rows : A.cols;
    const n = transB ? B.rows : B.cols;
    const kB = transB ? B.cols : B.rows;
    // Degenerate shapes and all error messages: the TypeScript kernel (same checks, trivial cost).
    if (m === 0 || n === 0 || k === 0 || k !== kB || (opts.out && (opts.out.rows !== m || opts.out.cols !== n))) {
      return tsGemm(A, B, opts);
    }
    const C = opts.out ?? zeros(m, n);
    if (C.data === A.data || C.data === B.data) throw new RangeError('gemm: output must not alias an input');
    addon.gemm(transA, transB, m, n, k, opts.alpha ?? 1, A.data, A.cols, B.data, B.cols, opts.beta ?? 0, C.data, n);
    return C;
  };

  const createSvdWorkspace = (rows: number, cols: number): SvdWorkspace => {
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
      throw new RangeError(`createSvdWorkspace: shape must be non-negative integers, got ${rows}×${cols}`);
    }
    const k = Math.min(rows, cols);
    // The addon checks the shape (32-bit LAPACK ints, workspace size) before the result matrices are allocated.
    const handle = k === 0 ? null : addon.svdCreate(rows, cols);
    const ws: NativeSvdWorkspace = {
      rows,
      cols,
      handle,
      result: { U: zeros(rows, k), s: new Float64Array(k), V: zeros(cols, k) },
    };
    NATIVE_WS.add(ws);
    return ws;
  };

  const svdInto = (A: Matrix, ws: SvdWorkspace): SVD => {
    if (!NATIVE_WS.has(ws)) throw new TypeError('svdInto: workspace must come from the native backend');
    const w = ws as NativeSvdWorkspace;
    if (A.rows !== w.rows || A.cols !== w.cols) {
      throw new RangeError(`svdInto: matrix is ${A.rows}×${A.cols} but the workspace is for ${w.rows}×${w.cols}`);
    }
    const out = w.result;
    if (w.handle === null) return out;
    const code = addon.svd(w.handle, A.data, out.U.data, out.s, out.V.data);
    if (code !== 0) throw nativeSvdError(code, code >= 3 && addon.svdInfo ? addon.svdInfo(w.handle) : null);
    return out;
  };

  const sampledResidual: Backend['sampledResidual'] = (A, B, entries, scale, gradA, gradB) => {
    checkSampledShapes(A, B, entries, gradA, gradB);
    if (A.cols === 0) return tsSampledResidual(A, B, entries, scale, gradA, gradB);
    const { rows, cols, values } = entries;
    return addon.sampledResidual(
      A.cols,
      A.data,
      B.data,
      rows,
      cols,
      values,
      scale,
      gradA?.data ?? null,
      gradB?.data ?? null,
    );
  };

  // GNMR's two LSQR products (every LSQR step): the hand-written C loops. Rank 0 and an addon built before they
  // existed: the TypeScript kernels (the same bits).
  const nativeJacobian = addon.factorJacobian?.bind(addon);
  const factorJacobian: Backend['factorJacobian'] = (U, V, entries, x, out) => {
    checkJacobianShapes('factorJacobian', U, V, entries, x, out);
    if (!nativeJacobian || U.cols === 0) return tsFactorJacobian(U, V, entries, x, out);
    nativeJacobian(U.cols, U.data, V.data, entries.rows, entries.cols, x, out);
  };
  const nativeJacobianT = addon.factorJacobianTranspose?.bind(addon);
  const factorJacobianTranspose: Backend['factorJacobianTranspose'] = (U, V, entries, y, out) => {
    checkJacobianShapes('factorJacobianTranspose', U, V, entries, out, y);
    if (!nativeJacobianT || U.cols === 0) return tsFactorJacobianTranspose(U, V, entries, y, out);
    nativeJacobianT(U.cols, U.data, V.data, entries.rows, entries.cols, y, out);
  };

  // The factored penalty's QRs (every step): dgeqrf, its BLAS-2 kernels vectorized (3.2× the TypeScript loop at
  // 2000×20, bench/factored.bench.ts). Bad layouts and an addon built before geqrf existed: the TypeScript kernel.
  const householderQr: Backend['householderQr'] = (W, nc, len, tau) => {
    if (!addon.geqrf || nc < 1 || nc > len || W.length < nc * len || tau.length < nc) {
      householderQrRows(W, nc, len, tau);
      return;
    }
    const info = addon.geqrf(len, nc, W, tau);
    if (info !== 0)
      throw new Error(
        `householderQr: LAPACK dgeqrf says argument ${-info} had an illegal value: a bug in mcomplete's call, please report it`,
      );
  };

  // The explicit thin QR is not on any hot path: the TypeScript kernel serves both backends.
  return {
    name: 'native',
    gemm,
    createSvdWorkspace,
    svdInto,
    qr,
    householderQr,
    sampledResidual,
    factorJacobian,
    factorJacobianTranspose,
  };
}

/** Sets the number of OpenBLAS threads (n >= 1) and returns the count in effect; null without the addon. */
export function nativeThreads(n = 0): number | null {
  const { backend } = loadNativeBackend();
  if (!backend) return null;
  return (createRequire(import.meta.url)(nativeAddonPath()) as Addon).threads(n);
}
