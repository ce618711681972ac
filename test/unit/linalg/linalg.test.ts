import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type Matrix,
  createSvdWorkspace,
  frobeniusNorm,
  fromRows,
  gemm,
  lastSweepCount,
  qr,
  svd,
  svdInto,
  zeros,
} from '../../../src/linalg/index.ts';
import { mulberry32, uniformMatrix } from '../../helpers/random.ts';

// ---------- helpers ----------

const randMatrix = uniformMatrix;

function at(A: Matrix, i: number, j: number): number {
  return A.data[i * A.cols + j];
}

function transposeOf(A: Matrix): Matrix {
  const T = zeros(A.cols, A.rows);
  for (let i = 0; i < A.rows; i++) for (let j = 0; j < A.cols; j++) T.data[j * A.rows + i] = at(A, i, j);
  return T;
}

/** Naive triple-loop product op(A)·op(B). */
function naiveMul(A: Matrix, B: Matrix, transA = false, transB = false): Matrix {
  const m = transA ? A.cols : A.rows;
  const k = transA ? A.rows : A.cols;
  const n = transB ? B.rows : B.cols;
  const C = zeros(m, n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (transA ? at(A, p, i) : at(A, i, p)) * (transB ? at(B, j, p) : at(B, p, j));
      C.data[i * n + j] = s;
    }
  }
  return C;
}

function maxAbsDiff(A: Matrix, B: Matrix): number {
  assert.equal(A.rows, B.rows);
  assert.equal(A.cols, B.cols);
  let d = 0;
  for (let i = 0; i < A.data.length; i++) d = Math.max(d, Math.abs(A.data[i] - B.data[i]));
  return d;
}

/** max |Q^T Q − I|. */
function orthError(Q: Matrix): number {
  const G = naiveMul(Q, Q, true, false);
  let e = 0;
  for (let i = 0; i < G.rows; i++) {
    for (let j = 0; j < G.cols; j++) e = Math.max(e, Math.abs(at(G, i, j) - (i === j ? 1 : 0)));
  }
  return e;
}

/** ||A − U diag(s) V^T||_F. */
function svdResidual(A: Matrix, U: Matrix, s: Float64Array, V: Matrix): number {
  const US = zeros(U.rows, U.cols);
  for (let i = 0; i < U.rows; i++) for (let j = 0; j < U.cols; j++) US.data[i * U.cols + j] = at(U, i, j) * s[j];
  const R = naiveMul(US, V, false, true);
  for (let i = 0; i < A.data.length; i++) R.data[i] -= A.data[i];
  return frobeniusNorm(R); // scaled: no overflow for huge entries
}

/** All the facts a thin SVD must satisfy; returns the result for further checks. */
function checkSvd(A: Matrix, res = svd(A), tol = 1e-12): { U: Matrix; s: Float64Array; V: Matrix } {
  const { U, s, V } = res;
  const k = Math.min(A.rows, A.cols);
  assert.equal(U.rows, A.rows);
  assert.equal(U.cols, k);
  assert.equal(V.rows, A.cols);
  assert.equal(V.cols, k);
  assert.equal(s.length, k);
  for (let i = 0; i < k; i++) {
    assert.ok(Number.isFinite(s[i]) && s[i] >= 0, `s[${i}] = ${s[i]} is not a non-negative number`);
    if (i > 0) assert.ok(s[i] <= s[i - 1], `s not descending at ${i}: ${s[i - 1]} < ${s[i]}`);
  }
  const nA = frobeniusNorm(A);
  const r = svdResidual(A, U, s, V);
  if (nA === 0) assert.ok(r < tol, `residual ${r}`);
  else assert.ok(r / nA < tol, `relative residual ${r / nA}`);
  assert.ok(orthError(U) < tol, `U^T U − I = ${orthError(U)}`);
  assert.ok(orthError(V) < tol, `V^T V − I = ${orthError(V)}`);
  return res;
}

