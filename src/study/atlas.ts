// The optimizer atlas: which normalization makes L*/F recover. A built-in sweep of optimizer × penalty
// × depth on one problem, each cell's learning rate chosen by the same rule for every optimizer, from runs on
// separate tuning seeds and never by the error against the truth: the rate of LR_GRID whose tuning runs end, on the
// worst of the tuning seeds, with the least training objective ('objective', the first rule), or, trained on Ω minus
// a held-out tenth, the least RMSE on the held-out observed entries ('holdout'). The tuning runs are either every rate
// for the whole cap ('full'), successive halving with early stops ('halving'), or successive halving whose last round
// runs on one tuning seed, its finalists then checked on the other while one can still win ('lean', the default).
// Tuning sweeps (one per round or check), then the atlas runs at the chosen rates (seeds 0–2). All resume; the sweep
// names carry the rule and the tuning protocol, so a resume with another is refused.
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

/**
 * How the tuning runs spend their steps: 'full', every grid rate for tuneFraction of the cap on every tuning seed;
 * 'halving', successive halving over the grid on every tuning seed with early stops, every run of it and of the atlas
 * included; 'lean', the same with its last round on the first tuning seed alone, then its finalists checked on the
 * others while one can still win (docs/design/protocols.md 4.1).
 */
export type TuningProtocol = 'full' | 'halving' | 'lean';

/** The tuning protocols, for the CLI (the default first). */
export const TUNING_PROTOCOLS: readonly TuningProtocol[] = Object.freeze(['lean', 'halving', 'full'] as const);

/** The protocol `p` under tuning protocol `tuning`, with that protocol's number of rounds of halving. */
export function withTuning(p: AtlasProtocol, tuning: TuningProtocol): AtlasProtocol {
  return { ...p, tuning, halvingRounds: tuning === 'lean' ? p.leanDivisors.length : HALVING_ROUNDS };
}

/** The rounds of halving of the 'halving' protocol (budgets cap/9, cap/3, cap at η = 3). */
export const HALVING_ROUNDS = 3;

/** Everything that fixes an atlas: the problem, the grid of cells, the budgets and the learning-rate rule. */
export interface AtlasProtocol {
  /** The base of the sweep names (see atlasSweepName). */
  name: string;
  n: number;
  rank: number;
  samples: number;
  seeds: number[];
  /** The first tuning seed (its own data, sampling and initialization); the others follow it (tuneSeeds). */
  tuneSeed: number;
  /** How many tuning seeds: a rate's score is its worst over them, and a run that diverges on one rules it out. */
  tuneSeedCount: number;
  /** How the tuning runs spend their steps (see TuningProtocol). */
  tuning: TuningProtocol;
  /** 'halving': rounds, each at 1/halvingEta of the next one's budget (the last at the cap), keeping 1/halvingEta of the rates ('lean': see leanDivisors). */
  halvingRounds: number;
  halvingEta: number;
  /** 'halving', 'lean': the last round compares at least this many rates (when as many have a score). */
  halvingFinal: number;
  /**
   * 'lean': round r's budget is cap/leanDivisors[r] (the last divisor 1), keeping ⌈k/halvingEta⌉ of the k rates
   * per round; halvingRounds is their count.
   */
  leanDivisors: number[];
  /**
   * 'halving', 'lean': the early stops of every run (tuning and atlas): the watched error (held-out in tuning runs,
   * relError in atlas runs) has not fallen by the share earlyStopTol for earlyStopShare of the cap, or is at or
   * below earlyStopExact.
   */
  earlyStopShare: number;
  earlyStopTol: number;
  earlyStopExact: number;
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
  tuneSeedCount: 2,
  tuning: 'lean',
  halvingRounds: 3,
  halvingEta: 3,
  halvingFinal: 2,
  leanDivisors: [9, 3, 1],
  earlyStopShare: 0.25,
  earlyStopTol: 0.01,
  earlyStopExact: 1e-6,
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
 * existed), `${name}-${rule}` otherwise, then "-halving" or "-lean" under those tuning protocols; the tuning sweep adds
 * "-tune" ("-tune-1", "-tune-2", … per round of halving, "-check-1", … per check of 'lean'). Different rules or
 * protocols, different sweeps.
 */
