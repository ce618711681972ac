import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseTriplets, readTriplets } from '../../../src/data/formats/triplets.ts';
import { parseDense } from '../../../src/data/formats/dense.ts';
import { parseMatrixMarket } from '../../../src/data/formats/matrix-market.ts';
import { parseQuery } from '../../../src/data/formats/query.ts';
import { MAX_LINE_CHARS } from '../../../src/data/formats/csv.ts';
import { labelObservations } from '../../../src/data/labels.ts';
import { InputError } from '../../../src/data/input-error.ts';
import {
  legacyLabelObservations,
  legacyParseDense,
  legacyParseMatrixMarket,
  legacyParseQuery,
  legacyParseTriplets,
} from '../../helpers/legacy-readers.ts';
import { throwsInput } from '../../helpers/input-error.ts';

// The streaming readers against the readers they replace (whole text through csv-parse, test/helpers/
// legacy-readers.ts): on random text built from the pieces that matter to CSV (quotes, commas, the three line
// endings, blanks, a BOM, non-ASCII and control characters, numbers and words), fed whole and in random byte
// chunks (cut inside UTF-8 sequences and line endings), both give the same reading or the same message.
const CASES = 400;
const SEED = 5;

const PIECES = [
  '1',
  '2',
  '3',
  '10',
  '007',
  '-0',
  '-4',
  '+5',
  '4.5',
  '1e3',
  '1e400',
  '.5',
  'NaN',
  'NA',
  'inf',
  'a',
  'b',
  'x y',
  ',',
  ',',
  ',',
  ',',
  '\n',
  '\n',
  '\n',
  '\r\n',
  '\r',
  ' ',
  '\t',
  '"',
  '""',
  '\uFEFF',
  'é',
  '\u00a0',
  '\u0000',
  '\u000b',
  '😀',
  'u,i,r',
  'row,col,value',
  '%',
  '%%MatrixMarket matrix coordinate real general',
  '2 2 2',
  '1 1 1',
  '2 2 3.5',
  ' 1 2 4',
  'symmetric',
];

const text = fc.array(fc.constantFrom(...PIECES), { maxLength: 40 }).map((parts) => parts.join(''));
/** Text more like a real file: a header, then lines of three fields, with a few pieces thrown in. */
const csvLike = fc
  .tuple(
    fc.array(
      fc.tuple(
        fc.constantFrom('1', '2', '3', 'a', '"b"', '10', ''),
        fc.constantFrom('1', 'x', '2', '"y,z"'),
        fc.constantFrom('1', '2.5', '-3', 'NaN', ''),
      ),
      { maxLength: 8 },
    ),
    fc.constantFrom('\n', '\r\n', '\r'),
    fc.array(fc.tuple(fc.nat(), fc.constantFrom(...PIECES)), { maxLength: 3 }),
  )
  .map(([rows, eol, noise]) => {
    let t = ['u,i,r', ...rows.map((r) => r.join(','))].join(eol) + eol;
    for (const [at, piece] of noise) {
      const p = at % (t.length + 1);
      t = t.slice(0, p) + piece + t.slice(p);
    }
    return t;
  });
const input = fc.oneof(text, csvLike);
const cuts = fc.array(fc.nat(), { maxLength: 6 });

