import { InputError } from '../input-error.ts';
import { checkHeaderNames, parseDecimal, quoteField } from './csv.ts';
import {
  readCsv,
  readCsvAsync,
  type AsyncTextSource,
  type CsvRecordView,
  type StreamOptions,
  type TextSource,
} from './stream.ts';
import { pickColumns, tooManyFields } from './triplets.ts';

/** The cells a user asks about, in file order: row and column ids (labels) and the header names they came from. */
export interface QueryFile {
  readonly rowIds: string[];
  readonly colIds: string[];
  readonly names: readonly [string, string];
}

/** Options of the query readers. */
export interface QueryOptions extends StreamOptions {
  /** The file's name, for messages. */
  file: string;
  /** The row and column id names of the observed file. */
  idNames: readonly [string, string];
  /** The header must name both id columns (no fallback to the first two). */
  requireNames?: boolean;
  /** The observed ids, to tell a first line that is a cell from a header. */
  knownIds?: { readonly rowIds: readonly string[]; readonly colIds: readonly string[] };
}

/**
 * Parse a query CSV with a header: the id columns are the ones named `idNames` when the header has both (extra
 * columns, such as held-out values, are ignored); when it has neither, unless `requireNames`, its first two columns,
 * and then no data line may have more fields than the header. A header naming one id column but not the other is
 * refused (positions could swap rows and columns), and so is a first line that looks like a cell rather than a
 * header: two numbers, or an observed row id and column id (`knownIds`, in either order), so no cell is dropped.
 * Header names must differ. Problems are InputErrors naming `file`, line and column. The text is a string or chunks
 * of bytes, read one line at a time (each distinct id kept once); readQuery takes chunks that arrive
 * asynchronously. Cost O(size of text).
 */
export function parseQuery(text: TextSource, opts: QueryOptions): QueryFile {
  checkIdNames(opts.idNames);
  return readCsv(text, opts.file, querySink(opts), opts);
}

/** parseQuery over chunks that may arrive asynchronously. */
export function readQuery(source: AsyncTextSource, opts: QueryOptions): Promise<QueryFile> {
  checkIdNames(opts.idNames);
  return readCsvAsync(source, opts.file, querySink(opts), opts);
}

function checkIdNames(idNames: readonly [string, string]): void {
  if (idNames[0] === idNames[1])
    throw new RangeError(`parseQuery: the two id names must differ, got ${quoteField(idNames[0])} twice`);
}

function querySink(opts: QueryOptions): { record(r: CsvRecordView): void; finish(): QueryFile } {
  const { file, idNames } = opts;
  let header: { fields: string[]; line: number } | null = null;
  let hasNames = false;
  let positions = [0, 1];
  let names: [string, string] = ['', ''];
  const rowIds: string[] = [];
  const colIds: string[] = [];
  // One string per distinct id: the arrays hold references to it, not a copy per line.
  const interned = new Map<string, string>();
  const intern = (s: string): string => {
    const known = interned.get(s);
    if (known !== undefined) return known;
    interned.set(s, s);
    return s;
  };
  return {
    record(r) {
      const line = r.line;
      if (header === null) {
        const fields = Array.from({ length: r.count }, (_, c) => r.field(c));
        header = { fields, line };
        const present = idNames.map((name) => fields.includes(name));
        hasNames = present[0] && present[1];
        if (!opts.requireNames && present[0] !== present[1]) {
          const [found, missing] = present[0] ? idNames : [idNames[1], idNames[0]];
          throw new InputError(
            { file, line },
            `the header names the id column ${quoteField(found)} but not ${quoteField(missing)} (columns: ${fields.map(quoteField).join(', ')}): name both id columns, or neither to use the first two columns`,
          );
        }
        if (!hasNames && !opts.requireNames && fields.length >= 2) {
          const [a, b] = fields;
          const ids = opts.knownIds;
          const known =
            ids &&
            ((ids.rowIds.includes(a) && ids.colIds.includes(b)) || (ids.colIds.includes(a) && ids.rowIds.includes(b)));
          if ((parseDecimal(a) !== null && parseDecimal(b) !== null) || known) {
            throw new InputError(
              { file, line },
              `this looks like a cell (${quoteField(a)}, ${quoteField(b)}), not a header: add a first line naming the id columns, such as ${idNames.join(',')}`,
            );
          }
        }
        checkHeaderNames(fields, line, file);
        positions = pickColumns(fields, line, file, hasNames || opts.requireNames ? opts.idNames : undefined, 2);
        names = [fields[positions[0]], fields[positions[1]]];
        return;
      }
      if (!hasNames && r.count > header.fields.length)
        throw new InputError({ file, line }, tooManyFields(r.count, header.fields.length, header.line));
      for (let c = 0; c < 2; c++) {
        const p = positions[c];
        const where = { file, line, column: p + 1, columnName: names[c] };
        if (p >= r.count) throw new InputError(where, `line has ${r.count} fields; this column is missing`);
        if (r.isEmpty(p))
          throw new InputError(where, `empty id (ids: ${quoteField(names[0])}, ${quoteField(names[1])})`);
      }
      rowIds.push(intern(r.field(positions[0])));
      colIds.push(intern(r.field(positions[1])));
    },
    finish() {
      if (header === null)
        throw new InputError(
          { file },
          `file is empty (expected a header such as ${idNames.join(',')} and one line per cell to predict)`,
        );
      if (rowIds.length === 0) throw new InputError({ file, line: header.line }, 'has a header but no data lines');
      return { rowIds, colIds, names };
    },
  };
}
