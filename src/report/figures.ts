import type { TopLevelSpec } from 'vega-lite';
import { loadVega } from '../sweep/optional-packages.ts';
import type { RunRecord } from '../sweep/execute.ts';
import { WITH_DENOMINATOR } from '../study/claims.ts';
import { summarize, type SummaryRow } from './data.ts';

/**
 * A Vega-Lite spec (vega-lite's TopLevelSpec, built as one here). Exported signatures say `object`, so that the
 * package's types do not import vega-lite, an optional peer dependency a library user may not have.
 */
export type VegaLiteSpec = object;

/** A figure: its title, its Vega-Lite spec, and a caption (what is plotted and which runs it comes from). */
export interface Figure {
  id: string;
  title: string;
  caption: string;
  spec: VegaLiteSpec;
}

const WIDTH = 520;
const HEIGHT = 300;
/** The height of one panel of a figure split into panels. */
const PANEL_HEIGHT = 250;
const CONFIG = {
  font: 'Helvetica, Arial, sans-serif',
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true, labelLimit: 300 },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 400, symbolOpacity: 1 },
  title: { fontSize: 14 },
};

/** What every figure's Vega-Lite spec starts with: the schema and the shared look. */
const FRAME = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', config: CONFIG } as const;

/** Log axes: labels as 1e-3, and only at powers of ten. */
const LOG_AXIS = { format: '.0e', tickCount: 8 } as const;

/** At most this many series share a panel: past it colours and markers are no longer told apart at a glance. */
export const MAX_SERIES = 8;

/** Okabe and Ito's colour-blind-safe palette, black and grey in place of yellow (too pale on white). */
const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#d55e00', '#56b4e9', '#cc79a7', '#000000', '#999999'];
/** One marker shape per series of a panel. */
const SHAPES = ['circle', 'square', 'triangle-up', 'diamond', 'cross', 'triangle-down', 'triangle-right', 'triangle-left'];

/** The families a figure with too many series is split into, in the order of its panels. */
const FAMILIES = [
  'L*/F, depth 1: optimizers with a per-coordinate denominator',
  'L*/F, depth 1: other optimizers',
  'baselines, other penalties and depths',
] as const;

/** A run's family: gradient runs of L∗/F at depth 1 by their optimizer (claim 9's split), everything else last. */
function familyOf(r: RunRecord): number {
  const s = r.settings;
  if (r.method !== 'gradient' || !('penalty' in s) || s.penalty !== 'ratio' || !('depth' in s) || s.depth !== 1) return 2;
  return (WITH_DENOMINATOR as readonly string[]).includes(s.optimizer) ? 0 : 1;
}

/** One panel of a figure: its title (null when the figure has one panel) and its series. */
export interface Panel {
  title: string | null;
  series: string[];
}

/** A figure's series in panels and each series's colour and marker, distinct within its panel. */
export interface Panels {
  panels: Panel[];
  color: Map<string, string>;
  shape: Map<string, string>;
}

/**
 * Series (each named with the run it comes from, in order of appearance) in panels of at most MAX_SERIES: one panel
 * when they fit, else one per family (FAMILIES order), a family too large cut in consecutive panels. The i-th series of
 * a panel, in order of appearance, takes the i-th colour and shape, so a series looks the same in every figure.
 */
export function seriesPanels(series: readonly { name: string; run: RunRecord }[]): Panels {
  const names = [...new Set(series.map((s) => s.name))];
  const groups: { title: string | null; series: string[] }[] = [];
  if (names.length <= MAX_SERIES) groups.push({ title: null, series: names });
  else {
    const family = new Map(series.map((s) => [s.name, familyOf(s.run)]));
    FAMILIES.forEach((title, f) => {
      const mine = names.filter((n) => family.get(n) === f);
      const parts = Math.ceil(mine.length / MAX_SERIES);
      for (let k = 0; k < parts; k++) {
        groups.push({ title: parts > 1 ? `${title} (${k + 1} of ${parts})` : title, series: mine.slice(k * MAX_SERIES, (k + 1) * MAX_SERIES) });
      }
    });
  }
  const color = new Map<string, string>();
  const shape = new Map<string, string>();
  for (const g of groups) {
    g.series.forEach((n, i) => {
      color.set(n, PALETTE[i]);
      shape.set(n, SHAPES[i]);
    });
  }
  return { panels: groups, color, shape };
}

/** The series of each method of these records. */
function methodSeries(records: readonly RunRecord[]): { name: string; run: RunRecord }[] {
  return records.map((r) => ({ name: r.name, run: r }));
}

/**
 * A panel's series in legend order: by the y value of each series's rightmost point (largest x), highest first, so
 * the legend reads top to bottom as the right ends of the lines do; series without points last.
 */
