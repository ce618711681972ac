import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseTriplets } from '../../src/data/formats/triplets.ts';
import { parseDense } from '../../src/data/formats/dense.ts';
import { parseMatrixMarket } from '../../src/data/formats/matrix-market.ts';
import { parseQuery } from '../../src/data/formats/query.ts';
import { formatValue } from '../../src/data/formats/write.ts';
import { InputError } from '../../src/data/input-error.ts';
import type { LabeledObservations } from '../../src/data/labels.ts';

// Property-based tests of the readers on corrupted files, with fast-check: CASES cases per format from
// the fixed seed SEED. Every value of a generated file encodes its cell (value(i, j) below), so a reading that
// takes an id or a value from the wrong field shows as an entry whose value does not match its ids. For each
// corruption the outcome must be the stated one: the same reading (BOM, CRLF, huge text ids), an InputError naming
// the line (extra, missing or bad fields, repeated header names, huge Matrix Market indices), or, for truncation
// and inserted garbage, an InputError or a reading in which only the cut or touched lines differ. Any other
// exception, or a multi-line message, fails.
const CASES = 1000;
const SEED = 17;
const run = <T>(property: fc.IProperty<T>): void => fc.assert(property, { numRuns: CASES, seed: SEED });

/** The value written at cell (i, j): distinct for every cell, and (i, j) and (j, i) differ. */
const value = (i: number, j: number): number => i * 64 + j + 0.375;

const KINDS = [
  'bom',
  'crlf',
  'bom-crlf',
  'extra',
  'missing',
  'bad-value',
  'dup-header',
  'huge-id',
  'blank-line',
  'truncate',
  'garbage',
  'binary',
] as const;
type Kind = (typeof KINDS)[number];
/** Tokens no reader may take as a number (the empty field, NaN and NA are gaps in a dense grid, so not here). */
const BAD_NUMBERS = ['abc', '0x10', '1e400', '-1e999', 'Inf', '--1', '1..2', '١٢', '.', 'e5', '1_0', '+-1', '0b1', '½'];

/** One corruption: its kind, which data line, a position in the text, a bad token and a garbage string. */
const corruption = fc.record({
  kind: fc.constantFrom(...KINDS),
  line: fc.nat(),
  at: fc.nat(),
  token: fc.constantFrom(...BAD_NUMBERS),
  garbage: fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }),
  binary: fc.string({ unit: 'binary', maxLength: 200 }),
});
type Corruption = { kind: Kind; line: number; at: number; token: string; garbage: string; binary: string };

/** Line breaks in a string: each may split a line in two, so each allows one more differing record. */
const breaks = (s: string): number => (s.match(/\r\n|\r|\n/g) ?? []).length;

/** Runs a reader: its result, or the InputError it threw; any other exception, or a message on two lines, fails. */
function attempt<T>(read: () => T): T | InputError {
  try {
    return read();
  } catch (err) {
    assert.ok(err instanceof InputError, `not an InputError: ${err instanceof Error ? err.stack : String(err)}`);
    assert.doesNotMatch(err.message, /[\r\n]/, 'one line');
    return err;
  }
}

/** Asserts an InputError naming `file` and, when given, the 1-based `line`. */
function assertErrorAt(r: unknown, file: string, line?: number): void {
  assert.ok(r instanceof InputError, `expected an InputError, read ${JSON.stringify(r)}`);
  assert.equal(r.location.file, file);
  if (line !== undefined) assert.equal(r.location.line, line, r.message);
}

/** Entries of a reading as [row label, column label, value]. */
const entriesOf = (f: LabeledObservations): [string, string, number][] =>
  Array.from(f.observations.values, (v, k) => [f.rowIds[f.observations.rows[k]], f.colIds[f.observations.cols[k]], v]);

/** Splits text into lines, applies `edit` to line `index` (0-based, in the lines list), joins. */
function editLine(text: string, index: number, edit: (line: string) => string): string {
  const lines = text.split('\n');
  lines[index] = edit(lines[index]);
  return lines.join('\n');
}

/** How many read entries are not an original cell with its own value; `labelCell` maps labels back to (i, j). */
function wrongCells(
  read: [string, string, number][],
  cells: Set<string>,
  labelCell: (r: string, c: string) => [number, number] | null,
): number {
  let wrong = 0;
  for (const [r, c, v] of read) {
    const ij = labelCell(r, c);
    if (!ij || !cells.has(`${ij[0]},${ij[1]}`) || !Object.is(v, value(ij[0], ij[1]))) wrong++;
  }
  return wrong;
}

