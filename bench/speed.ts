// Speed of the headline method against a numpy reference, in one invocation (docs/design/architecture.md section 5):
//  1. one depth-1 adam + L∗/F training step at n = 100, 300, 1000 (m = 0.2·n², seed 0): ms/step with the
//     pure-TypeScript backend, the native backend (OpenBLAS + LAPACKE) and bench/reference_step.py (numpy, same
//     problem, data, mask and initialization, same OpenBLAS thread count), the ratio ours/numpy, and peak RSS of
//     each (every case runs in its own process);
//  2. memory growth: RSS and V8 heap after 100 and after 1000 steps (native at n = 100, ts at n = 30);
//  3. the full default `mcomplete run` (n = 100, m = 2000, 25,000 steps, seed 0): wall time, relError, peak RSS;
//     the same run with --stop-at-error 0.01 (the time to reach relError <= 0.01); and, for each, the time its SVDs
//     and gemms took (timed around every backend call in bench/run-default.ts): the floor of any step that takes
//     one SVD with this backend; then the same 25,000 steps in numpy (bench/reference_step.py, relError after every
//     step) and the ratios ours/numpy for the whole run and to relError <= 0.01.
// Each step figure is the median over rounds; cases of ours and numpy alternate so that load drifts hit both.
// Usage: node --import tsx bench/speed.ts [--skip-default-run] [--skip-ts-1000] [--sizes 100,300,1000]
// (MCOMPLETE_BENCH_QUICK=1 skips the default run and the slow TypeScript case at n = 1000.)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { loadNativeBackend, nativeThreads, NATIVE_HOW_TO } from '../src/linalg/native.ts';

const { values } = parseArgs({
  options: {
    'skip-default-run': { type: 'boolean', default: false },
    'skip-ts-1000': { type: 'boolean', default: false },
    sizes: { type: 'string', default: '100,300,1000' },
  },
});
const quick = process.env.MCOMPLETE_BENCH_QUICK === '1';
const skipDefault = values['skip-default-run'] || quick;
const skipTs1000 = values['skip-ts-1000'] || quick;
const sizes = values.sizes.split(',').map(Number);
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const tmp = mkdtempSync(path.join(tmpdir(), 'mcomplete-bench-'));

const native = loadNativeBackend();
// Both sides get the same OpenBLAS thread count: the user's OPENBLAS_NUM_THREADS, else the native backend's 1.
const threads = process.env.OPENBLAS_NUM_THREADS ?? String(nativeThreads() ?? 1);
const env = { ...process.env, OPENBLAS_NUM_THREADS: threads };

interface CaseResult {
  msPerStep: number[];
  maxRssKB: number;
  rssAfter100KB: number | null;
  rssAfter1000KB: number | null;
  heapAfter100KB?: number | null;
  heapAfter1000KB?: number | null;
  normW: number;
  steps: number;
  numpy?: string;
}

