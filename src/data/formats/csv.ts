// package.json "imports" maps #csv-parse-sync to csv-parse's Node build under Node and to its browser build (its own
// Buffer polyfill) under bundlers' "browser" condition: the Node build calls the global Buffer when it loads, and
// the browser build is about 1.4× slower (100k lines of ratings), so each runtime gets its own.
import { parse, CsvError } from '#csv-parse-sync';
import { InputError } from '../input-error.ts';

/**
 * Longest line (or CSV record, quoted line breaks included) the readers accept, in characters: a longer one is an
 * InputError naming its line, so an unclosed quote or a file without line breaks fails fast with a clear message.
 */
export const MAX_LINE_CHARS = 1_000_000;

/** One CSV record: its trimmed fields and the 1-based line it ends on. */
export interface CsvRecord {
  readonly fields: string[];
  readonly line: number;
}

/**
 * The records of CSV text (RFC 4180 quoting, by csv-parse), fields trimmed, blank lines skipped, a leading BOM
 * dropped; records may differ in length (callers check). Malformed CSV becomes an InputError naming `file` and line.
 * Cost O(length of text).
 */
export function readCsvRecords(text: string, file: string): CsvRecord[] {
  let parsed: CsvRecord[];
  try {
    // on_record keeps only the fields and the line: `info: true` would keep csv-parse's whole info object (a dozen
    // fields) per record, ~250 bytes a line, 0.25 GB for a 10^6-line ratings file.
    const onRecord = (record: string[], context: { lines: number }): CsvRecord => ({
      fields: record,
      line: context.lines,
    });
    // csv-parse's types want on_record to return a record of the input's type; it returns what we give it.
    parsed = parse(text, {
      on_record: onRecord as unknown as (record: string[]) => string[],
      skip_empty_lines: true,
      relax_column_count: true,
      trim: true,
      bom: true,
      max_record_size: MAX_LINE_CHARS,
    }) as unknown as CsvRecord[];
  } catch (err) {
    if (err instanceof CsvError) {
      const line = (err as CsvError & { lines?: number }).lines;
      if (err.code === 'CSV_MAX_RECORD_SIZE') {
        throw new InputError(
          { file, line },
          `a line longer than ${MAX_LINE_CHARS.toLocaleString('en')} characters (an unclosed quote?)`,
        );
      }
      throw new InputError({ file, line }, `not valid CSV (${err.message.replace(/\s*at line \d+/, '')})`);
    }
    throw err;
  }
  return parsed;
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A field read as a decimal number ("3", "-0.5", "1e-3"), or null when it is not one (hex, "", words). Cost O(length). */
export function parseDecimal(field: string): number | null {
  if (!DECIMAL.test(field)) return null;
  const x = Number(field);
  return Number.isFinite(x) ? x : null;
}

/** Whether a field is written as a decimal number too large for a float64 ("1e400", "-1e999"). */
export function isOutOfRange(field: string): boolean {
  return DECIMAL.test(field) && !Number.isFinite(Number(field));
}

/** The message for a decimal too large for a float64: what was read and the range. */
export function outOfRange(field: string): string {
  return `value ${quoteField(field)} is out of range (a float64 holds magnitudes up to about 1.8e308)`;
}

/** Whether a field spells NaN (any case, optional sign). */
export function isNaNToken(field: string): boolean {
  return /^[+-]?nan$/i.test(field);
}

/** Whether a field spells an infinity ("Inf", "-infinity", any case). */
export function isInfToken(field: string): boolean {
  return /^[+-]?inf(?:inity)?$/i.test(field);
}

/** Short quoted rendering of a field for an error message (long fields cut). */
export function quoteField(field: string): string {
  return JSON.stringify(field.length > 40 ? `${field.slice(0, 37)}...` : field);
}

/**
 * Throws an InputError naming `file`, the header's `line` and the column when a non-empty header name repeats an
 * earlier one: two columns of one name would make a pick by name ambiguous (empty names, as left by trailing
 * commas, may repeat: they cannot be picked).
 */
export function checkHeaderNames(names: readonly string[], line: number, file: string): void {
  const seen = new Map<string, number>();
  names.forEach((name, c) => {
    if (name === '') return;
    const first = seen.get(name);
    if (first !== undefined) {
      throw new InputError(
        { file, line, column: c + 1 },
        `column name ${quoteField(name)} repeats column ${first + 1}; header names must differ`,
      );
    }
    seen.set(name, c);
  });
}
