// Time to exact recovery of the rank-free pipeline (Adam + L*/F, deep model, --polish: never told the rank) side by
// side with GNMR told the true rank, on the protocol problem with identifiable masks, on the backend the CLI uses.
// Usage: node --import tsx bench/polish.bench.ts [--samples 2000 | --rho R] [--seeds 0,1,2] [--n 100] [--rank 5]
//   [--kappa K] [--masks identifiable|field]
// The model is the CLI's default: deep up to 500 × 500, factored above (DEEP_MODEL_MAX_ENTRIES). The field's problem:
//   --n 1000 --rho 1.5 --kappa 10 --masks field --seeds 0 (minutes per seed).
import { parseArgs } from 'node:util';
import { setBackend } from '../src/linalg/backend.ts';
import { chooseBackend } from '../src/linalg/native.ts';
import { runSynthetic } from '../src/methods/run.ts';
import { DEEP_MODEL_MAX_ENTRIES } from '../src/defaults.ts';
import { samplesForRho } from '../src/data/synthetic.ts';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '100' },
    rank: { type: 'string', default: '5' },
    samples: { type: 'string', default: '2000' },
    seeds: { type: 'string', default: '0,1,2' },
    rho: { type: 'string' },
    kappa: { type: 'string' },
    masks: { type: 'string', default: 'identifiable' },
  },
});
const backend = chooseBackend();
setBackend(backend);
const n = Number(values.n);
const rank = Number(values.rank);
const problem = {
  n,
  rank,
  samples: values.rho === undefined ? Number(values.samples) : samplesForRho(Number(values.rho), n, n, rank),
  ...(values.kappa === undefined ? {} : { kappa: Number(values.kappa) }),
  masks: values.masks as 'identifiable' | 'field',
};
const model = n * n <= DEEP_MODEL_MAX_ENTRIES ? ('deep' as const) : ('factored' as const);
const seeds = values.seeds.split(',').map(Number);
console.log(
  `polish vs gnmr, n=${n} rank=${rank} samples=${problem.samples}${values.kappa ? ` kappa=${values.kappa}` : ''}, ` +
    `${problem.masks} masks, ${model} model, backend ${backend.name}`,
);
// Warm the JIT on a small problem so the first timed run is not penalized.
runSynthetic({ n: 20, rank: 2, samples: 200, seed: 0, polish: true, maxIters: 600 });
let polishTotal = 0;
let gnmrTotal = 0;
for (const seed of seeds) {
  const p = runSynthetic({ ...problem, seed, polish: true, model });
  const g = runSynthetic({ ...problem, seed, method: 'gnmr' });
  polishTotal += p.seconds;
  gnmrTotal += g.seconds;
  console.log(
    `seed ${seed}: adam+L*/F+polish ${p.seconds.toFixed(2).padStart(6)} s relError ${p.relError.toExponential(2)} ` +
      `rank ${p.polish?.estimatedRank ?? 'none'} at step ${p.polish?.step} (${p.stopReason}) | ` +
      `gnmr (told rank ${g.givenRank}) ${g.seconds.toFixed(2).padStart(6)} s relError ${g.relError.toExponential(2)} (${g.stopReason})`,
  );
}
console.log(
  `mean seconds: polish ${(polishTotal / seeds.length).toFixed(2)}, gnmr ${(gnmrTotal / seeds.length).toFixed(2)}, ratio ${(polishTotal / gnmrTotal).toFixed(1)}×`,
);
