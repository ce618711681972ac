// The optimizer atlas: which normalization makes L*/F recover. A built-in sweep of optimizer × penalty
// × depth on one problem, each cell's learning rate chosen by the same rule for every optimizer, from runs on a
// separate tuning seed and never by the error against the truth: the rate of LR_GRID whose tuning run ends with the
// least training objective ('objective', the first rule), or, trained on Ω minus a held-out tenth, the least RMSE
// on the held-out observed entries ('holdout'). Two sweeps, two results files: the tuning runs (seed tuneSeed), then
// the atlas runs at the chosen rates (seeds 0–2). Both resume; the sweep names carry the rule, so a resume with the
// other rule is refused.
import { OPTIMIZER_NAMES, type OptimizerName } from '../optim/index.ts';
import type { PenaltyName } from '../penalty/index.ts';
import type { RunRecord } from '../sweep/execute.ts';
import type { RunMetrics } from '../methods/method.ts';
import { meanStd } from './claims.ts';
import type { MethodSpec, SweepSpec } from '../sweep/spec.ts';

/** The atlas's penalties: the normalized ones (L∗/F, nuclear over spectral, effective rank), the nuclear norm, none. */
export const ATLAS_PENALTIES: readonly PenaltyName[] = Object.freeze([
  'ratio',
  'nuclear',
  'none',
  'nuclear-spectral',
  'effective-rank',
] as const);

/** The learning-rate grid every cell chooses from: the decades 1e-4 … 1e2. */
export const LR_GRID: readonly number[] = Object.freeze([1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100]);

/**
 * How a cell's learning rate is chosen from its tuning runs: 'objective', the least final training objective (data
 * term + λ·penalty); 'holdout', the least RMSE on held-out observed entries of runs trained on the rest of Ω.
 */
export type LrRule = 'objective' | 'holdout';

/** The learning-rate rules, for the CLI. */
export const LR_RULES: readonly LrRule[] = Object.freeze(['objective', 'holdout'] as const);

/** Everything that fixes an atlas: the problem, the grid of cells, the budgets and the learning-rate rule. */
export interface AtlasProtocol {
  /** The base of the sweep names (see atlasSweepName). */
  name: string;
  n: number;
  rank: number;
  samples: number;
  seeds: number[];
  /** The seed of the tuning runs (its own data, sampling and initialization). */
  tuneSeed: number;
  optimizers: OptimizerName[];
  penalties: PenaltyName[];
  depths: number[];
  lrGrid: number[];
  /** λ of the ratio and nuclear penalties. */
  lambda: number;
  /** Step cap with a penalty (no stop rule but divergence) and without (there train MSE ≤ 1e-6 also stops). */
  maxIters: number;
  unpenalizedMaxIters: number;
  /**
   * Tuning runs take this share of the cap (every rate at the same budget). Default 1: at a quarter the held-out
   * rule ranks how far each rate got along its plateau, not whether it recovers (docs/results/log.md).
   */
  tuneFraction: number;
  /** Which rule picks each cell's rate from its tuning runs. */
  lrRule: LrRule;
  /** The 'holdout' rule: the share of Ω its tuning runs hold out (holdoutObservations in run.ts). */
  holdoutFraction: number;
  recordSpectrumEvery: number;
}

/**
 * The atlas at the protocol's problem (docs/design/protocols.md section 4: n = 100, rank 5, m = 2000, seeds 0–2) with
 * RUN_DEFAULTS' λ, caps and init. 12 optimizers × 5 penalties × 3 depths × (7 tuning + 3) runs: days of CPU at
 * about 2 ms a step; docs/results.md says what was run.
 */
export const ATLAS_FULL: AtlasProtocol = {
  name: 'atlas',
  n: 100,
  rank: 5,
  samples: 2000,
  seeds: [0, 1, 2],
  tuneSeed: 1000,
  optimizers: [...OPTIMIZER_NAMES],
  penalties: [...ATLAS_PENALTIES],
  depths: [1, 2, 3],
  lrGrid: [...LR_GRID],
  lambda: 1e-4,
  maxIters: 25000,
  unpenalizedMaxIters: 40000,
  tuneFraction: 1,
  lrRule: 'holdout',
  holdoutFraction: 0.1,
  recordSpectrumEvery: 1000,
};

/** The quick atlas (`--quick`, tests, the report page): the quick claims' problem, n = 30, rank 2, m = 270, 12,000 steps. */
export const ATLAS_QUICK: AtlasProtocol = {
  ...ATLAS_FULL,
  name: 'atlas-quick',
  n: 30,
  rank: 2,
  samples: 270,
  lambda: 1e-3,
  maxIters: 12000,
  unpenalizedMaxIters: 12000,
  recordSpectrumEvery: 500,
};

/**
 * The atlas sweep's name: the protocol's name under the 'objective' rule (the sweep's name before the holdout rule
 * existed), `${name}-${rule}` otherwise; the tuning sweep adds "-tune". Different rules, different sweeps.
 */
