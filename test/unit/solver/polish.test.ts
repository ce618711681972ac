import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gemm, zeros } from '../../../src/linalg/matrix.ts';
import { svd } from '../../../src/linalg/svd.ts';
import { observeAt } from '../../../src/data/observations.ts';
import { sampleWithoutReplacement } from '../../../src/data/synthetic.ts';
import { createRng } from '../../../src/random/index.ts';
import { relativeError } from '../../../src/metrics/index.ts';
import { holdoutSplit, polish, rankCandidates, rankScan } from '../../../src/solver/polish.ts';
import { factorPairSvd } from '../../../src/solver/factors.ts';
import { runSynthetic } from '../../../src/methods/run.ts';
import { randomMatrix } from '../../helpers/random.ts';
import { add, OPTS, setup, withSpectrum } from '../../helpers/polish-setup.ts';

test('rankCandidates: ranks whose gap s_k/s_(k+1) passes the threshold, largest gap first, within maxRank', () => {
  const s = [10, 9, 8, 1, 0.9, 0];
  assert.deepEqual(rankCandidates(s, 5, 2, 5), [
    { rank: 5, gap: Infinity },
    { rank: 3, gap: 8 },
  ]);
  assert.deepEqual(rankCandidates(s, 4, 2, 5), [{ rank: 3, gap: 8 }]);
  assert.deepEqual(rankCandidates(s, 5, 2, 1), [{ rank: 5, gap: Infinity }]);
});

test('holdoutSplit: deterministic, disjoint, and together the whole of Ω', () => {
  const truth = randomMatrix(10, 10, 1);
  const obs = observeAt(truth, sampleWithoutReplacement(100, 40, createRng(2)));
  const a = holdoutSplit(obs, 7, 3);
  assert.deepEqual(a, holdoutSplit(obs, 7, 3));
  assert.equal(a.held.values.length, 7);
  const key = (o: typeof obs): string[] => Array.from(o.rows, (r, t) => `${r},${o.cols[t]}`);
  const all = [...key(a.fit), ...key(a.held)].sort();
  assert.deepEqual(all, key(obs).sort());
});

test('polish confirms the true rank 3 from a perturbed W and recovers the truth to 1e-12', () => {
  const truth = withSpectrum(40, [30, 20, 12], 1);
  const { obs, w } = setup(truth, add(zeros(40, 40), randomMatrix(40, 40, 5), 0.2), 700, 9);
  assert.equal(rankCandidates(w.s, 10, 2, 1)[0].rank, 3);
  const r = polish(obs, w, OPTS);
  assert.equal(r.accepted, true);
  assert.equal(r.rank, 3);
  const f = r.factors as NonNullable<typeof r.factors>;
  assert.ok(relativeError(gemm(f.U, f.V, { transB: true }), truth) < 1e-12);
});

test('holdoutSplit with keep: every row and column keeps at least `keep` entries in the fitting part (or all it had)', () => {
  const truth = randomMatrix(30, 30, 1);
  const obs = observeAt(truth, sampleWithoutReplacement(900, 200, createRng(2)));
  const keep = 6;
  const { fit, held } = holdoutSplit(obs, 60, 3, keep);
  assert.ok(held.values.length > 0 && held.values.length <= 60);
  const count = (idx: Int32Array, n: number): Int32Array => {
    const c = new Int32Array(n);
    for (const i of idx) c[i]++;
    return c;
  };
  const [rowsAll, colsAll, rowsFit, colsFit] = [
    count(obs.rows, 30),
    count(obs.cols, 30),
    count(fit.rows, 30),
    count(fit.cols, 30),
  ];
  for (let i = 0; i < 30; i++) {
    assert.ok(rowsFit[i] >= Math.min(keep, rowsAll[i]), `row ${i}: ${rowsFit[i]} of ${rowsAll[i]}`);
    assert.ok(colsFit[i] >= Math.min(keep, colsAll[i]), `column ${i}: ${colsFit[i]} of ${colsAll[i]}`);
  }
});

