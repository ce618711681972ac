// End to end: the package as its users get it. A page that imports `mcomplete` by name, bundled by Vite and run in
// headless Chromium; and `npm pack` of the repo installed into a separate ESM project that type-checks and runs
// code importing `mcomplete` and `mcomplete/node`.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  complete,
  DEFAULT_RUN_SPEC,
  getBackend,
  parseTriplets,
  runSynthetic,
  tsBackend,
  type RunSpec,
} from '../../src/index.ts';
import { CHROMIUM_ARGS, chromiumSkip, findChromium } from '../helpers/chromium.ts';
import { serveStatic } from '../helpers/static-server.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tsc = join(root, 'node_modules', '.bin', 'tsc');
const version = (JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string }).version;

/** Run a command; fail the test with its output unless it exits 0. Returns stdout. */
function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  if (r.error) throw r.error;
  assert.equal(r.status, 0, `${command} ${args.join(' ')} (in ${cwd}) exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

let built = false;
/** Compile src/ to dist/ as `npm run build` does (the package's entries point into dist/); once per process. */
function buildDist(): void {
  if (built) return;
  const t0 = performance.now();
  run(process.execPath, [tsc, '-p', 'tsconfig.build.json'], root);
  console.log(`dist/ built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  built = true;
}

// A small synthetic problem that the default method (depth 1, L∗/F, Adam) solves in about a second.
const SMALL: RunSpec = { ...DEFAULT_RUN_SPEC, n: 10, rank: 1, samples: 50 };

// A small ratings CSV (quoted ids, a BOM, a blank line, spaces around fields: what csv-parse handles for us) and one
// that is malformed (an unclosed quote), parsed and completed in the page and in Node.
const RATINGS_CSV = [
  '\ufeffuser,item,rating',
  '"a, b",x,1',
  'a2,y , 5',
  '',
  '"a, b",z,2',
  'c,x,4',
  'c,y,5',
  'd,z,1',
  'd,x,2',
  '',
].join('\n');
const BAD_CSV = 'user,item,rating\na,x,1\n"b,y,2\n';
const PAGE_COMPLETE = { method: 'soft-impute', validation: 0.25 } as const;

const chromium = findChromium();
const browserSkip = chromiumSkip(chromium);
if (browserSkip) console.log(`bundled-page test skipped: ${browserSkip}`);

