// The phase-transition report of `mcomplete phase`: success rate and median relError against ρ per method (Vega-Lite
// → SVG, like the claims report), the table of each method's smallest ρ with ≥ 90% success, and seconds per run.
import type { RunRecord } from '../sweep/execute.ts';
import {
  phaseTable,
  phaseThresholds,
  PHASE_SUCCESS,
  PUBLISHED_KAPPA10_MEDIANS,
  type PhaseCell,
} from '../study/phase.ts';
import { provenance } from './data.ts';
import { renderSvg, type Figure } from './figures.ts';
import { esc } from './html.ts';

const FRAME = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', config: { font: 'Helvetica, Arial, sans-serif' } } as const;
const RHO_X = { field: 'rho', type: 'quantitative', title: 'ρ = m / (r(2n − r))', scale: { zero: false } } as const;

/** Success rate (relError ≤ threshold) against ρ, one line per method. */
export function successVsRho(cells: readonly PhaseCell[], success = PHASE_SUCCESS): Figure {
  return {
    id: 'success-vs-rho',
    title: 'Success rate vs ρ',
    caption: `Share of seeds with relError ≤ ${success} at each ρ (identifiable masks), per method.`,
    spec: {
      ...FRAME,
      width: 520,
      height: 280,
      data: { values: cells.map((c) => ({ method: c.method, rho: c.rho, rate: c.successRate })) },
      mark: { type: 'line', point: true },
      encoding: {
        x: RHO_X,
        y: { field: 'rate', type: 'quantitative', title: 'success rate', scale: { domain: [0, 1] } },
        color: { field: 'method', type: 'nominal' },
      },
    },
  };
}

/**
 * Median relError against ρ (log scale), one line per method; when the records include κ = 10 runs at n = 1000, the
 * published MatrixIRLS and R2RILS medians of the field's benchmark are drawn beside them.
 */
export function medianErrorVsRho(cells: readonly PhaseCell[], n?: number): Figure {
  const values = cells.filter((c) => Number.isFinite(c.medianRelError) && c.medianRelError > 0).map((c) => ({ method: c.method, rho: c.rho, err: c.medianRelError }));
  const published = n === 1000 && cells.some((c) => c.method.endsWith(' κ=10'));
  if (published) {
    const rhos = cells.map((c) => c.rho);
    const [lo, hi] = [Math.min(...rhos), Math.max(...rhos)];
    for (const [name, points] of Object.entries(PUBLISHED_KAPPA10_MEDIANS))
      for (const [rho, err] of points) if (rho >= lo - 0.05 && rho <= hi + 0.05) values.push({ method: `${name} κ=10 (published)`, rho, err });
  }
  return {
    id: 'median-error-vs-rho',
    title: 'Median relative error vs ρ',
    caption:
      'Median over seeds of ‖W − W*‖_F / ‖W*‖_F at each ρ (log scale; values at 1e-16 are exact to rounding).' +
      (published ? ' "(published)": the medians of Kümmerle & Verdun, ICML 2021, Figure 1 (100 instances per ρ, κ = 10).' : ''),
    spec: {
      ...FRAME,
      width: 520,
      height: 280,
      data: { values },
      mark: { type: 'line', point: true },
      encoding: {
        x: RHO_X,
        y: { field: 'err', type: 'quantitative', scale: { type: 'log' }, axis: { format: '.0e' }, title: 'median relError (log scale)' },
        color: { field: 'method', type: 'nominal' },
      },
    },
  };
}

/** The phase report as one self-contained HTML page. */
export async function renderPhaseReport(records: readonly RunRecord[], opts: { title: string; source?: string; success?: number }): Promise<string> {
  const success = opts.success ?? PHASE_SUCCESS;
  const cells = phaseTable(records, success);
  const figures = [successVsRho(cells, success), medianErrorVsRho(cells, records[0]?.n)];
  const svgs = await Promise.all(figures.map((f) => renderSvg(f.spec)));
  const rows = cells.map(
    (c) =>
      `<tr><td>${esc(c.method)}</td><td>${c.rho.toFixed(2)}</td><td>${c.samples}</td><td>${c.successes}/${c.runs}</td>` +
      `<td>${c.medianRelError.toExponential(2)}</td><td>${c.medianSeconds.toFixed(2)}</td></tr>`,
  );
  const thresholds = phaseThresholds(cells).map((t) => `<tr><td>${esc(t.method)}</td><td>${t.rho === null ? 'none in the grid' : t.rho.toFixed(2)}</td></tr>`);
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${esc(opts.title)}</title>`,
    '<style>body{font-family:Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}table{border-collapse:collapse;font-size:.85em}th,td{border:1px solid #ccc;padding:4px 8px}th{background:#f3f3f3}.meta,figcaption{color:#555;font-size:.9em}</style>',
    '</head><body>',
    `<h1>${esc(opts.title)}</h1>`,
    `<p class="meta">${esc(provenance(records))}${opts.source ? `. Results file: <code>${esc(opts.source)}</code>` : ''}. Success: relError ≤ ${success}.</p>`,
    '<h2>Smallest ρ with ≥ 90% success</h2>',
    `<table><thead><tr><th>method</th><th>ρ</th></tr></thead><tbody>${thresholds.join('')}</tbody></table>`,
    ...figures.map((f, i) => `<figure id="${f.id}"><h2>Figure ${i + 1}. ${esc(f.title)}</h2>${svgs[i]}<figcaption>${esc(f.caption)}</figcaption></figure>`),
    '<h2>All cells</h2>',
    `<table><thead><tr><th>method</th><th>ρ</th><th>m</th><th>successes</th><th>median relError</th><th>median s/run</th></tr></thead><tbody>${rows.join('')}</tbody></table>`,
    '</body></html>',
    '',
  ].join('\n');
}
