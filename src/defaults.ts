// The one table of defaults: `mcomplete run`, `sweep`, `claims`, `complete`, the optimizer table and the web page read their
// defaults here, so that no two places can disagree. Plain values and two pure rules; imports only types. (The
// candidate grid of complete()'s tuning is in src/complete/grid.ts, next to the code that walks it.)
import type { PenaltyName } from './penalty/index.ts';

// ---- synthetic runs (`mcomplete run`, sweeps, the web page) -------------------------------------------------

/**
 * The default synthetic run: the headline method, depth-1 W + L∗/F + Adam, on the protocol's problem (n = 100,
 * rank 5, m = 2000; docs/design/protocols.md section 4).
 */
export const RUN_DEFAULTS = Object.freeze({
  n: 100,
  rank: 5,
  samples: 2000,
  seed: 0,
  depth: 1,
  penalty: 'ratio',
  lambda: 1e-4,
  optimizer: 'adam',
  lr: 1e-3,
  initScale: 1e-3,
  /** The iteration cap with a penalty: past the plateau of penalized depth-1 runs. */
  maxIters: 25000,
  tol: 0,
} as const);

/** Rank k of the factored model W = A·B^T when none is given (capped at n). */
export const FACTORED_RANK = 20;

/** `run` trains the dense (deep) model up to this many entries n·n2 and the factored one above (a dense SVD per step is O(n³)). */
export const DEEP_MODEL_MAX_ENTRIES = 500 * 500;

/** The iteration cap without a penalty, where train MSE ≤ 1e-6 stops the run (depth 3 needs 25–35k steps). */
export const UNPENALIZED_MAX_ITERS = 40000;

/**
 * The train-MSE stop rule's default: Arora et al.'s 1e-6 without a penalty; off (0) with one, because a penalized
 * depth-1 run fits Ω (train MSE ≈ 1e-8 at 8k steps on the default problem) long before it leaves its plateau.
 */
export function defaultTol(penalty: PenaltyName): number {
  return penalty === 'none' ? 1e-6 : 0;
}

/** The iteration cap's default: RUN_DEFAULTS.maxIters (25,000) with a penalty, UNPENALIZED_MAX_ITERS (40,000) without. */
export function defaultMaxIters(penalty: PenaltyName): number {
  return penalty === 'none' ? UNPENALIZED_MAX_ITERS : RUN_DEFAULTS.maxIters;
}

/** Settings of nuclear-norm minimization (ADMM) as a synthetic method. */
export const NUCLEAR_MIN_DEFAULTS = Object.freeze({
  /** Box half-width δ: |X_ij − M_ij| ≤ δ on Ω (0: exact equality; Arora et al. used 1e-3). */
  boxTol: 0,
  relTol: 1e-6,
  /** Near the recovery threshold (m = 2500 on the protocol) ADMM needs up to ~6400 iterations for 1e-6. */
  maxIters: 10000,
});

/** Settings of soft-impute along a λ path as a synthetic method (lambda null: the oracle choice on the path). */
export const SOFT_IMPUTE_DEFAULTS = Object.freeze({
  lambda: null,
  pathLength: 12,
  lambdaMinRatio: 1e-5,
  maxRank: null,
  relTol: 1e-6,
  /** Iteration cap for each λ. */
  maxIters: 1000,
});

/**
 * Most runs `mcomplete sweep` starts without `--max-runs N`: a spec's runs are counted (methods × sample counts ×
 * seeds) before it is expanded, so a spec of millions of runs is refused in a line instead of exhausting the heap.
 */
export const SWEEP_MAX_RUNS = 10_000;

/**
 * Settings of GNMR, the authors' (Zilber & Nadler 2022; pizilber/GNMR, GNMR_completion): the setting variant, 100
 * outer iterations, LSQR capped at 2000 iterations with tolerance 1e-15 (residual² below a residual of 1e-5), stop
 * at a relative residual of 1e-16. See src/solver/gnmr.ts.
 */
export const GNMR_DEFAULTS = Object.freeze({
  variant: 'setting',
  maxIters: 100,
  tol: 1e-16,
  lsqrTol: 1e-15,
  lsqrSmartBelow: 1e-5,
  lsqrMaxIters: 2000,
} as const);

