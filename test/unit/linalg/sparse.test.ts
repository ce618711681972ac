import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gemm, zeros } from '../../../src/linalg/matrix.ts';
import { svd } from '../../../src/linalg/svd.ts';
import { sparseTopSvd, type SparseEntries } from '../../../src/linalg/sparse.ts';
import { deriveRng } from '../../../src/random/index.ts';

/** A random sparse m×n matrix with about `density`·mn entries: a rank-3 part plus noise, on a random pattern. */
function randomSparse(m: number, n: number, density: number, seed: number): SparseEntries {
  const rng = deriveRng(seed, 'sparse-test');
  const rows: number[] = [];
  const cols: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      if (rng.uniform() < density) {
        rows.push(i);
        cols.push(j);
        values.push(Math.sin(i + 2 * j) * 3 + Math.cos(2 * i - j) * 2 + (i % 3) + rng.uniform() - 0.5);
      }
    }
  }
  return { shape: [m, n], rows: Int32Array.from(rows), cols: Int32Array.from(cols), values: Float64Array.from(values) };
}

test('sparseTopSvd matches the dense SVD: top singular values, the singular subspaces, and S vᵢ = σᵢ uᵢ, on a rectangular matrix', () => {
  for (const [m, n, k] of [
    [60, 35, 3],
    [30, 80, 5],
  ] as const) {
    const S = randomSparse(m, n, 0.3, m + n);
    const dense = zeros(m, n);
    for (let t = 0; t < S.values.length; t++) dense.data[S.rows[t] * n + S.cols[t]] = S.values[t];
    const full = svd(dense);
    const top = sparseTopSvd(S, k, { tol: 1e-13 });
    assert.equal(top.U.rows, m);
    assert.equal(top.V.rows, n);
    for (let i = 0; i < k; i++)
      assert.ok(Math.abs(top.s[i] - full.s[i]) <= 1e-10 * full.s[0], `σ${i}: ${top.s[i]} vs ${full.s[i]}`);
    // S V_k = U_k Σ_k, checked on the dense matrix.
    const SV = gemm(dense, top.V);
    for (let i = 0; i < m; i++)
      for (let c = 0; c < k; c++)
        assert.ok(Math.abs(SV.data[i * k + c] - top.s[c] * top.U.data[i * k + c]) <= 1e-9 * full.s[0]);
    // Orthonormal columns.
    const G = gemm(top.U, top.U, { transA: true });
    for (let a = 0; a < k; a++)
      for (let b = 0; b < k; b++) assert.ok(Math.abs(G.data[a * k + b] - (a === b ? 1 : 0)) < 1e-12);
  }
});

test('sparseTopSvd is deterministic for a seed and returns what it has at the iteration cap', () => {
  const S = randomSparse(40, 40, 0.2, 3);
  const a = sparseTopSvd(S, 4, { seed: 7 });
  const b = sparseTopSvd(S, 4, { seed: 7 });
  assert.deepEqual(a.s, b.s);
  const capped = sparseTopSvd(S, 4, { maxIters: 1 });
  assert.equal(capped.iterations, 1);
  assert.ok(capped.s[0] > 0 && capped.s[0] <= a.s[0] * (1 + 1e-12));
});