/** The UTF-8 bytes of text cut at the given positions (sorted, any byte, inside sequences too). */
function chunked(t: string, at: number[]): Uint8Array[] {
  const bytes = new TextEncoder().encode(t);
  const points = [...new Set(at.map((a) => a % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const p of points) {
    chunks.push(bytes.slice(from, p));
    from = p;
  }
  chunks.push(bytes.slice(from));
  return chunks;
}

/** A reading as plain data, or the error's class and message. */
function outcome(read: () => unknown): unknown {
  try {
    const r = read() as Record<string, unknown>;
    return JSON.parse(
      JSON.stringify(r, (_, v: unknown) =>
        ArrayBuffer.isView(v) ? Array.from(v as Float64Array, (x) => (Object.is(x, -0) ? '-0' : x)) : v,
      ),
    );
  } catch (err) {
    if (err instanceof InputError) return { error: err.message, location: err.location };
    if (err instanceof RangeError) return { rangeError: err.message };
    throw err;
  }
}

function same(name: string, fresh: (t: string | Uint8Array[]) => unknown, legacy: (t: string) => unknown): void {
  fc.assert(
    fc.property(input, cuts, (t, at) => {
      const want = outcome(() => legacy(t));
      assert.deepEqual(
        outcome(() => fresh(t)),
        want,
        `${name}, whole: ${JSON.stringify(t)}`,
      );
      assert.deepEqual(
        outcome(() => fresh(chunked(t, at))),
        want,
        `${name}, in chunks: ${JSON.stringify(t)}`,
      );
    }),
    { numRuns: CASES, seed: SEED },
  );
}

test('triplets: the same readings and messages as whole-text csv-parse, whole or in chunks', () => {
  same(
    'triplets',
    (t) => parseTriplets(t, { file: 't.csv' }),
    (t) => legacyParseTriplets(t, { file: 't.csv' }),
  );
  same(
    'triplets --columns, mean',
    (t) => parseTriplets(t, { file: 't.csv', columns: ['u', 'i', 'r'], duplicates: 'mean' }),
    (t) => legacyParseTriplets(t, { file: 't.csv', columns: ['u', 'i', 'r'], duplicates: 'mean' }),
  );
  same(
    'triplets, last',
    (t) => parseTriplets(t, { file: 't.csv', duplicates: 'last' }),
    (t) => legacyParseTriplets(t, { file: 't.csv', duplicates: 'last' }),
  );
});

test('dense: the same readings and messages as whole-text csv-parse', () => {
  same(
    'dense',
    (t) => parseDense(t, { file: 'g.csv' }),
    (t) => legacyParseDense(t, { file: 'g.csv' }),
  );
  same(
    'dense --header',
    (t) => parseDense(t, { file: 'g.csv', header: true }),
    (t) => legacyParseDense(t, { file: 'g.csv', header: true }),
  );
});

test('query: the same cells and messages as whole-text csv-parse', () => {
  const knownIds = { rowIds: ['1', '2', 'a'], colIds: ['x', '2'] };
  same(
    'query',
    (t) => parseQuery(t, { file: 'q.csv', idNames: ['u', 'i'], knownIds }),
    (t) => legacyParseQuery(t, { file: 'q.csv', idNames: ['u', 'i'], knownIds }),
  );
  same(
    'query, names required',
    (t) => parseQuery(t, { file: 'q.csv', idNames: ['u', 'i'], requireNames: true }),
    (t) => legacyParseQuery(t, { file: 'q.csv', idNames: ['u', 'i'], requireNames: true }),
  );
});

test('Matrix Market: the same readings and messages as reading the whole text', () => {
  const banner = '%%MatrixMarket matrix coordinate real general\n';
  same(
    'mtx',
    (t) => parseMatrixMarket(t, { file: 'a.mtx' }),
    (t) => legacyParseMatrixMarket(t, { file: 'a.mtx' }),
  );
  same(
    'mtx after a banner',
    (t) =>
      parseMatrixMarket(typeof t === 'string' ? banner + t : [new TextEncoder().encode(banner), ...t], {
        file: 'a.mtx',
        duplicates: 'last',
      }),
    (t) => legacyParseMatrixMarket(banner + t, { file: 'a.mtx', duplicates: 'last' }),
  );
});

test('labelObservations: the same labels, positions, merges and messages as before', () => {
  const ids = fc.constantFrom('1', '2', '10', '007', '7', '-0', 'a', 'b');
  fc.assert(
    fc.property(
      fc.array(fc.tuple(ids, ids, fc.constantFrom(1, 2.5, -3, NaN)), { maxLength: 12 }),
      fc.constantFrom('error', 'mean', 'last'),
      (entries, duplicates) => {
        const args = [entries.map((e) => e[0]), entries.map((e) => e[1]), entries.map((e) => e[2])] as const;
        const opts = { duplicates: duplicates as 'error' | 'mean' | 'last', describe: (k: number) => `entry #${k}` };
        assert.deepEqual(
          outcome(() => labelObservations(...args, opts)),
          outcome(() => legacyLabelObservations(...args, opts)),
        );
      },
    ),
    { numRuns: CASES, seed: SEED },
  );
});

test('parseTriplets with two columns is an InputError naming the file and line, not a TypeError', () => {
  // A JavaScript caller (or a cast) can pass two names where three are typed.
  const two = ['u', 'i'] as unknown as [string, string, string];
  throwsInput(
    () => parseTriplets('u,i\n1,2\n', { file: 'two.csv', columns: two }),
    /^two\.csv, line 1: columns must name three columns \(row id, column id, value\), got 2: "u", "i"$/,
  );
  throwsInput(
    () => parseTriplets('x\nu,i,r\n1,2,3\n', { file: 'two.csv', columns: two }),
    /^two\.csv, line 1: columns must name three columns/,
  );
  throwsInput(
    () => parseTriplets('a,b\n1,2\n', { file: 'two.csv' }),
    /^two\.csv, line 1: expected a header with at least 3 columns/,
  );
});

test('a long line or an endless one stops at the stated bound, with one line naming it', async () => {
  // An endless line of NUL bytes (/dev/zero): stopped after a few MB, not at the end of memory.
  let fed = 0;
  function* zeros(): Generator<Uint8Array> {
    for (;;) {
      fed += 1 << 16;
      yield new Uint8Array(1 << 16);
    }
  }
  throwsInput(
    () => parseTriplets(zeros(), { file: '/dev/zero' }),
    /^\/dev\/zero, line 1: a line longer than 1,000,000 characters/,
  );
  assert.ok(fed <= 8 * MAX_LINE_CHARS, `read ${fed} bytes`);
  // An endless stream of short lines inside an open quote.
  function* quoted(): Generator<string> {
    yield 'u,i,r\n1,2,"';
    for (;;) yield 'x\n'.repeat(1000);
  }
  throwsInput(() => parseTriplets(quoted(), { file: 'q.csv' }), /^q\.csv, line \d+: a line longer than/);
  await assert.rejects(
    readTriplets(
      (async function* () {
        yield* zeros();
      })(),
      { file: 'z' },
    ),
    /^InputError: z, line 1: a line longer/,
  );
  function* mtxZeros(): Generator<Uint8Array> {
    yield new TextEncoder().encode('%%MatrixMarket matrix coordinate real general\n');
    yield* zeros();
  }
  throwsInput(() => parseMatrixMarket(mtxZeros(), { file: 'z.mtx' }), /^z\.mtx, line 2: a line longer than/);
});

test('a ratings file read in chunks keeps no string per entry: integer ids become numbers, values typed arrays', () => {
  const lines = ['user,item,rating'];
  for (let k = 0; k < 3000; k++)
    lines.push(`${(k * 7919) % 500},${(k * 104729) % 301}${k % 3 === 0 ? 'x' : ''},${(k % 9) / 2}`);
  const t = `${lines.join('\n')}\n`;
  const f = parseTriplets(chunked(t, [5, 17, 4096, 9000]), { file: 'r.csv', duplicates: 'last' });
  assert.deepEqual(
    outcome(() => f),
    outcome(() => legacyParseTriplets(t, { file: 'r.csv', duplicates: 'last' })),
  );
  assert.ok(f.observations.rows instanceof Int32Array && f.observations.values instanceof Float64Array);
});
