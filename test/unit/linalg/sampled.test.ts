import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gemm, zeros, type Matrix } from '../../../src/linalg/matrix.ts';
import {
  factorJacobian,
  factorJacobianTranspose,
  sampledResidual,
  type SampledEntries,
} from '../../../src/linalg/sampled.ts';
import { setBackend, tsBackend, type Backend } from '../../../src/linalg/backend.ts';
import { syntheticFactors } from '../../../src/data/synthetic.ts';
import { gnmr } from '../../../src/solver/gnmr.ts';
import { startTrainFactored, factoredDataTerm } from '../../../src/solver/factored-train.ts';
import { DEFAULT_RUN_SPEC, runSynthetic } from '../../../src/methods/run.ts';
import { chain, scale, scaleByAdam } from '../../../src/optim/index.ts';
import { loadNativeBackend } from '../../../src/linalg/native.ts';
import { mulberry32, randomMatrix } from '../../helpers/random.ts';

const loaded = loadNativeBackend();
const native = loaded.backend;
const skip = native ? false : `native backend not built (${loaded.reason}); run \`npm run build:native\``;

/** count random entries of an m×n matrix (repeats allowed: the kernel must simply add them up). */
function entriesOf(m: number, n: number, count: number, seed: number): SampledEntries {
  const rnd = mulberry32(seed);
  return {
    rows: Int32Array.from({ length: count }, () => Math.floor(rnd() * m)),
    cols: Int32Array.from({ length: count }, () => Math.floor(rnd() * n)),
    values: Float64Array.from({ length: count }, () => 2 * rnd() - 1),
  };
}

test('sampledResidual is the sum of squared residuals on the entries and adds G·B, G^T·A (dense reference)', () => {
  const [m, n, k] = [7, 5, 3];
  const A = randomMatrix(m, k, 1);
  const B = randomMatrix(n, k, 2);
  const e = entriesOf(m, n, 40, 3);
  const W = gemm(A, B, { transB: true });
  const G = zeros(m, n);
  let sse = 0;
  for (let t = 0; t < e.values.length; t++) {
    const r = W.data[e.rows[t] * n + e.cols[t]] - e.values[t];
    sse += r * r;
    G.data[e.rows[t] * n + e.cols[t]] += 0.7 * r;
  }
  const gA = randomMatrix(m, k, 4);
  const gB = randomMatrix(n, k, 5);
  const refA = gA.data.map((x, i) => x + gemm(G, B).data[i]);
  const refB = gB.data.map((x, i) => x + gemm(G, A, { transA: true }).data[i]);
  const got = sampledResidual(A, B, e, 0.7, gA, gB);
  assert.ok(Math.abs(got - sse) <= 1e-12 * sse, `${got} vs ${sse}`);
  for (let i = 0; i < refA.length; i++) assert.ok(Math.abs(gA.data[i] - refA[i]) < 1e-12, `gradA[${i}]`);
  for (let i = 0; i < refB.length; i++) assert.ok(Math.abs(gB.data[i] - refB[i]) < 1e-12, `gradB[${i}]`);
  // Without gradients: the same value, nothing written.
  assert.equal(sampledResidual(A, B, e, 0.7, null, null), got);
});

test('sampledResidual checks shapes: A and B of different k, ragged entries, one gradient, wrong gradient shape', () => {
  const A = zeros(4, 2);
  const B = zeros(3, 2);
  const e = entriesOf(4, 3, 5, 1);
  assert.throws(() => sampledResidual(A, zeros(3, 1), e, 1, null, null), /A is 4×2 but B is 3×1/);
  assert.throws(
    () => sampledResidual(A, B, { ...e, cols: e.cols.subarray(1) }, 1, null, null),
    /5 rows, 4 cols and 5 values/,
  );
  assert.throws(() => sampledResidual(A, B, e, 1, zeros(4, 2), null), /both gradients or neither/);
  assert.throws(() => sampledResidual(A, B, e, 1, zeros(4, 2), zeros(2, 2)), /gradient shapes must match/);
});

