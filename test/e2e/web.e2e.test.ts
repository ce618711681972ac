// End to end: build the live page, serve it from a sub-path, drive it in Debian's headless Chromium.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeState, encodeState } from '../../web/state.ts';
import { OPTIMIZER_NAMES } from '../../src/optim/index.ts';
import type { ResultsJson } from '../../web/results.ts';
import { CHROMIUM_ARGS, chromiumSkip, findChromium } from '../helpers/chromium.ts';
import { serveStatic } from '../helpers/static-server.ts';
import { traceMainThread, type MainThreadTasks } from '../helpers/trace.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const artifacts = join(root, 'test-artifacts');

const chromium = findChromium();
const chromiumPath = 'path' in chromium ? chromium.path : '';
const skip = chromiumSkip(chromium);
if (skip) console.log(`web page end-to-end tests skipped: ${skip}`);

// adam + L∗/F on a small matrix with a higher lr than the library's default, so the error falls within 3000 steps
// (measured with the library in Node: relative error ≈ 0.72 at 500 steps, ≈ 0.40 at 3000); run B is plain GD.
// The speed limit (1000 steps/s) makes the run take about 3 s on any machine, so the curve gets ~30 snapshots.
const settings = decodeState(
  'n=20&rank=1&frac=0.4&seed=0&init=0.001&steps=3000&speed=1000' +
    '&a.depth=1&a.pen=ratio&a.lam=0.0001&a.opt=adam&a.lr=0.01' +
    '&b.depth=1&b.pen=ratio&b.lam=0.0001&b.opt=sgd&b.lr=100',
).state;

/** Print what the trace says about the main thread. */
function reportTasks(what: string, t: MainThreadTasks): void {
  console.log(
    `${what}: ${t.tasks} main-thread tasks (${t.cpuTimedTasks} with CPU time); longest ${t.longestWallMs.toFixed(1)} ms wall, ` +
      `${t.longestCpuMs.toFixed(1)} ms CPU; ${t.overFiftyWallMs} over 50 ms wall; ${t.animationFrames} animation frames, ` +
      `longest ${t.longestAnimationFrameCpuMs.toFixed(1)} ms CPU`,
  );
}

