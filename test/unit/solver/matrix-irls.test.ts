import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gemm, zeros, type Matrix } from '../../../src/linalg/matrix.ts';
import { qr } from '../../../src/linalg/qr.ts';
import { svd } from '../../../src/linalg/svd.ts';
import { createRng } from '../../../src/random/index.ts';
import { makeObservations, type Observations } from '../../../src/data/observations.ts';
import { solveLinear } from '../../../src/solver/small-dense.ts';
import {
  iterateTimes,
  iterateTransposeTimes,
  lowRankPlusSparseNorm,
  matrixIrls,
  topSingularTriplets,
  weightedLeastSquares,
  type LowRankPlusSparse,
} from '../../../src/solver/matrix-irls.ts';
import { getBackend } from '../../../src/linalg/backend.ts';
import { randomMatrix } from '../../helpers/random.ts';

/** Orthonormal n×r from the QR of a Gaussian matrix. */
function orthonormal(n: number, r: number, seed: number): Matrix {
  return qr(randomMatrix(n, r, seed)).Q;
}

/**
 * A rank-r n1×n2 matrix U diag(s) Vᵀ (U, V orthonormal from Gaussian QRs, s geometric from κ down to 1) and a
 * uniform mask of m entries, redrawn until every row and column has at least r + 1 of them.
 */
function problem(n1: number, n2: number, r: number, kappa: number, m: number, seed: number) {
  const U = orthonormal(n1, r, seed);
  const V = orthonormal(n2, r, seed + 1000);
  const US = zeros(n1, r);
  for (let i = 0; i < n1; i++)
    for (let q = 0; q < r; q++) US.data[i * r + q] = U.data[i * r + q] * kappa ** (r === 1 ? 0 : 1 - q / (r - 1));
  const X = gemm(US, V, { transB: true });
  const rng = createRng(seed + 2000);
  for (;;) {
    const order = Array.from({ length: n1 * n2 }, (_, k) => k);
    for (let k = 0; k < m; k++) {
      const j = k + rng.int(order.length - k);
      [order[k], order[j]] = [order[j], order[k]];
    }
    const chosen = order.slice(0, m).sort((a, b) => a - b);
    const rowCount = new Int32Array(n1);
    const colCount = new Int32Array(n2);
    for (const k of chosen) {
      rowCount[Math.floor(k / n2)]++;
      colCount[k % n2]++;
    }
    if (rowCount.every((c) => c > r) && colCount.every((c) => c > r)) {
      const obs = makeObservations(
        [n1, n2],
        chosen.map((k) => Math.floor(k / n2)),
        chosen.map((k) => k % n2),
        chosen.map((k) => X.data[k]),
      );
      return { X, obs };
    }
  }
}

/** m = round(ρ·r(n1 + n2 − r)) observed entries. */
const samples = (n1: number, n2: number, r: number, rho: number): number => Math.round(rho * r * (n1 + n2 - r));

function relError(A: Matrix, B: Matrix): number {
  let d = 0;
  let b = 0;
  for (let i = 0; i < A.data.length; i++) {
    d += (A.data[i] - B.data[i]) ** 2;
    b += B.data[i] ** 2;
  }
  return Math.sqrt(d / b);
}

/** L·Rᵀ + P_Ω*(s) as a dense matrix. */
function dense(X: LowRankPlusSparse, obs: Observations): Matrix {
  const [n1, n2] = obs.shape;
  const D = X.L.cols > 0 ? gemm(X.L, X.R, { transB: true }) : zeros(n1, n2);
  for (let t = 0; t < X.s.length; t++) D.data[obs.rows[t] * n2 + obs.cols[t]] += X.s[t];
  return D;
}

