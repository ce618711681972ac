// The weighted penalties and the Frobenius decay of the factored objective: gradients against finite
// differences, values against a dense SVD of D_r^½ W D_c^½, and the decay term against the weighted trace norm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gemm, zeros, type Matrix } from '../../../src/linalg/matrix.ts';
import { svd } from '../../../src/linalg/svd.ts';
import { makeObservations, type Observations } from '../../../src/data/observations.ts';
import { createFactoredWorkspace } from '../../../src/penalty/factored.ts';
import {
  factoredDataTerm,
  factoredObjective,
  factoredRegularizer,
  trainFactored,
} from '../../../src/solver/factored-train.ts';
import { chain, scale, scaleByAdam } from '../../../src/optim/index.ts';
import { randomMatrix, mulberry32 } from '../../helpers/random.ts';
import { numericGradient } from '../../helpers/gradient.ts';

const [m, n, k] = [9, 7, 3];

/** Non-uniform sampling: row i observed in about (i+1)/m of its cells, every row and column at least once. */
function skewedObservations(seed: number): Observations {
  const rnd = mulberry32(seed);
  const rows: number[] = [];
  const cols: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j % m || j === i % n || rnd() < (i + 1) / m) {
        rows.push(i);
        cols.push(j);
        values.push(rnd() * 2 - 1);
      }
    }
  }
  return makeObservations([m, n], rows, cols, values);
}

function relDiff(G: Matrix, H: Matrix): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < G.data.length; i++) {
    num += (G.data[i] - H.data[i]) ** 2;
    den += H.data[i] ** 2;
  }
  return Math.sqrt(num / den);
}

/** diag(sqrt(r)) X diag(sqrt(c)). */
function weighted(W: Matrix, r: Float64Array, c: Float64Array): Matrix {
  const out = zeros(W.rows, W.cols);
  for (let i = 0; i < W.rows; i++)
    for (let j = 0; j < W.cols; j++) out.data[i * W.cols + j] = Math.sqrt(r[i] * c[j]) * W.data[i * W.cols + j];
  return out;
}

const obs = skewedObservations(3);
const A = randomMatrix(m, k, 21);
const B = randomMatrix(n, k, 22);

for (const weighting of ['none', 'frequency'] as const) {
  for (const weights of [{ ratio: 0.3 }, { nuclear: 0.07 }, { ratio: 0.2, nuclear: 0.05 }]) {
    test(`objective gradient = finite differences: weighting ${weighting}, ${JSON.stringify(weights)}, weight decay 0.4`, () => {
      const ws = createFactoredWorkspace(m, n, k);
      const reg = factoredRegularizer(obs, k, weighting, 0.4);
      const gA = zeros(m, k);
      const gB = zeros(n, k);
      gA.data.fill(3); // overwritten, not accumulated into
      factoredObjective(A, B, obs, weights, ws, gA, gB, undefined, reg);
      const sA = zeros(m, k);
      const sB = zeros(n, k);
      const f = (): number => factoredObjective(A, B, obs, weights, ws, sA, sB, undefined, reg).objective;
      assert.ok(relDiff(gA, numericGradient(A, f)) < 1e-7, `∂/∂A ${relDiff(gA, numericGradient(A, f))}`);
      assert.ok(relDiff(gB, numericGradient(B, f)) < 1e-7, `∂/∂B ${relDiff(gB, numericGradient(B, f))}`);
    });
  }
}

