import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify } from 'csv-stringify/sync';
import { parseTriplets } from '../../src/data/formats/triplets.ts';
import { parseDense } from '../../src/data/formats/dense.ts';
import { parseMatrixMarket } from '../../src/data/formats/matrix-market.ts';
import { parseQuery } from '../../src/data/formats/query.ts';
import { formatDenseMatrix, formatPredictions, formatValue } from '../../src/data/formats/write.ts';
import { InputError } from '../../src/data/input-error.ts';
import type { LabeledObservations } from '../../src/data/labels.ts';
import { complete } from '../../src/complete/index.ts';

// Property-based tests of the readers and writers, with fast-check. Each property runs CASES cases
// (1,000: docs/complete.md states it) from the fixed seed SEED, so a run is reproducible; a failure prints the
// shrunk counterexample and the seed and path to replay it. Everything is in process, from strings.
const CASES = 1000;
const SEED = 17;
const run = <T>(property: fc.IPropertyWithHooks<T> | fc.IProperty<T>): void =>
  fc.assert(property, { numRuns: CASES, seed: SEED });

/** The entries of a reading as label pairs → value. */
function cellsOf(f: LabeledObservations): Map<string, number> {
  const o = f.observations;
  const out = new Map<string, number>();
  for (let k = 0; k < o.values.length; k++)
    out.set(JSON.stringify([f.rowIds[o.rows[k]], f.colIds[o.cols[k]]]), o.values[k]);
  return out;
}

/** Any finite float64: subnormals, -0, the largest values. */
const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
/** Labels with CSV's hard characters (comma, quote, line breaks, white space at either end, non-ASCII); never empty. */
const label = fc.string({
  unit: fc.constantFrom('a', 'Z', '7', '0', ',', '"', ' ', '\t', '\u00a0', '\n', '\r', 'é', '😀', '-', '.', '+', ';'),
  minLength: 1,
  maxLength: 5,
});
/** Header names of the three triplet columns: distinct, and the value column not a number. */
const names = fc
  .uniqueArray(fc.constantFrom('user', 'item', 'rating', 'u', 'i', 'r', 'user id', '"q"', 'a,b', '1', '2'), {
    minLength: 3,
    maxLength: 3,
  })
  .filter((ns) => !/^\d+$/.test(ns[2])) as fc.Arbitrary<[string, string, string]>;

/** A valid triplet file as the writer produces it: distinct cells in random order, and what it holds. */
const tripletFile = fc
  .record({
    names,
    rows: fc.uniqueArray(label, { minLength: 1, maxLength: 6 }),
    cols: fc.uniqueArray(label, { minLength: 1, maxLength: 6 }),
    picks: fc.array(fc.tuple(fc.nat(), fc.nat(), finite), { minLength: 1, maxLength: 30 }),
  })
  .map(({ names, rows, cols, picks }) => {
    const seen = new Set<string>();
    const r: string[] = [];
    const c: string[] = [];
    const v: number[] = [];
    for (const [a, b, x] of picks) {
      const key = JSON.stringify([rows[a % rows.length], cols[b % cols.length]]);
      if (seen.has(key)) continue;
      seen.add(key);
      r.push(rows[a % rows.length]);
      c.push(cols[b % cols.length]);
      v.push(x);
    }
    return { names, r, c, v, text: formatPredictions(names, r, c, v) };
  });

test(`triplets: read → write is the identity on ${CASES} random files (labels with quotes, commas, line breaks, white space at the ends; any finite value)`, () => {
  run(
    fc.property(tripletFile, ({ names, r, c, v, text }) => {
      const f = parseTriplets(text, { file: 't.csv' });
      assert.deepEqual(f.names, names);
      const cells = cellsOf(f);
      assert.equal(cells.size, v.length);
      const back = r.map((row, k) => cells.get(JSON.stringify([row, c[k]])) as number);
      back.forEach((x, k) => assert.ok(Object.is(x, v[k]), `cell ${k}: read ${x}, wrote ${v[k]}`));
      assert.equal(formatPredictions(f.names, r, c, back), text);
    }),
  );
});

/** Asserts two grids hold the same float64 values, bit for bit (-0 apart from 0). */
function assertSameGrid(a: number[][], b: number[][]): void {
  assert.equal(a.length, b.length);
  a.forEach((row, i) =>
    row.forEach((x, j) => assert.ok(Object.is(x, b[i][j]), `cell (${i + 1}, ${j + 1}): ${x} for ${b[i][j]}`)),
  );
}

/** The values of a full dense CSV grid, read back with the reader. */
function denseValues(text: string): number[][] {
  const d = parseDense(text, { file: 'out.csv' });
  const [m, n] = d.observations.shape;
  const g = Array.from({ length: m }, () => new Array<number>(n).fill(NaN));
  d.observations.values.forEach((x, k) => (g[d.observations.rows[k]][d.observations.cols[k]] = x));
  return g;
}

/** A fully observed m×n grid with mn ≥ 6 (complete() holds out a validation split) and any finite values. */
const grid = fc
  .record({ m: fc.integer({ min: 1, max: 5 }), n: fc.integer({ min: 2, max: 5 }) })
  .filter(({ m, n }) => m * n >= 6)
  .chain(({ m, n }) => fc.array(fc.array(finite, { minLength: n, maxLength: n }), { minLength: m, maxLength: m }));

/** Fit options under which complete() must hand observed cells back exactly: soft-impute rank 1, no centering. */
const FIT = { method: 'soft-impute', ranks: [1], center: false } as const;

