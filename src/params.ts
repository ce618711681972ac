// Parameters declared once, next to the code that uses them (scikit-learn's `_parameter_constraints`): each has a
// type, a range or choices, a default and a one-line doc. From one table of declarations come the TypeScript type of
// the settings (ParamValues), their validation with one message style (resolveParams: unknown keys refused with a
// "did you mean", every value checked before any work), the CLI's flags and the docs' flag tables. Imports nothing,
// so any floor may declare its parameters here. Hand-written rather than a schema library: ~200 lines, no
// dependency in the browser bundle, and the messages and the did-you-mean are ours.

/** A default: a value, or a rule computing it from the settings resolved so far (declaration order). */
export type ParamDefault<T> = T | ((resolved: Readonly<Record<string, unknown>>) => T);

interface ParamBase<T> {
  /** One line for help texts and the docs' tables. */
  readonly doc: string;
  /** Filled in when the value is left out; absent: the parameter stays absent (an optional switch or stop rule). */
  readonly default?: ParamDefault<T | null>;
  /** `null` is a valid value (it means what `doc` says, e.g. "the oracle choice"). */
  readonly nullable?: boolean;
  /** The CLI flag's name when it differs from the kebab-case of the key (`boxTol` is `--tol` of nuclear-min). */
  readonly flag?: string;
  /** The default in words, where it is a rule ("the true rank") or depends on the data; help texts and the docs' tables show it. */
  readonly defaultDoc?: string;
  /** A refused value's message when callers match an older wording; absent: `key must be <allowed>, got <value>`. */
  readonly refusal?: (value: unknown) => string;
}

/** An integer in [min, max] (max may be a rule on the other settings, e.g. ≤ n). */
export interface IntParam extends ParamBase<number> {
  readonly type: 'int';
  readonly min: number;
  readonly max?: number | ((resolved: Readonly<Record<string, unknown>>) => number);
  /** The upper bound in words where it is a rule ("n", "n²"), for texts written before the others are known. */
  readonly maxDoc?: string;
}

/** A finite number with optional bounds, each inclusive unless said otherwise. */
export interface NumberParam extends ParamBase<number> {
  readonly type: 'number';
  readonly min?: number;
  readonly max?: number;
  /** The lower bound itself is not allowed (> min rather than ≥ min). */
  readonly minExclusive?: boolean;
  /** The upper bound itself is not allowed. */
  readonly maxExclusive?: boolean;
}

/** One of a list of strings. */
export interface ChoiceParam<C extends string = string> extends ParamBase<C> {
  readonly type: 'choice';
  readonly choices: readonly C[];
}

/** true or false. */
export interface BooleanParam extends ParamBase<boolean> {
  readonly type: 'boolean';
}

/** A non-empty list of integers, each in [min, max]. */
export interface IntListParam extends ParamBase<readonly number[]> {
  readonly type: 'int-list';
  readonly min: number;
  readonly max?: number;
}

/** A non-empty list of finite numbers, each within the bounds (as NumberParam's). */
export interface NumberListParam extends ParamBase<readonly number[]> {
  readonly type: 'number-list';
  readonly min?: number;
  readonly max?: number;
  readonly minExclusive?: boolean;
  readonly maxExclusive?: boolean;
}

/** A non-empty list of strings, each one of the choices. */
export interface ChoiceListParam<C extends string = string> extends ParamBase<readonly C[]> {
  readonly type: 'choice-list';
  readonly choices: readonly C[];
}

/** Any parameter declaration. */
export type Param =
  IntParam | NumberParam | ChoiceParam | BooleanParam | IntListParam | NumberListParam | ChoiceListParam;

/** A table of declarations, key → declaration, in the order settings are resolved and printed. */
export type ParamTable = Readonly<Record<string, Param>>;

/** The TypeScript value of one declaration. */
export type ParamValue<P> =
  | (P extends ChoiceParam<infer C>
      ? C
      : P extends ChoiceListParam<infer C>
        ? readonly C[]
        : P extends BooleanParam
          ? boolean
          : P extends IntListParam | NumberListParam
            ? readonly number[]
            : number)
  | (P extends { nullable: true } ? null : never);

/** The keys of a table whose declarations have a default (always present once resolved). */
type DefaultedKeys<T extends ParamTable> = { [K in keyof T]: T[K] extends { default: unknown } ? K : never }[keyof T];

