// The completion report: `mcomplete complete ... --report report.html`, in the same Vega-Lite → SVG
// pipeline as the claims report, one self-contained HTML file. Every string from the user (file names, ids in notes,
// column names) is escaped.
import type { TopLevelSpec } from 'vega-lite';
import type { CompletionReport, FittedModel, Trial } from '../complete/index.ts';
import type { CountBucket } from '../complete/diagnostics.ts';
import { COMPLETE_REPORT_DEFAULTS } from '../defaults.ts';
import { esc } from './html.ts';
import { renderSvg, type Figure } from './figures.ts';

/** The query part of a completion report (cells asked for and how many fell back to biases). */
export interface QuerySummary {
  cells: number;
  unknownCells: number;
  unknownRowCells: number;
  unknownColCells: number;
  unknownRowIds: number;
  unknownColIds: number;
}

/** What the command adds to a CompletionReport: the files, the query's fallback counts, the wall time. */
export interface CompletionReportFile extends CompletionReport {
  input?: { file: string; format: string; names: readonly string[]; duplicates: string };
  query?: (QuerySummary & { file: string }) | null;
  fallbackRule?: string;
  keepObserved?: boolean;
  outputs?: { predictions: string | null; matrix: string | null; model?: string | null };
  wallSeconds?: number;
  /** A few users' top-N lists with each item's training support, unfiltered and with a minimum support. */
  topN?: TopNView;
}

/** One recommended item as the report shows it: its id, its score and its number of training ratings. */
export interface TopNItem {
  item: string;
  score: number;
  support: number;
}

/** The top-N view: for a few users, their list by model.recommend, and the same with a minimum support. */
export interface TopNView {
  top: number;
  minSupport: number;
  users: { user: string; ratings: number; plain: TopNItem[]; supported: TopNItem[] }[];
}

/**
 * The top-N view of a fitted model: for its first `users` users (id order), the `top` items of model.recommend
 * (seen items left out) and the same with minSupport, each item with its training support, so that an item with one
 * rating high on its bias alone shows. Cost O(users·n·k).
 */
export function topNView(model: FittedModel, opts: { users?: number; top?: number; minSupport?: number } = {}): TopNView {
  const D = COMPLETE_REPORT_DEFAULTS;
  const top = opts.top ?? D.topN;
  const minSupport = opts.minSupport ?? D.topNMinSupport;
  const users = model.rowIds.slice(0, opts.users ?? D.topNUsers);
  const support = model.itemSupport();
  const col = new Map(model.colIds.map((id, j) => [id, j]));
  const withSupport = (recs: { item: string; score: number }[]): TopNItem[] =>
    recs.map((r) => ({ item: r.item, score: r.score, support: support[col.get(r.item) as number] }));
  const plain = model.recommendMany(users, { top });
  const supported = model.recommendMany(users, { top, minSupport });
  return {
    top,
    minSupport,
    users: users.map((user, u) => ({
      user,
      ratings: model.seenItems(user).length,
      plain: withSupport(plain[u]),
      supported: withSupport(supported[u]),
    })),
  };
}

/** The cold-start buckets of the summary table: by fit entries of the row (column), 0, 1–5, 6–20 and more than 20. */
export const COLD_START_BUCKETS: readonly (readonly [number, number])[] = [
  [0, 0],
  [1, 5],
  [6, 20],
  [21, Infinity],
];

/**
 * The finer buckets of the diagnostics merged into COLD_START_BUCKETS: entries add up, RMSEs combine through their
 * sums of squares (rmse²·entries). A bucket of the diagnostics must lie inside one of them.
 */
export function coarseBuckets(buckets: readonly CountBucket[]): { lo: number; hi: number | null; entries: number; rmse: number | null }[] {
  return COLD_START_BUCKETS.map(([lo, hi]) => {
    let entries = 0;
    let sse = 0;
    for (const b of buckets) {
      const bHi = b.hi ?? Infinity;
      if (b.lo < lo || bHi > hi) continue;
      entries += b.entries;
      if (b.rmse !== null) sse += b.rmse * b.rmse * b.entries;
    }
    return { lo, hi: Number.isFinite(hi) ? hi : null, entries, rmse: entries > 0 ? Math.sqrt(sse / entries) : null };
  });
}

const FRAME = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  config: { font: 'Helvetica, Arial, sans-serif', axis: { labelFontSize: 11, titleFontSize: 12, grid: true }, legend: { labelFontSize: 11 } },
} as const;
const WIDTH = 520;
const HEIGHT = 280;

