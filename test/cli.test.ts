import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runCli } from './helpers/cli.ts';

const fast = ['--n', '20', '--rank', '2', '--samples', '150', '--max-iters', '200'];

test('run --json prints exactly one JSON object with the metrics and the settings', () => {
  const r = runCli(['run', ...fast, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1);
  const out = JSON.parse(lines[0]);
  for (const key of [
    'relError',
    'relErrorUnobserved',
    'trainMSE',
    'effectiveRank',
    'nuclearNorm',
    'ratio',
    'iterations',
    'seconds',
    'stopReason',
  ]) {
    assert.ok(key in out, `missing ${key}`);
  }
  assert.equal(out.iterations, 200);
  assert.equal(out.settings.n, 20);
  assert.equal(out.settings.penalty, 'ratio');
  assert.equal(out.settings.optimizer, 'adam');
  assert.equal(out.settings.lambda, 1e-4);
  assert.ok(r.stderr.includes('training'), 'progress goes to stderr');
});

test('same flags, same numbers (one seed fixes everything)', () => {
  const a = JSON.parse(runCli(['run', ...fast, '--json', '--quiet', '--seed', '3']).stdout);
  const b = JSON.parse(runCli(['run', ...fast, '--json', '--quiet', '--seed', '3']).stdout);
  assert.equal(a.relError, b.relError);
  assert.equal(a.nuclearNorm, b.nuclearNorm);
});

for (const [flag, value, pattern] of [
  ['--penalty', 'l1', /--penalty.*none, nuclear, frobenius, ratio/],
  ['--optimizer', 'lbfgs', /--optimizer.*sgd, momentum, adam, rmsprop, adagrad, group-rmsprop/],
  ['--lr', '-1', /--lr.*> 0/],
  ['--n', 'ten', /--n.*integer/],
  ['--samples', '100000', /--samples.*n²/],
] as const) {
  test(`bad flag ${flag} ${value}: one line naming the flag and the allowed values, exit 2`, () => {
    const r = runCli(['run', ...fast, flag, value]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], pattern);
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/); // no stack trace
  });
}

test('an unknown flag is a usage error (exit 2), --help exits 0', () => {
  assert.equal(runCli(['run', '--bogus']).code, 2);
  const help = runCli(['run', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--penalty <name>/);
});

test('divergence is reported without a stack trace and exits 1', () => {
  const r = runCli(['run', ...fast, '--optimizer', 'sgd', '--lr', '1e6', '--penalty', 'none', '--quiet']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /diverged.*sgd.*lr 1000000.*lower learning rate/);
  assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/);
});

const bin = fileURLToPath(new URL('../bin/mcomplete.js', import.meta.url));
const built = existsSync(fileURLToPath(new URL('../dist/cli/entry.js', import.meta.url)));
test('the installed bin (npx mcomplete) answers --help', { skip: built ? false : 'dist/ not built (npm ci builds it)' }, () => {
  const r = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /run \[options\]/);
});
