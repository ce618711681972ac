import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { minimumEntries } from '../../../src/complete/complete.ts';
import { parseTriplets } from '../../../src/data/formats/triplets.ts';
import { parseDense } from '../../../src/data/formats/dense.ts';
import { parseMatrixMarket } from '../../../src/data/formats/matrix-market.ts';
import { runMain } from '../../helpers/main.ts';

const dir = mkdtempSync(join(tmpdir(), 'mcomplete-messages-'));

/** Exit code `code` and one stderr line matching every pattern in `yes` and none in `no`. */
async function says(argv: string[], code: number, yes: RegExp[], no: RegExp[] = []): Promise<void> {
  const r = await runMain(argv);
  assert.equal(r.code, code, `${argv.join(' ')}: ${r.stderr}`);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  for (const p of yes) assert.match(r.stderr, p);
  for (const p of no) assert.doesNotMatch(r.stderr, p);
}

test('run --method soft-impute --lambda 0 is a usage error (exit 2) about --lambda, not about a flag never given', async () => {
  await says(
    ['run', '--method', 'soft-impute', '--lambda', '0', '--n', '5', '--rank', '1', '--samples', '10'],
    2,
    [/option '--lambda' must be > 0 with --method soft-impute.*got 0/],
    [/lambda-min-ratio/],
  );
});

test('a limit broken by a default names the default and what to pass; one broken by a typed value names that value', async () => {
  await says(['run', '--n', '20'], 2, [
    /option '--samples' defaults to 2000, more than n² = 400 for --n 20: pass --samples at most 400/,
  ]);
  await says(['run', '--n', '4', '--samples', '3'], 2, [
    /option '--rank' defaults to 5, more than --n 4: pass --rank at most 4/,
  ]);
  await says(['run', '--n', '4', '--rank', '6'], 2, [/option '--rank' must be at most --n \(4\), got 6/]);
  await says(['run', '--n', '4', '--rank', '1', '--samples', '17'], 2, [
    /option '--samples' must be at most n² \(16\), got 17/,
  ]);
});

test('1e400 is out of range, not "not a number", in flags and in data files', async () => {
  await says(['run', '--lr', '1e400'], 2, [
    /'1e400' is invalid\. expected a finite number > 0 \(it is out of range: a float64 holds magnitudes up to 1\.8e308\)/,
  ]);
  await says(['run', '--n', '1e400'], 2, [/out of range/]);
  await says(['complete', 'x.csv', '--lambda', '1,1e400', '--method', 'ratio'], 2, [/out of range/]);
  await says(['run', '--lr', 'abc'], 2, [/expected a finite number > 0\.$/m], [/out of range/]);
  assert.throws(
    () => parseTriplets('r,c,v\n1,1,1e400\n', { file: 'a.csv' }),
    /a\.csv, line 2.*value "?1e400"? is out of range/,
  );
  assert.throws(() => parseTriplets('r,c,v\n1,1,abc\n', { file: 'a.csv' }), /is not a number/);
  assert.throws(
    () => parseDense('1,-1e999\n2,3\n', { file: 'd.csv', header: false }),
    /value "?-1e999"? is out of range/,
  );
  assert.throws(
    () => parseMatrixMarket('%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 1e400\n', { file: 'm.mtx' }),
    /out of range/,
  );
});

test('complete states the true minimum number of entries: 5 work at the default validation 0.1, and 4 are told 5', async () => {
  // The rule itself: round(f·count) >= 1 held-out entry and at least one left to fit.
  const fits = (f: number, c: number): boolean => Math.round(f * c) >= 1 && c - Math.round(f * c) >= 1;
  for (const f of [0.5, 0.4, 0.3, 0.25, 0.2, 0.1, 0.07, 0.05, 0.013, 0.001]) {
    const need = minimumEntries(f);
    assert.ok(fits(f, need) && !fits(f, need - 1), `fraction ${f}: ${need}`);
  }
  assert.equal(minimumEntries(0.1), 5);
  const four = join(dir, 'four.csv');
  writeFileSync(four, 'r,c,v\n1,1,1\n1,2,2\n2,1,3\n2,2,4\n');
  await says(['complete', four, '--method', 'soft-impute', '--quiet'], 1, [
    /too few observed entries \(4\) .* need at least 5/,
  ]);
  const five = join(dir, 'five.csv');
  writeFileSync(five, 'r,c,v\n1,1,1\n1,2,2\n2,1,3\n2,2,4\n3,3,1\n');
  const r = await runMain([
    'complete',
    five,
    '--method',
    'soft-impute',
    '--quiet',
    '--out-matrix',
    join(dir, 'five-out.csv'),
  ]);
  assert.equal(r.code, 0, r.stderr);
});
