// The optimizer atlas's figures and table, in the same Vega-Lite → SVG pipeline as the claims report.
import type { TopLevelSpec } from 'vega-lite';
import type { RunRecord } from '../sweep/execute.ts';
import { cellName, type AtlasRow, type LrChoice, type LrRule } from '../study/atlas.ts';
import { esc } from './html.ts';
import { panelsCaption, seriesLines, seriesPanels, type Figure } from './figures.ts';

const FRAME = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  config: { font: 'Helvetica, Arial, sans-serif', axis: { labelFontSize: 11, titleFontSize: 12, labelLimit: 300 }, title: { fontSize: 14 } },
} as const;

/** Heatmap optimizer × penalty, one panel per depth, colour = log10 of the mean relError over seeds (each cell labelled). */
export function atlasHeatmap(rows: readonly AtlasRow[]): Figure {
  const values = rows.map((r) => ({
    optimizer: r.cell.optimizer,
    penalty: r.cell.penalty,
    depth: `depth ${r.cell.depth}`,
    log10: r.seeds > 0 ? Math.log10(Math.max(r.relError.mean, 1e-12)) : null,
    label: r.seeds > 0 ? r.relError.mean.toExponential(1) : 'diverged',
  }));
  const optimizers = [...new Set(rows.map((r) => r.cell.optimizer))];
  const penalties = [...new Set(rows.map((r) => r.cell.penalty))];
  return {
    id: 'atlas-heatmap',
    title: 'Relative error by optimizer and penalty',
    caption:
      'log10 of the relative error ‖W − W*‖_F/‖W*‖_F (mean over seeds) for each optimizer (rows) and penalty ' +
      '(columns), one panel per depth of the product W = W_N⋯W_1; each optimizer at the learning rate its cell chose ' +
      `(${ruleText(rows[0]?.rule ?? 'objective')} on the tuning seed). Green is recovery (≤ 1e-2), red is failure.`,
    spec: {
      ...FRAME,
      data: { values },
      facet: { column: { field: 'depth', type: 'nominal', title: null } },
      spec: {
        width: 30 * penalties.length + 40,
        height: 18 * optimizers.length,
        layer: [
          {
            mark: 'rect',
            encoding: {
              x: { field: 'penalty', type: 'nominal', sort: penalties, title: 'penalty' },
              y: { field: 'optimizer', type: 'nominal', sort: optimizers, title: 'optimizer' },
              color: {
                field: 'log10',
                type: 'quantitative',
                title: 'log10 relError',
                scale: { scheme: 'redyellowgreen', reverse: true, domain: [-4, 0.5], clamp: true },
              },
            },
          },
          {
            mark: { type: 'text', fontSize: 9 },
            encoding: {
              x: { field: 'penalty', type: 'nominal', sort: penalties },
              y: { field: 'optimizer', type: 'nominal', sort: optimizers },
              text: { field: 'label', type: 'nominal' },
            },
          },
        ],
      },
    },
  };
}

/** The lowest-seed run of each optimizer with L∗/F at `depth` (the trajectories' runs). */
function ratioRuns(runs: readonly RunRecord[], rows: readonly AtlasRow[], depth: number): RunRecord[] {
  return rows
    .filter((r) => r.cell.penalty === 'ratio' && r.cell.depth === depth)
    .flatMap((r) => {
      const mine = runs.filter((x) => x.name === cellName(r.cell) && x.metrics !== null && (x.checkpoints?.length ?? 0) > 0);
      mine.sort((a, b) => a.seed - b.seed);
      return mine.slice(0, 1);
    });
}

/** The optimizer name of an atlas run (its settings are a gradient run's). */
function optimizerOf(r: RunRecord): string {
  return 'optimizer' in r.settings ? r.settings.optimizer : r.name;
}