export function atlasSweepName(p: Pick<AtlasProtocol, 'name' | 'lrRule'> & { tuning?: TuningProtocol }): string {
  return `${p.lrRule === 'objective' ? p.name : `${p.name}-${p.lrRule}`}${p.tuning === 'halving' || p.tuning === 'lean' ? `-${p.tuning}` : ''}`;
}

/** The tuning seeds: tuneSeed, tuneSeed + 1, … (tuneSeedCount of them). */
export function tuneSeeds(p: Pick<AtlasProtocol, 'tuneSeed' | 'tuneSeedCount'>): number[] {
  return Array.from({ length: p.tuneSeedCount }, (_, i) => p.tuneSeed + i);
}

/** The tuning seeds round `round` (0-based) of halving runs on: every one, but under 'lean' the first alone in the last round. */
function roundSeeds(p: AtlasProtocol, round: number): number[] {
  return p.tuning === 'lean' && round === p.halvingRounds - 1 ? [p.tuneSeed] : tuneSeeds(p);
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
  const early =
    p.tuning !== 'full'
      ? {
          earlyStopWindow: Math.max(1, Math.round(p.earlyStopShare * capOf(p, c))),
          earlyStopTol: p.earlyStopTol,
          earlyStopExact: p.earlyStopExact,
        }
      : {};
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
    ...early,
  };
}

/** A cell's step cap. */
function capOf(p: AtlasProtocol, c: AtlasCell): number {
  return c.penalty === 'none' ? p.unpenalizedMaxIters : p.maxIters;
}

/**
 * The tuning sweep of the 'full' protocol: every cell at every rate of the grid, on the tuning seeds, at tuneFraction
 * of the cap; under the 'holdout' rule each run trains on Ω minus holdoutFraction of it.
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
    seeds: tuneSeeds(p),
    methods,
    recordSpectrumEvery: 0,
  };
}

/** One round of successive halving for one cell: its step budget, the rates it compared, the steps its runs took. */
export interface HalvingRound {
  budget: number;
  lrs: number[];
  /** Steps the runs of this round took (runs carried over from an earlier round, which stopped early, count there). */
  steps: number;
  /** 'lean': the tuning seeds this round ran on (all, the first alone in the last round, the others in the checks). */
  seeds?: number[];
}

