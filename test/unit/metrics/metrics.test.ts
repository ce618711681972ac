import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  effectiveRank,
  nuclearNorm,
  ratioValue,
  relativeError,
  relativeErrorUnobserved,
  rmse,
  trainMSE,
} from '../../../src/metrics/index.ts';
import { fromRows } from '../../../src/linalg/matrix.ts';
import { makeObservations } from '../../../src/data/observations.ts';

test('relative errors: zero at the truth, known values elsewhere', () => {
  const T = fromRows([
    [1, 2],
    [3, 4],
  ]);
  const W = fromRows([
    [1, 2],
    [3, 0],
  ]);
  assert.equal(relativeError(T, T), 0);
  assert.ok(Math.abs(relativeError(W, T) - 4 / Math.sqrt(30)) < 1e-15);
  const obs = makeObservations([2, 2], [0, 0, 1], [0, 1, 0], [1, 2, 3]);
  assert.equal(relativeErrorUnobserved(W, T, obs), 1); // the one unobserved entry is entirely wrong
  assert.equal(trainMSE(W, obs), 0);
  assert.ok(
    Math.abs(
      relativeError(
        fromRows([
          [0, 0],
          [0, 0],
        ]),
        T,
      ) - 1,
    ) < 1e-15,
  );
});

test('effective rank is k for k equal singular values and 1 for one', () => {
  assert.ok(Math.abs(effectiveRank([2, 2, 2, 0, 0]) - 3) < 1e-12);
  assert.equal(effectiveRank([5, 0, 0]), 1);
  assert.equal(effectiveRank([0, 0]), 0);
  const r = effectiveRank([3, 1]);
  assert.ok(r > 1 && r < 2);
});

test('nuclear norm, L*/F and RMSE', () => {
  assert.equal(nuclearNorm([3, 4]), 7);
  assert.equal(ratioValue([3, 4]), 7 / 5);
  assert.ok(Math.abs(ratioValue([1, 1, 1, 1]) - 2) < 1e-15); // sqrt(rank) for a flat spectrum
  assert.ok(Number.isNaN(ratioValue([0, 0])));
  assert.equal(rmse([1, 2], [1, 4]), Math.sqrt(2));
});
