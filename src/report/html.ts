import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunRecord } from '../sweep/execute.ts';
import type { ClaimResult } from '../study/claims.ts';
import { ablationSamples, methodNames, provenance, representativeRuns, summarize } from './data.ts';
import { ablation, errorVsSamples, finalSpectra, rankVsSamples, renderSvg, spectraOverTraining, type Figure } from './figures.ts';

/** What goes into a report besides the runs. */
export interface ReportOptions {
  title?: string;
  /** The claims' verdicts, when the runs come from a claims sweep. */
  claims?: ClaimResult[];
  /** The results file the runs were read from (named in the report). */
  source?: string;
  /** Figures to show instead of reportFigures(records) (the optimizer atlas brings its own). */
  figures?: Figure[];
  /** HTML sections (trusted, already escaped) placed before the summary table, e.g. the atlas table. */
  sections?: string[];
}

/** The figures of a report for these runs (those that have data). */
export function reportFigures(records: readonly RunRecord[]): Figure[] {
  const ok = records.filter((r) => r.metrics !== null);
  const figures = [errorVsSamples(records), rankVsSamples(records)];
  const m = ablationSamples(records);
  if (m !== null && methodNames(records.filter((r) => r.samples === m)).length > 1) figures.push(ablation(records, m));
  const withCheckpoints = representativeRuns(ok, m, (r) => (r.checkpoints?.length ?? 0) > 0);
  if (withCheckpoints.length > 0) figures.push(spectraOverTraining(withCheckpoints));
  const withFinal = representativeRuns(ok, m, (r) => (r.finalSpectrum?.length ?? 0) > 0);
  if (withFinal.length > 0) figures.push(finalSpectra(withFinal));
  return figures;
}

/** A complete, self-contained HTML page: claims, a summary table, SVG figures with captions, the methods' settings. */
export async function renderReport(records: readonly RunRecord[], opts: ReportOptions = {}): Promise<string> {
  if (records.length === 0) throw new RangeError('report: no runs to report');
  const figures = opts.figures ?? reportFigures(records);
  const svgs = await Promise.all(figures.map((f) => renderSvg(f.spec)));
  const title = opts.title ?? 'mcomplete report';
  const trace = provenance(records);
  const parts: string[] = [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${esc(title)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<h1>${esc(title)}</h1>`,
    `<p class="meta">${esc(trace)}${opts.source ? `. Results file: <code>${esc(opts.source)}</code>` : ''}. Generated ${esc(new Date().toISOString())}.</p>`,
  ];
  if (opts.claims) parts.push(claimsTable(opts.claims));
  if (opts.sections) parts.push(...opts.sections);
  parts.push(summaryTable(records));
  for (const [i, f] of figures.entries()) {
    parts.push(
      `<figure id="${f.id}"><h2>Figure ${i + 1}. ${esc(f.title)}</h2>${svgs[i]}`,
      `<figcaption>${esc(f.caption)} <span class="trace">Runs: ${esc(trace)}.</span></figcaption></figure>`,
    );
  }
  parts.push(methodsTable(records), '</body></html>', '');
  return parts.join('\n');
}

/** Write `index.html` for these runs into `dir` (created if needed), via a temporary file and a rename. */
export async function writeReport(records: readonly RunRecord[], dir: string, opts: ReportOptions = {}): Promise<string> {
  const html = await renderReport(records, opts);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'index.html');
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, html);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true }); // no temporary file left behind (index.html a folder, a full disk)
    throw err;
  }
  return file;
}

/** The claims with their verdicts, criteria and numbers. */
function claimsTable(claims: readonly ClaimResult[]): string {
  const rows = claims.map(
    (c) =>
      `<tr><td>${c.id}</td><td>${esc(c.claim)}</td><td class="verdict ${c.verdict.replace(' ', '-')}">${esc(c.verdict)}</td>` +
      `<td>${esc(c.criterion)}</td><td>${esc(c.evidence)}</td></tr>`,
  );
  return [
    '<h2>Claims</h2>',
    '<p>Each verdict is computed from the runs below against the stated criterion (mean ± sample standard deviation ' +
      'over seeds): supported when the whole interval meets it, inconclusive when only the mean does, not supported ' +
      'otherwise.</p>',
    '<table><thead><tr><th>#</th><th>claim</th><th>verdict</th><th>criterion</th><th>numbers (relError mean ± std)</th></tr></thead>',
    `<tbody>${rows.join('')}</tbody></table>`,
  ].join('\n');
}

/** relError and effective rank, mean ± std, per method and m. */
function summaryTable(records: readonly RunRecord[]): string {
  const rows = summarize(records).map(
    (r) =>
      `<tr><td>${esc(r.method)}</td><td>${esc(String(r.samples))}</td><td>${esc(r.seeds.join(', '))}</td>` +
      `<td>${r.count ? `${fmt(r.relError.mean)} ± ${fmt(r.relError.std)}` : '–'}</td>` +
      `<td>${r.count ? `${r.effectiveRank.mean.toFixed(2)} ± ${r.effectiveRank.std.toFixed(2)}` : '–'}</td><td>${esc(String(r.failed || ''))}</td></tr>`,
  );
  return [
    '<h2>Results</h2>',
    '<table><thead><tr><th>method</th><th>m</th><th>seeds</th><th>relError (mean ± std)</th><th>effective rank</th><th>diverged</th></tr></thead>',
    `<tbody>${rows.join('')}</tbody></table>`,
  ].join('\n');
}

/** Every method's settings (those that do not vary across its runs) and the versions that ran it. */
function methodsTable(records: readonly RunRecord[]): string {
  const rows = methodNames(records).map((name) => {
    const runs = records.filter((r) => r.name === name);
    const { n: _n, rank: _r, samples: _m, seed: _s, ...settings } = runs[0].settings as unknown as Record<string, unknown>;
    const versions = [...new Set(runs.map((r) => r.version))].join(', ');
    const every = runs[0].recordSpectrumEvery;
    return (
      `<tr><td>${esc(name)}</td><td><code>${esc(JSON.stringify(settings))}</code></td>` +
      `<td>${esc([...new Set(runs.map((r) => r.samples))].sort((a, b) => a - b).join(', '))}</td>` +
      `<td>${esc([...new Set(runs.map((r) => r.seed))].sort((a, b) => a - b).join(', '))}</td><td>${esc(String(every || '–'))}</td><td>${esc(versions)}</td></tr>`
    );
  });
  return [
    '<h2>Methods</h2>',
    '<table><thead><tr><th>method</th><th>settings</th><th>m</th><th>seeds</th><th>spectrum every</th><th>version</th></tr></thead>',
    `<tbody>${rows.join('')}</tbody></table>`,
  ].join('\n');
}

/** 3 significant digits in exponent form. */
function fmt(x: number): string {
  return Number.isFinite(x) ? x.toExponential(2) : String(x);
}

/** Escape text for HTML. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const STYLE = `
body { font-family: Helvetica, Arial, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.2em; margin-top: 1.6em; }
.meta, figcaption { color: #555; font-size: 0.9em; } .trace { color: #777; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } code { font-size: 0.9em; word-break: break-all; }
.verdict { font-weight: bold; white-space: nowrap; } .supported { color: #1a7f37; } .not-supported { color: #b42318; } .inconclusive { color: #9a6700; }
figure { margin: 1.5em 0; } figure svg { max-width: 100%; height: auto; }
`;
