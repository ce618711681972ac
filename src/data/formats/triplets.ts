import { InputError } from '../input-error.ts';
import { labelObservations, type DuplicatePolicy, type LabeledObservations } from '../labels.ts';
import {
  checkHeaderNames,
  isInfToken,
  isNaNToken,
  isOutOfRange,
  outOfRange,
  parseDecimal,
  quoteField,
  readCsvRecords,
} from './csv.ts';

/** A triplet file read: the observations plus the header names of its id and value columns. */
export interface TripletFile extends LabeledObservations {
  /** Header names of the row id, column id and value columns used. */
  readonly names: readonly [string, string, string];
}

/**
 * Parse a CSV of observed entries with a header: by default its first three columns are row id, column id and
 * value; `columns` picks three columns by header name instead (other columns are ignored). Header names must
 * differ. Without `columns`, a first line whose value field is a number is refused as data rather than a header,
 * and a data line with more fields than the header is refused (a decimal comma: `1,1,4,5`); with `columns`, fields
 * are taken at the named columns' positions and any beyond the header are ignored. Ids are labels (any non-empty
 * text); values must be finite decimals. Every problem is an InputError naming `file`, line and column.
 * Cost O(size of text).
 */
export function parseTriplets(
  text: string,
  opts: { file: string; columns?: readonly [string, string, string]; duplicates?: DuplicatePolicy },
): TripletFile {
  const { file } = opts;
  const records = readCsvRecords(text, file);
  if (records.length === 0)
    throw new InputError(
      { file },
      'file is empty (expected a header such as row,col,value and one line per observed entry)',
    );
  const header = records[0];
  const positions = pickColumns(header.fields, header.line, file, opts.columns, 3) as [number, number, number];
  const names = positions.map((p) => header.fields[p]) as [string, string, string];
  if (!opts.columns && parseDecimal(names[2]) !== null) {
    throw new InputError(
      { file, line: header.line },
      `this looks like data, not a header (its value column is the number ${quoteField(names[2])}): add a first line naming the columns, such as row,col,value`,
    );
  }
  checkHeaderNames(header.fields, header.line, file);
  const width = opts.columns ? Infinity : header.fields.length;
  if (records.length === 1) throw new InputError({ file, line: header.line }, 'has a header but no data lines');
  const count = records.length - 1;
  const rowLabels: string[] = new Array(count);
  const colLabels: string[] = new Array(count);
  const values = new Float64Array(count);
  const lines = new Int32Array(count);
  for (let k = 0; k < count; k++) {
    const { fields, line } = records[k + 1];
    lines[k] = line;
    if (fields.length > width)
      throw new InputError({ file, line }, tooManyFields(fields.length, header.fields.length, header.line));
    for (let c = 0; c < 3; c++) {
      const p = positions[c];
      const where = { file, line, column: p + 1, columnName: names[c] };
      if (p >= fields.length) throw new InputError(where, `line has ${fields.length} fields; this column is missing`);
      const field = fields[p];
      if (c < 2) {
        if (field === '') throw new InputError(where, 'empty id');
        if (c === 0) rowLabels[k] = field;
        else colLabels[k] = field;
        continue;
      }
      const x = parseDecimal(field);
      if (x === null) {
        if (isOutOfRange(field)) throw new InputError(where, outOfRange(field));
        if (isNaNToken(field) || isInfToken(field) || field === '') {
          throw new InputError(
            where,
            `value ${quoteField(field)} is not a finite number (list only observed entries; leave missing ones out)`,
          );
        }
        throw new InputError(where, `value ${quoteField(field)} is not a number`);
      }
      values[k] = x;
    }
  }
  const labeled = labelObservations(rowLabels, colLabels, values, {
    duplicates: opts.duplicates,
    describe: (k) => `line ${lines[k]}`,
    fail: (k, problem) => {
      throw new InputError({ file, line: lines[k] }, problem);
    },
  });
  return { ...labeled, names };
}

/** The message for a data line longer than its header: which counts, and the likely cause. */
export function tooManyFields(count: number, width: number, headerLine: number): string {
  return `line has ${count} fields but the header (line ${headerLine}) has ${width}; a decimal comma? quote such a field or write the value with a point`;
}

/**
 * Positions of the wanted columns in a header: by name when `wanted` is given (every name must be present,
 * distinct), otherwise the first `count` columns. Throws an InputError listing the header when one is missing.
 */
export function pickColumns(
  header: readonly string[],
  line: number,
  file: string,
  wanted: readonly string[] | undefined,
  count: number,
): number[] {
  if (!wanted) {
    if (header.length < count) {
      const what = count === 3 ? 'row id, column id, value' : 'row id, column id';
      throw new InputError(
        { file, line },
        `expected a header with at least ${count} columns (${what}); found ${header.length}: ${header.map(quoteField).join(', ')}`,
      );
    }
    return Array.from({ length: count }, (_, c) => c);
  }
  return wanted.map((name) => {
    const p = header.indexOf(name);
    if (p < 0) {
      throw new InputError(
        { file, line },
        `no column named ${quoteField(name)} in the header (columns: ${header.map(quoteField).join(', ')})`,
      );
    }
    return p;
  });
}
