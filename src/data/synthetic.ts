import { gemm, frobeniusNorm, type Matrix } from '../linalg/matrix.ts';
import { qr } from '../linalg/qr.ts';
import { deriveRng, fillNormal, type Rng } from '../random/index.ts';
import { observeAt, type Observations } from './observations.ts';

/** What fixes a synthetic completion problem (docs/design/protocols.md section 4). */
export interface SyntheticSpec {
  /** Rows n₁ of the matrix (and its columns when n2 is absent: n×n). */
  n: number;
  /** Columns n₂; absent: n (a square problem, as before n2 existed). */
  n2?: number;
  /** Rank of the ground truth. */
  rank: number;
  /** Number of observed entries |Ω| (distinct, uniformly without replacement). */
  samples: number;
  /**
   * The oversampling ρ that `samples` was set from, samples = round(ρ·r(n₁ + n₂ − r)) (samplesForRho); recorded with
   * the settings when given, never read by the generator.
   */
  rho?: number;
  /** One seed fixes the ground truth and the mask. */
  seed: number;
  /**
   * The condition number κ ≥ 1 of the truth: given, the generator of Kümmerle & Verdun 2021 (conditionedFactors:
   * orthonormal U, V, singular values geometric from κ down to 1); absent, Gaussian factors (lowRankTruth).
   */
  kappa?: number;
  /**
   * 'identifiable': redraw the mask (from the same seeded stream) until every row and column has at least
   * maskMinPerLine observed entries (default rank + 1, the rule of the field's benchmark). Absent or 'uniform': the
   * first draw.
   */
  masks?: MaskRule;
  /** masks 'identifiable' only: the fewest entries every row and column must have; absent: rank + 1. */
  maskMinPerLine?: number;
}

/** How the mask is drawn: uniformly, or uniformly conditioned on being identifiable (see SyntheticSpec.masks). */
export type MaskRule = 'uniform' | 'identifiable' | 'field';

/** The mask rules, for flag and spec validation. */
export const MASK_RULES: readonly MaskRule[] = Object.freeze(['uniform', 'identifiable', 'field']);

/**
 * Draws of `masks: 'field'`: the field's benchmark (Kümmerle & Verdun 2021, tools/sample_phi_MatrixCompletion.m,
 * max_nr_resample = 1000) redraws a mask until every line has ≥ r + 1 entries, at most this many times, and then keeps
 * the last draw, so that below ρ ≈ 1.5 at n = 1000 its masks are in effect uniform.
 */
export const FIELD_MASK_DRAWS = 1000;

/** Told of each draw of an identifiable mask (the draw, 1-based, and the most there will be): progress for redraws. */
export type MaskDrawHook = (draw: number, most: number) => void;

/** Draws of `masks: 'identifiable'` before giving up (near m = (r+1)·max(n₁, n₂) almost no uniform mask qualifies). */
export const IDENTIFIABLE_MASK_DRAWS = 10000;

/** The largest n₁·n₂: the mask's row-major linear indices are 32-bit integers (Int32Array). */
export const MAX_MASK_ENTRIES = 2 ** 31 - 1;

/** [n₁, n₂] of a spec: n rows, n2 columns (n when n2 is absent). */
export function problemShape(spec: Pick<SyntheticSpec, 'n' | 'n2'>): [number, number] {
  return [spec.n, spec.n2 ?? spec.n];
}

/** The sample count of oversampling ρ: m = round(ρ·r(n₁ + n₂ − r)), ρ times the degrees of freedom of rank r. */
export function samplesForRho(rho: number, n1: number, n2: number, rank: number): number {
  return Math.round(rho * rank * (n1 + n2 - rank));
}

/**
 * The fewest entries per row and column the mask of `spec` must have: maskMinPerLine (default rank + 1) for
 * identifiable masks, 0 for uniform ones (no condition).
 */
export function maskMinPerLine(spec: Pick<SyntheticSpec, 'rank' | 'masks' | 'maskMinPerLine'>): number {
  return spec.masks === 'identifiable' || spec.masks === 'field' ? (spec.maskMinPerLine ?? spec.rank + 1) : 0;
}

/** A ground truth and its observed entries. */
export interface SyntheticProblem {
  readonly spec: SyntheticSpec;
  readonly truth: Matrix;
  readonly observations: Observations;
}

