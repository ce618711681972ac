import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTriplets } from '../../../src/data/formats/triplets.ts';
import { parseDense } from '../../../src/data/formats/dense.ts';
import { parseMatrixMarket } from '../../../src/data/formats/matrix-market.ts';
import { parseQuery } from '../../../src/data/formats/query.ts';
import { formatDenseMatrix, formatPredictions } from '../../../src/data/formats/write.ts';
import { throwsInput } from '../../helpers/input-error.ts';
import { labelObservations, sortedLabels } from '../../../src/data/labels.ts';
import { splitObservations } from '../../../src/data/split.ts';
import { makeObservations } from '../../../src/data/observations.ts';

/** The triplets as (row label, column label, value), for comparing regardless of positions. */
function entries(f: {
  observations: { rows: Int32Array; cols: Int32Array; values: Float64Array };
  rowIds: readonly string[];
  colIds: readonly string[];
}) {
  const o = f.observations;
  return Array.from(o.values, (v, k) => `${f.rowIds[o.rows[k]]}|${f.colIds[o.cols[k]]}|${v}`).sort();
}

test('triplets: ids are labels, sorted numerically into positions; --columns picks by name; extra columns ignored', () => {
  const f = parseTriplets('ts,item,user,rating\n9,b,10,4.5\n9,a,2,3\n9,b,2,1e0\n', {
    file: 'r.csv',
    columns: ['user', 'item', 'rating'],
  });
  assert.deepEqual(f.rowIds, ['2', '10']);
  assert.deepEqual(f.colIds, ['a', 'b']);
  assert.deepEqual(f.names, ['user', 'item', 'rating']);
  assert.deepEqual(entries(f), ['10|b|4.5', '2|a|3', '2|b|1']);
  const plain = parseTriplets('"user id",item,value\n"x, y",7,2\n', { file: 'p.csv' });
  assert.deepEqual(plain.rowIds, ['x, y']);
  assert.deepEqual(plain.names, ['user id', 'item', 'value']);
});

test('sortedLabels: integers numerically, anything else by code unit', () => {
  assert.deepEqual(sortedLabels(['10', '9', '-1', '9']), ['-1', '9', '10']);
  assert.deepEqual(sortedLabels(['b', '10', 'a']), ['10', 'a', 'b']);
});

test('triplets: every bad input names the file, line and column', () => {
  throwsInput(() => parseTriplets('', { file: 'e.csv' }), /^e\.csv: file is empty/);
  throwsInput(
    () => parseTriplets('user,item,rating\n', { file: 'h.csv' }),
    /^h\.csv, line 1: has a header but no data lines/,
  );
  throwsInput(() => parseTriplets('a,b\n1,2\n', { file: 'w.csv' }), /w\.csv, line 1: .*at least 3 columns.*"a", "b"/);
  throwsInput(
    () => parseTriplets('userId,movieId,rating\n1,2,3\n', { file: 'n.csv', columns: ['user', 'movieId', 'rating'] }),
    /n\.csv, line 1: no column named "user".*"userId", "movieId", "rating"/,
  );
  throwsInput(
    () => parseTriplets('u,i,r\n1,2,3\n1,3,abc\n', { file: 'v.csv' }),
    /^v\.csv, line 3, column 3 \(r\): value "abc" is not a number/,
  );
  throwsInput(
    () => parseTriplets('u,i,r\n1,2,NaN\n', { file: 'v.csv' }),
    /line 2, column 3 \(r\): value "NaN" is not a finite number/,
  );
  throwsInput(
    () => parseTriplets('u,i,r\n1,2,-Inf\n', { file: 'v.csv' }),
    /line 2, column 3 \(r\): value "-Inf" is not a finite number/,
  );
  throwsInput(() => parseTriplets('u,i,r\n1,2,0x10\n', { file: 'v.csv' }), /"0x10" is not a number/);
  throwsInput(() => parseTriplets('u,i,r\n1,,3\n', { file: 'v.csv' }), /line 2, column 2 \(i\): empty id/);
  throwsInput(() => parseTriplets('u,i,r\n1,2\n', { file: 'v.csv' }), /line 2, column 3 \(r\): line has 2 fields/);
  throwsInput(() => parseTriplets('u,i,r\n1,"2,3\n', { file: 'q.csv' }), /^q\.csv.*not valid CSV/);
});

