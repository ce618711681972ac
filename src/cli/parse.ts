import { InvalidArgumentError } from 'commander';

/** A commander parser for an integer within [min, max]. */
export function intInRange(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const x = Number(value);
    if (value.trim() === '' || !Number.isInteger(x) || x < min || x > max) {
      throw new InvalidArgumentError(`expected an integer ${max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`}.`);
    }
    return x;
  };
}

/** A commander parser for a finite number that is > 0 (or >= 0 when `allowZero`). */
export function positiveNumber(allowZero = false) {
  return (value: string): number => {
    const x = Number(value);
    if (value.trim() === '' || !Number.isFinite(x) || x < 0 || (!allowZero && x === 0)) {
      throw new InvalidArgumentError(`expected a finite number ${allowZero ? '>= 0' : '> 0'}.`);
    }
    return x;
  };
}

/** A commander parser for a number in (0, 1]. */
export function unitFraction() {
  return (value: string): number => {
    const x = Number(value);
    if (value.trim() === '' || !Number.isFinite(x) || x <= 0 || x > 1) throw new InvalidArgumentError('expected a number in (0, 1].');
    return x;
  };
}
