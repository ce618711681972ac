// The rate behind complete()'s time estimate (PLAN_WORK_RATE, src/complete/grid.ts): softImpute-ALS iterations at
// k = 20 on 2·10⁵ ratings, once with as many ids as ratings (every user and item once: the (m + n)·k² term
// dominates) and once with 2·10³ of each (the |Ω|·k term dominates), as work units a second (alsIterationWork). The
// two rates agree when every term is counted; counting only |Ω|·k, they differ 30-fold.
// Usage: node --import tsx bench/als-work.bench.ts [--iters 5]
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { softImputeAls } from '../src/solver/soft-impute-als.ts';
import { alsIterationWork } from '../src/complete/grid.ts';
import { getBackend, setBackend } from '../src/linalg/backend.ts';
import { chooseBackend } from '../src/linalg/native.ts';
import { createRng } from '../src/random/index.ts';
import { makeObservations } from '../src/data/observations.ts';

const { values } = parseArgs({ options: { iters: { type: 'string', default: '5' } } });
const iters = Number(values.iters);
setBackend(chooseBackend());
const k = 20;
const count = 200_000;
for (const ids of [count, 2000]) {
  const rng = createRng(1);
  // Distinct cells: with 2·10³ ids, row t mod 2·10³ takes 100 distinct columns.
  const rows = Int32Array.from({ length: count }, (_, t) => t % ids);
  const cols = Int32Array.from({ length: count }, (_, t) =>
    ids === count ? (t * 7919) % count : (Math.floor(t / ids) + 7 * (t % ids)) % ids,
  );
  const values = Float64Array.from({ length: count }, () => rng.normal());
  const obs = makeObservations([ids, ids], rows, cols, values);
  const t0 = performance.now();
  softImputeAls(obs, 0.1, { rank: k, maxIters: iters, squaredChangeTol: 0, seed: 0 });
  const seconds = (performance.now() - t0) / 1000;
  const work = iters * alsIterationWork(count, 2 * ids, k);
  console.log(
    `|Ω| ${count}, ${ids} users × ${ids} items, k ${k}, ${getBackend().name}: ${iters} iterations in ${seconds.toFixed(2)} s, ` +
      `${work.toExponential(2)} units: ${(work / seconds).toExponential(2)} units/s (|Ω|·k alone: ${((iters * count * k) / seconds).toExponential(2)}/s); load ${loadavg()[0].toFixed(1)}`,
  );
}
