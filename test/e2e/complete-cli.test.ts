import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.ts';
import { ratingsProblem } from '../helpers/ratings.ts';

const dir = mkdtempSync(join(tmpdir(), 'mcomplete-complete-'));
const file = (name: string, text?: string): string => {
  const path = join(dir, name);
  if (text !== undefined) writeFileSync(path, text);
  return path;
};

const NOISE = 0.1;
const problem = ratingsProblem({ m: 40, n: 30, rank: 2, p: 0.6, noise: NOISE, seed: 8, offset: 3 });
const observedCsv = file('observed.csv', problem.observedCsv);
// The query adds a user never observed at the end.
const queryCsv = file('query.csv', `${problem.queryCsv}424242,m0\n`);

/** Lines of a CSV file split into fields (no quoting in these tests). */
const csvLines = (path: string): string[][] =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(','));

test('complete: ratings with --columns, a query and a report; predictions in query order near the truth', () => {
  const out = file('pred.csv');
  const report = file('report.json');
  const r = runCli([
    'complete',
    observedCsv,
    '--columns',
    'user,item,rating',
    '--query',
    queryCsv,
    '--out',
    out,
    '--report',
    report,
    '--method',
    'soft-impute',
    '--seed',
    '3',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  const lines = csvLines(out);
  assert.deepEqual(lines[0], ['user', 'item', 'rating']);
  const query = csvLines(queryCsv).slice(1);
  assert.equal(lines.length - 1, query.length);
  let se = 0;
  for (let k = 0; k < problem.truth.length; k++) {
    assert.deepEqual(lines[k + 1].slice(0, 2), query[k], `line ${k + 2} keeps the query's ids and order`);
    se += (Number(lines[k + 1][2]) - problem.truth[k]) ** 2;
  }
  assert.ok(
    Math.sqrt(se / problem.truth.length) < 2.5 * NOISE,
    `RMSE against the truth ${Math.sqrt(se / problem.truth.length)}`,
  );
  const rep = JSON.parse(readFileSync(report, 'utf8'));
  assert.equal(rep.method, 'soft-impute');
  assert.equal(rep.validation.seed, 3);
  assert.ok(rep.tried.length >= 4 && rep.tried.every((t: { validationRMSE: number }) => t.validationRMSE > 0));
  assert.ok(rep.seconds.total > 0);
  assert.equal(rep.query.unknownRowCells, 1);
  assert.match(rep.fallbackRule, /unknown row id: global mean \+ column bias/);
  assert.match(r.stderr, /settings tried/);
  assert.match(r.stderr, /chosen: soft-impute rank 20/);
  assert.match(
    r.stderr,
    /query: \d+ cells; 1 with an id never observed \(fallback to biases\): 1 cells of 1 unknown row ids/,
  );
  assert.doesNotMatch(readdirSync(dir).join(' '), /\.tmp/);
});

test('complete: a dense grid with gaps, --out-matrix keeps the layout and the observed values', () => {
  const rows: string[] = [];
  for (let i = 0; i < 12; i++) {
    const cells: string[] = [];
    for (let j = 0; j < 9; j++)
      cells.push((i * 7 + j * 3) % 4 === 0 ? ((i + j) % 2 === 0 ? '' : 'NaN') : String(1 + ((i + 1) * (j + 2)) / 10));
    rows.push(cells.join(','));
  }
  const grid = file('grid.csv', `${'abcdefghi'.split('').join(',')}\n${rows.join('\n')}\n`);
  const out = file('grid-out.csv');
  const r = runCli(['complete', grid, '--dense', '--header', '--out-matrix', out, '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  const lines = csvLines(out);
  assert.deepEqual(lines[0], 'abcdefghi'.split(''));
  assert.equal(lines.length, 13);
  let se = 0;
  let gaps = 0;
  for (let i = 0; i < 12; i++) {
    const src = rows[i].split(',');
    assert.equal(lines[i + 1].length, 9);
    for (let j = 0; j < 9; j++) {
      const v = Number(lines[i + 1][j]);
      assert.ok(Number.isFinite(v));
      if (src[j] !== '' && src[j] !== 'NaN') assert.equal(v, Number(src[j]));
      else {
        se += (v - (1 + ((i + 1) * (j + 2)) / 10)) ** 2;
        gaps++;
      }
    }
  }
  // Values run from 1.2 to 13 (a rank-1 product plus row and column terms).
  assert.ok(Math.sqrt(se / gaps) < 0.3, `RMSE over the ${gaps} gaps ${Math.sqrt(se / gaps)}`);
});

test('complete: Matrix Market input, query by row,col', () => {
  const mm = ['%%MatrixMarket matrix coordinate real general', '4 3 9'];
  for (let i = 1; i <= 4; i++)
    for (let j = 1; j <= 3; j++) if (!(i === j || (i === 4 && j === 1))) mm.push(`${i} ${j} ${i * j}`);
  mm[1] = `4 3 ${mm.length - 2}`;
  const path = file('m.mtx', `${mm.join('\n')}\n`);
  const q = file('mq.csv', 'row,col\n2,2\n4,1\n');
  const out = file('mq-out.csv');
  const r = runCli([
    'complete',
    path,
    '--query',
    q,
    '--out',
    out,
    '--method',
    'soft-impute',
    '--validation',
    '0.2',
    '--quiet',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const lines = csvLines(out);
  assert.deepEqual(lines[0], ['row', 'col', 'value']);
  assert.deepEqual(
    lines.slice(1).map((l) => l.slice(0, 2)),
    [
      ['2', '2'],
      ['4', '1'],
    ],
  );
});

/** Runs a command that must fail: exit code, one line on stderr matching `pattern`, no stack trace, no output file. */
function expectFailure(args: string[], code: number, pattern: RegExp, outputs: string[] = []): void {
  const r = runCli(args);
  assert.equal(r.code, code, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^mcomplete: /);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(r.stderr, /\bat .*:\d+:\d+/);
  for (const path of outputs) assert.ok(!existsSync(path), `${path} must not exist`);
  assert.doesNotMatch(readdirSync(dir).join(' '), /\.tmp/);
}

const ratingsArgs = (observed: string, out: string): string[] => [
  'complete',
  observed,
  '--query',
  queryCsv,
  '--out',
  out,
  '--quiet',
];

test('bad input: a missing file', () => {
  const out = file('o1.csv');
  expectFailure(ratingsArgs(join(dir, 'nope.csv'), out), 1, /nope\.csv: no such file/, [out]);
});

test('bad input: an empty file, and a header without data', () => {
  const out = file('o2.csv');
  expectFailure(ratingsArgs(file('empty.csv', ''), out), 1, /empty\.csv: file is empty/, [out]);
  expectFailure(
    ratingsArgs(file('header.csv', 'user,item,rating\n'), out),
    1,
    /header\.csv, line 1: has a header but no data lines/,
    [out],
  );
});

test('bad input: wrong column names', () => {
  const out = file('o3.csv');
  expectFailure(
    [...ratingsArgs(observedCsv, out), '--columns', 'userId,movieId,rating'],
    1,
    /observed\.csv, line 1: no column named "userId" in the header \(columns: "user", "item", "rating", "extra"\)/,
    [out],
  );
});

test('bad input: a non-numeric value, NaN and Inf name the file, line and column', () => {
  const out = file('o4.csv');
  expectFailure(
    ratingsArgs(file('word.csv', 'user,item,rating\n1,a,3\n2,b,three\n'), out),
    1,
    /word\.csv, line 3, column 3 \(rating\): value "three" is not a number/,
    [out],
  );
  expectFailure(
    ratingsArgs(file('nan.csv', 'user,item,rating\n1,a,NaN\n'), out),
    1,
    /nan\.csv, line 2, column 3 \(rating\): value "NaN" is not a finite number/,
    [out],
  );
  expectFailure(
    ratingsArgs(file('inf.csv', 'user,item,rating\n1,a,2\n1,b,Infinity\n'), out),
    1,
    /inf\.csv, line 3, column 3 \(rating\): value "Infinity" is not a finite number/,
    [out],
  );
});

test('bad input: duplicate (row, col) pairs are an error unless --duplicates says mean or last', () => {
  const out = file('o5.csv');
  const [user, item] = problem.observedCsv.split('\n')[1].split(',');
  const dup = file('dup.csv', `${problem.observedCsv}${user},${item},9,x\n`);
  const last = readFileSync(dup, 'utf8').trim().split('\n').length;
  expectFailure(
    ratingsArgs(dup, out),
    1,
    new RegExp(
      `dup\\.csv, line ${last}: duplicate entry for row id ${user} and column id ${item} \\(first seen at line 2\\); choose --duplicates mean`,
    ),
    [out],
  );
  for (const policy of ['mean', 'last']) {
    const r = runCli([...ratingsArgs(dup, out), '--duplicates', policy, '--method', 'soft-impute']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(out));
  }
});

test('bad input: ragged dense rows, and a dense row or column with no observations', () => {
  const out = file('o6.csv');
  const args = (grid: string): string[] => ['complete', grid, '--dense', '--out-matrix', out, '--quiet'];
  expectFailure(
    args(file('ragged.csv', '1,2,3\n4,5,6\n7,8\n')),
    1,
    /ragged\.csv, line 3: ragged grid: this line has 2 cells but line 1 has 3/,
    [out],
  );
  expectFailure(
    args(file('emptyrow.csv', '1,2,3\n,NaN,\n7,8,9\n')),
    1,
    /emptyrow\.csv, line 2: row 2 has no observed values: nothing to complete it from/,
    [out],
  );
  expectFailure(
    args(file('emptycol.csv', '1,,3\n4,,6\n7,NA,9\n')),
    1,
    /emptycol\.csv, column 2: column 2 has no observed values/,
    [out],
  );
});

test('a query with ids never observed gets the documented fallback and is counted, not an error', () => {
  const out = file('o7.csv');
  const q = file(
    'unknown-q.csv',
    `user,item\n${problem.rowId(1)},${problem.colId(2)}\n5,${problem.colId(2)}\n${problem.rowId(1)},zzz\n5,zzz\n`,
  );
  const report = file('o7.json');
  const r = runCli([
    'complete',
    observedCsv,
    '--query',
    q,
    '--out',
    out,
    '--report',
    report,
    '--method',
    'soft-impute',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /query: 4 cells; 3 with an id never observed \(fallback to biases\): 2 cells of 1 unknown row ids, 2 cells of 1 unknown column ids/,
  );
  const rep = JSON.parse(readFileSync(report, 'utf8'));
  assert.deepEqual([rep.query.unknownCells, rep.query.unknownRowIds, rep.query.unknownColIds], [3, 1, 1]);
  const values = csvLines(out)
    .slice(1)
    .map((l) => Number(l[2]));
  assert.ok(values.every(Number.isFinite));
  assert.ok(Math.abs(values[3] - 3) < 0.5, `both ids unknown: the global mean, got ${values[3]}`);
});

test('bad input: more rank than the observations support (without weight decay) says how many are needed', () => {
  const out = file('o8.csv');
  expectFailure(
    [
      ...ratingsArgs(observedCsv, out),
      '--columns',
      'user,item,rating',
      '--method',
      'ratio',
      '--rank',
      '15',
      '--weight-decay',
      '0',
    ],
    1,
    /ratio: rank 15 on a 40×30 matrix has k\(m\+n−k\) = 825 free parameters and needs at least that many observed entries to fit, but the fit sees \d+ .*largest rank these data support is \d+/,
    [out],
  );
});

test('usage errors exit 2 with one line: bad method, --query without --out, --lambda with auto, bad output folder', () => {
  const out = file('o9.csv');
  expectFailure(['complete', observedCsv, '--method', 'svd'], 2, /--method.*auto, ratio, soft-impute, nuclear/);
  expectFailure(['complete', observedCsv, '--query', queryCsv], 2, /'--query' needs '--out/);
  expectFailure(['complete', observedCsv, '--lambda', '1'], 2, /'--lambda' needs '--method/);
  expectFailure(['complete', observedCsv, '--rank', 'two'], 2, /--rank.*integers/);
  expectFailure(['complete', observedCsv, '--validation', '0.9'], 2, /--validation.*\(0, 0\.5\]/);
  expectFailure(
    ['complete', observedCsv, '--query', queryCsv, '--out', join(dir, 'missing-folder', 'p.csv')],
    1,
    /missing-folder.*folder .* does not exist/,
    [out],
  );
});
