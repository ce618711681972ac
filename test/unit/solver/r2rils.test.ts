import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gemm, zeros, type Matrix } from '../../../src/linalg/matrix.ts';
import { qr } from '../../../src/linalg/qr.ts';
import { svd } from '../../../src/linalg/svd.ts';
import { createRng, type Rng } from '../../../src/random/index.ts';
import type { Observations } from '../../../src/data/observations.ts';
import { r2rils, r2rilsStep, truncateFactored } from '../../../src/solver/r2rils.ts';
import { sampledProduct, type Factors } from '../../../src/solver/factors.ts';

/** A rows×cols matrix of N(0, 1) entries. */
function gaussian(rows: number, cols: number, rng: Rng): Matrix {
  const M = zeros(rows, cols);
  for (let i = 0; i < M.data.length; i++) M.data[i] = rng.normal();
  return M;
}

/**
 * A rank-r test problem: X = U diag(σ) Vᵀ with U, V orthonormal (QR of Gaussians) and σ geometric from κ down to 1,
 * observed on m entries drawn uniformly without replacement, redrawn until every row and column has ≥ r + 1.
 */
function problem(n1: number, n2: number, r: number, kappa: number, m: number, seed: number) {
  const rng = createRng(seed);
  const U = qr(gaussian(n1, r, rng)).Q;
  const V = qr(gaussian(n2, r, rng)).Q;
  for (let i = 0; i < n1; i++)
    for (let k = 0; k < r; k++) U.data[i * r + k] *= r === 1 ? 1 : kappa ** (1 - k / (r - 1));
  for (;;) {
    const cells = Array.from({ length: n1 * n2 }, (_, c) => c);
    for (let t = 0; t < m; t++) {
      const s = t + Math.floor(rng.uniform() * (cells.length - t));
      [cells[t], cells[s]] = [cells[s], cells[t]];
    }
    const rows = Int32Array.from(cells.slice(0, m), (c) => Math.floor(c / n2));
    const cols = Int32Array.from(cells.slice(0, m), (c) => c % n2);
    const rowCount = new Int32Array(n1);
    const colCount = new Int32Array(n2);
    for (let t = 0; t < m; t++) {
      rowCount[rows[t]]++;
      colCount[cols[t]]++;
    }
    if (Math.min(...rowCount) <= r || Math.min(...colCount) <= r) continue;
    const pattern = { shape: [n1, n2] as const, rows, cols };
    const obs: Observations = { ...pattern, values: sampledProduct(U, V, { ...pattern, values: new Float64Array(m) }) };
    return { obs, truth: gemm(U, V, { transB: true }) };
  }
}

/** ||UVᵀ − X||_F / ||X||_F, dense. */
function relError(f: Factors, X: Matrix): number {
  const Y = gemm(f.U, f.V, { transB: true });
  let num = 0;
  let den = 0;
  for (let i = 0; i < X.data.length; i++) {
    num += (Y.data[i] - X.data[i]) ** 2;
    den += X.data[i] ** 2;
  }
  return Math.sqrt(num / den);
}

/** The number of observations for oversampling ρ: round(ρ·r(n₁ + n₂ − r)). */
const samples = (n1: number, n2: number, r: number, rho: number) => Math.round(rho * r * (n1 + n2 - r));

test('r2rils recovers a rank-r matrix exactly from a sufficient random mask', () => {
  const n = 50;
  const r = 3;
  const { obs, truth } = problem(n, n, r, 2, samples(n, n, r, 3), 1);
  const res = r2rils(obs, { rank: r });
  assert.equal(res.stopReason, 'tolerance');
  assert.ok(relError(res, truth) <= 1e-10, `relError ${relError(res, truth)}`);
  assert.equal(res.U.rows, n);
  assert.equal(res.U.cols, r);
  assert.equal(res.residualHistory.length, res.iterations + 1);
  assert.ok(res.lsqrIterations > 0);
});

test('r2rils works on rectangular matrices (n₁ ≠ n₂, either way round)', () => {
  for (const [n1, n2] of [
    [30, 60],
    [60, 30],
  ]) {
    const r = 3;
    const { obs, truth } = problem(n1, n2, r, 3, samples(n1, n2, r, 3), 2);
    const res = r2rils(obs, { rank: r });
    assert.equal(res.U.rows, n1);
    assert.equal(res.V.rows, n2);
    assert.ok(relError(res, truth) <= 1e-10, `${n1}×${n2}: relError ${relError(res, truth)}`);
  }
});

test('r2rils recovers an ill-conditioned matrix (κ = 100)', () => {
  const n = 60;
  const r = 3;
  const { obs, truth } = problem(n, n, r, 100, samples(n, n, r, 3), 3);
  const res = r2rils(obs, { rank: r });
  assert.ok(relError(res, truth) <= 1e-10, `relError ${relError(res, truth)}`);
});

test('r2rils converges quadratically near the solution: e_{t+1} ≤ C·e_t²', () => {
  const n = 50;
  const r = 3;
  const { obs, truth } = problem(n, n, r, 10, samples(n, n, r, 3), 4);
  const errors: number[] = [];
  r2rils(obs, { rank: r, onProgress: (e) => errors.push(relError(e, truth)) });
  // Pairs whose successor is above the rounding floor: there e_{t+1}/e_t² must stay bounded, which a linear rate
  // q (e_{t+1} = q·e_t) cannot do as e_t falls (it would need q ≤ C·e_t).
  const pairs = errors
    .slice(0, -1)
    .map((e, t) => [e, errors[t + 1]])
    .filter(([e]) => e <= 1e-2 && e >= 1e-7);
  assert.ok(pairs.length >= 2, `too few pairs near the solution: ${errors.map((e) => e.toExponential(1)).join(' ')}`);
  for (const [e, next] of pairs) {
    assert.ok(next <= 1e3 * e * e, `e_t = ${e.toExponential(2)}, e_{t+1} = ${next.toExponential(2)}`);
  }
  assert.ok(errors[errors.length - 1] <= 1e-12);
});

