import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clone, frobeniusNorm, gemm, zeros, type Matrix } from '../../../src/linalg/matrix.ts';
import { svd } from '../../../src/linalg/svd.ts';
import { tsBackend, type Backend } from '../../../src/linalg/backend.ts';
import { loadNativeBackend } from '../../../src/linalg/native.ts';
import { isZeroNorm, penalty, RATIO_ZERO_NORM } from '../../../src/penalty/index.ts';
import {
  createFactoredWorkspace,
  expandLeft,
  expandRight,
  factoredPenalties,
  factoredPenalty,
  factoredSpectrum,
  type FactoredPenaltyName,
} from '../../../src/penalty/factored.ts';
import { factoredDataTerm, trainFactored } from '../../../src/solver/factored-train.ts';
import { makeObservations, type Observations } from '../../../src/data/observations.ts';
import { createRng } from '../../../src/random/index.ts';
import { chain, scale, scaleByAdam } from '../../../src/optim/index.ts';
import { randomMatrix } from '../../helpers/random.ts';
import { numericGradient } from '../../helpers/gradient.ts';

const product = (A: Matrix, B: Matrix): Matrix => gemm(A, B, { transB: true });

test('factoredSpectrum gives the exact singular values and vectors of A·B^T without forming it', () => {
  for (const [m, n, k] of [
    [9, 7, 3],
    [5, 12, 4],
    [6, 6, 6],
    [8, 5, 1],
  ]) {
    const A = randomMatrix(m, k, m + n);
    const B = randomMatrix(n, k, 100 + k);
    const ws = createFactoredWorkspace(m, n, k);
    const { s, Uc, Vc } = factoredSpectrum(A, B, ws);
    const ref = svd(product(A, B)).s;
    for (let i = 0; i < k; i++) assert.ok(Math.abs(s[i] - ref[i]) < 1e-12 * ref[0], `s[${i}] ${s[i]} vs ${ref[i]}`);
    // U diag(s) V^T reproduces W.
    const U = expandLeft(ws, Uc);
    const V = expandRight(ws, Vc);
    const US = clone(U);
    for (let i = 0; i < m; i++) for (let c = 0; c < k; c++) US.data[i * k + c] *= s[c];
    const W = product(A, B);
    const R = product(US, V);
    let err = 0;
    for (let i = 0; i < W.data.length; i++) err = Math.max(err, Math.abs(W.data[i] - R.data[i]));
    assert.ok(err < 1e-12 * frobeniusNorm(W), `reconstruction error ${err}`);
  }
});

test('a rank-deficient A (repeated column) still gives the exact spectrum', () => {
  const A = randomMatrix(7, 3, 1);
  for (let i = 0; i < 7; i++) A.data[i * 3 + 2] = 2 * A.data[i * 3];
  const B = randomMatrix(6, 3, 2);
  const { s } = factoredSpectrum(A, B, createFactoredWorkspace(7, 6, 3));
  const ref = svd(product(A, B)).s;
  assert.ok(Math.abs(s[0] - ref[0]) < 1e-12 * ref[0] && Math.abs(s[1] - ref[1]) < 1e-12 * ref[0]);
  assert.ok(s[2] < 1e-12 * s[0]);
});

function penaltyValue(name: FactoredPenaltyName, A: Matrix, B: Matrix): number {
  return factoredPenalty(name, A, B, createFactoredWorkspace(A.rows, B.rows, A.cols));
}

function relDiff(a: Matrix, b: Matrix): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.data.length; i++) {
    num += (a.data[i] - b.data[i]) ** 2;
    den += b.data[i] ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-300));
}

for (const name of ['ratio', 'nuclear'] as const) {
  for (const [m, n, k] of [
    [8, 6, 3],
    [5, 9, 2],
    [6, 6, 4],
  ]) {
    test(`${name}: exact factored value matches the dense penalty, gradients match finite differences (${m}×${n}, k=${k})`, () => {
      const A = randomMatrix(m, k, 7 * m + k);
      const B = randomMatrix(n, k, 11 * n + k);
      const W = product(A, B);
      const dense = penalty(name, W, svd(W));
      assert.ok(Math.abs(penaltyValue(name, A, B) - dense) < 1e-12 * dense);
      const ws = createFactoredWorkspace(m, n, k);
      const gA = zeros(m, k);
      const gB = zeros(n, k);
      factoredPenalty(name, A, B, ws, { gradA: gA, gradB: gB, scale: 0.7 });
      const f = (): number => 0.7 * penaltyValue(name, A, B);
      assert.ok(relDiff(gA, numericGradient(A, f)) < 1e-6, `dA relative error ${relDiff(gA, numericGradient(A, f))}`);
      assert.ok(relDiff(gB, numericGradient(B, f)) < 1e-6, `dB relative error ${relDiff(gB, numericGradient(B, f))}`);
      // Same as the dense chain rule: ∇_W R · B and ∇_W R^T · A.
      const G = zeros(m, n);
      penalty(name, W, svd(W), { gradOut: G, gradScale: 0.7 });
      assert.ok(relDiff(gA, gemm(G, B)) < 1e-10);
      assert.ok(relDiff(gB, gemm(G, A, { transA: true })) < 1e-10);
    });
  }
}

