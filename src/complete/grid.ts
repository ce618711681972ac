import type { FactoredWeighting } from '../solver/factored-train.ts';

/** The completion methods: L∗/F + Adam on A·B^T, rank-restricted soft-impute (ALS), nuclear norm + Adam on A·B^T. */
export type CompletionMethod = 'ratio' | 'soft-impute' | 'nuclear';

/** Default λ candidates of the ratio method (λ·L∗/F in the mean-squared-error objective). */
export const RATIO_LAMBDAS: readonly number[] = [3e-3];
/**
 * Default candidate ranks of the ratio method (with a magnitude control every rank up to min(m, n); without one,
 * those with k(m+n−k) <= |Ω_fit|).
 */
export const RATIO_RANKS: readonly number[] = [4, 10, 20];
/** Default rank cap of soft-impute and nuclear (or min(m, n) when smaller). */
export const DEFAULT_RANK_CAP = 20;
/** soft-impute's λ path: λ_max·PATH_RATIO^q, q = 0..PATH_LENGTH−1, stopped once validation RMSE rose twice. */
const PATH_RATIO = 0.8;
const PATH_LENGTH = 31;
/** nuclear's default λ, as fractions of 2λ_max/|Ω| (the soft-impute λ_max in mean-squared-error units). */
export const NUCLEAR_FRACTIONS: readonly number[] = [0.3, 0.1, 0.03];

/**
 * The largest rank k whose factored model has no more free parameters than there are observations:
 * k(m + n − k) <= count (0 when even rank 1 has too many). Cost O(min(m, n)).
 */
export function supportedRank(count: number, m: number, n: number): number {
  let k = 0;
  while (k < Math.min(m, n) && (k + 1) * (m + n - k - 1) <= count) k++;
  return k;
}

/** What the rank candidates depend on: the matrix, the split, and the user's choices. */
export interface RankContext {
  m: number;
  n: number;
  /** Observed entries, and those the fit sees (the rest are held out for validation). */
  count: number;
  fitCount: number;
  /** User's candidate ranks, if any. */
  ranks?: readonly number[];
  /** Whether ratio has a magnitude control (a nuclear weight μ or a weight decay ω > 0 among its candidates). */
  magnitudeControl: boolean;
  /** Whether the method was chosen by `auto` (the error then suggests soft-impute). */
  auto: boolean;
}

/**
 * The candidate ranks of one method: the user's (checked), or ratio's RATIO_RANKS up to the rank the fit supports
 * (without a magnitude control, ratio needs k(m+n−k) <= fit entries), or the rank cap min(DEFAULT_RANK_CAP, m, n) of
 * soft-impute and nuclear. Empty when even rank 1 is unsupported. Cost O(min(m, n)).
 */
export function candidateRanks(method: CompletionMethod, ctx: RankContext): number[] {
  const { m, n, count, fitCount, ranks } = ctx;
  if (method === 'ratio') {
    const check = !ctx.magnitudeControl;
    const supported = supportedRank(fitCount, m, n);
    if (ranks) {
      for (const k of ranks) {
        checkRank(k, m, n);
        if (check && k > supported) {
          throw new RangeError(
            `ratio: rank ${k} on a ${m}×${n} matrix has k(m+n−k) = ${k * (m + n - k)} free parameters and needs at least that ` +
              `many observed entries to fit, but the fit sees ${fitCount} (${count} observed, less ${count - fitCount} held out for validation); ` +
              `the largest rank these data support is ${supported}` +
              (ctx.auto ? ' (or choose --method soft-impute, where the rank is only a cap)' : ''),
          );
        }
      }
      return [...ranks];
    }
    const limit = check ? supported : Math.min(m, n);
    const ks = RATIO_RANKS.filter((k) => k <= limit);
    return ks.length > 0 ? ks : limit >= 1 ? [limit] : [];
  }
  if (ranks) {
    for (const k of ranks) checkRank(k, m, n);
    return [...ranks];
  }
  return [Math.min(DEFAULT_RANK_CAP, m, n)];
}

/**
 * The λ candidates of a gradient method: the user's, or RATIO_LAMBDAS for ratio, or for nuclear the
 * NUCLEAR_FRACTIONS of 2λ_max/|Ω_fit| (λ_max = ||P_Ω(residual)||_2, the smallest λ with a zero soft-impute solution).
 */