test('triplets: a duplicated (row, col) pair is an error naming both lines, or is averaged / replaced on request', () => {
  const text = 'u,i,r\n1,a,2\n2,a,5\n1,a,4\n';
  throwsInput(
    () => parseTriplets(text, { file: 'd.csv' }),
    /d\.csv, line 4: duplicate entry for row id 1 and column id a \(first seen at line 2\).*--duplicates mean/,
  );
  assert.deepEqual(entries(parseTriplets(text, { file: 'd.csv', duplicates: 'mean' })), ['1|a|3', '2|a|5']);
  assert.deepEqual(entries(parseTriplets(text, { file: 'd.csv', duplicates: 'last' })), ['1|a|4', '2|a|5']);
});

test('dense grid: gaps are empty, NaN or NA; rows and columns keep file order; --header names the columns', () => {
  const d = parseDense('1,,3\nNaN,5,na\n7,8,9\n', { file: 'g.csv' });
  assert.deepEqual(d.observations.shape, [3, 3]);
  assert.deepEqual(entries(d), ['1|1|1', '1|3|3', '2|2|5', '3|1|7', '3|2|8', '3|3|9']);
  const h = parseDense('z,a\n1,\n,2\n', { file: 'g.csv', header: true });
  assert.deepEqual(h.colIds, ['z', 'a']);
  assert.deepEqual(entries(h), ['1|z|1', '2|a|2']);
});

test('dense grid: ragged rows, empty rows or columns, words and infinities are errors with their line', () => {
  throwsInput(
    () => parseDense('1,2,3\n4,5\n', { file: 'g.csv' }),
    /g\.csv, line 2: ragged grid: this line has 2 cells but line 1 has 3/,
  );
  throwsInput(() => parseDense('1,2\n,\n3,4\n', { file: 'g.csv' }), /g\.csv, line 2: row 2 has no observed values/);
  throwsInput(() => parseDense('1,,2\n3,,4\n', { file: 'g.csv' }), /g\.csv, column 2: column 2 has no observed values/);
  throwsInput(() => parseDense('1,2\n3,x\n', { file: 'g.csv' }), /line 2, column 2: value "x" is not a number/);
  throwsInput(() => parseDense('a,b\n3,4\n', { file: 'g.csv' }), /line 1, column 1: .*pass --header/);
  throwsInput(() => parseDense('1,inf\n3,4\n', { file: 'g.csv' }), /line 1, column 2: value "inf" is not finite/);
  throwsInput(() => parseDense('', { file: 'g.csv' }), /g\.csv: file is empty/);
  throwsInput(() => parseDense('a,b\n', { file: 'g.csv', header: true }), /has a header but no data lines/);
});

test('Matrix Market coordinate: 1-based indices, comments, symmetric mirroring, and its errors', () => {
  const mm = '%%MatrixMarket matrix coordinate real general\n% a comment\n2 3 4\n1 1 1.5\n2 2 -2\n1 3 3\n2 1 4\n';
  const f = parseMatrixMarket(mm, { file: 'a.mtx' });
  assert.deepEqual(f.rowIds, ['1', '2']);
  assert.deepEqual(f.colIds, ['1', '2', '3']);
  assert.deepEqual(entries(f), ['1|1|1.5', '1|3|3', '2|1|4', '2|2|-2']);
  const sym = parseMatrixMarket('%%MatrixMarket matrix coordinate integer symmetric\n2 2 2\n1 1 1\n2 1 5\n', {
    file: 's.mtx',
  });
  assert.deepEqual(entries(sym), ['1|1|1', '1|2|5', '2|1|5']);
  throwsInput(() => parseMatrixMarket('hello\n', { file: 'a.mtx' }), /a\.mtx, line 1: not a Matrix Market file/);
  throwsInput(
    () => parseMatrixMarket('%%MatrixMarket matrix coordinate pattern general\n1 1 1\n1 1\n', { file: 'a.mtx' }),
    /field "pattern" is not supported/,
  );
  throwsInput(
    () => parseMatrixMarket('%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1\n3 1 1\n', { file: 'a.mtx' }),
    /line 4, column 1: row index "3" is not an integer in 1\.\.2/,
  );
  throwsInput(
    () => parseMatrixMarket('%%MatrixMarket matrix coordinate real general\n2 2 3\n1 1 1\n2 2 1\n', { file: 'a.mtx' }),
    /declares 3 entries but the file has 2/,
  );
  throwsInput(
    () =>
      parseMatrixMarket('%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1\n1 2 nan\n', { file: 'a.mtx' }),
    /line 4, column 3: value "nan" is not a finite number/,
  );
  throwsInput(
    () => parseMatrixMarket('%%MatrixMarket matrix coordinate real general\n3 2 2\n1 1 1\n2 2 1\n', { file: 'a.mtx' }),
    /row 3 has no entries/,
  );
});

