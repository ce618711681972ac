// The scale-invariant spectral ratios beside L∗/F: nuclear-spectral (||W||_*/||W||_2) and effective-rank
// (exp of the entropy of s/||s||_1, Roy & Vetterli 2007), dense and factored, on both backends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clone, dot, frobeniusNorm, gemm, scaleMatrix, zeros, type Matrix } from '../../../src/linalg/matrix.ts';
import { qr } from '../../../src/linalg/qr.ts';
import { svd } from '../../../src/linalg/svd.ts';
import { tsBackend, type Backend } from '../../../src/linalg/backend.ts';
import { loadNativeBackend } from '../../../src/linalg/native.ts';
import { penalty, penaltyNeedsSvd, PENALTY_NAMES, type PenaltyName } from '../../../src/penalty/index.ts';
import { createFactoredWorkspace, factoredPenalty, FACTORED_WEIGHT_KEYS } from '../../../src/penalty/factored.ts';
import { FACTORED_PENALTIES } from '../../../src/methods/gradient.ts';
import { backward, createDeepWorkspace, forward, initDeepModel } from '../../../src/model/deep.ts';
import { createRng } from '../../../src/random/index.ts';
import { syntheticProblem } from '../../../src/data/synthetic.ts';
import { train } from '../../../src/solver/train.ts';
import { trainFactored } from '../../../src/solver/factored-train.ts';
import { namedOptimizer } from '../../../src/optim/index.ts';
import { measureMatrix } from '../../../src/methods/method.ts';
import { finalObjective } from '../../../src/study/atlas.ts';
import { randomMatrix } from '../../helpers/random.ts';
import { numericGradient } from '../../helpers/gradient.ts';

const RATIOS = ['nuclear-spectral', 'effective-rank'] as const;
const native = loadNativeBackend().backend;
const BACKENDS: Backend[] = native ? [tsBackend, native] : [tsBackend];

/** R(W) and ∇R(W), the SVD on `backend`. */
function evaluate(name: PenaltyName, W: Matrix, backend: Backend = tsBackend): { value: number; grad: Matrix } {
  const grad = zeros(W.rows, W.cols);
  const s = backend.svdInto(W, backend.createSvdWorkspace(W.rows, W.cols));
  const value = penalty(name, W, s, { gradOut: grad, backend });
  return { value, grad };
}

const valueOf = (name: PenaltyName, W: Matrix): number => penalty(name, W, svd(W));

function relDiff(a: Matrix, b: Matrix): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.data.length; i++) {
    num += (a.data[i] - b.data[i]) ** 2;
    den += b.data[i] ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-300));
}

/** Q1 diag(s) Q2^T for random orthogonal Q1 (m×m), Q2 (n×n): a matrix whose singular values are s. */
function withSingularValues(m: number, n: number, s: readonly number[], seed: number) {
  const Q1 = qr(randomMatrix(m, m, seed)).Q;
  const Q2 = qr(randomMatrix(n, n, seed + 1)).Q;
  const D = zeros(m, n);
  s.forEach((x, i) => (D.data[i * n + i] = x));
  const rotate = (M: Matrix): Matrix => gemm(gemm(Q1, M), Q2, { transB: true });
  return { W: rotate(D), rotate };
}

test('both ratios are spectral penalties, offered by name to the dense and the factored model', () => {
  for (const name of RATIOS) {
    assert.ok(PENALTY_NAMES.includes(name) && penaltyNeedsSvd(name));
    assert.ok(FACTORED_PENALTIES.includes(name) && name in FACTORED_WEIGHT_KEYS);
  }
});

// Central differences with h = 1e-6 on entries of size ~1: truncation h²·|R'''|/6 ~ 1e-13, rounding from R and from
// the SVD ~ eps·|R|/h ~ 1e-10 per entry, against gradients of norm ~0.1–1: a relative error near 1e-9, bounded at
// 1e-7 (100× margin). Random W has well separated singular values (no tie at s_1).
for (const name of RATIOS) {
  for (const [m, n, seed] of [
    [6, 6, 1],
    [8, 5, 2],
    [4, 9, 3],
  ]) {
    test(`${name}: gradient matches central differences at a random ${m}×${n} W, on every backend`, () => {
      const W = randomMatrix(m, n, 40 + seed);
      const X = clone(W);
      const fd = numericGradient(X, () => valueOf(name, X), 1e-6);
      for (const backend of BACKENDS) {
        const { grad } = evaluate(name, W, backend);
        assert.ok(relDiff(grad, fd) < 1e-7, `${backend.name}: relative error ${relDiff(grad, fd)}`);
      }
    });
  }
}

