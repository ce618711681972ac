import { InvalidArgumentError } from 'commander';

/** A number written in decimal ("3", "-0.5", "1e-3", ".5"), spaces around it allowed. */
const DECIMAL = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

/**
 * A flag's value as a number when it is written in decimal, else NaN: hexadecimal ("0x2"), binary, octal,
 * "Infinity" and words are refused, as the data files refuse them (Number() alone would read "0x2" as 2).
 */
export function decimal(value: string): number {
  return DECIMAL.test(value) ? Number(value) : NaN;
}

/** " (it is out of range: …)" for a decimal such as 1e400 that overflows a float64, else "". */
function overflowNote(value: string): string {
  return DECIMAL.test(value) && !Number.isFinite(Number(value))
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
    const x = decimal(value);
    if (value.trim() === '' || !Number.isInteger(x) || x < min || x > max) {
      throw invalid(value, `an integer ${max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`}`);
    }
    return x;
  };
}

/** A commander parser for a finite number that is > 0 (or >= 0 when `allowZero`). */
export function positiveNumber(allowZero = false) {
  return (value: string): number => {
    const x = decimal(value);
    if (value.trim() === '' || !Number.isFinite(x) || x < 0 || (!allowZero && x === 0)) {
      throw invalid(value, `a finite number ${allowZero ? '>= 0' : '> 0'}`);
    }
    return x;
  };
}

/** A commander parser for a number in (0, 1]. */
export function unitFraction() {
  return (value: string): number => {
    const x = decimal(value);
    if (value.trim() === '' || !Number.isFinite(x) || x <= 0 || x > 1) throw invalid(value, 'a number in (0, 1]');
    return x;
  };
}

/**
 * A commander parser for a comma-separated list of values, each read by `one` (which throws for a bad one); a value
 * given twice is refused (a sweep would run it twice).
 */
export function distinctList<T>(one: (value: string) => T) {
  return (value: string): T[] => {
    const items = value.split(',').map((s) => one(s.trim()));
    const seen = new Set<T>();
    for (const x of items) {
      if (seen.has(x)) throw new InvalidArgumentError(`${JSON.stringify(String(x))} is given twice.`);
      seen.add(x);
    }
    return items;
  };
}

/**
 * A commander parser for a file or folder name: an empty (or blank) one is refused, rather than dropped as if the
 * flag had not been given or read as the current folder.
 */
export function pathArg(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('expected a file or folder name, got an empty one.');
  return value;
}