/**
 * Settings of R2RILS (Bauch, Nadler & Zilber 2021; src/solver/r2rils.ts), the authors' SIMODS code's defaults: 50
 * iterations, LSQR capped at 4000 iterations with the "smart" tolerance min(1e-5, residual²), 1e-15 without it.
 */
export const R2RILS_DEFAULTS = Object.freeze({
  maxIters: 50,
  /** Stop when the rank-r projection's ||P_Ω(X) − b||/||b|| is at most this. */
  tol: 1e-14,
  lsqrTol: 1e-15,
  lsqrSmartTol: true,
  lsqrSmartMax: 1e-5,
  lsqrMaxIters: 4000,
} as const);

/** Settings of ScaledGD (Tong, Ma & Chi 2021) as a synthetic method: step size 0.5 (their analysis allows ≤ 2/3). */
export const SCALED_GD_DEFAULTS = Object.freeze({
  stepSize: 0.5,
  maxIters: 5000,
  tol: 1e-14,
});

/**
 * Settings of MatrixIRLS (src/solver/matrix-irls.ts): the authors' settings for their ICML 2021 benchmark
 * (experiments/utils/MC_samplecomp_experiment.m of ckuemmerle/MatrixIRLS over tools/getDefaultOpts_IRLS.m).
 */
export const MATRIX_IRLS_DEFAULTS = Object.freeze({
  /** Outer iterations (their N0 = 400); from the first iterate P_Ω*(y) it typically needs 10–30. */
  maxIters: 400,
  /** Stop when the relative residual on Ω of the rank-r estimate is at most this: 0, off (not theirs). */
  tol: 0,
  /** Stop when ||X^(k) − X^(k−1)||_F ≤ changeTol·||X^(k)||_F (their tol). */
  changeTol: 1e-9,
  /** Conjugate gradients: relative residual tolerance (their tol_CG) and iteration cap (their N0_inner). */
  cgTol: 1e-9,
  cgMaxIters: 500,
  /** Block Krylov steps of each partial SVD (their N_SVD). */
  svdIters: 20,
  /** Floor of the smoothing ε_k; reaching it stops the run (their epsmin). */
  epsMin: 1e-15,
});

/** Settings of alternating least squares (altmin) as a synthetic method (linear convergence: more sweeps). */
export const ALTMIN_DEFAULTS = Object.freeze({
  maxIters: 2000,
  tol: 1e-14,
});

/** The rank rule and Gauss–Newton finish of `--polish` (src/solver/polish.ts, docs/design/math.md 3.5d). */
export const POLISH_DEFAULTS = Object.freeze({
  /** Training steps between looks at the spectrum of W. */
  checkEvery: 500,
  /** A rank k is a candidate during training when s_k/s_(k+1) ≥ this (at the end of training: any gap). */
  gapThreshold: 1.0,
  /** A rank that failed is tried again only once its gap has grown by this factor. */
  retryGrowth: 1.5,
  /** Candidates tried per look, largest gap first. */
  maxCandidates: 4,
  /** Share of Ω held out to reject too-large ranks, and its floor in entries. */
  holdoutFraction: 0.05,
  minHoldout: 20,
  /** Accept: relative residual on Ω∖H ≤ fitTol and relative error on H ≤ holdoutTol. */
  fitTol: 1e-10,
  holdoutTol: 1e-6,
  /** Gauss–Newton iterations per candidate (a wrong rank fails fast); LSQR's settings are GNMR's own (GNMR_DEFAULTS). */
  maxIters: 10,
  /** The refinement on all of Ω stops at this relative residual, or once 5 iterations no longer halve it. */
  refineTol: 1e-15,
  /** The GNMR variant of the polish's Gauss–Newton runs (the kernel is gnmr's, with its LSQR settings). */
  variant: 'updating',
  /** A candidate whose residual on Ω∖H is still above abortResidual after abortAfter GN iterations is given up. */
  abortAfter: 4,
  abortResidual: 0.2,
  /** The greedy rank scan (when no gap is confirmed at the end): GN iterations per rank, and when a rank is left. */
  scanMaxIters: 100,
  scanStuck: Object.freeze({ iters: 5, ratio: 0.9 }),
  /** The scan's second run (the rank-k spectral start) is given more patience: its plateau can last 25 iterations. */
  scanSpectralStuck: Object.freeze({ iters: 10, ratio: 0.9 }),
});

