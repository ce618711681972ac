// Line charts (uPlot) of the history: errors, singular values, L∗/F and effective rank.
import uPlot from 'uplot';
import { positiveColumn, type HistoryRow } from './history.ts';
import { RUN_LABELS } from './results.ts';

/** Colour of each run's lines. */
export const RUN_COLOURS = ['#1f6fb4', '#e8710a'] as const;

/** Colours of the singular-value lines, largest first. */
const SV_COLOURS = [
  '#440154',
  '#482878',
  '#3e4989',
  '#31688e',
  '#26828e',
  '#1f9e89',
  '#35b779',
  '#6ece58',
  '#b5de2b',
  '#fde725',
];

const HEIGHT = 220;

/** Tick labels for log axes: 1e-3 rather than 0.001. */
function logTicks(_u: uPlot, splits: number[]): string[] {
  return splits.map((v) => (v == null ? '' : v >= 0.01 && v < 1000 ? String(+v.toPrecision(3)) : v.toExponential(0)));
}

function make(el: HTMLElement, series: uPlot.Series[], scales: uPlot.Scales, axes: uPlot.Axis[]): uPlot {
  const opts: uPlot.Options = {
    width: Math.max(240, el.clientWidth),
    height: HEIGHT,
    scales: { x: { time: false }, ...scales },
    series: [{ label: 'step' }, ...series],
    axes: [{ label: 'step' }, ...axes],
    legend: { live: true },
  };
  return new uPlot(opts, [[], ...series.map(() => [])], el);
}

/** Relative error on observed (solid) and unobserved (dashed) entries of both runs, log scale. */
export function createErrorChart(el: HTMLElement): uPlot {
  const series: uPlot.Series[] = [];
  RUN_LABELS.forEach((label, i) => {
    series.push({ label: `${label} observed`, stroke: RUN_COLOURS[i], width: 2, scale: 'y' });
    series.push({ label: `${label} unobserved`, stroke: RUN_COLOURS[i], width: 2, dash: [6, 4], scale: 'y' });
  });
  return make(el, series, { y: { distr: 3 } }, [{ scale: 'y', label: 'relative error', values: logTicks, size: 60 }]);
}

/** Data of the error chart. */
export function errorData(rows: readonly HistoryRow[]): uPlot.AlignedData {
  const cols: (number | null)[][] = [];
  RUN_LABELS.forEach((_, i) => {
    cols.push(positiveColumn(rows, i, (p) => p.relObserved));
    cols.push(positiveColumn(rows, i, (p) => p.relUnobserved));
  });
  return [rows.map((r) => r.step), ...cols];
}

/** L∗/F (solid, left axis) and effective rank (dashed, right axis) of both runs. */
export function createRatioChart(el: HTMLElement): uPlot {
  const series: uPlot.Series[] = [];
  RUN_LABELS.forEach((label, i) =>
    series.push({ label: `${label} L∗/F`, stroke: RUN_COLOURS[i], width: 2, scale: 'ratio' }),
  );
  RUN_LABELS.forEach((label, i) =>
    series.push({ label: `${label} eff. rank`, stroke: RUN_COLOURS[i], width: 1.5, dash: [6, 4], scale: 'erank' }),
  );
  return make(el, series, { ratio: { auto: true }, erank: { auto: true } }, [
    { scale: 'ratio', label: 'L∗/F', size: 50 },
    { scale: 'erank', label: 'effective rank', side: 1, grid: { show: false }, size: 50 },
  ]);
}

/** Data of the L∗/F and effective-rank chart. */
export function ratioData(rows: readonly HistoryRow[]): uPlot.AlignedData {
  return [
    rows.map((r) => r.step),
    ...RUN_LABELS.map((_, i) => positiveColumn(rows, i, (p) => p.ratio)),
    ...RUN_LABELS.map((_, i) => positiveColumn(rows, i, (p) => p.effectiveRank)),
  ];
}

/** The largest `count` singular values of one run over time, log scale. */
export function createSvChart(el: HTMLElement, count: number): uPlot {
  const series: uPlot.Series[] = [];
  for (let k = 0; k < count; k++)
    series.push({ label: `σ${k + 1}`, stroke: SV_COLOURS[k % SV_COLOURS.length], width: 1.5 });
  return make(el, series, { y: { distr: 3 } }, [{ scale: 'y', label: 'singular value', values: logTicks, size: 60 }]);
}

/** Data of one run's singular-value chart. */
export function svData(rows: readonly HistoryRow[], run: number, count: number): uPlot.AlignedData {
  const cols: (number | null)[][] = [];
  for (let k = 0; k < count; k++) cols.push(positiveColumn(rows, run, (p) => p.sv[k] ?? NaN));
  return [rows.map((r) => r.step), ...cols];
}
