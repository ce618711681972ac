import { InputError } from '../input-error.ts';
import type { DuplicatePolicy, LabeledObservations } from '../labels.ts';
import { labelObservations } from '../labels.ts';
import { isOutOfRange, MAX_LINE_CHARS, outOfRange, parseDecimal, quoteField } from './csv.ts';

/**
 * Parse a Matrix Market coordinate file (`%%MatrixMarket matrix coordinate real|integer general|symmetric`):
 * the size line "m n nnz", then nnz lines "i j value" with 1-based indices. Rows and columns are labeled "1".."m"
 * and "1".."n"; a symmetric file also gets the mirror of each off-diagonal entry. Every row and column needs at
 * least one entry. Problems are InputErrors naming `file` and line. Cost O(size of text).
 */
export function parseMatrixMarket(
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
  const labeled = labelObservations(rowLabels, colLabels, values, {
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