function checkQr(A: Matrix): void {
  const { Q, R } = qr(A);
  const k = Math.min(A.rows, A.cols);
  assert.equal(Q.rows, A.rows);
  assert.equal(Q.cols, k);
  assert.equal(R.rows, k);
  assert.equal(R.cols, A.cols);
  for (let i = 0; i < k; i++) for (let j = 0; j < Math.min(i, A.cols); j++) assert.equal(at(R, i, j), 0);
  const QR = naiveMul(Q, R);
  const nA = frobeniusNorm(A);
  let ss = 0;
  for (let i = 0; i < A.data.length; i++) ss += (A.data[i] - QR.data[i]) ** 2;
  const r = Math.sqrt(ss);
  assert.ok(nA === 0 ? r === 0 : r / nA < 1e-12, `||A − QR||/||A|| = ${r / nA}`);
  assert.ok(orthError(Q) < 1e-12, `Q^T Q − I = ${orthError(Q)}`);
}

/** A random m×n matrix with orthonormal columns (m >= n), from QR. */
function randOrthonormal(m: number, n: number, rnd: () => number): Matrix {
  return qr(randMatrix(m, n, rnd)).Q;
}

/** Q1 diag(s) Q2^T. */
function withSingularValues(Q1: Matrix, s: number[], Q2: Matrix): Matrix {
  const S = zeros(Q1.cols, Q1.cols);
  for (let i = 0; i < s.length; i++) S.data[i * S.cols + i] = s[i];
  return naiveMul(naiveMul(Q1, S), Q2, false, true);
}

function rankDeficient(m: number, r: number, n: number, rnd: () => number): Matrix {
  return gemm(randMatrix(m, r, rnd), randMatrix(r, n, rnd));
}

// ---------- gemm ----------

test('gemm matches a naive triple loop for all four transpose combinations', () => {
  const rnd = mulberry32(1);
  const m = 7;
  const k = 5;
  const n = 4;
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      const A = transA ? randMatrix(k, m, rnd) : randMatrix(m, k, rnd);
      const B = transB ? randMatrix(n, k, rnd) : randMatrix(k, n, rnd);
      const C = gemm(A, B, { transA, transB });
      assert.equal(C.rows, m);
      assert.equal(C.cols, n);
      assert.ok(maxAbsDiff(C, naiveMul(A, B, transA, transB)) < 1e-14, `transA=${transA} transB=${transB}`);
    }
  }
});

test('gemm applies alpha and beta: C = alpha·op(A)op(B) + beta·C, in place', () => {
  const rnd = mulberry32(2);
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      const A = transA ? randMatrix(3, 6, rnd) : randMatrix(6, 3, rnd);
      const B = transB ? randMatrix(5, 3, rnd) : randMatrix(3, 5, rnd);
      const C0 = randMatrix(6, 5, rnd);
      const C = zeros(6, 5);
      C.data.set(C0.data);
      const out = gemm(A, B, { transA, transB, alpha: -2.5, beta: 0.75, out: C });
      assert.equal(out, C);
      const P = naiveMul(A, B, transA, transB);
      const want = zeros(6, 5);
      for (let i = 0; i < want.data.length; i++) want.data[i] = -2.5 * P.data[i] + 0.75 * C0.data[i];
      assert.ok(maxAbsDiff(C, want) < 1e-14);
    }
  }
  // beta = 0 ignores whatever was in C (even NaN), beta = 1 accumulates.
  const A = randMatrix(2, 2, rnd);
  const C = zeros(2, 2);
  C.data.fill(Number.NaN);
  gemm(A, A, { out: C });
  assert.ok(maxAbsDiff(C, naiveMul(A, A)) < 1e-15);
  gemm(A, A, { out: C, beta: 1 });
  const twice = naiveMul(A, A);
  for (let i = 0; i < twice.data.length; i++) twice.data[i] *= 2;
  assert.ok(maxAbsDiff(C, twice) < 1e-15);
});