export function gradientLambdas(
  method: 'ratio' | 'nuclear',
  lambdas: readonly number[] | undefined,
  lambdaMax: number,
  fitCount: number,
): number[] {
  if (lambdas) return [...lambdas];
  return method === 'ratio' ? [...RATIO_LAMBDAS] : NUCLEAR_FRACTIONS.map((f) => (f * 2 * lambdaMax) / fitCount);
}

/** soft-impute's λ path, decreasing: the user's λ sorted, or λ_max·PATH_RATIO^q for q = 0..PATH_LENGTH−1. */
export function softImputeLambdas(lambdas: readonly number[] | undefined, lambdaMax: number): number[] {
  if (lambdas) return [...lambdas].sort((a, b) => b - a);
  return Array.from({ length: PATH_LENGTH }, (_, q) => lambdaMax * PATH_RATIO ** q);
}

function checkRank(k: number, m: number, n: number): void {
  if (!Number.isInteger(k) || k < 1 || k > Math.min(m, n)) {
    throw new RangeError(
      `rank must be an integer in 1..${Math.min(m, n)} (min(m, n) of the ${m}×${n} matrix), got ${k}`,
    );
  }
}

/**
 * The work of a gradient search in the unit of SEARCH_BUDGET: Σ over rungs of candidates × step budget × |Ω_fit| × the
 * candidates' mean rank (the data term's cost per step is ~6|Ω|k flops; the penalty's O((m+n)k²) is left out).
 * `rungs` as halvingSchedule gives them. Cost O(rungs).
 */
export function searchWork(
  rungs: readonly { candidates: number; budget: number }[],
  fitCount: number,
  meanRank: number,
): number {
  return rungs.reduce((a, g) => a + g.candidates * g.budget, 0) * fitCount * meanRank;
}

/** One gradient method's search that a budget may shorten: its ω and weighting lists, Adam's rate and the step cap. */
export interface SearchGrid {
  weightDecays: readonly number[];
  /** The ω list of the unweighted candidates when it differs from weightDecays (the frequency-weighted ones'). */
  unweightedDecays?: readonly number[];
  weightings: readonly FactoredWeighting[];
  lr: number;
  maxSteps: number;
}

/** How much faster the last cut of fitGridToBudget runs: the learning rate times this, the step cap divided by it. */
export const BUDGET_SPEEDUP = 3;

/**
 * A default gradient search shortened until its planned work (searchWork of `schedule`, the halving schedule of the
 * ranks × λ × ω × weightings candidates at the step cap) is within `budget`, in this order: only the first weighting,
 * then the first two ω, then the first ω, then Adam's rate × BUDGET_SPEEDUP and the step cap ÷ BUDGET_SPEEDUP (Adam
 * moves each coordinate by about lr a step, so the same distance in a third of the steps; on the tenth-size scale
 * problem, seed 0, the same validation RMSE, 0.3611, at step 125 instead of 300). What the user gave (`fixed`) is
 * kept; the ranks are never cut (choosing the rank is the point). Returns the search and a note when it was cut.
 * Cost O(1): four cuts at most.
 */
export function fitGridToBudget(
  grid: SearchGrid,
  fixed: { weightDecays: boolean; weightings: boolean; lr: boolean; maxSteps: boolean },
  ctx: {
    ranks: readonly number[];
    lambdas: number;
    fitCount: number;
    budget: number;
    schedule: (count: number, maxSteps: number) => { candidates: number; budget: number }[];
  },
): { grid: SearchGrid; note: string | null } {
  const meanRank = ctx.ranks.reduce((a, k) => a + k, 0) / Math.max(1, ctx.ranks.length);
  const decayCount = (g: SearchGrid): number =>
    g.weightings.reduce(
      (a, w) => a + (w === 'none' && g.unweightedDecays ? g.unweightedDecays.length : g.weightDecays.length),
      0,
    );
  const work = (g: SearchGrid): number =>
    searchWork(ctx.schedule(ctx.ranks.length * ctx.lambdas * decayCount(g), g.maxSteps), ctx.fitCount, meanRank);
  const firstDecays = (g: SearchGrid, k: number): SearchGrid => ({
    ...g,
    weightDecays: g.weightDecays.slice(0, k),
    ...(g.unweightedDecays ? { unweightedDecays: g.unweightedDecays.slice(0, k) } : {}),
  });
  const cuts: ((g: SearchGrid) => SearchGrid)[] = [
    (g) => (fixed.weightings ? g : { ...g, weightings: g.weightings.slice(0, 1) }),
    (g) => (fixed.weightDecays ? g : firstDecays(g, 2)),
    (g) => (fixed.weightDecays ? g : firstDecays(g, 1)),
    (g) =>
      fixed.lr || fixed.maxSteps
        ? g
        : { ...g, lr: g.lr * BUDGET_SPEEDUP, maxSteps: Math.max(1, Math.round(g.maxSteps / BUDGET_SPEEDUP)) },
  ];
  const before = work(grid);
  let g = grid;
  for (const cut of cuts) {
    if (work(g) <= ctx.budget) break;
    g = cut(g);
  }
  if (g === grid) return { grid, note: null };
  return {
    grid: g,
    note:
      `search cut to its budget: the full grid's planned work ${before.toExponential(2)} rating·rank·steps is over ${ctx.budget.toExponential(2)}, ` +
      `so ω ∈ {${g.weightDecays.join(', ')}}, weighting ${g.weightings.join(', ')}, lr ${g.lr}, step cap ${g.maxSteps} (planned ${work(g).toExponential(2)})`,
  };
}

