import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../../src/data/input-error.ts';
import {
  checkOutputs,
  ensureFolder,
  realTarget,
  removeFolders,
  stageOutputs,
  writeFileAtomic,
} from '../../../src/cli/output.ts';
import { runMain } from '../../helpers/main.ts';

const dir = mkdtempSync(join(tmpdir(), 'mcomplete-output-'));

/** A 6×5 rank-1 ratings file (every cell but a few) and a query file of the missing cells. */
function ratings(): { observed: string; query: string; text: string } {
  const lines = ['user,item,rating'];
  const missing: string[] = ['user,item'];
  for (let i = 0; i < 6; i++) {
    for (let j = 0; j < 5; j++) {
      if ((i + 2 * j) % 7 === 0) missing.push(`u${i},i${j}`);
      else lines.push(`u${i},i${j},${((i + 1) * (j + 2)) / 10}`);
    }
  }
  const sub = mkdtempSync(join(dir, 'r-'));
  const observed = join(sub, 'obs.csv');
  const query = join(sub, 'query.csv');
  const text = `${lines.join('\n')}\n`;
  writeFileSync(observed, text);
  writeFileSync(query, `${missing.join('\n')}\n`);
  return { observed, query, text };
}

const FIT = ['--method', 'soft-impute', '--quiet'];

test('complete refuses --out, --out-matrix or --report naming an input (also through a link), before any work; inputs stay as they were', async () => {
  const { observed, query, text } = ratings();
  const queryText = readFileSync(query, 'utf8');
  const link = join(dir, `link-${Date.now()}.csv`);
  symlinkSync(observed, link);
  const hard = join(dir, `hard-${Date.now()}.csv`);
  linkSync(query, hard);
  const cases: [string[], RegExp][] = [
    [['--query', query, '--out', observed], /--out names the observed file/],
    [['--query', query, '--out', query], /--out names the query file/],
    [['--out-matrix', link], /--out-matrix names the observed file/],
    [['--report', observed], /--report names the observed file/],
    [['--query', query, '--out', join(dir, 'p.csv'), '--report', hard], /--report names the query file/],
  ];
  for (const [args, message] of cases) {
    const r = await runMain(['complete', observed, ...args, ...FIT]);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /refusing to overwrite an input/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(readFileSync(observed, 'utf8'), text);
    assert.equal(readFileSync(query, 'utf8'), queryText);
  }
});

test('complete refuses two outputs naming one file, and writes nothing', async () => {
  const { observed, query } = ratings();
  const same = join(dir, `same-${Date.now()}.csv`);
  const r = await runMain([
    'complete',
    observed,
    '--query',
    query,
    '--out',
    same,
    '--out-matrix',
    same,
    '--report',
    same,
    ...FIT,
  ]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /--out and --out-matrix name the same file/);
  assert.equal(existsSync(same), false);
});

test('complete checks every output location before the fit: a --report in a missing folder fails at once and --out is not written', async () => {
  const { observed, query } = ratings();
  const out = join(dir, `pred-${Date.now()}.csv`);
  const r = await runMain([
    'complete',
    observed,
    '--query',
    query,
    '--out',
    out,
    '--report',
    join(dir, 'no-such-folder', 'r.json'),
    '--method',
    'soft-impute',
  ]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^mcomplete: .*r\.json: cannot write --report here: folder .* does not exist/);
  assert.doesNotMatch(r.stderr, /soft-impute|tuning|fitting/, 'no work started');
  assert.equal(existsSync(out), false);
});

test('complete writes all three outputs when they are distinct', async () => {
  const { observed, query } = ratings();
  const out = join(dir, `ok-${Date.now()}.csv`);
  const r = await runMain([
    'complete',
    observed,
    '--query',
    query,
    '--out',
    out,
    '--out-matrix',
    `${out}.m.csv`,
    '--report',
    `${out}.json`,
    ...FIT,
  ]);
  assert.equal(r.code, 0, r.stderr);
  for (const f of [out, `${out}.m.csv`, `${out}.json`]) assert.ok(existsSync(f), f);
});

