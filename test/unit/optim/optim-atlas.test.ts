// The transforms of the optimizer atlas: each against a hand-computed step or a known decomposition.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  addDecayedWeights,
  chain,
  freezeDenominator,
  namedOptimizer,
  orthogonalize,
  scale,
  scaleByAdam,
  scaleByFactoredRms,
  scaleByNorm,
  scaleByRms,
  scaleBySign,
  trace,
  type GradientTransform,
  type ParamInfo,
} from '../../../src/optim/index.ts';
import { tsBackend, type Backend } from '../../../src/linalg/backend.ts';
import { loadNativeBackend } from '../../../src/linalg/native.ts';
import { gemm, zeros, type Matrix } from '../../../src/linalg/matrix.ts';
import { syntheticProblem } from '../../../src/data/synthetic.ts';
import { startTrain, train } from '../../../src/solver/train.ts';
import { DivergenceError } from '../../../src/solver/loop.ts';
import { startTrainFactored } from '../../../src/solver/factored-train.ts';
import { DEFAULT_RUN_SPEC, type RunSpec } from '../../../src/methods/run.ts';
import { mulberry32 } from '../../helpers/random.ts';

function assertClose(actual: ArrayLike<number>, expected: readonly number[], tol = 1e-12, what = ''): void {
  assert.equal(actual.length, expected.length, `${what} length`);
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    assert.ok(diff <= tol, `${what}[${i}]: got ${actual[i]}, expected ${expected[i]} (diff ${diff})`);
  }
}

/** Apply `opt` to the given steps' gradients (groups) and return each step's updates. */
function steps(opt: GradientTransform, grads: number[][][], info?: ParamInfo, params?: Float64Array[]): number[][][] {
  const state = opt.init(
    grads[0].map((g) => g.length),
    info,
  );
  return grads.map((step) => {
    const u = step.map((g) => Float64Array.from(g));
    opt.apply(u, state, params);
    return u.map((x) => Array.from(x));
  });
}

/** A rows×cols matrix U diag(s) Vᵀ with random orthonormal U, V (Gram–Schmidt of uniforms from mulberry32(seed)). */
function withSingularValues(rows: number, cols: number, s: number[], seed: number): Matrix {
  const u = mulberry32(seed);
  const orthonormal = (n: number, k: number): number[][] => {
    const q: number[][] = [];
    while (q.length < k) {
      const v = Array.from({ length: n }, () => u() * 2 - 1);
      for (const w of q) {
        const d = v.reduce((a, x, i) => a + x * w[i], 0);
        for (let i = 0; i < n; i++) v[i] -= d * w[i];
      }
      const norm = Math.hypot(...v);
      q.push(v.map((x) => x / norm));
    }
    return q;
  };
  const U = orthonormal(rows, s.length);
  const V = orthonormal(cols, s.length);
  const M = zeros(rows, cols);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) M.data[i * cols + j] = s.reduce((a, sl, l) => a + sl * U[l][i] * V[l][j], 0);
  return M;
}

describe('scaleBySign and scaleByNorm', () => {
  it('sign: u = -lr·sign(g), zero stays zero', () => {
    const [[u]] = steps(chain(scaleBySign(), scale(-0.1)), [[[3, -0.2, 0]]]);
    assertClose(u, [-0.1, 0.1, 0]);
  });

  it('norm: the whole update (all groups) divided by its Frobenius norm', () => {
    // ||(3, -4, 0)|| = 5 across the two groups.
    const [[a, b]] = steps(chain(scaleByNorm(), scale(-0.5)), [[[3], [-4, 0]]]);
    assertClose(a, [-0.3]);
    assertClose(b, [0.4, 0]);
    const [[z]] = steps(scaleByNorm(), [[[0, 0]]]);
    assertClose(z, [0, 0]);
  });
});