test('gemm rejects mismatched inner dimensions, a wrong output shape, and aliasing', () => {
  const A = zeros(3, 4);
  const B = zeros(3, 2);
  assert.throws(() => gemm(A, B), /inner dimensions/);
  assert.throws(() => gemm(A, zeros(2, 4), { transB: false }), /inner dimensions/);
  assert.doesNotThrow(() => gemm(A, B, { transA: true }));
  assert.throws(() => gemm(A, B, { transA: true, out: zeros(3, 3) }), /output/);
  const S = zeros(3, 3);
  assert.throws(() => gemm(S, zeros(3, 3), { out: S }), /alias/);
});

// ---------- QR ----------

test('qr: A = QR, Q^T Q = I, R upper triangular for tall, square and wide matrices', () => {
  const rnd = mulberry32(3);
  for (const [m, n] of [
    [40, 15],
    [30, 30],
    [15, 40],
    [1, 1],
    [1, 6],
    [6, 1],
  ]) {
    checkQr(randMatrix(m, n, rnd));
  }
});

test('qr handles rank-deficient, zero and empty matrices', () => {
  const rnd = mulberry32(4);
  const A = rankDeficient(30, 3, 20, rnd);
  checkQr(A);
  // Only the first 3 rows of R can be (numerically) nonzero... up to rounding.
  const { R } = qr(A);
  let tail = 0;
  for (let i = 3; i < R.rows; i++) for (let j = 0; j < R.cols; j++) tail = Math.max(tail, Math.abs(at(R, i, j)));
  assert.ok(tail < 1e-12 * frobeniusNorm(A), `R below rank 3: ${tail}`);
  checkQr(zeros(5, 7));
  checkQr(zeros(7, 5));
  // Repeated column.
  checkQr(
    fromRows([
      [1, 1, 2],
      [2, 2, 1],
      [3, 3, 0],
      [4, 4, -1],
    ]),
  );
  const E = qr(zeros(0, 4));
  assert.equal(E.Q.rows, 0);
  assert.equal(E.R.cols, 4);
  assert.equal(E.R.rows, 0);
});

test('qr of huge and tiny rank-deficient matrices stays finite and exact', () => {
  // sin(i + 1) entries: every row is a combination of two sequences, so rank 2 and a tiny (subnormal) R[2][2].
  for (const f of [1e300, 1e-300]) {
    const A = zeros(6, 4);
    for (let i = 0; i < 24; i++) A.data[i] = Math.sin(i + 1) * f;
    const { Q, R } = qr(A);
    assert.ok(R.data.every(Number.isFinite) && Q.data.every(Number.isFinite));
    assert.ok(orthError(Q) < 1e-12);
    const E = naiveMul(Q, R);
    for (let i = 0; i < 24; i++) E.data[i] -= A.data[i];
    assert.ok(frobeniusNorm(E) < 1e-14 * frobeniusNorm(A));
  }
});

test('qr of a known matrix gives |R| = the expected triangle', () => {
  // Columns [3,4] and [1,0]: |r11| = 5, r12 = ±3/5, |r22| = 4/5.
  const { Q, R } = qr(
    fromRows([
      [3, 1],
      [4, 0],
    ]),
  );
  assert.ok(Math.abs(Math.abs(at(R, 0, 0)) - 5) < 1e-15);
  assert.ok(Math.abs(Math.abs(at(R, 0, 1)) - 0.6) < 1e-15);
  assert.ok(Math.abs(Math.abs(at(R, 1, 1)) - 0.8) < 1e-15);
  assert.equal(at(R, 1, 0), 0);
  assert.ok(orthError(Q) < 1e-15);
});

// ---------- SVD ----------

test('svd of random tall, square and wide matrices', () => {
  const rnd = mulberry32(5);
  for (const [m, n] of [
    [40, 15],
    [50, 50],
    [15, 40],
    [2, 2],
    [3, 2],
    [2, 3],
    [60, 3],
  ]) {
    checkSvd(randMatrix(m, n, rnd));
  }
});

test('svd of a 120×120 matrix is accurate to the rounding level', () => {
  // Tighter than the 1e-12 contract on purpose: catches slow drifts (e.g. rotations that are not quite orthogonal).
  const A = randMatrix(120, 120, mulberry32(22));
  const { U, s, V } = checkSvd(A);
  const r = svdResidual(A, U, s, V) / frobeniusNorm(A);
  assert.ok(r < 1e-14, `relative residual ${r}`);
});

