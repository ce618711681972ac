/** A dense real matrix stored row-major: entry (i, j) is data[i * cols + j]. */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

/** A rows×cols matrix of zeros. */
export function zeros(rows: number, cols: number): Matrix {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new RangeError(`matrix shape must be non-negative integers, got ${rows}×${cols}`);
  }
  return { rows, cols, data: new Float64Array(rows * cols) };
}

/** The n×n identity. */
export function identity(n: number): Matrix {
  const I = zeros(n, n);
  for (let i = 0; i < n; i++) I.data[i * n + i] = 1;
  return I;
}

/** A matrix from an array of equal-length rows. */
export function fromRows(rows: readonly (readonly number[])[]): Matrix {
  const r = rows.length;
  const c = r === 0 ? 0 : rows[0].length;
  const M = zeros(r, c);
  for (let i = 0; i < r; i++) {
    if (rows[i].length !== c) throw new RangeError(`row ${i} has ${rows[i].length} entries, expected ${c}`);
    M.data.set(rows[i], i * c);
  }
  return M;
}

/** Rows of a matrix as plain arrays (for printing and tests). */
export function toRows(A: Matrix): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < A.rows; i++) out.push(Array.from(A.data.subarray(i * A.cols, (i + 1) * A.cols)));
  return out;
}

/** A deep copy. */
export function clone(A: Matrix): Matrix {
  return { rows: A.rows, cols: A.cols, data: A.data.slice() };
}

/** Copy src into dst (same shape), in place. */
export function copyInto(dst: Matrix, src: Matrix): Matrix {
  assertSameShape(dst, src, 'copyInto');
  dst.data.set(src.data);
  return dst;
}

/** A^T as a new matrix. Cost O(mn). */
export function transpose(A: Matrix, out: Matrix = zeros(A.cols, A.rows)): Matrix {
  if (out.rows !== A.cols || out.cols !== A.rows) throw new RangeError('transpose: output has the wrong shape');
  const { rows: m, cols: n, data: a } = A;
  const t = out.data;
  for (let i = 0; i < m; i++) {
    const row = i * n;
    for (let j = 0; j < n; j++) t[j * m + i] = a[row + j];
  }
  return out;
}

/**
 * General matrix product C = alpha·op(A)·op(B) + beta·C, op(X) = X or X^T (BLAS dgemm semantics).
 * Cost 2·m·n·k flops. Loops are ordered so the innermost one walks contiguous memory in every case.
 * The output must not alias an input.
 */
export function gemm(
  A: Matrix,
  B: Matrix,
  opts: { transA?: boolean; transB?: boolean; alpha?: number; beta?: number; out?: Matrix } = {},
): Matrix {
  const transA = opts.transA ?? false;
  const transB = opts.transB ?? false;
  const alpha = opts.alpha ?? 1;
  const beta = opts.beta ?? 0;
  const m = transA ? A.cols : A.rows;
  const k = transA ? A.rows : A.cols;
  const kB = transB ? B.cols : B.rows;
  const n = transB ? B.rows : B.cols;
  if (k !== kB) {
    throw new RangeError(
      `gemm: inner dimensions differ (${transA ? 'A^T' : 'A'} is ${m}×${k}, ${transB ? 'B^T' : 'B'} is ${kB}×${n})`,
    );
  }
  const C = opts.out ?? zeros(m, n);
  if (C.rows !== m || C.cols !== n) throw new RangeError(`gemm: output is ${C.rows}×${C.cols}, expected ${m}×${n}`);
  if (C.data === A.data || C.data === B.data) throw new RangeError('gemm: output must not alias an input');
  const a = A.data;
  const b = B.data;
  const c = C.data;
  if (beta === 0) c.fill(0);
  else if (beta !== 1) for (let i = 0; i < c.length; i++) c[i] *= beta;
  const lda = A.cols;
  const ldb = B.cols;
  if (!transB) {
    // C[i,:] += alpha * op(A)[i,p] * B[p,:]  (axpy over contiguous rows of B and C)
    for (let i = 0; i < m; i++) {
      const ci = i * n;
      for (let p = 0; p < k; p++) {
        const aip = alpha * (transA ? a[p * lda + i] : a[i * lda + p]);
        if (aip === 0) continue;
        const bp = p * ldb;
        for (let j = 0; j < n; j++) c[ci + j] += aip * b[bp + j];
      }
    }
  } else if (!transA) {
    // C[i,j] += alpha * dot(A[i,:], B[j,:])  (both rows contiguous)
    for (let i = 0; i < m; i++) {
      const ai = i * lda;
      const ci = i * n;
      for (let j = 0; j < n; j++) {
        const bj = j * ldb;
        let s = 0;
        for (let p = 0; p < k; p++) s += a[ai + p] * b[bj + p];
        c[ci + j] += alpha * s;
      }
    }
  } else {
    // A^T B^T = (B A)^T: C[i,j] = sum_p A[p,i] B[j,p]; accumulate C[:,j] by rows of A.
    for (let j = 0; j < n; j++) {
      const bj = j * ldb;
      for (let p = 0; p < k; p++) {
        const bjp = alpha * b[bj + p];
        if (bjp === 0) continue;
        const ap = p * lda;
        for (let i = 0; i < m; i++) c[i * n + j] += bjp * a[ap + i];
      }
    }
  }
  return C;
}

/** The Frobenius norm sqrt(sum a_ij^2), computed with scaling to avoid overflow. */
export function frobeniusNorm(A: Matrix): number {
  return norm2(A.data);
}

/** Euclidean norm of a vector, scaled to avoid overflow and underflow (LAPACK dnrm2 style). */
export function norm2(x: ArrayLike<number>, offset = 0, length = x.length - offset, stride = 1): number {
  let scale = 0;
  let ssq = 1;
  for (let t = 0, idx = offset; t < length; t++, idx += stride) {
    const v = x[idx];
    if (v !== 0) {
      const av = Math.abs(v);
      if (scale < av) {
        ssq = 1 + ssq * (scale / av) * (scale / av);
        scale = av;
      } else {
        ssq += (av / scale) * (av / scale);
      }
    }
  }
  return scale * Math.sqrt(ssq);
}

/** Inner product <A, B> = sum a_ij b_ij (trace(A^T B)). */
export function dot(A: Matrix, B: Matrix): number {
  assertSameShape(A, B, 'dot');
  const a = A.data;
  const b = B.data;
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** out = A - B. */
export function subtract(A: Matrix, B: Matrix, out: Matrix = zeros(A.rows, A.cols)): Matrix {
  assertSameShape(A, B, 'subtract');
  for (let i = 0; i < A.data.length; i++) out.data[i] = A.data[i] - B.data[i];
  return out;
}

/** out = alpha·A. */
export function scaleMatrix(A: Matrix, alpha: number, out: Matrix = zeros(A.rows, A.cols)): Matrix {
  for (let i = 0; i < A.data.length; i++) out.data[i] = alpha * A.data[i];
  return out;
}

/** The largest |a_ij - b_ij|. */
export function maxAbsDiff(A: Matrix, B: Matrix): number {
  assertSameShape(A, B, 'maxAbsDiff');
  let m = 0;
  for (let i = 0; i < A.data.length; i++) m = Math.max(m, Math.abs(A.data[i] - B.data[i]));
  return m;
}

/** Throws a RangeError naming the operation when A and B differ in shape. */
export function assertSameShape(A: Matrix, B: Matrix, op: string): void {
  if (A.rows !== B.rows || A.cols !== B.cols) {
    throw new RangeError(`${op}: shapes differ (${A.rows}×${A.cols} vs ${B.rows}×${B.cols})`);
  }
}
