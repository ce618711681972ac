// Phase transitions (`mcomplete phase`): methods × ρ × seeds on the synthetic problem with identifiable masks, where
// ρ = m / (r(2n − r)) is the number of observed entries over the information limit, as a built-in sweep on the
// sweep machinery (results file, worker pool, resume); then per method and ρ the success rate (relError ≤ a
// threshold), the median relError and seconds per run, and each method's smallest ρ with ≥ 90% success.
import { defaultTol, FACTORED_RANK, RUN_DEFAULTS, UNPENALIZED_MAX_ITERS } from '../defaults.ts';
import type { RunRecord } from '../sweep/execute.ts';
import type { MethodSpec, SweepSpec } from '../sweep/spec.ts';
import { samplesForRho } from '../data/synthetic.ts';

/** The ρ grid of the full phase sweep. */
export const PHASE_RHOS = Object.freeze([1.1, 1.2, 1.3, 1.4, 1.5, 1.75, 2, 2.5, 3, 4, 5]);

/** Success: relError at most this (a flag of `mcomplete phase`). */
export const PHASE_SUCCESS = 1e-6;

/** The methods a phase sweep can run, by label; settings explicit so that defaults moving do not move the runs. */
export function phaseMethods(opts: {
  lr: number;
  lambda: number;
  iters: number;
}): Record<string, Omit<MethodSpec, 'name'>> {
  const ratio = {
    method: 'gradient',
    depth: 1,
    penalty: 'ratio',
    lambda: opts.lambda,
    optimizer: 'adam',
    lr: opts.lr,
    initScale: RUN_DEFAULTS.initScale,
    maxIters: opts.iters,
    tol: defaultTol('ratio'),
  } as const;
  return {
    gnmr: { method: 'gnmr' },
    altmin: { method: 'altmin' },
    'scaled-gd': { method: 'scaled-gd' },
    'adam-ratio-polish': { ...ratio, polish: true },
    'adam-ratio': ratio,
    'nuclear-min': { method: 'nuclear-min' },
    'soft-impute': { method: 'soft-impute' },
    dmf3: {
      method: 'gradient',
      depth: 3,
      penalty: 'none',
      lambda: 0,
      optimizer: 'group-rmsprop',
      lr: 1e-3,
      initScale: RUN_DEFAULTS.initScale,
      maxIters: UNPENALIZED_MAX_ITERS,
      tol: defaultTol('none'),
    },
    r2rils: { method: 'r2rils' },
    'matrix-irls': { method: 'matrix-irls' },
    'spectral-polish': { method: 'spectral-polish' },
    'factored-ratio-polish': { ...ratio, model: 'factored', k: FACTORED_RANK, polish: true },
  };
}

/**
 * The published medians of the field's benchmark at κ = 10 (n = 1000, r = 5, 100 instances per ρ): Kümmerle & Verdun,
 * ICML 2021, Figure 1, the data of experiments/results/experiment_MCalgos_ICML2021_Fig1_samplesvsmedian_kappa10.tex
 * in ckuemmerle/MatrixIRLS, as [ρ, median relative Frobenius error], ρ ≤ 3. Drawn beside ours in the phase report.
 */
export const PUBLISHED_KAPPA10_MEDIANS: Readonly<
  Record<'MatrixIRLS' | 'R2RILS', readonly (readonly [number, number])[]>
> = Object.freeze({
  MatrixIRLS: [
    [1.05, 0.854],
    [1.1, 0.749],
    [1.2, 0.495],
    [1.3, 0.307],
    [1.4, 0.0711],
    [1.5, 5.23e-13],
    [1.6, 1.69e-13],
    [1.7, 7.03e-14],
    [1.8, 5.23e-14],
    [1.9, 3.12e-14],
    [2, 2.26e-14],
    [2.1, 1.84e-14],
    [2.2, 1.2e-14],
    [2.3, 9.66e-15],
    [2.4, 8.33e-15],
    [2.5, 5.87e-15],
    [2.6, 7.06e-15],
    [2.7, 6.14e-15],
    [2.8, 5.16e-15],
    [2.9, 5.24e-15],
    [3, 4.59e-15],
  ],
  R2RILS: [
    [1.05, 2.26],
    [1.1, 2.5],
    [1.2, 2.43],
    [1.3, 2.03],
    [1.4, 1.22],
    [1.5, 1.24e-6],
    [1.6, 5.21e-9],
    [1.7, 2.41e-11],
    [1.8, 7.36e-14],
    [1.9, 1.15e-14],
    [2, 1.15e-14],
    [2.1, 1.01e-14],
    [2.2, 7.34e-15],
    [2.3, 7.96e-15],
    [2.4, 7.79e-15],
    [2.5, 1e-14],
    [2.6, 1.35e-14],
    [2.7, 1.31e-14],
    [2.8, 1.35e-14],
    [2.9, 9.23e-15],
    [3, 1.77e-14],
  ],
});

