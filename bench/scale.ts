// The scale problem as a new user meets it: a generated m × n rank-r matrix, values (A·Bᵀ)_ij/√r plus
// N(0, σ²) noise, about `ratings` observed cells and a share `query` of them held out as the query
// (test/helpers/scale-problem.ts). Writes train.csv (row,col,value) and query.csv (row,col) with the held-out values
// in truth.csv, and prints the oracle noise floor (oracleFloor: the Bayes predictor told the true column factors B;
// no method's expected test RMSE on this generator is lower). With --run it completes in-process like
// `mcomplete complete train.csv --query query.csv --out pred.csv` and prints the test RMSE against σ and the floor,
// the chosen setting, the wall time and the peak RSS; with --score pred.csv it scores the CLI's output instead.
// Run: node --import tsx bench/scale.ts [--seed 0] [--rows 20000 --cols 5000 --rank 10 --sigma 0.3 --ratings 1000000
// --query 0.02] [--out /tmp/mcomplete-scale] [--no-write] [--run] [--options JSON] [--score pred.csv].
// Defaults are the full-size problem of docs/results.md (about 980,000 ratings kept).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createRng } from '../src/random/index.ts';
import { labelObservations } from '../src/data/labels.ts';
import { complete, type CompleteOptions } from '../src/complete/index.ts';
import { setBackend } from '../src/linalg/backend.ts';
import { chooseBackend } from '../src/linalg/native.ts';
import { oracleFloor, scaleProblem } from '../test/helpers/scale-problem.ts';

const { values: a } = parseArgs({
  options: {
    seed: { type: 'string', default: '0' },
    rows: { type: 'string', default: '20000' },
    cols: { type: 'string', default: '5000' },
    rank: { type: 'string', default: '10' },
    sigma: { type: 'string', default: '0.3' },
    ratings: { type: 'string', default: '1000000' },
    query: { type: 'string', default: '0.02' },
    out: { type: 'string', default: '/tmp/mcomplete-scale' },
    'no-write': { type: 'boolean', default: false },
    run: { type: 'boolean', default: false },
    options: { type: 'string', default: '{}' },
    score: { type: 'string' },
  },
});
const [seed, m, n, r, ratings] = [a.seed, a.rows, a.cols, a.rank, a.ratings].map(Number);
const sigma = Number(a.sigma);
const queryShare = Number(a.query);

const t0 = performance.now();
const p = scaleProblem({ m, n, r, sigma, ratings, seed });
const isQuery = new Uint8Array(ratings);
const qrng = createRng(seed + 1);
for (let t = 0; t < ratings; t++) isQuery[t] = qrng.uniform() < queryShare ? 1 : 0;
const pick = (want: number): number[] =>
  Array.from({ length: ratings }, (_, t) => t).filter((t) => isQuery[t] === want);
const tr = pick(0);
const q = pick(1);
const cells = (ts: number[]) => ({
  rows: ts.map((t) => p.rows[t]),
  cols: ts.map((t) => p.cols[t]),
  values: ts.map((t) => p.values[t]),
});
const queryCells = cells(q);
if (!a['no-write']) {
  mkdirSync(a.out, { recursive: true });
  writeFileSync(
    join(a.out, 'train.csv'),
    `row,col,value\n${tr.map((t) => `${p.rows[t]},${p.cols[t]},${p.values[t]}\n`).join('')}`,
  );
  writeFileSync(join(a.out, 'query.csv'), `row,col\n${q.map((t) => `${p.rows[t]},${p.cols[t]}\n`).join('')}`);
  writeFileSync(
    join(a.out, 'truth.csv'),
    `row,col,value,noiseless\n${q.map((t) => `${p.rows[t]},${p.cols[t]},${p.values[t]},${p.truth[t]}\n`).join('')}`,
  );
}
console.log(
  `scale problem seed ${seed}: ${m} × ${n}, rank ${r}, σ ${sigma}: ${tr.length} train, ${q.length} query ratings` +
    `${a['no-write'] ? '' : ` written to ${a.out}`} in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);
if (!a['no-write'])
  console.log(
    `  mcomplete complete ${join(a.out, 'train.csv')} --query ${join(a.out, 'query.csv')} --out ${join(a.out, 'pred.csv')}`,
  );
const oracle = oracleFloor(p, cells(tr), queryCells);
console.log(
  `oracle (told B and the prior of the rows): floor ${oracle.floorRMSE.toFixed(4)} = ${(oracle.floorRMSE / sigma).toFixed(3)} σ ` +
    `(expected test RMSE), its test RMSE ${oracle.rmse.toFixed(4)} = ${(oracle.rmse / sigma).toFixed(3)} σ`,
);

/** Test RMSE of predictions against the held-out noisy values, with σ and the floor beside it. */
function scoreLine(label: string, pred: ArrayLike<number>): string {
  let sse = 0;
  for (let s = 0; s < q.length; s++) sse += (pred[s] - queryCells.values[s]) ** 2;
  const rmse = Math.sqrt(sse / q.length);
  return (
    `${label}: test RMSE ${rmse.toFixed(4)} = ${(rmse / sigma).toFixed(3)} σ = ${(rmse / oracle.floorRMSE).toFixed(3)} × floor ` +
    `= ${(rmse / oracle.rmse).toFixed(3)} × the oracle's on the same cells`
  );
}

if (a.score) {
  // The CLI's --out: a header, then row,col,value in the query's order.
  const lines = readFileSync(a.score, 'utf8').trim().split('\n').slice(1);
  if (lines.length !== q.length) throw new Error(`${a.score}: ${lines.length} predictions for ${q.length} query cells`);
  const pred = lines.map((line, s) => {
    const [i, j, v] = line.split(',');
    if (Number(i) !== queryCells.rows[s] || Number(j) !== queryCells.cols[s])
      throw new Error(`${a.score}: line ${s + 2} is not query cell ${s + 1}`);
    return Number(v);
  });
  console.log(scoreLine(a.score, pred));
}

if (a.run) {
  setBackend(chooseBackend());
  const options = JSON.parse(a.options) as CompleteOptions;
  const start = performance.now();
  const trainCells = cells(tr);
  const model = complete(
    labelObservations(trainCells.rows.map(String), trainCells.cols.map(String), trainCells.values),
    { seed, ...options },
  );
  const pred = model.predictMany(queryCells.rows.map(String), queryCells.cols.map(String)).values;
  const c = model.report.chosen;
  const setting =
    `${c.method} rank ${c.rank}${c.solutionRank !== undefined ? ` (solution rank ${c.solutionRank})` : ''} λ ${c.lambda.toPrecision(3)}` +
    `${c.weightDecay !== undefined ? ` ω ${c.weightDecay} ${c.weighting}` : ''}${c.steps !== undefined ? ` ${c.steps} steps` : ''}` +
    `${c.iterations !== undefined ? ` ${c.iterations} iterations` : ''}, validation RMSE ${c.validationRMSE.toFixed(4)}`;
  console.log(
    `${scoreLine(`complete (${options.method ?? 'auto'})`, pred)}; chose ${setting}; ${model.report.tried.length} settings tried; ` +
      `${((performance.now() - start) / 1000).toFixed(1)} s; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
  );
  for (const note of model.report.notes) console.log(`  note: ${note}`);
}