/**
 * The synthetic problem of `spec`. Without kappa the protocol of Arora et al. 2019: U, V Gaussian (n₁×r, n₂×r),
 * W* = U V^T rescaled so ||W*||_F = sqrt(n₁n₂) (entries have RMS 1). With kappa the generator of Kümmerle & Verdun
 * 2021 (conditionedFactors), at the same scale. Ω = `samples` distinct entries drawn uniformly without replacement
 * (syntheticMask); no noise. Cost O(n₁n₂r).
 */
export function syntheticProblem(spec: SyntheticSpec, onMaskDraw?: MaskDrawHook): SyntheticProblem {
  const { rank, seed } = spec;
  checkSpec(spec);
  const [n1, n2] = problemShape(spec);
  let truth: Matrix;
  if (spec.kappa === undefined) truth = lowRankTruth(n1, n2, rank, deriveRng(seed, 'data'));
  else {
    const f = conditionedFactors(n1, n2, rank, spec.kappa, deriveRng(seed, 'data'));
    truth = gemm(scaleColumns(f.U, f.s), f.V, { transB: true });
  }
  const mask = syntheticMask(spec, onMaskDraw);
  return { spec: { ...spec }, truth, observations: observeAt(truth, mask) };
}

/** The same problem with the truth kept as factors W* = U·V^T (U n₁×r, V n₂×r): no n₁×n₂ matrix is formed. */
export interface SyntheticFactors {
  readonly spec: SyntheticSpec;
  /** n₁×r, already carrying the scale that makes ||U·V^T||_F = sqrt(n₁n₂) (with kappa: the singular values too). */
  readonly U: Matrix;
  /** n₂×r (with kappa: orthonormal columns). */
  readonly V: Matrix;
  readonly observations: Observations;
}

/**
 * syntheticProblem in factor form, for large n: the same random draws (so the same U, V and mask), the scale
 * sqrt(n₁n₂)/||U V^T||_F from r×r Gram matrices (||U V^T||_F² = Σ (U^T U)∘(V^T V)) or, with kappa, from the
 * singular values, and the observed values U_i·V_j. Equal to syntheticProblem up to rounding (~1e-15 relative).
 * Cost O((n₁ + n₂) r² + |Ω| r) time, O((n₁ + n₂) r + |Ω|) memory.
 */
export function syntheticFactors(spec: SyntheticSpec, onMaskDraw?: MaskDrawHook): SyntheticFactors {
  const { rank, samples, seed } = spec;
  checkSpec(spec);
  const [n1, n2] = problemShape(spec);
  const rng = deriveRng(seed, 'data');
  let U: Matrix;
  let V: Matrix;
  if (spec.kappa === undefined) {
    U = { rows: n1, cols: rank, data: fillNormal(rng, new Float64Array(n1 * rank)) };
    V = { rows: n2, cols: rank, data: fillNormal(rng, new Float64Array(n2 * rank)) };
    const GU = gemm(U, U, { transA: true });
    const GV = gemm(V, V, { transA: true });
    let f2 = 0;
    for (let i = 0; i < GU.data.length; i++) f2 += GU.data[i] * GV.data[i];
    const c = Math.sqrt(n1 * n2) / Math.sqrt(f2);
    for (let i = 0; i < U.data.length; i++) U.data[i] *= c;
  } else {
    const f = conditionedFactors(n1, n2, rank, spec.kappa, rng);
    U = scaleColumns(f.U, f.s);
    V = f.V;
  }
  const mask = syntheticMask(spec, onMaskDraw);
  const rows = new Int32Array(samples);
  const cols = new Int32Array(samples);
  const values = new Float64Array(samples);
  for (let t = 0; t < samples; t++) {
    const i = Math.floor(mask[t] / n2);
    const j = mask[t] - i * n2;
    rows[t] = i;
    cols[t] = j;
    let w = 0;
    for (let p = 0; p < rank; p++) w += U.data[i * rank + p] * V.data[j * rank + p];
    values[t] = w;
  }
  return { spec: { ...spec }, U, V, observations: { shape: [n1, n2], rows, cols, values } };
}

/**
 * The factors of the conditioned truth W* = U·diag(s)·V^T (Kümmerle & Verdun 2021, the 'condition_control_log'
 * model of MatrixIRLS' sample_X0_lowrank): U (n₁×r) and V (n₂×r) orthonormal bases of Gaussian matrices drawn from
 * `rng` (U's first), by Householder QR with the signs of R's diagonal moved into Q, so that U and V are uniform
 * (Haar) on the Stiefel manifold; singular values geometric from κ down to 1, s_k ∝ κ^{(r−k)/(r−1)}
 * (k = 1..r; r = 1: one value), scaled so ||s||₂ = ||W*||_F = sqrt(n₁n₂). Cost O((n₁ + n₂) r²).
 */
