import { test } from 'node:test';
import assert from 'node:assert/strict';
import { syntheticProblem, sampleWithoutReplacement } from '../../../src/data/synthetic.ts';
import { makeObservations, linearIndices } from '../../../src/data/observations.ts';
import { frobeniusNorm } from '../../../src/linalg/matrix.ts';
import { svd } from '../../../src/linalg/svd.ts';
import { createRng } from '../../../src/random/index.ts';

test('synthetic truth has ||W*||_F = n and exactly `rank` nonzero singular values', () => {
  const p = syntheticProblem({ n: 40, rank: 3, samples: 300, seed: 1 });
  assert.ok(Math.abs(frobeniusNorm(p.truth) - 40) < 1e-10);
  const { s } = svd(p.truth);
  assert.ok(s[2] > 1e-3 * s[0]);
  assert.ok(s[3] < 1e-12 * s[0], `4th singular value ${s[3]}`);
});

test('the mask has `samples` distinct in-range entries whose values are the truth', () => {
  const p = syntheticProblem({ n: 30, rank: 2, samples: 500, seed: 2 });
  const idx = linearIndices(p.observations);
  assert.equal(idx.length, 500);
  assert.equal(new Set(idx).size, 500);
  for (let k = 0; k < idx.length; k++) {
    assert.ok(idx[k] >= 0 && idx[k] < 900);
    assert.equal(p.observations.values[k], p.truth.data[idx[k]]);
  }
});

test('one seed fixes truth and mask; another seed changes both', () => {
  const a = syntheticProblem({ n: 20, rank: 2, samples: 100, seed: 9 });
  const b = syntheticProblem({ n: 20, rank: 2, samples: 100, seed: 9 });
  const c = syntheticProblem({ n: 20, rank: 2, samples: 100, seed: 10 });
  assert.deepEqual(a.truth.data, b.truth.data);
  assert.deepEqual(a.observations.rows, b.observations.rows);
  assert.notDeepEqual(a.truth.data, c.truth.data);
  assert.notDeepEqual(linearIndices(a.observations), linearIndices(c.observations));
});

test('sampling without replacement is uniform over positions', () => {
  const counts = new Float64Array(10);
  const rng = createRng(4);
  for (let t = 0; t < 20_000; t++) for (const i of sampleWithoutReplacement(10, 3, rng)) counts[i]++;
  for (const c of counts) assert.ok(Math.abs(c - 6000) < 300, `counts ${counts}`);
  assert.throws(() => sampleWithoutReplacement(5, 6, rng), /distinct/);
});

test('bad specs and observations are rejected with a clear message', () => {
  assert.throws(() => syntheticProblem({ n: 10, rank: 11, samples: 5, seed: 0 }), /rank must be/);
  assert.throws(() => syntheticProblem({ n: 10, rank: 2, samples: 101, seed: 0 }), /samples must be/);
  assert.throws(() => makeObservations([2, 2], [0, 2], [0, 0], [1, 2]), /outside the 2×2/);
  assert.throws(() => makeObservations([2, 2], [0, 0], [1, 1], [1, 2]), /appears twice/);
  assert.throws(() => makeObservations([2, 2], [0], [1], [NaN]), /NaN/);
});
