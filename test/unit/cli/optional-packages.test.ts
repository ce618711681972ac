// The command line's optional packages (Vega, Vega-Lite, BullMQ) as a library user's install lacks them: the loader
// is pointed at module names that do not exist, so every import fails exactly as it does without the package. Each
// command that needs one stops before any work with one line naming it and the command that installs it; the
// commands that do not need them still run.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  loadBullmq,
  loadVega,
  MissingPackageError,
  OPTIONAL_PACKAGES,
  setPackageSpecifier,
  type OptionalPackage,
} from '../../../src/sweep/optional-packages.ts';
import { renderSvg } from '../../../src/report/figures.ts';
import { openQueue, redisTarget } from '../../../src/sweep/queue.ts';
import { runMain } from '../../helpers/main.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mcomplete-optional-'));
after(() => {
  setPackageSpecifier();
  rmSync(dir, { recursive: true, force: true });
});

/** Import as usual, except that the packages in `absent` are looked up under a name nobody installed. */
function without(...absent: OptionalPackage[]): void {
  setPackageSpecifier((name) => (absent.includes(name) ? `${name}-not-installed-here` : name));
}

const FIGURES_LINE =
  /^mcomplete: the report's figures need vega and vega-lite, which are not installed \(optional for library users\): run `npm install vega@\^6\.4\.0 vega-lite@~6\.4\.1` next to mcomplete \(-g for a global install\)\n$/;
const QUEUE_LINE =
  /^mcomplete: distributed sweeps \(--queue, worker\) need bullmq, which is not installed \(optional for library users\): run `npm install bullmq@\^5\.81\.5` next to mcomplete/;

const ratings = join(dir, 'ratings.csv');
writeFileSync(ratings, 'user,item,rating\na,x,1\na,y,2\nb,x,3\nb,y,4\nc,x,5\n');
const spec = join(dir, 'spec.json');
writeFileSync(
  spec,
  JSON.stringify({
    name: 's',
    n: 10,
    rank: 1,
    samples: [40],
    seeds: [0],
    methods: [{ name: 'g', method: 'gradient', 'max-iters': 20 }],
  }),
);
const results = join(dir, 'results.jsonl');
writeFileSync(results, '');

describe('without vega and vega-lite', () => {
  const commands: [string, string[], string][] = [
    ['claims', ['claims', '--out', join(dir, 'claims-out')], join(dir, 'claims-out')],
    ['report', ['report', results, '--out', join(dir, 'report-out')], join(dir, 'report-out')],
    ['atlas', ['atlas', '--quick', '--out', join(dir, 'atlas-out')], join(dir, 'atlas-out')],
    ['phase', ['phase', '--out', join(dir, 'phase-out')], join(dir, 'phase-out')],
    ['complete --report x.html', ['complete', ratings, '--report', join(dir, 'r.html')], join(dir, 'r.html')],
    ['evaluate', ['evaluate', ratings, '--folds', '2', '--out-dir', join(dir, 'eval-out')], join(dir, 'eval-out')],
  ];
  for (const [name, argv, output] of commands) {
    it(`mcomplete ${name}: one line naming both packages and how to install them, exit 1, nothing written`, async () => {
      without('vega', 'vega-lite');
      const r = await runMain(argv);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, FIGURES_LINE);
      assert.equal(r.stdout, '');
      assert.ok(!existsSync(output), `${output} was not created`);
    });
  }

  it('names only the one that is missing', async () => {
    without('vega-lite');
    const r = await runMain(['report', results, '--out', join(dir, 'report-out')]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^mcomplete: the report's figures need vega-lite, which is not installed .*`npm install vega-lite@~6\.4\.1`/,
    );
    assert.doesNotMatch(r.stderr, /vega@/);
  });

  it("the library's renderSvg throws MissingPackageError", async () => {
    without('vega', 'vega-lite');
    await assert.rejects(
      renderSvg({ data: { values: [{ x: 1 }] }, mark: 'point', encoding: { x: { field: 'x', type: 'quantitative' } } }),
      (err: unknown) => err instanceof MissingPackageError && err.packages.join() === 'vega,vega-lite',
    );
  });

  it('complete --report x.json and run still work', async () => {
    without('vega', 'vega-lite', 'bullmq');
    const json = join(dir, 'r.json');
    const c = await runMain(['complete', ratings, '--method', 'soft-impute', '--report', json, '--quiet']);
    assert.equal(c.code, 0, c.stderr);
    assert.ok(JSON.parse(readFileSync(json, 'utf8')));
    const r = await runMain(['run', '--n', '10', '--rank', '1', '--samples', '40', '--max-iters', '20', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).iterations, 20);
  });
});

describe('without bullmq', () => {
  it('mcomplete sweep --queue and claims --queue: one line naming bullmq, before connecting or writing', async () => {
    without('bullmq');
    // Port 1 on the loopback: nothing listens there, so a connection attempt would be a different message.
    for (const argv of [
      ['sweep', spec, '--queue', 'redis://127.0.0.1:1', '--out', join(dir, 'q.jsonl')],
      ['claims', '--queue', 'redis://127.0.0.1:1', '--out', join(dir, 'q-claims')],
    ]) {
      const r = await runMain(argv);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, QUEUE_LINE);
      assert.equal(r.stderr.split('\n').length, 2, r.stderr);
    }
    assert.ok(!existsSync(join(dir, 'q.jsonl')) && !existsSync(join(dir, 'q-claims')));
  });

  it('mcomplete worker: the same line', async () => {
    without('bullmq');
    const r = await runMain(['worker', '--queue', 'redis://127.0.0.1:1']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, QUEUE_LINE);
  });

  it("the library's openQueue rejects with MissingPackageError", async () => {
    without('bullmq');
    await assert.rejects(
      openQueue(redisTarget('redis://127.0.0.1:1'), 'q'),
      (err: unknown) => err instanceof MissingPackageError && err.packages.join() === 'bullmq',
    );
  });

  it('mcomplete sweep without --queue still runs', async () => {
    without('vega', 'vega-lite', 'bullmq');
    const out = join(dir, 'local.jsonl');
    const r = await runMain(['sweep', spec, '--out', out, '--workers', '1', '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(out, 'utf8').trim().split('\n').length, 1);
  });
});

describe('the optional packages as package.json declares them', () => {
  it('are optional peer dependencies of these versions, and development dependencies of the repository', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<
      string,
      Record<string, unknown> | undefined
    >;
    for (const [name, range] of Object.entries(OPTIONAL_PACKAGES)) {
      assert.equal(pkg.peerDependencies?.[name], range, `peerDependencies.${name}`);
      assert.deepEqual(pkg.peerDependenciesMeta?.[name], { optional: true }, `peerDependenciesMeta.${name}`);
      assert.equal(pkg.devDependencies?.[name], range, `devDependencies.${name}`);
      assert.equal(pkg.dependencies?.[name], undefined, `${name} is not a dependency`);
    }
  });

  it('load when installed (as in this repository)', async () => {
    setPackageSpecifier();
    const { vega, vegaLite } = await loadVega();
    assert.equal(typeof vega.View, 'function');
    assert.equal(typeof vegaLite.compile, 'function');
    assert.equal(typeof (await loadBullmq()).Queue, 'function');
  });
});