for (const name of RATIOS) {
  test(`${name}: R(cW) = R(W) for c > 0 and ∇R(cW) = ∇R(W)/c`, () => {
    const W = randomMatrix(9, 6, 5);
    const { value, grad } = evaluate(name, W);
    for (const c of [1e-8, 0.3, 7, 1e6]) {
      const scaled = evaluate(name, scaleMatrix(W, c));
      assert.ok(Math.abs(scaled.value - value) < 1e-12 * value, `c = ${c}: ${scaled.value} vs ${value}`);
      assert.ok(relDiff(scaleMatrix(scaled.grad, c), grad) < 1e-10, `c = ${c}`);
    }
  });

  test(`${name}: <∇R(W), W> = 0 (Euler, degree-0 homogeneity)`, () => {
    for (const seed of [1, 2, 3]) {
      const W = randomMatrix(10, 7, seed);
      const { grad } = evaluate(name, W);
      const cosine = dot(grad, W) / (frobeniusNorm(grad) * frobeniusNorm(W));
      assert.ok(Math.abs(cosine) < 1e-12, `cosine ${cosine}`);
    }
  });

  test(`${name}: W = 0 counts as 1 (the infimum) with a zero gradient, as the ratio's guard does`, () => {
    const Z = zeros(4, 5);
    const { value, grad } = evaluate(name, Z);
    assert.equal(value, 1);
    assert.ok(grad.data.every((x) => x === 0));
    const gA = zeros(4, 2);
    const gB = zeros(5, 2);
    assert.equal(
      factoredPenalty(name, zeros(4, 2), zeros(5, 2), createFactoredWorkspace(4, 5, 2), { gradA: gA, gradB: gB }),
      1,
    );
    assert.ok([...gA.data, ...gB.data].every((x) => x === 0));
  });
}

test('known singular values: s = (4, 2, 1, 1) gives N/s_1 = 2 and effective rank 2^1.75, gradients Q1 diag(c) Q2^T', () => {
  // p = s/N = (1/2, 1/4, 1/8, 1/8): H = (1/2 + 2/4 + 2·3/8) ln 2 = 1.75 ln 2.
  const { W, rotate } = withSingularValues(6, 5, [4, 2, 1, 1], 7);
  const ns = evaluate('nuclear-spectral', W);
  assert.ok(Math.abs(ns.value - 2) < 1e-14);
  // c = 1/s_1 on every direction with s_i > 0, less N/s_1² = 1/2 on u_1 v_1^T; 0 on the null space.
  const nsGrad = zeros(6, 5);
  [0.25 - 0.5, 0.25, 0.25, 0.25].forEach((c, i) => (nsGrad.data[i * 5 + i] = c));
  assert.ok(relDiff(ns.grad, rotate(nsGrad)) < 1e-13, `${relDiff(ns.grad, rotate(nsGrad))}`);
  const er = evaluate('effective-rank', W);
  const R = 2 ** 1.75;
  assert.ok(Math.abs(er.value - R) < 1e-13 * R);
  const H = 1.75 * Math.LN2;
  const erGrad = zeros(6, 5);
  [0.5, 0.25, 0.125, 0.125].forEach((p, i) => (erGrad.data[i * 5 + i] = (-R * (Math.log(p) + H)) / 8));
  assert.ok(relDiff(er.grad, rotate(erGrad)) < 1e-13, `${relDiff(er.grad, rotate(erGrad))}`);
});

test('range: 1 at rank one, k for k equal singular values, within [1, rank] at random', () => {
  const rank1 = gemm(randomMatrix(8, 1, 1), randomMatrix(6, 1, 2), { transB: true });
  const equal = withSingularValues(5, 5, [3, 3, 3, 3], 3).W;
  const W = randomMatrix(7, 7, 9);
  for (const name of RATIOS) {
    assert.ok(Math.abs(valueOf(name, rank1) - 1) < 1e-12, name);
    assert.ok(Math.abs(valueOf(name, equal) - 4) < 1e-12, name);
    const r = valueOf(name, W);
    assert.ok(r > 1 && r < 7, `${name}: ${r}`);
  }
});

