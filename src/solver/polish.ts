// The rank-free finish of a gradient run (`--polish`, docs/design/math.md 3.5d): read candidate ranks off the
// spectrum of the trained W, start rank-r factors from its truncated SVD, and finish with Gauss–Newton least
// squares on Ω (gnmr.ts, the same kernel as `--method gnmr`). A candidate is accepted only when the data confirm it:
//   1. fit: GN on Ω minus a held-out subset H reaches a relative residual ≤ fitTol (a rank below the truth cannot
//      fit Ω exactly, so it fails here);
//   2. generalization: the fitted factors predict H to a relative error ≤ holdoutTol (a rank above the truth has
//      spare degrees of freedom, fits Ω∖H and misses H). H is drawn only from rows and columns that keep enough
//      entries (holdoutSplit), so that removing it does not make Ω∖H non-identifiable for the true rank;
//   3. smallest rank wins: once a candidate passes, the ranks below it are tried downwards until one fails, since a
//      too-large rank can pass 1 and 2 when its spare directions only fit thin rows that H does not probe;
//   4. the estimated rank is the numerical rank of the accepted fit (a too-large candidate that Ω does determine
//      converges to the truth with vanishing spare directions).
// Candidates are the ranks k whose gap s_k/s_{k+1} is at least gapThreshold, largest gap first, at most
// maxCandidates of them, and only ranks whose degrees of freedom k(n₁+n₂−k) fit in |Ω∖H| (a rank with more unknowns
// than equations would fit anything). The accepted factors are then refined by GN on the whole Ω. Cost per
// candidate: a few GN iterations, O(|Ω|·r) per LSQR step.
import type { Observations } from '../data/observations.ts';
import { deriveRng } from '../random/index.ts';
import { gnmr, type GnmrVariant } from './gnmr.ts';
import { factorPairSvd, sampledProduct, truncatedFactors, type Factors, type ThinSvd } from './factors.ts';

/** Settings of the polish's rank rule and Gauss–Newton finish (defaults: POLISH_DEFAULTS in src/defaults.ts). */
export interface PolishOptions {
  /** A rank k is a candidate when s_k/s_{k+1} ≥ this. */
  gapThreshold: number;
  /** At most this many candidates are tried, largest gap first. */
  maxCandidates: number;
  /** Share of Ω held out to reject too-large ranks (at least minHoldout entries). */
  holdoutFraction: number;
  minHoldout: number;
  /** Accept when GN's relative residual on Ω∖H is at most this... */
  fitTol: number;
  /** ...and the relative error on H is at most this. */
  holdoutTol: number;
  /** GN iterations per candidate (the final refinement on all of Ω runs gnmr with its own defaults). */
  maxIters: number;
  /** The refinement on all of Ω stops at this relative residual (or when it no longer falls). */
  refineTol: number;
  /** The GNMR variant of every Gauss–Newton run. */
  variant: GnmrVariant;
  /** Give a candidate up when its relative residual on Ω∖H is still above abortResidual after abortAfter GN iterations. */
  abortAfter: number;
  abortResidual: number;
  /** Seeds the held-out subset. */
  seed: number;
}

/** One candidate rank the polish tried. */
export interface PolishAttempt {
  rank: number;
  /** s_rank / s_(rank+1) of W. */
  gap: number;
  /** GN's relative residual on Ω∖H. */
  fitResidual: number;
  /** ||P_H(UVᵀ) − P_H(X)|| / ||P_H(X)||. */
  holdoutError: number;
  iterations: number;
  accepted: boolean;
}

/** What polish returns: the accepted rank and factors, or none, and every attempt. */
export interface PolishResult {
  accepted: boolean;
  /** The accepted rank (absent when none was confirmed). */
  rank?: number;
  gap?: number;
  /** The refined factors of the accepted rank. */
  factors?: Factors;
  /** Relative residual on all of Ω after the refinement. */
  residual?: number;
  /** GN iterations over all attempts and the refinement. */
  iterations: number;
  attempts: PolishAttempt[];
}

/**
 * The candidate ranks of a spectrum: every k in 1..maxRank with s_k/s_{k+1} ≥ gapThreshold (s_{k+1} = 0 counts as an
 * infinite gap), largest gap first, at most maxCandidates.
 */