function legendOrder(series: readonly string[], rows: readonly Record<string, unknown>[], key: string, x: string, y: string): string[] {
  const end = new Map<string, { x: number; y: number }>();
  for (const r of rows) {
    const name = r[key] as string;
    const at = { x: r[x] as number, y: r[y] as number };
    const e = end.get(name);
    if (!e || at.x > e.x) end.set(name, at);
  }
  const yOf = (n: string): number => end.get(n)?.y ?? -Infinity;
  return [...series].sort((a, b) => yOf(b) - yOf(a));
}

/** Colour and shape encodings of one panel's series: one legend, ordered as `order`, titled `title`. */
function seriesLook(p: Panels, field: string, title: string, order: string[]) {
  return {
    color: { field, type: 'nominal', title, scale: { domain: order, range: order.map((n) => p.color.get(n)!) } },
    shape: { field, type: 'nominal', title, scale: { domain: order, range: order.map((n) => p.shape.get(n)!) } },
  } as const;
}

/**
 * The spec of a figure of panels: `panel(series)` gives one panel's layers; one panel is drawn alone, several stacked
 * with its own legend each and shared axes.
 */
function panelled(p: Panels, width: number, height: number, panel: (series: string[]) => object[]): Omit<TopLevelSpec, '$schema'> {
  if (p.panels.length === 1) return { width, height, layer: panel(p.panels[0].series) } as Omit<TopLevelSpec, '$schema'>;
  return {
    vconcat: p.panels.map((q) => ({ title: { text: q.title!, anchor: 'start', fontSize: 13 }, width, height, layer: panel(q.series) })),
    spacing: 28,
    resolve: { scale: { x: 'shared', y: 'shared', color: 'independent', shape: 'independent' }, legend: { color: 'independent', shape: 'independent' } },
  } as Omit<TopLevelSpec, '$schema'>;
}

/** The x axis of the figures against m. */
const SAMPLES_X = { field: 'm', type: 'quantitative', title: 'observed entries m', scale: { zero: false } } as const;

/** One point of a mean ± std figure: method, m, the mean over seeds and the band [max(mean − std, floor), mean + std]. */
function meanStdBand(r: SummaryRow, stat: { mean: number; std: number }, floor = -Infinity) {
  return { method: r.method, m: r.samples, mean: stat.mean, lo: Math.max(stat.mean - stat.std, floor), hi: stat.mean + stat.std };
}

/**
 * Relative error against the number of observed entries: one curve per method (the mean over seeds), error bars
 * mean ± std (clipped below at the lowest seed, the y axis being logarithmic), and each seed as a faint marker; more
 * than MAX_SERIES methods are drawn in panels by family (seriesPanels).
 */
export function errorVsSamples(records: readonly RunRecord[]): Figure {
  const p = seriesPanels(methodSeries(records));
  const rows = summarize(records).filter((r) => r.count > 0);
  const means = rows.map((r) => ({ ...meanStdBand(r, r.relError, r.relError.min), seeds: r.count }));
  const seeds = records.filter((r) => r.metrics).map((r) => ({ method: r.name, m: r.samples, relError: r.metrics!.relError, seed: r.seed }));
  const title = titleLines(p, 'relative error ‖W − W*‖_F / ‖W*‖_F', '(log scale)');
  const y = { type: 'quantitative', scale: { type: 'log' }, axis: LOG_AXIS, title } as const;
  return {
    id: 'error-vs-samples',
    title: 'Error vs number of observed entries',
    caption:
      'Relative error of the completed matrix against the truth (all entries) as a function of the number of observed ' +
      'entries m. Lines join the means over seeds; bars show mean ± one standard deviation (clipped below at the lowest ' +
      'seed, since the axis is logarithmic); faint markers are single seeds. Diverged runs are left out and counted in the table.' +
      panelsCaption(p),
    spec: {
      ...FRAME,
      ...panelled(p, WIDTH, p.panels.length > 1 ? PANEL_HEIGHT : HEIGHT, (series) => {
        const mine = <T extends { method: string }>(v: T[]) => v.filter((d) => series.includes(d.method));
        const look = seriesLook(p, 'method', 'method', legendOrder(series, means, 'method', 'm', 'mean'));
        return [
          { data: { values: mine(seeds) }, mark: { type: 'point', opacity: 0.35, size: 20 }, encoding: { x: SAMPLES_X, y: { ...y, field: 'relError' }, ...look } },
          { data: { values: mine(means) }, mark: { type: 'rule' }, encoding: { x: SAMPLES_X, y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color: look.color } },
          ...lineWithMarkers(mine(means), SAMPLES_X, { ...y, field: 'mean' }, look),
        ];
      }),
    } as TopLevelSpec,
  };
}

