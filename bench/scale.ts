// The scale problem of issue 15 as a new user meets it: a generated m × n rank-r matrix, values (A·Bᵀ)_ij/√r plus
// N(0, σ²) noise, about `ratings` observed cells and a share `query` of them held out as the query. Writes train.csv
// (row,col,value) and query.csv (row,col) with the held-out values in truth.csv, then, with --run, completes it
// in-process like `mcomplete complete train.csv --query query.csv --out pred.csv` and prints the test RMSE against σ
// (the noise floor), the chosen setting, the wall time and the peak RSS.
// Run: node --import tsx bench/scale.ts [--seed 0] [--rows 20000 --cols 5000 --rank 10 --sigma 0.3 --ratings 1000000
// --query 0.02] [--out /tmp/mcomplete-scale] [--run]. Defaults are the issue's problem (about 980,000 ratings kept).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createRng } from '../src/random/index.ts';
import { labelObservations } from '../src/data/labels.ts';
import { complete } from '../src/complete/index.ts';
import { setBackend } from '../src/linalg/backend.ts';
import { chooseBackend } from '../src/linalg/native.ts';

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
    run: { type: 'boolean', default: false },
  },
});
const [seed, m, n, r, ratings] = [a.seed, a.rows, a.cols, a.rank, a.ratings].map(Number);
const sigma = Number(a.sigma);
const queryShare = Number(a.query);

/** The problem: factors, then `ratings` distinct cells drawn uniformly (a hash set of i·n + j), values with noise. */
function generate(): { rows: Int32Array; cols: Int32Array; values: Float64Array; truth: Float64Array } {
  const rng = createRng(seed);
  const A = Float64Array.from({ length: m * r }, () => rng.normal());
  const B = Float64Array.from({ length: n * r }, () => rng.normal());
  const seen = new Set<number>();
  const rows = new Int32Array(ratings);
  const cols = new Int32Array(ratings);
  const values = new Float64Array(ratings);
  const truth = new Float64Array(ratings);
  let t = 0;
  while (t < ratings) {
    const i = rng.int(m);
    const j = rng.int(n);
    if (seen.has(i * n + j)) continue;
    seen.add(i * n + j);
    let z = 0;
    for (let c = 0; c < r; c++) z += A[i * r + c] * B[j * r + c];
    truth[t] = z / Math.sqrt(r);
    values[t] = truth[t] + sigma * rng.normal();
    rows[t] = i;
    cols[t] = j;
    t++;
  }
  return { rows, cols, values, truth };
}

const t0 = performance.now();
const p = generate();
const isQuery = Uint8Array.from({ length: ratings }, () => 0);
const qrng = createRng(seed + 1);
for (let t = 0; t < ratings; t++) isQuery[t] = qrng.uniform() < queryShare ? 1 : 0;
mkdirSync(a.out, { recursive: true });
const train: string[] = ['row,col,value'];
const query: string[] = ['row,col'];
const truth: string[] = ['row,col,value,noiseless'];
for (let t = 0; t < ratings; t++) {
  if (isQuery[t]) {
    query.push(`${p.rows[t]},${p.cols[t]}`);
    truth.push(`${p.rows[t]},${p.cols[t]},${p.values[t]},${p.truth[t]}`);
  } else train.push(`${p.rows[t]},${p.cols[t]},${p.values[t]}`);
}
writeFileSync(join(a.out, 'train.csv'), `${train.join('\n')}\n`);
writeFileSync(join(a.out, 'query.csv'), `${query.join('\n')}\n`);
writeFileSync(join(a.out, 'truth.csv'), `${truth.join('\n')}\n`);
console.log(
  `scale problem seed ${seed}: ${m} × ${n}, rank ${r}, σ ${sigma}: ${train.length - 1} train, ${query.length - 1} query ratings ` +
    `written to ${a.out} in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);
console.log(`  mcomplete complete ${join(a.out, 'train.csv')} --query ${join(a.out, 'query.csv')} --out ${join(a.out, 'pred.csv')}`);

if (a.run) {
  setBackend(chooseBackend());
  const idx = (want: number): number[] => Array.from({ length: ratings }, (_, t) => t).filter((t) => isQuery[t] === want);
  const tr = idx(0);
  const q = idx(1);
  const start = performance.now();
  const model = complete(
    labelObservations(
      tr.map((t) => String(p.rows[t])),
      tr.map((t) => String(p.cols[t])),
      tr.map((t) => p.values[t]),
    ),
    { seed },
  );
  const pred = model.predictMany(q.map((t) => String(p.rows[t])), q.map((t) => String(p.cols[t]))).values;
  let sse = 0;
  for (let s = 0; s < q.length; s++) sse += (pred[s] - p.values[q[s]]) ** 2;
  const rmse = Math.sqrt(sse / q.length);
  const c = model.report.chosen;
  console.log(
    `complete (auto): test RMSE ${rmse.toFixed(4)} = ${(rmse / sigma).toFixed(3)} σ; chose ${c.method} rank ${c.rank}` +
      `${c.weightDecay !== undefined ? ` ω ${c.weightDecay} ${c.weighting}` : ''}; ${((performance.now() - start) / 1000).toFixed(1)} s; ` +
      `peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
  );
}