export function conditionedFactors(
  n1: number,
  n2: number,
  rank: number,
  kappa: number,
  rng: Rng,
): { U: Matrix; V: Matrix; s: Float64Array } {
  if (!(kappa >= 1) || !Number.isFinite(kappa))
    throw new RangeError(`kappa must be a finite number >= 1, got ${kappa}`);
  if (rank === 1 && kappa !== 1)
    throw new RangeError(`kappa must be 1 at rank 1 (a rank-1 matrix has one singular value), got ${kappa}`);
  const GU = { rows: n1, cols: rank, data: fillNormal(rng, new Float64Array(n1 * rank)) };
  const GV = { rows: n2, cols: rank, data: fillNormal(rng, new Float64Array(n2 * rank)) };
  const s = new Float64Array(rank);
  // Exactly κ first and 1 last: κ^1 and κ^0.
  for (let k = 0; k < rank; k++) s[k] = rank === 1 ? 1 : Math.pow(kappa, (rank - 1 - k) / (rank - 1));
  let norm2 = 0;
  for (let k = 0; k < rank; k++) norm2 += s[k] * s[k];
  const c = Math.sqrt(n1 * n2) / Math.sqrt(norm2);
  for (let k = 0; k < rank; k++) s[k] *= c;
  return { U: orthonormalBasis(GU), V: orthonormalBasis(GV), s };
}

/** Q of A = QR (A n×r, n ≥ r) with column k times sign(R_kk): a Haar-distributed basis for Gaussian A (Mezzadri 2007). */
function orthonormalBasis(A: Matrix): Matrix {
  const { Q, R } = qr(A);
  const r = A.cols;
  for (let k = 0; k < r; k++) {
    if (R.data[k * R.cols + k] >= 0) continue;
    for (let i = 0; i < Q.rows; i++) Q.data[i * r + k] = -Q.data[i * r + k];
  }
  return Q;
}

/** M·diag(s), a new matrix. */
function scaleColumns(M: Matrix, s: Float64Array): Matrix {
  const out: Matrix = { rows: M.rows, cols: M.cols, data: new Float64Array(M.data.length) };
  for (let i = 0; i < M.rows; i++)
    for (let k = 0; k < M.cols; k++) out.data[i * M.cols + k] = M.data[i * M.cols + k] * s[k];
  return out;
}

/**
 * The row-major linear indices i·n₂ + j of the mask of `spec` (sorted): the first uniform draw of the seed's 'mask'
 * stream, or with masks 'identifiable' the first draw of that stream in which every row and column has at least
 * maskMinPerLine(spec) entries (rank + 1 by default: MatrixIRLS' sample_phi_MatrixCompletion rejects a mask with a
 * row or column of fewer than r + 1 entries). A RangeError naming the numbers when none is found in
 * IDENTIFIABLE_MASK_DRAWS draws, or when samples < maskMinPerLine·max(n₁, n₂) makes it impossible. Deterministic from
 * the seed. Cost O(|Ω| log |Ω|) per draw.
 */
export function syntheticMask(spec: SyntheticSpec, onMaskDraw?: MaskDrawHook): Int32Array {
  const { samples, seed } = spec;
  const [n1, n2] = problemShape(spec);
  const rng = deriveRng(seed, 'mask');
  if (spec.masks === undefined || spec.masks === 'uniform') return sampleWithoutReplacement(n1 * n2, samples, rng);
  if (spec.masks === 'field') {
    let mask = sampleWithoutReplacement(n1 * n2, samples, rng);
    for (let draw = 1; draw < FIELD_MASK_DRAWS && !everyLineHas(mask, n1, n2, maskMinPerLine(spec)); draw++)
      mask = sampleWithoutReplacement(n1 * n2, samples, rng);
    return mask;
  }
  if (spec.masks !== 'identifiable')
    throw new RangeError(`masks must be one of ${MASK_RULES.join(', ')}, got ${String(spec.masks)}`);
  const least = maskMinPerLine(spec);
  const longest = Math.max(n1, n2);
  if (samples < least * longest) {
    throw new RangeError(
      `masks identifiable: ${samples} samples cannot give each of the ${longest} ${n1 >= n2 ? 'rows' : 'columns'} ${least} entries (need at least ${least}·max(n₁, n₂) = ${least * longest})`,
    );
  }
  for (let draw = 0; draw < IDENTIFIABLE_MASK_DRAWS; draw++) {
    const mask = sampleWithoutReplacement(n1 * n2, samples, rng);
    onMaskDraw?.(draw + 1, IDENTIFIABLE_MASK_DRAWS);
    if (everyLineHas(mask, n1, n2, least)) return mask;
  }
  throw new RangeError(
    `masks identifiable: none of ${IDENTIFIABLE_MASK_DRAWS} draws of ${samples} entries (seed ${seed}) has every row and column seen ≥ ${least} times; use more samples (a larger rho) or masks uniform`,
  );
}

