// Speed of nuclear-norm minimization (ADMM) on the protocol problem, with a reference run in the same invocation:
// the same solver with cold-started SVDs; and the time of one cold SVD of the same size.
// Usage: node --import tsx bench/nuclear-min-speed.ts [--samples 2000] [--seed 0] [--n 100] [--rank 5]
import { parseArgs } from 'node:util';
import { syntheticProblem } from '../src/data/synthetic.ts';
import { nuclearMin } from '../src/solver/nuclear-min.ts';
import { createSvdWorkspace, svdInto } from '../src/linalg/svd.ts';
import { relativeError } from '../src/metrics/index.ts';
import { zeros } from '../src/linalg/matrix.ts';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '100' },
    rank: { type: 'string', default: '5' },
    samples: { type: 'string', default: '2000' },
    seed: { type: 'string', default: '0' },
    'rel-tol': { type: 'string', default: '1e-6' },
  },
});
const spec = {
  n: Number(values.n),
  rank: Number(values.rank),
  samples: Number(values.samples),
  seed: Number(values.seed),
};
const relTol = Number(values['rel-tol']);
const problem = syntheticProblem(spec);

// One SVD of P_Ω(M) (the first ADMM matrix), after a few calls to let the JIT settle.
const A = zeros(spec.n, spec.n);
for (let k = 0; k < problem.observations.values.length; k++) {
  A.data[problem.observations.rows[k] * spec.n + problem.observations.cols[k]] = problem.observations.values[k];
}
const ws = createSvdWorkspace(A.rows, A.cols);
for (let i = 0; i < 3; i++) svdInto(A, ws);
const reps = 10;
const t = performance.now();
for (let i = 0; i < reps; i++) svdInto(A, ws);
const coldSvd = (performance.now() - t) / 1000 / reps;

const rows: string[] = [];
const runs: Record<string, number> = {};
for (const warmStart of [true, false]) {
  const r = nuclearMin(problem.observations, { relTol, maxIters: 10000, warmStart });
  const label = warmStart ? 'ADMM, warm-started SVDs' : 'ADMM, cold SVDs (reference)';
  runs[label] = r.seconds;
  rows.push(
    `${label.padEnd(30)} ${r.seconds.toFixed(2).padStart(7)} s  ${String(r.iterations).padStart(5)} iterations  ` +
      `${((1000 * r.seconds) / r.iterations).toFixed(1).padStart(6)} ms/iteration  relError ${relativeError(r.X, problem.truth).toExponential(3)}  ` +
      `constraint residual ${r.constraintResidual.toExponential(1)}  (${r.stopReason})`,
  );
}
console.log(`nuclear-min, n=${spec.n} rank=${spec.rank} samples=${spec.samples} seed=${spec.seed}, rel-tol ${relTol}`);
for (const row of rows) console.log(row);
console.log(`one cold ${spec.n}×${spec.n} SVD of P_Ω(M): ${(1000 * coldSvd).toFixed(1)} ms`);
const [warm, cold] = Object.values(runs);
console.log(`speed-up of warm starts: ${(cold / warm).toFixed(2)}×`);
