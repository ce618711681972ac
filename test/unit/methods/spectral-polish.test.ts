import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSynthetic } from '../../../src/methods/run.ts';
import { gemm, zeros } from '../../../src/linalg/matrix.ts';
import { svd } from '../../../src/linalg/svd.ts';
import { syntheticProblem } from '../../../src/data/synthetic.ts';
import { relativeError } from '../../../src/metrics/index.ts';

test('spectral-polish (the control) confirms the true rank from the spectral start and recovers a well-sampled matrix exactly, never told the rank', () => {
  const r = runSynthetic({ method: 'spectral-polish', n: 40, rank: 2, samples: 600, seed: 3, masks: 'identifiable' });
  assert.equal(r.estimatedRank, 2);
  assert.equal(r.stopReason, 'polished');
  assert.ok(r.relError <= 1e-12, `relError ${r.relError}`);
  assert.ok(r.attempts.some((a) => a.accepted && a.rank === 2));
  assert.equal(r.warning, undefined);
});

test('spectral-polish where no rank can be confirmed (far too few entries): the rank-k spectral estimate, estimatedRank null and a warning', () => {
  const r = runSynthetic({ method: 'spectral-polish', n: 30, rank: 3, samples: 80, seed: 2, k: 6 });
  assert.equal(r.estimatedRank, null);
  assert.match(r.warning ?? '', /no candidate rank was confirmed/);
  // The returned matrix is the rank-6 truncation of P_Ω(X)/p: its error against the truth matches a dense computation.
  const p = syntheticProblem({ n: 30, rank: 3, samples: 80, seed: 2 });
  const Y = zeros(30, 30);
  const o = p.observations;
  for (let t = 0; t < o.values.length; t++) Y.data[o.rows[t] * 30 + o.cols[t]] = o.values[t] / (80 / 900);
  const S = svd(Y);
  const U = zeros(30, 6);
  const V = zeros(30, 6);
  for (let i = 0; i < 30; i++) {
    for (let c = 0; c < 6; c++) {
      U.data[i * 6 + c] = S.U.data[i * S.U.cols + c] * S.s[c];
      V.data[i * 6 + c] = S.V.data[i * S.V.cols + c];
    }
  }
  const expected = relativeError(gemm(U, V, { transB: true }), p.truth);
  assert.ok(Math.abs(r.relError - expected) <= 1e-8 * expected, `${r.relError} vs dense ${expected}`);
});
