import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tsBackend, getBackend, setBackend, type Backend } from '../../../src/linalg/backend.ts';
import { chooseBackend, loadNativeBackend } from '../../../src/linalg/native.ts';
import { gemm, maxAbsDiff, zeros, type Matrix } from '../../../src/linalg/matrix.ts';
import { applyQ } from '../../../src/linalg/qr.ts';
import { syntheticProblem } from '../../../src/data/synthetic.ts';
import { train, type TrainOptions } from '../../../src/solver/train.ts';
import { DEFAULT_RUN_SPEC } from '../../../src/methods/run.ts';
import { namedOptimizer } from '../../../src/optim/index.ts';
import { relativeError } from '../../../src/metrics/index.ts';
import { randomMatrix } from '../../helpers/random.ts';

const loaded = loadNativeBackend();
const native = loaded.backend;
/** node:test's skip reason when the addon is not built (the tests then say why, and how to build it). */
const skip = native ? false : `native backend not built (${loaded.reason}); run \`npm run build:native\``;

function maxAbs(A: Matrix): number {
  let m = 0;
  for (const v of A.data) m = Math.max(m, Math.abs(v));
  return m;
}

/** ||X^T X − I||_max for the k columns of X. */
function orthogonalityError(X: Matrix): number {
  return maxAbsDiff(gemm(X, X, { transA: true }), identityOf(X.cols));
}

function identityOf(k: number): Matrix {
  const I = zeros(k, k);
  for (let i = 0; i < k; i++) I.data[i * k + i] = 1;
  return I;
}

/** U diag(s) V^T. */
function reconstruct(U: Matrix, s: Float64Array, V: Matrix): Matrix {
  const k = s.length;
  const US = zeros(U.rows, k);
  for (let i = 0; i < U.rows; i++) for (let c = 0; c < k; c++) US.data[i * k + c] = U.data[i * k + c] * s[c];
  return gemm(US, V, { transB: true });
}

/** Test matrices: random, rank-deficient (rank 3), tall, wide, a single row, tiny and huge scales, zero. */
function cases(): [string, Matrix][] {
  const lowRank = gemm(randomMatrix(40, 3, 11), randomMatrix(3, 30, 12));
  const tiny = randomMatrix(12, 9, 13);
  for (let i = 0; i < tiny.data.length; i++) tiny.data[i] *= 1e-150;
  const huge = randomMatrix(9, 12, 14);
  for (let i = 0; i < huge.data.length; i++) huge.data[i] *= 1e150;
  return [
    ['random 30×30', randomMatrix(30, 30, 1)],
    ['rank 3, 40×30', lowRank],
    ['tall 60×7', randomMatrix(60, 7, 2)],
    ['wide 7×60', randomMatrix(7, 60, 3)],
    ['one row 1×9', randomMatrix(1, 9, 4)],
    ['entries ~1e-150', tiny],
    ['entries ~1e150', huge],
    ['zero 5×4', zeros(5, 4)],
  ];
}

test('native svd: A = U S V^T, orthonormal U and V, s descending and equal to the TypeScript backend', { skip }, () => {
  const b = native as Backend;
  for (const [label, A] of cases()) {
    const k = Math.min(A.rows, A.cols);
    const { U, s, V } = b.svdInto(A, b.createSvdWorkspace(A.rows, A.cols));
    assert.equal(U.rows, A.rows, label);
    assert.equal(U.cols, k, label);
    assert.equal(V.rows, A.cols, label);
    assert.equal(V.cols, k, label);
    const scale = Math.max(maxAbs(A), Number.MIN_VALUE);
    assert.ok(maxAbsDiff(reconstruct(U, s, V), A) <= 1e-12 * scale * Math.max(A.rows, A.cols), `${label}: A = U S V^T`);
    assert.ok(orthogonalityError(U) <= 1e-12, `${label}: U^T U = I`);
    assert.ok(orthogonalityError(V) <= 1e-12, `${label}: V^T V = I`);
    for (let i = 1; i < k; i++) assert.ok(s[i] <= s[i - 1], `${label}: s descending`);
    const ref = tsBackend.svdInto(A, tsBackend.createSvdWorkspace(A.rows, A.cols)).s;
    const smax = Math.max(ref[0] ?? 0, Number.MIN_VALUE);
    for (let i = 0; i < k; i++)
      assert.ok(Math.abs(s[i] - ref[i]) <= 1e-12 * smax, `${label}: s[${i}] ${s[i]} vs ${ref[i]}`);
  }
});

