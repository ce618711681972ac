// Time to exact recovery of the rank-free pipeline (Adam + L*/F, deep model, --polish: never told the rank) side by
// side with GNMR told the true rank, on the protocol problem with identifiable masks, on the backend the CLI uses.
// Usage: node --import tsx bench/polish.bench.ts [--samples 2000] [--seeds 0,1,2] [--n 100] [--rank 5]
import { parseArgs } from 'node:util';
import { setBackend } from '../src/linalg/backend.ts';
import { chooseBackend } from '../src/linalg/native.ts';
import { runSynthetic } from '../src/methods/run.ts';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '100' },
    rank: { type: 'string', default: '5' },
    samples: { type: 'string', default: '2000' },
    seeds: { type: 'string', default: '0,1,2' },
  },
});
const backend = chooseBackend();
setBackend(backend);
const problem = {
  n: Number(values.n),
  rank: Number(values.rank),
  samples: Number(values.samples),
  masks: 'identifiable' as const,
};
const seeds = values.seeds.split(',').map(Number);
console.log(
  `polish vs gnmr, n=${problem.n} rank=${problem.rank} samples=${problem.samples}, identifiable masks, backend ${backend.name}`,
);
// Warm the JIT on a small problem so the first timed run is not penalized.
runSynthetic({ n: 20, rank: 2, samples: 200, seed: 0, polish: true, maxIters: 600 });
let polishTotal = 0;
let gnmrTotal = 0;
for (const seed of seeds) {
  const p = runSynthetic({ ...problem, seed, polish: true });
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
