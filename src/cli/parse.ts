import { InvalidArgumentError } from 'commander';

/** " (it is out of range: …)" for a decimal such as 1e400 that overflows a float64, else "". */
function overflowNote(value: string): string {
  return /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/.test(value) && !Number.isFinite(Number(value))
    ? ' (it is out of range: a float64 holds magnitudes up to 1.8e308)'
    : '';
}

/** An InvalidArgumentError saying what was expected, and why the value was out of range when it overflowed. */
export function invalid(value: string, expected: string): InvalidArgumentError {
  return new InvalidArgumentError(`expected ${expected}${overflowNote(value)}.`);
}

/** A commander parser for an integer within [min, max]. */
export function intInRange(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const x = Number(value);
    if (value.trim() === '' || !Number.isInteger(x) || x < min || x > max) {
      throw invalid(value, `an integer ${max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`}`);
    }
    return x;
  };
}

/** A commander parser for a finite number that is > 0 (or >= 0 when `allowZero`). */
export function positiveNumber(allowZero = false) {
  return (value: string): number => {
    const x = Number(value);
    if (value.trim() === '' || !Number.isFinite(x) || x < 0 || (!allowZero && x === 0)) {
      throw invalid(value, `a finite number ${allowZero ? '>= 0' : '> 0'}`);
    }
    return x;
  };
}

/** A commander parser for a number in (0, 1]. */
export function unitFraction() {
  return (value: string): number => {
    const x = Number(value);
    if (value.trim() === '' || !Number.isFinite(x) || x <= 0 || x > 1) throw invalid(value, 'a number in (0, 1]');
    return x;
  };
}