/** A phase grid: problem size, ρ values, seeds and method labels (keys of phaseMethods). */
export interface PhaseGrid {
  name: string;
  n: number;
  rank: number;
  rhos: readonly number[];
  seeds: readonly number[];
  methods: readonly string[];
  /** Condition numbers of the truth (the field's generator), one sweep each; absent: Gaussian factors, one sweep. */
  kappas?: readonly number[];
  /** The mask rule (default identifiable). */
  masks?: 'identifiable' | 'field';
  /** Adam's settings for the gradient methods. */
  lr: number;
  lambda: number;
  iters: number;
}

/**
 * The built-in grids: n = 100, r = 5 (the full ρ grid, 10 seeds), n = 300, r = 10 (reduced), n = 1000, r = 5, κ ∈ {1, 10}
 * (the field's benchmark), and --quick.
 */
export const PHASE_GRIDS: Readonly<Record<'n100' | 'n300' | 'n1000' | 'quick', PhaseGrid>> = Object.freeze({
  n100: {
    name: 'phase-n100-r5',
    n: 100,
    rank: 5,
    rhos: PHASE_RHOS,
    seeds: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    methods: ['gnmr', 'altmin', 'scaled-gd', 'adam-ratio-polish', 'adam-ratio', 'nuclear-min', 'soft-impute', 'dmf3'],
    lr: RUN_DEFAULTS.lr,
    lambda: RUN_DEFAULTS.lambda,
    iters: RUN_DEFAULTS.maxIters,
  },
  n300: {
    name: 'phase-n300-r10',
    n: 300,
    rank: 10,
    rhos: [1.5, 2, 3],
    seeds: [0, 1, 2],
    methods: ['gnmr', 'altmin', 'adam-ratio-polish'],
    lr: RUN_DEFAULTS.lr,
    lambda: RUN_DEFAULTS.lambda,
    iters: RUN_DEFAULTS.maxIters,
  },
  // The field's benchmark (Kümmerle & Verdun 2021, Figure 1): 1000 × 1000, r = 5, κ ∈ {1, 10}.
  n1000: {
    name: 'phase-n1000-r5',
    n: 1000,
    rank: 5,
    rhos: [1.1, 1.2, 1.3, 1.4, 1.5, 1.75, 2, 3],
    seeds: [0, 1, 2, 3, 4],
    kappas: [1, 10],
    masks: 'field',
    methods: ['gnmr', 'r2rils', 'matrix-irls', 'scaled-gd', 'altmin', 'spectral-polish', 'factored-ratio-polish'],
    lr: RUN_DEFAULTS.lr,
    lambda: RUN_DEFAULTS.lambda,
    iters: RUN_DEFAULTS.maxIters,
  },
  // Seconds on 2 cores: n = 30, r = 2 (the quick claims' size and Adam settings).
  quick: {
    name: 'phase-quick',
    n: 30,
    rank: 2,
    rhos: [1.5, 2, 3],
    seeds: [0, 1],
    methods: ['gnmr', 'altmin', 'adam-ratio-polish'],
    lr: 3e-3,
    lambda: 1e-3,
    iters: 12000,
  },
});

/** m = round(ρ·r(2n − r)): samplesForRho of the square n×n problem. */
export function samplesFor(rho: number, n: number, rank: number): number {
  return samplesForRho(rho, n, n, rank);
}

/** The sweeps of a grid: one per κ of grid.kappas (named NAME-kappaK), or the one sweep of phaseSweep. */
export function phaseSweeps(grid: PhaseGrid): { kappa?: number; spec: SweepSpec }[] {
  if (!grid.kappas) return [{ spec: phaseSweep(grid) }];
  return grid.kappas.map((kappa) => ({
    kappa,
    spec: { ...phaseSweep(grid), name: `${grid.name}-kappa${kappa}`, kappa },
  }));
}

