// End to end: `mcomplete complete --report report.html` writes one HTML page that Chromium opens without console
// errors, with every figure drawn as SVG; any other --report name gets the JSON report.
import { after, describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runCli } from '../helpers/cli.ts';
import { ratingsProblem } from '../helpers/ratings.ts';
import { CHROMIUM_ARGS, chromiumSkip, findChromium } from '../helpers/chromium.ts';

// A file name with characters HTML would read as markup: the report must show it as text.
const dir = mkdtempSync(join(tmpdir(), 'mcomplete-report-'));
const problem = ratingsProblem({ m: 40, n: 30, rank: 2, p: 0.5, noise: 0.1, seed: 4, offset: 3 });
const observed = join(dir, 'obs<i>&"x.csv');
writeFileSync(observed, problem.observedCsv);
const query = join(dir, 'query.csv');
writeFileSync(query, `${problem.queryCsv}999999,m0\n`);

const chromium = findChromium();
const skip = chromiumSkip(chromium);
if (skip) console.log(`completion report browser test skipped: ${skip}`);

after(() => rmSync(dir, { recursive: true, force: true }));

test('complete --report writes JSON for any name but .html/.htm (as before the HTML report existed)', () => {
  const out = join(dir, 'report.txt');
  const r = runCli([
    'complete',
    observed,
    '--columns',
    'user,item,rating',
    '--method',
    'soft-impute',
    '--report',
    out,
    '--quiet',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const rep = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(rep.method, 'soft-impute');
});

describe('completion report in headless Chromium', { skip, timeout: 180_000 }, () => {
  it('opens without console errors and shows every figure', async () => {
    const html = join(dir, 'report.html');
    const json = join(dir, 'report.json');
    const pred = join(dir, 'pred.csv');
    const r = runCli([
      'complete',
      observed,
      '--columns',
      'user,item,rating',
      '--query',
      query,
      '--out',
      pred,
      '--report',
      html,
      '--quiet',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const text = readFileSync(html, 'utf8');
    assert.ok(text.includes('obs&lt;i&gt;&amp;&quot;x.csv') && !text.includes('obs<i>'), 'the file name is escaped');
    // The JSON report of the same run (same seed) carries the same diagnostics.
    assert.equal(runCli(['complete', observed, '--columns', 'user,item,rating', '--report', json, '--quiet']).code, 0);
    const rep = JSON.parse(readFileSync(json, 'utf8'));
    assert.equal(
      rep.diagnostics.byRowCount.reduce((s: number, b: { entries: number }) => s + b.entries, 0),
      rep.validation.entries,
    );
    assert.equal(rep.topN.users.length, 3, 'the JSON report carries the top-N view too');

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
      await page.goto(pathToFileURL(html).href);
      const figures = await page.$$eval('figure', (fs) =>
        fs.map((f) => ({
          id: f.id,
          svg: f.querySelectorAll('svg').length,
          marks: f.querySelectorAll('svg path, svg rect, svg line').length,
        })),
      );
      assert.deepEqual(errors, []);
      const ids = figures.map((f) => f.id);
      for (const id of ['trials-ratio', 'trials-soft-impute', 'curve', 'spectrum', 'residuals', 'cold-start'])
        assert.ok(ids.includes(id), `figure ${id} in ${ids.join(', ')}`);
      for (const f of figures) assert.ok(f.svg === 1 && f.marks > 5, `figure ${f.id} draws an SVG (${f.marks} marks)`);
      // The fallback table counts the one query cell of an unknown user.
      const fallback = await page.textContent('body');
      assert.match(fallback ?? '', /cells with an id never observed \(fallback\)\s*1/);
      const shown = await page.locator('figure#spectrum svg').boundingBox();
      assert.ok(shown && shown.width > 100 && shown.height > 100);
      // The cold-start table (four buckets by the user's number of ratings) and the top-N lists of three users, each
      // item with its training support, both unfiltered and with the minimum support.
      const cold = await page.$$eval('#cold-start-table tbody tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
      assert.equal(cold.length, 4, cold.join(' | '));
      assert.match(cold[1], /^1–5/);
      const lists = await page.$$eval('#top-n tbody tr', (trs) => trs.map((tr) => tr.querySelectorAll('ol li').length));
      assert.equal(lists.length, 3);
      for (const items of lists) assert.ok(items > 0 && items <= 20, `top-N items shown: ${items}`);
      assert.ok(await page.locator('#top-n').isVisible());
      assert.match((await page.textContent('#top-n tbody tr li')) ?? '', /\(\d+\.\d\d; \d+ ratings?\)/);
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });
});

test('bad --weight-decay, --weighting and --decay exit 2 with one line naming the flag and the allowed values', () => {
  const cases: [string[], RegExp][] = [
    [['--weighting', 'frequency,rows'], /--weighting.*'frequency,rows'.*none or frequency/],
    [['--decay', 'sideways'], /--decay.*sideways.*loss, decoupled/],
    [['--weight-decay', '0.1,-1'], /--weight-decay.*numbers >= 0/],
    [
      ['--method', 'soft-impute', '--weight-decay', '0.1'],
      /'--weight-decay' and '--weighting' are for the gradient methods/,
    ],
  ];
  for (const [flags, message] of cases) {
    const r = runCli(['complete', observed, '--columns', 'user,item,rating', ...flags]);
    assert.equal(r.code, 2, flags.join(' '));
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});
