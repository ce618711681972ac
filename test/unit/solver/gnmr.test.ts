import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gemm, zeros, type Matrix } from '../../../src/linalg/matrix.ts';
import { qr } from '../../../src/linalg/qr.ts';
import { svd } from '../../../src/linalg/svd.ts';
import { syntheticProblem } from '../../../src/data/synthetic.ts';
import { makeObservations, type Observations } from '../../../src/data/observations.ts';
import { relativeError } from '../../../src/metrics/index.ts';
import { lsqr, type LinearOperator } from '../../../src/solver/lsqr.ts';
import { solveLinear } from '../../../src/solver/small-dense.ts';
import { gnmr, gnmrStep, jacobianOperator, spectralVectors } from '../../../src/solver/gnmr.ts';
import {
  factorPairSvd,
  sampledProduct,
  spectralInit,
  truncatedFactors as truncatedPair,
  type Factors,
} from '../../../src/solver/factors.ts';
import { altmin } from '../../../src/solver/altmin.ts';
import { randomMatrix } from '../../helpers/random.ts';

/** A dense matrix as a LinearOperator. */
function denseOperator(A: Matrix): LinearOperator {
  return {
    rows: A.rows,
    cols: A.cols,
    apply: (x, out) => out.set(gemm(A, { rows: A.cols, cols: 1, data: x }).data),
    applyTranspose: (y, out) => out.set(gemm(A, { rows: A.rows, cols: 1, data: y }, { transA: true }).data),
  };
}

/** Every entry of a dense matrix, as observations. */
function fullyObserved(X: Matrix): Observations {
  const rows: number[] = [];
  const cols: number[] = [];
  for (let i = 0; i < X.rows; i++) {
    for (let j = 0; j < X.cols; j++) {
      rows.push(i);
      cols.push(j);
    }
  }
  return makeObservations([X.rows, X.cols], rows, cols, X.data);
}

const product = (f: Factors): Matrix => gemm(f.U, f.V, { transB: true });

/** The balanced factors √Σ of the rank-r truncated SVD of X. */
function truncatedFactors(X: Matrix, r: number): Factors {
  const S = svd(X);
  const U = zeros(X.rows, r);
  const V = zeros(X.cols, r);
  for (let i = 0; i < X.rows; i++)
    for (let k = 0; k < r; k++) U.data[i * r + k] = S.U.data[i * S.U.cols + k] * Math.sqrt(S.s[k]);
  for (let j = 0; j < X.cols; j++)
    for (let k = 0; k < r; k++) V.data[j * r + k] = S.V.data[j * S.V.cols + k] * Math.sqrt(S.s[k]);
  return { U, V };
}

/** Factors perturbed entrywise by eps·(their RMS)·N(0,1). */
function perturbed(f: Factors, eps: number, seed: number): Factors {
  const out = (M: Matrix, s: number): Matrix => {
    const E = randomMatrix(M.rows, M.cols, s);
    const rms = Math.sqrt(M.data.reduce((a, v) => a + v * v, 0) / M.data.length);
    return { rows: M.rows, cols: M.cols, data: M.data.map((v, i) => v + eps * rms * E.data[i]) };
  };
  return { U: out(f.U, seed), V: out(f.V, seed + 1) };
}

test('lsqr gives the minimal-norm solution: x = (1, 1) for x₁ + x₂ = 2, and the normal-equations solution when A has full column rank', () => {
  const one = lsqr(denseOperator({ rows: 1, cols: 2, data: Float64Array.of(1, 1) }), Float64Array.of(2));
  assert.ok(Math.abs(one.x[0] - 1) < 1e-14 && Math.abs(one.x[1] - 1) < 1e-14, `${one.x}`);
  const A = randomMatrix(12, 5, 3);
  const b = randomMatrix(12, 1, 4).data;
  const { x } = lsqr(denseOperator(A), b);
  const AtA = gemm(A, A, { transA: true });
  const Atb = gemm(A, { rows: 12, cols: 1, data: b }, { transA: true });
  const expected = solveLinear(AtA.data, 5, Atb.data);
  for (let i = 0; i < 5; i++)
    assert.ok(Math.abs(x[i] - expected[i]) < 1e-12, `x[${i}] = ${x[i]}, normal equations ${expected[i]}`);
});

