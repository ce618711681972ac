// `--polish` for gradient runs: train, look at the spectrum of W every POLISH_DEFAULTS.checkEvery steps, and as
// soon as a candidate rank is confirmed by solver/polish.ts stop training and finish by Gauss–Newton on Ω; at the
// end of training try once more with any gap, then the greedy rank scan. The result is measured on the polished factors when a rank was
// confirmed, on the trained W otherwise (with a warning).
import type { Observations } from '../data/observations.ts';
import { rankWarning } from '../data/identifiable.ts';
import { POLISH_DEFAULTS } from '../defaults.ts';
import type { Factors } from '../solver/factors.ts';
import { polish, type PolishAttempt } from '../solver/polish.ts';
import type { ThinSvd } from '../solver/factors.ts';
import type { SteppedRun, StopReason } from '../solver/loop.ts';
import type { RunStatus, SyntheticRun } from './method.ts';

/** What `--polish` reports (part of a gradient run's result). */
export interface PolishReport {
  /** The confirmed rank; null when no candidate was confirmed. */
  estimatedRank: number | null;
  /** s_r/s_(r+1) of W at the accepted look (null when none). */
  gap: number | null;
  /** Gauss–Newton iterations over every attempt and the final refinement. */
  polishIterations: number;
  /** relError of the trained W at the accepted look (or at the end). */
  relErrorBefore: number;
  /** relError of the returned matrix. */
  relErrorAfter: number;
  /** Training steps when the rank was confirmed (or when training ended). */
  step: number;
  /** Looks at the spectrum that tried at least one candidate. */
  looks: number;
  /** Every candidate tried, in order. */
  attempts: (PolishAttempt & { step: number })[];
  /** Seconds spent in the polish (spectra and Gauss–Newton), part of the run's seconds (wall time from the start). */
  seconds: number;
}

/** The result fields a polished run adds. */
export interface Polished {
  polish: PolishReport;
  warning?: string;
}

/** What polishedRun needs to know about the trainer T's results. */
export interface PolishContext<T, R> {
  observations: Observations;
  seed: number;
  /** The thin SVD of the trained W (deep: a full SVD; factored: from the factors). */
  spectrum(result: T): ThinSvd;
  relErrorOf(result: T): number;
  /** The run's result from the trained model, or (factors given) from the polished factors. */
  measure(result: T, factors: Factors | null, stopReason: StopReason): R;
  liveW(result: T): RunStatus['W'];
}

/** A trainer whose run ends with the polish (see the top of this file). */
export function polishedRun<
  T extends { iterations: number; stopReason: StopReason },
  R extends { relError: number; seconds: number },
>(trainer: SteppedRun<T>, ctx: PolishContext<T, R>): SyntheticRun<R & Polished> {
  const opts = { ...POLISH_DEFAULTS, seed: ctx.seed };
  const retry = { failedGap: new Map<number, number>(), growth: POLISH_DEFAULTS.retryGrowth };
  const attempts: PolishReport['attempts'] = [];
  let seconds = 0;
  // The trainer's clock stops when training does: the last look comes after it and is added to the run's seconds.
  let finalLookSeconds = 0;
  let iterations = 0;
  let looks = 0;
  let accepted: { factors: Factors; rank: number; gap: number; step: number; before: number } | null = null;
  let finished = false;
  let trainerStopped = false;
  let lastBefore = NaN;
  let stepsDone = 0;

  const look = (final: boolean): void => {
    const start = performance.now();
    const r = trainer.result();
    const w = ctx.spectrum(r);
    const out = polish(
      ctx.observations,
      w,
      { ...opts, gapThreshold: final ? 1 : opts.gapThreshold, scan: final },
      final ? undefined : retry,
    );
    iterations += out.iterations;
    if (out.attempts.length > 0) looks++;
    for (const a of out.attempts) attempts.push({ ...a, step: r.iterations });
    if (out.accepted || final) lastBefore = ctx.relErrorOf(r);
    if (out.accepted) {
      accepted = {
        factors: out.factors as Factors,
        rank: out.rank as number,
        gap: out.gap as number,
        step: r.iterations,
        before: lastBefore,
      };
    }
    const spent = (performance.now() - start) / 1000;
    seconds += spent;
    if (final) finalLookSeconds = spent;
  };

  return {
    advance(steps) {
      let left = steps;
      while (!finished && left > 0) {
        // trainer.result() forms W (O(n²)–O(n³)): count the steps here instead of asking it.
        const chunk = Math.min(left, opts.checkEvery - (stepsDone % opts.checkEvery));
        trainerStopped = trainer.advance(chunk);
        left -= chunk;
        stepsDone += chunk;
        if (trainerStopped) {
          // Interrupted runs are not polished: Ctrl-C means stop now.
          if (trainer.result().stopReason !== 'interrupted') look(true);
          finished = true;
        } else if (stepsDone % opts.checkEvery === 0) {
          look(false);
          if (accepted) finished = true;
        }
      }
      return finished;
    },
    result() {
      const r = trainer.result();
      const a = accepted as { factors: Factors; rank: number; gap: number; step: number; before: number } | null;
      const stopReason: StopReason = a && !trainerStopped ? 'polished' : r.stopReason;
      const measured = ctx.measure(r, a?.factors ?? null, stopReason);
      const before = a ? a.before : Number.isNaN(lastBefore) ? ctx.relErrorOf(r) : lastBefore;
      const report: PolishReport = {
        estimatedRank: a?.rank ?? null,
        gap: a?.gap ?? null,
        polishIterations: iterations,
        relErrorBefore: before,
        relErrorAfter: measured.relError,
        step: a?.step ?? r.iterations,
        looks,
        attempts,
        seconds,
      };
      const interrupted = r.stopReason === 'interrupted';
      // A confirmed rank the mask cannot support (thin rows or columns, too few entries) fits Ω without being
      // determined by it: say so rather than report a silent success.
      const warning = a
        ? unsupportedRankWarning(ctx.observations, a.rank)
        : !finished
          ? undefined
          : interrupted
            ? 'polish: interrupted before a rank was confirmed; the result is the trained W'
            : 'polish: no candidate rank was confirmed (fit on Ω and held-out entries); the result is the trained W';
      return {
        ...measured,
        seconds: measured.seconds + finalLookSeconds,
        polish: report,
        ...(warning ? { warning } : {}),
      };
    },
    status: (): RunStatus => {
      const r = trainer.result();
      return {
        iterations: r.iterations,
        stopReason: finished ? (accepted && !trainerStopped ? 'polished' : r.stopReason) : null,
        W: ctx.liveW(r),
      };
    },
  };
}

/** The polish's warning when the mask cannot support its confirmed rank (rankWarning), else undefined. */
function unsupportedRankWarning(obs: Observations, rank: number): string | undefined {
  const w = rankWarning(obs, rank, 'estimated rank');
  return w === undefined
    ? undefined
    : `polish: estimated rank ${rank}: ${w}; the polished fit is not determined by the data`;
}
