import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backward, createDeepWorkspace, forward, initDeepModel, type DeepModel } from '../../../src/model/deep.ts';
import { gemm, zeros, frobeniusNorm, type Matrix } from '../../../src/linalg/matrix.ts';
import { createRng } from '../../../src/random/index.ts';
import { randomMatrix } from '../../helpers/random.ts';
import { numericGradient } from '../../helpers/gradient.ts';

/** L(W) = <C, W> + ½||W||², so ∇_W L = C + W: a smooth test loss touching every entry. */
function loss(model: DeepModel, C: Matrix): number {
  const W = forward(model, createDeepWorkspace(model));
  let s = 0;
  for (let i = 0; i < W.data.length; i++) s += C.data[i] * W.data[i] + 0.5 * W.data[i] * W.data[i];
  return s;
}

for (const depth of [1, 2, 3]) {
  for (const [m, n] of [
    [4, 4],
    [3, 5],
    [5, 3],
  ]) {
    test(`depth ${depth}, ${m}×${n}: chain-rule gradients match finite differences`, () => {
      const model = initDeepModel(m, n, depth, 1, createRng(depth * 10 + m));
      const C = randomMatrix(m, n, 77);
      const ws = createDeepWorkspace(model);
      const W = forward(model, ws);
      const G = zeros(m, n);
      for (let i = 0; i < G.data.length; i++) G.data[i] = C.data[i] + W.data[i];
      const grads = model.layers.map((L) => zeros(L.rows, L.cols));
      backward(model, ws, G, grads);
      for (let j = 0; j < depth; j++) {
        const p = model.layers[j].data;
        const numeric = numericGradient(model.layers[j], () => loss(model, C)).data;
        let err = 0;
        let ref = 0;
        for (let i = 0; i < p.length; i++) {
          err += (numeric[i] - grads[j].data[i]) ** 2;
          ref += numeric[i] ** 2;
        }
        assert.ok(Math.sqrt(err / ref) < 1e-7, `layer ${j + 1}: relative error ${Math.sqrt(err / ref)}`);
      }
    });
  }
}

test('forward is the product W_N ⋯ W_1', () => {
  const model = initDeepModel(3, 4, 3, 1, createRng(1));
  const [A, B, C] = model.layers;
  const expected = gemm(C, gemm(B, A));
  const W = forward(model, createDeepWorkspace(model));
  for (let i = 0; i < W.data.length; i++) assert.ok(Math.abs(W.data[i] - expected.data[i]) < 1e-14);
});

test("Arora's initialization: ||W_0||_F ≈ s·sqrt(n) for every depth", () => {
  const n = 100;
  for (const depth of [1, 2, 3]) {
    for (const s of [1e-3, 1]) {
      let total = 0;
      for (let seed = 0; seed < 5; seed++) {
        const model = initDeepModel(n, n, depth, s, createRng(seed));
        total += frobeniusNorm(forward(model, createDeepWorkspace(model)));
      }
      const mean = total / 5;
      const expected = s * Math.sqrt(n);
      assert.ok(Math.abs(mean / expected - 1) < 0.1, `depth ${depth}, s ${s}: ${mean} vs ${expected}`);
    }
  }
});

test('bad depth or scale is rejected', () => {
  assert.throws(() => initDeepModel(3, 3, 0, 1, createRng(0)), /depth/);
  assert.throws(() => initDeepModel(3, 3, 1, 0, createRng(0)), /init scale/);
});