describe('live page in headless Chromium', { skip, timeout: 180_000 }, () => {
  let site: { url: string; close(): Promise<void> };
  let outDir: string;
  let profile: string;
  // Types of playwright-core stay out of the module scope so the file loads where it is not installed.
  let context: import('playwright-core').BrowserContext;
  let page: import('playwright-core').Page;
  const consoleErrors: string[] = [];

  before(async () => {
    const { build } = await import('vite');
    const { chromium: browserType } = await import('playwright-core');
    outDir = await mkdtemp(join(tmpdir(), 'mcomplete-site-'));
    profile = await mkdtemp(join(tmpdir(), 'mcomplete-chromium-'));
    await build({
      configFile: join(root, 'web/vite.config.ts'),
      logLevel: 'warn',
      build: { outDir, emptyOutDir: true },
    });
    // A sub-path, as on a static host: only a relative base works there.
    site = await serveStatic(outDir, '/some/sub/path/');
    context = await browserType.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 1100 },
      acceptDownloads: true,
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
  });

  after(async () => {
    await context?.close();
    await site?.close();
    if (outDir) await rm(outDir, { recursive: true, force: true });
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  it('loads from a sub-path, shows the URL settings in its controls, and writes them back', async () => {
    await page.goto(`${site.url}?${encodeState(settings)}`);
    await page.waitForSelector('#start:not([disabled])');
    assert.equal(new URL(page.url()).search.slice(1), encodeState(settings));
    assert.equal(await page.inputValue('[name="n"]'), '20');
    assert.equal(await page.inputValue('[name="a.lr"]'), '0.01');
    assert.equal(await page.inputValue('[name="b.opt"]'), 'sgd');
    assert.equal(await page.textContent('#notice'), '');
    // Both runs offer every named optimizer, the atlas's included.
    for (const p of ['a', 'b']) {
      const offered = await page.$$eval(`[name="${p}.opt"] option`, (os) =>
        os.map((o) => (o as HTMLOptionElement).value),
      );
      assert.deepEqual(offered, [...OPTIMIZER_NAMES]);
    }
  });

  it('trains: the error curve gets points and falls for adam + L∗/F', async () => {
    let seconds = 0;
    const tasks = await traceMainThread(page, async () => {
      const t0 = performance.now();
      await page.click('#start');
      await page.waitForFunction(() => document.getElementById('start')?.textContent === 'Finished', null, {
        timeout: 120_000,
      });
      seconds = (performance.now() - t0) / 1000;
    });
    reportTasks('n = 20', tasks);
    // A lower bound: the speed limit can only make the run slower, so a busy machine cannot break this check.
    assert.ok(seconds > 2.5, `3000 steps at 1000 steps/s took only ${seconds.toFixed(2)} s`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    const results = JSON.parse(await readFile(await download.path(), 'utf8')) as ResultsJson;
    assert.deepEqual(results.settings, settings);
    const a = results.runs[0];
    assert.equal(a.step, 3000);
    assert.equal(a.stopReason, 'max-iters');
    const curve = results.history.runs[0].relUnobserved.filter((v): v is number => v !== null);
    assert.ok(curve.length >= 10, `only ${curve.length} points on the error curve`);
    const quarter = curve[Math.floor(curve.length / 4)];
    const last = curve[curve.length - 1];
    assert.ok(curve[0] > 0.95, `starts near 1 (W ≈ 0): ${curve[0]}`);
    assert.ok(
      last < 0.6 * curve[0] && last < quarter,
      `error on unobserved entries: ${curve[0]} → ${quarter} → ${last}`,
    );
    assert.ok(a.final.relUnobserved !== null && a.final.relUnobserved < 0.6, `final error ${a.final.relUnobserved}`);

    // The curve is drawn: run A's colour is on the error chart's canvas.
    await page.waitForTimeout(200);
    const blue = await page.evaluate(() => {
      const canvas = document.querySelector('#chart-error canvas') as HTMLCanvasElement;
      const px = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let count = 0;
      for (let i = 0; i < px.length; i += 4) {
        if (Math.abs(px[i] - 0x1f) < 24 && Math.abs(px[i + 1] - 0x6f) < 24 && Math.abs(px[i + 2] - 0xb4) < 24) count++;
      }
      return count;
    });
    assert.ok(blue > 100, `run A's curve has ${blue} pixels`);

    await mkdir(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'web-page.png'), fullPage: true });

    await checkPerf(tasks);
  });

  it('stays responsive while training the largest matrix (n = 100)', async () => {
    await page.goto(`${site.url}?${encodeState({ ...settings, n: 100, rank: 5, fraction: 0.3, maxSteps: 100000 })}`);
    await page.waitForSelector('#start:not([disabled])');
    const tasks = await traceMainThread(page, async () => {
      await page.click('#start');
      await page.waitForTimeout(5000);
      await page.click('#start');
      await page.waitForFunction(() => document.body.dataset.running === 'false');
    });
    reportTasks('n = 100', tasks);
    assert.ok(Number(await page.getAttribute('#stats-a', 'data-step')) > 0, 'run A made steps');
    await checkPerf(tasks);
  });

  it('a changed setting goes into the URL and survives a reload', async () => {
    await page.goto(`${site.url}?${encodeState(settings)}`);
    await page.waitForSelector('#start:not([disabled])');
    await page.selectOption('[name="a.opt"]', 'rmsprop');
    await page.fill('[name="seed"]', '7');
    await page.press('[name="seed"]', 'Enter');
    await page.locator('[name="seed"]').blur();
    await page.waitForFunction(() => location.search.includes('seed=7'));
    const expected = encodeState({
      ...settings,
      seed: 7,
      runs: [{ ...settings.runs[0], optimizer: 'rmsprop' }, settings.runs[1]],
    });
    assert.equal(new URL(page.url()).search.slice(1), expected);
    await page.reload();
    await page.waitForSelector('#start:not([disabled])');
    assert.equal(await page.inputValue('[name="a.opt"]'), 'rmsprop');
    assert.equal(await page.inputValue('[name="seed"]'), '7');
    assert.equal(new URL(page.url()).search.slice(1), expected);
  });

  /**
   * Our own drawing is short, and no main-thread task needed 50 ms of CPU. Both are measured in the main thread's
   * CPU time from the trace (the page draws in animation-frame callbacks), not in wall time, which also counts the
   * time a busy machine keeps the thread waiting; the page's own wall-clock draw times are only printed.
   */
  async function checkPerf(tasks: MainThreadTasks): Promise<void> {
    console.log(await page.$eval('#perf', (el) => el.textContent));
    assert.ok(
      tasks.tasks > 0 && tasks.animationFrames > 0,
      `the trace saw ${tasks.tasks} tasks, ${tasks.animationFrames} frames`,
    );
    if (tasks.cpuTimedTasks === 0) {
      // This platform's traces carry no thread CPU time: fall back to wall time, which a loaded machine inflates.
      console.log('the trace has no thread CPU time: checking wall time instead');
      assert.ok(tasks.longestWallMs < 50, `a main-thread task took ${tasks.longestWallMs.toFixed(1)} ms`);
      return;
    }
    assert.equal(tasks.cpuTimedAnimationFrames, tasks.animationFrames, 'every animation frame carries its CPU time');
    assert.ok(
      tasks.longestAnimationFrameCpuMs < 50,
      `a draw used ${tasks.longestAnimationFrameCpuMs.toFixed(1)} ms of CPU`,
    );
    assert.ok(tasks.longestCpuMs < 50, `a main-thread task used ${tasks.longestCpuMs.toFixed(1)} ms of CPU`);
  }

  it('logged no console errors', () => {
    assert.deepEqual(consoleErrors, []);
  });
});
