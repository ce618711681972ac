import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gemm, zeros, type Matrix } from '../../../src/linalg/matrix.ts';
import { sampledResidual, type SampledEntries } from '../../../src/linalg/sampled.ts';
import { setBackend, tsBackend, type Backend } from '../../../src/linalg/backend.ts';
import { syntheticFactors } from '../../../src/data/synthetic.ts';
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