test('lsqr on a rank-deficient system: the solution is orthogonal to the null space and Aᵀ(b − Ax) = 0', () => {
  // A = B·C with B 8×3, C 3×6: rank 3, null space of dimension 3 (the null space of C).
  const A = gemm(randomMatrix(8, 3, 5), randomMatrix(3, 6, 6));
  const b = randomMatrix(8, 1, 7).data;
  const { x } = lsqr(denseOperator(A), b);
  const r = b.map((v, i) => v - gemm(A, { rows: 6, cols: 1, data: x }).data[i]);
  const g = gemm(A, { rows: 8, cols: 1, data: r }, { transA: true }).data;
  assert.ok(Math.hypot(...g) < 1e-12, `||Aᵀr|| = ${Math.hypot(...g)}`);
  // x ∈ range(Aᵀ): its component off range(Aᵀ) vanishes. Q spans range(Aᵀ) (first 3 columns of the QR of Aᵀ's row space).
  const Q = qr(gemm(A, randomMatrix(8, 3, 8), { transA: true })).Q;
  const coef = gemm(Q, { rows: 6, cols: 1, data: x }, { transA: true });
  const back = gemm(Q, coef).data;
  assert.ok(Math.hypot(...x.map((v, i) => v - back[i])) < 1e-12, 'x has a null-space component');
});

test("lsqr stops on Paige–Saunders' S1 with its atol·||A||·||x|| term: with btol = 0 a consistent system still stops, at ||r|| ≤ atol·||A||_F·||x||", () => {
  const A = randomMatrix(160, 120, 13);
  const xTrue = randomMatrix(120, 1, 14).data;
  const b = gemm(A, { rows: 120, cols: 1, data: xTrue }).data;
  const atol = 1e-3;
  const r = lsqr(denseOperator(A), b, { atol, btol: 0, conlim: Infinity });
  assert.equal(r.stopReason, 'consistent');
  const Ax = gemm(A, { rows: 120, cols: 1, data: r.x }).data;
  const res = Math.hypot(...Ax.map((v, i) => v - b[i]));
  const anorm = Math.hypot(...A.data);
  const xnorm = Math.hypot(...r.x);
  assert.ok(res <= atol * anorm * xnorm * (1 + 1e-6), `||r|| = ${res}, atol·||A||·||x|| = ${atol * anorm * xnorm}`);
  assert.ok(r.iterations < 120, `${r.iterations} iterations: the loose test should stop before the exact solution`);
});

test('the Jacobian operator is the derivative of P_Ω(UVᵀ) (finite differences) and its transpose is the adjoint', () => {
  const p = syntheticProblem({ n: 15, rank: 2, samples: 90, seed: 1 });
  const U = randomMatrix(15, 2, 1);
  const V = randomMatrix(15, 2, 2);
  const op = jacobianOperator(U, V, p.observations);
  const x = randomMatrix(op.cols, 1, 3).data;
  const y = randomMatrix(op.rows, 1, 4).data;
  const Jx = new Float64Array(op.rows);
  const Jty = new Float64Array(op.cols);
  op.apply(x, Jx);
  op.applyTranspose(y, Jty);
  const dot = (a: Float64Array, b: Float64Array): number => a.reduce((s, v, i) => s + v * b[i], 0);
  assert.ok(Math.abs(dot(Jx, y) - dot(x, Jty)) < 1e-12 * Math.abs(dot(Jx, y)));
  const h = 1e-6;
  const shift = (M: Matrix, off: number, sign: number): Matrix => ({
    ...M,
    data: M.data.map((v, i) => v + sign * h * x[off + i]),
  });
  const plus = sampledProduct(shift(U, 0, 1), shift(V, 30, 1), p.observations);
  const minus = sampledProduct(shift(U, 0, -1), shift(V, 30, -1), p.observations);
  for (let t = 0; t < op.rows; t++) assert.ok(Math.abs((plus[t] - minus[t]) / (2 * h) - Jx[t]) < 1e-7, `entry ${t}`);
});