test('a too-small candidate (largest gap at rank 2 of a rank-3 truth) cannot fit Ω and is rejected for rank 3', () => {
  const truth = withSpectrum(40, [30, 25, 2], 2);
  const { obs, w } = setup(truth, add(zeros(40, 40), randomMatrix(40, 40, 6), 0.03), 700, 10);
  assert.equal(rankCandidates(w.s, 10, 2, 1)[0].rank, 2);
  const r = polish(obs, w, OPTS);
  assert.equal(r.attempts[0].rank, 2);
  assert.ok(r.attempts[0].fitResidual > 1e-3, `rank 2 cannot fit a rank-3 Ω: ${r.attempts[0].fitResidual}`);
  assert.equal(r.rank, 3);
});

test('factorPairSvd is the SVD of A·Bᵀ', () => {
  const A = randomMatrix(12, 4, 1);
  const B = randomMatrix(9, 4, 2);
  const f = factorPairSvd(A, B);
  const direct = svd(gemm(A, B, { transB: true }));
  for (let k = 0; k < 4; k++) assert.ok(Math.abs(f.s[k] - direct.s[k]) < 1e-12 * direct.s[0]);
  const D = zeros(4, 4);
  for (let k = 0; k < 4; k++) D.data[k * 4 + k] = f.s[k];
  assert.ok(relativeError(gemm(gemm(f.U, D), f.V, { transB: true }), gemm(A, B, { transB: true })) < 1e-13);
});

test('--polish on a deep and on a factored run: the rank found unasked, relError ≤ 1e-10, the report filled in', () => {
  const problem = { n: 40, rank: 2, samples: 600, seed: 1, maxIters: 4000 };
  for (const run of [
    runSynthetic({ ...problem, polish: true }),
    runSynthetic({ ...problem, model: 'factored', k: 8, polish: true }),
  ]) {
    assert.ok(run.polish, 'a polish report');
    assert.equal(run.polish.estimatedRank, 2);
    assert.ok(run.relError <= 1e-10, `relError ${run.relError}`);
    assert.equal(run.polish.relErrorAfter, run.relError);
    assert.ok(run.polish.relErrorBefore > run.relError);
    assert.ok(run.polish.gap !== null && run.polish.gap >= 1);
    assert.ok(run.polish.polishIterations > 0);
    assert.equal(run.warning, undefined);
  }
});

test('--polish where no rank can be confirmed (far too few entries): the trained W, estimatedRank null and a warning', () => {
  const r = runSynthetic({ n: 30, rank: 3, samples: 80, seed: 2, maxIters: 600, polish: true });
  assert.equal(r.polish?.estimatedRank, null);
  assert.match(r.warning ?? '', /no candidate rank was confirmed/);
  assert.notEqual(r.stopReason, 'polished');
});

test('--polish on a mask with a thin row: the rank it confirms fits Ω but cannot fix that row, and the result says so', () => {
  // n = 40, m = 240, seed 3: one row has fewer than 2 observed entries (uniform mask), yet the polish confirms rank 2.
  const r = runSynthetic({ n: 40, rank: 2, samples: 240, seed: 3, maxIters: 4000, polish: true });
  assert.equal(r.polish?.estimatedRank, 2);
  assert.match(
    r.warning ?? '',
    /^polish: estimated rank 2: 1 rows and 0 columns have fewer than 2 observed entries.*not determined by the data$/,
  );
  assert.ok(r.relError > 1e-6, `a row seen once cannot be recovered, relError ${r.relError}`);
});

test("factoredErrorsExact agrees with the dense errors and resolves differences far below the Gram sums' 1e-7 floor", async () => {
  const { factoredErrorsExact } = await import('../../../src/metrics/index.ts');
  const { relativeErrorUnobserved } = await import('../../../src/metrics/index.ts');
  const U = randomMatrix(30, 2, 1);
  const V = randomMatrix(25, 2, 2);
  const truth = gemm(U, V, { transB: true });
  const obs = observeAt(truth, sampleWithoutReplacement(750, 200, createRng(3)));
  for (const eps of [1e-2, 1e-12]) {
    const A = add(U, randomMatrix(30, 2, 4), eps);
    const W = gemm(A, V, { transB: true });
    const exact = factoredErrorsExact(A, V, U, V, obs);
    const dense = relativeError(W, truth);
    // At 1e-12 the dense difference itself carries ~1e-16/1e-12 relative rounding.
    const tol = eps < 1e-6 ? 1e-3 : 1e-9;
    assert.ok(Math.abs(exact.relError - dense) <= tol * dense, `eps ${eps}: ${exact.relError} vs ${dense}`);
    const denseUnobs = relativeErrorUnobserved(W, truth, obs);
    assert.ok(exact.relErrorUnobserved !== null && denseUnobs !== null, 'entries are unobserved');
    assert.ok(Math.abs(exact.relErrorUnobserved - denseUnobs) <= tol * denseUnobs);
  }
});

