import { InputError } from '../input-error.ts';
import { checkHeaderNames, parseDecimal, quoteField, readCsvRecords } from './csv.ts';
import { pickColumns, tooManyFields } from './triplets.ts';

/** The cells a user asks about, in file order: row and column ids (labels) and the header names they came from. */
export interface QueryFile {
  readonly rowIds: string[];
  readonly colIds: string[];
  readonly names: readonly [string, string];
}

/**
 * Parse a query CSV with a header: the id columns are the ones named `idNames` when the header has both (extra
 * columns, such as held-out values, are ignored); when it has neither, unless `requireNames`, its first two columns,
 * and then no data line may have more fields than the header. A header naming one id column but not the other is
 * refused (positions could swap rows and columns), and so is a first line that looks like a cell rather than a
 * header: two numbers, or an observed row id and column id (`knownIds`, in either order), so no cell is dropped.
 * Header names must differ. Problems are InputErrors naming `file`, line and column. Cost O(size of text).
 */
export function parseQuery(
  text: string,
  opts: {
    file: string;
    idNames: readonly [string, string];
    requireNames?: boolean;
    knownIds?: { readonly rowIds: readonly string[]; readonly colIds: readonly string[] };
  },
): QueryFile {
  const { file, idNames } = opts;
  if (idNames[0] === idNames[1])
    throw new RangeError(`parseQuery: the two id names must differ, got ${quoteField(idNames[0])} twice`);
  const records = readCsvRecords(text, file);
  if (records.length === 0)
    throw new InputError(
      { file },
      `file is empty (expected a header such as ${idNames.join(',')} and one line per cell to predict)`,
    );
  const header = records[0];
  const present = idNames.map((name) => header.fields.includes(name));
  const hasNames = present[0] && present[1];
  if (!opts.requireNames && present[0] !== present[1]) {
    const [found, missing] = present[0] ? idNames : [idNames[1], idNames[0]];
    throw new InputError(
      { file, line: header.line },
      `the header names the id column ${quoteField(found)} but not ${quoteField(missing)} (columns: ${header.fields.map(quoteField).join(', ')}): name both id columns, or neither to use the first two columns`,
    );
  }
  if (!hasNames && !opts.requireNames && header.fields.length >= 2) {
    const [a, b] = header.fields;
    const ids = opts.knownIds;
    const known =
      ids && ((ids.rowIds.includes(a) && ids.colIds.includes(b)) || (ids.colIds.includes(a) && ids.rowIds.includes(b)));
    if ((parseDecimal(a) !== null && parseDecimal(b) !== null) || known) {
      throw new InputError(
        { file, line: header.line },
        `this looks like a cell (${quoteField(a)}, ${quoteField(b)}), not a header: add a first line naming the id columns, such as ${idNames.join(',')}`,
      );
    }
  }
  checkHeaderNames(header.fields, header.line, file);
  const positions = pickColumns(
    header.fields,
    header.line,
    file,
    hasNames || opts.requireNames ? opts.idNames : undefined,
    2,
  );
  const names = [header.fields[positions[0]], header.fields[positions[1]]] as [string, string];
  if (records.length === 1) throw new InputError({ file, line: header.line }, 'has a header but no data lines');
  const rowIds: string[] = [];
  const colIds: string[] = [];
  for (let k = 1; k < records.length; k++) {
    const { fields, line } = records[k];
    if (!hasNames && fields.length > header.fields.length)
      throw new InputError({ file, line }, tooManyFields(fields.length, header.fields.length, header.line));
    for (let c = 0; c < 2; c++) {
      const p = positions[c];
      const where = { file, line, column: p + 1, columnName: names[c] };
      if (p >= fields.length) throw new InputError(where, `line has ${fields.length} fields; this column is missing`);
      if (fields[p] === '')
        throw new InputError(where, `empty id (ids: ${quoteField(names[0])}, ${quoteField(names[1])})`);
    }
    rowIds.push(fields[positions[0]]);
    colIds.push(fields[positions[1]]);
  }
  return { rowIds, colIds, names };
}
