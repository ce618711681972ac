import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gemm, zeros } from '../../../src/linalg/matrix.ts';
import { svd } from '../../../src/linalg/svd.ts';
import { tsBackend, type Backend } from '../../../src/linalg/backend.ts';
import { loadNativeBackend } from '../../../src/linalg/native.ts';
import { makeObservations, type Observations } from '../../../src/data/observations.ts';
import { createRng } from '../../../src/random/index.ts';
import { softImputeAls, softImputeAlsEntry } from '../../../src/solver/soft-impute-als.ts';
import { sparseSpectralNorm } from '../../../src/linalg/sparse.ts';
import { randomMatrix } from '../../helpers/random.ts';

/** A noisy rank-2 m×n matrix observed on about `p` of its entries. */
function problem(m: number, n: number, p: number, seed: number): { obs: Observations; truth: Float64Array } {
  const T = gemm(randomMatrix(m, 2, seed), randomMatrix(n, 2, seed + 1), { transB: true });
  const rng = createRng(seed + 2);
  const rows: number[] = [];
  const cols: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      if (rng.uniform() < p) {
        rows.push(i);
        cols.push(j);
        values.push(T.data[i * n + j] + 0.1 * rng.normal());
      }
    }
  }
  return { obs: makeObservations([m, n], rows, cols, values), truth: T.data };
}

test('softImputeAls reaches the soft-impute fixed point Z = S_λ(P_Ω(M) + P_Ω⊥(Z)) (checked densely)', () => {
  const { obs } = problem(25, 18, 0.5, 3);
  const [m, n] = obs.shape;
  const lambda = 0.2 * sparseSpectralNorm(obs);
  const r = softImputeAls(obs, lambda, { rank: 10, maxIters: 2000, squaredChangeTol: 1e-14, seed: 1 });
  assert.ok(r.rank < 10, `solution rank ${r.rank} must stay under the cap for the exact solution`);
  const Z = zeros(m, n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) Z.data[i * n + j] = softImputeAlsEntry(r, i, j);
  const X = zeros(m, n);
  X.data.set(Z.data);
  for (let t = 0; t < obs.values.length; t++) X.data[obs.rows[t] * n + obs.cols[t]] = obs.values[t];
  const { U, s, V } = svd(X);
  let err = 0;
  let ref = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let z = 0;
      for (let c = 0; c < s.length; c++)
        z += U.data[i * s.length + c] * Math.max(s[c] - lambda, 0) * V.data[j * s.length + c];
      err += (z - Z.data[i * n + j]) ** 2;
      ref += z * z;
    }
  }
  assert.ok(Math.sqrt(err / ref) < 1e-6, `fixed-point residual ${Math.sqrt(err / ref)}`);
});

test('sparseSpectralNorm is the largest singular value of P_Ω(M)', () => {
  const { obs } = problem(20, 15, 0.4, 7);
  const D = zeros(20, 15);
  for (let t = 0; t < obs.values.length; t++) D.data[obs.rows[t] * 15 + obs.cols[t]] = obs.values[t];
  const top = svd(D).s[0];
  assert.ok(Math.abs(sparseSpectralNorm(obs, { changeTol: 1e-12, maxIters: 5000 }) - top) < 1e-6 * top);
});

test('a λ path with warm starts and a generous rank cap recovers a noisy low-rank matrix', () => {
  const { obs, truth } = problem(40, 30, 0.5, 11);
  const top = sparseSpectralNorm(obs);
  let warm;
  let best = Infinity;
  for (let q = 1; q <= 25; q++) {
    const r = softImputeAls(obs, top * 0.8 ** q, {
      rank: 15,
      maxIters: 300,
      squaredChangeTol: 1e-7,
      seed: 0,
      warmStart: warm,
    });
    warm = r.state;
    let se = 0;
    for (let i = 0; i < 40; i++)
      for (let j = 0; j < 30; j++) se += (softImputeAlsEntry(r, i, j) - truth[i * 30 + j]) ** 2;
    best = Math.min(best, Math.sqrt(se / 1200));
  }
  assert.ok(best < 0.15, `best RMSE against the truth along the path ${best} (noise 0.1)`);
});

test('the SVDs run on the backend passed (same bits as the default ts backend), and on native agree to rounding', () => {
  const { obs } = problem(30, 24, 0.5, 11);
  let calls = 0;
  const spy: Backend = { ...tsBackend, svdInto: (A, ws, o) => (calls++, tsBackend.svdInto(A, ws, o)) };
  const opts = { rank: 5, maxIters: 200, squaredChangeTol: 1e-10, seed: 0 };
  const lambda = 0.2 * sparseSpectralNorm(obs, { seed: 0 });
  const base = softImputeAls(obs, lambda, opts);
  const viaSpy = softImputeAls(obs, lambda, { ...opts, backend: spy });
  assert.equal(calls, 2 * viaSpy.iterations + 1, 'two SVDs per iteration and one final');
  assert.deepEqual([viaSpy.s, viaSpy.U.data, viaSpy.V.data], [base.s, base.U.data, base.V.data]);
  const native = loadNativeBackend().backend;
  if (native) {
    const viaNative = softImputeAls(obs, lambda, { ...opts, backend: native });
    for (let c = 0; c < base.s.length; c++)
      assert.ok(Math.abs(viaNative.s[c] - base.s[c]) < 1e-8 * base.s[0], `s[${c}]`);
  }
});