test('stageOutputs: a failure on a later output removes the earlier ones and every temporary file', () => {
  const sub = mkdtempSync(join(dir, 'stage-'));
  const staged = stageOutputs();
  staged.write({ flag: '--out', path: join(sub, 'a.csv') }, 'a\n');
  assert.throws(
    () => staged.write({ flag: '--report', path: join(sub, 'gone', 'b.json') }, '{}'),
    (e: unknown) => e instanceof InputError && /--report/.test(e.message),
  );
  assert.deepEqual(readdirSync(sub), [], 'no output and no temporary file left');
  // A rename that fails (the target is a folder) takes back the outputs already placed.
  mkdirSync(join(sub, 'c.csv'));
  const again = stageOutputs();
  again.write({ flag: '--out', path: join(sub, 'a.csv') }, 'a\n');
  again.write({ flag: '--out-matrix', path: join(sub, 'c.csv') }, 'c\n');
  assert.throws(() => again.commit(), /--out-matrix/);
  assert.deepEqual(readdirSync(sub), ['c.csv']);
  assert.deepEqual(readdirSync(join(sub, 'c.csv')), []);
});

test('checkOutputs: a folder, a missing folder and a path under a file are one-line InputErrors naming the flag', () => {
  const file = join(dir, `plain-${Date.now()}.txt`);
  writeFileSync(file, 'x');
  const cases: [string, RegExp][] = [
    [dir, /--out here: it is a folder/],
    [join(dir, 'missing', 'x.csv'), /folder .*missing does not exist/],
    [join(file, 'x.csv'), /is a file, not a folder/],
    ['/proc/nope/x', /--out here/],
    ['', /--out is empty: name a file/],
  ];
  for (const [path, message] of cases) {
    assert.throws(
      () => checkOutputs([{ flag: '--out', path }]),
      (e: unknown) => e instanceof InputError && message.test(e.message) && !e.message.includes('\n'),
      path,
    );
  }
});

test('ensureFolder creates missing folders one level at a time, fails fast on /proc/nope/x and under a file, and removeFolders undoes it', () => {
  const target = join(dir, 'new', 'deeper', 'x');
  const created = ensureFolder(target, '--out');
  assert.equal(created.length, 3);
  assert.ok(existsSync(target));
  removeFolders(created);
  assert.equal(existsSync(join(dir, 'new')), false);
  assert.throws(
    () => ensureFolder('/proc/nope/x', '--out'),
    (e: unknown) => e instanceof InputError && /cannot create --out folder/.test(e.message),
  );
  const file = join(dir, `f-${Date.now()}`);
  writeFileSync(file, '');
  assert.throws(() => ensureFolder(file, '--out'), /--out names a file, not a folder/);
  assert.throws(() => ensureFolder(join(file, 'x'), '--out'), /is a file, not a folder/);
});

test('realTarget follows links, also a link whose target does not exist yet', () => {
  const real = join(dir, `target-${Date.now()}.csv`);
  const dangling = join(dir, `dangling-${Date.now()}`);
  symlinkSync(real, dangling);
  assert.equal(realTarget(dangling), realTarget(real));
  writeFileAtomic(real, 'x');
  assert.equal(realTarget(dangling), realTarget(real));
});

test("an output that is a device (/dev/null) is written into, not replaced; one through a link updates the link's target", async () => {
  const { observed } = ratings();
  const r = await runMain(['complete', observed, '--out-matrix', '/dev/null', ...FIT]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(statSync('/dev/null').isCharacterDevice(), '/dev/null is still a device');
  const target = join(dir, `target-${Date.now()}.csv`);
  writeFileSync(target, 'old\n');
  const link = join(dir, `out-link-${Date.now()}.csv`);
  symlinkSync(target, link);
  const l = await runMain(['complete', observed, '--out-matrix', link, ...FIT]);
  assert.equal(l.code, 0, l.stderr);
  assert.ok(lstatSync(link).isSymbolicLink(), 'the link is still a link');
  assert.match(readFileSync(target, 'utf8'), /^user,i0,i1,i2,i3,i4\n/);
});
