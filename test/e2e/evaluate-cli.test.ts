// End to end: `mcomplete evaluate` on a small generated ratings file prints one table, writes the page and the JSON
// (the page opens in Chromium without console errors, its figure drawn), and refuses bad flags in one line, exit 2.
import { after, describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runCli } from '../helpers/cli.ts';
import { ratingsProblem } from '../helpers/ratings.ts';
import { CHROMIUM_ARGS, chromiumSkip, findChromium } from '../helpers/chromium.ts';

const dir = mkdtempSync(join(tmpdir(), 'mcomplete-evaluate-'));
const problem = ratingsProblem({ m: 40, n: 30, rank: 2, p: 0.5, noise: 0.2, seed: 11, offset: 3 });
const observed = join(dir, 'ratings<&>.csv');
writeFileSync(observed, problem.observedCsv);
const outDir = join(dir, 'out');
const base = ['evaluate', observed, '--columns', 'user,item,rating', '--folds', '3', '--k', '5'];
const args = [...base, '--methods', 'soft-impute,biases', '--out-dir', outDir];
const run = runCli(args);
const chromium = findChromium();
const skip = chromiumSkip(chromium);

after(() => rmSync(dir, { recursive: true, force: true }));

test('evaluate: exit 0, one table on stdout (a line per method), progress per fold on stderr, the page and the JSON', () => {
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.split('\n');
  const header = lines.findIndex((l) => l.startsWith('method'));
  assert.ok(header > 0, run.stdout);
  for (const title of ['RMSE', 'MAE', 'P@5', 'R@5', 'NDCG@5', 'MAP@5', 'seconds/fold'])
    assert.ok(lines[header].includes(title));
  assert.match(lines[header + 1], /^soft-impute\s+\d\.\d{4} ± \d\.\d{4}/);
  assert.match(lines[header + 2], /^biases\s+\d\.\d{4} ± \d\.\d{4}/);
  for (let f = 1; f <= 3; f++) assert.match(run.stderr, new RegExp(`fold ${f}/3, biases: RMSE`));
  const html = join(outDir, 'index.html');
  assert.ok(existsSync(html));
  const page = readFileSync(html, 'utf8');
  assert.ok(page.includes('ratings&lt;&amp;&gt;.csv') && !page.includes('ratings<&>'), 'the file name is escaped');
  const rep = JSON.parse(readFileSync(join(outDir, 'evaluation.json'), 'utf8'));
  assert.equal(rep.folds.length, 6);
  assert.ok(page.includes(rep.data.fingerprint));
  assert.equal(rep.settings.seed, 0);
  // The table's numbers are the JSON's, rounded.
  assert.ok(lines[header + 1].includes(rep.summary[0].rmse.mean.toFixed(4)));
});

test('evaluate --json: one JSON object on stdout and nothing else there, the same numbers as the file', () => {
  const out2 = join(dir, 'out2');
  const r = runCli([...base, '--methods', 'biases', '--out-dir', out2, '--json', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  const obj = JSON.parse(r.stdout);
  const file = JSON.parse(readFileSync(join(out2, 'evaluation.json'), 'utf8'));
  assert.deepEqual(
    obj.summary.map((s: { rmse: unknown }) => s.rmse),
    file.summary.map((s: { rmse: unknown }) => s.rmse),
  );
  assert.equal(obj.files.html, join(out2, 'index.html'));
});

test('bad flags and bad input: one line, exit 2 for flags, exit 1 for the file; nothing written', () => {
  const cases: [string[], RegExp, number][] = [
    [['--folds', '1'], /--folds.*expected an integer in 2\.\.100/, 2],
    [['--methods', 'auto,svd'], /--methods.*expected auto, ratio, soft-impute, nuclear, biases/, 2],
    [['--methods', 'ratio,ratio'], /--methods.*"ratio" is given twice/, 2],
    [['--k', '0'], /--k.*expected an integer >= 1/, 2],
    [['--threshold', 'high'], /--threshold.*expected a finite number/, 2],
    [['--fold', '3'], /unknown option '--fold'/, 2],
  ];
  for (const [flags, message, code] of cases) {
    const out = join(dir, `bad-${flags[0].slice(2)}`);
    const r = runCli([...base, ...flags, '--out-dir', out]);
    assert.equal(r.code, code, `${flags.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(existsSync(out), false, 'no folder made for a refused command');
  }
  const broken = join(dir, 'broken.csv');
  writeFileSync(broken, 'user,item,rating\n1,a,4\n2,b,x\n');
  const out = join(dir, 'bad-file');
  const r = runCli(['evaluate', broken, '--out-dir', out, '--quiet']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /broken\.csv.*line 3/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.equal(existsSync(out), false, 'the folder made for it is removed again');
});

describe('the evaluation page in headless Chromium', { skip, timeout: 120_000 }, () => {
  it('opens without console errors, draws the per-fold figure and shows the summary table', async () => {
    assert.equal(run.code, 0, run.stderr);
    const { chromium: browserType } = await import('playwright-core');
    const profile = mkdtempSync(join(tmpdir(), 'mcomplete-chromium-'));
    const context = await browserType.launchPersistentContext(profile, {
      executablePath: 'path' in chromium ? chromium.path : '',
      headless: true,
      args: CHROMIUM_ARGS,
    });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
      await page.goto(pathToFileURL(join(outDir, 'index.html')).href);
      assert.deepEqual(errors, []);
      // 6 panels × 3 folds × 2 methods points, and the mean ticks.
      const marks = await page.$$eval('figure#folds svg path', (ps) => ps.length);
      assert.ok(marks >= 36, `${marks} marks`);
      const box = await page.locator('figure#folds svg').boundingBox();
      assert.ok(box && box.width > 300 && box.height > 200);
      const summary = await page.$$eval('#summary tbody tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
      assert.equal(summary.length, 2);
      assert.equal(await page.locator('#fold-rows tbody tr').count(), 6);
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });
});
