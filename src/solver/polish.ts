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
//
// When no gap is confirmed and `scan` is set, the greedy rank scan (rankScan, math.md 3.5f) runs on all of Ω: rank 1
// from the top singular pair of P_Ω(X)/p, then each rank k + 1 from the rank-k Gauss–Newton fit plus the top pair
// of its residual, until a rank fits Ω to fitTol. It needs no gap in any spectrum.
import type { Observations } from '../data/observations.ts';
import { zeros, type Matrix } from '../linalg/matrix.ts';
import { sparseTopSvd } from '../linalg/sparse.ts';
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
  /** When no gap candidate is confirmed, run the greedy rank scan (rankScan) on all of Ω. Default off. */
  scan?: boolean;
  /** Gauss–Newton iterations per rank of the scan. */
  scanMaxIters: number;
  /**
   * The scan leaves a rank once stuck: every scanStuck.iters iterations (from 3·iters on), the lowest linearized
   * residual of the last iters iterations is above scanStuck.ratio times the lowest of the iters before.
   */
  scanStuck: { iters: number; ratio: number };
  /** The stuck rule of the scan's second run at a rank (from the rank-k spectral start of P_Ω(X)/p). */
  scanSpectralStuck: { iters: number; ratio: number };
}

/** One candidate rank the polish tried. */
export interface PolishAttempt {
  rank: number;
  /** s_rank / s_(rank+1) of W. */
  gap: number;
  /** GN's relative residual on Ω∖H (on all of Ω for a scan attempt). */
  fitResidual: number;
  /** ||P_H(UVᵀ) − P_H(X)|| / ||P_H(X)|| (NaN, null in JSON, for a scan attempt: the scan holds nothing out). */
  holdoutError: number;
  /** 'scan' (greedy start) or 'scan-spectral' (spectral start) for an attempt of the rank scan; absent for a gap candidate. */
  rule?: 'scan' | 'scan-spectral';
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
  // Refine a confirmed rank's fit by GN on all of Ω. When Ω determines the matrix a too-large rank converges to it
  // with vanishing spare directions: the estimated rank is the numerical rank of the fit (singular values
  // > 1e-9·s₁), refit at that rank if it still fits Ω.
  const finish = (rank: number, start: Factors): PolishResult => {
    let confirmed = rank;
    let final = gnmr(obs, { rank: confirmed, variant: opts.variant, init: start, ...refine });
    iterations += final.iterations;
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
    return finish(confirmed, g);
  }
  if (opts.scan) {
    const scanned = rankScan(obs, { ...opts, maxRank }, w, attempts);
    iterations += scanned.iterations;
    if (scanned.factors) return finish(scanned.rank, scanned.factors);
  }
  return { accepted: false, iterations, attempts };
}

/** What rankScan returns: the smallest rank whose Gauss–Newton fit reached fitTol on Ω, or none. */
export interface RankScanResult {
  rank: number;
  /** The fit at that rank (absent when no rank up to maxRank fitted). */
  factors?: Factors;
  iterations: number;
}

/**
 * The greedy rank scan (math.md 3.5f): Gauss–Newton on all of Ω at rank 1, 2, … up to opts.maxRank, rank 1 from the
 * top singular pair of P_Ω(X)/p, rank k + 1 from the rank-k fit with the top pair of its residual P_Ω(X − UVᵀ)/p
 * appended, and when that run does not fit, a second one from the rank-k spectral start of P_Ω(X)/p; a run is
 * left once stuck (scanStuck; the second run scanSpectralStuck) or after scanMaxIters iterations, and the first rank whose fit reaches fitTol is returned. Below the true rank no fit exists (fewer unknowns than equations), so the ranks below
 * stall at their floors within a few iterations; the warm start puts the true rank's run near its solution. Each
 * rank's attempt is appended to `attempts` (with W's gap at that rank, for the record). Cost per rank: its GN
 * iterations, O(|Ω|·k) per LSQR step, plus one top pair of a sparse matrix.
 */
export function rankScan(
  obs: Observations,
  opts: Pick<PolishOptions, 'fitTol' | 'scanMaxIters' | 'scanStuck' | 'scanSpectralStuck' | 'seed'> & {
    maxRank: number;
  },
  w: ThinSvd,
  attempts: PolishAttempt[],
): RankScanResult {
  const [n1, n2] = obs.shape;
  const p = obs.values.length / (n1 * n2);
  let iterations = 0;
  let start: Factors | null = null;
  let spectral: ThinSvd | null = null;
  // One Gauss–Newton run at rank k from `init`, recorded; the fit when it reaches fitTol.
  const tryRank = (k: number, init: Factors, rule: 'scan' | 'scan-spectral') => {
    const g = gnmr(obs, {
      rank: k,
      variant: 'setting',
      init,
      maxIters: opts.scanMaxIters,
      tol: opts.fitTol / 10,
      stuck: rule === 'scan' ? opts.scanStuck : opts.scanSpectralStuck,
    });
    iterations += g.iterations;
    const fits = g.residual <= opts.fitTol;
    attempts.push({
      rank: k,
      gap: gapOf(w.s, k),
      fitResidual: g.residual,
      holdoutError: NaN,
      iterations: g.iterations,
      accepted: fits,
      rule,
    });
    return { g, fits };
  };
  for (let k = 1; k <= opts.maxRank; k++) {
    const base = start === null ? null : sampledProduct(start.U, start.V, obs);
    // The start's precision matters little (GN corrects it): a loose tolerance keeps the pair cheap on flat spectra.
    const top = sparseTopSvd({ ...obs, values: obs.values.map((v, t) => (v - (base === null ? 0 : base[t])) / p) }, 1, {
      seed: opts.seed + k,
      tol: 1e-8,
      maxIters: 300,
    });
    const init: Factors =
      start === null
        ? truncatedFactors(top, 1)
        : {
            U: appendColumn(start.U, top.U, Math.sqrt(top.s[0])),
            V: appendColumn(start.V, top.V, Math.sqrt(top.s[0])),
          };
    const greedy = tryRank(k, init, 'scan');
    if (greedy.fits) return { rank: k, factors: greedy.g, iterations };
    // A second chance from the rank-k spectral start of P_Ω(X)/p (gnmr's own): with equal singular values (κ = 1)
    // the lower ranks' fits are not unique, and a greedy start built on them can stall at the true rank.
    if (k > 1) {
      spectral ??= sparseTopSvd({ ...obs, values: obs.values.map((v) => v / p) }, opts.maxRank, { seed: opts.seed });
      const second = tryRank(k, truncatedFactors(spectral, k), 'scan-spectral');
      if (second.fits) return { rank: k, factors: second.g, iterations };
    }
    start = greedy.g;
  }
  return { rank: 0, iterations };
}

/** [A, c·x]: A (n×k) with the first column of x times c appended. */
function appendColumn(A: Matrix, x: Matrix, c: number): Matrix {
  const k = A.cols;
  const out = zeros(A.rows, k + 1);
  for (let i = 0; i < A.rows; i++) {
    for (let j = 0; j < k; j++) out.data[i * (k + 1) + j] = A.data[i * k + j];
    out.data[i * (k + 1) + k] = x.data[i * x.cols] * c;
  }
  return out;
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
