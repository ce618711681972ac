// package.json "imports" maps #csv-parse-sync to csv-parse's Node build under Node and to its browser build (its own
// Buffer polyfill) under bundlers' "browser" condition: the Node build calls the global Buffer when it loads, and
// the browser build is about 1.4× slower (100k lines of ratings), so each runtime gets its own.
import { parse, CsvError } from '#csv-parse-sync';
import { InputError } from '../input-error.ts';

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
  let parsed: { record: string[]; info: { lines: number } }[];
  try {
    parsed = parse(text, { info: true, skip_empty_lines: true, relax_column_count: true, trim: true, bom: true }) as unknown as {
      record: string[];
      info: { lines: number };
    }[];
  } catch (err) {
    if (err instanceof CsvError) {
      const line = (err as CsvError & { lines?: number }).lines;
      throw new InputError({ file, line }, `not valid CSV (${err.message.replace(/\s*at line \d+/, '')})`);
    }
    throw err;
  }
  return parsed.map((p) => ({ fields: p.record, line: p.info.lines }));
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A field read as a decimal number ("3", "-0.5", "1e-3"), or null when it is not one (hex, "", words). Cost O(length). */
export function parseDecimal(field: string): number | null {
  if (!DECIMAL.test(field)) return null;
  const x = Number(field);
  return Number.isFinite(x) ? x : null;
}

/**
 * Why a field that parseDecimal refused is no value: "is out of range (…)" for a decimal beyond float64 such as
 * 1e400, else "is not a number".
 */
export function notANumber(field: string): string {
  return DECIMAL.test(field) ? 'is out of range (a float64 holds magnitudes up to 1.8e308)' : 'is not a number';
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
