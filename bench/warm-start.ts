// Why warm-starting the SVD from the previous step cannot make the default run cheaper: how far one Adam
// step moves W compared with the tail of its spectrum, and how much the tail's singular vectors turn in that step.
// Trains the default run (n = 100, m = 2000, adam + L∗/F, seed 0) to step `--at` (default 20,000), keeps W_t and
// W_{t+1}, and prints ||W_{t+1} − W_t||_F, the spectrum, and for the tail (singular vectors r+1…n, r = 5):
//  - the mean over tail vectors v_i(t+1) of max_j |⟨v_i(t+1), v_j(t)⟩| (1: each kept its direction);
//  - the largest cosine between two tail columns of W_{t+1}·V_t (0: V_t already diagonalizes W_{t+1}, the case
//    where a warm-started Jacobi has nothing left to do).
// Usage: node --import tsx bench/warm-start.ts [--at 20000] [--seed 0]
import { parseArgs } from 'node:util';
import { clone, frobeniusNorm, gemm, subtract, type Matrix } from '../src/linalg/matrix.ts';
import { svd } from '../src/linalg/svd.ts';
import { setBackend } from '../src/linalg/backend.ts';
import { chooseBackend } from '../src/linalg/native.ts';
import { DEFAULT_RUN_SPEC, runSynthetic } from '../src/methods/run.ts';

const { values } = parseArgs({
  options: { at: { type: 'string', default: '20000' }, seed: { type: 'string', default: '0' } },
});
const at = Number(values.at);
const seed = Number(values.seed);
setBackend(chooseBackend());
const r = DEFAULT_RUN_SPEC.rank;
const kept: Matrix[] = [];
const t0 = performance.now();
runSynthetic(
  { ...DEFAULT_RUN_SPEC, seed, maxIters: at + 1 },
  {
    progressEvery: 1,
    onProgress: (e) => e.method === 'gradient' && (e.step === at || e.step === at + 1) && e.W && kept.push(clone(e.W)),
  },
);
const [W0, W1] = kept;
const a = svd(W0);
const b = svd(W1);
const n = a.s.length;
const col = (M: Matrix, j: number): number[] => Array.from({ length: M.rows }, (_, i) => M.data[i * M.cols + j]);
const dotCols = (x: number[], y: number[]): number => x.reduce((acc, xi, i) => acc + xi * y[i], 0);
let overlap = 0;
for (let i = r; i < n; i++) {
  const vi = col(b.V, i);
  let best = 0;
  for (let j = 0; j < n; j++) best = Math.max(best, Math.abs(dotCols(vi, col(a.V, j))));
  overlap += best / (n - r);
}
const WV = gemm(W1, a.V);
let maxCos = 0;
const norms = Array.from({ length: n }, (_, j) => Math.hypot(...col(WV, j)));
for (let i = r; i < n; i++) {
  for (let j = i + 1; j < n; j++)
    maxCos = Math.max(maxCos, Math.abs(dotCols(col(WV, i), col(WV, j))) / (norms[i] * norms[j]));
}
console.log(
  `# default run, seed ${seed}, steps ${at} → ${at + 1} (${((performance.now() - t0) / 1000).toFixed(0)} s to get there)`,
);
console.log(
  `||W_t||_F ${frobeniusNorm(W0).toFixed(1)}, ||W_{t+1} − W_t||_F ${frobeniusNorm(subtract(W1, W0)).toExponential(2)}`,
);
console.log(
  `singular values: s_1..s_${r} ${Array.from(a.s.slice(0, r), (x) => x.toFixed(1)).join(' ')}; tail s_${r + 1} ${a.s[r].toExponential(2)} … s_${n} ${a.s[n - 1].toExponential(2)}`,
);
console.log(`tail vectors: mean best overlap with the previous step's vectors ${overlap.toFixed(3)}`);
console.log(`W_{t+1}·V_t: largest cosine between two tail columns ${maxCos.toFixed(3)}`);