// ---- optimizers ---------------------------------------------------------------------------------------------

/**
 * Hyperparameters of the named optimizers (only those each one uses; the learning rate has no default here, it
 * belongs to the run). rmsprop is Adam without its numerator: the same beta2 and eps, so the ablation differs only
 * by the numerator. group-rmsprop is Arora et al.'s default.
 */
export const OPTIMIZER_DEFAULTS = Object.freeze({
  sgd: Object.freeze({}),
  momentum: Object.freeze({ momentum: 0.9 }),
  adam: Object.freeze({ beta1: 0.9, beta2: 0.999, eps: 1e-8 }),
  rmsprop: Object.freeze({ beta2: 0.999, eps: 1e-8 }),
  adagrad: Object.freeze({ eps: 1e-10 }),
  'group-rmsprop': Object.freeze({ alpha: 0.99, eps: 1e-4 }),
  /** signSGD: no hyperparameter but the learning rate. */
  sign: Object.freeze({}),
  /** Normalized GD: eps guards a zero update. */
  'normalized-gd': Object.freeze({ eps: 1e-16 }),
  /** Adafactor's factored second moment with Adam's beta2 (constant, bias-corrected) so it differs only by the factoring. */
  adafactor: Object.freeze({ beta2: 0.999, eps: 1e-30 }),
  /** Muon: Nesterov momentum 0.95 (Jordan et al.'s default), then the polar factor by an exact SVD. */
  muon: Object.freeze({ momentum: 0.95 }),
  /** AdamW: Adam's moments, decoupled weight decay 1e-4 (optax.adamw's default). */
  adamw: Object.freeze({ beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-4 }),
  /** Adam whose second moment freezes after 1000 steps (the first 4% of a 25,000-step penalized run). */
  'adam-frozen': Object.freeze({ beta1: 0.9, beta2: 0.999, eps: 1e-8, freezeAfter: 1000 }),
});

// ---- the web page -------------------------------------------------------------------------------------------

/** The page's own problem and cap (small enough to train live in a browser); its methods start from RUN_DEFAULTS. */
export const WEB_DEFAULTS = Object.freeze({
  n: 30,
  rank: 2,
  /** Fraction of the n² entries observed. */
  fraction: 0.3,
  maxSteps: 20000,
  /** The second run: gradient descent with the same penalty, at the learning rate that works best for it. */
  sgdLr: 100,
});

// ---- real-data completion (`complete()`, `mcomplete complete`) ---------------------------------------------
/** The settings complete() uses for every option left out (the CLI's flags default to these too). */
export const COMPLETE_DEFAULTS = {
  /** Compare the AUTO_METHODS on validation. */
  method: 'auto',
  /** Fit mean + row + column biases first and complete the residual. */
  center: true,
  /** Clamp predictions to the observed value range. */
  clip: true,
  /** Share of the observed entries held out to choose the settings. */
  validation: 0.1,
  /** Seed of the validation split and of every random start. */
  seed: 0,
  /** Candidate ridge weights of the biases. */
  biasLambdas: [0, 1, 2, 5, 10, 20, 50] as readonly number[],
  /** Gradient methods: step cap (the number of steps itself is chosen on validation). */
  maxSteps: 1500,
  /** Gradient methods: Adam's learning rate. */
  lr: 1e-2,
  /** Gradient methods: initial entry RMS of W. */
  initScale: 1e-2,
  /** ratio: weight μ of the extra μ·||W||_* term. */
  nuclearWeight: 0,
  /**
   * ratio: candidate weight decays ω of the factors, as fractions of the mean square of the fit's residual (after the
   * biases), plus ω = 0 (complete.md, "How settings are chosen").
   */
  ratioWeightDecayFractions: [0, 0.2] as readonly number[],
  /**
   * ratio: the same for the candidates with weighting 'none' (the unweighted decay Σ||A_i||²/m + Σ||B_j||²/n needs
   * about three times the frequency-weighted ω on MovieLens; docs/complete.md).
   */
  ratioUnweightedDecayFractions: [0.5, 0.6, 0.7] as readonly number[],
  /** nuclear: candidate weight decays ω (none: the nuclear norm is its magnitude control). */
  nuclearWeightDecays: [0] as readonly number[],
  /** ratio: candidate weightings of the penalties (the weighted trace norm's sampling frequencies, or none). */
  ratioWeightings: ['frequency', 'none'] as readonly ('frequency' | 'none')[],
  /** nuclear: candidate weightings. */
  nuclearWeightings: ['none'] as readonly ('frequency' | 'none')[],
  /** Gradient methods: the weight decay acts as a loss term ('loss') or decoupled, AdamW style ('decoupled'). */
  decay: 'loss' as 'loss' | 'decoupled',
  /** Gradient methods: evaluate on validation every this many steps. */
  evalEvery: 25,
  /** Gradient methods: stop after this many evaluations without a gain. */
  patience: 8,
  /**
   * Gradient methods: planned work (Σ candidates × steps × |Ω_fit| × rank) of the default search above which its ω
   * and weighting lists are shortened; MovieLens latest-small's full grid plans ~7.7e9, the 10^6-rating scale problem's 8.3e10.
   */
  searchBudget: 1e10,
} as const;