test('a tie at s_1 = s_2: nuclear-spectral spreads the s_1 term over both, the same on every backend; effective-rank stays differentiable', () => {
  // s = (3, 3, 1): N = 7, R = 7/3, c = (1/3 − 7/18, 1/3 − 7/18, 1/3).
  const { W, rotate } = withSingularValues(5, 4, [3, 3, 1], 11);
  const want = zeros(5, 4);
  [1 / 3 - 7 / 18, 1 / 3 - 7 / 18, 1 / 3].forEach((c, i) => (want.data[i * 4 + i] = c));
  const unit = (i: number): Matrix => {
    const D = zeros(5, 4);
    D.data[i * 4 + i] = 1;
    return rotate(D);
  };
  const along = (name: PenaltyName, D: Matrix, h = 1e-6): number => {
    const plus = clone(W);
    const minus = clone(W);
    for (let i = 0; i < W.data.length; i++) {
      plus.data[i] += h * D.data[i];
      minus.data[i] -= h * D.data[i];
    }
    return (valueOf(name, plus) - valueOf(name, minus)) / (2 * h);
  };
  for (const backend of BACKENDS) {
    const { value, grad } = evaluate('nuclear-spectral', W, backend);
    assert.ok(Math.abs(value - 7 / 3) < 1e-13, `${backend.name}: ${value}`);
    // The tied singular vectors are any basis of a 2-plane; equal coefficients make the gradient basis-free.
    assert.ok(relDiff(grad, rotate(want)) < 1e-12, `${backend.name}: ${relDiff(grad, rotate(want))}`);
    assert.ok(Math.abs(dot(grad, W)) < 1e-13 * frobeniusNorm(grad) * frobeniusNorm(W));
  }
  const { grad } = evaluate('nuclear-spectral', W);
  // Along u_1 v_1^T + u_2 v_2^T (which keeps the tie) R is differentiable: the derivative is <∇R, D>.
  const D12 = unit(0);
  const u2 = unit(1);
  for (let i = 0; i < D12.data.length; i++) D12.data[i] += u2.data[i];
  assert.ok(Math.abs(along('nuclear-spectral', D12) - dot(grad, D12)) < 1e-8);
  // Along u_1 v_1^T alone R has one-sided derivatives 1/s_1 − N/s_1² = −4/9 (s_1 grows) and 1/s_1 = 1/3 (s_2
  // stays the largest); the central difference is their mean, −1/18, which is <∇R, D> for the spread choice. At the
  // kink the two sides' curvatures do not cancel: the difference is off by ~h·|R''|/4 ≈ 1e-7 (R'' = 8/27 on one side).
  const kink = along('nuclear-spectral', unit(0));
  assert.ok(Math.abs(kink - -1 / 18) < 1e-6, `${kink}`);
  assert.ok(Math.abs(dot(grad, unit(0)) - -1 / 18) < 1e-13);
  // The effective rank is a smooth symmetric function of s where every s_i > 0: at a tie its gradient matches
  // central differences (a square W: the 5×4 one has a zero singular value, where the derivative is infinite).
  const X = withSingularValues(4, 4, [3, 3, 1, 0.5], 17).W;
  const Wt = clone(X);
  const fd = numericGradient(X, () => valueOf('effective-rank', X));
  for (const backend of BACKENDS) {
    const er = evaluate('effective-rank', Wt, backend);
    assert.ok(relDiff(er.grad, fd) < 1e-7, `${backend.name}: ${relDiff(er.grad, fd)}`);
  }
});

test('a zero singular value: effective-rank counts p log p = 0 and gives its direction a zero coefficient, on every backend', () => {
  // The SVD returns the zero singular value as ~eps·s_1, not 0: its exact coefficient would be ~R·|log eps|/N ≈ 26,
  // along a direction of rounding noise. Below SPECTRAL_RESOLUTION·s_1 it is 0.
  const { W, rotate } = withSingularValues(5, 4, [2, 1, 1, 0], 13);
  const R = 2 ** 1.5; // p = (1/2, 1/4, 1/4): H = 1.5 ln 2
  const H = 1.5 * Math.LN2;
  const want = zeros(5, 4);
  [0.5, 0.25, 0.25].forEach((p, i) => (want.data[i * 4 + i] = (-R * (Math.log(p) + H)) / 4));
  for (const backend of BACKENDS) {
    const { value, grad } = evaluate('effective-rank', W, backend);
    assert.ok(Math.abs(value - R) < 1e-12 * R, `${backend.name}: ${value}`);
    assert.ok(relDiff(grad, rotate(want)) < 1e-12, `${backend.name}: ${relDiff(grad, rotate(want))}`);
  }
});