/** Singular values of W over training for each optimizer with L∗/F at depth 1, one panel per optimizer. */
export function atlasSpectra(runs: readonly RunRecord[], rows: readonly AtlasRow[], rank: number, top = 8): Figure {
  const chosen = ratioRuns(runs, rows, 1);
  const values = chosen.flatMap((r) =>
    (r.checkpoints ?? []).flatMap((cp) =>
      cp.s.slice(0, top).flatMap((s, i) => (s > 0 ? [{ optimizer: optimizerOf(r), step: cp.step, index: `σ${i + 1}`, s }] : [])),
    ),
  );
  const order = Array.from({ length: top }, (_, i) => `σ${i + 1}`);
  return {
    id: 'atlas-spectra',
    title: 'Singular values over training with L*/F (depth 1)',
    caption:
      `The ${top} largest singular values of W at each recorded step, one panel per optimizer (lowest seed, L*/F, ` +
      `depth 1, the chosen learning rate). Recovery shows ${rank} values rising to the truth's and the rest falling.`,
    spec: {
      ...FRAME,
      data: { values },
      facet: { field: 'optimizer', type: 'nominal', title: null, sort: chosen.map((r) => optimizerOf(r)) },
      columns: 4,
      resolve: { scale: { y: 'shared' } },
      spec: {
        width: 180,
        height: 120,
        mark: { type: 'line', strokeWidth: 1.2 },
        encoding: {
          x: { field: 'step', type: 'quantitative', title: 'step' },
          y: { field: 's', type: 'quantitative', scale: { type: 'log' }, axis: { format: '.0e', tickCount: 5 }, title: 'σ_i (log)' },
          color: { field: 'index', type: 'nominal', title: 'singular value', scale: { domain: order, scheme: 'viridis' } },
        },
      },
    },
  };
}

/** The tail step over training for each optimizer with L∗/F at depth 1 (one line per optimizer). */
export function atlasTailStep(runs: readonly RunRecord[], rows: readonly AtlasRow[], rank: number): Figure {
  const chosen = ratioRuns(runs, rows, 1);
  const values = chosen.flatMap((r) =>
    (r.checkpoints ?? []).flatMap((cp) => (cp.tailStep === undefined ? [] : [{ optimizer: optimizerOf(r), step: cp.step, tail: cp.tailStep }])),
  );
  const p = seriesPanels(chosen.map((r) => ({ name: optimizerOf(r), run: r })));
  return {
    id: 'atlas-tail-step',
    title: 'How much of each step moves the tail of the spectrum (L*/F, depth 1)',
    caption:
      `‖P⊥ ΔW P⊥‖_F / ‖ΔW‖_F for the update ΔW at each recorded step, P⊥ the projectors off the top-${rank} left ` +
      'and right singular vectors of W at that step: the share of the step that acts on the tail singular values ' +
      '(lowest seed, chosen learning rate).' +
      panelsCaption(p, 'last recorded share'),
    spec: {
      ...FRAME,
      ...seriesLines(p, values, {
        key: 'optimizer',
        legend: 'optimizer',
        x: { field: 'step', type: 'quantitative', title: 'training step' },
        y: { field: 'tail', type: 'quantitative', title: 'tail share of the step', scale: { domain: [0, 1] } },
      }),
    } as TopLevelSpec,
  };
}

/** What a learning-rate rule minimizes, in words. */
function ruleText(rule: LrRule): string {
  return rule === 'objective' ? 'least final training objective' : 'least RMSE on held-out observed entries';
}