/** A trial's setting in words: method, rank, λ and any extra (weight decay, weighting, steps or iterations). */
export function settingLabel(t: Trial): string {
  const extra = t;
  const parts = [t.method, t.method === 'soft-impute' ? `rank ≤ ${t.rank}` : `rank ${t.rank}`, `λ ${num(t.lambda)}`];
  if (extra.weightDecay !== undefined) parts.push(`wd ${num(extra.weightDecay)}`);
  if (extra.weighting !== undefined && extra.weighting !== 'none') parts.push(`weighted (${extra.weighting})`);
  if (t.steps !== undefined) parts.push(`${t.steps} steps${t.budget !== undefined ? ` of ${t.budget}` : ''}`);
  if (t.iterations !== undefined) parts.push(`${t.iterations} it.`);
  return parts.join(', ');
}

/** The trial complete() chose (the first with the chosen validation RMSE among the chosen method's). */
export function chosenTrial(r: CompletionReport): Trial | undefined {
  return r.tried.find((t) => t.method === r.method && t.rank === r.chosen.rank && t.lambda === r.chosen.lambda && t.validationRMSE === r.chosen.validationRMSE);
}

/** Validation RMSE of every setting of one method against λ, one line per rank (and variant), the choice marked. */
export function trialsFigure(r: CompletionReport, method: string): Figure {
  const chosen = chosenTrial(r);
  const mine = r.tried.filter((t) => t.method === method);
  // The x axis: λ, or the weight decay ω when that is what varies more (ratio's default grid has one λ).
  const distinct = (f: (t: Trial) => number | undefined): number => new Set(mine.map(f)).size;
  const byDecay = distinct((t) => t.weightDecay) > distinct((t) => t.lambda);
  const xOf = (t: Trial): number => (byDecay ? (t.weightDecay ?? 0) : t.lambda);
  const positive = mine.every((t) => xOf(t) > 0);
  const values = mine.map((t) => {
    const extra = t;
    const variant = [
      method === 'soft-impute' ? `rank ≤ ${t.rank}` : `rank ${t.rank}`,
      byDecay ? `λ ${num(t.lambda)}` : extra.weightDecay !== undefined ? `wd ${num(extra.weightDecay)}` : '',
      extra.weighting && extra.weighting !== 'none' ? 'weighted' : '',
    ].filter(Boolean).join(', ');
    return { x: xOf(t), rmse: t.validationRMSE, variant, setting: settingLabel(t), chosen: t === chosen };
  });
  const x = {
    field: 'x',
    type: 'quantitative',
    title: `${byDecay ? 'weight decay ω' : 'λ'} (${positive ? 'log' : 'symmetric log'} scale)`,
    scale: { type: positive ? 'log' : 'symlog' },
    axis: { format: '.1e' },
  } as const;
  const y = { field: 'rmse', type: 'quantitative', title: 'validation RMSE', scale: { zero: false } } as const;
  const spec: TopLevelSpec = {
    ...FRAME,
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    layer: [
      { mark: { type: 'line', point: true }, encoding: { x, y, color: { field: 'variant', type: 'nominal', title: 'setting' }, tooltip: { field: 'setting' } } },
      {
        transform: [{ filter: 'datum.chosen' }],
        mark: { type: 'point', shape: 'diamond', size: 260, filled: false, strokeWidth: 2.5, color: 'black' },
        encoding: { x, y },
      },
    ],
  };
  return {
    id: `trials-${method}`,
    title: `${method}: validation RMSE of every setting tried`,
    caption:
      `Validation RMSE (fit on ${r.validation.fitEntries} entries, scored on the ${r.validation.entries} held out) of each ${method} ` +
      `setting against ${byDecay ? 'the weight decay ω' : 'λ'}, one line per rank${method === 'soft-impute' ? ' cap (the λ path, warm-started, decreasing)' : ' and variant (weighting)'}. ` +
      (mine.some((t) => t.budget !== undefined) ? 'Gradient settings show their last successive-halving run (budget in the table below). ' : '') +
      (chosen?.method === method ? `The black diamond is the setting chosen (${settingLabel(chosen)}).` : `${method} was not chosen.`),
    spec,
  };
}

/**
 * The validation curve of the chosen setting: RMSE at every evaluation step for a gradient method (the chosen step
 * marked), or along the λ path of the chosen rank cap for soft-impute (one point per λ).
 */
