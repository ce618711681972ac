// SVD timings: `node --import tsx bench/svd.bench.ts [--quick]`.
// Cold: svd(A) from scratch. Warm: svdInto with warmStart on A_{t+1} = A_t + 1e-3·uniform(−1, 1), like a
// training step.
import { type Matrix, createSvdWorkspace, gemm, lastSweepCount, svd, svdInto, zeros } from '../src/linalg/index.ts';
import { mulberry32, uniformMatrix as randMatrix } from '../test/helpers/random.ts';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function benchCold(n: number, reps: number, rnd: () => number): void {
  const A = randMatrix(n, n, rnd);
  const times: number[] = [];
  let sweeps = 0;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    // = svd(A), keeping the workspace to read the sweep count.
    const ws = createSvdWorkspace(n, n);
    svdInto(A, ws);
    times.push(performance.now() - t0);
    sweeps = lastSweepCount(ws);
  }
  const ms = median(times).toFixed(1).padStart(8);
  console.log(`svd cold      ${n}×${n}: ${ms} ms/call (median of ${reps}, ${sweeps} sweeps)`);
}

/** A random n×n matrix, or (lowRank) a rank-5 product plus 1e-2 noise, like a matrix-completion iterate. */
function startMatrix(n: number, lowRank: boolean, rnd: () => number): Matrix {
  if (!lowRank) return randMatrix(n, n, rnd);
  const A = gemm(randMatrix(n, 5, rnd), randMatrix(5, n, rnd));
  for (let i = 0; i < A.data.length; i++) A.data[i] += 1e-2 * (2 * rnd() - 1);
  return A;
}

function benchWarm(n: number, steps: number, rnd: () => number, lowRank = false): void {
  let A = startMatrix(n, lowRank, rnd);
  const ws = createSvdWorkspace(n, n);
  svdInto(A, ws);
  const times: number[] = [];
  const sweeps: number[] = [];
  for (let t = 0; t < steps; t++) {
    const B = zeros(n, n);
    for (let i = 0; i < B.data.length; i++) B.data[i] = A.data[i] + 1e-3 * (2 * rnd() - 1);
    A = B;
    const t0 = performance.now();
    svdInto(A, ws, { warmStart: true });
    times.push(performance.now() - t0);
    sweeps.push(lastSweepCount(ws));
  }
  const meanSweeps = sweeps.reduce((a, b) => a + b, 0) / steps;
  console.log(
    `svdInto warm  ${n}×${n}${lowRank ? ' rank-5+noise' : ''}: ${median(times).toFixed(1).padStart(8)} ms/call ` +
      `(median of ${steps}, ${meanSweeps.toFixed(1)} sweeps avg)`,
  );
}

const quick = process.argv.includes('--quick');
const rnd = mulberry32(2024);
// JIT warm-up so the first measured call is not an interpreter run.
for (let i = 0; i < 5; i++) svd(randMatrix(60, 60, rnd));

benchCold(100, quick ? 5 : 20, rnd);
benchWarm(100, quick ? 10 : 50, rnd);
benchWarm(100, quick ? 10 : 50, rnd, true);
benchCold(300, quick ? 1 : 5, rnd);
benchWarm(300, quick ? 3 : 10, rnd);
if (!quick) benchCold(1000, 1, rnd);
