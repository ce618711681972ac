import { gemm, frobeniusNorm, type Matrix } from '../linalg/matrix.ts';
import { deriveRng, fillNormal, type Rng } from '../random/index.ts';
import { observeAt, type Observations } from './observations.ts';

/** What fixes a synthetic completion problem (docs/design/protocols.md section 4). */
export interface SyntheticSpec {
  /** The matrix is n×n. */
  n: number;
  /** Rank of the ground truth. */
  rank: number;
  /** Number of observed entries |Ω| (distinct, uniformly without replacement). */
  samples: number;
  /** One seed fixes the ground truth and the mask. */
  seed: number;
  /**
   * 'identifiable': redraw the mask (from the same seeded stream) until every row and column has at least `rank`
   * observed entries, as published phase-transition experiments do. Absent or 'uniform': the first draw.
   */
  masks?: MaskRule;
}

/** How the mask is drawn: uniformly, or uniformly conditioned on being identifiable (see SyntheticSpec.masks). */
export type MaskRule = 'uniform' | 'identifiable';

/** The mask rules, for flag and spec validation. */
export const MASK_RULES: readonly MaskRule[] = Object.freeze(['uniform', 'identifiable']);

/** Draws of `masks: 'identifiable'` before giving up (near m = n·r almost no uniform mask qualifies). */
export const IDENTIFIABLE_MASK_DRAWS = 10000;

/** A ground truth and its observed entries. */
export interface SyntheticProblem {
  readonly spec: SyntheticSpec;
  readonly truth: Matrix;
  readonly observations: Observations;
}

/**
 * The protocol of Arora et al. 2019: U, V ~ N(0,1)^{n×r}, W* = U V^T/sqrt(r) rescaled so ||W*||_F = n (entries have
 * RMS 1); Ω = `samples` distinct entries drawn uniformly without replacement; no noise. Cost O(n²r).
 */
export function syntheticProblem(spec: SyntheticSpec): SyntheticProblem {
  const { n, rank, seed } = spec;
  checkSpec(spec);
  const truth = lowRankTruth(n, n, rank, deriveRng(seed, 'data'));
  const mask = syntheticMask(spec);
  return { spec: { ...spec }, truth, observations: observeAt(truth, mask) };
}

/** The same problem with the truth kept as factors W* = U·V^T (U, V n×r): no n×n matrix is formed. */
export interface SyntheticFactors {
  readonly spec: SyntheticSpec;
  /** n×r, already carrying the scale that makes ||U·V^T||_F = n. */
  readonly U: Matrix;
  /** n×r. */
  readonly V: Matrix;
  readonly observations: Observations;
}

/**
 * syntheticProblem in factor form, for large n: the same random draws (so the same U, V and mask), the scale
 * n/||U V^T||_F from r×r Gram matrices (||U V^T||_F² = Σ (U^T U)∘(V^T V)), and the observed values U_i·V_j.
 * Equal to syntheticProblem up to rounding (~1e-15 relative). Cost O(n r² + |Ω| r) time, O(n r + |Ω|) memory.
 */
export function syntheticFactors(spec: SyntheticSpec): SyntheticFactors {
  const { n, rank, samples, seed } = spec;
  checkSpec(spec);
  const rng = deriveRng(seed, 'data');
  const U: Matrix = { rows: n, cols: rank, data: fillNormal(rng, new Float64Array(n * rank)) };
  const V: Matrix = { rows: n, cols: rank, data: fillNormal(rng, new Float64Array(n * rank)) };
  const GU = gemm(U, U, { transA: true });
  const GV = gemm(V, V, { transA: true });
  let f2 = 0;
  for (let i = 0; i < GU.data.length; i++) f2 += GU.data[i] * GV.data[i];
  const c = n / Math.sqrt(f2);
  for (let i = 0; i < U.data.length; i++) U.data[i] *= c;
  const mask = syntheticMask(spec);
  const rows = new Int32Array(samples);
  const cols = new Int32Array(samples);
  const values = new Float64Array(samples);
  for (let t = 0; t < samples; t++) {
    const i = Math.floor(mask[t] / n);
    const j = mask[t] - i * n;
    rows[t] = i;
    cols[t] = j;
    let w = 0;
    for (let p = 0; p < rank; p++) w += U.data[i * rank + p] * V.data[j * rank + p];
    values[t] = w;
  }
  return { spec: { ...spec }, U, V, observations: { shape: [n, n], rows, cols, values } };
}

/**
 * The row-major linear indices of the mask of `spec` (sorted): the first uniform draw of the seed's 'mask' stream,
 * or with masks 'identifiable' the first draw of that stream in which every row and column has ≥ rank entries
 * (a RangeError naming the numbers when none is found in IDENTIFIABLE_MASK_DRAWS draws, or when samples < n·rank
 * makes it impossible). Deterministic from the seed. Cost O(|Ω| log |Ω|) per draw.
 */
export function syntheticMask(spec: SyntheticSpec): Int32Array {
  const { n, rank, samples, seed } = spec;
  const rng = deriveRng(seed, 'mask');
  if (spec.masks === undefined || spec.masks === 'uniform') return sampleWithoutReplacement(n * n, samples, rng);
  if (spec.masks !== 'identifiable')
    throw new RangeError(`masks must be one of ${MASK_RULES.join(', ')}, got ${String(spec.masks)}`);
  if (samples < n * rank) {
    throw new RangeError(
      `masks identifiable: ${samples} samples cannot give each of the ${n} rows ${rank} entries (need at least n·rank = ${n * rank})`,
    );
  }
  const rowCount = new Int32Array(n);
  const colCount = new Int32Array(n);
  for (let draw = 0; draw < IDENTIFIABLE_MASK_DRAWS; draw++) {
    const mask = sampleWithoutReplacement(n * n, samples, rng);
    rowCount.fill(0);
    colCount.fill(0);
    for (let t = 0; t < mask.length; t++) {
      rowCount[Math.floor(mask[t] / n)]++;
      colCount[mask[t] % n]++;
    }
    let ok = true;
    for (let i = 0; i < n && ok; i++) ok = rowCount[i] >= rank && colCount[i] >= rank;
    if (ok) return mask;
  }
  throw new RangeError(
    `masks identifiable: no mask of ${samples} entries with every row and column seen ≥ ${rank} times in ${IDENTIFIABLE_MASK_DRAWS} draws (seed ${seed}); use more samples`,
  );
}

function checkSpec({ n, rank, samples }: SyntheticSpec): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be a positive integer, got ${n}`);
  if (!Number.isInteger(rank) || rank < 1 || rank > n)
    throw new RangeError(`rank must be an integer in 1..${n}, got ${rank}`);
  if (!Number.isInteger(samples) || samples < 1 || samples > n * n) {
    throw new RangeError(`samples must be an integer in 1..${n * n} (n²), got ${samples}`);
  }
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
