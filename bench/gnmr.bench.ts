// GNMR told the rank, ours against a scipy reference with the same settings (bench/reference_gnmr.py: the authors'
// start, setting variant, LSQR from zero with atol = btol = 1e-15 and cap 2000, the best linearized estimate), on
// the very same problem, one after the other in this invocation; the ratios are ours over scipy's seconds, wall and
// CPU (the CPU ratio is the one to trust on a loaded machine, where wall time also counts other processes). Without
// python3 + scipy the reference column is skipped with a note. Ours runs on the backend the CLI uses
// (MCOMPLETE_BACKEND=ts|native, default native when the addon loads); both give the same bits, the native one faster.
// Usage: node --import tsx bench/gnmr.bench.ts [--n 1000] [--rank 5] [--rho 2] [--seeds 0] [--max-iters 100]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setBackend } from '../src/linalg/backend.ts';
import { chooseBackend } from '../src/linalg/native.ts';
import { syntheticFactors } from '../src/data/synthetic.ts';
import { gnmr } from '../src/solver/gnmr.ts';
import { factoredErrorsExact } from '../src/metrics/index.ts';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '1000' },
    rank: { type: 'string', default: '5' },
    rho: { type: 'string', default: '2' },
    seeds: { type: 'string', default: '0' },
    'max-iters': { type: 'string', default: '100' },
  },
});
const n = Number(values.n);
const rank = Number(values.rank);
const samples = Math.round(Number(values.rho) * rank * (2 * n - rank));
const maxIters = Number(values['max-iters']);
const backend = chooseBackend();
setBackend(backend);
console.log(
  `gnmr (setting) vs scipy, n=${n} rank=${rank} rho=${values.rho} (samples ${samples}), identifiable masks, backend ${backend.name}`,
);

/** Run the scipy reference on the problem in dir; null (with a note) when python3 or scipy is missing. */
function scipyGnmr(
  dir: string,
): { seconds: number; cpuSeconds: number; iterations: number; lsqrIterations: number; relError: number } | null {
  try {
    const out = execFileSync('python3', ['bench/reference_gnmr.py', dir, '1', String(maxIters), '1e-16', '2000'], {
      encoding: 'utf8',
      env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' },
    });
    return JSON.parse(out) as {
      seconds: number;
      cpuSeconds: number;
      iterations: number;
      lsqrIterations: number;
      relError: number;
    };
  } catch (e) {
    console.log(`  (scipy reference skipped: ${(e as Error).message.split('\n')[0]})`);
    return null;
  }
}

let ours = 0;
let theirs = 0;
let oursCpu = 0;
let theirsCpu = 0;
for (const seed of values.seeds.split(',').map(Number)) {
  const p = syntheticFactors({ n, rank, samples, seed, masks: 'identifiable' });
  const o = p.observations;
  const dir = mkdtempSync(join(tmpdir(), 'mcomplete-gnmr-bench-'));
  try {
    writeFileSync(join(dir, 'meta.json'), JSON.stringify({ n1: o.shape[0], n2: o.shape[1], r: rank }));
    writeFileSync(join(dir, 'rows.bin'), o.rows);
    writeFileSync(join(dir, 'cols.bin'), o.cols);
    writeFileSync(join(dir, 'vals.bin'), o.values);
    writeFileSync(join(dir, 'tu.bin'), p.U.data);
    writeFileSync(join(dir, 'tv.bin'), p.V.data);
    const cpu0 = process.cpuUsage();
    const g = gnmr(o, { rank, maxIters });
    const cpu = process.cpuUsage(cpu0);
    const gCpu = (cpu.user + cpu.system) / 1e6;
    const err = factoredErrorsExact(g.U, g.V, p.U, p.V, o).relError;
    const ref = scipyGnmr(dir);
    ours += g.seconds;
    theirs += ref?.seconds ?? NaN;
    oursCpu += gCpu;
    theirsCpu += ref?.cpuSeconds ?? NaN;
    console.log(
      `seed ${seed}: ours ${g.seconds.toFixed(1).padStart(6)} s (CPU ${gCpu.toFixed(1)} s), ${g.iterations} iterations, ${g.lsqrIterations} LSQR, relError ${err.toExponential(2)}` +
        (ref
          ? ` | scipy ${ref.seconds.toFixed(1).padStart(6)} s (CPU ${ref.cpuSeconds.toFixed(1)} s), ${ref.iterations} iterations, ${ref.lsqrIterations} LSQR, relError ${ref.relError.toExponential(2)}`
          : ''),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(
  `total seconds: ours ${ours.toFixed(1)}, scipy ${theirs.toFixed(1)}, ratio ours/scipy ${(ours / theirs).toFixed(2)}×; ` +
    `CPU: ours ${oursCpu.toFixed(1)}, scipy ${theirsCpu.toFixed(1)}, ratio ${(oursCpu / theirsCpu).toFixed(2)}×`,
);
