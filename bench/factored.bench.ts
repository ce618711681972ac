// The factored model W = A·B^T at n = 2000 (rank 10, m = 5% of the entries = 200,000, k = 20; docs/design/math.md 3.3):
// milliseconds per adam + L*/F training step (target <= 50 ms), where they go, peak RSS, and RSS after 100 vs 1000
// steps (no per-step allocation: no growth). Runs alone: node --expose-gc --import tsx bench/factored.bench.ts [n] [steps]
import { syntheticFactors } from '../src/data/synthetic.ts';
import { zeros } from '../src/linalg/matrix.ts';
import { initFactoredModel } from '../src/model/factored.ts';
import { createFactoredWorkspace, factoredPenalties } from '../src/penalty/factored.ts';
import { startTrainFactored, factoredDataTerm } from '../src/solver/factored-train.ts';
import { deriveRng } from '../src/random/index.ts';
import { chain, scale, scaleByAdam } from '../src/optim/index.ts';
import { getBackend, setBackend, tsBackend } from '../src/linalg/backend.ts';
import { chooseBackend } from '../src/linalg/native.ts';

// The backend the CLI would use (MCOMPLETE_BACKEND=ts|native forces one).
setBackend(chooseBackend());

const n = Number(process.argv[2] ?? 2000);
const steps = Math.max(200, Number(process.argv[3] ?? 1000));
const rank = 10;
const k = 20;
const samples = Math.round(0.05 * n * n);
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const gc = (globalThis as { gc?: () => void }).gc;
const rss = (): number => {
  gc?.();
  return process.memoryUsage().rss;
};

let t0 = performance.now();
const problem = syntheticFactors({ n, rank, samples, seed: 0 });
console.log(
  `factored model: n=${n}, rank ${rank}, m=${samples} (${(100 * samples) / (n * n)}%), k=${k}, adam + L*/F, backend ${getBackend().name}`,
);
console.log(`  problem in factor form: ${(performance.now() - t0).toFixed(0)} ms`);

const trainer = startTrainFactored(problem.observations, {
  rank: k,
  penalty: 'ratio',
  lambda: 1e-4,
  optimizer: chain(scaleByAdam(), scale(-1e-3)),
  initScale: 1e-3 / Math.sqrt(n),
  seed: 0,
  maxIters: steps,
  mseTol: 0,
});
trainer.advance(100);
const rss100 = rss();
t0 = performance.now();
const cpu0 = process.cpuUsage();
trainer.advance(steps - 100);
const perStep = (performance.now() - t0) / (steps - 100);
const cpu = process.cpuUsage(cpu0);
const cpuPerStep = (cpu.user + cpu.system) / 1000 / (steps - 100);
const rssEnd = rss();
const r = trainer.result();
console.log(
  `  one step (data term + penalty + adam): ${perStep.toFixed(1)} ms wall, ${cpuPerStep.toFixed(1)} ms CPU ` +
    `(target <= 50 ms; mean of steps 101..${steps}; wall > CPU when other processes share the cores)`,
);

// Where a step goes: the sparse data term and the exact penalty, timed apart on a fresh model.
const model = initFactoredModel(n, n, k, 1e-3 / Math.sqrt(n), deriveRng(0, 'init'));
const gA = zeros(n, k);
const gB = zeros(n, k);
const ws = createFactoredWorkspace(n, n, k);
const reps = 50;
const timeDataTerm = (backend = getBackend()): number => {
  const start = performance.now();
  for (let i = 0; i < reps; i++)
    factoredDataTerm(model.A, model.B, problem.observations, { gradA: gA, gradB: gB, backend });
  return (performance.now() - start) / reps;
};
const tData = timeDataTerm();
const tDataTs = getBackend() === tsBackend ? tData : timeDataTerm(tsBackend);
const timePenalty = (w = ws): number => {
  const start = performance.now();
  for (let i = 0; i < reps; i++) factoredPenalties({ ratio: 1e-4 }, model.A, model.B, w, { gradA: gA, gradB: gB });
  return (performance.now() - start) / reps;
};
const tPen = timePenalty();
const tPenTs = getBackend() === tsBackend ? tPen : timePenalty(createFactoredWorkspace(n, n, k, tsBackend));
// The penalty's two n×k Householder QRs alone: dgeqrf against the TypeScript loop, on a copy of B each time.
const timeQr = (backend = getBackend()): number => {
  const W = new Float64Array(n * k);
  const tau = new Float64Array(k);
  const start = performance.now();
  for (let i = 0; i < reps; i++) {
    for (let r = 0; r < n; r++) for (let c = 0; c < k; c++) W[c * n + r] = model.B.data[r * k + c];
    backend.householderQr(W, k, n, tau);
  }
  return (performance.now() - start) / reps;
};
const [tQr, tQrTs] = [timeQr(), timeQr(tsBackend)];
console.log(
  `    data term on Ω (value + both gradients): ${tData.toFixed(1)} ms (${tDataTs.toFixed(1)} ms with the ts backend); ` +
    `L*/F from QRs + k×k SVD: ${tPen.toFixed(1)} ms (${tPenTs.toFixed(1)} ms with the ts backend, ${(tPenTs / tPen).toFixed(2)}×); ` +
    `one ${n}×${k} QR: ${tQr.toFixed(2)} ms (${tQrTs.toFixed(2)} ms with the ts loop, ${(tQrTs / tQr).toFixed(2)}×)`,
);

console.log(
  `  RSS after 100 steps ${mib(rss100)}, after ${steps} steps ${mib(rssEnd)} (growth ${mib(rssEnd - rss100)})` +
    `${gc ? '' : ' [run with --expose-gc for steadier figures]'}`,
);
console.log(`  peak RSS ${mib(process.resourceUsage().maxRSS * 1024)}`);
console.log(`  after ${r.iterations} steps: train MSE ${r.trainMSE.toExponential(2)}`);