/** A cell's learning-rate choice: the rule, each grid rate's value under it (null: diverged) and the rate chosen. */
export interface LrChoice {
  cell: AtlasCell;
  rule: LrRule;
  /**
   * One entry per grid rate: the worst over the tuning seeds of the tuning run's final training objective (data term
   * + λ·penalty) under 'objective', its held-out RMSE under 'holdout'; null if a run diverged, is missing, or a value
   * is not finite. Under 'halving', the value at the last round the rate reached (`round`, 1-based).
   */
  grid: { lr: number; value: number | null; round?: number; seeds?: number[] }[];
  /** The rate with the least value (ties: the smaller rate); null when every tuning run diverged. */
  lr: number | null;
  /** 'halving': the rounds, and the steps all this cell's tuning runs took against the 'full' protocol's count. */
  rounds?: HalvingRound[];
  stepsRun?: number;
  fixedCapSteps?: number;
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

/**
 * A rate's score from its tuning runs, one per tuning seed: the worst (largest) value under the rule, so that one
 * lucky seed cannot carry an unstable rate; null when a seed's run is missing, diverged or not finite.
 */
function worstValue(p: AtlasProtocol, cell: AtlasCell, runs: readonly (RunRecord | undefined)[]): number | null {
  let worst = -Infinity;
  for (const r of runs) {
    const value = r?.metrics ? ruleValue(p.lrRule, cell.penalty, p.lambda, r.metrics) : NaN;
    if (!Number.isFinite(value)) return null;
    worst = Math.max(worst, value);
  }
  return runs.length > 0 ? worst : null;
}

/** The rate with the least value (ties: the smaller rate), or null. */
function leastRate(grid: readonly { lr: number; value: number | null }[]): number | null {
  let best: { lr: number; value: number } | null = null;
  for (const g of [...grid].sort((a, b) => a.lr - b.lr))
    if (g.value !== null && (best === null || g.value < best.value)) best = { lr: g.lr, value: g.value };
  return best?.lr ?? null;
}

/** The rule of `p` on the 'full' tuning runs: for each cell, the grid rate with the least worst-over-seeds value. */
export function chooseLearningRates(p: AtlasProtocol, tuning: readonly RunRecord[]): LrChoice[] {
  const byKey = new Map(tuning.map((r) => [`${r.name}|${r.seed}`, r]));
  const seeds = tuneSeeds(p);
  return atlasCells(p).map((cell) => {
    const grid = p.lrGrid.map((lr) => ({
      lr,
      value: worstValue(
        p,
        cell,
        seeds.map((s) => byKey.get(`${tuneName(cell, lr)}|${s}`)),
      ),
    }));
    return { cell, rule: p.lrRule, grid, lr: leastRate(grid) };
  });
}

/** The step budgets of the rounds of halving for a cell: cap/η^(R−1), …, cap/η, cap. */
export function halvingBudgets(p: AtlasProtocol, c: AtlasCell): number[] {
  const cap = capOf(p, c);
  return Array.from({ length: p.halvingRounds }, (_, r) =>
    Math.max(
      1,
      Math.round(cap / (p.tuning === 'lean' ? p.leanDivisors[r] : p.halvingEta ** (p.halvingRounds - 1 - r))),
    ),
  );
}

/** The label of a cell's tuning run at one rate in round `round` (0-based) of halving, with its budget and the cap. */
export function halvingName(p: AtlasProtocol, c: AtlasCell, lr: number, round: number): string {
  return `${tuneName(c, lr)} · round ${round + 1}/${p.halvingRounds} (${halvingBudgets(p, c)[round]} of ${capOf(p, c)} steps)`;
}

/** The steps a tuning run took: its iterations, or the step a diverged run stopped at (read off its error). */
function stepsOf(r: RunRecord): number {
  if (r.metrics) return r.metrics.iterations;
  const m = /at step (\d+)/.exec(r.error ?? '');
  return m ? Number(m[1]) : 0;
}

/** What halving has decided by the end of one round. */
interface HalvingRoundPlan {
  /** Per cell: the rates this round compares. */
  alive: Map<string, number[]>;
  /** The latest run of each (cell, rate, seed) after this round, by `${cellName}|${lr}|${seed}`. */
  latest: Map<string, RunRecord>;
}

/**
 * Successive halving, replayed from the records of the rounds done (rounds[r] the records of round r). Round 0 runs
 * every grid rate; round r + 1 keeps the ⌈k/η⌉ rates of round r with the least worst-over-seeds value (at least
 * halvingFinal in the last round, when as many have a value; a rate that diverged on a seed is out) at η times the
 * budget. A run that stopped before its budget (early stop, tolerance) would stop at the same step with a larger one,
 * so it is carried over instead of rerun.
 */
function replayHalving(p: AtlasProtocol, rounds: readonly (readonly RunRecord[])[], upTo: number): HalvingRoundPlan[] {
  const seeds = tuneSeeds(p);
  const cells = atlasCells(p);
  const latest = new Map<string, RunRecord>();
  const plans: HalvingRoundPlan[] = [];
  let alive = new Map(cells.map((c) => [cellName(c), [...p.lrGrid]]));
  for (let r = 0; r <= upTo; r++) {
    if (r > 0) {
      const next = new Map<string, number[]>();
      for (const c of cells) {
        const rates = alive.get(cellName(c)) as number[];
        const scored = rates
          .map((lr) => ({
            lr,
            value: worstValue(
              p,
              c,
              seeds.map((s) => latest.get(`${cellName(c)}|${lr}|${s}`)),
            ),
          }))
          .filter((x): x is { lr: number; value: number } => x.value !== null)
          .sort((a, b) => a.value - b.value || a.lr - b.lr);
        let keep = Math.ceil(rates.length / p.halvingEta);
        if (r === p.halvingRounds - 1) keep = Math.max(keep, p.halvingFinal);
        next.set(
          cellName(c),
          scored
            .slice(0, keep)
            .map((x) => x.lr)
            .sort((a, b) => a - b),
        );
      }
      alive = next;
    }
    for (const rec of rounds[r] ?? []) {
      const lr = (rec.settings as { lr: number }).lr;
      const cell = cells.find((c) => rec.name.startsWith(`${tuneName(c, lr)} ·`));
      if (cell) latest.set(`${cellName(cell)}|${lr}|${rec.seed}`, rec);
    }
    plans.push({ alive, latest: new Map(latest) });
  }
  return plans;
}

/**
 * The tuning sweep of round `round` (0-based) of halving, given the records of the rounds before it: each cell's
 * surviving rates, on the tuning seeds whose run of the round before ran out of budget (or that have none yet).
 * Its methods may be empty (every survivor carried over).
 */
export function halvingRoundSpec(
  p: AtlasProtocol,
  round: number,
  before: readonly (readonly RunRecord[])[],
): SweepSpec {
  const seeds = roundSeeds(p, round);
  const prior = round > 0 ? replayHalving(p, before, round - 1)[round - 1].latest : new Map<string, RunRecord>();
  const alive = replayHalving(p, [...before.slice(0, round)], round)[round].alive;
  const holdout = p.lrRule === 'holdout' ? p.holdoutFraction : undefined;
  const methods: MethodSpec[] = [];
  for (const c of atlasCells(p)) {
    const budget = halvingBudgets(p, c)[round];
    for (const lr of alive.get(cellName(c)) ?? []) {
      const todo = seeds.filter((s) => {
        const prev = prior.get(`${cellName(c)}|${lr}|${s}`);
        return prev === undefined || prev.metrics?.stopReason === 'max-iters';
      });
      if (todo.length === 0) continue;
      methods.push({
        ...cellMethod(p, c, halvingName(p, c, lr, round), lr, budget, holdout),
        ...(todo.length < seeds.length ? { seeds: todo } : {}),
      });
    }
  }
  return {
    name: `${atlasSweepName(p)}-tune-${round + 1}`,
    n: p.n,
    rank: p.rank,
    samples: [p.samples],
    seeds,
    methods,
    recordSpectrumEvery: 0,
  };
}

/**
 * The rule of `p` after every round of halving: each cell's rate with the least worst-over-seeds value among those
 * of the last round, each grid rate's value at the last round it reached, the rounds, and the steps its tuning runs
 * took against the 'full' protocol's count (every grid rate on every tuning seed for the whole cap).
 */
export function chooseByHalving(p: AtlasProtocol, rounds: readonly (readonly RunRecord[])[]): LrChoice[] {
  const seeds = tuneSeeds(p);
  const plans = replayHalving(p, rounds, p.halvingRounds - 1);
  return atlasCells(p).map((cell) => {
    const name = cellName(cell);
    const budgets = halvingBudgets(p, cell);
    const valueAt = (lr: number, r: number) =>
      worstValue(
        p,
        cell,
        tuneSeeds(p).map((s) => plans[r].latest.get(`${name}|${lr}|${s}`)),
      );
    const grid = p.lrGrid.map((lr) => {
      const reached = plans.reduce((last, plan, r) => ((plan.alive.get(name) ?? []).includes(lr) ? r : last), 0);
      return { lr, value: valueAt(lr, reached), round: reached + 1 };
    });
    const last = plans[plans.length - 1].alive.get(name) ?? [];
    const finalists = grid.filter((g) => last.includes(g.lr));
    const runsOf = (r: number) => (rounds[r] ?? []).filter((rec) => rec.name.startsWith(`tune: ${name} ·`));
    const roundsOut = plans.map((plan, r) => ({
      budget: budgets[r],
      lrs: plan.alive.get(name) ?? [],
      steps: runsOf(r).reduce((a, rec) => a + stepsOf(rec), 0),
    }));
    return {
      cell,
      rule: p.lrRule,
      grid,
      lr: leastRate(finalists),
      rounds: roundsOut,
      stepsRun: roundsOut.reduce((a, r) => a + r.steps, 0),
      fixedCapSteps: p.lrGrid.length * seeds.length * capOf(p, cell),
    };
  });
}

/** The label of a cell's check run at one rate: the `k`-th check (0-based), on the tuning seeds after the first, at the cap. */
export function checkName(p: AtlasProtocol, c: AtlasCell, lr: number, k: number): string {
  return `${tuneName(c, lr)} · check ${k + 1}/${p.halvingFinal} (${capOf(p, c)} of ${capOf(p, c)} steps)`;
}

/** A finalist under 'lean': its worst score over the runs at the final budget known so far, and whether it has one on every tuning seed. */
export interface Finalist {
  lr: number;
  /** The worst over its final-budget runs so far (a lower bound of its worst over every seed); null: a run diverged. */
  value: number | null;
  complete: boolean;
}

/**
 * The finalist to check next under 'lean', or null: the incomplete one with the least value (ties: the smaller rate),
 * when that value (a lower bound of its worst over every tuning seed) can still beat the least value of the complete
 * ones (ties: the smaller rate). No finalist left out could have won, so the rate chosen is the one the worst-seed
 * rule picks with every finalist run on every tuning seed at the final budget.
 */
export function nextCheck(finalists: readonly Finalist[]): number | null {
  const best = leastRate(finalists.filter((f) => f.complete));
  const next = leastRate(finalists.filter((f) => !f.complete));
  if (next === null) return null;
  if (best === null) return next;
  const bestValue = finalists.find((f) => f.lr === best)?.value as number;
  const nextValue = finalists.find((f) => f.lr === next)?.value as number;
  return nextValue < bestValue || (nextValue === bestValue && next < best) ? next : null;
}

/** Whether a run is final at budget `budget`: it ran that budget, or stopped before its own (carried, diverged). */
function isFinal(r: RunRecord, budget: number): boolean {
  return (r.settings as { maxIters?: number }).maxIters === budget || r.metrics?.stopReason !== 'max-iters';
}

/** One cell's finalists under 'lean' after the last round and the checks up to `upTo` (exclusive), and each check's rate. */
function replayChecks(
  p: AtlasProtocol,
  cell: AtlasCell,
  plan: HalvingRoundPlan,
  checks: readonly (readonly RunRecord[])[],
  upTo: number,
): { finalists: Finalist[]; candidates: (number | null)[]; missing: number[][] } {
  const name = cellName(cell);
  const cap = capOf(p, cell);
  const seeds = tuneSeeds(p);
  const known = new Map<number, (RunRecord | undefined)[]>(
    (plan.alive.get(name) ?? []).map((lr) => [
      lr,
      seeds.map((s) => {
        const r = plan.latest.get(`${name}|${lr}|${s}`);
        return r && isFinal(r, cap) ? r : undefined;
      }),
    ]),
  );
  const state = (): Finalist[] =>
    [...known].map(([lr, runs]) => {
      const done = runs.filter((r): r is RunRecord => r !== undefined);
      return { lr, value: worstValue(p, cell, done), complete: done.length === seeds.length };
    });
  const candidates: (number | null)[] = [];
  const missing: number[][] = [];
  for (let k = 0; k < upTo; k++) {
    const lr = nextCheck(state());
    candidates.push(lr);
    if (lr === null) {
      missing.push([]);
      continue;
    }
    const runs = known.get(lr) as (RunRecord | undefined)[];
    missing.push(seeds.filter((_, i) => runs[i] === undefined));
    seeds.forEach((s, i) => {
      runs[i] ??= (checks[k] ?? []).find((r) => r.seed === s && r.name === checkName(p, cell, lr, k));
      // A check that left a seed without a run (a failed write) still completes the rate: its value is then null.
      runs[i] ??= { metrics: null, settings: { maxIters: cap } } as unknown as RunRecord;
    });
  }
  return { finalists: state(), candidates, missing };
}

/** The most finalists a cell can have under 'lean' (the rates its last round keeps): at most this many checks. */
export function finalistCount(p: AtlasProtocol): number {
  let k = p.lrGrid.length;
  for (let r = 1; r < p.halvingRounds; r++)
    k = Math.min(
      k,
      r === p.halvingRounds - 1 ? Math.max(Math.ceil(k / p.halvingEta), p.halvingFinal) : Math.ceil(k / p.halvingEta),
    );
  return k;
}

/** How many tuning sweeps a protocol runs: 1 ('full'), its rounds ('halving'), its rounds and checks ('lean'). */
export function tuningStageCount(p: AtlasProtocol): number {
  if (p.tuning === 'full') return 1;
  return p.halvingRounds + (p.tuning === 'lean' ? finalistCount(p) : 0);
}

/**
 * The tuning sweep of stage `stage` (0-based) given the records of the stages before it: 'full', the one tuning
 * sweep; 'halving', its rounds; 'lean', its rounds, then its checks: check k runs, for each cell, the finalist
 * nextCheck names on the tuning seeds where it has no run at the cap yet, at the cap (none when no finalist can still win).
 */
export function tuningStageSpec(p: AtlasProtocol, stage: number, before: readonly (readonly RunRecord[])[]): SweepSpec {
  if (p.tuning === 'full') return tuningSpec(p);
  if (stage < p.halvingRounds) return halvingRoundSpec(p, stage, before);
  const k = stage - p.halvingRounds;
  const plan = replayHalving(p, before.slice(0, p.halvingRounds), p.halvingRounds - 1)[p.halvingRounds - 1];
  const seeds = tuneSeeds(p);
  const holdout = p.lrRule === 'holdout' ? p.holdoutFraction : undefined;
  const methods: MethodSpec[] = [];
  for (const c of atlasCells(p)) {
    const { candidates, missing } = replayChecks(p, c, plan, before.slice(p.halvingRounds), k + 1);
    const lr = candidates[k];
    if (lr === null || missing[k].length === 0) continue;
    methods.push({
      ...cellMethod(p, c, checkName(p, c, lr, k), lr, capOf(p, c), holdout),
      ...(missing[k].length < seeds.length ? { seeds: missing[k] } : {}),
    });
  }
  return {
    name: `${atlasSweepName(p)}-check-${k + 1}`,
    n: p.n,
    rank: p.rank,
    samples: [p.samples],
    seeds,
    methods,
    recordSpectrumEvery: 0,
  };
}

/**
 * The rule of `p` after every tuning stage ('lean'): the rounds of halving (chooseByHalving), then the checks; the
 * rate chosen is the finalist with the least worst score over every tuning seed at the cap (ties: the smaller rate)
 * among those checked to the end. A finalist's grid value is its worst over the runs at the cap it has (`seeds`), a
 * lower bound of its worst when it was not checked on every seed; `rounds` lists the checks after the rounds.
 */
export function chooseLean(p: AtlasProtocol, stages: readonly (readonly RunRecord[])[]): LrChoice[] {
  const screened = chooseByHalving(p, stages.slice(0, p.halvingRounds));
  const plan = replayHalving(p, stages.slice(0, p.halvingRounds), p.halvingRounds - 1)[p.halvingRounds - 1];
  const checks = stages.slice(p.halvingRounds);
  const count = finalistCount(p);
  return screened.map((choice) => {
    const { cell } = choice;
    const name = cellName(cell);
    const cap = capOf(p, cell);
    const { candidates, missing, finalists } = replayChecks(p, cell, plan, checks, count);
    const checkRounds = candidates.map((lr, k) => ({
      budget: cap,
      lrs: lr === null || missing[k].length === 0 ? [] : [lr],
      steps: (checks[k] ?? [])
        .filter((r) => lr !== null && r.name === checkName(p, cell, lr, k))
        .reduce((a, r) => a + stepsOf(r), 0),
      seeds: missing[k],
    }));
    const grid = choice.grid.map((g) => {
      const f = finalists.find((x) => x.lr === g.lr);
      if (!f) return g;
      const k = candidates.indexOf(g.lr);
      const seeds = tuneSeeds(p).filter((s) => {
        const r = plan.latest.get(`${name}|${g.lr}|${s}`);
        return (r !== undefined && isFinal(r, cap)) || (k >= 0 && missing[k].includes(s));
      });
      return { lr: g.lr, value: f.value, round: k >= 0 ? p.halvingRounds + k + 1 : p.halvingRounds, seeds };
    });
    const rounds = [...(choice.rounds ?? []).map((r, i) => ({ ...r, seeds: roundSeeds(p, i) })), ...checkRounds];
    return {
      ...choice,
      grid,
      lr: leastRate(finalists.filter((f) => f.complete)),
      rounds,
      stepsRun: rounds.reduce((a, r) => a + r.steps, 0),
    };
  });
}

/** The rule of `p` on the records of its tuning stages, whichever its protocol. */
export function chooseByTuning(p: AtlasProtocol, stages: readonly (readonly RunRecord[])[]): LrChoice[] {
  if (p.tuning === 'full') return chooseLearningRates(p, stages[0] ?? []);
  return p.tuning === 'lean' ? chooseLean(p, stages) : chooseByHalving(p, stages);
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
  /** Steps the atlas runs took (a diverged run: the step it stopped at), and their caps' sum (the fixed-cap count). */
  stepsRun: number;
  fixedCapSteps: number;
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
      stepsRun: mine.reduce((a, r) => a + stepsOf(r), 0),
      fixedCapSteps: mine.reduce((a, r) => a + ((r.settings as { maxIters?: number }).maxIters ?? 0), 0),
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
