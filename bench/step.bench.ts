// Where the time of one depth-1 adam + L*/F training step goes (n = 100, m = 2000 unless given).
// Usage: node --import tsx bench/step.bench.ts [n] [steps]
import { syntheticProblem } from '../src/data/synthetic.ts';
import { linearIndices } from '../src/data/observations.ts';
import { createSvdWorkspace, svdInto } from '../src/linalg/svd.ts';
import { zeros } from '../src/linalg/matrix.ts';
import { createPenaltyWorkspace, penalty } from '../src/penalty/index.ts';
import { applyUpdates, chain, scale, scaleByAdam } from '../src/optim/index.ts';
import { initDeepModel } from '../src/model/deep.ts';
import { deriveRng } from '../src/random/index.ts';

const n = Number(process.argv[2] ?? 100);
const steps = Number(process.argv[3] ?? 300);
const p = syntheticProblem({ n, rank: 5, samples: Math.round(0.2 * n * n), seed: 0 });
const W = initDeepModel(n, n, 1, 1e-3, deriveRng(0, 'init')).layers[0];
const G = zeros(n, n);
const idx = linearIndices(p.observations);
const vals = p.observations.values;
const svdWs = createSvdWorkspace(n, n);
const penWs = createPenaltyWorkspace(n, n);
const opt = chain(scaleByAdam(), scale(-1e-3));
const state = opt.init([n * n]);
const t = { data: 0, svd: 0, penalty: 0, optimizer: 0 };
for (let step = 1; step <= steps; step++) {
  let t0 = performance.now();
  G.data.fill(0);
  for (let k = 0; k < idx.length; k++) G.data[idx[k]] = (2 / idx.length) * (W.data[idx[k]] - vals[k]);
  let t1 = performance.now();
  t.data += t1 - t0;
  const svd = svdInto(W, svdWs, { warmStart: step > 1 });
  t0 = performance.now();
  t.svd += t0 - t1;
  penalty('ratio', W, svd, { gradOut: G, gradScale: 1e-4, workspace: penWs });
  t1 = performance.now();
  t.penalty += t1 - t0;
  opt.apply([G.data], state);
  applyUpdates([W.data], [G.data]);
  t.optimizer += performance.now() - t1;
}
const total = t.data + t.svd + t.penalty + t.optimizer;
console.log(`n=${n}, ${steps} steps: ${((1000 * total) / steps / 1000).toFixed(2)} s per 1000 steps`);
for (const [k, v] of Object.entries(t))
  console.log(`  ${k.padEnd(10)} ${(v / steps).toFixed(3)} ms/step  ${((100 * v) / total).toFixed(1)}%`);