export function curveFigure(r: CompletionReport): Figure | null {
  const chosen = chosenTrial(r);
  if (!chosen) return null;
  if (chosen.curve && chosen.curve.length > 0) {
    const x = { field: 'step', type: 'quantitative', title: 'training step' } as const;
    return {
      id: 'curve',
      title: 'Validation curve of the chosen setting',
      caption:
        `Validation RMSE of ${settingLabel(chosen)}${r.blend?.chosen ? " (the blend's first component)" : ''} at every evaluation during tuning; the dashed line is the step kept ` +
        `(${chosen.steps}), after which the refit on all entries runs for the same number of steps.`,
      spec: {
        ...FRAME,
        width: WIDTH,
        height: HEIGHT,
        layer: [
          {
            data: { values: chosen.curve.map((c) => ({ step: c.step, rmse: c.validationRMSE })) },
            mark: { type: 'line', point: { size: 12 } },
            encoding: { x, y: { field: 'rmse', type: 'quantitative', title: 'validation RMSE', scale: { zero: false } } },
          },
          { data: { values: [{ step: chosen.steps ?? 0 }] }, mark: { type: 'rule', strokeDash: [6, 4], color: 'black' }, encoding: { x } },
        ],
      },
    };
  }
  const path = r.tried.filter((t) => t.method === chosen.method && t.rank === chosen.rank);
  const values = path.map((t, q) => ({ q, lambda: t.lambda, rmse: t.validationRMSE, chosen: t === chosen }));
  const x = { field: 'q', type: 'quantitative', title: 'position q on the λ path (λ decreasing)' } as const;
  const y = { field: 'rmse', type: 'quantitative', title: 'validation RMSE', scale: { zero: false } } as const;
  return {
    id: 'curve',
    title: 'Validation curve of the chosen setting',
    caption: `Validation RMSE along the λ path of ${chosen.method}${r.blend?.chosen ? " (the blend's first component)" : ''} with rank cap ${chosen.rank} (each solve warm-started from the previous λ); the diamond is the λ chosen (${num(chosen.lambda)}).`,
    spec: {
      ...FRAME,
      width: WIDTH,
      height: HEIGHT,
      data: { values },
      layer: [
        { mark: { type: 'line', point: true }, encoding: { x, y, tooltip: { field: 'lambda', type: 'quantitative' } } },
        { transform: [{ filter: 'datum.chosen' }], mark: { type: 'point', shape: 'diamond', size: 260, filled: false, strokeWidth: 2.5, color: 'black' }, encoding: { x, y } },
      ],
    },
  };
}

/** Singular values of the final low-rank part, largest first (log scale). */
export function spectrumFigure(r: CompletionReport): Figure | null {
  const s = r.diagnostics.singularValues;
  const floor = 1e-12 * (s[0] ?? 0);
  const values = s.flatMap((v, i) => (v > floor ? [{ i: i + 1, s: v }] : []));
  if (values.length === 0) return null;
  return {
    id: 'spectrum',
    title: 'Singular values of the fitted low-rank part',
    caption:
      `The ${values.length} singular values of L·Rᵀ, the low-rank part${blendNote(r)} refit on all ${r.data.observed} observed entries ` +
      '(on top of the biases), largest first, on a log scale (values below 1e-12 σ1 are not drawn).',
    spec: {
      ...FRAME,
      width: WIDTH,
      height: HEIGHT,
      data: { values },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'i', type: 'quantitative', title: 'index i (largest first)' },
        y: { field: 's', type: 'quantitative', scale: { type: 'log' }, axis: { format: '.1e' }, title: 'singular value σ_i (log scale)' },
      },
    },
  };
}

/** Histogram of the chosen setting's validation residuals. */
export function residualFigure(r: CompletionReport): Figure {
  const { edges, counts } = r.diagnostics.residuals;
  const values = counts.map((c, q) => ({ lo: edges[q], hi: edges[q + 1], count: c }));
  return {
    id: 'residuals',
    title: 'Residuals on the validation split',
    caption:
      `Prediction − value on the ${r.validation.entries} validation entries, for the chosen setting${blendNote(r)} as tuned (fit split only, ` +
      'biases included, predictions clipped as the final model clips them).',
    spec: {
      ...FRAME,
      width: WIDTH,
      height: HEIGHT,
      data: { values },
      mark: { type: 'rect', color: '#4c78a8' },
      encoding: {
        x: { field: 'lo', type: 'quantitative', title: 'residual (prediction − value)' },
        x2: { field: 'hi' },
        y: { field: 'count', type: 'quantitative', title: 'validation entries' },
      },
    },
  };
}

