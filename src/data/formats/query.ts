import { InputError } from '../input-error.ts';
import { quoteField, readCsvRecords } from './csv.ts';
import { pickColumns } from './triplets.ts';

/** The cells a user asks about, in file order: row and column ids (labels) and the header names they came from. */
export interface QueryFile {
  readonly rowIds: string[];
  readonly colIds: string[];
  readonly names: readonly [string, string];
}

/**
 * Parse a query CSV with a header: the id columns are the ones named `idNames` when the header has both (extra
 * columns, such as held-out values, are ignored); otherwise, unless `requireNames`, its first two columns.
 * Problems are InputErrors naming `file`, line and column. Cost O(size of text).
 */
export function parseQuery(text: string, opts: { file: string; idNames: readonly [string, string]; requireNames?: boolean }): QueryFile {
  const { file } = opts;
  const records = readCsvRecords(text, file);
  if (records.length === 0) throw new InputError({ file }, `file is empty (expected a header such as ${opts.idNames.join(',')} and one line per cell to predict)`);
  const header = records[0];
  const hasNames = opts.idNames.every((name) => header.fields.includes(name));
  const positions = pickColumns(header.fields, header.line, file, hasNames || opts.requireNames ? opts.idNames : undefined, 2);
  const names = [header.fields[positions[0]], header.fields[positions[1]]] as [string, string];
  if (records.length === 1) throw new InputError({ file, line: header.line }, 'has a header but no data lines');
  const rowIds: string[] = [];
  const colIds: string[] = [];
  for (let k = 1; k < records.length; k++) {
    const { fields, line } = records[k];
    for (let c = 0; c < 2; c++) {
      const p = positions[c];
      const where = { file, line, column: p + 1, columnName: names[c] };
      if (p >= fields.length) throw new InputError(where, `line has ${fields.length} fields; this column is missing`);
      if (fields[p] === '') throw new InputError(where, `empty id (ids: ${quoteField(names[0])}, ${quoteField(names[1])})`);
    }
    rowIds.push(fields[positions[0]]);
    colIds.push(fields[positions[1]]);
  }
  return { rowIds, colIds, names };
}