/** Random cells of an m×n grid, every row and column at least once, in a random order. */
const cellSet = fc
  .record({
    m: fc.integer({ min: 1, max: 6 }),
    n: fc.integer({ min: 2, max: 6 }),
    extra: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 20 }),
    shuffle: fc.nat(),
  })
  .map(({ m, n, extra, shuffle }) => {
    const keys = new Set<string>();
    for (let t = 0; t < Math.max(m, n); t++) keys.add(`${t % m},${t % n}`);
    for (const [a, b] of extra) keys.add(`${a % m},${b % n}`);
    const cells = [...keys].map((k) => k.split(',').map(Number) as [number, number]);
    cells.sort(
      (a, b) =>
        ((a[0] * 7 + a[1] * 13 + shuffle) % 17) - ((b[0] * 7 + b[1] * 13 + shuffle) % 17) || a[0] - b[0] || a[1] - b[1],
    );
    return { m, n, cells, keys };
  });

/** Text of the binary string as bytes read as UTF-8 (what readFileSync(path, 'utf8') would give for such a file). */
const asUtf8 = (s: string): string => Buffer.from(s, 'latin1').toString('utf8');

test(`triplets: ${CASES} corrupted files give the same reading, an InputError at the line, or differ only where cut or touched`, () => {
  run(
    fc.property(
      cellSet,
      fc.constantFrom('plain', 'ts', 'named'),
      corruption,
      ({ cells, keys }, layout, c: Corruption) => {
        // plain: user,item,rating; ts: an ignored fourth column; named: columns in another order, picked by name.
        const header = { plain: 'user,item,rating', ts: 'user,item,rating,ts', named: 'ts,rating,user,item' }[layout];
        const [rowAt, valueAt] = layout === 'named' ? [2, 1] : [0, 2];
        const lines = cells.map(([i, j]) => {
          const x = formatValue(value(i, j));
          return layout === 'named' ? `7,${x},u${i},m${j}` : `u${i},m${j},${x}${layout === 'ts' ? ',7' : ''}`;
        });
        const columns = layout === 'named' ? (['user', 'item', 'rating'] as const) : undefined;
        const text = `${header}\n${lines.join('\n')}\n`;
        const L = 1 + (c.line % lines.length); // index of a data line in text.split('\n')
        const labelCell = (r: string, col: string): [number, number] | null => {
          const a = /^u(\d+)$/.exec(r);
          const b = /^m(\d+)$/.exec(col);
          return a && b ? [Number(a[1]), Number(b[1])] : null;
        };
        const read = (t: string): TripletsRead => attempt(() => parseTriplets(t, { file: 't.csv', columns }));
        const exact = (r: TripletsRead, map: (label: string) => string = (s) => s): void => {
          assert.ok(!(r instanceof InputError), r instanceof InputError ? r.message : '');
          const got = entriesOf(r).map(([a, b, v]) => [map(a), b, v] as [string, string, number]);
          assert.equal(got.length, cells.length);
          assert.equal(wrongCells(got, keys, labelCell), 0);
        };
        switch (c.kind) {
          case 'bom':
            return exact(read(`\uFEFF${text}`));
          case 'crlf':
            return exact(read(text.replace(/\n/g, '\r\n')));
          case 'bom-crlf':
            return exact(read(`\uFEFF${text.replace(/\n/g, '\r\n')}`));
          case 'extra': {
            // Read by position, a line longer than the header is an error; with columns picked by name, the fields
            // beyond the header are ignored (docs/complete.md).
            const r = read(editLine(text, L, (l) => `${l},9`));
            return layout === 'named' ? exact(r) : assertErrorAt(r, 't.csv', L + 1);
          }
          case 'missing': {
            const r = read(editLine(text, L, (l) => l.slice(0, l.lastIndexOf(','))));
            // Without the ignored ts column a line is still complete; without the rating or the item it is an error.
            return layout === 'ts' ? exact(r) : assertErrorAt(r, 't.csv', L + 1);
          }
          case 'bad-value':
            return assertErrorAt(
              read(
                editLine(text, L, (l) =>
                  l
                    .split(',')
                    .map((f, k) => (k === valueAt ? c.token : f))
                    .join(','),
                ),
              ),
              't.csv',
              L + 1,
            );
          case 'dup-header':
            return assertErrorAt(
              read(editLine(text, 0, (h) => (layout === 'plain' ? 'user,user,rating' : `${h},user`))),
              't.csv',
              1,
            );
          case 'huge-id': {
            // Ids are labels: a 25-digit id is read as that text, exactly.
            const huge = `${'9'.repeat(24)}${c.line % 10}`;
            const target = `u${cells[c.line % cells.length][0]}`;
            const swap = (l: string): string =>
              l
                .split(',')
                .map((f, k) => (k === rowAt && f === target ? huge : f))
                .join(',');
            const t = text
              .split('\n')
              .map((l, k) => (k === 0 ? l : swap(l)))
              .join('\n');
            return exact(read(t), (s) => (s === huge ? target : s));
          }
          case 'blank-line':
            // Blank lines are skipped: entries carry their own ids.
            return exact(read(editLine(text, L, (l) => `\n${l}`)));
          case 'truncate': {
            const t = text.slice(0, c.at % text.length);
            const r = read(t);
            if (r instanceof InputError) return;
            const got = entriesOf(r);
            assert.ok(got.length <= cells.length);
            assert.ok(wrongCells(got, keys, labelCell) <= 1, `truncated at ${t.length}: ${JSON.stringify(got)}`);
            return;
          }
          case 'garbage': {
            const at = c.at % (text.length + 1);
            const t = text.slice(0, at) + c.garbage + text.slice(at);
            const r = read(t);
            if (r instanceof InputError) return;
            assert.ok(
              wrongCells(entriesOf(r), keys, labelCell) <= 1 + breaks(c.garbage),
              `garbage ${JSON.stringify(c.garbage)} at ${at}`,
            );
            return;
          }
          case 'binary':
            read(asUtf8(c.binary));
            read(c.binary);
            return;
        }
      },
    ),
  );
});
type TripletsRead = ReturnType<typeof parseTriplets> | InputError;

