import assert from 'node:assert/strict';
import { InputError } from '../../src/data/input-error.ts';

/** Asserts that `fn` throws a one-line InputError whose message matches every pattern. */
export function throwsInput(fn: () => unknown, ...patterns: RegExp[]): void {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof InputError, `expected an InputError, got ${String(err)}`);
    for (const p of patterns) assert.match(err.message, p);
    assert.doesNotMatch(err.message, /\n/);
    return;
  }
  assert.fail('expected an error');
}
