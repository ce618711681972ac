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
  maxSteps: 2000,
  /** Gradient methods: Adam's learning rate. */
  lr: 1e-3,
  /** Gradient methods: initial entry RMS of W. */
  initScale: 1e-3,
  /** ratio: weight μ of the extra μ·||W||_* term. */
  nuclearWeight: 0,
  /** Gradient methods: evaluate on validation every this many steps. */
  evalEvery: 25,
  /** Gradient methods: stop after this many evaluations without a gain. */
  patience: 8,
} as const;