/** Dense gap tokens, chosen per cell. */
const GAPS = ['', 'NaN', 'NA'];

test(`dense: ${CASES} corrupted grids give the same grid, an InputError at the line, or differ only in the cut or touched rows`, () => {
  run(
    fc.property(cellSet, fc.boolean(), fc.nat(), corruption, ({ m, n, keys }, withHeader, gapSeed, c: Corruption) => {
      const grid = Array.from({ length: m }, (_, i) =>
        Array.from({ length: n }, (_, j) => (keys.has(`${i},${j}`) ? value(i, j) : NaN)),
      );
      const rows = grid.map((row, i) =>
        row.map((x, j) => (Number.isNaN(x) ? GAPS[(i + j + gapSeed) % 3] : formatValue(x))).join(','),
      );
      const head = withHeader ? [Array.from({ length: n }, (_, j) => `c${j}`).join(',')] : [];
      const text = `${[...head, ...rows].join('\n')}\n`;
      const first = head.length;
      const L = first + (c.line % m);
      const read = (t: string): number[][] | InputError => {
        const r = attempt(() => parseDense(t, { file: 'g.csv', header: withHeader }));
        if (r instanceof InputError) return r;
        const [mm, nn] = r.observations.shape;
        const g = Array.from({ length: mm }, () => new Array<number>(nn).fill(NaN));
        r.observations.values.forEach((x, k) => (g[r.observations.rows[k]][r.observations.cols[k]] = x));
        return g;
      };
      const same = (a: number[], b: number[]): boolean =>
        a.length === b.length && a.every((x, j) => Object.is(x, b[j]));
      const exact = (r: number[][] | InputError): void => {
        assert.ok(!(r instanceof InputError), r instanceof InputError ? r.message : '');
        assert.equal(r.length, m);
        r.forEach((row, i) => assert.ok(same(row, grid[i]), `row ${i + 1}`));
      };
      /** Rows equal to the original except a block of at most `changed` read rows standing for at most one original row. */
      const nearly = (r: number[][] | InputError, changed: number): void => {
        if (r instanceof InputError) return;
        assert.equal(r[0].length, n);
        let p = 0;
        while (p < Math.min(r.length, m) && same(r[p], grid[p])) p++;
        let s = 0;
        while (s < Math.min(r.length, m) - p && same(r[r.length - 1 - s], grid[m - 1 - s])) s++;
        assert.ok(
          m - p - s <= 1 && r.length - p - s <= changed,
          `rows ${p} equal at the start, ${s} at the end, of ${r.length} read and ${m}`,
        );
      };
      switch (c.kind) {
        case 'bom':
          return exact(read(`\uFEFF${text}`));
        case 'crlf':
          return exact(read(text.replace(/\n/g, '\r\n')));
        case 'bom-crlf':
          return exact(read(`\uFEFF${text.replace(/\n/g, '\r\n')}`));
        case 'extra':
        case 'missing': {
          const r = read(
            editLine(text, L, c.kind === 'extra' ? (l) => `${l},9` : (l) => l.slice(0, l.lastIndexOf(','))),
          );
          // The first line sets the width: a lone headerless row is read as a grid of its new width; when the
          // first of several rows changes, the second is the ragged one.
          if (!withHeader && m === 1) return;
          return assertErrorAt(r, 'g.csv', !withHeader && L === 0 ? 2 : L + 1);
        }
        case 'bad-value': {
          const j = c.at % n;
          return assertErrorAt(
            read(
              editLine(text, L, (l) =>
                l
                  .split(',')
                  .map((f, k) => (k === j ? c.token : f))
                  .join(','),
              ),
            ),
            'g.csv',
            L + 1,
          );
        }
        case 'dup-header':
          if (!withHeader) return;
          return assertErrorAt(read(editLine(text, 0, (l) => l.replace(/^c0,c1/, 'c0,c0'))), 'g.csv', 1);
        case 'huge-id':
          // A dense grid has no ids.
          return;
        case 'blank-line': {
          // Rows are numbered by position: a blank line before a row (not the first) would renumber the rest.
          const r = read(editLine(text, L, (l) => `\n${l}`));
          if (L === first) return exact(r);
          return assertErrorAt(r, 'g.csv', L + 1);
        }
        case 'truncate': {
          const r = read(text.slice(0, c.at % text.length));
          if (r instanceof InputError) return;
          assert.ok(r.length <= m);
          r.slice(0, -1).forEach((row, i) => assert.ok(same(row, grid[i]), `row ${i + 1} of a truncated grid`));
          return;
        }
        case 'garbage': {
          const at = c.at % (text.length + 1);
          return nearly(read(text.slice(0, at) + c.garbage + text.slice(at)), 1 + breaks(c.garbage));
        }
        case 'binary':
          read(asUtf8(c.binary));
          read(c.binary);
          return;
      }
    }),
  );
});

