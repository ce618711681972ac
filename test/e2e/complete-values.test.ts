import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.ts';

// Strict reading through the command: observed cells come back exactly as read (no 7-digit rounding), and files the
// readers used to read as the wrong cells are refused with one line, exit 1 and no output.
const dir = mkdtempSync(join(tmpdir(), 'mcomplete-values-'));
const file = (name: string, text?: string): string => {
  const path = join(dir, name);
  if (text !== undefined) writeFileSync(path, text);
  return path;
};

// Values 7 significant digits would change; one gap per row.
const VALUES = [
  '0.30000000000000004',
  '3.141592653589793',
  '1e-7',
  '123456.78901234',
  '-2.718281828459045',
  '4.1234567891',
  '0.1',
  '7.000000000000001',
  '5e-324',
];

test('complete --out-matrix and --out write observed cells exactly as read', () => {
  const rows: string[] = [];
  for (let i = 0; i < 4; i++)
    rows.push(Array.from({ length: 4 }, (_, j) => (j === i ? '' : VALUES[(i * 3 + j) % VALUES.length])).join(','));
  const grid = file('grid.csv', `${rows.join('\n')}\n`);
  const out = file('grid-out.csv');
  const r = runCli(['complete', grid, '--dense', '--out-matrix', out, '--method', 'soft-impute', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const written = readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(','));
  rows.forEach((row, i) =>
    row.split(',').forEach((cell, j) => {
      if (cell !== '') assert.equal(written[i][j], cell, `cell (${i + 1}, ${j + 1})`);
      else assert.ok(Number.isFinite(Number(written[i][j])));
    }),
  );

  const triples = ['user,item,rating'];
  rows.forEach((row, i) => row.split(',').forEach((cell, j) => cell !== '' && triples.push(`u${i},m${j},${cell}`)));
  const ratings = file('ratings.csv', `${triples.join('\n')}\n`);
  const query = file('query.csv', 'item,user\nm1,u0\nm0,u1\nm0,u0\n');
  const pred = file('pred.csv');
  const q = runCli(['complete', ratings, '--query', query, '--out', pred, '--method', 'soft-impute', '--quiet']);
  assert.equal(q.code, 0, q.stderr);
  const lines = readFileSync(pred, 'utf8').trim().split('\n');
  // Written as row id, column id, value, whatever the query's column order.
  assert.equal(lines[0], 'user,item,rating');
  assert.equal(lines[1], `u0,m1,${rows[0].split(',')[1]}`);
  assert.equal(lines[2], `u1,m0,${rows[1].split(',')[0]}`);
  assert.match(lines[3], /^u0,m0,-?\d/);
});

/** Runs a command that must fail with exit 1, one line matching `pattern`, and no output file. */
function refused(args: string[], pattern: RegExp, out: string): void {
  const r = runCli(args);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, pattern);
  assert.ok(!existsSync(out));
}

test('complete refuses repeated header names, headerless files and queries, half-named query headers and decimal commas', () => {
  const good = file('good.csv', 'user,item,rating\n1,1,4\n1,2,3\n2,1,5\n2,2,1\n3,1,2\n3,2,4\n');
  const q = file('q.csv', 'user,item\n1,1\n');
  const out = file('never.csv');
  const args = (observed: string, query = q): string[] => [
    'complete',
    observed,
    '--query',
    query,
    '--out',
    out,
    '--quiet',
  ];
  refused(
    args(file('dup.csv', 'id,id,rating\n1,1,4\n1,2,3\n')),
    /dup\.csv, line 1, column 2: column name "id" repeats column 1/,
    out,
  );
  refused(
    args(file('bare.csv', '1,1,4\n1,2,3\n2,1,5\n')),
    /bare\.csv, line 1: this looks like data, not a header/,
    out,
  );
  refused(
    args(file('comma.csv', 'user,item,rating\n1,1,4,5\n1,2,3\n')),
    /comma\.csv, line 2: line has 4 fields but the header \(line 1\) has 3/,
    out,
  );
  refused(
    args(good, file('bareq.csv', '1,2\n2,1\n')),
    /bareq\.csv, line 1: this looks like a cell \("1", "2"\), not a header/,
    out,
  );
  refused(
    args(good, file('halfq.csv', 'item,user\n1,2\n'.replace('item', 'movie'))),
    /halfq\.csv, line 1: the header names the id column "user" but not "item"/,
    out,
  );
});