test('r2rilsStep returns the minimal-norm least-squares solution (dense pseudo-inverse on a tiny case)', () => {
  const [n1, n2, r] = [7, 6, 2];
  const rng = createRng(5);
  const U = gaussian(n1, r, rng);
  const V = gaussian(n2, r, rng);
  const rows: number[] = [];
  const cols: number[] = [];
  for (let i = 0; i < n1; i++) {
    for (let j = 0; j < n2; j++) {
      if ((i * 5 + j * 3) % 4 === 0) continue;
      rows.push(i);
      cols.push(j);
    }
  }
  const m = rows.length;
  // An inconsistent right-hand side: the least-squares residual is not zero.
  const obs: Observations = {
    shape: [n1, n2],
    rows: Int32Array.from(rows),
    cols: Int32Array.from(cols),
    values: Float64Array.from({ length: m }, () => rng.normal()),
  };
  // The dense matrix of (A, B) ↦ P_Ω(U Bᵀ + A Vᵀ), unknowns [vec A; vec B] row-major.
  const N = (n1 + n2) * r;
  const L = zeros(m, N);
  for (let t = 0; t < m; t++) {
    for (let k = 0; k < r; k++) {
      L.data[t * N + rows[t] * r + k] = V.data[cols[t] * r + k];
      L.data[t * N + n1 * r + cols[t] * r + k] = U.data[rows[t] * r + k];
    }
  }
  // x* = L⁺ b from the SVD of L, singular values below 1e-10·σ₁ treated as zero (the r²-dimensional null space).
  const S = svd(L);
  const xStar = new Float64Array(N);
  for (let k = 0; k < S.s.length; k++) {
    if (S.s[k] <= 1e-10 * S.s[0]) continue;
    let c = 0;
    for (let t = 0; t < m; t++) c += S.U.data[t * S.U.cols + k] * obs.values[t];
    for (let i = 0; i < N; i++) xStar[i] += (c / S.s[k]) * S.V.data[i * S.V.cols + k];
  }
  assert.equal(S.s.filter((s) => s <= 1e-10 * S.s[0]).length + Math.max(0, N - S.s.length), r * r);
  const { A, B } = r2rilsStep(obs, U, V, { tol: 1e-15, maxIters: 10 * N });
  const x = Float64Array.from([...A.data, ...B.data]);
  let diff = 0;
  let size = 0;
  for (let i = 0; i < N; i++) {
    diff += (x[i] - xStar[i]) ** 2;
    size += xStar[i] ** 2;
  }
  assert.ok(Math.sqrt(diff / size) <= 1e-9, `||x − L⁺b|| / ||L⁺b|| = ${Math.sqrt(diff / size)}`);
  // The normal equations Lᵀ(Lx − b) = 0 hold on their own.
  const res = gemm(L, { rows: N, cols: 1, data: x });
  for (let t = 0; t < m; t++) res.data[t] -= obs.values[t];
  const grad = gemm(L, res, { transA: true });
  const gradNorm = Math.sqrt(grad.data.reduce((a, v) => a + v * v, 0));
  assert.ok(gradNorm <= 1e-10 * S.s[0] * Math.sqrt(res.data.reduce((a, v) => a + v * v, 0)), `||Lᵀr|| = ${gradNorm}`);
});

test('truncateFactored is the rank-r truncated SVD of P Qᵀ', () => {
  const rng = createRng(6);
  const P = gaussian(20, 6, rng);
  const Q = gaussian(14, 6, rng);
  const r = 3;
  const f = truncateFactored(P, Q, r);
  const S = svd(gemm(P, Q, { transB: true }));
  const X = zeros(20, 14);
  for (let i = 0; i < 20; i++)
    for (let j = 0; j < 14; j++)
      for (let k = 0; k < r; k++)
        X.data[i * 14 + j] += S.U.data[i * S.U.cols + k] * S.s[k] * S.V.data[j * S.V.cols + k];
  assert.ok(relError(f, X) <= 1e-12);
  // Balanced factors: UᵀU = VᵀV = diag(σ₁..σ_r).
  const GU = gemm(f.U, f.U, { transA: true });
  const GV = gemm(f.V, f.V, { transA: true });
  for (let a = 0; a < r; a++)
    for (let b = 0; b < r; b++) {
      const want = a === b ? S.s[a] : 0;
      assert.ok(Math.abs(GU.data[a * r + b] - want) <= 1e-10 * S.s[0]);
      assert.ok(Math.abs(GV.data[a * r + b] - want) <= 1e-10 * S.s[0]);
    }
});

test('r2rils stops at its iteration cap and returns the lowest-residual projection', () => {
  const n = 40;
  const r = 3;
  const { obs } = problem(n, n, r, 10, samples(n, n, r, 1.5), 7);
  const res = r2rils(obs, { rank: r, maxIters: 3 });
  assert.equal(res.stopReason, 'max-iters');
  assert.equal(res.iterations, 3);
  assert.equal(res.residual, Math.min(...res.residualHistory));
  assert.throws(() => r2rils(obs, { rank: 0 }), RangeError);
  assert.throws(() => r2rils(obs, { rank: r, init: { U: zeros(n, r + 1), V: zeros(n, r + 1) } }), /init factors/);
});
