import type { CompletionReport, Trial } from '../complete/index.ts';
import { centeringText, type QuerySummary } from '../report/complete.ts';

/** The human-readable summary of a completion for stderr: data, every setting tried, the choice, the time. */
export function formatSummary(r: CompletionReport, query: QuerySummary | null, wallSeconds: number): string {
  const d = r.data;
  const density = (100 * d.observed) / (d.rows * d.cols);
  const lines = [
    `data: ${d.rows} rows × ${d.cols} columns, ${d.observed} observed (${density.toPrecision(3)}%), values ${d.min}..${d.max}`,
    `validation: ${r.validation.entries} entries held out (${r.validation.fraction}, seed ${r.validation.seed}); fits on ${r.validation.fitEntries}`,
    `centering: ${centeringText(r)}; clip: ${r.clip ? `${r.clip[0]}..${r.clip[1]}` : 'off'}`,
    `bias ridge λ tried: ${r.biasTrials.map((b) => `${b.lambda} → ${b.validationRMSE.toFixed(4)}`).join(', ')}`,
    'settings tried (validation RMSE):',
    `  ${'method'.padEnd(12)} ${'rank'.padStart(5)} ${'lambda'.padStart(10)} ${'steps/it'.padStart(8)} ${'val RMSE'.padStart(9)} ${'seconds'.padStart(8)}`,
    ...r.tried.map((t) => `  ${trialLine(t)}${t === pick(r) ? '  <- chosen' : ''}`),
    r.blend?.chosen
      ? `chosen: a blend, ${blendWords(r.blend.chosen)}, validation RMSE ${r.blend.chosen.validationRMSE.toFixed(4)} (best single method: ${r.method} rank ${r.chosen.rank} λ ${num(r.chosen.lambda)}, ${r.chosen.validationRMSE.toFixed(4)})`
      : `chosen: ${r.method} rank ${r.chosen.rank} λ ${num(r.chosen.lambda)}${r.chosen.steps !== undefined ? ` steps ${r.chosen.steps}` : ''}, validation RMSE ${r.chosen.validationRMSE.toFixed(4)}`,
    ...(r.blend?.chosen
      ? [
          `refit of ${r.blend.chosen.labels[1]} (the blend's second part): λ ${num(r.blend.chosen.refits[1].lambda)}${r.blend.chosen.refits[1].steps !== undefined ? `, ${r.blend.chosen.refits[1].steps} steps` : ''}${r.blend.chosen.refits[1].iterations !== undefined ? `, ${r.blend.chosen.refits[1].iterations} iterations` : ''}`,
        ]
      : []),
    `refit on all ${d.observed} observed entries: λ ${num(r.refit.lambda)}${r.refit.steps !== undefined ? `, ${r.refit.steps} steps` : ''}` +
      `${r.refit.iterations !== undefined ? `, ${r.refit.iterations} iterations, solution rank ${r.refit.solutionRank}` : ''}, train RMSE ${r.refit.trainRMSE.toFixed(4)}`,
    ...r.searches.map(
      (q) =>
        `search (${q.method}): ${q.strategy} over ${q.candidates} candidates, rungs ${q.rungs.map((g) => `${g.candidates}×${g.budget}`).join(' → ')} steps ` +
        `(budget ${q.rungs.reduce((a, g) => a + g.candidates * g.budget, 0)} steps), ${q.steps} run`,
    ),
    ...whyLines(r),
    ...r.notes.map((note) => (note.startsWith('warning:') ? note : `note: ${note}`)),
  ];
  if (query) {
    lines.push(
      `query: ${query.cells} cells; ${query.unknownCells} with an id never observed (fallback to biases): ` +
        `${query.unknownRowCells} cells of ${query.unknownRowIds} unknown row ids, ${query.unknownColCells} cells of ${query.unknownColIds} unknown column ids`,
    );
  }
  lines.push(
    `time: tuning ${r.seconds.tuning.toFixed(1)} s, final fit ${r.seconds.fitting.toFixed(1)} s, total ${wallSeconds.toFixed(1)} s`,
  );
  return `${lines.join('\n')}\n`;
}

/** Why the winner won: each method's best validation RMSE, the winner's margin over the runner-up. */
export function whyLines(r: CompletionReport): string[] {
  const bests = [...new Set(r.tried.map((t) => t.method))].map((method) => ({
    method,
    rmse: Math.min(...r.tried.filter((t) => t.method === method).map((t) => t.validationRMSE)),
  }));
  if (bests.length < 2) return [];
  bests.sort((a, b) => a.rmse - b.rmse);
  const [win, next] = bests;
  const base = Math.min(...r.biasTrials.map((b) => b.validationRMSE));
  const single =
    `the lowest validation RMSE of a single method, ${win.rmse.toFixed(4)}, against ${bests
      .slice(1)
      .map((b) => `${b.method} ${b.rmse.toFixed(4)}`)
      .join(', ')} ` + `(ahead by ${(next.rmse - win.rmse).toFixed(4)}; biases alone ${base.toFixed(4)})`;
  const b = r.blend;
  if (b?.chosen) {
    return [
      `why a blend: ${blendWords(b.chosen)} scores ${b.chosen.validationRMSE.toFixed(4)} on validation, ${(b.chosen.bestSingleRMSE - b.chosen.validationRMSE).toFixed(4)} below ` +
        `${win.method} alone (${single.replace('the lowest', 'which has the lowest')}); the weight was fitted on the same validation split (least squares), so that margin is slightly optimistic`,
    ];
  }
  const tried = b
    ? `; blends of the best fits of ${b.pairs === 1 ? 'the two groups' : `each pair of groups (${b.pairs} pairs)`} were tried, the best ${b.labels[0]} + ${b.labels[1]} ` +
      `(${b.weights[0] >= 1 || b.weights[0] <= 0 ? `its least-squares weight is ${b.weights[0]}: ${b.labels[0]} alone` : `validation RMSE ${b.validationRMSE.toFixed(4)}, not lower`}), and not kept`
    : '';
  return [`why ${win.method}: ${single}${tried}`];
}

/** The blend in words: 0.62·ratio + 0.38·soft-impute. */
function blendWords(b: NonNullable<CompletionReport['blend']>['chosen'] & object): string {
  return `${b.weights[0].toFixed(3)}·${b.labels[0]} + ${b.weights[1].toFixed(3)}·${b.labels[1]} (weights chosen on validation, both refit on all entries)`;
}

function pick(r: CompletionReport): Trial | undefined {
  return r.tried.find(
    (t) =>
      t.method === r.chosen.method &&
      t.rank === r.chosen.rank &&
      t.lambda === r.chosen.lambda &&
      t.validationRMSE === r.chosen.validationRMSE,
  );
}

function trialLine(t: Trial): string {
  const steps = t.steps ?? t.iterations;
  const extra =
    t.weightDecay !== undefined
      ? `  wd ${num(t.weightDecay)} ${t.weighting ?? ''}${t.budget !== undefined ? `, budget ${t.budget}` : ''}`
      : '';
  const centering = t.centering === 'mean' ? '  (mean alone, no biases)' : '';
  return `${t.method.padEnd(12)} ${String(t.rank).padStart(5)} ${num(t.lambda).padStart(10)} ${(steps === undefined ? '' : String(steps)).padStart(8)} ${t.validationRMSE.toFixed(4).padStart(9)} ${t.seconds.toFixed(1).padStart(8)}${extra}${centering}`;
}

function num(x: number): string {
  return Number(x.toPrecision(3)).toString();
}