test('matrixIrls recovers a well-conditioned rank-3 40×50 matrix exactly, its iterates converging quadratically', () => {
  const { X, obs } = problem(40, 50, 3, 1, samples(40, 50, 3, 2.5), 1);
  const errors: number[] = [];
  const result = matrixIrls(obs, {
    rank: 3,
    onProgress: (e) => errors.push(relError(dense(e.iterate, obs), X)),
  });
  assert.equal(result.stopReason, 'tolerance');
  assert.ok(relError(gemm(result.U, result.V, { transB: true }), X) <= 1e-10);
  assert.equal(result.residualHistory.length, result.iterations);
  // The paper's local rate (quadratic for the log-det objective, p = 0): on the tail, e_{t+1} ≤ C·e_t² for the
  // iterates X^(t) themselves. Pairs above rounding (1e-13) from e_t ≤ 1e-2 on; at least two of them.
  const tail = errors.flatMap((e, t) => (e <= 1e-2 && t + 1 < errors.length && errors[t + 1] > 1e-13 ? [t] : []));
  assert.ok(tail.length >= 2, `errors ${errors.map((e) => e.toExponential(1)).join(' ')}`);
  for (const t of tail)
    assert.ok(errors[t + 1] <= 100 * errors[t] ** 2, `e${t + 1} ${errors[t + 1]} vs e${t} ${errors[t]}`);
});

test('matrixIrls is not slowed by the condition number: κ = 1e3 recovers to 1e-10 in at most twice the iterations of κ = 1', () => {
  const m = samples(40, 50, 3, 2.5);
  const well = problem(40, 50, 3, 1, m, 2);
  const ill = problem(40, 50, 3, 1e3, m, 2);
  const a = matrixIrls(well.obs, { rank: 3 });
  const b = matrixIrls(ill.obs, { rank: 3 });
  assert.ok(relError(gemm(a.U, a.V, { transB: true }), well.X) <= 1e-10);
  assert.ok(relError(gemm(b.U, b.V, { transB: true }), ill.X) <= 1e-10);
  assert.ok(b.iterations <= 2 * a.iterations, `κ = 1e3: ${b.iterations} iterations, κ = 1: ${a.iterations}`);
});

test('matrixIrls recovers rectangular matrices both ways round (130×65 and 65×130, partial SVDs by block Krylov)', () => {
  for (const [n1, n2] of [
    [130, 65],
    [65, 130],
  ]) {
    const { X, obs } = problem(n1, n2, 2, 10, samples(n1, n2, 2, 2.5), 3);
    const r = matrixIrls(obs, { rank: 2 });
    assert.equal(r.U.rows, n1);
    assert.equal(r.V.rows, n2);
    assert.equal(r.U.cols, 2);
    assert.ok(relError(gemm(r.U, r.V, { transB: true }), X) <= 1e-10, `${n1}×${n2}`);
  }
});

