// The README's "Quick start 3" in the library: one synthetic experiment with runSynthetic. Run it with
// `node --import tsx examples/run-synthetic.ts`; it prints one JSON object. `mcomplete run` runs the default problem
// (n = 100, rank 5, 25,000 steps: about 40 s on the native backend, minutes in pure TypeScript, which this entry uses).
import { runSynthetic } from '../src/index.ts';

// The quick claims' problem (n = 30, rank 2, 270 entries seen); every omitted setting comes from the defaults table
const result = runSynthetic({ method: 'gradient', n: 30, rank: 2, samples: 270, lambda: 1e-3, lr: 3e-3, maxIters: 12000, seed: 1 });
result.relError;                                                // ||W − W*||_F / ||W*||_F

console.log(
  JSON.stringify({
    relError: result.relError,
    iterations: result.iterations,
    stopReason: result.stopReason,
    optimizer: result.settings.optimizer,
    seconds: result.seconds,
  }),
);
