// src/params.ts: declarations, resolveParams (defaults, refusals, unknown keys), and the list types.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  closestKey,
  defaultText,
  describeParam,
  paramAccepts,
  paramMarkdownTable,
  ParamError,
  resolveParams,
  showValue,
  type Param,
  type ParamTable,
} from '../../src/params.ts';

const TABLE = {
  maxSteps: { type: 'int', min: 1, default: 100, doc: 'step cap' },
  lr: { type: 'number', min: 0, minExclusive: true, default: 0.01, doc: 'learning rate' },
  warmup: {
    type: 'int',
    min: 0,
    max: (r) => r.maxSteps as number,
    default: (r) => Math.floor((r.maxSteps as number) / 10),
    doc: 'warm-up steps',
  },
  optimizer: { type: 'choice', choices: ['adam', 'sgd'], default: 'adam', doc: 'optimizer' },
  verbose: { type: 'boolean', doc: 'print every step' },
  ranks: { type: 'int-list', min: 1, doc: 'candidate ranks' },
  lambdas: { type: 'number-list', min: 0, default: [0, 1], doc: 'candidate λ' },
  weightings: { type: 'choice-list', choices: ['none', 'frequency'], default: ['none'], doc: 'candidate weightings' },
} as const satisfies ParamTable;

/** The ParamError resolveParams throws for `input`. */
function refusal(input: Record<string, unknown>): ParamError {
  try {
    resolveParams(TABLE, input, { where: 'fit' });
  } catch (err) {
    assert.ok(err instanceof ParamError && err instanceof RangeError, `a ParamError, got ${String(err)}`);
    return err;
  }
  assert.fail(`${JSON.stringify(input)} was accepted`);
}

test('resolveParams: defaults filled in declaration order (rules read the settings before them), given values kept', () => {
  const s = resolveParams(TABLE, {});
  assert.deepEqual(s, {
    maxSteps: 100,
    lr: 0.01,
    warmup: 10,
    optimizer: 'adam',
    lambdas: [0, 1],
    weightings: ['none'],
  });
  const given = resolveParams(TABLE, { maxSteps: 50, lr: undefined, verbose: true, ranks: [2, 4] });
  assert.deepEqual(given, {
    maxSteps: 50,
    verbose: true,
    ranks: [2, 4],
    lr: 0.01,
    warmup: 5,
    optimizer: 'adam',
    lambdas: [0, 1],
    weightings: ['none'],
  });
  assert.ok(!('verbose' in s) && !('ranks' in s), 'a parameter with no default stays absent');
});

test('resolveParams: an unknown key is refused with a did-you-mean, or the keys allowed', () => {
  const near = refusal({ maxStep: 10 });
  assert.equal(near.param, 'maxStep');
  assert.equal(near.message, 'fit: unknown option "maxStep" (did you mean maxSteps?)');
  assert.match(refusal({ LR: 1 }).message, /did you mean lr\?/);
  assert.match(
    refusal({ zzzzzz: 1 }).message,
    /^fit: unknown option "zzzzzz"; allowed: maxSteps, lr, warmup, optimizer, verbose, ranks, lambdas, weightings$/,
  );
  assert.equal(closestKey('wieghtings', Object.keys(TABLE)), 'weightings');
  const extra: Record<string, unknown> = resolveParams(TABLE, { onProgress: 1 }, { extraKeys: ['onProgress'] });
  assert.equal(extra.onProgress, 1, 'extra keys pass as they are');
});