/** The soft-impute-ALS inner loop of complete(): iteration caps while tuning and when refitting, and its stop rule. */
export const COMPLETE_SOFT_IMPUTE_ALS = Object.freeze({
  /** Iteration cap for each λ of the tuning path (warm-started from the previous λ). */
  tuneMaxIters: 100,
  /** Iteration cap of the refit on all observed entries. */
  refitMaxIters: 200,
  /** Stop when the relative change of the iterate falls below this. */
  tol: 1e-5,
});

/** Defaults of `mcomplete complete` that the library call does not have (they concern files, not the model). */
export const COMPLETE_COMMAND_DEFAULTS = Object.freeze({
  /** Observed cells keep their observed value in the outputs (the library's predictor: `{ keepObserved: true }`). */
  keepObserved: true,
  /** A (row, col) pair observed twice is an error (`--duplicates mean|last` to combine them). */
  duplicates: 'error',
} as const);

/** What the completion report (`complete --report page.html`) shows of the fitted model's top-N lists. */
export const COMPLETE_REPORT_DEFAULTS = Object.freeze({
  /** The first this many users (in id order) get their lists shown. */
  topNUsers: 3,
  /** Items per list. */
  topN: 10,
  /** The second list of each user keeps only items with at least this many training ratings. */
  topNMinSupport: 20,
});

/** Defaults of crossValidate() and `mcomplete evaluate` (docs/complete.md, "Evaluate"). */
export const EVALUATE_DEFAULTS = Object.freeze({
  /** Folds: every rating is in the test part of exactly one. */
  folds: 5,
  /** Seed of the fold assignment and of every fit's validation split and random starts. */
  seed: 0,
  /** The methods compared: complete()'s auto and the biases-only baseline. */
  methods: Object.freeze(['auto', 'biases'] as const),
  /** Length of each user's list for precision@k, recall@k, NDCG@k and MAP@k. */
  k: 10,
  /** Without a threshold, a held-out rating is relevant at or above lo + thresholdShare·(hi − lo) (4 on 1–5). */
  thresholdShare: 0.75,
  /** Items with fewer training ratings in the fold are not ranked (0: every item). */
  minSupport: 0,
});

/** Every default of the project in one table: runs, baselines, optimizers, the web page and real-data completion. */
export const DEFAULTS = Object.freeze({
  run: RUN_DEFAULTS,
  factoredRank: FACTORED_RANK,
  unpenalizedMaxIters: UNPENALIZED_MAX_ITERS,
  nuclearMin: NUCLEAR_MIN_DEFAULTS,
  softImpute: SOFT_IMPUTE_DEFAULTS,
  gnmr: GNMR_DEFAULTS,
  r2rils: R2RILS_DEFAULTS,
  polish: POLISH_DEFAULTS,
  altmin: ALTMIN_DEFAULTS,
  scaledGd: SCALED_GD_DEFAULTS,
  matrixIrls: MATRIX_IRLS_DEFAULTS,
  optimizers: OPTIMIZER_DEFAULTS,
  web: WEB_DEFAULTS,
  complete: COMPLETE_DEFAULTS,
  completeSoftImputeAls: COMPLETE_SOFT_IMPUTE_ALS,
  completeCommand: COMPLETE_COMMAND_DEFAULTS,
  completeReport: COMPLETE_REPORT_DEFAULTS,
  evaluate: EVALUATE_DEFAULTS,
});
