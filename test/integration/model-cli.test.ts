// `complete --save-model`, `predict` and `recommend` in-process through main(): predict writes the very file complete
// wrote, recommend's CSV is the library's lists, and damaged models are one line and exit 1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMain } from '../helpers/main.ts';
import { ratingsProblem } from '../helpers/ratings.ts';
import { loadModel } from '../../src/complete/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'mcomplete-model-cli-'));
const file = (name: string, text?: string | Uint8Array): string => {
  const path = join(dir, name);
  if (text !== undefined) writeFileSync(path, text);
  return path;
};
const problem = ratingsProblem({ m: 40, n: 30, rank: 2, p: 0.6, noise: 0.1, seed: 8, offset: 3 });
const observed = file('observed.csv', problem.observedCsv);
// The query adds a user never observed, and a few observed cells (kept at their observed values).
const firstObserved = problem.observedCsv
  .split('\n')
  .slice(1, 4)
  .map((l) => l.split(',').slice(0, 2).join(','));
const query = file('query.csv', `${problem.queryCsv}424242,m0\n${firstObserved.join('\n')}\n`);

for (const [label, flags] of [
  ['--columns, auto', ['--columns', 'user,item,rating']],
  ['first three columns, soft-impute, --no-keep-observed', ['--method', 'soft-impute', '--no-keep-observed']],
] as const) {
  test(`predict with a saved model writes byte for byte the file complete wrote (${label})`, async () => {
    const tag = label.replace(/\W+/g, '-');
    const fromComplete = file(`complete-${tag}.csv`);
    const fromPredict = file(`predict-${tag}.csv`);
    const model = file(`model-${tag}.mcm`);
    const keep = (flags as readonly string[]).includes('--no-keep-observed') ? ['--no-keep-observed'] : [];
    const a = await runMain([
      'complete',
      observed,
      ...flags,
      '--max-steps',
      '300',
      '--query',
      query,
      '--out',
      fromComplete,
      '--save-model',
      model,
      '--quiet',
    ]);
    assert.equal(a.code, 0, a.stderr);
    const b = await runMain(['predict', model, '--query', query, '--out', fromPredict, ...keep]);
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stderr, /^predicted \d+ cells, 1 with an id the model never saw \(fallback\) in [\d.]+ s/);
    assert.deepEqual(readFileSync(fromPredict), readFileSync(fromComplete));
  });
}

test('recommend: CSV user,item,score, best first per user, as the library lists them; --out, --all-users, --min-support', async () => {
  const model = file('rec.mcm');
  const r = await runMain(['complete', observed, '--method', 'soft-impute', '--save-model', model, '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const lib = loadModel(readFileSync(model));
  const users = [lib.rowIds[0], lib.rowIds[5]];
  const out = await runMain(['recommend', model, '--users', users.join(','), '--top', '4', '--quiet']);
  assert.equal(out.code, 0, out.stderr);
  const lines = out.stdout.trimEnd().split('\n');
  assert.equal(lines[0], 'user,item,score');
  const want = users.flatMap((u) => lib.recommend(u, { top: 4 }).map((x) => `${u},${x.item},${x.score}`));
  assert.deepEqual(lines.slice(1), want);
  const recs = file('recs.csv');
  const all = await runMain(['recommend', model, '--all-users', '--top', '2', '--min-support', '20', '--out', recs]);
  assert.equal(all.code, 0, all.stderr);
  assert.equal(all.stdout, '');
  const rows = readFileSync(recs, 'utf8').trimEnd().split('\n').slice(1);
  assert.equal(rows.length, 2 * lib.rowIds.length);
  const support = lib.itemSupport();
  for (const row of rows) assert.ok(support[lib.colIds.indexOf(row.split(',')[1])] >= 20, row);
  const seen = await runMain(['recommend', model, '--users', users[0], '--top', '30', '--include-seen', '--quiet']);
  assert.equal(seen.stdout.trimEnd().split('\n').length, 1 + 30, 'every item, seen ones included');
});

test('predict and recommend: a file that is no model, a damaged model, an unknown user, missing flags', async () => {
  const model = file('bad.mcm');
  await runMain(['complete', observed, '--method', 'soft-impute', '--save-model', model, '--quiet']);
  const bytes = readFileSync(model);
  const altered = Uint8Array.from(bytes);
  altered[altered.length >> 1] ^= 1;
  const cases: [string[], number, RegExp][] = [
    [
      ['predict', observed, '--query', query, '--out', file('x1.csv')],
      1,
      /observed\.csv: not a usable mcomplete model: .*signature/,
    ],
    [
      ['predict', file('altered.mcm', altered), '--query', query, '--out', file('x2.csv')],
      1,
      /altered\.mcm: .*checksum does not match/,
    ],
    [
      ['predict', file('cut.mcm', bytes.subarray(0, 100)), '--query', query, '--out', file('x3.csv')],
      1,
      /cut\.mcm: .*(checksum|truncated)/,
    ],
    [['recommend', model, '--users', 'nobody'], 1, /no user \(row\) id "nobody"/],
    [['recommend', model], 2, /give '--users <id,\.\.\.>' or '--all-users'/],
    [['recommend', model, '--users', '1000', '--all-users'], 2, /exclude each other/],
    [['predict', model, '--query', query], 2, /--out/],
  ];
  for (const [argv, code, pattern] of cases) {
    const r = await runMain(argv);
    assert.equal(r.code, code, `${argv.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, pattern);
  }
  for (const x of ['x1.csv', 'x2.csv', 'x3.csv']) assert.ok(!existsSync(join(dir, x)), `${x}: no output on failure`);
});