test('native svd: rank-deficient input has exactly rank-many nonzero singular values (to rounding)', { skip }, () => {
  const b = native as Backend;
  const A = gemm(randomMatrix(50, 4, 21), randomMatrix(4, 35, 22));
  const { s } = b.svdInto(A, b.createSvdWorkspace(50, 35));
  assert.ok(s[3] > 1e-3 * s[0]);
  for (let i = 4; i < s.length; i++) assert.ok(s[i] <= 1e-13 * s[0], `s[${i}] = ${s[i]}`);
});

test('native svd: workspaces are reused (same views), reject other shapes, NaN and Inf', { skip }, () => {
  const b = native as Backend;
  const ws = b.createSvdWorkspace(6, 4);
  const r1 = b.svdInto(randomMatrix(6, 4, 1), ws);
  const r2 = b.svdInto(randomMatrix(6, 4, 2), ws, { warmStart: true });
  assert.equal(r1.U, r2.U);
  assert.throws(() => b.svdInto(randomMatrix(4, 6, 1), ws), /workspace is for 6×4/);
  assert.throws(() => b.svdInto(randomMatrix(6, 4, 1), tsBackend.createSvdWorkspace(6, 4)), /native backend/);
  const bad = randomMatrix(6, 4, 3);
  bad.data[5] = NaN;
  assert.throws(() => b.svdInto(bad, ws), /NaN/);
  bad.data[5] = Infinity;
  assert.throws(() => b.svdInto(bad, ws), /infinite/);
  const empty = b.svdInto(zeros(0, 3), b.createSvdWorkspace(0, 3));
  assert.equal(empty.s.length, 0);
});

test('native gemm equals the TypeScript gemm for every transpose, alpha and beta, tall and wide', { skip }, () => {
  const b = native as Backend;
  const shapes: [number, number, number][] = [
    [17, 5, 23],
    [3, 40, 2],
    [1, 1, 1],
    [30, 30, 30],
  ];
  for (const [m, n, k] of shapes) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        const A = transA ? randomMatrix(k, m, m + k) : randomMatrix(m, k, m + k);
        const B = transB ? randomMatrix(n, k, n + 2 * k) : randomMatrix(k, n, n + 2 * k);
        const C0 = randomMatrix(m, n, 99);
        const opts = { transA, transB, alpha: -0.7, beta: 0.3 };
        const want = gemm(A, B, { ...opts, out: structuredClone(C0) });
        const got = b.gemm(A, B, { ...opts, out: structuredClone(C0) });
        const label = `${m}×${n}×${k} transA=${transA} transB=${transB}`;
        assert.ok(maxAbsDiff(got, want) <= 1e-12 * Math.max(1, maxAbs(want)) * k, label);
        assert.ok(maxAbsDiff(b.gemm(A, B, { transA, transB }), gemm(A, B, { transA, transB })) <= 1e-12 * k, label);
      }
    }
  }
  // beta = 0 ignores what the output held (NaN included), as in BLAS and the TypeScript kernel.
  const out = zeros(2, 2);
  out.data.fill(NaN);
  b.gemm(randomMatrix(2, 3, 1), randomMatrix(3, 2, 2), { out });
  assert.ok(out.data.every(Number.isFinite));
  // Degenerate and bad shapes behave like the TypeScript kernel.
  assert.deepEqual(b.gemm(zeros(2, 0), zeros(0, 3)).data, new Float64Array(6));
  assert.throws(() => b.gemm(zeros(2, 3), zeros(2, 3)), /inner dimensions differ/);
  const A = randomMatrix(3, 3, 5);
  assert.throws(() => b.gemm(A, randomMatrix(3, 3, 6), { out: A }), /alias/);
});

// The default run's method (depth 1, adam + L∗/F, λ 1e-4, lr 1e-3), 200 steps.
const trainOpts = (backend: Backend, extra: Partial<typeof DEFAULT_RUN_SPEC> = {}): TrainOptions => {
  const spec = { ...DEFAULT_RUN_SPEC, maxIters: 200, ...extra };
  return { ...spec, optimizer: namedOptimizer(spec.optimizer, { lr: spec.lr }), backend };
};