test(`Matrix Market: ${CASES} corrupted files give the same entries, an InputError at the line, or differ only where cut or touched`, () => {
  run(
    fc.property(cellSet, corruption, ({ m, n, cells, keys }, c: Corruption) => {
      const body = cells.map(([i, j]) => `${i + 1} ${j + 1} ${formatValue(value(i, j))}`);
      const head = ['%%MatrixMarket matrix coordinate real general', '% a comment', `${m} ${n} ${cells.length}`];
      const text = `${[...head, ...body].join('\n')}\n`;
      const L = head.length + (c.line % body.length);
      const labelCell = (r: string, col: string): [number, number] | null =>
        /^\d+$/.test(r) && /^\d+$/.test(col) ? [Number(r) - 1, Number(col) - 1] : null;
      const read = (t: string): ReturnType<typeof parseMatrixMarket> | InputError =>
        attempt(() => parseMatrixMarket(t, { file: 'a.mtx' }));
      const exact = (r: ReturnType<typeof read>): void => {
        assert.ok(!(r instanceof InputError), r instanceof InputError ? r.message : '');
        assert.equal(r.observations.values.length, cells.length);
        assert.equal(wrongCells(entriesOf(r), keys, labelCell), 0);
      };
      switch (c.kind) {
        case 'bom':
          return exact(read(`\uFEFF${text}`));
        case 'crlf':
          return exact(read(text.replace(/\n/g, '\r\n')));
        case 'bom-crlf':
          return exact(read(`\uFEFF${text.replace(/\n/g, '\r\n')}`));
        case 'extra':
          return assertErrorAt(read(editLine(text, L, (l) => `${l} 9`)), 'a.mtx', L + 1);
        case 'missing':
          return assertErrorAt(read(editLine(text, L, (l) => l.slice(0, l.lastIndexOf(' ')))), 'a.mtx', L + 1);
        case 'bad-value':
          return assertErrorAt(
            read(
              editLine(text, L, (l) =>
                l
                  .split(' ')
                  .map((f, k) => (k === 2 ? c.token : f))
                  .join(' '),
              ),
            ),
            'a.mtx',
            L + 1,
          );
        case 'dup-header':
          // No header names; a repeated banner line starts with % and so is a comment.
          return exact(read(editLine(text, 1, () => head[0])));
        case 'huge-id': {
          // A huge index, or the right index spelled otherwise ("0x2", "2e0", "2.0", "+2"): an error at the line.
          const i = cells[c.line % body.length][0] + 1;
          const spelled = ['9'.repeat(25), `0x${i.toString(16)}`, `${i}e0`, `${i}.0`, `+${i}`][c.at % 5];
          return assertErrorAt(read(editLine(text, L, (l) => `${spelled}${l.slice(l.indexOf(' '))}`)), 'a.mtx', L + 1);
        }
        case 'blank-line':
          return exact(read(editLine(text, L, (l) => `\n${l}`)));
        case 'truncate': {
          const r = read(text.slice(0, c.at % text.length));
          if (r instanceof InputError) return;
          assert.ok(wrongCells(entriesOf(r), keys, labelCell) <= 1);
          return;
        }
        case 'garbage': {
          const at = c.at % (text.length + 1);
          const r = read(text.slice(0, at) + c.garbage + text.slice(at));
          if (r instanceof InputError) return;
          assert.ok(
            wrongCells(entriesOf(r), keys, labelCell) <= 1 + breaks(c.garbage),
            `garbage ${JSON.stringify(c.garbage)} at ${at}`,
          );
          return;
        }
        case 'binary':
          read(asUtf8(c.binary));
          read(c.binary);
          return;
      }
    }),
  );
});

