import { zeros, type Matrix } from '../linalg/matrix.ts';
import type { Observations } from '../data/observations.ts';
import { softImputeAls, type SoftImputeAlsState } from '../solver/soft-impute-als.ts';
import { COMPLETE_SOFT_IMPUTE_ALS } from '../defaults.ts';
import { fitGradient, type DecayMode } from './factored-fit.ts';
import { fmt, scaleColumns, type CompleteProgress, type Trial } from './tune.ts';

/** The final fit on all observed entries: λ as rescaled for the larger data set, and its train RMSE. */
export interface RefitSummary {
  lambda: number;
  steps?: number;
  iterations?: number;
  solutionRank?: number;
  trainRMSE: number;
}

/** Settings of the refit the tuning did not choose: those of the gradient methods, and the seed. */
export interface RefitSettings {
  seed: number;
  lr: number;
  initScale: number;
  /** ratio: μ of the extra μ·||W||_* term, as tuned (the refit rescales it). */
  nuclearWeight: number;
  /** How the chosen weight decay acts (loss term or decoupled). */
  decay: DecayMode;
}

/**
 * Refits the chosen setting on the residual of all observed entries (`resid`, |Ω| = count; tuning saw fitCount):
 * returns the low-rank part L·R^T (k may be 0) and the refit's summary, its trainRMSE left NaN for the caller.
 * λ is rescaled for the larger set: soft-impute's λ of ½||P_Ω(M − Z)||² + λ||Z||_* grows like sqrt(|Ω|) at a fixed
 * noise level, the mean-squared-error form of the nuclear one shrinks like 1/sqrt(|Ω|), and L∗/F is scale-free.
 * soft-impute starts from the tuning's ALS state. Cost: one softImputeAls or one fitGradient.
 */
export function refit(
  resid: Observations,
  chosen: Trial,
  softImputeState: SoftImputeAlsState | null,
  fitCount: number,
  settings: RefitSettings,
  progress: (event: CompleteProgress) => void,
): { L: Matrix; R: Matrix; summary: RefitSummary; notes: string[] } {
  const [m, n] = resid.shape;
  const grow = Math.sqrt(resid.values.length / fitCount);
  const notes: string[] = [];
  if (chosen.method === 'soft-impute') {
    const lambda = chosen.lambda * grow;
    if (chosen.solutionRank === 0 || softImputeState === null) {
      return {
        L: zeros(m, 0),
        R: zeros(n, 0),
        summary: { lambda, iterations: 0, solutionRank: 0, trainRMSE: NaN },
        notes,
      };
    }
    const r = softImputeAls(resid, lambda, {
      rank: chosen.rank,
      maxIters: COMPLETE_SOFT_IMPUTE_ALS.refitMaxIters,
      squaredChangeTol: COMPLETE_SOFT_IMPUTE_ALS.tol,
      seed: settings.seed,
      warmStart: softImputeState,
      onProgress: ({ step, change }) =>
        progress({
          phase: 'fitting',
          done: step,
          total: COMPLETE_SOFT_IMPUTE_ALS.refitMaxIters,
          info: `soft-impute λ ${fmt(lambda)}, change ${change.toExponential(1)}`,
        }),
    });
    if (r.rank === chosen.rank)
      notes.push(`soft-impute: the solution uses the whole rank cap ${chosen.rank}; a larger rank might do better`);
    return {
      L: scaleColumns(r.U, r.s),
      R: r.V,
      summary: { lambda, iterations: r.iterations, solutionRank: r.rank, trainRMSE: NaN },
      notes,
    };
  }
  const method = chosen.method;
  const lambda = method === 'nuclear' ? chosen.lambda / grow : chosen.lambda;
  const steps = chosen.steps ?? 0;
  const r = fitGradient(
    resid,
    {
      method,
      rank: chosen.rank,
      lambda,
      nuclearWeight: method === 'ratio' ? settings.nuclearWeight / grow : 0,
      // ω multiplies Σ p_i||A_i||² next to the mean loss: both are averages, so ω keeps its meaning on more data.
      weightDecay: chosen.weightDecay ?? 0,
      weighting: chosen.weighting ?? 'none',
      decay: settings.decay,
      lr: settings.lr,
      initScale: settings.initScale,
      seed: settings.seed,
      steps,
    },
    {
      progressEvery: 1,
      onProgress: ({ step, trainMSE }) =>
        progress({
          phase: 'fitting',
          done: step,
          total: steps,
          info: `${method} rank ${chosen.rank}, train RMSE ${Math.sqrt(trainMSE).toFixed(4)}`,
        }),
    },
  );
  return { L: r.model.A, R: r.model.B, summary: { lambda, steps, trainRMSE: NaN }, notes };
}

/** A refit of one chosen setting (refit's arguments): a job that depends on its fields alone. */
export interface RefitJob {
  kind: 'refit';
  resid: Observations;
  chosen: Trial;
  softImputeState: SoftImputeAlsState | null;
  fitCount: number;
  settings: RefitSettings;
  /** Where progress goes (on the thread that made the job; a job run elsewhere reports none). */
  progress?: (event: CompleteProgress) => void;
}

/** A refit job's result: refit's. */
export type RefitJobResult = { kind: 'refit' } & ReturnType<typeof refit>;

/** The plain fields of the refit's settings (what a job carries to another thread). */
export function refitSettingsOf(s: RefitSettings): RefitSettings {
  const { seed, lr, initScale, nuclearWeight, decay } = s;
  return { seed, lr, initScale, nuclearWeight, decay };
}

/** Runs a refit job (refit). */
export function runRefitJob(job: RefitJob): RefitJobResult {
  const progress = job.progress ?? ((): void => {});
  return { kind: 'refit', ...refit(job.resid, job.chosen, job.softImputeState, job.fitCount, job.settings, progress) };
}
