import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTriplets } from '../../../src/data/formats/triplets.ts';
import { parseDense } from '../../../src/data/formats/dense.ts';
import { parseMatrixMarket } from '../../../src/data/formats/matrix-market.ts';
import { parseQuery } from '../../../src/data/formats/query.ts';
import { MAX_LINE_CHARS } from '../../../src/data/formats/csv.ts';
import { formatDenseMatrix, formatPredictions, formatValue } from '../../../src/data/formats/write.ts';
import { throwsInput } from '../../helpers/input-error.ts';

// Strict reading: inputs that used to be read as the wrong cells (or rounded on output) without a word.

test('a repeated header name is an error naming the file, line and column (triplets, query)', () => {
  throwsInput(
    () => parseTriplets('id,id,rating\n1,2,3\n', { file: 'r.csv' }),
    /^r\.csv, line 1, column 2: column name "id" repeats column 1/,
  );
  throwsInput(
    () => parseTriplets('u,i,r,u\n1,2,3,4\n', { file: 'r.csv', columns: ['u', 'i', 'r'] }),
    /^r\.csv, line 1, column 4: column name "u" repeats column 1/,
  );
  throwsInput(
    () => parseQuery('u,u,i\n1,2,3\n', { file: 'q.csv', idNames: ['u', 'i'] }),
    /^q\.csv, line 1, column 2: column name "u" repeats column 1/,
  );
  // Empty names (trailing commas) may repeat: they cannot be picked.
  const f = parseTriplets('u,i,r,,\n1,2,3,,\n', { file: 'r.csv' });
  assert.deepEqual(Array.from(f.observations.values), [3]);
});

test('a triplet file without a header is refused, not read from its second line', () => {
  throwsInput(
    () => parseTriplets('1,1,4\n1,2,3\n2,1,5\n', { file: 'r.csv' }),
    /^r\.csv, line 1: this looks like data, not a header .*"4".*row,col,value/,
  );
  throwsInput(
    () => parseTriplets('\uFEFF1,1,4.5\r\n1,2,3\r\n', { file: 'r.csv' }),
    /^r\.csv, line 1: this looks like data/,
  );
  // A header whose id names are numbers but whose value name is a word is a header.
  const f = parseTriplets('1,2,rating\n7,8,9\n', { file: 'r.csv' });
  assert.deepEqual([f.rowIds, f.colIds, Array.from(f.observations.values)], [['7'], ['8'], [9]]);
});

test('a data line with more fields than the header is an error naming file, line and counts, unless columns are picked by name', () => {
  throwsInput(
    () => parseTriplets('u,i,r\n1,1,3\n1,2,4,5\n', { file: 'r.csv' }),
    /^r\.csv, line 3: line has 4 fields but the header \(line 1\) has 3; a decimal comma/,
  );
  // Quoted, the decimal comma is one field (and not a number).
  throwsInput(
    () => parseTriplets('u,i,r\n1,2,"4,5"\n', { file: 'r.csv' }),
    /line 2, column 3 \(r\): value "4,5" is not a number/,
  );
  // With --columns the named columns are read at their header positions; fields beyond the header are ignored.
  const f = parseTriplets('u,i,r\n1,2,4,5\n', { file: 'r.csv', columns: ['u', 'i', 'r'] });
  assert.deepEqual(Array.from(f.observations.values), [4]);
  // The query's positional reading has the same rule; a query read by name ignores the other fields.
  throwsInput(
    () => parseQuery('a,b\n1,2,3\n', { file: 'q.csv', idNames: ['u', 'i'] }),
    /^q\.csv, line 2: line has 3 fields but the header \(line 1\) has 2/,
  );
  const q = parseQuery('u,i\n1,2,3\n', { file: 'q.csv', idNames: ['u', 'i'] });
  assert.deepEqual([q.rowIds, q.colIds], [['1'], ['2']]);
});