test('ratio is scale-invariant in the factors: <∂/∂A, A> + <∂/∂B, B> = 2<∇R, W> = 0', () => {
  const A = randomMatrix(9, 4, 3);
  const B = randomMatrix(7, 4, 4);
  const gA = zeros(9, 4);
  const gB = zeros(7, 4);
  factoredPenalty('ratio', A, B, createFactoredWorkspace(9, 7, 4), { gradA: gA, gradB: gB });
  let ip = 0;
  for (let i = 0; i < A.data.length; i++) ip += gA.data[i] * A.data[i];
  for (let i = 0; i < B.data.length; i++) ip += gB.data[i] * B.data[i];
  assert.ok(Math.abs(ip) < 1e-12, `inner product ${ip}`);
});

function randomObservations(m: number, n: number, count: number, seed: number): Observations {
  const rng = createRng(seed);
  const seen = new Set<number>();
  const rows: number[] = [];
  const cols: number[] = [];
  const values: number[] = [];
  while (rows.length < count) {
    const i = rng.int(m);
    const j = rng.int(n);
    if (seen.has(i * n + j)) continue;
    seen.add(i * n + j);
    rows.push(i);
    cols.push(j);
    values.push(rng.normal());
  }
  return makeObservations([m, n], rows, cols, values);
}

test('data term gradient (sparse G times the other factor) matches finite differences', () => {
  const A = randomMatrix(6, 3, 5);
  const B = randomMatrix(8, 3, 6);
  const obs = randomObservations(6, 8, 20, 1);
  const gA = zeros(6, 3);
  const gB = zeros(8, 3);
  factoredDataTerm(A, B, obs, { gradA: gA, gradB: gB });
  const f = (): number => factoredDataTerm(A, B, obs) / obs.values.length;
  assert.ok(relDiff(gA, numericGradient(A, f)) < 1e-7);
  assert.ok(relDiff(gB, numericGradient(B, f)) < 1e-7);
});

test('Adam on the factored model with L∗/F fits a noiseless low-rank matrix', () => {
  const m = 30;
  const n = 25;
  const U = randomMatrix(m, 2, 21);
  const V = randomMatrix(n, 2, 22);
  const truth = product(U, V);
  const all = Array.from({ length: m * n }, (_, t) => t);
  const rng = createRng(3);
  for (let t = all.length - 1; t > 0; t--) {
    const j = rng.int(t + 1);
    [all[t], all[j]] = [all[j], all[t]];
  }
  const pick = all.slice(0, 400);
  const obs = makeObservations(
    [m, n],
    pick.map((t) => Math.floor(t / n)),
    pick.map((t) => t % n),
    pick.map((t) => truth.data[t]),
  );
  const r = trainFactored(obs, {
    rank: 4,
    penalty: 'ratio',
    lambda: 1e-3,
    optimizer: chain(scaleByAdam(), scale(-1e-2)),
    maxIters: 1500,
    initScale: 1e-2,
    seed: 0,
  });
  const W = product(r.model.A, r.model.B);
  let num = 0;
  let den = 0;
  for (let t = 0; t < W.data.length; t++) {
    num += (W.data[t] - truth.data[t]) ** 2;
    den += truth.data[t] ** 2;
  }
  assert.ok(Math.sqrt(num / den) < 0.05, `relative error ${Math.sqrt(num / den)}, train MSE ${r.trainMSE}`);
});

test('dense and factored L∗/F share one zero-norm guard: 1 with zero gradient below RATIO_ZERO_NORM, N/F above', () => {
  // (F comes from Σ s_i², which underflows to 0 below s ~ 1e-154: then W counts as zero too.)
  for (const scale of [0, 1e-160, 1e-70, 1]) {
    const A = randomMatrix(6, 3, 21);
    const B = randomMatrix(5, 3, 22);
    for (let i = 0; i < A.data.length; i++) A.data[i] *= scale;
    for (let i = 0; i < B.data.length; i++) B.data[i] *= scale;
    const W = product(A, B);
    const F = frobeniusNorm(W);
    const gA = zeros(6, 3);
    const gB = zeros(5, 3);
    const factored = factoredPenalty('ratio', A, B, createFactoredWorkspace(6, 5, 3), { gradA: gA, gradB: gB });
    const G = zeros(6, 5);
    const dense = penalty('ratio', W, svd(W), { gradOut: G });
    if (isZeroNorm(F)) {
      assert.ok(F < RATIO_ZERO_NORM);
      assert.equal(factored, 1);
      assert.equal(dense, 1);
      assert.ok(
        [...gA.data, ...gB.data, ...G.data].every((g) => g === 0),
        `scale ${scale}: a zero gradient`,
      );
    } else {
      // Rank 3 of a 6×5 product: 1 < N/F <= sqrt(3).
      assert.ok(dense > 1 && dense <= Math.sqrt(3) + 1e-12, `scale ${scale}: dense ${dense}`);
      assert.ok(Math.abs(factored - dense) < 1e-12 * dense, `scale ${scale}: factored ${factored} vs dense ${dense}`);
    }
  }
  assert.ok(isZeroNorm(0) && !isZeroNorm(RATIO_ZERO_NORM));
});

