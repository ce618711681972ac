import { InputError, type InputLocation } from '../input-error.ts';
import { LabelIndex, labelEntries, type DuplicatePolicy, type LabeledObservations } from '../labels.ts';
import { checkHeaderNames, isInfToken, isNaNToken, isOutOfRange, outOfRange, parseDecimal, quoteField } from './csv.ts';
import {
  readCsv,
  readCsvAsync,
  type AsyncTextSource,
  type CsvRecordView,
  type StreamOptions,
  type TextSource,
} from './stream.ts';

/** A triplet file read: the observations plus the header names of its id and value columns. */
export interface TripletFile extends LabeledObservations {
  /** Header names of the row id, column id and value columns used. */
  readonly names: readonly [string, string, string];
}

/** Options of the triplet readers. */
export interface TripletOptions extends StreamOptions {
  /** The file's name, for messages. */
  file: string;
  /** The row id, column id and value columns by header name (default: the first three columns). */
  columns?: readonly [string, string, string];
  /** What to do with a (row, column) pair seen twice (default 'error'). */
  duplicates?: DuplicatePolicy;
}

/**
 * Parse a CSV of observed entries with a header: by default its first three columns are row id, column id and
 * value; `columns` picks three columns by header name instead (other columns are ignored). Header names must
 * differ. Without `columns`, a first line whose value field is a number is refused as data rather than a header,
 * and a data line with more fields than the header is refused (a decimal comma: `1,1,4,5`); with `columns`, fields
 * are taken at the named columns' positions and any beyond the header are ignored. Ids are labels (any non-empty
 * text); values must be finite decimals. Every problem is an InputError naming `file`, line and column.
 * The text is a string or chunks of bytes (read one line at a time into typed arrays, with no whole-file string):
 * readTriplets takes chunks that arrive asynchronously. Cost O(size of text); memory about 20 bytes per entry.
 */
export function parseTriplets(text: TextSource, opts: TripletOptions): TripletFile {
  return readCsv(text, opts.file, tripletSink(opts), opts);
}

/** parseTriplets over chunks that may arrive asynchronously (a file read piece by piece, a fetch body). */
export function readTriplets(source: AsyncTextSource, opts: TripletOptions): Promise<TripletFile> {
  return readCsvAsync(source, opts.file, tripletSink(opts), opts);
}

/** The records of a triplet file, read into growing typed arrays; finish labels them. */
function tripletSink(opts: TripletOptions): { record(r: CsvRecordView): void; finish(): TripletFile } {
  const { file } = opts;
  let header: { fields: string[]; line: number } | null = null;
  let positions: [number, number, number] = [0, 1, 2];
  let names: [string, string, string] = ['', '', ''];
  let width = Infinity;
  const rowIndex = new LabelIndex();
  const colIndex = new LabelIndex();
  let rows = new Int32Array(1024);
  let cols = new Int32Array(1024);
  let values = new Float64Array(1024);
  let count = 0;
  const lines = new LineNumbers();
  const idOf = (r: CsvRecordView, p: number, index: LabelIndex): number => {
    const x = r.canonicalInt(p);
    return Number.isNaN(x) ? index.idOf(r.field(p)) : index.idOfInt(x);
  };
  return {
    record(r) {
      const line = r.line;
      if (header === null) {
        const fields = Array.from({ length: r.count }, (_, c) => r.field(c));
        header = { fields, line };
        if (opts.columns && opts.columns.length !== 3) {
          const given = opts.columns as readonly string[];
          throw new InputError(
            { file, line },
            `columns must name three columns (row id, column id, value), got ${given.length}: ${given.map((c) => quoteField(String(c))).join(', ')}`,
          );
        }
        positions = pickColumns(fields, line, file, opts.columns, 3) as [number, number, number];
        names = positions.map((p) => fields[p]) as [string, string, string];
        if (!opts.columns && parseDecimal(names[2]) !== null) {
          throw new InputError(
            { file, line },
            `this looks like data, not a header (its value column is the number ${quoteField(names[2])}): add a first line naming the columns, such as row,col,value`,
          );
        }
        checkHeaderNames(fields, line, file);
        width = opts.columns ? Infinity : fields.length;
        return;
      }
      if (r.count > width)
        throw new InputError({ file, line }, tooManyFields(r.count, header.fields.length, header.line));
      for (let c = 0; c < 3; c++) {
        const p = positions[c];
        if (p >= r.count) {
          throw new InputError(
            { file, line, column: p + 1, columnName: names[c] },
            `line has ${r.count} fields; this column is missing`,
          );
        }
        if (c < 2 && r.isEmpty(p))
          throw new InputError({ file, line, column: p + 1, columnName: names[c] }, 'empty id');
      }
      const x = r.decimal(positions[2]);
      if (x === null)
        throw valueError(r.field(positions[2]), { file, line, column: positions[2] + 1, columnName: names[2] });
      if (count === values.length) {
        const cap = Math.ceil(count * 1.5);
        rows = grow(rows, cap);
        cols = grow(cols, cap);
        values = grow(values, cap);
      }
      rows[count] = idOf(r, positions[0], rowIndex);
      cols[count] = idOf(r, positions[1], colIndex);
      values[count] = x;
      lines.add(count, line);
      count++;
    },
    finish() {
      if (header === null)
        throw new InputError(
          { file },
          'file is empty (expected a header such as row,col,value and one line per observed entry)',
        );
      if (count === 0) throw new InputError({ file, line: header.line }, 'has a header but no data lines');
      const labeled = labelEntries(rows, cols, values, count, rowIndex, colIndex, {
        duplicates: opts.duplicates,
        describe: (k) => `line ${lines.of(k)}`,
        fail: (k, problem) => {
          throw new InputError({ file, line: lines.of(k) }, problem);
        },
      });
      return { ...labeled, names };
    },
  };
}

/** The InputError for a value field that is not a finite decimal: out of range, not finite, or not a number. */
function valueError(field: string, where: InputLocation): InputError {
  if (isOutOfRange(field)) return new InputError(where, outOfRange(field));
  if (isNaNToken(field) || isInfToken(field) || field === '') {
    return new InputError(
      where,
      `value ${quoteField(field)} is not a finite number (list only observed entries; leave missing ones out)`,
    );
  }
  return new InputError(where, `value ${quoteField(field)} is not a number`);
}

/** A typed array grown to `cap` entries, the first ones copied. */
export function grow<A extends Int32Array | Float64Array>(a: A, cap: number): A {
  const next = new (a.constructor as new (n: number) => A)(cap);
  next.set(a);
  return next;
}

/**
 * The line of each entry k, kept as the few places where it is not the previous entry's line + 1 (a blank line, a
 * record over several lines): no array of lines for a file without them.
 */
export class LineNumbers {
  private ks: number[] = [];
  private starts: number[] = [];
  private next = -1;
  /** Entry k is on `line` (k in increasing order). */
  add(k: number, line: number): void {
    if (line !== this.next) {
      this.ks.push(k);
      this.starts.push(line);
    }
    this.next = line + 1;
  }
  /** The line of entry k. */
  of(k: number): number {
    let lo = 0;
    let hi = this.ks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.ks[mid] <= k) lo = mid;
      else hi = mid - 1;
    }
    return this.starts[lo] + (k - this.ks[lo]);
  }
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
