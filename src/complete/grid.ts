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
const NUCLEAR_FRACTIONS: readonly number[] = [0.3, 0.1, 0.03];

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
export function gradientLambdas(method: 'ratio' | 'nuclear', lambdas: readonly number[] | undefined, lambdaMax: number, fitCount: number): number[] {
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
    throw new RangeError(`rank must be an integer in 1..${Math.min(m, n)} (min(m, n) of the ${m}×${n} matrix), got ${k}`);
  }
}
