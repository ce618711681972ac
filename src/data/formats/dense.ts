import { InputError } from '../input-error.ts';
import type { LabeledObservations } from '../labels.ts';
import { isInfToken, isNaNToken, isOutOfRange, outOfRange, parseDecimal, quoteField, readCsvRecords } from './csv.ts';

/** Cells that mark a gap in a dense grid: empty, NaN or NA (any case). */
export function isGapCell(field: string): boolean {
  return field === '' || isNaNToken(field) || /^na$/i.test(field);
}

/** A dense grid read: observations at the filled cells; rows are labeled 1..m, columns 1..n or by the header. */
export interface DenseFile extends LabeledObservations {
  /** Whether the first line named the columns. */
  readonly header: boolean;
}

/**
 * Parse a dense CSV grid with gaps (empty, NaN or NA cells are missing). Rows are labeled by their 1-based
 * position among the data lines; columns by their 1-based position, or by the first line when `header` is set.
 * With `header`, a first line of numbers at least one of which is not a plain integer ("3.5", "-1", "1e3") is
 * refused as data, not names (integer names such as years are accepted as labels).
 * Every line must have the same number of cells, and every row and column needs at least one value; a blank line
 * between rows is an error (skipping it would renumber the rows after it).
 * Problems are InputErrors naming `file`, line and column. Cost O(size of text).
 */
export function parseDense(text: string, opts: { file: string; header?: boolean }): DenseFile {
  const { file } = opts;
  const records = readCsvRecords(text, file);
  if (records.length === 0)
    throw new InputError({ file }, 'file is empty (expected a grid of numbers with empty or NaN cells for gaps)');
  const header = opts.header ?? false;
  const first = records[0];
  const width = first.fields.length;
  let colIds: string[];
  if (header) {
    colIds = first.fields.slice();
    const seen = new Map<string, number>();
    colIds.forEach((name, c) => {
      if (name === '')
        throw new InputError({ file, line: first.line, column: c + 1 }, 'empty column name in the header');
      if (seen.has(name)) {
        throw new InputError(
          { file, line: first.line, column: c + 1 },
          `column name ${quoteField(name)} repeats column ${(seen.get(name) as number) + 1}`,
        );
      }
      seen.set(name, c);
    });
    if (colIds.every((name) => parseDecimal(name) !== null) && colIds.some((name) => !/^\d+$/.test(name))) {
      throw new InputError(
        { file, line: first.line },
        'with --header the first line names the columns, but this one looks like data (numbers); drop --header',
      );
    }
    if (records.length === 1) throw new InputError({ file, line: first.line }, 'has a header but no data lines');
  } else {
    colIds = Array.from({ length: width }, (_, c) => String(c + 1));
  }
  const data = header ? records.slice(1) : records;
  const m = data.length;
  const rows: number[] = [];
  const cols: number[] = [];
  const values: number[] = [];
  const colCount = new Int32Array(width);
  for (let i = 0; i < m; i++) {
    const { fields, line } = data[i];
    if (i > 0) {
      // The line this record starts on: its end line less the line breaks inside its (quoted) fields.
      const start = line - fields.reduce((sum, f) => sum + (f.match(/\n/g)?.length ?? 0), 0);
      if (start > data[i - 1].line + 1) {
        throw new InputError(
          { file, line: data[i - 1].line + 1 },
          'blank line between rows: rows of a dense grid are numbered by position, so write a row of gaps (empty, NaN or NA cells) or delete the line',
        );
      }
    }
    if (fields.length !== width) {
      throw new InputError(
        { file, line },
        `ragged grid: this line has ${fields.length} cells but line ${first.line} has ${width}`,
      );
    }
    let filled = 0;
    for (let c = 0; c < width; c++) {
      const field = fields[c];
      if (isGapCell(field)) continue;
      const x = parseDecimal(field);
      if (x === null) {
        const where = { file, line, column: c + 1, columnName: header ? colIds[c] : undefined };
        if (isOutOfRange(field)) throw new InputError(where, outOfRange(field));
        if (isInfToken(field)) throw new InputError(where, `value ${quoteField(field)} is not finite`);
        const hint = i === 0 && !header ? ' (if the first line names the columns, pass --header)' : '';
        throw new InputError(where, `value ${quoteField(field)} is not a number; gaps are empty, NaN or NA${hint}`);
      }
      rows.push(i);
      cols.push(c);
      values.push(x);
      filled++;
      colCount[c]++;
    }
    if (filled === 0)
      throw new InputError({ file, line }, `row ${i + 1} has no observed values: nothing to complete it from`);
  }
  for (let c = 0; c < width; c++) {
    if (colCount[c] === 0) {
      throw new InputError(
        { file, column: c + 1, columnName: header ? colIds[c] : undefined },
        `column ${c + 1} has no observed values: nothing to complete it from`,
      );
    }
  }
  return {
    observations: {
      shape: [m, width],
      rows: Int32Array.from(rows),
      cols: Int32Array.from(cols),
      values: Float64Array.from(values),
    },
    rowIds: Array.from({ length: m }, (_, i) => String(i + 1)),
    colIds,
    header,
  };
}