test('svd of vectors and scalars: 1×n, n×1, 1×1', () => {
  const rnd = mulberry32(6);
  const row = randMatrix(1, 9, rnd);
  const r = checkSvd(row);
  assert.ok(Math.abs(r.s[0] - frobeniusNorm(row)) < 1e-15 * frobeniusNorm(row));
  const col = randMatrix(9, 1, rnd);
  const c = checkSvd(col);
  assert.ok(Math.abs(c.s[0] - frobeniusNorm(col)) < 1e-15 * frobeniusNorm(col));
  const one = checkSvd(fromRows([[-3.5]]));
  assert.equal(one.s[0], 3.5);
  assert.equal(Math.abs(at(one.U, 0, 0)), 1);
  assert.equal(Math.abs(at(one.V, 0, 0)), 1);
});

test('svd of zero matrices still returns orthonormal U and V', () => {
  for (const [m, n] of [
    [5, 7],
    [7, 5],
    [4, 4],
    [1, 3],
  ]) {
    const { s } = checkSvd(zeros(m, n));
    assert.ok(s.every((v) => v === 0));
  }
});

test('svd of empty matrices has empty factors', () => {
  for (const [m, n] of [
    [0, 0],
    [0, 4],
    [3, 0],
  ]) {
    const { U, s, V } = svd(zeros(m, n));
    assert.equal(s.length, 0);
    assert.equal(U.rows, m);
    assert.equal(U.cols, 0);
    assert.equal(V.rows, n);
    assert.equal(V.cols, 0);
  }
});

test('svd of a rank-3 product has exactly 3 nonzero singular values', () => {
  const rnd = mulberry32(7);
  for (const [m, n] of [
    [30, 20],
    [20, 30],
  ]) {
    const A = rankDeficient(m, 3, n, rnd);
    const { s } = checkSvd(A);
    assert.ok(s[2] > 1e-3 * s[0], `s[2] = ${s[2]} should be clearly nonzero`);
    for (let i = 3; i < s.length; i++) assert.ok(s[i] < 1e-12 * s[0], `s[${i}] = ${s[i]}`);
  }
});

test('svd of a matrix with exactly zero columns and rows', () => {
  const rnd = mulberry32(8);
  const A = randMatrix(8, 6, rnd);
  for (let i = 0; i < 8; i++) {
    A.data[i * 6 + 1] = 0;
    A.data[i * 6 + 4] = 0;
  }
  for (let j = 0; j < 6; j++) A.data[3 * 6 + j] = 0;
  const { s } = checkSvd(A);
  assert.equal(s[4], 0);
  assert.equal(s[5], 0);
  assert.ok(s[3] > 0);
  const t = checkSvd(transposeOf(A));
  assert.equal(t.s[4], 0);
  assert.equal(t.s[5], 0);
});

test('svd of an orthogonal matrix: all singular values are 1 (fully repeated)', () => {
  const rnd = mulberry32(9);
  const Q = randOrthonormal(25, 25, rnd);
  const { s } = checkSvd(Q);
  for (let i = 0; i < s.length; i++) assert.ok(Math.abs(s[i] - 1) < 1e-13, `s[${i}] = ${s[i]}`);
  const I = checkSvd(
    fromRows([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]),
  );
  assert.deepEqual(Array.from(I.s), [1, 1, 1]);
});

test('svd recovers known singular values, with repeated ones, to 1e-12 relative', () => {
  const rnd = mulberry32(10);
  const given = [9, 7, 7, 7, 4, 2.5, 1, 1, 0.5, 0.25];
  for (const [m, n] of [
    [30, 10],
    [10, 10],
    [10, 30],
  ]) {
    const k = Math.min(m, n);
    const A = withSingularValues(randOrthonormal(m, k, rnd), given.slice(0, k), randOrthonormal(n, k, rnd));
    const { s, U } = checkSvd(A);
    for (let i = 0; i < k; i++) assert.ok(Math.abs(s[i] - given[i]) < 1e-12 * given[i], `s[${i}] = ${s[i]}`);
    assert.equal(U.cols, k);
  }
});