/** Effective rank of the result (Roy & Vetterli) against m: mean ± std over seeds, the true rank as a dashed line. */
export function rankVsSamples(records: readonly RunRecord[]): Figure {
  const p = seriesPanels(methodSeries(records));
  const rows = summarize(records).filter((r) => r.count > 0);
  const means = rows.map((r) => meanStdBand(r, r.effectiveRank));
  const ranks = [...new Set(records.map((r) => r.rank))].map((rank) => ({ rank }));
  const y = { type: 'quantitative', title: titleLines(p, 'effective rank', 'exp(−Σ p_i log p_i), p_i = σ_i/Σσ') } as const;
  return {
    id: 'rank-vs-samples',
    title: 'Effective rank vs number of observed entries',
    caption:
      'Effective rank of the completed matrix (mean ± std over seeds) against m; the dashed line is the rank of the ' +
      'ground truth. A method that recovers the matrix sits near it; one that fills unobserved entries with zeros ' +
      'or noise sits far above it.' +
      panelsCaption(p),
    spec: {
      ...FRAME,
      ...panelled(p, WIDTH, p.panels.length > 1 ? PANEL_HEIGHT : HEIGHT, (series) => {
        const mine = means.filter((d) => series.includes(d.method));
        const look = seriesLook(p, 'method', 'method', legendOrder(series, means, 'method', 'm', 'mean'));
        return [
          { data: { values: ranks }, mark: { type: 'rule', strokeDash: [6, 4], color: 'gray' }, encoding: { y: { field: 'rank', type: 'quantitative' } } },
          { data: { values: mine }, mark: { type: 'rule' }, encoding: { x: SAMPLES_X, y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color: look.color } },
          ...lineWithMarkers(mine, SAMPLES_X, { ...y, field: 'mean' }, look),
        ];
      }),
    } as TopLevelSpec,
  };
}

/** A line per series in its colour, with its marker at each point (hollow, so markers on top of each other stay apart). */
function lineWithMarkers(values: object[], x: object, y: object, look: ReturnType<typeof seriesLook>): object[] {
  return [
    { data: { values }, mark: { type: 'line' }, encoding: { x, y, color: look.color } },
    { data: { values }, mark: { type: 'point', filled: false, opacity: 1, size: 70, strokeWidth: 1.8 }, encoding: { x, y, ...look } },
  ];
}

/** An axis title on one line, or on several when the figure has several (short) panels. */
function titleLines(p: Panels, ...lines: string[]): string | string[] {
  return p.panels.length > 1 ? lines : lines.join(' ');
}

/**
 * The body of a figure of lines with markers, one series per value of `key` in `values`, in the panels of `p`; each
 * legend lists its panel's series by the y value of their rightmost point, highest first.
 */
export function seriesLines(
  p: Panels,
  values: readonly Record<string, unknown>[],
  enc: { key: string; legend: string; x: { field: string; [k: string]: unknown }; y: { field: string; [k: string]: unknown } },
): VegaLiteSpec {
  return panelled(p, WIDTH, p.panels.length > 1 ? PANEL_HEIGHT : HEIGHT, (series) =>
    lineWithMarkers(
      values.filter((d) => series.includes(d[enc.key] as string)),
      enc.x,
      enc.y,
      seriesLook(p, enc.key, enc.legend, legendOrder(series, values, enc.key, enc.x.field, enc.y.field)),
    ),
  );
}

/** What a caption says about the panels of a figure split by family (nothing for one panel); `by`: the legend order. */
export function panelsCaption(p: Panels, by = 'rightmost mean'): string {
  if (p.panels.length === 1) return '';
  return (
    ` The series are split into ${p.panels.length} panels with shared axes (L*/F runs at depth 1 by whether the ` +
    'optimizer divides each coordinate by its own magnitude, then everything else); each legend lists its panel\'s ' +
    `series by their ${by}, highest first.`
  );
}