test('training agrees between backends: depth 1, adam + L∗/F, 200 steps at n = 30', { skip }, () => {
  const p = syntheticProblem({ n: 30, rank: 2, samples: 300, seed: 0 });
  const a = train(p.observations, trainOpts(tsBackend));
  const b = train(p.observations, trainOpts(native as Backend));
  assert.equal(a.backend, 'ts');
  assert.equal(b.backend, 'native');
  const ra = relativeError(a.W, p.truth);
  const rb = relativeError(b.W, p.truth);
  assert.ok(Math.abs(ra - rb) <= 1e-6 * ra, `relError ${ra} (ts) vs ${rb} (native)`);
  assert.ok(relativeError(b.W, a.W) <= 1e-6, `W differs by ${relativeError(b.W, a.W)}`);
  assert.ok(Math.abs(a.objective - b.objective) <= 1e-9 * a.objective);
});

test('training agrees between backends: depth 3 (the gemms of the product), group-rmsprop', { skip }, () => {
  const p = syntheticProblem({ n: 20, rank: 2, samples: 150, seed: 1 });
  const extra = { depth: 3, penalty: 'none' as const, optimizer: 'group-rmsprop' as const, initScale: 1e-2 };
  const a = train(p.observations, trainOpts(tsBackend, extra));
  const b = train(p.observations, trainOpts(native as Backend, extra));
  assert.ok(relativeError(b.W, a.W) <= 1e-9, `W differs by ${relativeError(b.W, a.W)}`);
});

test('chooseBackend: ts forces TypeScript; unknown names are refused; unset prefers native when built', () => {
  assert.equal(chooseBackend('ts'), tsBackend);
  assert.throws(() => chooseBackend('fast'), /MCOMPLETE_BACKEND must be 'ts' or 'native'.*'fast'/);
  assert.equal(chooseBackend('').name, native ? 'native' : 'ts');
  if (native) assert.equal(chooseBackend('native'), native);
  else assert.throws(() => chooseBackend('native'), /npm run build:native/);
});

test('setBackend changes the default and returns the previous one', () => {
  const before = getBackend();
  const previous = setBackend(tsBackend);
  assert.equal(previous, before);
  assert.equal(getBackend(), tsBackend);
  setBackend(before);
});

/** T (len×nc) from householderQr's output in W: column c of T = Q·[R e_c; 0], Q applied by the reflectors. */
function qrProduct(W: Float64Array, tau: Float64Array, nc: number, len: number): Matrix {
  const T = zeros(len, nc);
  const x = new Float64Array(len);
  for (let c = 0; c < nc; c++) {
    x.fill(0);
    for (let j = 0; j <= c; j++) x[j] = W[c * len + j];
    applyQ(W, len, nc, tau, x);
    for (let i = 0; i < len; i++) T.data[i * nc + c] = x[i];
  }
  return T;
}

test(
  'householderQr on both backends: the reflectors times R give back the matrix, and |R| agrees (dgeqrf and the TypeScript loop)',
  { skip },
  () => {
    for (const [len, nc] of [
      [60, 7],
      [7, 7],
      [300, 20],
      [5, 1],
    ]) {
      const T = randomMatrix(len, nc, len + nc);
      const Rs: Float64Array[] = [];
      for (const b of [tsBackend, native as Backend]) {
        const W = new Float64Array(nc * len);
        for (let i = 0; i < len; i++) for (let c = 0; c < nc; c++) W[c * len + i] = T.data[i * nc + c];
        const tau = new Float64Array(nc);
        b.householderQr(W, nc, len, tau);
        assert.ok(
          maxAbsDiff(qrProduct(W, tau, nc, len), T) < 1e-13 * maxAbs(T) * len,
          `${b.name} ${len}×${nc}: Q·R differs from the matrix`,
        );
        const R = new Float64Array(nc * nc);
        for (let c = 0; c < nc; c++) for (let j = 0; j <= c; j++) R[j * nc + c] = W[c * len + j];
        Rs.push(R);
      }
      // R is unique up to the sign of each row for a full-rank matrix.
      for (let t = 0; t < nc * nc; t++)
        assert.ok(
          Math.abs(Math.abs(Rs[0][t]) - Math.abs(Rs[1][t])) < 1e-12 * maxAbs(T) * len,
          `${len}×${nc}: |R| differs at ${t}`,
        );
    }
  },
);