test('svd singular vectors match the known ones for distinct singular values', () => {
  const rnd = mulberry32(11);
  const given = [5, 4, 3, 2, 1, 0.5];
  const Q1 = randOrthonormal(12, 6, rnd);
  const Q2 = randOrthonormal(6, 6, rnd);
  const { U, V } = checkSvd(withSingularValues(Q1, given, Q2));
  for (let j = 0; j < 6; j++) {
    let du = 0;
    let dv = 0;
    for (let i = 0; i < 12; i++) du += at(U, i, j) * at(Q1, i, j);
    for (let i = 0; i < 6; i++) dv += at(V, i, j) * at(Q2, i, j);
    assert.ok(Math.abs(Math.abs(du) - 1) < 1e-12, `u_${j}·q_${j} = ${du}`);
    assert.ok(Math.abs(du - dv) < 1e-12, 'u and v signs must agree');
  }
});

test('svd of a diagonal matrix with unsorted and negative entries: s = sorted |d|', () => {
  const d = [3, -7, 0.5, -0.5, 2, 0, -1e-3];
  const D = zeros(7, 7);
  d.forEach((v, i) => (D.data[i * 7 + i] = v));
  const { s } = checkSvd(D);
  const want = d.map(Math.abs).sort((a, b) => b - a);
  for (let i = 0; i < 7; i++) assert.ok(Math.abs(s[i] - want[i]) <= 1e-15 * want[0], `s[${i}] = ${s[i]}`);
  // Rectangular "diagonal".
  const R = zeros(4, 6);
  [-2, 5, 0, 1].forEach((v, i) => (R.data[i * 6 + i] = v));
  const r = checkSvd(R);
  assert.deepEqual(Array.from(r.s), [5, 2, 1, 0]);
});

test('svd keeps full relative accuracy under huge and tiny scaling', () => {
  const rnd = mulberry32(12);
  const A = randMatrix(12, 8, rnd);
  const ref = svd(A).s;
  for (const f of [1e250, 1e-250, 2 ** -1060]) {
    const B = zeros(12, 8);
    for (let i = 0; i < A.data.length; i++) B.data[i] = A.data[i] * f;
    if (f > 1e-300) checkSvd(B);
    const { s, U, V } = svd(B);
    assert.ok(orthError(U) < 1e-12 && orthError(V) < 1e-12);
    for (let i = 0; i < 8; i++) {
      assert.ok(Number.isFinite(s[i]));
      if (f > 1e-300) assert.ok(Math.abs(s[i] / f - ref[i]) < 1e-13 * ref[0], `scale ${f}: s[${i}]`);
    }
  }
});

test('svd near the overflow threshold returns the exact singular values', () => {
  const D = fromRows([
    [0, 1.5e308, 0],
    [-1, 0, 0],
    [0, 0, 1e-5],
  ]);
  const { s, U, V } = checkSvd(D);
  assert.deepEqual(Array.from(s), [1.5e308, 1, 1e-5]);
  // The tiny triplets are right too, not just some orthonormal completion: (U s V^T)[1][0] = −1.
  assert.equal(at(U, 1, 1) * s[1] * at(V, 0, 1), -1);
  assert.equal(at(U, 2, 2) * s[2] * at(V, 2, 2), 1e-5);
});

test('svd of a graded matrix resolves singular values spanning 20 orders of magnitude', () => {
  const rnd = mulberry32(13);
  const given = [1, 1e-4, 1e-8, 1e-12, 1e-16, 1e-20];
  // Diagonal scaled by a random orthogonal factor on one side only keeps the values exactly computable.
  const Q = randOrthonormal(9, 6, rnd);
  const A = withSingularValues(Q, given, fromRows(given.map((_, i) => given.map((__, j) => (i === j ? 1 : 0)))));
  const { s } = checkSvd(A);
  for (let i = 0; i < 6; i++) assert.ok(Math.abs(s[i] - given[i]) < 1e-12 * given[i], `s[${i}] = ${s[i]}`);
});

