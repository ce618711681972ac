// The evaluation page: `mcomplete evaluate ratings.csv --out-dir DIR` writes DIR/index.html, one self-contained
// HTML file in the completion report's Vega-Lite → SVG pipeline: the per-fold metrics of every method as a figure,
// the table of means ± std, every fold's row, the command, the seed and the data's fingerprint. Every string from the
// user (file name, command line) is escaped.
import type { TopLevelSpec } from 'vega-lite';
import type { CrossValidation, MeanStd } from '../complete/evaluate.ts';
import { esc } from './html.ts';
import { renderSvg, type Figure } from './figures.ts';

/** What the command adds to a cross-validation: the file, the command line, the wall time. */
export interface EvaluationReportFile extends CrossValidation {
  input?: { file: string; format: string; names: readonly string[] };
  command?: string;
  wallSeconds?: number;
}

/** The metrics of a fold row the figure and the tables show, with their column titles. */
export function metricColumns(k: number): { key: 'rmse' | 'mae' | 'precision' | 'recall' | 'ndcg' | 'map'; title: string }[] {
  return [
    { key: 'rmse', title: 'RMSE' },
    { key: 'mae', title: 'MAE' },
    { key: 'precision', title: `P@${k}` },
    { key: 'recall', title: `R@${k}` },
    { key: 'ndcg', title: `NDCG@${k}` },
    { key: 'map', title: `MAP@${k}` },
  ];
}

/** Every fold's value of every metric, one point per fold and method, one panel per metric (its own y scale). */
export function foldsFigure(r: CrossValidation): Figure {
  const columns = metricColumns(r.settings.k);
  const values = r.folds.flatMap((row) =>
    columns.flatMap(({ key, title }) => (row[key] === null ? [] : [{ metric: title, method: row.method, fold: row.fold, value: row[key] }])),
  );
  const means = r.summary.flatMap((s) =>
    columns.flatMap(({ key, title }) => (s[key].mean === null ? [] : [{ metric: title, method: s.method, value: s[key].mean }])),
  );
  const x = { field: 'method', type: 'nominal', title: null, sort: r.settings.methods, axis: { labelAngle: -30 } } as const;
  const y = { field: 'value', type: 'quantitative', title: null, scale: { zero: false } } as const;
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: { font: 'Helvetica, Arial, sans-serif', axis: { labelFontSize: 11, titleFontSize: 12, grid: true }, legend: { labelFontSize: 11 } },
    data: { values: [...values.map((v) => ({ ...v, kind: 'fold' })), ...means.map((v) => ({ ...v, kind: 'mean', fold: null }))] },
    facet: { field: 'metric', type: 'nominal', title: null, sort: columns.map((c) => c.title) },
    columns: 3,
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 200,
      height: 180,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'fold'" }],
          mark: { type: 'point', filled: true, size: 50, opacity: 0.8 },
          encoding: { x, y, color: { field: 'method', type: 'nominal', legend: null }, tooltip: [{ field: 'method' }, { field: 'fold' }, { field: 'value', format: '.4f' }] },
        },
        {
          transform: [{ filter: "datum.kind === 'mean'" }],
          mark: { type: 'tick', color: 'black', thickness: 2, size: 22 },
          encoding: { x, y },
        },
      ],
    },
  };
  return {
    id: 'folds',
    title: 'Every fold’s scores, by method',
    caption:
      `One point per fold (${r.settings.folds} folds, seed ${r.settings.seed}) and method, one panel per metric with its own scale; ` +
      'the black tick is the mean over the folds. RMSE and MAE: lower is better; the ranking metrics: higher is better ' +
      `(relevant: a held-out rating ≥ ${num(r.settings.threshold)}; lists of ${r.settings.k} items among those the user did not rate in the fold's training part).`,
    spec,
  };
}

/** "0.8712 ± 0.0043", or "–" when undefined. */
export function meanStdText(x: MeanStd, digits = 4): string {
  if (x.mean === null) return '–';
  return x.std === null ? x.mean.toFixed(digits) : `${x.mean.toFixed(digits)} ± ${x.std.toFixed(digits)}`;
}

