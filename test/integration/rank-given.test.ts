// `mcomplete run` with a given rank and with --polish, through the CLI from source (a child process); the solvers and
// the sweep rules are unit-tested in test/unit/methods/rank-given.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/cli.ts';

test('mcomplete run --method gnmr --json: the shared fields plus givenRank, residual and identifiable; --given-rank is refused for gradient runs', () => {
  const r = runCli(['run', '--method', 'gnmr', '--n', '30', '--rank', '2', '--samples', '400', '--json', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  for (const key of [
    'relError',
    'iterations',
    'stopReason',
    'settings',
    'givenRank',
    'residual',
    'lsqrIterations',
    'identifiable',
  ]) {
    assert.ok(key in out, `missing ${key}`);
  }
  assert.ok(out.relError < 1e-12);
  const bad = runCli(['run', '--given-rank', '3', '--max-iters', '1']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /'--given-rank' applies only to --method gnmr or altmin/);
  const polish = runCli(['run', '--method', 'gnmr', '--polish']);
  assert.equal(polish.code, 2);
  assert.match(polish.stderr, /'--polish' applies only to --method gradient/);
});

test('mcomplete run --polish prints the polish line: the rank found, the gap, the relError before and after', () => {
  const r = runCli(['run', '--polish', '--n', '30', '--rank', '2', '--samples', '300', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /polish\s+rank 2 \(gap [\d.]+\) at step \d+, \d+ Gauss–Newton iterations, [\d.]+ s; relError [\d.e+-]+ → [\d.e+-]+/,
  );
  assert.match(r.stdout, /\(polished\)/);
});

test('past 5000² entries the matrix-free rank-given methods run in factor form (nothing n₁×n₂), and the dense ones are refused', async () => {
  const { runSynthetic, resolveSettings } = await import('../../src/methods/run.ts');
  // 5001 × 5000, rank 1, ρ = 4 (m = 39,996, uniform): past DENSE_MAX_ENTRIES = 5000².
  const problem = { n: 5001, n2: 5000, rank: 1, rho: 4, seed: 2 };
  const g = runSynthetic({ method: 'gnmr', ...problem, maxIters: 30 });
  assert.ok(g.residual < 1e-8, `residual on Ω ${g.residual}`);
  assert.ok(Number.isFinite(g.relError) && g.relError < 0.1, `relError ${g.relError}`);
  assert.ok(g.relErrorUnobserved !== null && Math.abs(g.relErrorUnobserved - g.relError) < 0.01 * g.relError + 1e-12);
  assert.throws(() => resolveSettings({ method: 'altmin', ...problem }), /at most 25000000 \(5000²\) for altmin/);
});