test('svd of a matrix with columns spanning 300 orders of magnitude', () => {
  const rnd = mulberry32(19);
  const A = randMatrix(8, 6, rnd);
  for (let i = 0; i < 8; i++) for (let j = 0; j < 6; j++) A.data[i * 6 + j] *= 10 ** (-60 * j);
  const { s } = checkSvd(A);
  for (let j = 0; j < 6; j++) assert.ok(s[j] > 0 && Number.isFinite(s[j]), `s[${j}] = ${s[j]}`);
  assert.ok(s[0] / s[5] > 1e290);
  checkSvd(transposeOf(A));
});

test('svd(A^T) has the same singular values as svd(A), with U and V swapped', () => {
  const rnd = mulberry32(20);
  const A = randMatrix(17, 11, rnd);
  const a = svd(A);
  const t = svd(transposeOf(A));
  sameSingularValues(t.s, a.s);
  // Distinct singular values: u_j(A) = ±v_j(A^T).
  for (let j = 0; j < 11; j++) {
    let d = 0;
    for (let i = 0; i < 17; i++) d += at(a.U, i, j) * at(t.V, i, j);
    assert.ok(Math.abs(Math.abs(d) - 1) < 1e-10, `column ${j}: ${d}`);
  }
});

test('svd rejects NaN and infinite entries', () => {
  assert.throws(() => svd(fromRows([[1, Number.NaN]])), /NaN/);
  assert.throws(() => svd(fromRows([[Number.NaN, 1]])), /NaN/);
  assert.throws(() => svd(fromRows([[1], [Infinity]])), /infinite/);
});

// ---------- svdInto / warm start ----------

function perturb(A: Matrix, eps: number, rnd: () => number): Matrix {
  const B = zeros(A.rows, A.cols);
  for (let i = 0; i < A.data.length; i++) B.data[i] = A.data[i] + eps * (2 * rnd() - 1);
  return B;
}

function sameSingularValues(a: Float64Array, b: Float64Array, tol = 1e-12): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol * b[0], `s[${i}]: ${a[i]} vs ${b[i]}`);
}

test('svdInto with warm start on a perturbed matrix is as accurate as a cold svd, in fewer sweeps', () => {
  const rnd = mulberry32(14);
  for (const [m, n] of [
    [40, 40],
    [60, 20],
    [20, 60],
    [25, 18],
  ]) {
    const ws = createSvdWorkspace(m, n);
    assert.equal(ws.rows, m);
    assert.equal(ws.cols, n);
    const A0 = randMatrix(m, n, rnd);
    checkSvd(A0, svdInto(A0, ws));
    const coldSweeps = lastSweepCount(ws);
    const A1 = perturb(A0, 1e-3, rnd);
    const warm = checkSvd(A1, svdInto(A1, ws, { warmStart: true }));
    const warmSweeps = lastSweepCount(ws);
    const ws2 = createSvdWorkspace(m, n);
    const cold = svdInto(A1, ws2);
    sameSingularValues(warm.s, cold.s);
    assert.ok(warmSweeps < lastSweepCount(ws2), `warm ${warmSweeps} sweeps vs cold ${lastSweepCount(ws2)}`);
    assert.ok(warmSweeps < coldSweeps);
  }
});

test('svdInto reuses the same buffers on every call (no allocation of results)', () => {
  const rnd = mulberry32(15);
  const ws = createSvdWorkspace(12, 9);
  let A = randMatrix(12, 9, rnd);
  const first = svdInto(A, ws);
  const { U, s, V } = first;
  const [Ud, Vd] = [U.data, V.data];
  for (let t = 0; t < 5; t++) {
    A = perturb(A, 1e-2, rnd);
    const r = svdInto(A, ws, { warmStart: t % 2 === 0 });
    assert.equal(r.U, U);
    assert.equal(r.V, V);
    assert.equal(r.s, s);
    assert.equal(r.U.data, Ud);
    assert.equal(r.V.data, Vd);
    assert.equal(r.U.rows, 12);
    assert.equal(r.U.cols, 9);
    assert.equal(r.V.rows, 9);
    assert.equal(r.V.cols, 9);
    checkSvd(A, r);
  }
});

