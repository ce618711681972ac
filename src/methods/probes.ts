// Checkpoint probes: measurements of a gradient run's iterate W that a sweep records at its checkpoints beside the
// step, the relative error and the spectrum. Each is a module-level object named by the sweeps that ask for it
// (SweepSpec.probes, SweepSpec.recordTailStep); the executor (src/sweep/execute.ts) runs the ones its task names and
// knows none of them. Browser-safe, and free of the studies, so that every worker thread has them all.
import { dot, frobeniusNorm, scaleMatrix, zeros, type Matrix } from '../linalg/matrix.ts';
import { getBackend, type Backend } from '../linalg/backend.ts';
import type { SVD } from '../linalg/svd.ts';
import { penalty } from '../penalty/index.ts';
import { svdOn } from './method.ts';
import type { RunSettings } from './run.ts';

/** What a probe sees of a gradient run at a checkpoint. */
export interface ProbeSite {
  /** The run's settings. */
  settings: RunSettings;
  /** The end-to-end matrix W at the checkpoint (read only). */
  W: Matrix;
  /** The thin SVD of W. */
  svd: SVD;
  /** The backend the run's SVDs go to. */
  backend: Backend;
  /** For a probe with `nextStep`: W after the one update that follows the checkpoint. */
  next?: Matrix;
}

/** One measurement a sweep can record at the checkpoints of its gradient runs. */
export interface CheckpointProbe {
  /** The name a sweep asks for it by. */
  readonly name: string;
  /** One line: what it measures and which Checkpoint fields it writes. */
  readonly doc: string;
  /** Whether it measures a run with these settings (a gradient run). */
  applies(settings: RunSettings): boolean;
  /**
   * Measures the update after the checkpoint: the run then reports progress every step, and measure gets `next`,
   * W one update later (absent when the run ended at the checkpoint; then the fields are not written).
   */
  readonly nextStep?: boolean;
  /** The fields this probe adds to the checkpoint. */
  measure(site: ProbeSite): Record<string, number>;
}

/** The fields the built-in probes add to a Checkpoint (each present only when its probe ran). */
export interface ProbeFields {
  /**
   * The invariance probe, L∗/F only: max over c ∈ INVARIANCE_SCALES of |R(cW) − R(W)|, each R from its own SVD
   * (scale invariance, docs/design/math.md 3.2).
   */
  scaleGap?: number;
  /** The invariance probe, L∗/F only: |⟨∇R(W), W⟩| / (||∇R(W)||_F ||W||_F), which is 0 in exact arithmetic. */
  gradCosine?: number;
  /**
   * The tail-step probe (the optimizer atlas): ||P⊥ ΔW P⊥||_F / ||ΔW||_F for the update ΔW of the end-to-end matrix
   * at this step, P⊥ the projectors off the top-r left and right singular vectors of W (r the true rank): the share
   * of the step that moves the tail of the spectrum (tailStepShare).
   */
  tailStep?: number;
}

/** The scales c of the invariance check R(cW) = R(W). */
export const INVARIANCE_SCALES = [1e-3, 0.5, 7, 1e3] as const;

/** Claim 5's check that L∗/F is scale invariant and its gradient orthogonal to W, on every L∗/F run. */
export const INVARIANCE_PROBE: CheckpointProbe = {
  name: 'invariance',
  doc: 'L∗/F runs: scaleGap and gradCosine, the two invariances of R = L∗/F at W (ratioInvariance)',
  applies: (s) => 'penalty' in s && s.penalty === 'ratio',
  measure: ({ W, svd, backend }) => ratioInvariance(W, svd, backend),
};

/** The atlas's share of each checkpoint's next update that moves the tail of W's spectrum. */
export const TAIL_STEP_PROBE: CheckpointProbe = {
  name: 'tail-step',
  doc: "tailStep: the share of the update after the checkpoint outside W's top-r singular subspaces (tailStepShare)",
  applies: () => true,
  nextStep: true,
  measure: ({ W, svd, settings, next }) => ({
    tailStep: tailStepShare(W, next!, leadingColumns(svd.U, settings.rank), leadingColumns(svd.V, settings.rank)),
  }),
};

/** The probes a task can name, by name: the built-ins, and any added in this thread by registerProbe. */
const PROBES = new Map<string, CheckpointProbe>([INVARIANCE_PROBE, TAIL_STEP_PROBE].map((p) => [p.name, p]));

