// MovieLens latest-small benchmark of `complete`: held-out RMSE and time of ratio, soft-impute and auto
// on a seeded 90/10 random split, next to the reference bar (soft-impute with plain row/column centering and its λ
// chosen on the test set itself). Run: npm run bench [-- --seed 0 --methods ratio,soft-impute,auto --nuclear].
// Hyperparameters of the methods are chosen on a validation split of the 90% only; the 10% is touched once, to score.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseTriplets } from '../src/data/formats/triplets.ts';
import { labelObservations } from '../src/data/labels.ts';
import { splitObservations } from '../src/data/split.ts';
import type { Observations } from '../src/data/observations.ts';
import {
  complete,
  fitBiases,
  makePredictor,
  residualObservations,
  COMPLETE_DEFAULTS,
  type CompletionMethod,
  type CompletionModel,
  type MethodChoice,
} from '../src/complete/index.ts';
import { refit } from '../src/complete/refit.ts';
import { labelIndex } from '../src/data/labels.ts';
import { softImputeAls, softImputeAlsEntry, type SoftImputeAlsState } from '../src/solver/soft-impute-als.ts';
import { sparseSpectralNorm } from '../src/linalg/sparse.ts';
import { setBackend } from '../src/linalg/backend.ts';
import { chooseBackend } from '../src/linalg/native.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const dataPath = fileURLToPath(new URL('../../shared/data/movielens-small/ratings.csv', import.meta.url));

const { values: args } = parseArgs({
  options: {
    seed: { type: 'string', default: '0' },
    methods: { type: 'string', default: 'ratio,soft-impute,auto' },
    nuclear: { type: 'boolean', default: false },
    'no-reference': { type: 'boolean', default: false },
    /** Extra options of complete() as JSON, for ablations: '{"weightDecays":[0]}', '{"weightings":["none"]}'. */
    options: { type: 'string', default: '{}' },
    label: { type: 'string', default: '' },
    /**
     * After auto: refit ratio's best trial among auto's (the one `--methods ratio` would choose: the same candidates,
     * seed and fits) on all training ratings and score it, instead of a second identical ratio search.
     */
    'ratio-from-auto': { type: 'boolean', default: false },
  },
});
const extra = JSON.parse(args.options) as Record<string, unknown>;
const seed = Number(args.seed);

if (!existsSync(dataPath)) {
  console.log(
    `movielens benchmark skipped: ${dataPath} not found (the data live outside the repository, see ../shared/data)`,
  );
  process.exit(0);
}

const t0 = performance.now();
const file = parseTriplets(readFileSync(dataPath, 'utf8'), {
  file: dataPath,
  columns: ['userId', 'movieId', 'rating'],
});
const all = file.observations;
const { train, heldOut: test } = splitObservations(all, 0.1, seed, 'test');
console.log(
  `MovieLens latest-small: ${all.values.length} ratings, ${all.shape[0]} users × ${all.shape[1]} movies (read in ` +
    `${((performance.now() - t0) / 1000).toFixed(1)} s); split seed ${seed}: ${train.values.length} train, ${test.values.length} test`,
);
// The backend `mcomplete complete` uses (MCOMPLETE_BACKEND=ts|native forces one); it runs the factored data term.
const backend = chooseBackend();
setBackend(backend);
console.log(`backend ${backend.name}`);

// The methods see the training ratings as a user would: labeled triples (ids never in train are unknown to them).
const labeledTrain = labelObservations(
  Array.from(train.rows, (i) => file.rowIds[i]),
  Array.from(train.cols, (j) => file.colIds[j]),
  train.values,
);
const testRows = Array.from(test.rows, (i) => file.rowIds[i]);
const testCols = Array.from(test.cols, (j) => file.colIds[j]);

interface Row {
  method: string;
  testRMSE: number;
  validationRMSE: number | null;
  setting: string;
  seconds: number;
  /** CPU seconds of this process (user + system) over the row: the wall time on an idle core, near enough, for these single-threaded fits. */
  cpuSeconds?: number;
}
const rows: Row[] = [];

