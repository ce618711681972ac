// The README's "Quick start 2": fill in a ratings matrix with the library's complete(). Run it with
// `node --import tsx examples/complete.ts [ratings.csv]`: without a file it makes one (a 60 × 50 rank-2 matrix with
// about a third of its cells rated, seed 0) and also prints the error on the cells it held back. Prints one JSON object.
import { readFileSync } from 'node:fs';
import { complete, parseTriplets, syntheticProblem } from '../src/index.ts';

const file = process.argv[2];
const truth = file ? null : syntheticProblem({ n: 60, rank: 2, samples: 1200, seed: 0 });
const csvText = file
  ? readFileSync(file, 'utf8')
  : 'userId,movieId,rating\n' +
    Array.from(truth!.observations.values, (v, e) => {
      const { rows, cols } = truth!.observations;
      return `${rows[e] + 1},${cols[e] + 1},${v}`;
    }).join('\n');

const data = parseTriplets(csvText, { file: 'ratings.csv', columns: ['userId', 'movieId', 'rating'] });
const model = complete(data, { method: 'auto', seed: 0 });
model.predict(1, 31);                        // by ids (labels); unknown ids get the fallback
model.predictMany(['1', '7'], ['31', '42']); // { values, unknownCells, ... }
model.report;                                // every setting tried, the choice, the refit, the time

/** ||prediction − truth||_F / ||truth||_F over the cells that were not in the file (the generated data only). */
function relErrorUnobserved(): number | null {
  if (!truth) return null;
  const n = truth.truth.cols;
  const seen = new Set(Array.from(truth.observations.rows, (r, e) => r * n + truth.observations.cols[e]));
  const rowIds: string[] = [];
  const colIds: string[] = [];
  const expected: number[] = [];
  for (let i = 0; i < truth.truth.rows; i++) {
    for (let j = 0; j < n; j++) {
      if (seen.has(i * n + j)) continue;
      rowIds.push(String(i + 1));
      colIds.push(String(j + 1));
      expected.push(truth.truth.data[i * n + j]);
    }
  }
  const { values } = model.predictMany(rowIds, colIds);
  let err = 0;
  let norm = 0;
  expected.forEach((t, k) => {
    err += (values[k] - t) ** 2;
    norm += t * t;
  });
  return Math.sqrt(err / norm);
}

const { values, unknownCells } = model.predictMany(['1', '7'], ['31', '42']);
console.log(
  JSON.stringify({
    predict: model.predict(1, 31),
    predictMany: { values: Array.from(values), unknownCells },
    chosen: model.report.method,
    tried: model.report.tried.length,
    seconds: model.report.seconds.total,
    relErrorUnobserved: relErrorUnobserved(),
  }),
);