test("gnmr recovers a well-sampled rank-2 40×40 matrix to relError ≤ 1e-12 from the authors' spectral start", () => {
  const p = syntheticProblem({ n: 40, rank: 2, samples: 800, seed: 3 });
  const r = gnmr(p.observations, { rank: 2 });
  const err = relativeError(product(r), p.truth);
  assert.ok(err <= 1e-12, `relError ${err}`);
  assert.ok(r.residual <= 1e-13 && r.linearResidual <= 1e-14, `residual ${r.residual}, linear ${r.linearResidual}`);
});

test('gnmr (setting) at n = 100, r = 5, m = 2000, seed 1: exact, the linearized estimate contracting at least 10× per iteration once below 1e-2', () => {
  const p = syntheticProblem({ n: 100, rank: 5, samples: 2000, seed: 1 });
  const r = gnmr(p.observations, { rank: 5, tol: 1e-14 });
  assert.equal(r.stopReason, 'tolerance');
  assert.ok(relativeError(product(r), p.truth) < 1e-13, `relError ${relativeError(product(r), p.truth)}`);
  const h = r.residualHistory;
  for (let k = 1; k + 1 < h.length; k++) {
    if (h[k] < 1e-2 && h[k + 1] > 1e-14)
      assert.ok(h[k + 1] <= h[k] / 10, `${h[k]} → ${h[k + 1]} (${h.map((e) => e.toExponential(1))})`);
  }
});

test("a fully observed rank-3 matrix: one gnmr iteration from a start with error ε ≈ 1e-4 leaves an estimate with error O(ε²) in every variant (quadratic convergence, the paper's sensing case)", () => {
  const X = gemm(randomMatrix(30, 3, 21), randomMatrix(25, 3, 22), { transB: true });
  const obs = fullyObserved(X);
  for (const eps0 of [1e-3, 1e-4]) {
    const start = perturbed(truncatedFactors(X, 3), eps0, 23);
    const eps = relativeError(product(start), X);
    for (const variant of ['setting', 'averaging', 'updating'] as const) {
      const one = gnmrStep(obs, start.U, start.V, variant, { tol: 1e-15 });
      const after = relativeError(gemm(one.L, one.R, { transB: true }), X);
      assert.ok(
        after <= 10 * eps * eps,
        `${variant}: error ${eps.toExponential(2)} → ${after.toExponential(2)}, not O(ε²)`,
      );
    }
  }
});

test("the linearized estimate X̂ = [U, U₊ − U][V₊, V]ᵀ fits Ω with exactly LSQR's residual, and gnmr returns the rank-r truncation of the best one", () => {
  const p = syntheticProblem({ n: 30, rank: 2, samples: 300, seed: 4 });
  const obs = p.observations;
  const start = spectralVectors(obs, 2);
  const s = gnmrStep(obs, start.U, start.V, 'setting');
  const fit = sampledProduct(s.L, s.R, obs);
  let res = 0;
  for (let t = 0; t < fit.length; t++) res += (fit[t] - obs.values[t]) ** 2;
  assert.ok(
    Math.abs(Math.sqrt(res) - s.residualNorm) <= 1e-9 * Math.sqrt(res) + 1e-12,
    `${Math.sqrt(res)} vs ${s.residualNorm}`,
  );
  const one = gnmr(obs, { rank: 2, maxIters: 1 });
  const truncated = truncatedPair(factorPairSvd(s.L, s.R), 2);
  assert.ok(relativeError(product(one), product(truncated)) < 1e-12);
});