describe('scaleByFactoredRms (Adafactor)', () => {
  const info: ParamInfo = { shapes: [[2, 2]] };
  it('step 1: V̂ = rowsums(G²)·colsums(G²)ᵀ / sum(G²) whatever the decay; step 2 by hand', () => {
    const opt = scaleByFactoredRms({ decay: 0.5, eps: 0 });
    const [[u1], [u2]] = steps(opt, [[[1, 2, 3, 4]], [[1, 0, 0, 1]]], info);
    // G² = [[1, 4], [9, 16]]: row sums 5, 25, column sums 10, 20, total 30.
    assertClose(u1, [
      1 * Math.sqrt(30 / 50),
      2 * Math.sqrt(30 / 100),
      3 * Math.sqrt(30 / 250),
      4 * Math.sqrt(30 / 500),
    ]);
    // R = 0.5·0.5·[5, 25] + 0.5·[1, 1] = [1.75, 6.75]; C = 0.5·0.5·[10, 20] + 0.5·[1, 1] = [3, 5.5]; ΣR = 8.5; 1 − 0.5² = 0.75.
    assertClose(u2, [1 / Math.sqrt((1.75 * 3) / (8.5 * 0.75)), 0, 0, 1 / Math.sqrt((6.75 * 5.5) / (8.5 * 0.75))]);
  });

  it('a rank-one G² is factored exactly: the first step is sign(G), as RMSProp', () => {
    const a = [1, -2, 3];
    const b = [0.5, 4];
    const g = a.flatMap((ai) => b.map((bj) => ai * bj));
    const [[u]] = steps(scaleByFactoredRms({ eps: 0 }), [[g]], { shapes: [[3, 2]] });
    assertClose(u, g.map(Math.sign), 1e-12);
  });

  it('a group without a shape keeps a full second moment (RMSProp with eps inside the sqrt)', () => {
    const grads = [[[2, -0.5, 1]], [[1, 1, -3]]];
    const fact = steps(scaleByFactoredRms({ decay: 0.9, eps: 0 }), grads);
    const rms = steps(scaleByRms({ decay: 0.9, eps: 0 }), grads);
    for (let t = 0; t < 2; t++) assertClose(fact[t][0], rms[t][0], 1e-12);
  });

  it('rejects a shape that does not match the group size', () => {
    assert.throws(
      () => scaleByFactoredRms().init([4], { shapes: [[3, 2]] }),
      /shapes\[0\] is 3×2 but the group has 4 entries/,
    );
  });
});

/** The backends to test orthogonalize on: TypeScript, and native when built. */
const backends: Backend[] = [tsBackend];
const native = loadNativeBackend().backend;
if (native) backends.push(native);

