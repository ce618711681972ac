// The baselines table of the README: nuclear-norm minimization and soft-impute (best λ of its path, chosen against
// the truth: an oracle, fair only as a best case on synthetic data) on the protocol of docs/design/protocols.md section 4.
// Usage: nice -n 15 node --import tsx bench/baselines.ts [--samples 1000,2000] [--seeds 0,1,2]
//          [--nm-rel-tol 1e-6,1e-8] [--methods nuclear-min,soft-impute] [--jsonl results/baselines.jsonl]
//          [--gradient results/adam-ratio.jsonl]   (RunResult lines of gradient runs, for a side-by-side column)
// Progress goes to stderr, the markdown table to stdout.
import { parseArgs } from 'node:util';
import { appendFileSync, readFileSync } from 'node:fs';
import { DEFAULT_NUCLEAR_MIN, runNuclearMin } from '../src/methods/nuclear-min.ts';
import { DEFAULT_SOFT_IMPUTE, runSoftImpute } from '../src/methods/soft-impute.ts';
import type { RunResult } from '../src/methods/run.ts';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '100' },
    rank: { type: 'string', default: '5' },
    samples: { type: 'string', default: '1000,1500,2000,2500,3000,4000,5000' },
    seeds: { type: 'string', default: '0,1,2' },
    methods: { type: 'string', default: 'nuclear-min,soft-impute' },
    'nm-rel-tol': { type: 'string', default: String(DEFAULT_NUCLEAR_MIN.relTol) },
    'nm-max-iters': { type: 'string', default: '20000' },
    jsonl: { type: 'string' },
    gradient: { type: 'string' },
  },
});
const list = (s: string): number[] => s.split(',').map(Number);
const n = Number(values.n);
const rank = Number(values.rank);
const samplesList = list(values.samples);
const seeds = list(values.seeds);
const methods = values.methods.split(',');
const nmTols = list(values['nm-rel-tol']);
const nmMaxIters = Number(values['nm-max-iters']);

const record = (r: object): void => {
  if (values.jsonl) appendFileSync(values.jsonl, `${JSON.stringify(r)}\n`);
};
const fmt = (x: number): string => x.toExponential(1);
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

// Gradient results supplied by another run, keyed by samples and seed.
const gradient = new Map<string, RunResult>();
if (values.gradient) {
  for (const line of readFileSync(values.gradient, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as RunResult;
    if (r.settings.n === n && r.settings.rank === rank) gradient.set(`${r.settings.samples}/${r.settings.seed}`, r);
  }
}

const header = ['m'];
for (const tol of nmTols)
  if (methods.includes('nuclear-min')) header.push(`nuclear-min (rel-tol ${tol}): relError`, 'iterations, s');
if (methods.includes('soft-impute')) header.push('soft-impute, oracle λ: relError', 'λ/λ_max', 'iterations, s');
if (values.gradient) header.push('adam + L∗/F (from --gradient): relError');
const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];

for (const samples of samplesList) {
  const cells = [String(samples)];
  for (const relTol of nmTols) {
    if (!methods.includes('nuclear-min')) continue;
    const rs = seeds.map((seed) => {
      const r = runNuclearMin({ n, rank, samples, seed, ...DEFAULT_NUCLEAR_MIN, relTol, maxIters: nmMaxIters });
      record(r);
      process.stderr.write(
        `nuclear-min m=${samples} seed=${seed} rel-tol=${relTol}: relError ${r.relError.toExponential(3)}, ` +
          `${r.iterations} iterations (${r.stopReason}), ${r.seconds.toFixed(1)} s, rank ${r.rank}\n`,
      );
      return r;
    });
    cells.push(rs.map((r) => fmt(r.relError)).join(' / '));
    cells.push(`${Math.round(mean(rs.map((r) => r.iterations)))}, ${mean(rs.map((r) => r.seconds)).toFixed(1)}`);
  }
  if (methods.includes('soft-impute')) {
    const rs = seeds.map((seed) => {
      const r = runSoftImpute({ n, rank, samples, seed, ...DEFAULT_SOFT_IMPUTE });
      record(r);
      process.stderr.write(
        `soft-impute m=${samples} seed=${seed}: relError ${r.relError.toExponential(3)} at λ ${r.lambda.toExponential(2)} ` +
          `(λ_max ${r.lambdaMax.toExponential(2)}), ${r.iterations} iterations (${r.stopReason}), ${r.seconds.toFixed(1)} s\n`,
      );
      return r;
    });
    cells.push(rs.map((r) => fmt(r.relError)).join(' / '));
    cells.push(rs.map((r) => fmt(r.lambda / r.lambdaMax)).join(' / '));
    cells.push(`${Math.round(mean(rs.map((r) => r.iterations)))}, ${mean(rs.map((r) => r.seconds)).toFixed(1)}`);
  }
  if (values.gradient)
    cells.push(
      seeds
        .map((seed) => gradient.get(`${samples}/${seed}`)?.relError)
        .map((x) => (x === undefined ? '—' : fmt(x)))
        .join(' / '),
    );
  lines.push(`| ${cells.join(' | ')} |`);
}
console.log(`n=${n}, rank ${rank}, seeds ${seeds.join(', ')} (cells list the seeds in that order; times are means)`);
console.log(lines.join('\n'));