test('spectralVectors: orthonormal columns spanning the top-r singular subspaces of P_Ω(X) (the dense SVD of the zero-filled matrix)', () => {
  const p = syntheticProblem({ n: 30, rank: 3, samples: 400, seed: 6 });
  const f = spectralVectors(p.observations, 3);
  const Y = zeros(30, 30);
  const o = p.observations;
  for (let t = 0; t < o.values.length; t++) Y.data[o.rows[t] * 30 + o.cols[t]] = o.values[t];
  const S = svd(Y);
  for (const [Q, D] of [
    [f.U, S.U],
    [f.V, S.V],
  ] as const) {
    const G = gemm(Q, Q, { transA: true });
    for (let a = 0; a < 3; a++)
      for (let b = 0; b < 3; b++) assert.ok(Math.abs(G.data[a * 3 + b] - (a === b ? 1 : 0)) < 1e-12);
    const top: Matrix = zeros(30, 3);
    for (let i = 0; i < 30; i++) for (let k = 0; k < 3; k++) top.data[i * 3 + k] = D.data[i * D.cols + k];
    const P1 = gemm(Q, Q, { transB: true });
    const P2 = gemm(top, top, { transB: true });
    assert.ok(relativeError(P1, P2) < 1e-9, `projectors differ by ${relativeError(P1, P2)}`);
  }
});

test('a given rank too small: altmin returns the best rank-3 fit of a fully observed rank-5 matrix and gnmr one within 1% of it (the truncated SVD), not a crash', () => {
  // X = Q₁ diag(10, 8, 6, 1, 0.5) Q₂ᵀ: the best rank-3 fit is the first three terms (Eckart–Young).
  const Q1 = qr(randomMatrix(20, 5, 31)).Q;
  const Q2 = qr(randomMatrix(18, 5, 32)).Q;
  const s = [10, 8, 6, 1, 0.5];
  const D = zeros(5, 5);
  s.forEach((v, i) => (D.data[i * 5 + i] = v));
  const X = gemm(gemm(Q1, D), Q2, { transB: true });
  const best = product(truncatedFactors(X, 3));
  const obs = fullyObserved(X);
  const start = perturbed(truncatedFactors(X, 3), 0.05, 33);
  // gnmr returns the rank-3 truncation of its best rank-6 linearized estimate (which fits the rank-5 X better than
  // any rank-3 matrix): within 1% of the optimal rank-3 error, not exactly the truncated SVD.
  const g = gnmr(obs, { rank: 3, init: start, maxIters: 60 });
  const optimal = relativeError(best, X);
  assert.ok(relativeError(product(g), X) <= 1.01 * optimal, `gnmr: ${relativeError(product(g), X)} vs ${optimal}`);
  const a = altmin(obs, { rank: 3, init: start, maxIters: 200 });
  assert.ok(relativeError(product(a), best) < 1e-8, `altmin: ${relativeError(product(a), best)}`);
  // On a sampled problem the too-small rank gives a finite fit whose residual on Ω stays well above zero.
  const p = syntheticProblem({ n: 40, rank: 4, samples: 900, seed: 5 });
  const small = gnmr(p.observations, { rank: 2 });
  assert.ok(Number.isFinite(small.residual) && small.residual > 1e-3, `residual ${small.residual}`);
});

test('altmin recovers the well-sampled 40×40 rank-2 matrix to relError ≤ 1e-12', () => {
  const p = syntheticProblem({ n: 40, rank: 2, samples: 800, seed: 3 });
  const r = altmin(p.observations, { rank: 2 });
  assert.equal(r.stopReason, 'tolerance');
  assert.ok(relativeError(product(r), p.truth) <= 1e-12, `relError ${relativeError(product(r), p.truth)}`);
});