/**
 * The work of one softImpute-ALS iteration at rank cap k, in the unit of the search budget (~8 flops), every term of
 * it counted: the data term |Ω_fit|·k (residuals on Ω and the two sparse products, ~8|Ω|k flops), (m + n)·k² (the
 * two thin SVDs of the (m or n)×k iterates, the two rotations and the change, ~8(m + n)k² flops) and 6k³ (the two
 * k×k SVD cores, ~50k³ flops). With many ids and few ratings each the middle term dominates: 10⁶ ratings of 10⁶
 * users and 10⁶ items at k = 20 cost 2·10⁷ + 8·10⁸ units an iteration. `lines` is m + n. Cost O(1).
 */
export function alsIterationWork(fitCount: number, lines: number, k: number): number {
  return fitCount * k + lines * k * k + 6 * k ** 3;
}

/** The λ count of soft-impute's default path when every `stride`-th λ is taken. */
export function softImputePathLength(stride = 1): number {
  return Math.ceil(PATH_LENGTH / stride);
}

/**
 * Work units a second for a plan's time estimate, from softImpute-ALS at k = 20 on 2·10⁵ ratings with 2·10⁵ and
 * with 2·10³ ids (`node --import tsx bench/als-work.bench.ts --iters 3`, native backend, a 2-core machine at load
 * 21, 2026-12-06): 1.1e7 and 8.2e6 units a second. A plan counts the caps (early stops spend less), so its time is
 * an upper bound on such a machine.
 */
export const PLAN_WORK_RATE = 1e7;

/** The planned work of soft-impute's default path: every `stride`-th λ, `iters` iterations each, at every rank cap. */
export function softImputePathWork(
  ranks: readonly number[],
  iters: number,
  fitCount: number,
  lines: number,
  stride = 1,
): number {
  const perIteration = ranks.reduce((a, k) => a + alsIterationWork(fitCount, lines, k), 0);
  return softImputePathLength(stride) * iters * perIteration;
}

/**
 * soft-impute's share of a large problem's budget: the default path's planned work (softImputePathWork: Σ over its
 * λ of the iteration cap × alsIterationWork, every term of an iteration counted), held within `budget` by taking
 * every other λ (the same range, ratio PATH_RATIO²), then a lower iteration cap (at least 10). Null when the path
 * fits. `lines` is m + n. Cost O(ranks).
 */
export function softImputeBudgetCut(
  ranks: readonly number[],
  maxIters: number,
  fitCount: number,
  lines: number,
  budget: number,
): { stride: number; maxIters: number; note: string } | null {
  const work = (stride: number, iters: number): number => softImputePathWork(ranks, iters, fitCount, lines, stride);
  if (work(1, maxIters) <= budget) return null;
  const iters = Math.max(10, Math.min(maxIters, Math.floor(budget / Math.max(1, work(2, 1)))));
  return {
    stride: 2,
    maxIters: iters,
    note:
      `soft-impute: path cut to the budget: its planned work ${work(1, maxIters).toExponential(2)} is over ${budget.toExponential(2)}, ` +
      `so every other λ (${Math.ceil(PATH_LENGTH / 2)}) and at most ${iters} iterations each (planned ${work(2, iters).toExponential(2)})`,
  };
}