/** Validation RMSE by how many fit entries the row (user) or column (item) has: the cold-start picture. */
export function coldStartFigure(r: CompletionReport): Figure {
  const label = (lo: number, hi: number | null): string => (hi === null ? `> ${lo - 1}` : lo === hi ? `${lo}` : `${lo}–${hi}`);
  const order = r.diagnostics.byRowCount.map((b) => label(b.lo, b.hi));
  const values = [
    ...r.diagnostics.byRowCount.map((b) => ({ side: 'rows (users)', bucket: label(b.lo, b.hi), rmse: b.rmse, entries: b.entries })),
    ...r.diagnostics.byColCount.map((b) => ({ side: 'columns (items)', bucket: label(b.lo, b.hi), rmse: b.rmse, entries: b.entries })),
  ].filter((v) => v.entries > 0);
  return {
    id: 'cold-start',
    title: 'Validation RMSE by number of ratings (cold start)',
    caption:
      `Validation RMSE of the chosen setting${blendNote(r)} as tuned, grouped by how many entries of the fit split the row (user) or ` +
      'the column (item) of each validation entry has; the label on each bar is its number of validation entries. Rows ' +
      'and columns with 0 fit entries get the baseline alone.',
    spec: {
      ...FRAME,
      data: { values },
      facet: { column: { field: 'side', type: 'nominal', title: null } },
      spec: {
        width: 280,
        height: HEIGHT,
        layer: [
          {
            mark: 'bar',
            encoding: {
              x: { field: 'bucket', type: 'ordinal', sort: order, title: 'fit entries of the row / column' },
              y: { field: 'rmse', type: 'quantitative', title: 'validation RMSE' },
            },
          },
          {
            mark: { type: 'text', dy: -6, fontSize: 9 },
            encoding: {
              x: { field: 'bucket', type: 'ordinal', sort: order },
              y: { field: 'rmse', type: 'quantitative' },
              text: { field: 'entries', type: 'quantitative' },
            },
          },
        ],
      },
    },
  };
}

/** Every figure of a completion report: one per method tried, the curve, the spectrum, residuals, cold start. */
export function completionFigures(r: CompletionReport): Figure[] {
  const methods = [...new Set(r.tried.map((t) => t.method))];
  const figures: (Figure | null)[] = [...methods.map((m) => trialsFigure(r, m)), curveFigure(r), spectrumFigure(r), residualFigure(r), coldStartFigure(r)];
  return figures.filter((f): f is Figure => f !== null);
}

/** ' (the blend of both components)' when auto blended, else ''. */
function blendNote(r: CompletionReport): string {
  return r.blend?.chosen ? ` (the blend ${r.blend.chosen.weights[0].toFixed(3)}·${r.blend.chosen.labels[0]} + ${r.blend.chosen.weights[1].toFixed(3)}·${r.blend.chosen.labels[1]})` : '';
}

/** The 'chosen' row, and under auto the blend's: kept (its weights and margin) or tried and not kept (why). */
function blendRows(r: CompletionReport, chosen: Trial | undefined): [string, string][] {
  const single = `${chosen ? settingLabel(chosen) : r.method}: validation RMSE ${r.chosen.validationRMSE.toFixed(4)}`;
  const b = r.blend;
  if (!b) return [['chosen', single]];
  if (b.chosen) {
    return [
      ['chosen', `a blend${blendNote(r).replace(' (the blend', ',').replace(/\)$/, '')}: validation RMSE ${b.chosen.validationRMSE.toFixed(4)}, ${(b.chosen.bestSingleRMSE - b.chosen.validationRMSE).toFixed(4)} below the best single method`],
      ['blend', `weights fitted on the validation split by least squares (so its validation RMSE is slightly optimistic); both components refit on all entries; components: ${settingLabel(b.chosen.components[0])} and ${settingLabel(b.chosen.components[1])}`],
      ['best single method', single],
    ];
  }
  const why = b.weights[0] >= 1 || b.weights[0] <= 0 ? `its least-squares weight is ${b.weights[0]}: ${b.labels[0]} alone` : `validation RMSE ${b.validationRMSE.toFixed(4)}, not lower`;
  return [['chosen', single], ['blend', `blends of ${b.pairs} pair(s) of groups tried; the best, ${b.labels[0]} + ${b.labels[1]}, not kept (${why})`]];
}