test('weighted L∗/F and nuclear values equal those of the dense D_r^½ W D_c^½; weights are m·p_i and n·q_j', () => {
  const reg = factoredRegularizer(obs, k, 'frequency', 0);
  const rw = reg.rowWeight!;
  const cw = reg.colWeight!;
  const count = obs.values.length;
  // m·p_i with p_i = |Ω_i|/|Ω|: mean 1.
  assert.ok(Math.abs(rw.reduce((s, x) => s + x, 0) - m) < 1e-12 && Math.abs(cw.reduce((s, x) => s + x, 0) - n) < 1e-12);
  assert.equal(rw[0], (m * Array.from(obs.rows).filter((i) => i === 0).length) / count);
  const s = svd(weighted(gemm(A, B, { transB: true }), rw, cw)).s;
  const N = s.reduce((a, x) => a + x, 0);
  const F = Math.sqrt(s.reduce((a, x) => a + x * x, 0));
  const ws = createFactoredWorkspace(m, n, k);
  const g = [zeros(m, k), zeros(n, k)];
  const data = factoredDataTerm(A, B, obs) / count;
  const ratio = factoredObjective(A, B, obs, { ratio: 1 }, ws, g[0], g[1], undefined, reg).objective - data;
  const nuclear = factoredObjective(A, B, obs, { nuclear: 1 }, ws, g[0], g[1], undefined, reg).objective - data;
  assert.ok(Math.abs(ratio - N / F) < 1e-10, `${ratio} vs ${N / F}`);
  assert.ok(Math.abs(nuclear - N) < 1e-10, `${nuclear} vs ${N}`);
});

test('at the balanced factorization the weighted decay term is 2ω·||diag(√p) W diag(√q)||_* (Salakhutdinov & Srebro)', () => {
  const reg = factoredRegularizer(obs, k, 'frequency', 0.5);
  const p = Float64Array.from(reg.rowWeight!, (w) => w / m);
  const q = Float64Array.from(reg.colWeight!, (w) => w / n);
  const Wt = weighted(gemm(A, B, { transB: true }), p, q);
  const { U, s, V } = svd(Wt);
  // A' = diag(1/√p) U S^½, B' = diag(1/√q) V S^½ (top k): A'B'^T = W, and Σ p_i||A'_i||² = Σ s.
  const A2 = zeros(m, k);
  const B2 = zeros(n, k);
  const order = Array.from(s.keys())
    .sort((a, b) => s[b] - s[a])
    .slice(0, k);
  order.forEach((c, col) => {
    for (let i = 0; i < m; i++) A2.data[i * k + col] = (U.data[i * U.cols + c] * Math.sqrt(s[c])) / Math.sqrt(p[i]);
    for (let j = 0; j < n; j++) B2.data[j * k + col] = (V.data[j * V.cols + c] * Math.sqrt(s[c])) / Math.sqrt(q[j]);
  });
  assert.ok(relDiff(gemm(A2, B2, { transB: true }), gemm(A, B, { transB: true })) < 1e-10, 'same W');
  const trace = s.reduce((a, x) => a + x, 0);
  const data = factoredDataTerm(A2, B2, obs) / obs.values.length;
  const decay = factoredObjective(A2, B2, obs, {}, null, zeros(m, k), zeros(n, k), undefined, reg).objective - data;
  assert.ok(Math.abs(decay - 2 * 0.5 * trace) < 1e-10, `${decay} vs ${2 * 0.5 * trace}`);
  // Any other factorization of the same W pays at least as much (AM–GM): scale A by 2, B by 1/2.
  const A3 = zeros(m, k);
  A3.data.set(A2.data.map((x) => 2 * x));
  const B3 = zeros(n, k);
  B3.data.set(B2.data.map((x) => x / 2));
  const other = factoredObjective(A3, B3, obs, {}, null, zeros(m, k), zeros(n, k), undefined, reg).objective - data;
  assert.ok(other > decay);
});

test('weight decay bounds the factors: a larger ω trains to a smaller ||A||² + ||B||²', () => {
  const size = (omega: number): number => {
    const r = trainFactored(obs, {
      rank: k,
      penalty: 'ratio',
      lambda: 1e-2,
      weightDecay: omega,
      weighting: 'frequency',
      optimizer: chain(scaleByAdam(), scale(-1e-2)),
      maxIters: 800,
      initScale: 1e-1,
      seed: 0,
    });
    return r.model.A.data.reduce((a, x) => a + x * x, 0) + r.model.B.data.reduce((a, x) => a + x * x, 0);
  };
  const sizes = [0, 0.01, 0.1].map(size);
  assert.ok(sizes[0] > sizes[1] && sizes[1] > sizes[2], sizes.join(' > '));
});