test('rankScan: ranks below the truth stall above fitTol, the true rank 3 fits Ω, from a W with no gap at 3', () => {
  const truth = withSpectrum(40, [30, 20, 12], 1);
  const { obs } = setup(truth, zeros(40, 40), 600, 9);
  // W carries no information about the rank (the scan reads only its gaps, for the record): a random matrix.
  const attempts: Parameters<typeof rankScan>[3] = [];
  const out = rankScan(obs, { ...OPTS, maxRank: 6 }, svd(randomMatrix(40, 40, 5)), attempts);
  assert.equal(out.rank, 3);
  assert.deepEqual(
    attempts.map((a) => [a.rank, a.rule, a.accepted]),
    [
      [1, 'scan', false],
      [2, 'scan', false],
      [2, 'scan-spectral', false],
      [3, 'scan', true],
    ],
  );
  // A rank-k fit's residual on Ω is at least the best rank-k fit's; the truth's spectrum puts both lower ones far
  // above fitTol (rank 2 leaves 12 of ||(30, 20, 12)|| ≈ 0.31 when fully observed).
  for (const a of attempts.slice(0, 2)) assert.ok(a.fitResidual > 1e-2, `rank ${a.rank}: ${a.fitResidual}`);
  assert.ok(Number.isNaN(attempts[0].holdoutError));
  const f = out.factors as NonNullable<typeof out.factors>;
  assert.ok(relativeError(gemm(f.U, f.V, { transB: true }), truth) < 1e-9);
});

test('rankScan: the second run at a rank (scan-spectral) is left by scanSpectralStuck, the greedy one by scanStuck', () => {
  const truth = withSpectrum(40, [30, 20, 12], 1);
  const { obs } = setup(truth, zeros(40, 40), 600, 9);
  const flat = svd(randomMatrix(40, 40, 5));
  // Ratio 0: the rule fires at its first check, iteration 3·iters, on a run that cannot fit (rank 2 of a rank-3 truth).
  for (const iters of [2, 4]) {
    const attempts: Parameters<typeof rankScan>[3] = [];
    rankScan(obs, { ...OPTS, maxRank: 6, scanSpectralStuck: { iters, ratio: 0 } }, flat, attempts);
    const second = attempts.find((a) => a.rank === 2 && a.rule === 'scan-spectral');
    assert.equal(second?.iterations, 3 * iters);
  }
  const attempts: Parameters<typeof rankScan>[3] = [];
  rankScan(obs, { ...OPTS, maxRank: 6, scanStuck: { iters: 2, ratio: 0 } }, flat, attempts);
  assert.equal(attempts.find((a) => a.rank === 2 && a.rule === 'scan')?.iterations, 6);
});

test('polish with scan: no gap candidate confirms, the scan does, and the refinement reaches rounding', () => {
  const truth = withSpectrum(40, [30, 20, 12], 1);
  const { obs } = setup(truth, zeros(40, 40), 600, 9);
  const flat = svd(randomMatrix(40, 40, 5));
  const without = polish(obs, flat, { ...OPTS, maxCandidates: 1 });
  const r = polish(obs, flat, { ...OPTS, maxCandidates: 1, scan: true });
  assert.equal(without.accepted, false, 'the W here must not give the rank by its gaps');
  assert.equal(r.accepted, true);
  assert.equal(r.rank, 3);
  assert.ok(r.attempts.some((a) => a.rule === 'scan' && a.accepted));
  const f = r.factors as NonNullable<typeof r.factors>;
  assert.ok(relativeError(gemm(f.U, f.V, { transB: true }), truth) < 1e-12);
});