test(
  'native sampledResidual gives the same bits as the TypeScript kernel, with and without gradients',
  { skip },
  () => {
    for (const [m, n, k, count] of [
      [30, 20, 1, 100],
      [200, 150, 20, 5000],
      [50, 60, 7, 0],
    ]) {
      const A = randomMatrix(m, k, 10 + k);
      const B = randomMatrix(n, k, 20 + k);
      const e = entriesOf(m, n, count, 30 + k);
      const grads = (): [Matrix, Matrix] => [randomMatrix(m, k, 40), randomMatrix(n, k, 41)];
      const [tA, tB] = grads();
      const [nA, nB] = grads();
      const ts = tsBackend.sampledResidual(A, B, e, 2 / Math.max(1, count), tA, tB);
      const nat = native!.sampledResidual(A, B, e, 2 / Math.max(1, count), nA, nB);
      assert.equal(nat, ts, `sse at ${m}×${n}, k ${k}`);
      assert.deepEqual(nA.data, tA.data);
      assert.deepEqual(nB.data, tB.data);
      assert.equal(native!.sampledResidual(A, B, e, 1, null, null), tsBackend.sampledResidual(A, B, e, 1, null, null));
    }
  },
);

test('native sampledResidual refuses an index outside A or B before writing anything', { skip }, () => {
  const A = randomMatrix(4, 2, 1);
  const B = randomMatrix(3, 2, 2);
  const gA = zeros(4, 2);
  const gB = zeros(3, 2);
  for (const bad of [
    { rows: Int32Array.of(0, 4), cols: Int32Array.of(0, 0) },
    { rows: Int32Array.of(0, 0), cols: Int32Array.of(0, -1) },
  ]) {
    assert.throws(
      () => native!.sampledResidual(A, B, { ...bad, values: Float64Array.of(1, 2) }, 1, gA, gB),
      /index is outside A or B/,
    );
  }
  assert.ok(gA.data.every((x) => x === 0) && gB.data.every((x) => x === 0));
  assert.throws(
    () =>
      native!.sampledResidual(
        A,
        zeros(3, 1),
        { rows: Int32Array.of(0), cols: Int32Array.of(0), values: Float64Array.of(1) },
        1,
        null,
        null,
      ),
    /A is 4×2 but B is 3×1/,
  );
});

test(
  'factored training gives the same bits with the native data term, agrees to rounding with the native SVD, and says which ran',
  { skip },
  () => {
    const problem = syntheticFactors({ n: 40, rank: 3, samples: 500, seed: 2 });
    const opts = {
      rank: 8,
      penalty: 'ratio' as const,
      lambda: 1e-4,
      optimizer: chain(scaleByAdam(), scale(-1e-2)),
      initScale: 1e-3,
      seed: 2,
      maxIters: 150,
      mseTol: 0,
    };
    const runOn = (backend: Backend) => {
      const trainer = startTrainFactored(problem.observations, { ...opts, backend });
      trainer.advance(Infinity);
      return trainer.result();
    };
    const ts = runOn(tsBackend);
    // The native data term (the hand-written C loop) with every other kernel TypeScript: the same bits. (The
    // penalty's dgeqrf QRs, gemms and dgesdd round differently: compared to rounding below.)
    const nativeKernels: Backend = { ...tsBackend, name: 'native', sampledResidual: native!.sampledResidual };
    const mixed = runOn(nativeKernels);
    assert.equal(ts.backend, 'ts');
    assert.equal(mixed.backend, 'native');
    assert.deepEqual(mixed.model.A.data, ts.model.A.data);
    assert.deepEqual(mixed.model.B.data, ts.model.B.data);
    assert.equal(mixed.trainMSE, ts.trainMSE);
    // All native (LAPACK's QRs and SVD of the core, OpenBLAS's gemms): the same run to rounding.
    const nat = runOn(native!);
    assert.equal(nat.backend, 'native');
    let diff = 0;
    let size = 0;
    for (let i = 0; i < ts.model.A.data.length; i++) {
      diff = Math.max(diff, Math.abs(nat.model.A.data[i] - ts.model.A.data[i]));
      size = Math.max(size, Math.abs(ts.model.A.data[i]));
    }
    assert.ok(diff <= 1e-8 * size, `max |A_native − A_ts| = ${diff} (max |A| ${size})`);
    assert.ok(
      ts.trainMSE < (0.5 * factoredDataTerm(zeros(40, 8), zeros(40, 8), problem.observations)) / 500,
      'the run moved',
    );
    // runSynthetic records the process-wide backend in its settings.
    const previous = setBackend(native!);
    try {
      const r = runSynthetic({
        ...DEFAULT_RUN_SPEC,
        n: 20,
        rank: 2,
        samples: 150,
        maxIters: 5,
        model: 'factored',
        k: 4,
      });
      assert.equal(r.settings.backend, 'native');
    } finally {
      setBackend(previous);
    }
  },
);