export function atlasSweepName(p: Pick<AtlasProtocol, 'name' | 'lrRule'>): string {
  return p.lrRule === 'objective' ? p.name : `${p.name}-${p.lrRule}`;
}

/** One cell of the atlas. */
export interface AtlasCell {
  optimizer: OptimizerName;
  penalty: PenaltyName;
  depth: number;
}

/** The label of a cell's atlas runs, e.g. "adam · ratio · depth 1". */
export function cellName(c: AtlasCell): string {
  return `${c.optimizer} · ${c.penalty} · depth ${c.depth}`;
}

/** The label of a cell's tuning run at one learning rate. */
export function tuneName(c: AtlasCell, lr: number): string {
  return `tune: ${cellName(c)} · lr ${lr}`;
}

/** Every cell, optimizers outermost, in protocol order. */
export function atlasCells(p: AtlasProtocol): AtlasCell[] {
  return p.optimizers.flatMap((optimizer) =>
    p.depths.flatMap((depth) => p.penalties.map((penalty) => ({ optimizer, penalty, depth }))),
  );
}

/** A cell's gradient method at learning rate lr and step cap maxIters (every setting explicit, so no default moves it). */
function cellMethod(
  p: AtlasProtocol,
  c: AtlasCell,
  name: string,
  lr: number,
  maxIters: number,
  holdout?: number,
): MethodSpec {
  return {
    name,
    method: 'gradient',
    depth: c.depth,
    penalty: c.penalty,
    lambda: c.penalty === 'none' ? 0 : p.lambda,
    optimizer: c.optimizer,
    lr,
    initScale: 1e-3,
    maxIters,
    tol: c.penalty === 'none' ? 1e-6 : 0,
    ...(holdout === undefined ? {} : { holdout }),
  };
}

/** A cell's step cap. */
function capOf(p: AtlasProtocol, c: AtlasCell): number {
  return c.penalty === 'none' ? p.unpenalizedMaxIters : p.maxIters;
}

/**
 * The tuning sweep: every cell at every rate of the grid, on the tuning seed, at tuneFraction of the cap; under the
 * 'holdout' rule each run trains on Ω minus holdoutFraction of it.
 */
export function tuningSpec(p: AtlasProtocol): SweepSpec {
  const holdout = p.lrRule === 'holdout' ? p.holdoutFraction : undefined;
  const methods = atlasCells(p).flatMap((c) =>
    p.lrGrid.map((lr) =>
      cellMethod(p, c, tuneName(c, lr), lr, Math.max(1, Math.round(p.tuneFraction * capOf(p, c))), holdout),
    ),
  );
  return {
    name: `${atlasSweepName(p)}-tune`,
    n: p.n,
    rank: p.rank,
    samples: [p.samples],
    seeds: [p.tuneSeed],
    methods,
    recordSpectrumEvery: 0,
  };
}

/** A cell's learning-rate choice: the rule, each grid rate's value under it (null: diverged) and the rate chosen. */
export interface LrChoice {
  cell: AtlasCell;
  rule: LrRule;
  /**
   * One entry per grid rate: the tuning run's final training objective (data term + λ·penalty) under 'objective',
   * its held-out RMSE under 'holdout'; null if the run diverged, is missing, or the value is not finite.
   */
  grid: { lr: number; value: number | null }[];
  /** The rate with the least value (ties: the smaller rate); null when every tuning run diverged. */
  lr: number | null;
}

/**
 * The training objective of a run's final W from its metrics: train MSE + λ·R(W), R = ||W||_∗ / ||W||_F (ratio),
 * ||W||_∗ (nuclear), ||W||_∗ / ||W||_2 (nuclear-spectral; NaN in a record without spectralNorm), the effective rank
 * (effective-rank) or 0 (none): the quantity the trainer minimizes, no use of the truth. R is 1 at W = 0, as the
 * penalties' guard says.
 */
export function finalObjective(penalty: PenaltyName, lambda: number, m: RunMetrics): number {
  if (penalty === 'ratio') return m.trainMSE + lambda * m.ratio;
  if (penalty === 'nuclear') return m.trainMSE + lambda * m.nuclearNorm;
  if (penalty === 'nuclear-spectral') {
    const s1 = m.spectralNorm ?? NaN;
    return m.trainMSE + lambda * (s1 === 0 ? 1 : m.nuclearNorm / s1);
  }
  if (penalty === 'effective-rank') return m.trainMSE + lambda * (m.effectiveRank === 0 ? 1 : m.effectiveRank);
  return m.trainMSE;
}

/** What a rule scores a tuning run by (lower is better): its final objective, or its held-out RMSE (NaN if absent). */
export function ruleValue(rule: LrRule, penalty: PenaltyName, lambda: number, m: RunMetrics): number {
  return rule === 'objective' ? finalObjective(penalty, lambda, m) : (m.heldoutRMSE ?? NaN);
}

