// The readers as they were before streaming (whole text through csv-parse, labels through string arrays), kept
// as the reference the streaming readers are compared with (test/unit/data/stream.test.ts): the same readings and
// the same messages.
import { InputError } from '../../src/data/input-error.ts';
import { sortedLabels, labelIndex, type DuplicatePolicy, type LabeledObservations } from '../../src/data/labels.ts';
import {
  checkHeaderNames,
  isInfToken,
  isNaNToken,
  isOutOfRange,
  MAX_LINE_CHARS,
  outOfRange,
  parseDecimal,
  quoteField,
  readCsvRecords,
} from '../../src/data/formats/csv.ts';
import { pickColumns, tooManyFields, type TripletFile } from '../../src/data/formats/triplets.ts';
import { isGapCell, type DenseFile } from '../../src/data/formats/dense.ts';
import type { QueryFile } from '../../src/data/formats/query.ts';
/** labelObservations as it was: string arrays and a Map of (row, column) keys. */
export function legacyLabelObservations(
  rowLabels: ArrayLike<string | number>,
  colLabels: ArrayLike<string | number>,
  values: ArrayLike<number>,
  opts: {
    duplicates?: DuplicatePolicy;
    describe?: (k: number) => string;
    fail?: (k: number, problem: string) => never;
  } = {},
): LabeledObservations {
  const count = values.length;
  if (rowLabels.length !== count || colLabels.length !== count) {
    throw new RangeError(
      `observations: row ids, column ids and values differ in length (${rowLabels.length}, ${colLabels.length}, ${count})`,
    );
  }
  const fail =
    opts.fail ??
    ((k: number, problem: string): never => {
      throw new RangeError(`${opts.describe ? opts.describe(k) : `entry ${k}`}: ${problem}`);
    });
  const rowStr = Array.from({ length: count }, (_, k) => String(rowLabels[k]));
  const colStr = Array.from({ length: count }, (_, k) => String(colLabels[k]));
  const rowIds = sortedLabels(rowStr);
  const colIds = sortedLabels(colStr);
  const rowIdx = labelIndex(rowIds);
  const colIdx = labelIndex(colIds);
  const n = colIds.length;
  const policy = opts.duplicates ?? 'error';
  // key -> slot in the output; sums and counts for 'mean'.
  const slotOf = new Map<number, number>();
  const firstEntry: number[] = [];
  const rows: number[] = [];
  const cols: number[] = [];
  const sums: number[] = [];
  const counts: number[] = [];
  for (let k = 0; k < count; k++) {
    const v = values[k];
    if (!Number.isFinite(v)) fail(k, `value ${v} is not a finite number`);
    const i = rowIdx.get(rowStr[k]) as number;
    const j = colIdx.get(colStr[k]) as number;
    const key = i * n + j;
    const slot = slotOf.get(key);
    if (slot === undefined) {
      slotOf.set(key, rows.length);
      firstEntry.push(k);
      rows.push(i);
      cols.push(j);
      sums.push(v);
      counts.push(1);
    } else if (policy === 'error') {
      fail(
        k,
        `duplicate entry for row id ${rowStr[k]} and column id ${colStr[k]} (first seen at ${opts.describe ? opts.describe(firstEntry[slot]) : `entry ${firstEntry[slot]}`}); ` +
          `choose --duplicates mean or --duplicates last to accept duplicates`,
      );
    } else if (policy === 'mean') {
      sums[slot] += v;
      counts[slot]++;
    } else {
      sums[slot] = v;
      counts[slot] = 1;
    }
  }
  const vals = new Float64Array(rows.length);
  for (let s = 0; s < vals.length; s++) vals[s] = sums[s] / counts[s];
  return {
    observations: {
      shape: [rowIds.length, colIds.length],
      rows: Int32Array.from(rows),
      cols: Int32Array.from(cols),
      values: vals,
    },
    rowIds,
    colIds,
  };
}
/** parseTriplets as it was: the whole text through csv-parse, then string arrays of ids. */
export function legacyParseTriplets(
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
  const labeled = legacyLabelObservations(rowLabels, colLabels, values, {
    duplicates: opts.duplicates,
    describe: (k) => `line ${lines[k]}`,
    fail: (k, problem) => {
      throw new InputError({ file, line: lines[k] }, problem);
    },
  });
  return { ...labeled, names };
}