/** How the fit was centered, in words: the mean alone (when the centering check kept it), the ridge biases, or off. */
export function centeringText(r: Pick<CompletionReport, 'centered' | 'centerCheck' | 'chosen'>): string {
  if (!r.centered) return 'off';
  if (r.centerCheck?.kept === 'mean') return 'the mean alone (the biases lost on validation with the low-rank part)';
  return `mean + row + column biases, ridge λ ${r.chosen.biasLambda} (chosen on validation)`;
}

/** A self-contained HTML page for a completion: the data, the choice and why, every figure, the fallback counts. */
export async function renderCompletionReport(r: CompletionReportFile): Promise<string> {
  const figures = completionFigures(r);
  const svgs = await Promise.all(figures.map((f) => renderSvg(f.spec)));
  const d = r.data;
  const chosen = chosenTrial(r);
  const title = `mcomplete completion report${r.input ? `: ${r.input.file}` : ''}`;
  const rows = (pairs: [string, string][]): string => pairs.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('');
  const parts = [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${esc(title)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<h1>${esc(title)}</h1>`,
    '<h2>Data and choice</h2>',
    `<table><tbody>${rows([
      ['observed file', r.input ? `${r.input.file} (${r.input.format}; columns ${r.input.names.join(', ')})` : '(library call)'],
      ['matrix', `${d.rows} rows × ${d.cols} columns, ${d.observed} observed, values ${d.min}..${d.max}`],
      ['validation', `${r.validation.entries} entries held out (fraction ${r.validation.fraction}, seed ${r.validation.seed}); fits on ${r.validation.fitEntries}`],
      ['centering', centeringText(r)],
      ['clip', r.clip ? `${r.clip[0]}..${r.clip[1]}` : 'off'],
      ...blendRows(r, chosen),
      ['refit', `λ ${num(r.refit.lambda)}${r.refit.steps !== undefined ? `, ${r.refit.steps} steps` : ''}${r.refit.iterations !== undefined ? `, ${r.refit.iterations} iterations` : ''}, train RMSE ${r.refit.trainRMSE.toFixed(4)}` +
        (r.blend?.chosen ? ` (of the whole blend; ${r.blend.chosen.labels[1]}'s refit: λ ${num(r.blend.chosen.refits[1].lambda)}${r.blend.chosen.refits[1].steps !== undefined ? `, ${r.blend.chosen.refits[1].steps} steps` : ''}${r.blend.chosen.refits[1].iterations !== undefined ? `, ${r.blend.chosen.refits[1].iterations} iterations` : ''})` : '')],
      ['time', `tuning ${r.seconds.tuning.toFixed(1)} s, final fit ${r.seconds.fitting.toFixed(1)} s${r.wallSeconds !== undefined ? `, wall ${r.wallSeconds.toFixed(1)} s` : ''}`],
    ])}</tbody></table>`,
    ...(r.notes.length ? [`<ul class="notes">${r.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`] : []),
    '<h2>Fallbacks</h2>',
    fallbackTable(r),
    coldStartTable(r),
    ...(r.topN ? [topNSection(r.topN)] : []),
  ];
  for (const [i, f] of figures.entries()) {
    parts.push(`<figure id="${esc(f.id)}"><h2>Figure ${i + 1}. ${esc(f.title)}</h2>${svgs[i]}`, `<figcaption>${esc(f.caption)}</figcaption></figure>`);
  }
  parts.push(
    '<h2>Every setting tried</h2>',
    '<table><thead><tr><th>setting</th><th>validation RMSE</th><th>seconds</th></tr></thead><tbody>',
    ...r.tried.map((t) => `<tr${t === chosen ? ' class="chosen"' : ''}><td>${esc(settingLabel(t))}</td><td>${t.validationRMSE.toFixed(4)}</td><td>${t.seconds.toFixed(1)}</td></tr>`),
    '</tbody></table>',
    '<h2>Bias ridge weights tried</h2>',
    `<table><thead><tr><th>ridge λ</th><th>validation RMSE (biases alone)</th></tr></thead><tbody>${r.biasTrials.map((b) => `<tr${b.lambda === r.chosen.biasLambda ? ' class="chosen"' : ''}><td>${b.lambda}</td><td>${b.validationRMSE.toFixed(4)}</td></tr>`).join('')}</tbody></table>`,
    '</body></html>',
    '',
  );
  return parts.join('\n');
}

/** The fallback counts: validation entries the fit never saw, and query cells with unknown ids. */
function fallbackTable(r: CompletionReportFile): string {
  const q = r.query;
  const lines: [string, string][] = [['validation entries whose row or column the fit split never saw (baseline alone)', String(r.diagnostics.unseenValidation)]];
  if (q) {
    lines.push(
      ['query file', q.file],
      ['query cells', String(q.cells)],
      ['cells with an id never observed (fallback)', String(q.unknownCells)],
      ['cells with an unknown row id', `${q.unknownRowCells} (${q.unknownRowIds} distinct ids)`],
      ['cells with an unknown column id', `${q.unknownColCells} (${q.unknownColIds} distinct ids)`],
    );
  } else lines.push(['query', 'none (no --query)']);
  if (r.fallbackRule) lines.push(['rule', r.fallbackRule]);
  return `<table><tbody>${lines.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</tbody></table>`;
}

/** Validation RMSE by the user's (and the item's) number of fit entries, in the coarse buckets: the cold start in numbers. */
function coldStartTable(r: CompletionReport): string {
  const users = coarseBuckets(r.diagnostics.byRowCount);
  const items = coarseBuckets(r.diagnostics.byColCount);
  const label = (lo: number, hi: number | null): string => (hi === null ? `> ${lo - 1}` : lo === hi ? `${lo}` : `${lo}–${hi}`);
  const cell = (b: { entries: number; rmse: number | null }): string => `<td>${b.rmse === null ? '–' : b.rmse.toFixed(4)}</td><td>${b.entries}</td>`;
  return [
    '<h2>Cold start: validation RMSE by number of ratings</h2>',
    '<table id="cold-start-table"><thead><tr><th>ratings in the fit split</th><th>RMSE, by the user’s count</th><th>validation entries</th><th>RMSE, by the item’s count</th><th>validation entries</th></tr></thead><tbody>',
    ...users.map((u, q) => `<tr><td>${label(u.lo, u.hi)}</td>${cell(u)}${cell(items[q])}</tr>`),
    '</tbody></table>',
    '<p class="notes">The chosen setting as tuned (fit split only), scored on the validation entries grouped by how many fit entries their user (row) or item (column) has (the figure "cold start" below, in coarser buckets); 0: the fallback alone.</p>',
  ].join('\n');
}

/** The top-N lists of a few users, unfiltered and with the minimum support, each item with its training support. */
function topNSection(v: TopNView): string {
  const list = (items: TopNItem[]): string =>
    items.length === 0
      ? '<td>–</td>'
      : `<td><ol>${items.map((x) => `<li>${esc(x.item)} <span class="score">(${x.score.toFixed(2)}; ${x.support} rating${x.support === 1 ? '' : 's'})</span></li>`).join('')}</ol></td>`;
  const obscure = (items: TopNItem[]): number => items.filter((x) => x.support < v.minSupport).length;
  return [
    `<h2>Top ${v.top} for the first ${v.users.length} users</h2>`,
    `<table id="top-n"><thead><tr><th>user (training ratings)</th><th>top ${v.top} (score; item’s training ratings)</th><th>top ${v.top}, items with ≥ ${v.minSupport} ratings</th></tr></thead><tbody>`,
    ...v.users.map((u) => `<tr><td>${esc(u.user)} (${u.ratings})</td>${list(u.plain)}${list(u.supported)}</tr>`),
    '</tbody></table>',
    `<p class="notes">By model.recommend: mean + user bias + item bias + the low-rank part, before the clip, the user’s training items left out. ` +
      `Items with fewer than ${v.minSupport} ratings in the unfiltered lists: ${v.users.map((u) => `${obscure(u.plain)} of ${u.plain.length}`).join(', ')} ` +
      `(an item with one high rating can rank on its bias alone); the right column keeps items with at least ${v.minSupport} (recommend's minSupport, \`--min-support\` of \`mcomplete recommend\`).</p>`,
  ].join('\n');
}

function num(x: number): string {
  return Number(x.toPrecision(3)).toString();
}

const STYLE = `
body { font-family: Helvetica, Arial, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; word-break: break-all; } h2 { font-size: 1.2em; margin-top: 1.6em; }
figcaption, .notes { color: #555; font-size: 0.9em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } tr.chosen td { font-weight: bold; background: #eef6ee; }
figure { margin: 1.5em 0; } figure svg { max-width: 100%; height: auto; }
#top-n ol { margin: 0; padding-left: 1.4em; } .score { color: #666; }
`;