test('the weighted least-squares step equals the dense minimizer of ⟨X, W(X)⟩ subject to P_Ω(X) = y', () => {
  const n1 = 7;
  const n2 = 6;
  const rk = 2;
  const { obs } = problem(n1, n2, 2, 3, 24, 4);
  // A weight operator from arbitrary bases and values σ > ε.
  const U = orthonormal(n1, rk, 5);
  const V = orthonormal(n2, rk, 6);
  const sigma = Float64Array.from([3, 0.9]);
  const eps = 0.25;
  // W⁻¹ on full bases: Ū [G ∘ (Ūᵀ Z V̄)] V̄ᵀ with G_ij = max(σ_i, ε)·max(σ_j, ε) (σ = 0 past rk), built densely
  // as an (n1·n2)² matrix from its action on the unit matrices E_ab.
  const full = (Q: Matrix, n: number, seed: number): Matrix => {
    const B = zeros(n, n);
    const R = randomMatrix(n, n, seed);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) B.data[i * n + j] = j < rk ? Q.data[i * rk + j] : R.data[i * n + j];
    return qr(B).Q;
  };
  const Ub = full(U, n1, 7);
  const Vb = full(V, n2, 8);
  const g = (i: number): number => Math.max(i < rk ? sigma[i] : 0, eps);
  const N = n1 * n2;
  const Winv = new Float64Array(N * N);
  for (let col = 0; col < N; col++) {
    const E = zeros(n1, n2);
    E.data[col] = 1;
    const C = gemm(gemm(Ub, E, { transA: true }), Vb);
    for (let i = 0; i < n1; i++) for (let j = 0; j < n2; j++) C.data[i * n2 + j] *= g(i) * g(j);
    const Z = gemm(gemm(Ub, C), Vb, { transB: true });
    for (let k = 0; k < N; k++) Winv[k * N + col] = Z.data[k];
  }
  // X = W⁻¹ Pᵀ (P W⁻¹ Pᵀ)⁻¹ y.
  const m = obs.values.length;
  const idx = Array.from({ length: m }, (_, t) => obs.rows[t] * n2 + obs.cols[t]);
  const S = new Float64Array(m * m);
  for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) S[a * m + b] = Winv[idx[a] * N + idx[b]];
  const z = solveLinear(S, m, obs.values);
  const expected = zeros(n1, n2);
  for (let k = 0; k < N; k++) {
    let v = 0;
    for (let b = 0; b < m; b++) v += Winv[k * N + idx[b]] * z[b];
    expected.data[k] = v;
  }
  // From a zero start and from an arbitrary warm start (the projection of a random iterate).
  const warm: LowRankPlusSparse = {
    L: randomMatrix(n1, 3, 9),
    R: randomMatrix(n2, 3, 10),
    s: randomMatrix(1, m, 11).data,
  };
  for (const start of [undefined, warm]) {
    const { X } = weightedLeastSquares(obs, { U, V, sigma, eps }, { cgTol: 1e-15, cgMaxIters: 500, start });
    const got = dense(X, obs);
    assert.ok(relError(got, expected) <= 1e-10, `relative difference ${relError(got, expected)}`);
    for (let t = 0; t < m; t++) assert.ok(Math.abs(got.data[idx[t]] - obs.values[t]) <= 1e-12, 'fits the data');
  }
});

test('the matrix-free top singular triplets agree with a dense SVD; the norm in factored form with a dense norm', () => {
  const backend = getBackend();
  for (const [n1, n2] of [
    [170, 140],
    [140, 170],
  ]) {
    // 140 > 6·20: the Krylov path, not the exact one.
    const { obs } = problem(n1, n2, 1, 1, 2000, 12);
    // Rank 6 with singular values 10..1 plus a sparse part of size 1e-3: a gap after the sixth value.
    const L = gemm(orthonormal(n1, 6, 13), {
      rows: 6,
      cols: 6,
      data: Float64Array.from({ length: 36 }, (_, k) => (k % 7 === 0 ? 10 ** (1 - k / 35) : 0)),
    });
    const X: LowRankPlusSparse = {
      L,
      R: orthonormal(n2, 6, 14),
      s: randomMatrix(1, 2000, 15).data.map((v) => 1e-3 * v),
    };
    const D = dense(X, obs);
    const exact = svd(D);
    const op = {
      rows: n1,
      cols: n2,
      times: (B: Matrix) => iterateTimes(X, obs, B, backend),
      transposeTimes: (B: Matrix) => iterateTransposeTimes(X, obs, B, backend),
    };
    const got = topSingularTriplets(op, 6, { iters: 20, rng: createRng(0), backend });
    for (let q = 0; q < 6; q++) {
      assert.ok(Math.abs(got.s[q] - exact.s[q]) <= 1e-12 * exact.s[0], `σ${q + 1}: ${got.s[q]} vs ${exact.s[q]}`);
      // Singular vectors up to sign.
      let du = 0;
      let dv = 0;
      for (let i = 0; i < n1; i++) du += got.U.data[i * 6 + q] * exact.U.data[i * exact.U.cols + q];
      for (let j = 0; j < n2; j++) dv += got.V.data[j * 6 + q] * exact.V.data[j * exact.V.cols + q];
      assert.ok(Math.abs(Math.abs(du) - 1) <= 1e-10 && Math.abs(du * dv - 1) <= 1e-10, `vector ${q + 1}`);
    }
    let f = 0;
    for (const v of D.data) f += v * v;
    assert.ok(Math.abs(lowRankPlusSparseNorm(X, obs, backend) - Math.sqrt(f)) <= 1e-12 * Math.sqrt(f));
  }
});