/** A self-contained HTML page of a cross-validation: the settings and data, the figure, the summary, every fold. */
export async function renderEvaluationReport(r: EvaluationReportFile): Promise<string> {
  const figure = foldsFigure(r);
  const svg = await renderSvg(figure.spec);
  const columns = metricColumns(r.settings.k);
  const s = r.settings;
  const title = `mcomplete evaluation${r.input ? `: ${r.input.file}` : ''}`;
  const rows = (pairs: [string, string][]): string => pairs.map(([key, v]) => `<tr><th>${esc(key)}</th><td>${esc(v)}</td></tr>`).join('');
  const fitOptions = Object.keys(s.fitOptions).length > 0 ? JSON.stringify(s.fitOptions) : 'complete()’s defaults';
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${esc(title)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<h1>${esc(title)}</h1>`,
    '<h2>Settings and data</h2>',
    `<table id="settings"><tbody>${rows([
      ...(r.command ? ([['command', r.command]] as [string, string][]) : []),
      ['observed file', r.input ? `${r.input.file} (${r.input.format}; columns ${r.input.names.join(', ')})` : '(library call)'],
      ['data', `${r.data.rows} rows × ${r.data.cols} columns, ${r.data.entries} ratings, values ${r.data.min}..${r.data.max}`],
      ['data fingerprint', r.data.fingerprint],
      ['folds', `${s.folds}, drawn with seed ${s.seed} (each rating in the test part of exactly one)`],
      ['methods', s.methods.join(', ')],
      ['fits', `complete() with each method and seed ${s.seed} on the training part alone (${fitOptions})`],
      ['relevant', `a held-out rating ≥ ${num(s.threshold)} (${s.thresholdFrom === 'given' ? 'given' : `the default rule: lo + 0.75·(hi − lo) of ${r.data.min}..${r.data.max}`})`],
      ['lists', `top ${s.k} by model.recommend among the items of the training part the user did not rate there${s.minSupport > 0 ? `, items with at least ${s.minSupport} training ratings` : ''}`],
      ['time', `${r.seconds.toFixed(1)} s${r.wallSeconds !== undefined ? ` (wall ${r.wallSeconds.toFixed(1)} s with reading)` : ''}`],
    ])}</tbody></table>`,
    '<h2>Summary: mean ± sample standard deviation over the folds</h2>',
    '<table id="summary"><thead><tr><th>method</th>',
    ...columns.map((c) => `<th>${esc(c.title)}</th>`),
    '<th>seconds / fold</th></tr></thead><tbody>',
    ...r.summary.map(
      (m) =>
        `<tr><td>${esc(m.method)}</td>${columns.map((c) => `<td>${meanStdText(m[c.key])}</td>`).join('')}<td>${meanStdText(m.seconds, 1)}</td></tr>`,
    ),
    '</tbody></table>',
    `<figure id="${figure.id}"><h2>Figure 1. ${esc(figure.title)}</h2>${svg}`,
    `<figcaption>${esc(figure.caption)}</figcaption></figure>`,
    '<h2>Every fold</h2>',
    '<table id="fold-rows"><thead><tr><th>fold</th><th>method</th><th>train / test ratings</th>',
    ...columns.map((c) => `<th>${esc(c.title)}</th>`),
    '<th>users ranked</th><th>test cells with an unknown id</th><th>seconds</th><th>chosen</th></tr></thead><tbody>',
    ...r.folds.map(
      (f) =>
        `<tr><td>${f.fold}</td><td>${esc(f.method)}</td><td>${f.trainEntries} / ${f.testEntries}</td>` +
        columns.map((c) => `<td>${f[c.key] === null ? '–' : (f[c.key] as number).toFixed(4)}</td>`).join('') +
        `<td>${f.users}${f.unknownUsers > 0 ? ` (${f.unknownUsers} unknown)` : ''}</td><td>${f.unknownCells}</td><td>${f.seconds.toFixed(1)}</td><td>${esc(f.chosen)}</td></tr>`,
    ),
    '</tbody></table>',
    '<h2>Definitions</h2>',
    `<p class="notes">For each user with at least one relevant held-out rating, L is the top ${s.k} list and Rel the relevant held-out items; ` +
      `precision@k = |L ∩ Rel| / k; recall@k = |L ∩ Rel| / |Rel|; NDCG@k = DCG / IDCG with DCG = Σ over hits at rank i of 1/log₂(i + 1) and IDCG the same for min(k, |Rel|) hits at the top; ` +
      'AP@k = (1 / min(k, |Rel|)) Σ over hits at rank i of precision@i. Each is averaged over those users; MAP@k is the mean AP@k. ' +
      'Users and items absent from a fold’s training part get the fitted model’s fallback (mean + the known side’s bias); such a user is ranked by mean + item bias. ' +
      'Details: docs/complete.md, “Evaluate”.</p>',
    '</body></html>',
    '',
  ].join('\n');
}

function num(x: number): string {
  return Number(x.toPrecision(6)).toString();
}

const STYLE = `
body { font-family: Helvetica, Arial, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; word-break: break-all; } h2 { font-size: 1.2em; margin-top: 1.6em; }
figcaption, .notes { color: #555; font-size: 0.9em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
figure { margin: 1.5em 0; } figure svg { max-width: 100%; height: auto; }
`;
