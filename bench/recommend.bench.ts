// Top-N for every user and 10^6 predictions from a fitted model, at MovieLens latest-small's shape: recommendMany
// (blocks of 256 users, one matrix product each) next to the reference, the obvious loop over predictAt for every
// (user, item) and a sort per user. Run: node --import tsx bench/recommend.bench.ts [--model model.mcm] [--rank 20].
// With --model (a file of `mcomplete complete --save-model`), that model; else a model of MovieLens's shape (671 users,
// 9,066 items, 100,004 training entries) with seeded random factors: the timings depend on the shape, not the values.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadModel, makeFittedModel, type FittedModel } from '../src/complete/index.ts';
import { zeros } from '../src/linalg/matrix.ts';
import { setBackend, getBackend } from '../src/linalg/backend.ts';
import { chooseBackend } from '../src/linalg/native.ts';
import { createRng, fillNormal } from '../src/random/index.ts';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string' },
    rank: { type: 'string', default: '20' },
    seed: { type: 'string', default: '0' },
  },
});
setBackend(chooseBackend());

/** A model of the given shape with seeded Gaussian factors and biases and `entries` distinct training cells. */
function syntheticModel(m: number, n: number, k: number, entries: number, seed: number): FittedModel {
  const rng = createRng(seed);
  const L = zeros(m, k);
  const R = zeros(n, k);
  fillNormal(rng, L.data);
  fillNormal(rng, R.data);
  const row = new Float64Array(m);
  const col = new Float64Array(n);
  fillNormal(rng, row);
  fillNormal(rng, col);
  const cells = new Set<number>();
  while (cells.size < entries) cells.add(rng.int(m * n));
  const keys = [...cells];
  const biases = { mean: 3.5, row, col, lambda: 5 };
  return makeFittedModel({
    parts: {
      rowIds: Array.from({ length: m }, (_, i) => String(i + 1)),
      colIds: Array.from({ length: n }, (_, j) => String(j + 1)),
      biases,
      fallback: biases,
      L,
      R,
      clip: null,
    },
    observed: {
      shape: [m, n],
      rows: Int32Array.from(keys, (c) => Math.floor(c / n)),
      cols: Int32Array.from(keys, (c) => c % n),
      values: Float64Array.from(keys, () => 3),
    },
    info: {
      method: 'soft-impute',
      settings: {},
      fingerprint: 'synthetic',
      foldIn: { center: true, blocks: [], entries, rows: m, cols: n },
      input: null,
      foldedIn: 0,
    },
  });
}

const model = args.model
  ? loadModel(readFileSync(args.model))
  : syntheticModel(671, 9066, Number(args.rank), 100_004, Number(args.seed));
const m = model.rowIds.length;
const n = model.colIds.length;
const k = model.parts.L.cols;
console.log(
  `recommend bench: ${args.model ?? 'synthetic model'}, ${m} users × ${n} items, rank ${k}, backend ${getBackend().name}`,
);

/** Wall and CPU (user + system) seconds since a mark: CPU time is the fairer figure on a shared machine. */
const mark = (): { wall: number; cpu: NodeJS.CpuUsage } => ({ wall: performance.now(), cpu: process.cpuUsage() });
const since = (s: ReturnType<typeof mark>): string => {
  const c = process.cpuUsage(s.cpu);
  return `${((performance.now() - s.wall) / 1000).toFixed(3)} s wall, ${((c.user + c.system) / 1e6).toFixed(3)} s CPU`;
};
let t = mark();
let c0 = process.cpuUsage();
const fast = model.recommendMany(model.rowIds, { top: 10 });
const fastText = since(t);
const fastCpu = process.cpuUsage(c0);

// Reference: every (user, item) through predictAt, seen items out, then a sort per user.
t = mark();
c0 = process.cpuUsage();
const support = model.itemSupport();
let agree = 0;
for (let i = 0; i < m; i++) {
  const seen = new Set(model.seenItems(model.rowIds[i]));
  const scored: { j: number; s: number }[] = [];
  for (let j = 0; j < n; j++)
    if (!seen.has(model.colIds[j]) && support[j] >= 0) scored.push({ j, s: model.predictAt(i, j) });
  scored.sort((a, b) => b.s - a.s || a.j - b.j);
  if (model.colIds[scored[0].j] === fast[i][0].item) agree++;
}
const refText = since(t);
const refCpu = process.cpuUsage(c0);
console.log(
  `top 10 for all ${m} users: recommendMany ${fastText}; predictAt loop + sort ${refText} (CPU ratio ${((refCpu.user + refCpu.system) / (fastCpu.user + fastCpu.system)).toFixed(1)}×; same first item for ${agree} users, both rank the unclipped scores of this model)`,
);

const rng = createRng(Number(args.seed) + 1);
const cells = 1_000_000;
const rowIds = Array.from({ length: cells }, () => model.rowIds[rng.int(m)]);
const colIds = Array.from({ length: cells }, () => model.colIds[rng.int(n)]);
t = mark();
const p = model.predictMany(rowIds, colIds, { keepObserved: true });
console.log(
  `predictMany of ${cells.toLocaleString('en')} cells (keepObserved): ${since(t)} (${p.unknownCells} unknown)`,
);
