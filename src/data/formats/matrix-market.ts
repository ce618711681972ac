import { InputError } from '../input-error.ts';
import { LabelIndex, labelEntries, type DuplicatePolicy, type LabeledObservations } from '../labels.ts';
import { isOutOfRange, outOfRange, parseDecimal, quoteField } from './csv.ts';
import { readLines, readLinesAsync, type AsyncTextSource, type StreamOptions, type TextSource } from './stream.ts';
import { grow, LineNumbers } from './triplets.ts';

/** Options of the Matrix Market readers. */
export interface MatrixMarketOptions extends StreamOptions {
  /** The file's name, for messages. */
  file: string;
  /** What to do with a (row, column) pair seen twice (default 'error'). */
  duplicates?: DuplicatePolicy;
}

/**
 * Parse a Matrix Market coordinate file (`%%MatrixMarket matrix coordinate real|integer general|symmetric`):
 * the size line "m n nnz", then nnz lines "i j value" with 1-based indices. Rows and columns are labeled "1".."m"
 * and "1".."n"; a symmetric file also gets the mirror of each off-diagonal entry. Every row and column needs at
 * least one entry. Problems are InputErrors naming `file` and line. The text is a string or chunks of bytes, read
 * one line at a time into typed arrays; readMatrixMarket takes chunks that arrive asynchronously. Cost O(size of text).
 */
export function parseMatrixMarket(text: TextSource, opts: MatrixMarketOptions): LabeledObservations {
  return readLines(text, opts.file, matrixMarketSink(opts), opts);
}

/** parseMatrixMarket over chunks that may arrive asynchronously. */
export function readMatrixMarket(source: AsyncTextSource, opts: MatrixMarketOptions): Promise<LabeledObservations> {
  return readLinesAsync(source, opts.file, matrixMarketSink(opts), opts);
}

function matrixMarketSink(opts: MatrixMarketOptions): {
  line(text: string, n: number): void;
  finish(): LabeledObservations;
} {
  const { file } = opts;
  // The first problem found; later lines are only looked at for being blank (an all-blank file says so instead).
  let problem: InputError | null = null;
  let allBlank = true;
  let stage: 'banner' | 'size' | 'entries' = 'banner';
  let symmetry = 'general';
  let m = 0;
  let n = 0;
  let nnz = 0;
  let sizeLine = 0;
  let read = 0;
  const rowIndex = new LabelIndex();
  const colIndex = new LabelIndex();
  let rows = new Int32Array(1024);
  let cols = new Int32Array(1024);
  let values = new Float64Array(1024);
  let count = 0;
  const lines = new LineNumbers();
  const add = (a: number, b: number, x: number, line: number): void => {
    if (count === values.length) {
      const cap = Math.ceil(count * 1.5);
      rows = grow(rows, cap);
      cols = grow(cols, cap);
      values = grow(values, cap);
    }
    rows[count] = rowIndex.idOfInt(a);
    cols[count] = colIndex.idOfInt(b);
    values[count] = x;
    lines.add(count, line);
    count++;
  };
  const step = (text: string, line: number): void => {
    if (stage === 'banner') {
      const banner = text.trim().toLowerCase().split(/\s+/);
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
      symmetry = banner[4] ?? 'general';
      if (symmetry !== 'general' && symmetry !== 'symmetric') {
        throw new InputError(
          { file, line: 1 },
          `Matrix Market symmetry ${quoteField(symmetry)} is not supported (general or symmetric)`,
        );
      }
      stage = 'size';
      return;
    }
    const raw = text.trim();
    if (stage === 'size') {
      if (raw === '' || text.trimStart().startsWith('%')) return;
      const sizeFields = raw.split(/\s+/);
      const size = sizeFields.map(Number);
      sizeLine = line;
      if (size.length !== 3 || !sizeFields.every(isIndex) || !size.every(Number.isSafeInteger)) {
        throw new InputError(
          { file, line: sizeLine },
          `size line must be three non-negative integers "m n nnz", got ${quoteField(raw)}`,
        );
      }
      [m, n, nnz] = size;
      if (m < 1 || n < 1)
        throw new InputError(
          { file, line: sizeLine },
          `matrix must have at least one row and one column, got ${m}×${n}`,
        );
      if (symmetry === 'symmetric' && m !== n)
        throw new InputError({ file, line: sizeLine }, `a symmetric matrix must be square, got ${m}×${n}`);
      if (nnz === 0) throw new InputError({ file, line: sizeLine }, 'has no entries (nnz is 0)');
      stage = 'entries';
      return;
    }
    if (raw === '' || raw.startsWith('%')) return;
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
    add(i, j, x, line);
    if (symmetry === 'symmetric' && i !== j) add(j, i, x, line);
  };
  return {
    line(text, line) {
      if (allBlank && text.trim() !== '') allBlank = false;
      if (problem) return;
      try {
        step(text, line);
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        problem = err;
      }
    },
    finish() {
      if (allBlank) throw new InputError({ file }, 'file is empty');
      if (problem) throw problem;
      if (stage !== 'entries') throw new InputError({ file }, 'no size line (m n nnz) after the header');
      if (read < nnz) throw new InputError({ file }, `the size line declares ${nnz} entries but the file has ${read}`);
      const labeled = labelEntries(rows, cols, values, count, rowIndex, colIndex, {
        duplicates: opts.duplicates,
        describe: (k) => `line ${lines.of(k)}`,
        fail: (k, problem) => {
          throw new InputError({ file, line: lines.of(k) }, problem);
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
    },
  };
}

/** Whether a Matrix Market index or size field is written as plain decimal digits (not "0x1", "1e0" or "1.0"). */
function isIndex(field: string): boolean {
  return /^\d+$/.test(field);
}