/**
 * Add a probe in this thread (a study's own, or a test's). A pooled sweep's workers know only the built-ins of this
 * file, which every worker loads: a probe for such sweeps belongs here. Throws if the name is taken by another probe.
 */
export function registerProbe(probe: CheckpointProbe): void {
  const known = PROBES.get(probe.name);
  if (known && known !== probe) throw new Error(`a checkpoint probe named "${probe.name}" is already registered`);
  PROBES.set(probe.name, probe);
}

/** The probe of this name; throws naming the known ones when there is none. */
export function probeNamed(name: string): CheckpointProbe {
  const probe = PROBES.get(name);
  if (!probe) throw new Error(`unknown checkpoint probe "${name}" (known: ${[...PROBES.keys()].join(', ')})`);
  return probe;
}

/**
 * The two invariances of R = L∗/F at W (docs/design/math.md 3.2): scaleGap = max_c |R(cW) − R(W)| over
 * INVARIANCE_SCALES, each R(cW) from its own SVD of cW; gradCosine = |⟨∇R, W⟩|/(||∇R||_F ||W||_F). Cost: |scales|
 * SVDs on `backend` (default getBackend()), plus one for W unless its SVD is given.
 */
export function ratioInvariance(
  W: Matrix,
  svdW?: SVD,
  backend: Backend = getBackend(),
): { scaleGap: number; gradCosine: number } {
  const grad = zeros(W.rows, W.cols);
  const r0 = penalty('ratio', W, svdW ?? svdOn(W, backend), { gradOut: grad });
  let scaleGap = 0;
  for (const c of INVARIANCE_SCALES) {
    const cW = scaleMatrix(W, c);
    scaleGap = Math.max(scaleGap, Math.abs(penalty('ratio', cW, svdOn(cW, backend)) - r0));
  }
  const denom = frobeniusNorm(grad) * frobeniusNorm(W);
  return { scaleGap, gradCosine: denom === 0 ? 0 : Math.abs(dot(grad, W)) / denom };
}

/**
 * ||(I − UUᵀ)(W1 − W0)(I − VVᵀ)||_F / ||W1 − W0||_F: the share of the step W0 → W1 outside the column and row
 * spaces of U and V (orthonormal columns), i.e. the part that changes W0's tail singular values to first order
 * (0 when the step has no update). Cost O(rows·cols·r).
 */
export function tailStepShare(W0: Matrix, W1: Matrix, U: Matrix, V: Matrix): number {
  const { rows, cols } = W0;
  const r = U.cols;
  const D = new Float64Array(rows * cols);
  let total = 0;
  for (let i = 0; i < D.length; i++) {
    D[i] = W1.data[i] - W0.data[i];
    total += D[i] * D[i];
  }
  if (total === 0) return 0;
  // D ← D − U(UᵀD), then D ← D − (DV)Vᵀ.
  const t = new Float64Array(Math.max(r, 1) * Math.max(rows, cols));
  for (let l = 0; l < r; l++) {
    for (let j = 0; j < cols; j++) {
      let sum = 0;
      for (let i = 0; i < rows; i++) sum += U.data[i * r + l] * D[i * cols + j];
      t[l * cols + j] = sum;
    }
  }
  for (let i = 0; i < rows; i++)
    for (let l = 0; l < r; l++) for (let j = 0; j < cols; j++) D[i * cols + j] -= U.data[i * r + l] * t[l * cols + j];
  for (let i = 0; i < rows; i++) {
    for (let l = 0; l < r; l++) {
      let sum = 0;
      for (let j = 0; j < cols; j++) sum += D[i * cols + j] * V.data[j * r + l];
      t[l] = sum;
    }
    for (let l = 0; l < r; l++) for (let j = 0; j < cols; j++) D[i * cols + j] -= t[l] * V.data[j * r + l];
  }
  let outside = 0;
  for (let i = 0; i < D.length; i++) outside += D[i] * D[i];
  return Math.sqrt(outside / total);
}

/** The first min(k, cols) columns of A, as a new matrix. */
function leadingColumns(A: Matrix, k: number): Matrix {
  const c = Math.min(k, A.cols);
  const out = zeros(A.rows, c);
  for (let i = 0; i < A.rows; i++) for (let l = 0; l < c; l++) out.data[i * c + l] = A.data[i * A.cols + l];
  return out;
}