/** parseDense as it was: the whole text through csv-parse. */
export function legacyParseDense(text: string, opts: { file: string; header?: boolean }): DenseFile {
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
/** parseMatrixMarket as it was: the whole text split into lines. */
export function legacyParseMatrixMarket(
  text: string,
  opts: { file: string; duplicates?: DuplicatePolicy },
): LabeledObservations {
  const { file } = opts;
  const lines = text.split(/\r?\n/);
  const long = lines.findIndex((l) => l.length > MAX_LINE_CHARS);
  if (long >= 0)
    throw new InputError(
      { file, line: long + 1 },
      `a line longer than ${MAX_LINE_CHARS.toLocaleString('en')} characters`,
    );
  if (lines.every((l) => l.trim() === '')) throw new InputError({ file }, 'file is empty');
  const banner = lines[0].trim().toLowerCase().split(/\s+/);
  if (banner[0] !== '%%matrixmarket' || banner[1] !== 'matrix') {
    throw new InputError(
      { file, line: 1 },
      'not a Matrix Market file (the first line must start with %%MatrixMarket matrix)',
    );
  }
  if (banner[2] !== 'coordinate') {
    throw new InputError(
      { file, line: 1 },
      `Matrix Market format ${quoteField(banner[2] ?? '')} is not supported (use coordinate; for a dense grid use a CSV with --dense)`,
    );
  }
  const field = banner[3];
  if (field !== 'real' && field !== 'integer' && field !== 'double') {
    throw new InputError(
      { file, line: 1 },
      `Matrix Market field ${quoteField(field ?? '')} is not supported (real or integer values are needed)`,
    );
  }
  const symmetry = banner[4] ?? 'general';
  if (symmetry !== 'general' && symmetry !== 'symmetric') {
    throw new InputError(
      { file, line: 1 },
      `Matrix Market symmetry ${quoteField(symmetry)} is not supported (general or symmetric)`,
    );
  }
  let t = 1;
  while (t < lines.length && (lines[t].trim() === '' || lines[t].trimStart().startsWith('%'))) t++;
  if (t >= lines.length) throw new InputError({ file }, 'no size line (m n nnz) after the header');
  const sizeFields = lines[t].trim().split(/\s+/);
  const size = sizeFields.map(Number);
  const sizeLine = t + 1;
  if (size.length !== 3 || !sizeFields.every(isIndex) || !size.every(Number.isSafeInteger)) {
    throw new InputError(
      { file, line: sizeLine },
      `size line must be three non-negative integers "m n nnz", got ${quoteField(lines[t].trim())}`,
    );
  }
  const [m, n, nnz] = size;
  if (m < 1 || n < 1)
    throw new InputError({ file, line: sizeLine }, `matrix must have at least one row and one column, got ${m}×${n}`);
  if (symmetry === 'symmetric' && m !== n)
    throw new InputError({ file, line: sizeLine }, `a symmetric matrix must be square, got ${m}×${n}`);
  if (nnz === 0) throw new InputError({ file, line: sizeLine }, 'has no entries (nnz is 0)');
  const rowLabels: string[] = [];
  const colLabels: string[] = [];
  const values: number[] = [];
  const lineOf: number[] = [];
  let read = 0;
  for (t++; t < lines.length; t++) {
    const raw = lines[t].trim();
    if (raw === '' || raw.startsWith('%')) continue;
    const line = t + 1;
    if (read === nnz) throw new InputError({ file, line }, `more entries than the ${nnz} the size line declares`);
    const parts = raw.split(/\s+/);
    if (parts.length !== 3) throw new InputError({ file, line }, `expected "i j value", got ${quoteField(raw)}`);
    const i = isIndex(parts[0]) ? Number(parts[0]) : NaN;
    const j = isIndex(parts[1]) ? Number(parts[1]) : NaN;
    if (!Number.isInteger(i) || i < 1 || i > m)
      throw new InputError({ file, line, column: 1 }, `row index ${quoteField(parts[0])} is not an integer in 1..${m}`);
    if (!Number.isInteger(j) || j < 1 || j > n)
      throw new InputError(
        { file, line, column: 2 },
        `column index ${quoteField(parts[1])} is not an integer in 1..${n}`,
      );
    const x = parseDecimal(parts[2]);
    if (x === null && isOutOfRange(parts[2])) throw new InputError({ file, line, column: 3 }, outOfRange(parts[2]));
    if (x === null)
      throw new InputError({ file, line, column: 3 }, `value ${quoteField(parts[2])} is not a finite number`);
    read++;
    const add = (a: number, b: number): void => {
      rowLabels.push(String(a));
      colLabels.push(String(b));
      values.push(x);
      lineOf.push(line);
    };
    add(i, j);
    if (symmetry === 'symmetric' && i !== j) add(j, i);
  }
  if (read < nnz) throw new InputError({ file }, `the size line declares ${nnz} entries but the file has ${read}`);
  const labeled = legacyLabelObservations(rowLabels, colLabels, values, {
    duplicates: opts.duplicates,
    describe: (k) => `line ${lineOf[k]}`,
    fail: (k, problem) => {
      throw new InputError({ file, line: lineOf[k] }, problem);
    },
  });
  const [mm, nn] = labeled.observations.shape;
  if (mm < m || nn < n) {
    const seenRows = new Set(labeled.rowIds);
    const seenCols = new Set(labeled.colIds);
    for (let i = 1; i <= m; i++)
      if (!seenRows.has(String(i)))
        throw new InputError({ file }, `row ${i} has no entries: nothing to complete it from`);
    for (let j = 1; j <= n; j++)
      if (!seenCols.has(String(j)))
        throw new InputError({ file }, `column ${j} has no entries: nothing to complete it from`);
  }
  return labeled;
}

/** Whether a Matrix Market index or size field is written as plain decimal digits (not "0x1", "1e0" or "1.0"). */
function isIndex(field: string): boolean {
  return /^\d+$/.test(field);
}
/** parseQuery as it was: the whole text through csv-parse. */
export function legacyParseQuery(
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
