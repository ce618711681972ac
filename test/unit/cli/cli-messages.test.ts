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

test('run --kappa, --rho, --n2 and identifiable masks: each bad value is one usage line naming its flag', async () => {
  for (const kappa of ['0.5', '0', 'NaN', 'Infinity', '-3'])
    await says(['run', '--kappa', kappa], 2, [
      new RegExp(`option '--kappa <x>' argument '${kappa}' is invalid. expected a finite number >= 1`),
    ]);
  await says(['run', '--kappa', '3', '--rank', '1', '--method', 'gnmr'], 2, [/option '--kappa' must be 1 at rank 1/]);
  for (const rho of ['0', '-1', 'NaN'])
    await says(['run', '--rho', rho], 2, [
      new RegExp(`option '--rho <x>' argument '${rho}' is invalid. expected a finite number > 0`),
    ]);
  await says(['run', '--rho', '1e-4', '--method', 'gnmr'], 2, [
    /option '--rho' must give between 1 and n·n2 = 10000 samples, got rho 0\.0001: round\(ρ·r\(n \+ n2 − r\)\) = 0/,
  ]);
  await says(['run', '--rho', '50', '--method', 'gnmr'], 2, [
    /option '--rho' must give between 1 and n·n2 = 10000 samples/,
  ]);
  await says(['run', '--rho', '2', '--samples', '1000'], 2, [/options '--samples' and '--rho' both set the number/]);
  for (const n2 of ['0', '1.5', 'x'])
    await says(['run', '--n2', n2], 2, [
      new RegExp(`option '--n2 <int>' argument '${n2}' is invalid. expected an integer in 1..100000`),
    ]);
  await says(['run', '--n', '10', '--n2', '3', '--rank', '4', '--samples', '20'], 2, [
    /option '--rank' must be at most min\(--n, --n2\) \(3\), got 4/,
  ]);
  await says(['run', '--n', '10', '--n2', '3', '--rank', '2'], 2, [
    /option '--samples' defaults to 2000, more than n·n2 = 30 for --n 10 --n2 3: pass --samples at most 30/,
  ]);
  await says(['run', '--n', '20', '--samples', '100', '--masks', 'identifiable', '--method', 'gnmr'], 2, [
    /option '--samples' must be at least maskMinPerLine·max\(n, n2\) = 6·20 = 120 for identifiable masks/,
  ]);
  await says(['run', '--n', '6000', '--method', 'nuclear-min'], 2, [/option '--n' must keep n·n2 at most 25000000/]);
  await says(['run', '--n', '20', '--rank', '2', '--samples', '60', '--masks', 'identifiable', '--method', 'gnmr'], 1, [
    /none of 10000 draws of 60 entries \(seed 0\) has every row and column seen ≥ 3 times; use more samples/,
  ]);
});

test('run --rho and --kappa on a rectangular problem: the settings line shows n2, rho and kappa', async () => {
  const r = await runMain([
    'run',
    '--n',
    '20',
    '--n2',
    '30',
    '--rank',
    '2',
    '--rho',
    '3',
    '--kappa',
    '10',
    '--method',
    'gnmr',
    '--quiet',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^n=20 n2=30 rank=2 samples=288 rho=3 seed=0 kappa=10 method=gnmr /);
  const json = await runMain([
    'run',
    '--n',
    '20',
    '--n2',
    '30',
    '--rank',
    '2',
    '--rho',
    '3',
    '--method',
    'gnmr',
    '--json',
  ]);
  const settings = JSON.parse(json.stdout).settings;
  assert.equal(settings.samples, 288);
  assert.equal(settings.rho, 3);
  assert.equal(settings.n2, 30);
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