/** The Jacobian of (U, V) ↦ P_Ω(UVᵀ) formed explicitly from its definition: row t holds V_j under U_i's columns and U_i under V_j's. */
function explicitJacobian(U: Matrix, V: Matrix, e: SampledEntries): Matrix {
  const r = U.cols;
  const offV = U.rows * r;
  const J = zeros(e.rows.length, (U.rows + V.rows) * r);
  for (let t = 0; t < e.rows.length; t++) {
    for (let k = 0; k < r; k++) {
      J.data[t * J.cols + e.rows[t] * r + k] += V.data[e.cols[t] * r + k];
      J.data[t * J.cols + offV + e.cols[t] * r + k] += U.data[e.rows[t] * r + k];
    }
  }
  return J;
}

const column = (x: Float64Array): Matrix => ({ rows: x.length, cols: 1, data: x });
const dot = (a: Float64Array, b: Float64Array): number => a.reduce((s, v, i) => s + v * b[i], 0);

test('factorJacobian is the derivative of P_Ω(UVᵀ): central differences of the dense product, rectangular, r = 1 and 3', () => {
  for (const [m, n, r] of [
    [7, 4, 3],
    [3, 9, 1],
  ]) {
    const U = randomMatrix(m, r, 1);
    const V = randomMatrix(n, r, 2);
    const e = entriesOf(m, n, 25, 3);
    const x = randomMatrix((m + n) * r, 1, 4).data;
    const out = new Float64Array(e.rows.length).fill(NaN);
    factorJacobian(U, V, e, x, out);
    // (U + hΔU)(V + hΔV)ᵀ is quadratic in h, so the central difference is exact up to rounding.
    const h = 1e-3;
    const product = (sign: number): Matrix =>
      gemm(
        { ...U, data: U.data.map((u, i) => u + sign * h * x[i]) },
        { ...V, data: V.data.map((v, i) => v + sign * h * x[m * r + i]) },
        { transB: true },
      );
    const [plus, minus] = [product(1), product(-1)];
    for (let t = 0; t < e.rows.length; t++) {
      const at = e.rows[t] * n + e.cols[t];
      const fd = (plus.data[at] - minus.data[at]) / (2 * h);
      assert.ok(Math.abs(out[t] - fd) <= 1e-10 * (1 + Math.abs(fd)), `${m}×${n} r ${r} entry ${t}: ${out[t]} vs ${fd}`);
    }
  }
});

test('factorJacobian and its transpose are the explicitly formed Jacobian times x and its transpose times y', () => {
  const [m, n, r] = [6, 11, 2];
  const U = randomMatrix(m, r, 5);
  const V = randomMatrix(n, r, 6);
  const e = entriesOf(m, n, 30, 7);
  const J = explicitJacobian(U, V, e);
  const x = randomMatrix(J.cols, 1, 8).data;
  const y = randomMatrix(J.rows, 1, 9).data;
  const Jx = new Float64Array(J.rows);
  const Jty = new Float64Array(J.cols).fill(7); // overwritten, not added to
  factorJacobian(U, V, e, x, Jx);
  factorJacobianTranspose(U, V, e, y, Jty);
  const refJx = gemm(J, column(x)).data;
  const refJty = gemm(J, column(y), { transA: true }).data;
  for (let t = 0; t < J.rows; t++)
    assert.ok(Math.abs(Jx[t] - refJx[t]) <= 1e-13 * (1 + Math.abs(refJx[t])), `Jx[${t}]`);
  for (let i = 0; i < J.cols; i++)
    assert.ok(Math.abs(Jty[i] - refJty[i]) <= 1e-13 * (1 + Math.abs(refJty[i])), `Jᵀy[${i}]`);
});

test('factorJacobianTranspose is the adjoint of factorJacobian: ⟨J x, y⟩ = ⟨x, Jᵀ y⟩', () => {
  for (const [m, n, r, count] of [
    [40, 25, 4, 300],
    [12, 50, 1, 200],
  ]) {
    const U = randomMatrix(m, r, 11);
    const V = randomMatrix(n, r, 12);
    const e = entriesOf(m, n, count, 13);
    const x = randomMatrix((m + n) * r, 1, 14).data;
    const y = randomMatrix(count, 1, 15).data;
    const Jx = new Float64Array(count);
    const Jty = new Float64Array(x.length);
    factorJacobian(U, V, e, x, Jx);
    factorJacobianTranspose(U, V, e, y, Jty);
    const [left, right] = [dot(Jx, y), dot(x, Jty)];
    assert.ok(Math.abs(left - right) <= 1e-12 * Math.abs(left), `${left} vs ${right}`);
  }
});