/** The label of a record in the phase table: its method, with κ when the truth had one ("gnmr κ=10"). */
export function phaseLabel(r: Pick<RunRecord, 'name' | 'settings'>): string {
  const kappa = (r.settings as { kappa?: number }).kappa;
  return kappa === undefined ? r.name : `${r.name} κ=${kappa}`;
}

/** The sweep of a grid: every method at every m of the ρ grid and seed, on identifiable masks. */
export function phaseSweep(grid: PhaseGrid): SweepSpec {
  const table = phaseMethods(grid);
  const methods = grid.methods.map((label) => {
    const m = table[label];
    if (!m)
      throw new RangeError(`phase: unknown method ${JSON.stringify(label)} (known: ${Object.keys(table).join(', ')})`);
    return { name: label, ...m } as MethodSpec;
  });
  // Two ρ giving one sample count are kept as two entries, which the sweep's validation refuses (a run twice).
  const samples = grid.rhos.map((rho) => samplesFor(rho, grid.n, grid.rank));
  return {
    name: grid.name,
    n: grid.n,
    rank: grid.rank,
    samples,
    seeds: [...grid.seeds],
    methods,
    recordSpectrumEvery: 0,
    masks: grid.masks ?? 'identifiable',
  };
}

/** One cell of the phase table: a method at one ρ. */
export interface PhaseCell {
  method: string;
  rho: number;
  samples: number;
  runs: number;
  successes: number;
  successRate: number;
  medianRelError: number;
  medianSeconds: number;
}

/** ρ of a record, to 3 decimals. */
export function rhoOf(r: Pick<RunRecord, 'samples' | 'n' | 'rank'>): number {
  return Math.round((1000 * r.samples) / (r.rank * (2 * r.n - r.rank))) / 1000;
}

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const k = s.length >> 1;
  return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2;
}

/** The phase table of records: per method (in order of appearance) and ρ; a failed run (no metrics) is a failure. */
export function phaseTable(records: readonly RunRecord[], success = PHASE_SUCCESS): PhaseCell[] {
  const methods = [...new Set(records.map(phaseLabel))];
  const cells: PhaseCell[] = [];
  for (const method of methods) {
    const mine = records.filter((r) => phaseLabel(r) === method);
    for (const samples of [...new Set(mine.map((r) => r.samples))].sort((a, b) => a - b)) {
      const here = mine.filter((r) => r.samples === samples);
      const errors = here.map((r) => r.metrics?.relError ?? Infinity);
      const successes = errors.filter((e) => e <= success).length;
      cells.push({
        method,
        rho: rhoOf(here[0]),
        samples,
        runs: here.length,
        successes,
        successRate: successes / here.length,
        medianRelError: median(errors),
        medianSeconds: median(here.map((r) => r.metrics?.seconds ?? NaN).filter(Number.isFinite)),
      });
    }
  }
  return cells;
}

/** Each method's smallest ρ with at least `rate` success (null: none in the grid). */
export function phaseThresholds(cells: readonly PhaseCell[], rate = 0.9): { method: string; rho: number | null }[] {
  const methods = [...new Set(cells.map((c) => c.method))];
  return methods.map((method) => ({
    method,
    rho: cells.find((c) => c.method === method && c.successRate >= rate)?.rho ?? null,
  }));
}

/** The phase table as plain text (one line per method and ρ, then the thresholds). */
export function formatPhase(cells: readonly PhaseCell[], success = PHASE_SUCCESS): string {
  const lines = [
    `${'method'.padEnd(20)} ${'ρ'.padStart(5)} ${'m'.padStart(6)}  success (relError ≤ ${success})  median relError  median s/run`,
  ];
  for (const c of cells) {
    lines.push(
      `${c.method.padEnd(20)} ${c.rho.toFixed(2).padStart(5)} ${String(c.samples).padStart(6)}  ${`${c.successes}/${c.runs}`.padStart(6)} (${(100 * c.successRate).toFixed(0).padStart(3)}%)` +
        `           ${c.medianRelError.toExponential(2).padStart(9)}  ${c.medianSeconds.toFixed(2).padStart(9)}`,
    );
  }
  lines.push('', 'smallest ρ with ≥ 90% success:');
  for (const t of phaseThresholds(cells))
    lines.push(`  ${t.method.padEnd(20)} ${t.rho === null ? 'none in the grid' : t.rho.toFixed(2)}`);
  return `${lines.join('\n')}\n`;
}