test('svdInto stays accurate over a long warm-started training-like sequence', () => {
  const rnd = mulberry32(16);
  const m = 30;
  const n = 20;
  const ws = createSvdWorkspace(m, n);
  let A = rankDeficient(m, 5, n, rnd);
  svdInto(A, ws);
  for (let t = 0; t < 60; t++) {
    A = perturb(A, 1e-4, rnd);
    const r = svdInto(A, ws, { warmStart: true });
    if (t % 10 === 9) {
      checkSvd(A, r, 1e-13);
      sameSingularValues(r.s, svd(A).s);
    }
  }
});

test('svdInto does not accumulate rounding over 1000 warm-started calls', () => {
  // Without periodic re-orthonormalization of the stored V, V^T V − I and the residual grow by ~3e-17 per call.
  const rnd = mulberry32(21);
  const ws = createSvdWorkspace(12, 8);
  const A = randMatrix(12, 8, rnd);
  svdInto(A, ws);
  let r = svdInto(A, ws, { warmStart: true });
  for (let t = 0; t < 1000; t++) {
    for (let i = 0; i < A.data.length; i++) A.data[i] += 1e-4 * (2 * rnd() - 1);
    r = svdInto(A, ws, { warmStart: true });
  }
  checkSvd(A, r, 1e-14);
});

test('svdInto warm start copes with big changes, zero matrices and a rank change', () => {
  const rnd = mulberry32(17);
  const ws = createSvdWorkspace(10, 7);
  const A = randMatrix(10, 7, rnd);
  svdInto(A, ws);
  // An unrelated matrix: warm start is no help but must still be exact.
  const B = randMatrix(10, 7, rnd);
  checkSvd(B, svdInto(B, ws, { warmStart: true }));
  sameSingularValues(svdInto(B, ws, { warmStart: true }).s, svd(B).s);
  const Z = zeros(10, 7);
  checkSvd(Z, svdInto(Z, ws, { warmStart: true }));
  const C = rankDeficient(10, 2, 7, rnd);
  const r = checkSvd(C, svdInto(C, ws, { warmStart: true }));
  for (let i = 2; i < 7; i++) assert.ok(r.s[i] < 1e-12 * r.s[0]);
  // Warm start without a previous call is a cold start.
  const fresh = createSvdWorkspace(10, 7);
  checkSvd(A, svdInto(A, fresh, { warmStart: true }));
});

test('svdInto returns results consistent with svd on vectors and tiny shapes', () => {
  const rnd = mulberry32(18);
  for (const [m, n] of [
    [1, 5],
    [5, 1],
    [1, 1],
    [2, 5],
  ]) {
    const ws = createSvdWorkspace(m, n);
    const A = randMatrix(m, n, rnd);
    svdInto(A, ws);
    const A1 = perturb(A, 1e-3, rnd);
    const r = checkSvd(A1, svdInto(A1, ws, { warmStart: true }));
    sameSingularValues(r.s, svd(A1).s);
  }
});

test('svdInto rejects a matrix of the wrong shape and a foreign workspace', () => {
  const ws = createSvdWorkspace(4, 3);
  assert.throws(() => svdInto(zeros(3, 4), ws), /workspace/);
  assert.throws(() => svdInto(zeros(4, 3), { rows: 4, cols: 3 }), /createSvdWorkspace/);
  assert.throws(() => createSvdWorkspace(-1, 3), RangeError);
});