test('query: id columns by the observed names (extra columns ignored), else its first two columns', () => {
  const q = parseQuery('rating,item,user\n5,b,10\n1,a,2\n', { file: 'q.csv', idNames: ['user', 'item'] });
  assert.deepEqual(q.rowIds, ['10', '2']);
  assert.deepEqual(q.colIds, ['b', 'a']);
  assert.deepEqual(q.names, ['user', 'item']);
  const plain = parseQuery('r,c\n1,2\n', { file: 'q.csv', idNames: ['user', 'item'] });
  assert.deepEqual([plain.rowIds, plain.colIds], [['1'], ['2']]);
  throwsInput(
    () => parseQuery('r,c\n1,2\n', { file: 'q.csv', idNames: ['user', 'item'], requireNames: true }),
    /no column named "user"/,
  );
  throwsInput(
    () => parseQuery('user,item\n', { file: 'q.csv', idNames: ['user', 'item'] }),
    /q\.csv, line 1: has a header but no data lines/,
  );
  throwsInput(
    () => parseQuery('user,item\n1,\n', { file: 'q.csv', idNames: ['user', 'item'] }),
    /line 2, column 2 \(item\): empty id/,
  );
});

test('writers: predictions keep the given order and quote labels; dense output has the requested layout', () => {
  assert.equal(
    formatPredictions(['u', 'i', 'r'], ['b,1', '2'], ['x', 'y'], [3.25, 1 / 3]),
    'u,i,r\n"b,1",x,3.25\n2,y,0.3333333333333333\n',
  );
  const v = (i: number, j: number): number => 10 * i + j;
  assert.equal(formatDenseMatrix(['1', '2'], ['a', 'b'], v, { corner: 'user' }), 'user,a,b\n1,0,1\n2,10,11\n');
  assert.equal(formatDenseMatrix(['1', '2'], ['a', 'b'], v, { header: true }), 'a,b\n0,1\n10,11\n');
  assert.equal(formatDenseMatrix(['1', '2'], ['a', 'b'], v, {}), '0,1\n10,11\n');
});

test('labelObservations from arrays (library use) and a seeded held-out split', () => {
  const f = labelObservations([5, 3, 5], ['x', 'x', 'y'], [1, 2, 3]);
  assert.deepEqual(f.rowIds, ['3', '5']);
  assert.deepEqual(entries(f), ['3|x|2', '5|x|1', '5|y|3']);
  assert.throws(() => labelObservations([1, 1], ['a', 'a'], [1, 2]), /entry 1: duplicate entry/);
  const obs = makeObservations(
    [10, 10],
    Array.from({ length: 50 }, (_, k) => k % 10),
    Array.from({ length: 50 }, (_, k) => Math.floor(k / 5)),
    Array.from({ length: 50 }, (_, k) => k),
  );
  const a = splitObservations(obs, 0.2, 4);
  const b = splitObservations(obs, 0.2, 4);
  assert.equal(a.heldOut.values.length, 10);
  assert.equal(a.train.values.length, 40);
  assert.deepEqual(a.heldOut.values, b.heldOut.values);
  assert.notDeepEqual(splitObservations(obs, 0.2, 5).heldOut.values, a.heldOut.values);
  assert.deepEqual(
    [...a.train.values, ...a.heldOut.values].sort((x, y) => x - y),
    Array.from({ length: 50 }, (_, k) => k),
  );
});
