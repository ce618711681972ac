import { InputError } from '../input-error.ts';
import type { LabeledObservations } from '../labels.ts';
import { isInfToken, isNaNToken, isOutOfRange, outOfRange, parseDecimal, quoteField } from './csv.ts';
import {
  readCsv,
  readCsvAsync,
  type AsyncTextSource,
  type CsvRecordView,
  type StreamOptions,
  type TextSource,
} from './stream.ts';
import { grow } from './triplets.ts';

/** Cells that mark a gap in a dense grid: empty, NaN or NA (any case). */
export function isGapCell(field: string): boolean {
  return field === '' || isNaNToken(field) || /^na$/i.test(field);
}

/** A dense grid read: observations at the filled cells; rows are labeled 1..m, columns 1..n or by the header. */
export interface DenseFile extends LabeledObservations {
  /** Whether the first line named the columns. */
  readonly header: boolean;
}

/** Options of the dense readers. */
export interface DenseOptions extends StreamOptions {
  /** The file's name, for messages. */
  file: string;
  /** The first line names the columns. */
  header?: boolean;
}

/**
 * Parse a dense CSV grid with gaps (empty, NaN or NA cells are missing). Rows are labeled by their 1-based
 * position among the data lines; columns by their 1-based position, or by the first line when `header` is set.
 * With `header`, a first line of numbers at least one of which is not a plain integer ("3.5", "-1", "1e3") is
 * refused as data, not names (integer names such as years are accepted as labels).
 * Every line must have the same number of cells, and every row and column needs at least one value; a blank line
 * between rows is an error (skipping it would renumber the rows after it).
 * Problems are InputErrors naming `file`, line and column. The text is a string or chunks of bytes, read one line
 * at a time into typed arrays; readDense takes chunks that arrive asynchronously. Cost O(size of text).
 */
export function parseDense(text: TextSource, opts: DenseOptions): DenseFile {
  return readCsv(text, opts.file, denseSink(opts), opts);
}

/** parseDense over chunks that may arrive asynchronously. */
export function readDense(source: AsyncTextSource, opts: DenseOptions): Promise<DenseFile> {
  return readCsvAsync(source, opts.file, denseSink(opts), opts);
}

function denseSink(opts: DenseOptions): { record(r: CsvRecordView): void; finish(): DenseFile } {
  const { file } = opts;
  const header = opts.header ?? false;
  let first: { line: number } | null = null;
  let width = 0;
  let colIds: string[] = [];
  let colCount = new Int32Array(0);
  let rows = new Int32Array(1024);
  let cols = new Int32Array(1024);
  let values = new Float64Array(1024);
  let count = 0;
  let m = 0;
  let previousLine = 0;
  return {
    record(r) {
      const line = r.line;
      if (first === null) {
        first = { line };
        width = r.count;
        colCount = new Int32Array(width);
        if (header) {
          colIds = Array.from({ length: width }, (_, c) => r.field(c));
          const seen = new Map<string, number>();
          colIds.forEach((name, c) => {
            if (name === '') throw new InputError({ file, line, column: c + 1 }, 'empty column name in the header');
            if (seen.has(name)) {
              throw new InputError(
                { file, line, column: c + 1 },
                `column name ${quoteField(name)} repeats column ${(seen.get(name) as number) + 1}`,
              );
            }
            seen.set(name, c);
          });
          if (colIds.every((name) => parseDecimal(name) !== null) && colIds.some((name) => !/^\d+$/.test(name))) {
            throw new InputError(
              { file, line },
              'with --header the first line names the columns, but this one looks like data (numbers); drop --header',
            );
          }
          return;
        }
        colIds = Array.from({ length: width }, (_, c) => String(c + 1));
      }
      const i = m;
      if (i > 0) {
        // The line this record starts on: its end line less the line breaks inside its (quoted) fields.
        let start = line;
        if (r.strings) for (const f of r.strings) start -= f.match(/\n/g)?.length ?? 0;
        if (start > previousLine + 1) {
          throw new InputError(
            { file, line: previousLine + 1 },
            'blank line between rows: rows of a dense grid are numbered by position, so write a row of gaps (empty, NaN or NA cells) or delete the line',
          );
        }
      }
      if (r.count !== width) {
        throw new InputError(
          { file, line },
          `ragged grid: this line has ${r.count} cells but line ${first.line} has ${width}`,
        );
      }
      let filled = 0;
      for (let c = 0; c < width; c++) {
        const x = r.decimal(c);
        if (x === null) {
          const field = r.field(c);
          if (isGapCell(field)) continue;
          const where = { file, line, column: c + 1, columnName: header ? colIds[c] : undefined };
          if (isOutOfRange(field)) throw new InputError(where, outOfRange(field));
          if (isInfToken(field)) throw new InputError(where, `value ${quoteField(field)} is not finite`);
          const hint = i === 0 && !header ? ' (if the first line names the columns, pass --header)' : '';
          throw new InputError(where, `value ${quoteField(field)} is not a number; gaps are empty, NaN or NA${hint}`);
        }
        if (count === values.length) {
          const cap = Math.ceil(count * 1.5);
          rows = grow(rows, cap);
          cols = grow(cols, cap);
          values = grow(values, cap);
        }
        rows[count] = i;
        cols[count] = c;
        values[count] = x;
        count++;
        filled++;
        colCount[c]++;
      }
      if (filled === 0)
        throw new InputError({ file, line }, `row ${i + 1} has no observed values: nothing to complete it from`);
      m++;
      previousLine = line;
    },
    finish() {
      if (first === null)
        throw new InputError({ file }, 'file is empty (expected a grid of numbers with empty or NaN cells for gaps)');
      if (header && m === 0) throw new InputError({ file, line: first.line }, 'has a header but no data lines');
      for (let c = 0; c < width; c++) {
        if (colCount[c] === 0) {
          throw new InputError(
            { file, column: c + 1, columnName: header ? colIds[c] : undefined },
            `column ${c + 1} has no observed values: nothing to complete it from`,
          );
        }
      }
      const cut = <A extends Int32Array | Float64Array>(a: A): A => (a.length === count ? a : (a.slice(0, count) as A));
      return {
        observations: { shape: [m, width], rows: cut(rows), cols: cut(cols), values: cut(values) },
        rowIds: Array.from({ length: m }, (_, i) => String(i + 1)),
        colIds,
        header,
      };
    },
  };
}