export function rankCandidates(
  s: ArrayLike<number>,
  maxRank: number,
  gapThreshold: number,
  maxCandidates: number,
): { rank: number; gap: number }[] {
  const out: { rank: number; gap: number }[] = [];
  for (let k = 1; k <= Math.min(maxRank, s.length - 1); k++) {
    if (!(s[k - 1] > 0)) break;
    const gap = s[k] > 0 ? s[k - 1] / s[k] : Infinity;
    if (gap >= gapThreshold) out.push({ rank: k, gap });
  }
  return out.sort((a, b) => b.gap - a.gap).slice(0, maxCandidates);
}

/**
 * Ω split into a fitting part and a held-out part H of at most `count` entries (drawn from `seed`, deterministic).
 * An entry is held out only while its row and its column keep at least `keep` entries in the fitting part: holding
 * out entries of thin rows would make Ω∖H non-identifiable (near the information limit a row with ≥ r entries in
 * Ω may have fewer in Ω∖H) and reject the true rank for the wrong reason.
 */
export function holdoutSplit(
  obs: Observations,
  count: number,
  seed: number,
  keep = 0,
): { fit: Observations; held: Observations } {
  const m = obs.values.length;
  const [n1, n2] = obs.shape;
  const rowLeft = new Int32Array(n1);
  const colLeft = new Int32Array(n2);
  for (let t = 0; t < m; t++) {
    rowLeft[obs.rows[t]]++;
    colLeft[obs.cols[t]]++;
  }
  const rng = deriveRng(seed, 'polish-holdout');
  const order = new Int32Array(m);
  for (let t = 0; t < m; t++) order[t] = t;
  const heldMask = new Uint8Array(m);
  let held = 0;
  // Walk Ω in a seeded random order (Fisher–Yates on the fly), holding out each entry that the rule allows.
  for (let t = 0; t < m && held < count; t++) {
    const j = t + rng.int(m - t);
    const x = order[t];
    order[t] = order[j];
    order[j] = x;
    const e = order[t];
    if (rowLeft[obs.rows[e]] > keep && colLeft[obs.cols[e]] > keep) {
      heldMask[e] = 1;
      held++;
      rowLeft[obs.rows[e]]--;
      colLeft[obs.cols[e]]--;
    }
  }
  const pick = (want: number): Observations => {
    const idx: number[] = [];
    for (let t = 0; t < m; t++) if (heldMask[t] === want) idx.push(t);
    return {
      shape: obs.shape,
      rows: Int32Array.from(idx, (t) => obs.rows[t]),
      cols: Int32Array.from(idx, (t) => obs.cols[t]),
      values: Float64Array.from(idx, (t) => obs.values[t]),
    };
  };
  return { fit: pick(0), held: pick(1) };
}

/**
 * Try the candidate ranks of W's spectrum on `obs` (see the top of this file); on the first confirmed one, refine
 * its factors by GN on all of Ω and return them.
 */