function runJson(cmd: string, args: string[]): CaseResult {
  const r = spawnSync(cmd, args, { cwd: root, env, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as CaseResult;
}

const nodeCase = (
  backend: string,
  n: number,
  steps: number,
  rounds: number,
  warmup: number,
  file?: string,
): CaseResult =>
  runJson(process.execPath, [
    '--import',
    'tsx',
    'bench/step-case.ts',
    backend,
    String(n),
    String(steps),
    String(rounds),
    String(warmup),
    ...(file ? [file] : []),
  ]);

const python = spawnSync('python3', ['-c', 'import numpy; print(numpy.__version__)'], { encoding: 'utf8' });
const havePython = python.status === 0;
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mb = (kb: number | null | undefined): string => (kb == null ? '–' : `${(kb / 1024).toFixed(0)} MB`);

console.log(
  `# mcomplete speed bench (node ${process.version}, OpenBLAS threads ${threads}, ${new Date().toISOString()})`,
);
if (!native.backend) console.log(`note: native backend unavailable (${native.reason}); to get it, ${NATIVE_HOW_TO}.`);
if (!havePython) console.log('note: python3 with numpy not found: the numpy reference columns are skipped.');
else console.log(`numpy ${python.stdout.trim()} reference: bench/reference_step.py (same problem and initialization)`);

// Steps per round and rounds, by size: about a second per round for the native backend and numpy.
const plan: Record<number, { steps: number; rounds: number; warmup: number; tsSteps: number; tsRounds: number }> = {
  100: { steps: 300, rounds: 5, warmup: 50, tsSteps: 40, tsRounds: 3 },
  300: { steps: 40, rounds: 5, warmup: 10, tsSteps: 3, tsRounds: 2 },
  1000: { steps: 3, rounds: 3, warmup: 2, tsSteps: 1, tsRounds: 2 },
};
console.log(
  '\n## one depth-1 adam + L*/F step (median ms/step over rounds, min–max in brackets; peak RSS of the process)',
);
console.log(
  '| n | ts ms/step | native ms/step | numpy ms/step | native/numpy | ts/numpy | RSS ts | RSS native | RSS numpy | ||W|| native vs numpy |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|');
const numpyMsAt = new Map<number, number>();
for (const n of sizes) {
  const p = plan[n] ?? { steps: 10, rounds: 3, warmup: 2, tsSteps: 2, tsRounds: 2 };
  const file = path.join(tmp, `problem-${n}.bin`);
  const nat: number[] = [];
  const ref: number[] = [];
  let natRes: CaseResult | null = null;
  let refRes: CaseResult | null = null;
  // Two alternations of (native, numpy), each with p.rounds rounds.
  for (let rep = 0; rep < 2; rep++) {
    if (native.backend) {
      natRes = nodeCase('native', n, p.steps, p.rounds, p.warmup, file);
      nat.push(...natRes.msPerStep);
    } else if (rep === 0) {
      // The problem file still has to be written for numpy.
      nodeCase('ts', n, 1, 1, 0, file);
    }
    if (havePython) {
      refRes = runJson('python3', [
        'bench/reference_step.py',
        file,
        String(p.steps),
        String(p.rounds),
        String(p.warmup),
      ]);
      ref.push(...refRes.msPerStep);
    }
  }
  let tsRes: CaseResult | null = null;
  if (!(n >= 1000 && skipTs1000)) tsRes = nodeCase('ts', n, p.tsSteps, p.tsRounds, 1);
  const tsMs = tsRes ? median(tsRes.msPerStep) : NaN;
  const natMs = nat.length ? median(nat) : NaN;
  const refMs = ref.length ? median(ref) : NaN;
  numpyMsAt.set(n, refMs);
  const f = (x: number): string => (Number.isNaN(x) ? '–' : x.toFixed(x < 10 ? 2 : 0));
  const ratio = (a: number, b: number): string => (Number.isNaN(a) || Number.isNaN(b) ? '–' : `${(a / b).toFixed(2)}×`);
  const agree = natRes && refRes ? (Math.abs(natRes.normW - refRes.normW) / refRes.normW).toExponential(1) : '–';
  const spread = (xs: number[]): string => (xs.length ? ` (${f(Math.min(...xs))}–${f(Math.max(...xs))})` : '');
  console.log(
    `| ${n} | ${tsRes ? f(tsMs) : 'skipped'} | ${f(natMs)}${spread(nat)} | ${f(refMs)}${spread(ref)} | ${ratio(natMs, refMs)} | ${ratio(tsMs, refMs)} | ` +
      `${mb(tsRes?.maxRssKB)} | ${mb(natRes?.maxRssKB)} | ${mb(refRes?.maxRssKB)} | ${agree} (after ${natRes?.steps ?? '–'} steps) |`,
  );
}
console.log('(native/numpy targets: ≤ 1.0× at n = 100, ≤ 1.5× at n = 1000)');

console.log('\n## memory across steps (RSS and V8 heap after step 100 and after step 1000)');
const growth: [string, number][] = native.backend
  ? [
      ['native', 100],
      ['ts', 30],
    ]
  : [['ts', 30]];
for (const [backend, n] of growth) {
  const r = nodeCase(backend, n, 1000, 1, 0);
  console.log(
    `${backend}, n = ${n}: RSS ${mb(r.rssAfter100KB)} → ${mb(r.rssAfter1000KB)}, heap ${mb(r.heapAfter100KB)} → ${mb(r.heapAfter1000KB)} ` +
      `(growth ${(r.rssAfter1000KB ?? 0) - (r.rssAfter100KB ?? 0)} KB RSS, ${(r.heapAfter1000KB ?? 0) - (r.heapAfter100KB ?? 0)} KB heap)`,
  );
}
if (havePython && native.backend) {
  const r = runJson('python3', ['bench/reference_step.py', path.join(tmp, 'problem-100.bin'), '1000', '1', '0']);
  console.log(`numpy, n = 100: RSS ${mb(r.rssAfter100KB)} → ${mb(r.rssAfter1000KB)}`);
}

console.log('\n## the default `mcomplete run` (n = 100, m = 2000, adam + L*/F, 25,000 steps, seed 0)');
if (skipDefault) {
  console.log('skipped (--skip-default-run or MCOMPLETE_BENCH_QUICK=1)');
} else {
  const FULL = 25000;
  const ours: { full?: number; target?: number } = {};
  for (const extra of [[], ['--stop-at-error', '0.01']]) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run-default.ts', ...extra], {
      cwd: root,
      env,
      encoding: 'utf8',
    });
    const wall = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`default run failed:\n${r.stderr}`);
    const out = JSON.parse(r.stdout) as {
      relError: number;
      seconds: number;
      iterations: number;
      stopReason: string;
      settings: { backend?: string };
    };
    const rss = JSON.parse(r.stderr.trim().split('\n').pop() ?? '{}') as {
      maxRssKB: number;
      kernelMs: { svd: number; gemm: number };
      calls: { svd: number; gemm: number };
    };
    if (extra.length) ours.target = wall;
    else ours.full = wall;
    const { svd, gemm } = rss.kernelMs;
    console.log(
      `${extra.length ? `mcomplete run ${extra.join(' ')}` : 'mcomplete run'} (backend ${out.settings.backend}): wall ${wall.toFixed(1)} s ` +
        `(training ${out.seconds.toFixed(1)} s, ${((out.seconds / out.iterations) * 1000).toFixed(2)} ms/step), relError ` +
        `${out.relError.toExponential(2)}, ${out.iterations} iterations (${out.stopReason}), peak RSS ${mb(rss.maxRssKB)}`,
    );
    console.log(
      `  of the training time: SVDs ${(svd / 1000).toFixed(1)} s (${rss.calls.svd} calls, ${(svd / rss.calls.svd).toFixed(2)} ms each), ` +
        `gemms ${(gemm / 1000).toFixed(1)} s, everything else ${(out.seconds - (svd + gemm) / 1000).toFixed(1)} s`,
    );
  }
  console.log('(target: the default run to relError ≤ 0.01 in ≤ 30 s)');
  if (havePython) {
    // The same 25,000 steps in numpy, on the same problem and initialization (bench/step-case.ts writes them, the
    // truth included), with relError after every step for the time to 0.01.
    const file = path.join(tmp, 'problem-100.bin');
    if (!existsSync(file)) nodeCase('ts', 100, 1, 1, 0, file);
    const t0 = performance.now();
    const ref = runJson('python3', ['bench/reference_step.py', file, String(FULL), '1', '0', '0.01']) as CaseResult & {
      relError: number;
      seconds: number;
      targetStep: number | null;
      targetSeconds: number | null;
    };
    const wall = (performance.now() - t0) / 1000;
    const ratio = (a: number | undefined, b: number | null): string =>
      a === undefined || b === null ? '–' : `${(a / b).toFixed(2)}×`;
    console.log(
      `numpy reference (bench/reference_step.py, same problem and initialization): wall ${wall.toFixed(1)} s ` +
        `(training ${ref.seconds.toFixed(1)} s), relError ${ref.relError.toExponential(2)} after ${FULL} steps, ` +
        `≤ 0.01 from step ${ref.targetStep ?? 'never'} (${ref.targetSeconds === null ? '–' : `${ref.targetSeconds.toFixed(1)} s`} in), peak RSS ${mb(ref.maxRssKB)}`,
    );
    console.log(
      `ours/numpy: the whole run ${ratio(ours.full, wall)} (wall), to relError ≤ 0.01 ${ratio(ours.target, ref.targetSeconds)} ` +
        "(our wall, process start included, against numpy's training seconds)",
    );
  }
}
rmSync(tmp, { recursive: true, force: true });