/** The atlas table and the learning-rate choices as HTML sections. */
export function atlasSections(
  rows: readonly AtlasRow[],
  choices: readonly LrChoice[],
  tuneFraction: number,
  tuneSeeds: readonly number[] = [],
): string[] {
  const table = rows.map(
    (r) =>
      `<tr><td>${esc(r.cell.optimizer)}</td><td>${esc(r.cell.penalty)}</td><td>${r.cell.depth}</td><td>${r.lr ?? '–'}</td><td>${esc(r.rule)}</td>` +
      `<td>${r.seeds ? `${r.relError.mean.toExponential(2)} ± ${r.relError.std.toExponential(1)}` : '–'}</td>` +
      `<td>${Number.isFinite(r.tailStep) ? r.tailStep.toFixed(3) : '–'}</td><td>${r.seeds}</td><td>${r.diverged || ''}</td></tr>`,
  );
  const grid = choices[0]?.grid.map((g) => g.lr) ?? [];
  const rule = choices[0]?.rule ?? 'objective';
  const tune = choices.map(
    (c) =>
      `<tr><td>${esc(cellName(c.cell))}</td>${c.grid.map((g) => `<td${g.lr === c.lr ? ' class="verdict supported"' : ''}>${g.value === null ? 'diverged' : g.value.toExponential(2)}</td>`).join('')}</tr>`,
  );
  const halving = choices.some((c) => c.rounds !== undefined);
  const seedText = tuneSeeds.length > 1 ? `the worst over tuning seeds ${tuneSeeds.join(', ')}` : 'tuning seed';
  const roundsTable = choices.map(
    (c) =>
      `<tr><td>${esc(cellName(c.cell))}</td>${(c.rounds ?? []).map((r) => `<td>${r.lrs.join(', ') || '–'} (${r.budget} steps${r.seeds ? ` on seed ${r.seeds.join(', ') || '–'}` : ''}; ran ${r.steps})</td>`).join('')}` +
      `<td>${c.lr ?? '–'}</td><td>${c.stepsRun ?? '–'} of ${c.fixedCapSteps ?? '–'}</td></tr>`,
  );
  const rounds = choices[0]?.rounds ?? [];
  return [
    '<h2>Atlas</h2>',
    '<table><thead><tr><th>optimizer</th><th>penalty</th><th>depth</th><th>lr</th><th>lr chosen by</th><th>relError (mean ± std)</th><th>tail step (mean)</th><th>seeds</th><th>diverged</th></tr></thead>',
    `<tbody>${table.join('')}</tbody></table>`,
    '<h2>Learning-rate choice</h2>',
    `<p>Rule <code>${esc(rule)}</code>: ${rule === 'objective' ? 'the final training objective' : 'the RMSE on the held-out observed entries'} of each tuning run (${seedText}, ${halving ? 'at the last round of successive halving the rate reached' : tuneFraction === 1 ? 'the full step cap' : `${tuneFraction} of the step cap`}${rule === 'holdout' ? ', trained on the rest of Ω' : ''}); the least is chosen and marked.</p>`,
    `<table><thead><tr><th>cell</th>${grid.map((lr) => `<th>lr ${lr}</th>`).join('')}</tr></thead>`,
    `<tbody>${tune.join('')}</tbody></table>`,
    ...(halving
      ? [
          '<h2>Successive halving</h2>',
          '<p>The rates each round compared, its step budget and the steps its runs took (a run that stopped early is carried to the next round, not rerun), the rate chosen, and the steps of all the cell\'s tuning runs against every rate on every tuning seed for the whole cap. Under the lean protocol the last two columns are the checks: a finalist run on the other tuning seed at the cap while it can still win.</p>',
          `<table><thead><tr><th>cell</th>${rounds.map((_, i) => `<th>round ${i + 1}</th>`).join('')}<th>lr</th><th>steps run of fixed cap</th></tr></thead>`,
          `<tbody>${roundsTable.join('')}</tbody></table>`,
        ]
      : []),
  ];
}

/** The atlas's figures that have data: the heatmap, and the trajectories and tail steps when L∗/F ran at depth 1. */
export function atlasFigures(runs: readonly RunRecord[], rows: readonly AtlasRow[], rank: number): Figure[] {
  const hasData = (f: Figure): boolean => ((f.spec as { data?: { values?: unknown[] } }).data?.values?.length ?? 0) > 0;
  return [atlasHeatmap(rows), atlasSpectra(runs, rows, rank), atlasTailStep(runs, rows, rank)].filter(hasData);
}