/** The resolved settings of a table: defaulted parameters present, the others optional. */
export type ParamValues<T extends ParamTable> = { -readonly [K in DefaultedKeys<T>]: ParamValue<T[K]> } & {
  -readonly [K in Exclude<keyof T, DefaultedKeys<T>>]?: ParamValue<T[K]>;
};

/** What a caller may give for a table: every parameter optional (undefined means "the default"). */
export type ParamInput<T extends ParamTable> = { [K in keyof T]?: ParamValue<T[K]> | undefined };

/** A parameter with a bad value or an unknown key: one line that names it, the value and what is allowed. */
export class ParamError extends RangeError {
  /** The key (or flag) at fault. */
  readonly param: string;
  constructor(param: string, message: string) {
    super(message);
    this.name = 'ParamError';
    this.param = param;
  }
}

/** A value for a message: strings quoted, lists element by element, the rest as JSON (NaN and Infinity by name). */
export function showValue(value: unknown): string {
  if (typeof value === 'number')
    return Number.isNaN(value) || !Number.isFinite(value) ? String(value) : JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(showValue).join(', ')}]`;
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** What a declaration allows, as a phrase: "an integer in 1..100", "a number > 0", "one of adam, sgd". */
export function describeParam(p: Param, resolved: Readonly<Record<string, unknown>> = {}): string {
  const orNull = p.nullable ? ' (or null)' : '';
  switch (p.type) {
    case 'int': {
      let max: number | string | undefined = typeof p.max === 'function' ? p.max(resolved) : p.max;
      if (typeof max === 'number' && !Number.isFinite(max)) max = undefined;
      max ??= p.maxDoc;
      return `${max === undefined ? `an integer >= ${p.min}` : `an integer in ${p.min}..${max}`}${orNull}`;
    }
    case 'number': {
      if (p.min === 0 && p.max === 1 && p.minExclusive && p.maxExclusive) return `a share in (0, 1)${orNull}`;
      const b = boundsText(p);
      return `${b.startsWith('in ') ? 'a number' : 'a finite number'}${b ? ` ${b}` : ''}${orNull}`;
    }
    case 'choice':
      return `one of ${p.choices.join(', ')}${orNull}`;
    case 'boolean':
      return `true or false${orNull}`;
    case 'int-list':
      return `a non-empty list of integers ${p.max === undefined ? `>= ${p.min}` : `in ${p.min}..${p.max}`}${orNull}`;
    case 'number-list': {
      const b = boundsText(p);
      return `a non-empty list of ${b ? `numbers ${b}` : 'finite numbers'}${orNull}`;
    }
    case 'choice-list':
      return `a non-empty list of ${p.choices.join(', ')}${orNull}`;
  }
}

/** A number's bounds as a phrase: "in [0, 1)", ">= 0", "< 5", or "" when unbounded. */
function boundsText(p: NumberParam | NumberListParam): string {
  const lo = p.min === undefined ? '' : `${p.minExclusive ? '>' : '>='} ${p.min}`;
  const hi = p.max === undefined ? '' : `${p.maxExclusive ? '<' : '<='} ${p.max}`;
  if (lo && hi) return `in ${p.minExclusive ? '(' : '['}${p.min}, ${p.max}${p.maxExclusive ? ')' : ']'}`;
  return lo || hi;
}

/** Whether `x` is a finite number within a number declaration's bounds. */
function numberWithin(p: NumberParam | NumberListParam, x: unknown): boolean {
  if (typeof x !== 'number' || !Number.isFinite(x)) return false;
  if (p.min !== undefined && (p.minExclusive ? x <= p.min : x < p.min)) return false;
  return p.max === undefined || (p.maxExclusive ? x < p.max : x <= p.max);
}

/** Whether `value` is a non-empty array whose every element passes `ok`. */
function nonEmptyListOf(value: unknown, ok: (x: unknown) => boolean): boolean {
  return Array.isArray(value) && value.length > 0 && value.every(ok);
}

/** Whether `value` is allowed by `p` (bounds that are rules read the settings resolved so far). */
export function paramAccepts(p: Param, value: unknown, resolved: Readonly<Record<string, unknown>> = {}): boolean {
  if (value === null) return p.nullable === true;
  switch (p.type) {
    case 'int': {
      const max = typeof p.max === 'function' ? p.max(resolved) : p.max;
      return Number.isInteger(value) && (value as number) >= p.min && (max === undefined || (value as number) <= max);
    }
    case 'number':
      return numberWithin(p, value);
    case 'choice':
      return typeof value === 'string' && (p.choices as readonly string[]).includes(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'int-list':
      return nonEmptyListOf(
        value,
        (x) => Number.isInteger(x) && (x as number) >= p.min && (p.max === undefined || (x as number) <= p.max),
      );
    case 'number-list':
      return nonEmptyListOf(value, (x) => numberWithin(p, x));
    case 'choice-list':
      return nonEmptyListOf(value, (x) => typeof x === 'string' && (p.choices as readonly string[]).includes(x));
  }
}

/** Edit distance of two short strings (insertions, deletions, substitutions, transpositions). O(|a|·|b|). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The known key closest to `key` (case-insensitive edit distance ≤ max(2, |key|/3)), or undefined. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const k of known) {
    const dist = editDistance(key.toLowerCase(), k.toLowerCase());
    if (dist < bestDistance) [best, bestDistance] = [k, dist];
  }
  return best;
}

/** The message for an unknown key: its name, the did-you-mean when one is close, else the keys allowed. */
export function unknownKeyMessage(key: string, known: readonly string[], where: string): string {
  const near = closestKey(key, known);
  return `${where}unknown option ${showValue(key)}${near ? ` (did you mean ${near}?)` : `; allowed: ${known.join(', ')}`}`;
}

/**
 * The settings `input` describes under `table`: every key of `input` must be declared (or listed in `extraKeys`,
 * which are copied as they are); each given value is checked; each left out (or undefined) gets its default,
 * computed in declaration order. The given keys keep their order, the defaulted ones follow in declaration order.
 * Throws a ParamError naming the first bad key: `${where}lr must be a finite number > 0, got -1`.
 */
export function resolveParams<T extends ParamTable>(
  table: T,
  input: Readonly<Record<string, unknown>>,
  options: { where?: string; extraKeys?: readonly string[] } = {},
): ParamValues<T> {
  const where = options.where ? `${options.where}: ` : '';
  const extra = options.extraKeys ?? [];
  const known = Object.keys(table);
  for (const key of Object.keys(input)) {
    if (!Object.hasOwn(table, key) && !extra.includes(key))
      throw new ParamError(key, unknownKeyMessage(key, [...known, ...extra], where));
  }
  const out: Record<string, unknown> = { ...input };
  for (const key of known) {
    const p = table[key];
    let value = input[key];
    if (value === undefined) {
      if (p.default === undefined) {
        delete out[key];
        continue;
      }
      value = typeof p.default === 'function' ? (p.default as (r: Record<string, unknown>) => unknown)(out) : p.default;
      // A rule may leave a parameter out (e.g. the depth of a factored model).
      if (value === undefined) {
        delete out[key];
        continue;
      }
    } else if (!paramAccepts(p, value, out)) {
      throw new ParamError(
        key,
        `${where}${p.refusal ? p.refusal(value) : `${key} must be ${describeParam(p, out)}, got ${showValue(value)}`}`,
      );
    }
    out[key] = value;
  }
  return out as ParamValues<T>;
}

/** `--some-flag` for the key someFlag (or the declaration's own flag name). */
export function flagOf(key: string, p?: Param): string {
  return `--${p?.flag ?? key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** A declaration's default as text for a table or a help line: its words, its value, or "off" when it has none. */
export function defaultText(p: Param): string {
  if (p.defaultDoc !== undefined) return p.defaultDoc;
  if (p.default === undefined) return 'off';
  if (typeof p.default === 'function') return 'computed from the other settings';
  if (typeof p.default === 'number' && p.default !== 0 && Math.abs(p.default) < 1e-3)
    return p.default.toExponential().replace('e-', 'e-');
  return typeof p.default === 'string' ? p.default : showValue(p.default);
}

/** A Markdown table of a parameter table: flag, allowed values, default, description. */
export function paramMarkdownTable(table: ParamTable): string {
  const rows = Object.entries(table).map(
    ([key, p]) =>
      `| \`${flagOf(key, p)}\` | ${describeParam(p).replace(/\|/g, '\\|')} | ${defaultText(p).replace(/\|/g, '\\|')} | ${p.doc.replace(/\|/g, '\\|')} |`,
  );
  return ['| flag | allowed | default | what it sets |', '|---|---|---|---|', ...rows].join('\n');
}