test('a query without a header is refused rather than losing its first cell', () => {
  throwsInput(
    () => parseQuery('1,2\n2,1\n', { file: 'q.csv', idNames: ['u', 'i'] }),
    /^q\.csv, line 1: this looks like a cell \("1", "2"\), not a header: .*u,i/,
  );
  // Text ids: recognized as a cell when both are observed ids.
  const knownIds = { rowIds: ['alice', 'bob'], colIds: ['dune', 'up'] };
  throwsInput(
    () => parseQuery('alice,up\nbob,dune\n', { file: 'q.csv', idNames: ['user', 'film'], knownIds }),
    /line 1: this looks like a cell \("alice", "up"\)/,
  );
  throwsInput(
    () => parseQuery('up,alice\ndune,bob\n', { file: 'q.csv', idNames: ['user', 'film'], knownIds }),
    /line 1: this looks like a cell \("up", "alice"\)/,
  );
  // A header of other names still selects the first two columns.
  const q = parseQuery('who,what\nbob,dune\n', { file: 'q.csv', idNames: ['user', 'film'], knownIds });
  assert.deepEqual([q.rowIds, q.colIds], [['bob'], ['dune']]);
});

test('a query header naming one id column but not the other is refused (no positional fallback that swaps them)', () => {
  throwsInput(
    () => parseQuery('item,u\n1,2\n', { file: 'q.csv', idNames: ['u', 'i'] }),
    /^q\.csv, line 1: the header names the id column "u" but not "i" .*name both id columns, or neither/,
  );
  throwsInput(
    () => parseQuery('x,i\n1,2\n', { file: 'q.csv', idNames: ['u', 'i'] }),
    /names the id column "i" but not "u"/,
  );
  const q = parseQuery('i,u\n1,2\n', { file: 'q.csv', idNames: ['u', 'i'] });
  assert.deepEqual([q.rowIds, q.colIds], [['2'], ['1']]);
});

test('dense --header on a first line of data is refused; integer names (years) are labels', () => {
  throwsInput(
    () => parseDense('1.5,2\n3,4\n', { file: 'g.csv', header: true }),
    /^g\.csv, line 1: .*looks like data .*drop --header/,
  );
  const d = parseDense('2019,2020\n3,4\n', { file: 'g.csv', header: true });
  assert.deepEqual(d.colIds, ['2019', '2020']);
});

test('Matrix Market indices and sizes are plain digits: "0x1", "1e0", "1.0" are refused, not read as 1', () => {
  const mm = (body: string): string => `%%MatrixMarket matrix coordinate real general\n2 2 2\n${body}`;
  throwsInput(
    () => parseMatrixMarket(mm('0x1 1 3\n2 2 1\n'), { file: 'a.mtx' }),
    /line 3, column 1: row index "0x1" is not an integer/,
  );
  throwsInput(
    () => parseMatrixMarket(mm('1 1e0 3\n2 2 1\n'), { file: 'a.mtx' }),
    /line 3, column 2: column index "1e0" is not an integer/,
  );
  throwsInput(() => parseMatrixMarket(mm('1.0 1 3\n2 2 1\n'), { file: 'a.mtx' }), /line 3, column 1: row index "1.0"/);
  throwsInput(
    () =>
      parseMatrixMarket('%%MatrixMarket matrix coordinate real general\n0x2 2 2\n1 1 1\n2 2 1\n', { file: 'a.mtx' }),
    /line 2: size line/,
  );
  throwsInput(
    () =>
      parseMatrixMarket('%%MatrixMarket matrix coordinate real general\n99999999999999999999 2 2\n1 1 1\n2 2 1\n', {
        file: 'a.mtx',
      }),
    /line 2: size line/,
  );
});