test('the core SVD runs on the workspace backend (same bits as ts), and on native gives the same penalty to rounding', () => {
  const A = randomMatrix(9, 4, 41);
  const B = randomMatrix(7, 4, 42);
  let calls = 0;
  const spy: Backend = { ...tsBackend, svdInto: (M, ws, o) => (calls++, tsBackend.svdInto(M, ws, o)) };
  const grads = () => ({ gradA: zeros(9, 4), gradB: zeros(7, 4) });
  const g0 = grads();
  const g1 = grads();
  const base = factoredPenalties({ ratio: 0.3, nuclear: 0.2 }, A, B, createFactoredWorkspace(9, 7, 4, tsBackend), g0);
  const viaSpy = factoredPenalties({ ratio: 0.3, nuclear: 0.2 }, A, B, createFactoredWorkspace(9, 7, 4, spy), g1);
  assert.equal(calls, 1);
  assert.equal(viaSpy, base);
  assert.deepEqual([g1.gradA.data, g1.gradB.data], [g0.gradA.data, g0.gradB.data]);
  const native = loadNativeBackend().backend;
  if (native) {
    const g2 = grads();
    const viaNative = factoredPenalties(
      { ratio: 0.3, nuclear: 0.2 },
      A,
      B,
      createFactoredWorkspace(9, 7, 4, native),
      g2,
    );
    assert.ok(Math.abs(viaNative - base) < 1e-13 * base);
    assert.ok(relDiff(g2.gradA, g0.gradA) < 1e-12 && relDiff(g2.gradB, g0.gradB) < 1e-12);
  }
});

test('the penalty gradients expand by one gemm when R is well conditioned and by the reflectors when not, on both backends; both equal the dense chain rule', () => {
  const nb = loadNativeBackend().backend;
  for (const backend of nb ? [tsBackend, nb] : [tsBackend]) {
    const [m, n, k] = [30, 20, 4];
    const good = randomMatrix(m, k, 5);
    // Column 3 = column 2 + 1e-9·noise: κ(A) ~ 1e9, above GEMM_EXPANSION_MAX_CONDITION, so A's expansion falls back.
    const bad = clone(good);
    const noise = randomMatrix(m, 1, 6);
    for (let i = 0; i < m; i++) bad.data[i * k + 3] = bad.data[i * k + 2] + 1e-9 * noise.data[i];
    const B = randomMatrix(n, k, 7);
    for (const [label, A, wantFallback] of [
      ['well conditioned', good, false],
      ['κ(A) ~ 1e9', bad, true],
    ] as const) {
      const ws = createFactoredWorkspace(m, n, k, backend);
      const gA = zeros(m, k);
      const gB = zeros(n, k);
      factoredPenalties({ ratio: 0.3, nuclear: 0.05 }, A, B, ws, { gradA: gA, gradB: gB });
      assert.equal(
        ws.expansions.reflectors > 0,
        wantFallback,
        `${backend.name} ${label}: ${JSON.stringify(ws.expansions)}`,
      );
      assert.equal(
        ws.expansions.gemm,
        wantFallback ? 1 : 2,
        `${backend.name} ${label}: B is well conditioned either way`,
      );
      const W = product(A, B);
      const G = zeros(m, n);
      const d = svd(W);
      penalty('ratio', W, d, { gradOut: G, gradScale: 0.3 });
      penalty('nuclear', W, d, { gradOut: G, gradScale: 0.05 });
      // W's smallest singular value is ~1e-9 when A is ill conditioned: its singular vectors, hence the dense
      // gradient itself, are determined only to about eps/1e-9 ≈ 1e-7 (either way of computing them).
      const tol = wantFallback ? 1e-6 : 1e-10;
      assert.ok(
        relDiff(gA, gemm(G, B)) < tol,
        `${backend.name} ${label}: dA relative error ${relDiff(gA, gemm(G, B))}`,
      );
      assert.ok(
        relDiff(gB, gemm(G, A, { transA: true })) < tol,
        `${backend.name} ${label}: dB relative error ${relDiff(gB, gemm(G, A, { transA: true }))}`,
      );
    }
  }
});