describe(
  'a page that imports mcomplete, bundled by Vite, in headless Chromium',
  { skip: browserSkip, timeout: 120_000 },
  () => {
    let dir: string;
    let site: { url: string; close(): Promise<void> } | undefined;
    let browser: import('playwright-core').Browser | undefined;

    before(async () => {
      buildDist();
      dir = await mkdtemp(join(tmpdir(), 'mcomplete-page-'));
    });

    after(async () => {
      await browser?.close();
      await site?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('bundles without Node built-ins, completes a 10×10 matrix and parses and completes a ratings CSV in the browser, as in Node', async () => {
      const { build, createLogger } = await import('vite');
      const { chromium: browserType } = await import('playwright-core');
      // The page resolves `mcomplete` by name, through the package's `exports`, like any application would.
      await mkdir(join(dir, 'node_modules'));
      await symlink(root, join(dir, 'node_modules', 'mcomplete'), 'dir');
      await writeFile(
        join(dir, 'index.html'),
        '<!doctype html><pre id="result"></pre><script type="module" src="./main.js"></script>\n',
      );
      await writeFile(
        join(dir, 'main.js'),
        [
          "import { complete, DEFAULT_RUN_SPEC, getBackend, InputError, parseTriplets, runSynthetic } from 'mcomplete';",
          "const out = document.getElementById('result');",
          'try {',
          `  const r = runSynthetic({ ...DEFAULT_RUN_SPEC, ...${JSON.stringify({ n: SMALL.n, rank: SMALL.rank, samples: SMALL.samples })} });`,
          `  const data = parseTriplets(${JSON.stringify(RATINGS_CSV)}, { file: 'ratings.csv' });`,
          `  const model = complete(data, ${JSON.stringify(PAGE_COMPLETE)});`,
          '  const predictions = [];',
          '  for (const row of model.rowIds) for (const col of model.colIds) predictions.push(model.predict(row, col));',
          "  let bad = '';",
          `  try { parseTriplets(${JSON.stringify(BAD_CSV)}, { file: 'bad.csv' }); } catch (err) { bad = (err instanceof InputError ? 'InputError: ' : 'other: ') + err.message; }`,
          '  const parsed = { rowIds: data.rowIds, colIds: data.colIds, names: data.names, rows: [...data.observations.rows], cols: [...data.observations.cols], values: [...data.observations.values] };',
          '  out.textContent = JSON.stringify({ relError: r.relError, iterations: r.iterations, backend: getBackend().name, parsed, predictions, bad });',
          '} catch (err) {',
          '  out.textContent = JSON.stringify({ error: String((err && err.stack) || err) });',
          '}',
          "out.dataset.done = 'true';",
          '',
        ].join('\n'),
      );
      const warnings: string[] = [];
      const logger = createLogger('warn');
      const warn = logger.warn.bind(logger);
      logger.warn = (msg, opts) => {
        warnings.push(msg);
        warn(msg, opts);
      };
      const outDir = join(dir, 'out');
      await build({
        root: dir,
        base: './',
        configFile: false,
        logLevel: 'warn',
        customLogger: logger,
        build: { outDir, target: 'es2022' },
      });

      const scripts = (await readdir(outDir, { recursive: true })).filter((f) => f.endsWith('.js'));
      assert.ok(scripts.length > 0, 'the build wrote a script');
      for (const file of scripts) {
        const code = await readFile(join(outDir, file), 'utf8');
        assert.doesNotMatch(code, /["'`]node:/, `${file} imports a node: module`);
        assert.doesNotMatch(code, /__vite-browser-external/, `${file} holds a stub for a Node built-in`);
      }
      assert.deepEqual(
        warnings.filter((w) => /externalized for browser|node:/.test(w)),
        [],
      );

      site = await serveStatic(outDir, '/');
      browser = await browserType.launch({
        executablePath: (chromium as { path: string }).path,
        headless: true,
        args: CHROMIUM_ARGS,
      });
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(site.url);
      await page.waitForSelector('#result[data-done]', { timeout: 60_000 });
      type Parsed = {
        rowIds: string[];
        colIds: string[];
        names: string[];
        rows: number[];
        cols: number[];
        values: number[];
      };
      const got = JSON.parse((await page.textContent('#result')) ?? '{}') as {
        relError?: number;
        iterations?: number;
        backend?: string;
        parsed?: Parsed;
        predictions?: number[];
        bad?: string;
        error?: string;
      };
      assert.equal(got.error, undefined, got.error);
      assert.deepEqual(errors, []);
      assert.equal(got.backend, 'ts');
      assert.ok(Number.isFinite(got.relError) && got.relError! < 0.05, `relative error ${got.relError} in the browser`);

      // Node agrees to the digits that matter, not to the bit: Math.log and Math.sin of Node 20's V8 and of Chromium's
      // differ in the last place for some arguments (the data and the start are normal draws by Box–Muller), and
      // 25,000 Adam steps amplify that (measured: 1.08e-4 in Chromium 156, 1.11e-4 in Node 20).
      assert.equal(getBackend(), tsBackend, 'this process uses the TypeScript backend, as the page does');
      const inNode = runSynthetic(SMALL);
      console.log(`relative error: ${got.relError} in Chromium, ${inNode.relError} in Node`);
      assert.equal(got.iterations, inNode.iterations);
      assert.ok(inNode.relError < 0.05 && Math.abs(Math.log(got.relError! / inNode.relError)) < Math.log(2));

      // The CSV: the page's parser (csv-parse's browser build) reads exactly what Node's (its Node build) reads, and
      // reports the same InputError for malformed text. Soft-impute's predictions agree to rounding (no transcendental
      // functions drive it, only sums, products, square roots and the SVD).
      const data = parseTriplets(RATINGS_CSV, { file: 'ratings.csv' });
      const parsedInNode: Parsed = {
        rowIds: [...data.rowIds],
        colIds: [...data.colIds],
        names: [...data.names],
        rows: [...data.observations.rows],
        cols: [...data.observations.cols],
        values: [...data.observations.values],
      };
      assert.deepEqual(got.parsed, parsedInNode);
      assert.deepEqual(parsedInNode.rowIds, ['a, b', 'a2', 'c', 'd'], 'quoted ids keep their comma');
      assert.deepEqual(parsedInNode.names, ['user', 'item', 'rating'], 'the BOM is dropped from the header');
      let badInNode = '';
      try {
        parseTriplets(BAD_CSV, { file: 'bad.csv' });
      } catch (err) {
        badInNode = (err as Error).message;
      }
      assert.match(badInNode, /^bad\.csv, line \d+: not valid CSV/);
      assert.equal(got.bad, `InputError: ${badInNode}`);
      const model = complete(data, PAGE_COMPLETE);
      const predictionsInNode: number[] = [];
      for (const row of model.rowIds) for (const col of model.colIds) predictionsInNode.push(model.predict(row, col));
      assert.equal(got.predictions?.length, 4 * 3);
      for (const [k, p] of predictionsInNode.entries()) {
        assert.ok(p >= 1 && p <= 5, `prediction ${p} in the observed range`);
        assert.ok(
          Math.abs(got.predictions![k] - p) <= 1e-9 * Math.abs(p),
          `prediction ${k}: ${got.predictions![k]} in Chromium, ${p} in Node`,
        );
      }
    });
  },
);

const npmVersion = spawnSync('npm', ['--version'], { encoding: 'utf8' });
const npmSkip =
  npmVersion.status === 0 ? false : `npm is unavailable (${npmVersion.error?.message ?? npmVersion.stderr})`;
if (npmSkip) console.log(`packed-package test skipped: ${npmSkip}`);

describe('npm pack, installed into a separate ESM project', { skip: npmSkip, timeout: 180_000 }, () => {
  let dir: string;

  before(async () => {
    buildDist();
    dir = await mkdtemp(join(tmpdir(), 'mcomplete-pack-'));
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('type-checks (NodeNext, strict) and runs code importing mcomplete and mcomplete/node', async () => {
    // --ignore-scripts: dist/ was just built, so `prepare` need not build it again.
    const packed = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], root)) as {
      filename: string;
      files: { path: string }[];
    }[];
    const files = new Set(packed[0].files.map((f) => f.path));
    for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/node.js', 'dist/node.d.ts', 'bin/mcomplete.js']) {
      assert.ok(files.has(f), `the tarball holds ${f}`);
    }
    const tarball = join(dir, packed[0].filename);

    const app = join(dir, 'app');
    await mkdir(app);
    await writeFile(
      join(app, 'package.json'),
      JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }),
    );
    const t0 = performance.now();
    // The runtime dependencies come from npm's cache when they are there. A library install: the command line's
    // optional peer dependencies stay out, and the install script does not compile the native addon.
    const env = { MCOMPLETE_BUILD_NATIVE: undefined, npm_config_global: undefined };
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball], app, env);
    console.log(
      `npm install of the tarball and its dependencies took ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    const installed = await readdir(join(app, 'node_modules'));
    for (const heavy of ['vega', 'vega-lite', 'bullmq', 'ioredis']) {
      assert.ok(!installed.includes(heavy), `${heavy} is not installed for a library user`);
    }
    const native = await readdir(join(app, 'node_modules', 'mcomplete', 'native'));
    assert.ok(!native.includes('build'), 'the native addon was not compiled');

    await writeFile(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2022', 'DOM'],
          types: [],
          strict: true,
          noEmit: true,
        },
        files: ['check.ts'],
      }),
    );
    await writeFile(
      join(app, 'check.ts'),
      [
        "import { complete, labelObservations, parseTriplets, runSynthetic, DEFAULT_RUN_SPEC, type CompletionModel, type RunResult } from 'mcomplete';",
        "import { useFastestBackend, sweep, writeReport, type Backend, type SweepOptions } from 'mcomplete/node';",
        '// @ts-expect-error: internals stay out of the curated entry',
        "import { shrinkInto } from 'mcomplete';",
        '// @ts-expect-error: deep paths are not exported',
        "import { svd } from 'mcomplete/dist/linalg/svd.js';",
        "const obs = labelObservations(['a', 'b'], ['x', 'y'], [1, 2]);",
        "const model: CompletionModel = complete(obs, { method: 'soft-impute' });",
        "const names: readonly [string, string, string] = parseTriplets('u,i,r\\na,x,1\\n', { file: 'r.csv' }).names;",
        'const result: RunResult = runSynthetic({ ...DEFAULT_RUN_SPEC, n: 10 });',
        'const error: number = result.relError;',
        '// @ts-expect-error: the types are real, not any',
        'const wrong: string = result.relError;',
        'const backend: Backend = useFastestBackend();',
        "const options: SweepOptions = { out: 'x.jsonl' };",
        'export { model, names, error, wrong, backend, options, sweep, writeReport, shrinkInto, svd };',
        '',
      ].join('\n'),
    );
    run(process.execPath, [tsc, '-p', 'tsconfig.json'], app);

    await writeFile(
      join(app, 'run.mjs'),
      [
        "import { complete, getBackend, labelObservations, parseTriplets } from 'mcomplete';",
        "import * as node from 'mcomplete/node';",
        "const obs = labelObservations(['a', 'a', 'b', 'b', 'c', 'c', 'd'], ['x', 'y', 'x', 'z', 'y', 'z', 'x'], [1, 5, 1, 5, 1, 5, 3]);",
        "const fromCsv = parseTriplets('user,item,rating\\na,x,1\\na,y,5\\nb,x,1\\nb,z,5\\nc,y,1\\nc,z,5\\nd,x,3\\n', { file: 'ratings.csv' });",
        'const parsedSame = JSON.stringify([fromCsv.rowIds, fromCsv.colIds, [...fromCsv.observations.rows], [...fromCsv.observations.cols], [...fromCsv.observations.values]]) === JSON.stringify([obs.rowIds, obs.colIds, [...obs.observations.rows], [...obs.observations.cols], [...obs.observations.values]]);',
        "const model = complete(obs, { method: 'soft-impute', validation: 0.2 });",
        'const predictions = [];',
        'for (const r of model.rowIds) for (const c of model.colIds) predictions.push(model.predict(r, c));',
        'const atImport = getBackend().name;',
        'const chosen = node.useFastestBackend().name;',
        'let deep = "imported";',
        "try { await import('mcomplete/dist/index.js'); } catch (err) { deep = err.code; }",
        'const sameParser = node.parseTriplets === parseTriplets;',
        'console.log(JSON.stringify({ predictions, atImport, chosen, same: node.complete === complete, deep, parsedSame, sameParser }));',
        '',
      ].join('\n'),
    );
    const out = JSON.parse(run(process.execPath, ['run.mjs'], app)) as {
      predictions: number[];
      atImport: string;
      chosen: string;
      same: boolean;
      deep: string;
      parsedSame: boolean;
      sameParser: boolean;
    };
    assert.equal(out.predictions.length, 4 * 3);
    for (const p of out.predictions) assert.ok(Number.isFinite(p) && p >= 1 && p <= 5, `prediction ${p}`);
    assert.equal(out.atImport, 'ts', 'importing sets no backend');
    assert.equal(out.chosen, 'ts', 'no addon: useFastestBackend falls back to the TypeScript backend');
    assert.ok(out.same, 'mcomplete/node re-exports the same complete');
    assert.equal(out.deep, 'ERR_PACKAGE_PATH_NOT_EXPORTED');
    assert.ok(
      out.parsedSame,
      "the installed package's parseTriplets (csv-parse through #csv-parse-sync) reads the CSV of the same entries",
    );
    assert.ok(out.sameParser, 'mcomplete/node re-exports the same parseTriplets');

    // The installed command line runs too.
    const cli = join(app, 'node_modules', 'mcomplete', 'bin', 'mcomplete.js');
    assert.equal(run(process.execPath, [cli, '--version'], app).trim(), version);
    const runOut = JSON.parse(
      run(
        process.execPath,
        [cli, 'run', '--n', '10', '--rank', '1', '--samples', '40', '--max-iters', '50', '--json'],
        app,
      ),
    );
    assert.equal(runOut.iterations, 50);
    assert.ok(Number.isFinite(runOut.relError));
    // A command that draws figures says what is missing and how to get it, in one line.
    const report = spawnSync(process.execPath, [cli, 'report', 'results.jsonl'], { cwd: app, encoding: 'utf8' });
    assert.equal(report.status, 1, report.stderr);
    assert.match(
      report.stderr,
      /^mcomplete: the report's figures need vega and vega-lite, which are not installed .*`npm install vega@\S+ vega-lite@\S+`.*\n$/,
    );
    assert.equal(report.stdout, '');
  });
});