describe('orthogonalize (Muon)', () => {
  for (const backend of backends) {
    it(`${backend.name}: known polar factors (diagonal, rectangular, rank-deficient)`, () => {
      const opt = orthogonalize({ backend });
      assertClose(steps(opt, [[[2, 0, 0, -3]]], { shapes: [[2, 2]] })[0][0], [1, 0, 0, -1], 1e-12);
      assertClose(steps(opt, [[[1, 0, 0, 2, 0, 0]]], { shapes: [[3, 2]] })[0][0], [1, 0, 0, 1, 0, 0], 1e-12);
      // G = (0.6, 0.8)ᵀ·5·(1, 0): rank one; the polar factor of its range is u vᵀ.
      assertClose(steps(opt, [[[3, 0, 4, 0]]], { shapes: [[2, 2]] })[0][0], [0.6, 0, 0.8, 0], 1e-12);
    });

    it(`${backend.name}: G = Q·H with QᵀQ = I and H = QᵀG symmetric positive definite (6×4 random)`, () => {
      const G = withSingularValues(6, 4, [9, 4, 2, 0.5], 3);
      const [[q]] = steps(orthogonalize({ backend }), [[Array.from(G.data)]], { shapes: [[6, 4]] });
      const Q: Matrix = { rows: 6, cols: 4, data: Float64Array.from(q) };
      const QtQ = gemm(Q, Q, { transA: true });
      const H = gemm(Q, G, { transA: true });
      for (let i = 0; i < 4; i++) {
        for (let j = 0; j < 4; j++) {
          assert.ok(
            Math.abs(QtQ.data[i * 4 + j] - (i === j ? 1 : 0)) < 1e-12,
            `QᵀQ[${i}][${j}] = ${QtQ.data[i * 4 + j]}`,
          );
          assert.ok(Math.abs(H.data[i * 4 + j] - H.data[j * 4 + i]) < 1e-12, `H not symmetric at ${i},${j}`);
        }
      }
      // The eigenvalues of H are G's singular values: trace(H) = Σ s.
      const traceH = H.data[0] + H.data[5] + H.data[10] + H.data[15];
      assert.ok(Math.abs(traceH - 15.5) < 1e-10, `trace(H) = ${traceH}, expected 15.5`);
    });

    it(`${backend.name}: Newton–Schulz (20 cubic steps) agrees with the SVD to 1e-10 when cond(G) <= 10; 3 steps do not`, () => {
      for (const [rows, cols] of [
        [6, 4],
        [4, 6],
      ] as const) {
        const G = withSingularValues(rows, cols, [10, 6, 3, 1], 11);
        const grads = [[Array.from(G.data)]];
        const info: ParamInfo = { shapes: [[rows, cols]] };
        const exact = steps(orthogonalize({ backend }), grads, info)[0][0];
        const ns = steps(orthogonalize({ backend, method: 'newton-schulz' }), grads, info)[0][0];
        const rough = steps(orthogonalize({ backend, method: 'newton-schulz', steps: 3 }), grads, info)[0][0];
        assertClose(ns, exact, 1e-10, `${rows}×${cols}`);
        assert.ok(
          Math.max(...rough.map((x, i) => Math.abs(x - exact[i]))) > 1e-3,
          '3 steps are still far from the polar factor',
        );
      }
    });
  }

  it('a group without a shape is a 1×P matrix: u = g/||g||', () => {
    assertClose(steps(orthogonalize(), [[[3, -4]]])[0][0], [0.6, -0.8]);
  });
});

describe('freezeDenominator, nesterov trace, addDecayedWeights', () => {
  it('freezeDenominator(2): Adam for two steps, then v and its correction stay fixed (by hand)', () => {
    const opt = freezeDenominator(2, { b1: 0.5, b2: 0.5, eps: 0 });
    const us = steps(opt, [[[2]], [[4]], [[10]]]).map((s) => s[0][0]);
    // t1: m = 1, v = 2, û = (1/0.5)/sqrt(2/0.5) = 1. t2: m = 2.5, v = 9, û = (2.5/0.75)/sqrt(9/0.75).
    // t3 (frozen): m = 6.25, v = 9, û = (6.25/0.875)/sqrt(9/0.75).
    assertClose(us, [1, 2.5 / 0.75 / Math.sqrt(12), 6.25 / 0.875 / Math.sqrt(12)]);
    const adam = steps(scaleByAdam({ b1: 0.5, b2: 0.5, eps: 0 }), [[[2]], [[4]], [[10]]]).map((s) => s[0][0]);
    assertClose(us.slice(0, 2), adam.slice(0, 2));
    assert.ok(Math.abs(us[2] - adam[2]) > 0.1, 'after t0 the step differs from Adam');
    assert.throws(() => freezeDenominator(0), /t0 must be an integer >= 1/);
  });

  it('trace with nesterov: u = g + decay·m', () => {
    const us = steps(trace(0.5, true), [[[1]], [[1]]]).map((s) => s[0][0]);
    assertClose(us, [1.5, 1.75]); // m = 1, then 1.5
  });

  it('addDecayedWeights adds weightDecay·p; AdamW step 1 = -lr·(sign(g) + wd·p)', () => {
    const params = [Float64Array.from([2, -1])];
    assertClose(steps(addDecayedWeights(0.1), [[[0.5, 0.5]]], undefined, params)[0][0], [0.7, 0.4]);
    const adamw = namedOptimizer('adamw', { lr: 0.01, weightDecay: 0.1 });
    assertClose(steps(adamw, [[[3, -0.5]]], undefined, params)[0][0], [-0.01 * 1.2, 0.01 * 1.1], 1e-9);
    assert.throws(() => steps(addDecayedWeights(0.1), [[[1, 1]]]), /needs the parameters/);
  });
});

