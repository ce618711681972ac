import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderReport, writeReport } from '../../src/report/html.ts';
import { evaluateClaims, QUICK_CLAIMS } from '../../src/study/claims.ts';
import type { RunRecord } from '../../src/sweep/execute.ts';
import { runCli } from '../helpers/cli.ts';

const METHODS = ['nuclear-min', 'adam + L*/F', 'sgd + L*/F'];

/** Synthetic runs: 3 methods × 2 sample counts × 2 seeds, gradient runs with 3 checkpoints each. */
function records(): RunRecord[] {
  const out: RunRecord[] = [];
  for (const [k, name] of METHODS.entries()) {
    for (const samples of [200, 400]) {
      for (const seed of [0, 1]) {
        const relError = 10 ** -(k + samples / 200) * (1 + 0.1 * seed);
        const gradient = name !== 'nuclear-min';
        out.push({
          version: '9.9.9',
          sweep: 'report-test',
          key: `${name}/${samples}/${seed}`,
          name,
          method: gradient ? 'gradient' : 'nuclear-min',
          n: 20,
          rank: 2,
          samples,
          seed,
          settings: gradient
            ? {
                n: 20,
                rank: 2,
                samples,
                seed,
                method: 'gradient',
                depth: 1,
                penalty: 'ratio',
                lambda: 1e-3,
                optimizer: name.startsWith('adam') ? 'adam' : 'sgd',
                lr: 1e-3,
                initScale: 1e-3,
                maxIters: 300,
                tol: 0,
              }
            : { n: 20, rank: 2, samples, seed, method: 'nuclear-min', boxTol: 0, relTol: 1e-6, maxIters: 100 },
          recordSpectrumEvery: gradient ? 100 : 0,
          metrics: {
            relError,
            relErrorUnobserved: relError,
            trainMSE: 0,
            effectiveRank: 2 + k,
            nuclearNorm: 1,
            ratio: 1,
            iterations: 300,
            seconds: 0,
            stopReason: 'max-iters',
          },
          checkpoints: gradient
            ? [100, 200, 300].map((step) => ({ step, relError, s: [step / 10, step / 20, 0.5, 0.1] }))
            : undefined,
          finalSpectrum: [30, 15, 0.5, 0.1],
          finishedAt: '2026-01-01T00:00:00.000Z',
        });
      }
    }
  }
  return out;
}

/** The SVG of figure `id` in the report. */
function figureSvg(html: string, id: string): string {
  const start = html.indexOf(`<figure id="${id}">`);
  assert.ok(start >= 0, `figure ${id} is missing`);
  return html.slice(start, html.indexOf('</figure>', start));
}

test('the report has SVG figures with their axis titles, one series per method, and traces them to the runs', async () => {
  const html = await renderReport(records(), { title: 'test report' });
  assert.ok(html.startsWith('<!doctype html>'));
  for (const id of ['error-vs-samples', 'rank-vs-samples', 'ablation', 'spectra', 'final-spectra'])
    assert.match(figureSvg(html, id), /<svg /);
  const err = figureSvg(html, 'error-vs-samples');
  assert.ok(err.includes('observed entries m'), 'x axis title');
  assert.ok(err.includes('relative error ‖W − W*‖_F / ‖W*‖_F (log scale)'), 'y axis title');
  // One line (a path Vega labels "line mark") per method, each in its own color, and each method in the legend.
  const lines = [
    ...err.matchAll(
      /<path aria-label="([^"]*)" role="graphics-symbol" aria-roledescription="line mark"[^>]* stroke="(#[0-9a-f]+)"/g,
    ),
  ];
  assert.equal(lines.length, METHODS.length);
  assert.equal(new Set(lines.map((l) => l[2])).size, METHODS.length);
  for (const m of METHODS) {
    assert.ok(
      lines.some((l) => l[1].endsWith(`method: ${m}`)),
      `a line for ${m}`,
    );
    assert.ok(err.includes(`>${m}</text>`), `legend entry ${m}`);
  }
  assert.ok(figureSvg(html, 'rank-vs-samples').includes('effective rank'));
  assert.ok(figureSvg(html, 'spectra').includes('training step'));
  assert.ok(figureSvg(html, 'spectra').includes('singular value σ_i (log scale)'));
  // Traceability: version, seeds and each method's settings.
  assert.match(html, /12 runs of sweep report-test \(mcomplete 9\.9\.9\); n=20, rank 2; seeds 0, 1/);
  assert.ok(html.includes('&quot;optimizer&quot;:&quot;sgd&quot;'));
  assert.ok(!html.includes('Claims</h2>'), 'no claims table without claims');
});

test('a report of more methods than a panel holds draws Figure 1 in titled panels, a legend entry for every method', async () => {
  const optimizers = [
    'adam',
    'rmsprop',
    'adagrad',
    'sign',
    'adafactor',
    'adamw',
    'adam-frozen',
    'sgd',
    'momentum',
    'normalized-gd',
    'muon',
  ];
  const adam = records().filter((r) => r.name === 'adam + L*/F');
  const many = [
    ...records().filter((r) => r.name === 'nuclear-min'),
    ...optimizers.flatMap((o) =>
      adam.map(
        (r) =>
          ({ ...r, name: `${o} + L*/F`, key: `${o}/${r.key}`, settings: { ...r.settings, optimizer: o } }) as RunRecord,
      ),
    ),
  ];
  const err = figureSvg(await renderReport(many), 'error-vs-samples');
  for (const title of [
    'L*/F, depth 1: optimizers with a per-coordinate denominator',
    'L*/F, depth 1: other optimizers',
    'baselines, other penalties and depths',
  ]) {
    assert.ok(err.includes(`>${title}</text>`), title);
  }
  for (const o of optimizers) assert.ok(err.includes(`>${o} + L*/F</text>`), `legend entry ${o}`);
  assert.ok(err.includes('>nuclear-min</text>'));
});

test('a claims report has the claims table; writeReport writes index.html atomically', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcomplete-report-'));
  const recs = records();
  const claims = evaluateClaims(recs, { ...QUICK_CLAIMS.config, compareAt: 200 });
  const file = await writeReport(recs, dir, { claims });
  assert.equal(file, join(dir, 'index.html'));
  const html = readFileSync(file, 'utf8');
  assert.ok(html.includes('Claims</h2>'));
  assert.ok(
    claims.some((c) => c.id === 9),
    'the quick claims include claim 9',
  );
  assert.equal((html.match(/class="verdict /g) ?? []).length, claims.length);
});

test('mcomplete report writes the HTML from a results file and says where', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcomplete-report-cli-'));
  const results = join(dir, 'r.jsonl');
  writeFileSync(
    results,
    `${records()
      .map((r) => JSON.stringify(r))
      .join('\n')}\n{"version":"9.9.9","sweep":"half`,
  ); // a record cut off by a kill
  const out = join(dir, 'out');
  const r = runCli(['report', results, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `Report: ${join(out, 'index.html')}\n`);
  assert.match(r.stderr, /ignored a cut-off last run record/);
  assert.match(readFileSync(join(out, 'index.html'), 'utf8'), /<svg /);
  const empty = join(dir, 'empty.jsonl');
  writeFileSync(empty, '');
  const e = runCli(['report', empty, '--out', out]);
  assert.equal(e.code, 1);
  assert.equal(e.stderr, `mcomplete: ${empty}: holds no runs (an empty results file): run \`mcomplete sweep\` first\n`);
});