test('a line longer than MAX_LINE_CHARS (or an unclosed quote running on) is an InputError naming its line', () => {
  const long = '9'.repeat(MAX_LINE_CHARS + 1);
  throwsInput(
    () => parseTriplets(`u,i,r\n1,2,${long}\n`, { file: 'r.csv' }),
    /^r\.csv, line 2: a line longer than 1,000,000 characters/,
  );
  throwsInput(
    () => parseTriplets(`u,i,r\n1,2,"3\n${'4,5,6\n'.repeat(MAX_LINE_CHARS / 6 + 1)}`, { file: 'r.csv' }),
    /^r\.csv, line \d+: a line longer than/,
  );
  throwsInput(
    () => parseMatrixMarket(`%%MatrixMarket matrix coordinate real general\n1 1 1\n1 1 ${long}\n`, { file: 'a.mtx' }),
    /^a\.mtx, line 3: a line longer than/,
  );
});

test('written values are the shortest text that reads back as the same float64 (no 7-digit rounding)', () => {
  const xs = [
    0.1 + 0.2,
    1 / 3,
    4.1234567891,
    -2.5e-8,
    5e-324,
    1.7976931348623157e308,
    123456789.123,
    2 ** 53 + 2,
    1e21,
    -0,
  ];
  for (const x of xs) {
    const s = formatValue(x);
    assert.equal(Number(s), x, `${x} written as ${s}`);
    assert.match(s, /^-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/);
  }
  assert.equal(formatValue(0.1 + 0.2), '0.30000000000000004');
  assert.equal(formatValue(3.5), '3.5');
  // Through the writers and back through the readers.
  const pred = formatPredictions(['u', 'i', 'r'], ['1', '2'], ['a', 'b'], [1 / 3, 4.1234567891]);
  assert.deepEqual(Array.from(parseTriplets(pred, { file: 'p.csv' }).observations.values), [1 / 3, 4.1234567891]);
  const grid = [
    [1 / 7, 2 / 3],
    [Math.PI, -Math.E],
  ];
  const dense = formatDenseMatrix(['1', '2'], ['1', '2'], (i, j) => grid[i][j], {});
  assert.deepEqual(Array.from(parseDense(dense, { file: 'g.csv' }).observations.values), grid.flat());
});

test('dense: a blank line between rows is an error (skipping it would renumber the rows after it)', () => {
  throwsInput(() => parseDense('1,2\n\n3,4\n', { file: 'g.csv' }), /^g\.csv, line 2: blank line between rows/);
  throwsInput(
    () => parseDense('a,b\r\n1,2\r\n\r\n3,4\r\n', { file: 'g.csv', header: true }),
    /^g\.csv, line 3: blank line between rows/,
  );
  // Blank lines before the first row or after the last renumber nothing.
  const d = parseDense('\n1,2\n3,4\n\n\n', { file: 'g.csv' });
  assert.deepEqual(d.observations.shape, [2, 2]);
});

test('a decimal beyond the float64 range is "out of range", not "not a number"', () => {
  throwsInput(
    () => parseTriplets('u,i,r\n1,2,1e400\n', { file: 'r.csv' }),
    /line 2, column 3 \(r\): value "1e400" is out of range/,
  );
  throwsInput(
    () => parseDense('1,-1e999\n3,4\n', { file: 'g.csv' }),
    /line 1, column 2: value "-1e999" is out of range/,
  );
  throwsInput(
    () => parseMatrixMarket('%%MatrixMarket matrix coordinate real general\n1 1 1\n1 1 1e400\n', { file: 'a.mtx' }),
    /line 3, column 3: value "1e400" is out of range/,
  );
});

test('labels with white space at either end are written quoted, so they come back as the same ids', () => {
  const text = formatPredictions(['u', 'i', 'r'], [' x ', 'x'], ['\ty', 'y'], [1, 2]);
  assert.equal(text, 'u,i,r\n" x ","\ty",1\nx,y,2\n');
  const f = parseTriplets(text, { file: 'p.csv' });
  assert.deepEqual(
    [f.rowIds, f.colIds],
    [
      [' x ', 'x'],
      ['\ty', 'y'],
    ],
  );
  assert.equal(
    formatDenseMatrix([' a'], ['b '], () => 3, { corner: ' id' }),
    '" id","b "\n" a",3\n',
  );
});
