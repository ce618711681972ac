import type { TopLevelSpec } from 'vega-lite';
import type { RunRecord } from '../sweep/execute.ts';
import { methodNames, summarize, type SummaryRow } from './data.ts';

/** A figure: its title, its Vega-Lite spec, and a caption (what is plotted and which runs it comes from). */
export interface Figure {
  id: string;
  title: string;
  caption: string;
  spec: TopLevelSpec;
}

const WIDTH = 520;
const HEIGHT = 300;
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

/** The color scale shared by every figure: one color per method, in order of appearance. */
function methodColor(methods: string[]): { field: string; type: 'nominal'; title: string; scale: { domain: string[] } } {
  return { field: 'method', type: 'nominal', title: 'method', scale: { domain: methods } };
}

/** The x axis of the figures against m. */
const SAMPLES_X = { field: 'm', type: 'quantitative', title: 'observed entries m', scale: { zero: false } } as const;

/** One point of a mean ± std figure: method, m, the mean over seeds and the band [max(mean − std, floor), mean + std]. */
function meanStdBand(r: SummaryRow, stat: { mean: number; std: number }, floor = -Infinity) {
  return { method: r.method, m: r.samples, mean: stat.mean, lo: Math.max(stat.mean - stat.std, floor), hi: stat.mean + stat.std };
}

/**
 * Relative error against the number of observed entries: one curve per method (the mean over seeds), error bars
 * mean ± std (clipped below at the lowest seed, the y axis being logarithmic), and each seed as a faint dot.
 */
export function errorVsSamples(records: readonly RunRecord[]): Figure {
  const methods = methodNames(records);
  const rows = summarize(records).filter((r) => r.count > 0);
  const means = rows.map((r) => ({ ...meanStdBand(r, r.relError, r.relError.min), seeds: r.count }));
  const seeds = records.filter((r) => r.metrics).map((r) => ({ method: r.name, m: r.samples, relError: r.metrics!.relError, seed: r.seed }));
  const y = { type: 'quantitative', scale: { type: 'log' }, axis: LOG_AXIS, title: 'relative error ‖W − W*‖_F / ‖W*‖_F (log scale)' } as const;
  const color = methodColor(methods);
  return {
    id: 'error-vs-samples',
    title: 'Error vs number of observed entries',
    caption:
      'Relative error of the completed matrix against the truth (all entries) as a function of the number of observed ' +
      'entries m. Lines join the means over seeds; bars show mean ± one standard deviation (clipped below at the lowest ' +
      'seed, since the axis is logarithmic); dots are single seeds. Diverged runs are left out and counted in the table.',
    spec: {
      ...FRAME,
      width: WIDTH,
      height: HEIGHT,
      layer: [
        { data: { values: seeds }, mark: { type: 'point', opacity: 0.35, size: 20 }, encoding: { x: SAMPLES_X, y: { ...y, field: 'relError' }, color } },
        { data: { values: means }, mark: { type: 'rule' }, encoding: { x: SAMPLES_X, y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color } },
        {
          data: { values: means },
          mark: { type: 'line', point: true },
          encoding: { x: SAMPLES_X, y: { ...y, field: 'mean' }, color },
        },
      ],
    },
  };
}

/** Effective rank of the result (Roy & Vetterli) against m: mean ± std over seeds, the true rank as a dashed line. */
export function rankVsSamples(records: readonly RunRecord[]): Figure {
  const methods = methodNames(records);
  const rows = summarize(records).filter((r) => r.count > 0);
  const means = rows.map((r) => meanStdBand(r, r.effectiveRank));
  const ranks = [...new Set(records.map((r) => r.rank))].map((rank) => ({ rank }));
  const y = { type: 'quantitative', title: 'effective rank exp(−Σ p_i log p_i), p_i = σ_i/Σσ' } as const;
  const color = methodColor(methods);
  return {
    id: 'rank-vs-samples',
    title: 'Effective rank vs number of observed entries',
    caption:
      'Effective rank of the completed matrix (mean ± std over seeds) against m; the dashed line is the rank of the ' +
      'ground truth. A method that recovers the matrix sits near it; one that fills unobserved entries with zeros ' +
      'or noise sits far above it.',
    spec: {
      ...FRAME,
      width: WIDTH,
      height: HEIGHT,
      layer: [
        { data: { values: ranks }, mark: { type: 'rule', strokeDash: [6, 4], color: 'gray' }, encoding: { y: { field: 'rank', type: 'quantitative' } } },
        { data: { values: means }, mark: { type: 'rule' }, encoding: { x: SAMPLES_X, y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color } },
        { data: { values: means }, mark: { type: 'line', point: true }, encoding: { x: SAMPLES_X, y: { ...y, field: 'mean' }, color } },
      ],
    },
  };
}

/** The optimizer ablation at one m: each method's relError per seed (dots) and mean (bar), log scale. */
export function ablation(records: readonly RunRecord[], samples: number): Figure {
  const here = records.filter((r) => r.samples === samples);
  const methods = methodNames(here);
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
      `Relative error of every method run at m = ${samples} observed entries: colored ticks are means over seeds, dots single ` +
      'seeds. With the same penalty (L*/F) and the same number of steps, the optimizers differ only in how the ' +
      'gradient is turned into a step.',
    spec: {
      ...FRAME,
      width: WIDTH,
      height: { step: 34 },
      layer: [
        {
          data: { values: means },
          mark: { type: 'tick', thickness: 3, size: 26 },
          encoding: { y: yAxis, x: { ...x, field: 'mean' }, color: { ...methodColor(methodNames(records)), legend: null } },
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
  const values = runs.flatMap((r) => {
    const s = r.finalSpectrum ?? [];
    const floor = 1e-12 * (s[0] ?? 0);
    return s.slice(0, top).flatMap((v, i) => (v > floor ? [{ method: `${r.name} (m=${r.samples}, seed ${r.seed})`, i: i + 1, s: v }] : []));
  });
  return {
    id: 'final-spectra',
    title: 'Singular values of the result',
    caption:
      `The ${top} largest singular values of the returned matrix for one run of each method (the lowest seed at the ` +
      'ablation m, see the legend), on a log scale: the number of values that stand above the rest is the rank ' +
      'the method found. Values below 1e-12 σ1 (round-off) are not drawn.',
    spec: {
      ...FRAME,
      width: WIDTH,
      height: HEIGHT,
      data: { values },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'i', type: 'quantitative', title: 'index i (largest first)', scale: { domain: [1, top] } },
        y: { field: 's', type: 'quantitative', scale: { type: 'log' }, axis: LOG_AXIS, title: 'singular value σ_i (log scale)' },
        color: { field: 'method', type: 'nominal', title: 'method (run)', scale: { domain: runs.map((r) => `${r.name} (m=${r.samples}, seed ${r.seed})`) } },
      },
    },
  };
}

/** Render a Vega-Lite spec to an SVG string in Node (Vega's headless renderer; no DOM, no canvas). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