/** Whether every row and column of the n₁×n₂ mask (row-major linear indices) has at least `least` entries. */
function everyLineHas(mask: Int32Array, n1: number, n2: number, least: number): boolean {
  const rowCount = new Int32Array(n1);
  const colCount = new Int32Array(n2);
  for (let t = 0; t < mask.length; t++) {
    const i = Math.floor(mask[t] / n2);
    rowCount[i]++;
    colCount[mask[t] - i * n2]++;
  }
  return rowCount.every((c) => c >= least) && colCount.every((c) => c >= least);
}

function checkSpec(spec: SyntheticSpec): void {
  const { n, rank, samples } = spec;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be a positive integer, got ${n}`);
  if (spec.n2 !== undefined && (!Number.isInteger(spec.n2) || spec.n2 < 1))
    throw new RangeError(`n2 must be a positive integer, got ${spec.n2}`);
  const [n1, n2] = problemShape(spec);
  const short = Math.min(n1, n2);
  if (!Number.isInteger(rank) || rank < 1 || rank > short)
    throw new RangeError(`rank must be an integer in 1..${short}, got ${rank}`);
  if (n1 * n2 > MAX_MASK_ENTRIES)
    throw new RangeError(`n·n2 = ${n1 * n2} entries is more than the ${MAX_MASK_ENTRIES} a 32-bit mask index can name`);
  if (!Number.isInteger(samples) || samples < 1 || samples > n1 * n2) {
    throw new RangeError(`samples must be an integer in 1..${n1 * n2} (${n1 === n2 ? 'n²' : 'n·n2'}), got ${samples}`);
  }
  if (spec.kappa !== undefined && !(spec.kappa >= 1 && Number.isFinite(spec.kappa)))
    throw new RangeError(`kappa must be a finite number >= 1, got ${spec.kappa}`);
  if (spec.maskMinPerLine !== undefined && (!Number.isInteger(spec.maskMinPerLine) || spec.maskMinPerLine < 1))
    throw new RangeError(`maskMinPerLine must be a positive integer, got ${spec.maskMinPerLine}`);
}

/** A random rank-r m×n matrix U V^T (Gaussian factors), scaled to Frobenius norm sqrt(m·n) (entry RMS 1). */
export function lowRankTruth(m: number, n: number, rank: number, rng: Rng): Matrix {
  const U = fillNormal(rng, new Float64Array(m * rank));
  const V = fillNormal(rng, new Float64Array(n * rank));
  const W = gemm({ rows: m, cols: rank, data: U }, { rows: n, cols: rank, data: V }, { transB: true });
  const f = frobeniusNorm(W);
  const target = Math.sqrt(m * n);
  for (let i = 0; i < W.data.length; i++) W.data[i] *= target / f;
  return W;
}

/**
 * `count` distinct integers from [0, total), uniformly without replacement (partial Fisher–Yates), sorted ascending
 * so that later passes over Ω walk memory in order. Cost O(total) when count > total/8, else O(count log count)
 * time and O(count) memory (the displaced pool entries kept in a Map); both branches draw the same numbers.
 */
export function sampleWithoutReplacement(total: number, count: number, rng: Rng): Int32Array {
  if (count > total) throw new RangeError(`cannot draw ${count} distinct items from ${total}`);
  if (count * 8 <= total) {
    // The pool as a sparse map: slot j holds moved.get(j) ?? j.
    const moved = new Map<number, number>();
    const out = new Int32Array(count);
    for (let k = 0; k < count; k++) {
      const j = k + rng.int(total - k);
      out[k] = moved.get(j) ?? j;
      if (j !== k) moved.set(j, moved.get(k) ?? k);
      moved.delete(k);
    }
    return out.sort();
  }
  const pool = new Int32Array(total);
  for (let i = 0; i < total; i++) pool[i] = i;
  for (let k = 0; k < count; k++) {
    const j = k + rng.int(total - k);
    const t = pool[k];
    pool[k] = pool[j];
    pool[j] = t;
  }
  return pool.slice(0, count).sort();
}