test('each scalar type accepts its values and refuses the others with one message naming the option, the value and what is allowed', () => {
  assert.equal(refusal({ maxSteps: 0 }).message, 'fit: maxSteps must be an integer >= 1, got 0');
  assert.equal(refusal({ maxSteps: 2.5 }).param, 'maxSteps');
  assert.equal(refusal({ lr: -1 }).message, 'fit: lr must be a finite number > 0, got -1');
  assert.equal(refusal({ lr: NaN }).message, 'fit: lr must be a finite number > 0, got NaN');
  assert.equal(refusal({ lr: '0.1' }).message, 'fit: lr must be a finite number > 0, got "0.1"');
  assert.equal(refusal({ maxSteps: 20, warmup: 21 }).message, 'fit: warmup must be an integer in 0..20, got 21');
  assert.equal(refusal({ optimizer: 'adamw' }).message, 'fit: optimizer must be one of adam, sgd, got "adamw"');
  assert.equal(refusal({ verbose: 1 }).message, 'fit: verbose must be true or false, got 1');
  assert.equal(resolveParams(TABLE, { maxSteps: 1, warmup: 1, optimizer: 'sgd', verbose: false }).warmup, 1);
  const share: Param = { type: 'number', min: 0, max: 1, minExclusive: true, maxExclusive: true, doc: '' };
  assert.equal(describeParam(share), 'a share in (0, 1)');
  assert.equal(
    describeParam({ type: 'number', min: 0, max: 0.5, minExclusive: true, doc: '' }),
    'a number in (0, 0.5]',
  );
  assert.equal(describeParam({ type: 'number', doc: '', nullable: true }), 'a finite number (or null)');
  assert.ok(paramAccepts({ type: 'number', doc: '', nullable: true }, null));
  assert.ok(!paramAccepts(TABLE.lr, null));
});

test('the list types: non-empty, every element checked, described as lists', () => {
  assert.equal(refusal({ ranks: [] }).message, 'fit: ranks must be a non-empty list of integers >= 1, got []');
  assert.equal(refusal({ ranks: [2, 0] }).message, 'fit: ranks must be a non-empty list of integers >= 1, got [2, 0]');
  assert.equal(refusal({ ranks: 3 }).param, 'ranks', 'a number is not a list');
  assert.equal(
    refusal({ lambdas: [1, NaN] }).message,
    'fit: lambdas must be a non-empty list of numbers >= 0, got [1, NaN]',
  );
  assert.equal(refusal({ lambdas: [-1] }).message, 'fit: lambdas must be a non-empty list of numbers >= 0, got [-1]');
  assert.equal(
    refusal({ weightings: ['rows'] }).message,
    'fit: weightings must be a non-empty list of none, frequency, got ["rows"]',
  );
  assert.equal(refusal({ weightings: 'none' }).param, 'weightings', 'a string is not a list');
  const ok = resolveParams(TABLE, { ranks: [1, 1, 30], lambdas: [0], weightings: ['frequency', 'none'] });
  assert.deepEqual([ok.ranks, ok.lambdas, ok.weightings], [[1, 1, 30], [0], ['frequency', 'none']]);
  assert.equal(describeParam({ type: 'int-list', min: 1, max: 9, doc: '' }), 'a non-empty list of integers in 1..9');
  assert.equal(
    describeParam({ type: 'number-list', min: 0, max: 1, doc: '' }),
    'a non-empty list of numbers in [0, 1]',
  );
  assert.equal(describeParam({ type: 'number-list', doc: '' }), 'a non-empty list of finite numbers');
  assert.ok(!paramAccepts({ type: 'int-list', min: 1, max: 9, doc: '' }, [10]));
  assert.ok(!paramAccepts({ type: 'number-list', max: 1, maxExclusive: true, doc: '' }, [1]));
  assert.equal(showValue([1, 'a', Infinity]), '[1, "a", Infinity]');
});

test('a declaration may keep an older refusal, and say its default in words', () => {
  const table = {
    fraction: {
      type: 'number',
      min: 0,
      max: 0.5,
      minExclusive: true,
      default: 0.1,
      doc: 'held out',
      refusal: (v) => `fraction must be in (0, 0.5], got ${String(v)}`,
    },
    ranks: { type: 'int-list', min: 1, doc: 'candidate ranks', defaultDoc: 'by method' },
  } as const satisfies ParamTable;
  assert.throws(
    () => resolveParams(table, { fraction: 0.7 }, { where: 'split' }),
    (err: unknown) =>
      err instanceof ParamError &&
      err.param === 'fraction' &&
      err.message === 'split: fraction must be in (0, 0.5], got 0.7',
  );
  assert.equal(defaultText(table.ranks), 'by method');
  assert.equal(defaultText(table.fraction), '0.1');
  assert.equal(defaultText(TABLE.verbose), 'off');
  assert.equal(defaultText(TABLE.warmup), 'computed from the other settings');
  assert.match(
    paramMarkdownTable(table),
    /\| `--ranks` \| a non-empty list of integers >= 1 \| by method \| candidate ranks \|/,
  );
});