const methods = args.methods.split(',').map((s) => s.trim()) as MethodChoice[];
if (args.nuclear && !methods.includes('nuclear')) methods.push('nuclear');
let biasLambda = 2;
for (const method of methods) {
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  let lastLine = 0;
  const model = complete(labeledTrain, {
    method,
    seed,
    ...extra,
    onProgress: (e) => {
      const now = performance.now();
      if (now - lastLine > 10_000) {
        lastLine = now;
        process.stderr.write(`  [${method}] ${e.phase} ${e.done.toFixed(1)}/${e.total}: ${e.info}\n`);
      }
    },
  });
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu0);
  const cpuSeconds = (used.user + used.system) / 1e6;
  const pred = model.predictMany(testRows, testCols);
  const r = model.report;
  biasLambda = r.chosen.biasLambda;
  const c = r.chosen;
  rows.push({
    method: `${method === 'auto' ? `auto (chose ${r.blend?.chosen ? `a blend of ${r.blend.chosen.labels.join(' and ')}` : r.method})` : method}${args.label ? ` [${args.label}]` : ''}`,
    testRMSE: rmse(pred.values, test.values),
    validationRMSE: r.blend?.chosen ? r.blend.chosen.validationRMSE : c.validationRMSE,
    setting:
      describe(r.method, c.rank, c.lambda, c.steps, c.biasLambda) +
      (c.weightDecay !== undefined ? `, weight decay ${c.weightDecay}, weighting ${c.weighting}` : '') +
      r.searches.map((q) => `; ${q.method}: ${q.strategy}, ${q.candidates} candidates, ${q.steps} steps`).join('') +
      (r.blend?.chosen
        ? `; blend ${r.blend.chosen.weights[0].toFixed(3)}·${r.blend.chosen.labels[0]} + ${r.blend.chosen.weights[1].toFixed(3)}·${r.blend.chosen.labels[1]} (best single ${r.blend.chosen.bestSingleRMSE.toFixed(4)}; second part ${describe(r.blend.chosen.components[1].method, r.blend.chosen.components[1].rank, r.blend.chosen.components[1].lambda, r.blend.chosen.components[1].steps, c.biasLambda)})`
        : r.blend
          ? `; blend not kept (weight ${r.blend.weights[0].toFixed(3)}, validation ${r.blend.validationRMSE.toFixed(4)})`
          : ''),
    seconds,
    cpuSeconds,
  });
  console.log(
    `${rows[rows.length - 1].method}: test RMSE ${rows[rows.length - 1].testRMSE.toFixed(4)}, validation RMSE ${(rows[rows.length - 1].validationRMSE ?? NaN).toFixed(4)}, ` +
      `${rows[rows.length - 1].setting}, ${seconds.toFixed(1)} s wall, ${cpuSeconds.toFixed(1)} s CPU (${r.tried.length} settings tried; ${pred.unknownCells} test cells with an id not in train)`,
  );
  if (method === 'auto' && args['ratio-from-auto']) rows.push(ratioFromAuto(model));
}

// Biases alone (ridge λ as chosen on validation above): what the low-rank part adds.
{
  const start = performance.now();
  const b = fitBiases(train, biasLambda);
  const pred = Float64Array.from(test.values, (_, t) => clamp(b.mean + b.row[test.rows[t]] + b.col[test.cols[t]]));
  rows.push({
    method: 'biases only',
    testRMSE: rmse(pred, test.values),
    validationRMSE: null,
    setting: `ridge λ ${biasLambda}`,
    seconds: (performance.now() - start) / 1000,
  });
}

if (!args['no-reference']) rows.push(referenceBar(train, test));

console.log(
  '\n| method | test RMSE | validation RMSE | chosen setting | seconds (wall / CPU) |\n|---|---|---|---|---|',
);
for (const r of rows) {
  console.log(
    `| ${r.method} | ${r.testRMSE.toFixed(4)} | ${r.validationRMSE === null ? '–' : r.validationRMSE.toFixed(4)} | ${r.setting} | ${r.seconds.toFixed(1)}${r.cpuSeconds !== undefined ? ` / ${r.cpuSeconds.toFixed(1)}` : ''} |`,
  );
}
const outDir = `${root}results`;
mkdirSync(outDir, { recursive: true });
const outFile = `${outDir}/movielens-seed${seed}-${methods.join('+')}${args.label ? `-${args.label.replace(/[^a-z0-9]+/gi, '_')}` : ''}.json`;
writeFileSync(outFile, `${JSON.stringify({ seed, data: dataPath, ratings: all.values.length, rows }, null, 2)}\n`);
console.log(`\n(written to ${outFile}; node ${process.version}, seed ${seed})`);

/**
 * ratio's row from auto's tuning: its best ratio trial refit on all training ratings, exactly as complete() with
 * method ratio refits its choice (same biases, λ, ω, weighting, steps and seed). Seconds: the refit only.
 */