/** The optimizer ablation at one m: each method's relError per seed (dots) and mean (bar), log scale. */
export function ablation(records: readonly RunRecord[], samples: number): Figure {
  const here = records.filter((r) => r.samples === samples);
  const p = seriesPanels(methodSeries(records));
  const all = p.panels.flatMap((q) => q.series);
  const methods = all.filter((n) => here.some((r) => r.name === n));
  const seeds = here.filter((r) => r.metrics).map((r) => ({ method: r.name, relError: r.metrics!.relError, seed: r.seed }));
  const means = summarize(here)
    .filter((r) => r.count > 0)
    .map((r) => ({ method: r.method, mean: r.relError.mean }));
  const yAxis = { field: 'method', type: 'nominal', title: null, sort: methods } as const;
  const x = { type: 'quantitative', scale: { type: 'log' }, axis: LOG_AXIS, title: 'relative error ‖W − W*‖_F / ‖W*‖_F (log scale)' } as const;
  return {
    id: 'ablation',
    title: `Methods and optimizers at m = ${samples}`,
    caption:
      `Relative error of every method run at m = ${samples} observed entries: colored ticks are means over seeds (each ` +
      'method in its color of the other figures), dots single seeds. With the same penalty (L*/F) and the same number ' +
      'of steps, the optimizers differ only in how the gradient is turned into a step.',
    spec: {
      ...FRAME,
      width: WIDTH,
      height: { step: 34 },
      layer: [
        {
          data: { values: means },
          mark: { type: 'tick', thickness: 3, size: 26 },
          encoding: { y: yAxis, x: { ...x, field: 'mean' }, color: { field: 'method', type: 'nominal', legend: null, scale: { domain: all, range: all.map((n) => p.color.get(n)!) } } },
        },
        { data: { values: seeds }, mark: { type: 'point', filled: true, color: 'black', size: 30 }, encoding: { y: yAxis, x: { ...x, field: 'relError' } } },
      ],
    },
  };
}

/** Singular values of W over training (the largest `top`), one panel per method, for the runs given. */
export function spectraOverTraining(runs: readonly RunRecord[], top = 8): Figure {
  const values: { method: string; step: number; index: string; s: number }[] = [];
  for (const r of runs) {
    for (const cp of r.checkpoints ?? []) {
      cp.s.slice(0, top).forEach((s, i) => {
        if (s > 0) values.push({ method: `${r.name} (m=${r.samples}, seed ${r.seed})`, step: cp.step, index: `σ${i + 1}`, s });
      });
    }
  }
  const order = Array.from({ length: top }, (_, i) => `σ${i + 1}`);
  return {
    id: 'spectra',
    title: 'Singular values over training',
    caption:
      `The ${top} largest singular values of W at each recorded step, for one run of each gradient method (the ` +
      'lowest seed at the ablation m). A rank-r recovery shows r values rising to the truth\'s and the rest ' +
      'falling; the convex baselines have no training trajectory and are shown in the next figure.',
    spec: {
      ...FRAME,
      data: { values },
      facet: { field: 'method', type: 'nominal', title: null, sort: runs.map((r) => `${r.name} (m=${r.samples}, seed ${r.seed})`) },
      columns: 2,
      resolve: { scale: { y: 'shared' } },
      spec: {
        width: 300,
        height: 200,
        mark: { type: 'line', strokeWidth: 1.5 },
        encoding: {
          x: { field: 'step', type: 'quantitative', title: 'training step' },
          y: { field: 's', type: 'quantitative', scale: { type: 'log' }, axis: LOG_AXIS, title: 'singular value σ_i (log scale)' },
          color: { field: 'index', type: 'nominal', title: 'singular value', scale: { domain: order, scheme: 'viridis' } },
        },
      },
    },
  };
}

/** Singular values of the final matrix for one run of each method, largest first (log scale). */
export function finalSpectra(runs: readonly RunRecord[], top = 12): Figure {
  const label = (r: RunRecord): string => `${r.name} (m=${r.samples}, seed ${r.seed})`;
  const values = runs.flatMap((r) => {
    const s = r.finalSpectrum ?? [];
    const floor = 1e-12 * (s[0] ?? 0);
    return s.slice(0, top).flatMap((v, i) => (v > floor ? [{ method: label(r), i: i + 1, s: v }] : []));
  });
  const p = seriesPanels(runs.map((r) => ({ name: label(r), run: r })));
  const x = { field: 'i', type: 'quantitative', title: 'index i (largest first)', scale: { domain: [1, top] } } as const;
  const y = { field: 's', type: 'quantitative', scale: { type: 'log' }, axis: LOG_AXIS, title: 'singular value σ_i (log scale)' } as const;
  return {
    id: 'final-spectra',
    title: 'Singular values of the result',
    caption:
      `The ${top} largest singular values of the returned matrix for one run of each method (the lowest seed at the ` +
      'ablation m, see the legend), on a log scale: the number of values that stand above the rest is the rank ' +
      'the method found. Values below 1e-12 σ1 (round-off) are not drawn.' +
      panelsCaption(p, 'last drawn value'),
    spec: { ...FRAME, ...seriesLines(p, values, { key: 'method', legend: 'method (run)', x, y }) } as TopLevelSpec,
  };
}

/** Render a Vega-Lite spec to an SVG string in Node (Vega's headless renderer; no DOM, no canvas). */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const { vega, vegaLite } = await loadVega();
  const view = new vega.View(vega.parse(vegaLite.compile(spec as TopLevelSpec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
