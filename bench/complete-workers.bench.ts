// completeAsync with 1 worker thread next to 2 (or --workers A,B): wall and CPU seconds of the whole fit and of its
// tuning, the ratio of the walls, and a check that both models predict the same numbers bit for bit. Run:
// node --import tsx bench/complete-workers.bench.ts [--file ratings.csv] [--workers 1,2] [--repeats 1] [--seed 0].
// Default data: MovieLens latest-small (../shared/data/movielens-small/ratings.csv, outside the repository); where it
// is absent, a generated ratings problem of 600 × 500, rank 5, 30,000 ratings (noise σ 0.3), said so in the output.
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseTriplets, type LabeledObservations } from '../src/index.ts';
import { completeAsync, useFastestBackend } from '../src/node.ts';
import type { CompletionModel } from '../src/complete/complete.ts';
import { createRng } from '../src/random/index.ts';

const { values: args } = parseArgs({
  options: {
    file: { type: 'string' },
    workers: { type: 'string', default: '1,2' },
    repeats: { type: 'string', default: '1' },
    seed: { type: 'string', default: '0' },
  },
});
const backend = useFastestBackend();
const seed = Number(args.seed);
const workerCounts = args.workers.split(',').map(Number);
const repeats = Number(args.repeats);
const movielens = fileURLToPath(new URL('../../shared/data/movielens-small/ratings.csv', import.meta.url));

/** The ratings to fit: --file, else MovieLens latest-small, else a generated problem. */
function loadData(): { data: LabeledObservations; what: string } {
  const file = args.file ?? (existsSync(movielens) ? movielens : null);
  if (file) {
    const text = readFileSync(file, 'utf8');
    const header = text.slice(0, text.indexOf('\n')).split(',');
    const columns = header.includes('userId') ? (['userId', 'movieId', 'rating'] as const) : undefined;
    return {
      data: parseTriplets(text, { file, ...(columns ? { columns: [...columns] } : {}) }),
      what: file,
    };
  }
  const [m, n, rank, count] = [600, 500, 5, 30_000];
  const rng = createRng(seed);
  const U = Array.from({ length: m * rank }, () => rng.normal());
  const V = Array.from({ length: n * rank }, () => rng.normal());
  const cells = new Set<number>();
  while (cells.size < count) cells.add(rng.int(m * n));
  const lines = ['user,item,rating'];
  for (const c of cells) {
    const [i, j] = [Math.floor(c / n), c % n];
    let z = 3;
    for (let r = 0; r < rank; r++) z += (U[i * rank + r] * V[j * rank + r]) / Math.sqrt(rank);
    lines.push(`${i},${j},${(z + 0.3 * rng.normal()).toFixed(4)}`);
  }
  return {
    data: parseTriplets(`${lines.join('\n')}\n`, { file: 'generated.csv' }),
    what: `generated ${m} × ${n}, rank ${rank}, ${count} ratings, σ 0.3 (MovieLens not found at ${movielens})`,
  };
}

/** Every observed cell's prediction and a fixed sample of other cells: what two models must agree on. */
function fingerprintCells(model: CompletionModel, data: LabeledObservations): Float64Array {
  const obs = data.observations;
  const [m, n] = obs.shape;
  const rng = createRng(1);
  const out = new Float64Array(obs.values.length + 20_000);
  for (let t = 0; t < obs.values.length; t++) out[t] = model.predictAt(obs.rows[t], obs.cols[t]);
  for (let s = 0; s < 20_000; s++) out[obs.values.length + s] = model.predictAt(rng.int(m), rng.int(n));
  return out;
}

const { data, what } = loadData();
const [m, n] = data.observations.shape;
console.log(
  `complete-workers: ${what}: ${m} × ${n}, ${data.observations.values.length} ratings; method auto, seed ${seed}; ` +
    `backend ${backend.name}; ${cpus().length} cores; load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
);
const rows: { workers: number; wall: number; cpu: number; tuning: number; cells: Float64Array }[] = [];
for (let r = 0; r < repeats; r++) {
  for (const workers of workerCounts) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const model = await completeAsync(data, { method: 'auto', seed, workers });
    const wall = (performance.now() - t0) / 1000;
    const used = process.cpuUsage(cpu0);
    const cpu = (used.user + used.system) / 1e6;
    rows.push({ workers, wall, cpu, tuning: model.report.seconds.tuning, cells: fingerprintCells(model, data) });
    console.log(
      `  ${workers} worker${workers === 1 ? ' ' : 's'}: wall ${wall.toFixed(1)} s (tuning ${model.report.seconds.tuning.toFixed(1)} s, ` +
        `refit ${model.report.seconds.fitting.toFixed(1)} s), CPU ${cpu.toFixed(1)} s (all threads), ` +
        `chose ${model.report.method}${model.report.blend?.chosen ? ' (a blend)' : ''}`,
    );
  }
}
const best = (w: number, key: 'wall' | 'tuning'): number =>
  Math.min(...rows.filter((x) => x.workers === w).map((x) => x[key]));
const [a, b] = [workerCounts[0], workerCounts[workerCounts.length - 1]];
const same = rows.every((x) => x.cells.every((v, k) => Object.is(v, rows[0].cells[k])));
console.log(
  `  wall ${a} / ${b} workers: ${(best(a, 'wall') / best(b, 'wall')).toFixed(2)}× (tuning alone ` +
    `${(best(a, 'tuning') / best(b, 'tuning')).toFixed(2)}×; best of ${repeats}); the same predictions bit for bit: ` +
    `${same ? 'yes' : 'NO'}; load average now ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
);
if (!same) process.exitCode = 1;