test('spectralInit gives balanced factors (UᵀU = VᵀV) whose product is the rank-r truncation of P_Ω(X)/p', () => {
  const p = syntheticProblem({ n: 20, rank: 2, samples: 200, seed: 9 });
  const f = spectralInit(p.observations, 2);
  const G = gemm(f.U, f.U, { transA: true });
  const H = gemm(f.V, f.V, { transA: true });
  assert.ok(Math.max(...G.data.map((v, i) => Math.abs(v - H.data[i]))) < 1e-10);
  const Y = zeros(20, 20);
  const o = p.observations;
  for (let t = 0; t < o.values.length; t++) Y.data[o.rows[t] * 20 + o.cols[t]] = o.values[t] / (200 / 400);
  assert.ok(relativeError(product(f), product(truncatedFactors(Y, 2))) < 1e-10);
});

test('scaledGd recovers the well-sampled 40×40 rank-2 matrix to relError ≤ 1e-12', async () => {
  const { scaledGd } = await import('../../../src/solver/scaled-gd.ts');
  const p = syntheticProblem({ n: 40, rank: 2, samples: 800, seed: 3 });
  const r = scaledGd(p.observations, { rank: 2 });
  assert.equal(r.stopReason, 'tolerance');
  assert.ok(relativeError(product(r), p.truth) <= 1e-12, `relError ${relativeError(product(r), p.truth)}`);
});

test('scaledGd on a fully observed matrix contracts the error by about 1 − η per step whatever the condition number (κ = 1 and 100)', async () => {
  const { scaledGd } = await import('../../../src/solver/scaled-gd.ts');
  for (const s of [
    [5, 5, 5],
    [100, 10, 1],
  ]) {
    const X = (() => {
      const Q1 = qr(randomMatrix(20, 3, 41)).Q;
      const Q2 = qr(randomMatrix(20, 3, 42)).Q;
      const D = zeros(3, 3);
      s.forEach((v, i) => (D.data[i * 3 + i] = v));
      return gemm(gemm(Q1, D), Q2, { transB: true });
    })();
    const obs = fullyObserved(X);
    const start = perturbed(truncatedFactors(X, 3), 1e-3, 43);
    const errors: number[] = [];
    for (let k = 1; k <= 12; k++)
      errors.push(relativeError(product(scaledGd(obs, { rank: 3, init: start, maxIters: k, stepSize: 0.5 })), X));
    const rate = (errors[11] / errors[5]) ** (1 / 6);
    assert.ok(rate > 0.4 && rate < 0.6, `κ = ${s[0] / s[2]}: rate ${rate} (${errors.map((e) => e.toExponential(1))})`);
  }
});

test("gnmr's stuck rule (the authors' stop_relResStuck): it stops at a multiple of `iters`, from 3·iters on, only when the last window's best residual is above ratio × the window before", () => {
  // n = 30, r = 2, m = 150 (ρ ≈ 1.3), seed 1: the residual does not converge.
  const obs = syntheticProblem({ n: 30, rank: 2, samples: 150, seed: 1, masks: 'identifiable' }).observations;
  for (const iters of [3, 5]) {
    const g = gnmr(obs, { rank: 2, maxIters: 60, stuck: { iters, ratio: 0.5 } });
    const h = g.residualHistory;
    const windowMin = (from: number, to: number): number => Math.min(...h.slice(from, to + 1));
    if (g.stopReason === 'stall') {
      assert.equal(g.iterations % iters, 0);
      assert.ok(g.iterations >= 3 * iters);
      const k = g.iterations;
      assert.ok(windowMin(k - iters + 1, k) / windowMin(k - 2 * iters + 1, k - iters) > 0.5);
      for (let j = 3 * iters; j < k; j += iters)
        assert.ok(
          windowMin(j - iters + 1, j) / windowMin(j - 2 * iters + 1, j - iters) <= 0.5,
          `should have stopped at ${j}`,
        );
    } else assert.equal(g.stopReason, 'max-iters');
  }
  const off = gnmr(obs, { rank: 2, maxIters: 40 });
  assert.equal(off.stopReason, 'max-iters', 'the rule is off by default');
  assert.equal(off.iterations, 40);
});