/** The rule of `p`: for each cell, the grid rate whose tuning run has the least value under it. */
export function chooseLearningRates(p: AtlasProtocol, tuning: readonly RunRecord[]): LrChoice[] {
  const byName = new Map(tuning.map((r) => [r.name, r]));
  return atlasCells(p).map((cell) => {
    const grid = p.lrGrid.map((lr) => {
      const m = byName.get(tuneName(cell, lr))?.metrics;
      const value = m ? ruleValue(p.lrRule, cell.penalty, p.lambda, m) : NaN;
      return { lr, value: Number.isFinite(value) ? value : null };
    });
    let best: { lr: number; value: number } | null = null;
    for (const g of [...grid].sort((a, b) => a.lr - b.lr))
      if (g.value !== null && (best === null || g.value < best.value)) best = { lr: g.lr, value: g.value };
    return { cell, rule: p.lrRule, grid, lr: best?.lr ?? null };
  });
}

/** The atlas sweep: every cell with a chosen rate, on the protocol's seeds, recording spectra and tail steps. */
export function atlasSpec(p: AtlasProtocol, choices: readonly LrChoice[]): SweepSpec {
  const methods = choices
    .filter((c) => c.lr !== null)
    .map((c) => cellMethod(p, c.cell, cellName(c.cell), c.lr as number, capOf(p, c.cell)));
  return {
    name: atlasSweepName(p),
    n: p.n,
    rank: p.rank,
    samples: [p.samples],
    seeds: p.seeds,
    methods,
    recordSpectrumEvery: p.recordSpectrumEvery,
    recordTailStep: true,
  };
}

/** One row of the atlas table: a cell, its chosen rate and relError over seeds (diverged runs counted apart). */
export interface AtlasRow {
  cell: AtlasCell;
  lr: number | null;
  /** The rule that chose lr. */
  rule: LrRule;
  relError: { mean: number; std: number };
  seeds: number;
  diverged: number;
  /** Mean over seeds and checkpoints of the tail step share (NaN when none was recorded). */
  tailStep: number;
}

/** The atlas table from the choices and the atlas runs. */
export function atlasTable(choices: readonly LrChoice[], runs: readonly RunRecord[]): AtlasRow[] {
  return choices.map(({ cell, lr, rule }) => {
    const mine = runs.filter((r) => r.name === cellName(cell));
    const ok = mine.filter((r) => r.metrics !== null);
    const tails = ok.flatMap((r) =>
      (r.checkpoints ?? []).flatMap((c) => (c.tailStep === undefined ? [] : [c.tailStep])),
    );
    return {
      cell,
      lr,
      rule,
      relError: meanStd(ok.map((r) => r.metrics!.relError)),
      seeds: ok.length,
      diverged: mine.length - ok.length,
      tailStep: tails.length ? meanStd(tails).mean : NaN,
    };
  });
}

/** The atlas table as plain text (one line per cell). */
export function formatAtlasTable(rows: readonly AtlasRow[]): string {
  const head = `${'optimizer'.padEnd(14)} ${'penalty'.padEnd(8)} depth  ${'lr'.padStart(6)}  ${'chosen by'.padEnd(9)}  ${'relError mean ± std'.padEnd(20)} ${'tail step'.padStart(9)}  seeds`;
  const lines = rows.map((r) => {
    const rel = r.seeds ? `${r.relError.mean.toExponential(2)} ± ${r.relError.std.toExponential(1)}` : 'diverged';
    const tail = Number.isFinite(r.tailStep) ? r.tailStep.toFixed(3) : '–';
    const lr = r.lr === null ? 'none' : String(r.lr);
    const div = r.diverged ? ` (${r.diverged} diverged)` : '';
    return `${r.cell.optimizer.padEnd(14)} ${r.cell.penalty.padEnd(8)} ${String(r.cell.depth).padStart(5)}  ${lr.padStart(6)}  ${r.rule.padEnd(9)}  ${rel.padEnd(20)} ${tail.padStart(9)}  ${r.seeds}${div}`;
  });
  return [head, ...lines, ''].join('\n');
}

/** Narrow a protocol to the optimizers, penalties, depths or seeds given (the CLI's filters); unknown names throw. */
export function restrictProtocol(
  p: AtlasProtocol,
  only: { optimizers?: string[]; penalties?: string[]; depths?: number[]; seeds?: number[] },
): AtlasProtocol {
  const pick = <T extends string | number>(
    what: string,
    all: readonly T[],
    given: readonly (string | number)[] | undefined,
  ): T[] => {
    if (!given) return [...all];
    for (const g of given) {
      if (!(all as readonly (string | number)[]).includes(g))
        throw new RangeError(`atlas: ${what} must be among ${all.join(', ')}, got ${JSON.stringify(g)}`);
    }
    return all.filter((a) => given.includes(a));
  };
  const seeds = only.seeds ?? p.seeds;
  for (const s of seeds)
    if (!Number.isInteger(s) || s < 0) throw new RangeError(`atlas: seeds must be integers >= 0, got ${s}`);
  return {
    ...p,
    optimizers: pick('optimizers', p.optimizers, only.optimizers),
    penalties: pick('penalties', p.penalties, only.penalties),
    depths: pick('depths', p.depths, only.depths),
    seeds: [...seeds],
  };
}
