// One timing case of bench/speed.ts, in its own process so that its peak RSS is its own: depth-1 adam + L∗/F
// training steps through startTrain (the real hot path) on the given backend. Also writes the problem and the
// initial W for the numpy reference when asked (so both sides train on the same numbers).
// Usage: node --import tsx bench/step-case.ts BACKEND N STEPS ROUNDS WARMUP [PROBLEM_FILE]
// Prints one JSON line: ms per step of each round, peak RSS, RSS/heap after 100 and 1000 steps, ||W||_F at the end.
import { writeFileSync } from 'node:fs';
import { syntheticProblem } from '../src/data/synthetic.ts';
import { linearIndices } from '../src/data/observations.ts';
import { initDeepModel } from '../src/model/deep.ts';
import { deriveRng } from '../src/random/index.ts';
import { startTrain, type TrainOptions } from '../src/solver/train.ts';
import { chain, scale, scaleByAdam } from '../src/optim/index.ts';
import { chooseBackend } from '../src/linalg/native.ts';
import { frobeniusNorm } from '../src/linalg/matrix.ts';

const [backendName, nArg, stepsArg, roundsArg, warmupArg, problemFile] = process.argv.slice(2);
const n = Number(nArg);
const steps = Number(stepsArg);
const rounds = Number(roundsArg);
const warmup = Number(warmupArg);
const backend = chooseBackend(backendName);
const lambda = 1e-4;
const lr = 1e-3;
// n = 100 is the protocol problem (m = 2000 = 0.2·n²); larger n keep the same fraction observed.
const problem = syntheticProblem({ n, rank: 5, samples: Math.round(0.2 * n * n), seed: 0 });
const opts: TrainOptions = {
  depth: 1,
  penalty: 'ratio',
  lambda,
  optimizer: chain(scaleByAdam(), scale(-lr)),
  initScale: 1e-3,
  seed: 0,
  maxIters: 1e9,
  mseTol: 0,
  backend,
};

if (problemFile) {
  // int32 n, count; float64 lambda, lr; int32 idx[count]; float64 values[count]; float64 W0[n·n] (the trainer's init);
  // float64 truth[n·n] (W*, for the reference's relError).
  const idx = linearIndices(problem.observations);
  const W0 = initDeepModel(n, n, 1, opts.initScale, deriveRng(opts.seed, 'init')).layers[0];
  const count = idx.length;
  const head = new Int32Array([n, count]);
  const hyper = new Float64Array([lambda, lr]);
  writeFileSync(
    problemFile,
    Buffer.concat([
      Buffer.from(head.buffer),
      Buffer.from(hyper.buffer),
      Buffer.from(Int32Array.from(idx).buffer),
      Buffer.from(Float64Array.from(problem.observations.values).buffer),
      Buffer.from(W0.data.buffer),
      Buffer.from(problem.truth.data.buffer),
    ]),
  );
}

const marks: Record<number, { rss: number; heap: number }> = {};
const trainer = startTrain(problem.observations, opts);
let done = 0;
const advance = (k: number): void => {
  // Steps in chunks that stop at 100 and 1000 to read memory there.
  while (k > 0) {
    const next = [100, 1000].find((m) => m > done && m <= done + k);
    const chunk = next === undefined ? k : next - done;
    trainer.advance(chunk);
    done += chunk;
    k -= chunk;
    if (next !== undefined) {
      const mu = process.memoryUsage();
      marks[next] = { rss: Math.round(mu.rss / 1024), heap: Math.round(mu.heapUsed / 1024) };
    }
  }
};
advance(warmup);
const msPerStep: number[] = [];
for (let r = 0; r < rounds; r++) {
  const t0 = performance.now();
  advance(steps);
  msPerStep.push((performance.now() - t0) / steps);
}
console.log(
  JSON.stringify({
    backend: backend.name,
    msPerStep,
    maxRssKB: process.resourceUsage().maxRSS,
    rssAfter100KB: marks[100]?.rss ?? null,
    rssAfter1000KB: marks[1000]?.rss ?? null,
    heapAfter100KB: marks[100]?.heap ?? null,
    heapAfter1000KB: marks[1000]?.heap ?? null,
    normW: frobeniusNorm(trainer.result().W),
    steps: done,
  }),
);
