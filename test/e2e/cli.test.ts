import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runCli } from '../helpers/cli.ts';

const fast = ['--n', '20', '--rank', '2', '--samples', '150', '--max-iters', '200'];

/** The fields every method's `run --json` object has. */
const SHARED_FIELDS = [
  'relError',
  'relErrorUnobserved',
  'trainMSE',
  'effectiveRank',
  'nuclearNorm',
  'ratio',
  'iterations',
  'seconds',
  'stopReason',
  'settings',
];

test('run --json prints exactly one JSON object with the metrics and the settings', () => {
  const r = runCli(['run', ...fast, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1);
  const out = JSON.parse(lines[0]);
  for (const key of SHARED_FIELDS) assert.ok(key in out, `missing ${key}`);
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

test('run --method nuclear-min --json prints one JSON object with the shared fields and its residuals', () => {
  const r = runCli(['run', '--method', 'nuclear-min', '--n', '20', '--rank', '2', '--samples', '250', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1);
  const out = JSON.parse(lines[0]);
  for (const key of [...SHARED_FIELDS, 'constraintResidual', 'dualityGap', 'rank'])
    assert.ok(key in out, `missing ${key}`);
  assert.equal(out.stopReason, 'tolerance');
  assert.ok(out.constraintResidual < 1e-5);
  assert.ok(out.relError < 1e-4, `relError ${out.relError}`);
  assert.equal(out.settings.method, 'nuclear-min');
  assert.equal(out.settings.boxTol, 0);
  assert.equal(out.settings.n, 20);
  assert.ok(r.stderr.includes('nuclear-min'), 'progress goes to stderr');
});

test('run --method soft-impute --json reports the chosen λ, how it was chosen, and the path', () => {
  const base = [
    'run',
    '--method',
    'soft-impute',
    '--n',
    '20',
    '--rank',
    '2',
    '--samples',
    '250',
    '--path-length',
    '5',
    '--json',
    '--quiet',
  ];
  const oracle = JSON.parse(runCli(base).stdout);
  for (const key of [...SHARED_FIELDS, 'lambda', 'lambdaMax', 'lambdaChoice', 'path'])
    assert.ok(key in oracle, `missing ${key}`);
  assert.equal(oracle.lambdaChoice, 'oracle');
  assert.equal(oracle.path.length, 5);
  assert.equal(oracle.relError, Math.min(...oracle.path.map((p: { relError: number }) => p.relError)));
  const given = JSON.parse(runCli([...base, '--lambda', '0.5', '--max-rank', '3']).stdout);
  assert.equal(given.lambdaChoice, 'given');
  assert.equal(given.lambda, 0.5);
  assert.ok(given.effectiveRank <= 3);
  assert.equal(given.settings.maxRank, 3);
});

test('run (gradient) records its method in the settings', () => {
  const out = JSON.parse(runCli(['run', ...fast, '--max-iters', '5', '--json', '--quiet']).stdout);
  assert.equal(out.settings.method, 'gradient');
});

test('run without a penalty defaults to the train-MSE stop and a 40,000-step cap; with one to 25,000 steps and no tol', () => {
  const none = JSON.parse(
    runCli([
      'run',
      '--n',
      '12',
      '--rank',
      '1',
      '--samples',
      '60',
      '--penalty',
      'none',
      '--lr',
      '1e-2',
      '--json',
      '--quiet',
    ]).stdout,
  );
  assert.equal(none.settings.maxIters, 40000);
  assert.equal(none.settings.tol, 1e-6);
  assert.equal(none.stopReason, 'tolerance');
  assert.ok(none.iterations < 40000);
  const help = runCli(['run', '--help']).stdout;
  assert.match(help, /25000 gradient, 40000 without\s+a penalty/);
});

for (const [flag, value, pattern] of [
  ['--method', 'svt', /--method.*gradient, nuclear-min, soft-impute/],
  ['--rel-tol', '1e-3', /--rel-tol.*applies only to --method nuclear-min or soft-impute/],
  ['--lambda-min-ratio', '2', /--lambda-min-ratio.*\(0, 1\]/],
  [
    '--optimizer',
    'lbfgs',
    /--optimizer.*sgd, momentum, adam, rmsprop, adagrad, group-rmsprop, sign, normalized-gd, adafactor, muon, adamw, adam-frozen/,
  ],
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

test('a gradient-only flag with another method: one line naming the flag and the methods it applies to, exit 2', () => {
  const r = runCli(['run', '--method', 'nuclear-min', '--optimizer', 'adam']);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr.trim(), /^mcomplete: option '--optimizer' applies only to --method gradient, not nuclear-min$/);
  assert.equal(runCli(['run', '--method', 'soft-impute', '--tol', '0.1']).code, 2);
});

test('run --model factored --k 3 --json: the shared fields, the model and k in the settings', () => {
  const r = runCli(['run', '--model', 'factored', '--k', '3', ...fast, '--max-iters', '20', '--json', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  for (const key of SHARED_FIELDS) assert.ok(key in out, `missing ${key}`);
  assert.equal(out.iterations, 20);
  assert.equal(out.settings.model, 'factored');
  assert.equal(out.settings.k, 3);
  assert.ok(!('depth' in out.settings));
  assert.ok(out.effectiveRank <= 3);
  // The default model is still the deep one, without the new fields.
  const deep = JSON.parse(runCli(['run', ...fast, '--max-iters', '5', '--json', '--quiet']).stdout);
  assert.equal(deep.settings.depth, 1);
  assert.ok(!('model' in deep.settings) && !('k' in deep.settings));
});

test('run above 500 × 500 entries trains the factored model by default; --depth or --model deep keeps the dense one', () => {
  const big = ['run', '--n', '501', '--rank', '2', '--samples', '4000', '--max-iters', '1', '--json', '--quiet'];
  const factored = JSON.parse(runCli(big).stdout);
  assert.equal(factored.settings.model, 'factored');
  assert.equal(factored.settings.k, 20);
  for (const flag of [
    ['--depth', '1'],
    ['--model', 'deep'],
  ]) {
    const deep = JSON.parse(runCli([...big, ...flag]).stdout);
    assert.equal(deep.settings.depth, 1);
    assert.ok(!('model' in deep.settings), flag.join(' '));
  }
  const small = JSON.parse(
    runCli(['run', '--n', '500', '--rank', '2', '--samples', '4000', '--max-iters', '1', '--json', '--quiet']).stdout,
  );
  assert.ok(!('model' in small.settings));
});

for (const [args, pattern] of [
  [['--k', '5'], /^mcomplete: option '--k' applies only to --model factored, not deep$/],
  [['--model', 'factored', '--depth', '2'], /^mcomplete: option '--depth' applies only to --model deep, not factored$/],
  [['--model', 'factored', '--k', '21'], /^mcomplete: option '--k' must be at most --n \(20\), got 21$/],
  [
    ['--model', 'factored', '--penalty', 'frobenius'],
    /^mcomplete: option '--penalty' must be one of none, nuclear, ratio, nuclear-spectral, effective-rank with --model factored, got frobenius$/,
  ],
  [['--model', 'tall'], /--model.*deep, factored/],
  [['--model', 'factored', '--k', '0'], /--k.*integer/],
  [['--method', 'soft-impute', '--model', 'factored'], /--model' applies only to --method gradient, not soft-impute/],
] as const) {
  test(`bad model flags ${args.join(' ')}: one line, exit 2, no output`, () => {
    const r = runCli(['run', ...fast, ...args]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr.trim(), pattern);
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

const bin = fileURLToPath(new URL('../../bin/mcomplete.js', import.meta.url));
const built = existsSync(fileURLToPath(new URL('../../dist/cli/entry.js', import.meta.url)));
test(
  'the installed bin (npx mcomplete) answers --help',
  { skip: built ? false : 'dist/ not built (npm ci builds it)' },
  () => {
    const r = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /run \[options\]/);
  },
);