test('spectral: sums and gradient coefficients of N/F and N by hand, and Σ c_i s_i = 0 for N/F', async () => {
  const { spectralSums, spectralGradientCoefficients } = await import('../../../src/linalg/spectral.ts');
  const s = [4, 3, 0];
  const { N, F2 } = spectralSums(s);
  assert.equal(N, 7);
  assert.equal(F2, 25);
  const c = new Float64Array(3);
  spectralGradientCoefficients(s, N, F2, 1, 0, c);
  // c_i = (1 − N s_i/F²)/F with F = 5: (1 − 28/25)/5, (1 − 21/25)/5, and 0 where s_i = 0.
  assert.ok(Math.abs(c[0] - -0.024) < 1e-15 && Math.abs(c[1] - 0.032) < 1e-15 && c[2] === 0);
  // Scale invariance of N/F: its gradient is orthogonal to W, ⟨∇, W⟩ = Σ c_i s_i = 0.
  assert.ok(Math.abs(c[0] * s[0] + c[1] * s[1]) < 1e-15);
  spectralGradientCoefficients(s, N, F2, 0.5, 2, c);
  assert.ok(Math.abs(c[0] - (-0.012 + 2)) < 1e-15 && Math.abs(c[1] - (0.016 + 2)) < 1e-15 && c[2] === 0);
});

// ---------- warm starts cannot fail ----------

/** A copy of an SVD's views (the next svdInto call overwrites them). */
function copySvd(r: { U: Matrix; s: Float64Array; V: Matrix }): { U: Float64Array; s: Float64Array; V: Float64Array } {
  return { U: r.U.data.slice(), s: r.s.slice(), V: r.V.data.slice() };
}

test('a warm start that has not converged within warmSweeps starts over cold: the result is the cold one, bit for bit', () => {
  const rnd = mulberry32(31);
  for (const [m, n] of [
    [9, 9],
    [14, 9],
    [30, 8],
    [8, 21],
  ]) {
    const ws = createSvdWorkspace(m, n);
    // The previous call's vectors are a poor start for an unrelated matrix: one sweep cannot orthogonalize it.
    svdInto(randMatrix(m, n, rnd), ws);
    const A = randMatrix(m, n, rnd);
    const warm = copySvd(checkSvd(A, svdInto(A, ws, { warmStart: true, warmSweeps: 1 })));
    assert.ok(lastSweepCount(ws) > 1, `${m}×${n}: the sweeps count the failed warm attempt too`);
    const cold = copySvd(svdInto(A, createSvdWorkspace(m, n)));
    assert.deepEqual(warm, cold, `${m}×${n}: the fallback gives the cold result`);
  }
  assert.throws(
    () => svdInto(zeros(2, 2), createSvdWorkspace(2, 2), { warmSweeps: 0 }),
    /warmSweeps must be an integer >= 1, got 0/,
  );
});

test('warm-started sequences stay exact decompositions where warm starts are hardest: crossing, repeated, rank-deficient, graded', () => {
  const rnd = mulberry32(32);
  for (const [m, n] of [
    [6, 6],
    [10, 7],
    [24, 6],
    [5, 13],
  ]) {
    const k = Math.min(m, n);
    const Q1 = randOrthonormal(m, k, rnd);
    const Q2 = randOrthonormal(n, k, rnd);
    const spectra: ((t: number) => number[])[] = [
      // s_1 and s_2 cross at t = 0.5: the previous vectors come in the wrong order.
      (t) => Array.from({ length: k }, (_, i) => (i === 0 ? 1 : i === 1 ? 1.5 - t : 0.1 / i)),
      // Repeated values (the vectors of a repeated value are any rotation) and exact zeros (rank k − 2).
      (t) => Array.from({ length: k }, (_, i) => (i < 2 ? 1 : i < k - 2 ? 0.5 + 1e-15 * t : 0)),
      // A collapsing spectrum: graded over up to 200 orders of magnitude.
      (t) => Array.from({ length: k }, (_, i) => 10 ** (-200 * t * (i / (k - 1)))),
    ];
    for (const spectrum of spectra) {
      const ws = createSvdWorkspace(m, n);
      for (let step = 0; step <= 20; step++) {
        const A = withSingularValues(Q1, spectrum(step / 20), Q2);
        checkSvd(A, svdInto(A, ws, { warmStart: step > 0 }));
      }
    }
  }
});