test(`query: ${CASES} corrupted query files give the same cells, an InputError at the line, or differ only where cut or touched`, () => {
  run(
    fc.property(
      fc.integer({ min: 1, max: 12 }),
      fc.constantFrom('named', 'swapped', 'positional'),
      corruption,
      (count, layout, c: Corruption) => {
        // Line k asks for cell (r<k>, c<k>): a cell read with ids of two different lines, or swapped, shows.
        const header = { named: 'user,item', swapped: 'item,user,rating', positional: 'a,b' }[layout];
        const line = (k: number): string => (layout === 'swapped' ? `c${k},r${k},3.5` : `r${k},c${k}`);
        const lines = Array.from({ length: count }, (_, k) => line(k));
        const text = `${header}\n${lines.join('\n')}\n`;
        const knownIds = { rowIds: lines.map((_, k) => `r${k}`), colIds: lines.map((_, k) => `c${k}`) };
        const L = 1 + (c.line % count);
        const read = (t: string): ReturnType<typeof parseQuery> | InputError =>
          attempt(() => parseQuery(t, { file: 'q.csv', idNames: ['user', 'item'], knownIds }));
        const wrong = (q: ReturnType<typeof parseQuery>): number =>
          q.rowIds.filter(
            (r, k) => !(/^r\d+$/.test(r) && q.colIds[k] === `c${r.slice(1)}` && Number(r.slice(1)) < count),
          ).length;
        const exact = (r: ReturnType<typeof read>): void => {
          assert.ok(!(r instanceof InputError), r instanceof InputError ? r.message : '');
          assert.deepEqual([r.rowIds, r.colIds], [knownIds.rowIds, knownIds.colIds]);
        };
        switch (c.kind) {
          case 'bom':
            return exact(read(`\uFEFF${text}`));
          case 'crlf':
            return exact(read(text.replace(/\n/g, '\r\n')));
          case 'bom-crlf':
          case 'blank-line':
            return exact(read(`\uFEFF${editLine(text, L, (l) => `\n${l}`).replace(/\n/g, '\r\n')}`));
          case 'extra': {
            const r = read(editLine(text, L, (l) => `${l},9`));
            // Read by name, other fields are ignored; read by position, a line longer than the header is an error.
            return layout === 'positional' ? assertErrorAt(r, 'q.csv', L + 1) : exact(r);
          }
          case 'missing': {
            const r = read(editLine(text, L, (l) => l.slice(0, l.lastIndexOf(','))));
            return layout === 'swapped' ? exact(r) : assertErrorAt(r, 'q.csv', L + 1);
          }
          case 'bad-value':
            // Ids are labels: any text is an id (an unknown one gets the fallback later), so no error here.
            return;
          case 'huge-id':
            // Here: the header dropped. The first line is then a cell of known ids, refused, never read as names.
            return assertErrorAt(read(text.slice(text.indexOf('\n') + 1)), 'q.csv', 1);
          case 'dup-header':
            return assertErrorAt(read(editLine(text, 0, (h) => `${h},${h.split(',')[0]}`)), 'q.csv', 1);
          case 'truncate': {
            const r = read(text.slice(0, c.at % text.length));
            if (r instanceof InputError) return;
            assert.ok(r.rowIds.length <= count && wrong(r) <= 1);
            return;
          }
          case 'garbage': {
            const at = c.at % (text.length + 1);
            const r = read(text.slice(0, at) + c.garbage + text.slice(at));
            if (r instanceof InputError) return;
            assert.ok(
              wrong(r) <= 1 + breaks(c.garbage),
              `garbage ${JSON.stringify(c.garbage)} at ${at}: ${JSON.stringify(r)}`,
            );
            return;
          }
          case 'binary':
            read(asUtf8(c.binary));
            read(c.binary);
            return;
        }
      },
    ),
  );
});