test(`dense: read → write is the identity on ${CASES} grids, and read → complete → write on ${CASES} (observed cells kept)`, () => {
  const text = (g: number[][], header: string[] | null): string =>
    formatDenseMatrix(
      g.map((_, i) => String(i + 1)),
      header ?? g[0].map((_, j) => String(j + 1)),
      (i, j) => g[i][j],
      { header: header !== null },
    );
  run(
    fc.property(grid, fc.boolean(), (g, withHeader) => {
      const header = withHeader ? g[0].map((_, j) => `c${j}`) : null;
      const t = text(g, header);
      const d = parseDense(t, { file: 'g.csv', header: withHeader });
      const at = cellsOf(d);
      const back = g.map((row, i) => row.map((_, j) => at.get(JSON.stringify([String(i + 1), d.colIds[j]])) as number));
      assertSameGrid(back, g);
      assert.equal(text(back, header), t);
    }),
  );
  run(
    fc.property(grid, fc.nat(), (g, seed) => {
      const t = text(g, null);
      const d = parseDense(t, { file: 'g.csv' });
      const model = complete(d, { ...FIT, seed });
      const out = formatDenseMatrix(d.rowIds, d.colIds, (i, j) => model.predictAt(i, j, { keepObserved: true }), {});
      assert.equal(out, t);
      assertSameGrid(denseValues(out), g);
    }),
  );
});

test(`triplets and Matrix Market: read → complete → write hands every observed cell back exactly (${CASES} cases each)`, () => {
  run(
    fc.property(grid, fc.nat(), (g, seed) => {
      // Triplets in a shuffled order (by seed), ids as labels: predictMany in file order must give the file back.
      const r: string[] = [];
      const c: string[] = [];
      const v: number[] = [];
      g.forEach((row, i) =>
        row.forEach((x, j) => (r.push(`u${(i * 7 + seed) % 11}-${i}`), c.push(String(100 - j)), v.push(x))),
      );
      const order = r.map((_, k) => k).sort((a, b) => ((a * 31 + seed) % 97) - ((b * 31 + seed) % 97) || a - b);
      const text = formatPredictions(
        ['user', 'item', 'rating'],
        order.map((k) => r[k]),
        order.map((k) => c[k]),
        order.map((k) => v[k]),
      );
      const f = parseTriplets(text, { file: 't.csv' });
      const model = complete(f, { ...FIT, seed });
      const p = model.predictMany(
        order.map((k) => r[k]),
        order.map((k) => c[k]),
        { keepObserved: true },
      );
      assert.equal(
        formatPredictions(
          f.names,
          order.map((k) => r[k]),
          order.map((k) => c[k]),
          p.values,
        ),
        text,
      );
      order.forEach((k, t) => assert.ok(Object.is(p.values[t], v[k]), `cell ${k}: ${p.values[t]} for ${v[k]}`));
    }),
  );
  run(
    fc.property(grid, fc.nat(), (g, seed) => {
      const m = g.length;
      const n = g[0].length;
      const lines = g.flatMap((row, i) => row.map((x, j) => `${i + 1} ${j + 1} ${formatValue(x)}`));
      lines.sort((a, b) => ((a.length * 13 + seed) % 7) - ((b.length * 13 + seed) % 7) || (a < b ? -1 : 1));
      const mm = `%%MatrixMarket matrix coordinate real general\n% made by a property test\n${m} ${n} ${m * n}\n${lines.join('\n')}\n`;
      const f = parseMatrixMarket(mm, { file: 'a.mtx' });
      const model = complete(f, { ...FIT, seed });
      const out = formatDenseMatrix(f.rowIds, f.colIds, (i, j) => model.predictAt(i, j, { keepObserved: true }), {});
      assert.equal(
        out,
        formatDenseMatrix(f.rowIds, f.colIds, (i, j) => g[i][j], {}),
      );
      assertSameGrid(denseValues(out), g);
    }),
  );
});

test(`query: ${CASES} random query files give their cells in order, by name whatever the column order; without a header, an error`, () => {
  run(
    fc.property(
      fc.uniqueArray(label, { minLength: 1, maxLength: 4 }),
      fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 10 }),
      fc.constantFrom('named', 'swapped', 'extra', 'other', 'none'),
      (ids, picks, layout) => {
        const r = picks.map(([a]) => ids[a % ids.length]);
        const c = picks.map(([, b]) => ids[b % ids.length]);
        const rowsOf = (k: number): string[] => [r[k], c[k]];
        const table: Record<string, [string[], (k: number) => string[]]> = {
          named: [['user', 'item'], rowsOf],
          swapped: [['item', 'user'], (k) => [c[k], r[k]]],
          extra: [['x', 'item', 'rating', 'user'], (k) => ['0', c[k], '3.5', r[k]]],
          other: [['who', 'what'], rowsOf],
          none: [[], rowsOf],
        };
        const [header, line] = table[layout];
        const body = picks.map((_, k) => line(k));
        // Quoted where CSV needs it and where white space at an end must survive the reader's trim.
        const text = stringify(header.length ? [header, ...body] : body, { quoted_match: /^\s|\s$/ });
        const knownIds = { rowIds: ids, colIds: ids };
        const read = (): ReturnType<typeof parseQuery> =>
          parseQuery(text, { file: 'q.csv', idNames: ['user', 'item'], knownIds });
        if (layout === 'none') {
          // The first record is two observed ids: refused (it would otherwise be taken as names and the cell lost).
          assert.throws(
            read,
            (e: unknown) => e instanceof InputError && /^q\.csv, line \d+: this looks like a cell/.test(e.message),
          );
          return;
        }
        if (layout === 'other' && ids.includes(header[0]) && ids.includes(header[1])) return;
        const q = read();
        assert.deepEqual([q.rowIds, q.colIds], [r, c]);
      },
    ),
  );
});