function ratioFromAuto(model: CompletionModel): Row {
  const start = performance.now();
  const r = model.report;
  const ratio = r.tried.filter((t) => t.method === 'ratio');
  const best = ratio.reduce((a, b) => (b.validationRMSE < a.validationRMSE ? b : a));
  const { rowIds, colIds } = model.parts;
  const ri = labelIndex(rowIds);
  const ci = labelIndex(colIds);
  const obs: Observations = {
    shape: [rowIds.length, colIds.length],
    rows: Int32Array.from(train.rows, (i) => ri.get(file.rowIds[i]) as number),
    cols: Int32Array.from(train.cols, (j) => ci.get(file.colIds[j]) as number),
    values: train.values,
  };
  const b = fitBiases(obs, r.chosen.biasLambda);
  const D = COMPLETE_DEFAULTS;
  const f = refit(
    residualObservations(obs, b),
    best,
    null,
    r.validation.fitEntries,
    { seed, lr: D.lr, initScale: D.initScale, nuclearWeight: 0, decay: D.decay },
    () => {},
  );
  const p = makePredictor({ rowIds, colIds, biases: b, fallback: b, L: f.L, R: f.R, clip: model.parts.clip }, obs);
  const pred = p.predictMany(testRows, testCols);
  const row: Row = {
    method: "ratio (from auto's tuning)",
    testRMSE: rmse(pred.values, test.values),
    validationRMSE: best.validationRMSE,
    setting:
      describe('ratio', best.rank, best.lambda, best.steps, r.chosen.biasLambda) +
      `, weight decay ${best.weightDecay}, weighting ${best.weighting}`,
    seconds: (performance.now() - start) / 1000,
  };
  console.log(
    `${row.method}: test RMSE ${row.testRMSE.toFixed(4)}, validation RMSE ${best.validationRMSE.toFixed(4)}, ${row.setting}, refit ${row.seconds.toFixed(1)} s`,
  );
  return row;
}

/**
 * The reference bar set for this benchmark: soft-impute (same ALS, rank cap 20) after plain row/column centering (bias ridge λ = 0),
 * with λ chosen on the test set itself along the path λ_max·0.8^q: optimistic by construction.
 */
function referenceBar(trainObs: Observations, testObs: Observations): Row {
  const start = performance.now();
  const b = fitBiases(trainObs, 0);
  const resid = residualObservations(trainObs, b);
  const top = sparseSpectralNorm(resid, { seed });
  let warm: SoftImputeAlsState | undefined;
  let best = Infinity;
  let bestLambda = top;
  let worse = 0;
  for (let q = 1; q <= 30 && worse < 3; q++) {
    const lambda = top * 0.8 ** q;
    const r = softImputeAls(resid, lambda, { rank: 20, maxIters: 100, squaredChangeTol: 1e-5, seed, warmStart: warm });
    warm = r.state;
    const pred = Float64Array.from(testObs.values, (_, t) => {
      const i = testObs.rows[t];
      const j = testObs.cols[t];
      return clamp(b.mean + b.row[i] + b.col[j] + softImputeAlsEntry(r, i, j));
    });
    const e = rmse(pred, testObs.values);
    if (e < best) {
      best = e;
      bestLambda = lambda;
      worse = 0;
    } else worse++;
  }
  return {
    method: 'reference: soft-impute, plain centering, λ chosen on the test set',
    testRMSE: best,
    validationRMSE: null,
    setting: `rank ≤ 20, λ ${bestLambda.toPrecision(3)}`,
    seconds: (performance.now() - start) / 1000,
  };
}

function describe(
  method: CompletionMethod,
  rank: number,
  lambda: number,
  steps: number | undefined,
  bl: number,
): string {
  const what = method === 'soft-impute' ? `rank ≤ ${rank}` : `rank ${rank}`;
  return `${method} ${what}, λ ${lambda.toPrecision(3)}${steps !== undefined ? `, ${steps} steps` : ''}, bias ridge λ ${bl}`;
}

function clamp(x: number): number {
  return x < 0.5 ? 0.5 : x > 5 ? 5 : x;
}

function rmse(pred: ArrayLike<number>, actual: ArrayLike<number>): number {
  let s = 0;
  for (let t = 0; t < actual.length; t++) s += (pred[t] - actual[t]) ** 2;
  return Math.sqrt(s / actual.length);
}