for (const name of RATIOS) {
  for (const [m, n, k] of [
    [8, 6, 3],
    [5, 9, 2],
  ]) {
    test(`${name} on A·B^T (${m}×${n}, k=${k}): the factored value and gradients equal the dense ones, on every backend`, () => {
      const A = randomMatrix(m, k, 7 * m + k);
      const B = randomMatrix(n, k, 11 * n + k);
      const W = gemm(A, B, { transB: true });
      const G = zeros(m, n);
      const dense = penalty(name, W, svd(W), { gradOut: G, gradScale: 0.7 });
      for (const backend of BACKENDS) {
        const gA = zeros(m, k);
        const gB = zeros(n, k);
        const ws = createFactoredWorkspace(m, n, k, backend);
        const value = factoredPenalty(name, A, B, ws, { gradA: gA, gradB: gB, scale: 0.7 });
        // W has rank k: the dense SVD's m − k further singular values are ~eps (0 coefficients for N/s_1, ~eps·log
        // eps for the effective rank), the factored spectrum has exactly k.
        assert.ok(Math.abs(value - dense) < 1e-12 * dense, `${backend.name}: ${value} vs ${dense}`);
        assert.ok(relDiff(gA, gemm(G, B)) < 1e-10, `${backend.name}: dA ${relDiff(gA, gemm(G, B))}`);
        assert.ok(relDiff(gB, gemm(G, A, { transA: true })) < 1e-10, `${backend.name}: dB`);
        const f = (): number => 0.7 * factoredPenalty(name, A, B, createFactoredWorkspace(m, n, k, backend));
        assert.ok(relDiff(gA, numericGradient(A, f)) < 1e-7, `${backend.name}: dA by finite differences`);
        assert.ok(relDiff(gB, numericGradient(B, f)) < 1e-7, `${backend.name}: dB by finite differences`);
      }
    });
  }
}

for (const name of RATIOS) {
  for (const depth of [2, 3]) {
    test(`${name} on the deep model's end-to-end W (depth ${depth}): the layers' gradients match central differences`, () => {
      const model = initDeepModel(5, 4, depth, 1, createRng(depth));
      const ws = createDeepWorkspace(model);
      const W = forward(model, ws);
      const G = zeros(5, 4);
      penalty(name, W, svd(W), { gradOut: G });
      const grads = model.layers.map((L) => zeros(L.rows, L.cols));
      backward(model, ws, G, grads);
      const R = (): number => {
        const X = forward(model, createDeepWorkspace(model));
        return valueOf(name, X);
      };
      for (let j = 0; j < depth; j++) {
        const fd = numericGradient(model.layers[j], R);
        assert.ok(relDiff(grads[j], fd) < 1e-7, `layer ${j + 1}: relative error ${relDiff(grads[j], fd)}`);
      }
    });
  }
}

for (const name of RATIOS) {
  test(`${name} trains: depth 1, depth 2 and the factored model lower their objective by 10% in 300 Adam steps`, () => {
    const base = { n: 30, rank: 2, samples: 270, seed: 0 };
    const { observations } = syntheticProblem(base);
    const common = { penalty: name, lambda: 1e-3, initScale: 1e-3, seed: 0, maxIters: 300, mseTol: 0 };
    const objectives = (run: (onProgress: (e: { objective: number }) => void) => void): number[] => {
      const seen: number[] = [];
      run((e) => seen.push(e.objective));
      return seen;
    };
    for (const depth of [1, 2]) {
      const o = objectives((onProgress) =>
        train(observations, {
          ...common,
          depth,
          optimizer: namedOptimizer('adam', { lr: 3e-3 }),
          progressEvery: 1,
          onProgress,
        }),
      );
      assert.ok(o.every(Number.isFinite) && o.at(-1)! < 0.9 * o[0], `depth ${depth}: ${o[0]} → ${o.at(-1)}`);
    }
    const o = objectives((onProgress) =>
      trainFactored(observations, {
        ...common,
        penalty: name,
        rank: 5,
        initScale: 1e-3 / Math.sqrt(30),
        optimizer: namedOptimizer('adam', { lr: 3e-3 }),
        progressEvery: 1,
        onProgress,
      }),
    );
    assert.ok(o.every(Number.isFinite) && o.at(-1)! < 0.9 * o[0], `factored: ${o[0]} → ${o.at(-1)}`);
  });
}

test("the atlas's objective rule scores both ratios from a run's metrics as the penalty computes them", () => {
  const problem = syntheticProblem({ n: 12, rank: 2, samples: 60, seed: 3 });
  const W = randomMatrix(12, 12, 19);
  const metrics = {
    ...measureMatrix(W, problem, tsBackend),
    iterations: 1,
    seconds: 0,
    stopReason: 'max-iters',
  } as const;
  const lambda = 0.01;
  for (const name of RATIOS) {
    const want = metrics.trainMSE + lambda * valueOf(name, W);
    const got = finalObjective(name, lambda, metrics);
    assert.ok(Math.abs(got - want) < 1e-14 * want, `${name}: ${got} vs ${want}`);
  }
  // A record written before spectralNorm was recorded cannot score nuclear-spectral: NaN, never a wrong number.
  assert.ok(Number.isNaN(finalObjective('nuclear-spectral', lambda, { ...metrics, spectralNorm: undefined })));
});