describe('the trainers pass shapes, backend and parameters', () => {
  /** A pass-through transform that records what init and apply were given. */
  function recorder() {
    const seen: { info?: ParamInfo; params?: readonly Float64Array[] } = {};
    const t: GradientTransform<null> = {
      name: 'recorder',
      init: (_sizes, info) => ((seen.info = info), null),
      apply: (_u, _s, params) => void (seen.params = params),
    };
    return { t, seen };
  }
  const p = syntheticProblem({ n: 8, rank: 2, samples: 30, seed: 0 });

  it('deep trainer: one shape per layer, its backend, the layers as params', () => {
    for (const depth of [1, 2]) {
      const { t, seen } = recorder();
      const trainer = startTrain(p.observations, {
        depth,
        penalty: 'none',
        lambda: 0,
        optimizer: chain(t, scale(-0.01)),
        initScale: 1e-3,
        seed: 0,
        maxIters: 2,
        backend: tsBackend,
      });
      trainer.advance(1);
      assert.deepEqual(
        seen.info?.shapes,
        Array.from({ length: depth }, () => [8, 8]),
      );
      assert.equal(seen.info?.backend, tsBackend);
      const layers = trainer.result().model.layers;
      assert.equal(seen.params?.length, depth);
      layers.forEach((L, i) => assert.equal(seen.params?.[i], L.data));
    }
  });

  it('factored trainer: shapes m×k and n×k', () => {
    const { t, seen } = recorder();
    startTrainFactored(p.observations, {
      rank: 3,
      penalty: 'none',
      lambda: 0,
      optimizer: chain(t, scale(-0.01)),
      initScale: 1e-3,
      seed: 0,
      maxIters: 1,
    }).advance(1);
    assert.deepEqual(seen.info?.shapes, [
      [8, 3],
      [8, 3],
    ]);
    assert.equal(seen.params?.length, 2);
  });
});

describe('divergence under the new optimizers', () => {
  const small: RunSpec = { ...DEFAULT_RUN_SPEC, n: 20, rank: 2, samples: 120, maxIters: 200 };
  const p = syntheticProblem(small);
  for (const [name, lr] of [
    ['sign', 1e200],
    ['muon', 1e200],
    ['normalized-gd', 1e200],
  ] as const) {
    it(`${name} at lr ${lr}: the DivergenceError names the optimizer, its learning rate and the step`, () => {
      assert.throws(
        () =>
          train(p.observations, { ...small, optimizer: namedOptimizer(name, { lr }), penalty: 'none', maxIters: 200 }),
        (err: unknown) =>
          err instanceof DivergenceError &&
          err.message.includes(`optimizer ${name}(lr ${lr})`) &&
          /at step \d+/.test(err.message) &&
          /lower learning rate/.test(err.message),
      );
    });
  }
});

describe('an overflowing product', () => {
  it('depth 3 with a huge step: a DivergenceError naming W, not the SVD RangeError', () => {
    const small: RunSpec = { ...DEFAULT_RUN_SPEC, n: 12, rank: 2, samples: 60, maxIters: 50 };
    const p = syntheticProblem(small);
    assert.throws(
      () =>
        train(p.observations, {
          ...small,
          depth: 3,
          optimizer: namedOptimizer('sign', { lr: 1e120 }),
          penalty: 'ratio',
          lambda: 1e-3,
        }),
      (err: unknown) =>
        err instanceof DivergenceError &&
        /W became non-finite at step \d+ \(optimizer sign\(lr 1e\+120\)\)/.test(err.message),
    );
  });
});