export function polish(
  obs: Observations,
  w: ThinSvd,
  opts: PolishOptions,
  retry?: { failedGap: Map<number, number>; growth: number },
): PolishResult {
  const [n1, n2] = obs.shape;
  const m = obs.values.length;
  const holdCount = Math.min(m - 1, Math.max(opts.minHoldout, Math.round(opts.holdoutFraction * m)));
  // The largest rank the fitting part can determine: k(n₁ + n₂ − k) ≤ |Ω∖H|.
  let maxRank = 0;
  while (maxRank + 1 <= Math.min(n1, n2, w.s.length - 1) && (maxRank + 1) * (n1 + n2 - maxRank - 1) <= m - holdCount)
    maxRank++;
  // Every row and column keeps ≥ maxRank + 2 entries in Ω∖H, or all it had.
  const { fit, held } = holdoutSplit(obs, holdCount, opts.seed, maxRank + 2);
  const attempts: PolishAttempt[] = [];
  let iterations = 0;
  // A rank that failed before is tried again only once its gap has grown by retry.growth (the gap grows as
  // training proceeds, so a wrong early candidate costs O(log gap) attempts, not one per look).
  const fresh = rankCandidates(w.s, maxRank, opts.gapThreshold, Infinity).filter(
    ({ rank, gap }) => !retry?.failedGap.has(rank) || gap >= retry.growth * (retry.failedGap.get(rank) as number),
  );
  const tried = new Set<number>();
  // The refinements on all of Ω stop at rounding: the residual's floor is ~1e-15 (LSQR's machine-precision tests),
  // above GNMR's 1e-16, so without a stop there they would run all 100 iterations; the authors' stuck rule ends
  // them once 5 iterations no longer halve the residual.
  const refine = { tol: opts.refineTol, stuck: { iters: 5, ratio: 0.5 } };
  // One candidate: GN on Ω∖H from W's rank-k truncation, judged on fit and on H; the fit when it passes.
  const attempt = (rank: number, gap: number, remember: boolean): Factors | null => {
    tried.add(rank);
    // A rank that cannot fit stalls at a large residual: give up on it after abortAfter iterations above abortResidual.
    const giveUp = new AbortController();
    const g = gnmr(fit, {
      rank,
      variant: opts.variant,
      init: truncatedFactors(w, rank),
      maxIters: opts.maxIters,
      tol: opts.fitTol / 10,
      signal: giveUp.signal,
      onProgress: (it) => void (it.step >= opts.abortAfter && it.residual > opts.abortResidual && giveUp.abort()),
    });
    iterations += g.iterations;
    const holdoutError = relativeErrorOn(held, g);
    const accepted = g.residual <= opts.fitTol && holdoutError <= opts.holdoutTol;
    attempts.push({ rank, gap, fitResidual: g.residual, holdoutError, iterations: g.iterations, accepted });
    if (!accepted && remember) retry?.failedGap.set(rank, gap);
    return accepted ? g : null;
  };
  for (const { rank, gap } of fresh.slice(0, opts.maxCandidates)) {
    let g = attempt(rank, gap, true);
    if (!g) continue;
    let confirmed = rank;
    // The smallest rank that passes wins: a too-large candidate can pass both tests (its spare directions fit
    // entries of thin rows that H cannot probe), so the ranks below are tried too, downwards, until one fails. An
    // exact fit at rank j is one at every rank above j, so once rank k − 1 cannot fit, no smaller rank is expected
    // to: one failed attempt ends the search (a rank tried and failed at this look counts as failed).
    for (let k = rank - 1; k >= 1 && !tried.has(k); k--) {
      const lower = attempt(k, gapOf(w.s, k), false);
      if (!lower) break;
      g = lower;
      confirmed = k;
    }
    let final = gnmr(obs, { rank: confirmed, variant: opts.variant, init: g, ...refine });
    iterations += final.iterations;
    // When Ω determines the matrix a too-large rank converges to it with vanishing spare directions: the estimated
    // rank is the numerical rank of the fit (singular values > 1e-9·s₁), refit at that rank if it still fits Ω.
    const fitted = factorPairSvd(final.U, final.V);
    let numerical = 0;
    while (numerical < confirmed && fitted.s[numerical] > 1e-9 * fitted.s[0]) numerical++;
    if (numerical > 0 && numerical < confirmed) {
      const lower = gnmr(obs, {
        rank: numerical,
        variant: opts.variant,
        init: truncatedFactors(fitted, numerical),
        ...refine,
      });
      iterations += lower.iterations;
      if (lower.residual <= opts.fitTol) {
        final = lower;
        confirmed = numerical;
      }
    }
    return {
      accepted: true,
      rank: confirmed,
      gap: gapOf(w.s, confirmed),
      factors: final,
      residual: final.residual,
      iterations,
      attempts,
    };
  }
  return { accepted: false, iterations, attempts };
}

/** s_k / s_(k+1) of a spectrum (Infinity when s_(k+1) = 0). */
function gapOf(s: ArrayLike<number>, k: number): number {
  return s[k] > 0 ? s[k - 1] / s[k] : Infinity;
}

/** ||P_H(UVᵀ) − b_H|| / ||b_H||. */
function relativeErrorOn(held: Observations, f: Factors): number {
  const fit = sampledProduct(f.U, f.V, held);
  let num = 0;
  let den = 0;
  for (let t = 0; t < fit.length; t++) {
    num += (fit[t] - held.values[t]) ** 2;
    den += held.values[t] ** 2;
  }
  return den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
}