test('factorJacobian checks shapes: U and V of different r, ragged entries, vectors of the wrong length', () => {
  const U = zeros(4, 2);
  const V = zeros(3, 2);
  const e = entriesOf(4, 3, 5, 1);
  const x = new Float64Array(14);
  const y = new Float64Array(5);
  assert.throws(() => factorJacobian(U, zeros(3, 1), e, x, y), /U is 4×2 but V is 3×1/);
  assert.throws(() => factorJacobian(U, V, { ...e, cols: e.cols.subarray(1) }, x, y), /5 rows but 4 cols/);
  assert.throws(() => factorJacobian(U, V, e, new Float64Array(13), y), /factor vector has length 13 \(want 14\)/);
  assert.throws(() => factorJacobianTranspose(U, V, e, new Float64Array(4), x), /entry vector 4 \(want 5\)/);
});

test('native factorJacobian and its transpose give the same bits as the TypeScript kernels', { skip }, () => {
  for (const [m, n, r, count] of [
    [30, 20, 1, 100],
    [200, 150, 5, 5000],
    [17, 90, 12, 800],
    [50, 60, 7, 0],
  ]) {
    const U = randomMatrix(m, r, 10 + r);
    const V = randomMatrix(n, r, 20 + r);
    const e = entriesOf(m, n, count, 30 + r);
    const x = randomMatrix((m + n) * r, 1, 40).data;
    const y = randomMatrix(count, 1, 41).data;
    const [tJx, nJx] = [new Float64Array(count), new Float64Array(count).fill(NaN)];
    const [tJty, nJty] = [new Float64Array(x.length), new Float64Array(x.length).fill(NaN)];
    tsBackend.factorJacobian(U, V, e, x, tJx);
    native!.factorJacobian(U, V, e, x, nJx);
    tsBackend.factorJacobianTranspose(U, V, e, y, tJty);
    native!.factorJacobianTranspose(U, V, e, y, nJty);
    assert.deepEqual(nJx, tJx, `J x at ${m}×${n}, r ${r}`);
    assert.deepEqual(nJty, tJty, `Jᵀ y at ${m}×${n}, r ${r}`);
  }
});

test('native factorJacobian refuses an index outside U or V and a vector of the wrong length', { skip }, () => {
  const U = randomMatrix(4, 2, 1);
  const V = randomMatrix(3, 2, 2);
  const x = new Float64Array(14);
  const y = new Float64Array(2);
  for (const bad of [
    { rows: Int32Array.of(0, 4), cols: Int32Array.of(0, 0) },
    { rows: Int32Array.of(0, 0), cols: Int32Array.of(0, -1) },
  ]) {
    assert.throws(() => native!.factorJacobian(U, V, bad, x, y), /index is outside U or V/);
    assert.throws(() => native!.factorJacobianTranspose(U, V, bad, y, x), /index is outside U or V/);
  }
  const e = { rows: Int32Array.of(0, 1), cols: Int32Array.of(2, 0) };
  assert.throws(() => native!.factorJacobian(U, V, e, new Float64Array(13), y), /want 14/);
});

test('gnmr gives the same bits on both backends (its LSQR products are the only kernels that differ)', { skip }, () => {
  const problem = syntheticFactors({ n: 40, rank: 3, samples: 500, seed: 4 });
  const run = (backend: Backend) => gnmr(problem.observations, { rank: 3, maxIters: 6, backend });
  const [ts, nat] = [run(tsBackend), run(native!)];
  assert.ok(ts.lsqrIterations > 6, 'LSQR ran');
  assert.equal(nat.lsqrIterations, ts.lsqrIterations);
  assert.deepEqual(nat.residualHistory, ts.residualHistory);
  assert.deepEqual(nat.U.data, ts.U.data);
  assert.deepEqual(nat.V.data, ts.V.data);
  // The process backend is what jacobianOperator uses when gnmr is given none.
  const previous = setBackend(native!);
  try {
    assert.deepEqual(gnmr(problem.observations, { rank: 3, maxIters: 6 }).U.data, ts.U.data);
  } finally {
    setBackend(previous);
  }
});
