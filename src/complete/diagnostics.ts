import { zeros, type Matrix } from '../linalg/matrix.ts';
import { svd } from '../linalg/svd.ts';
import type { Observations } from '../data/observations.ts';
import { createFactoredWorkspace, factoredSpectrum } from '../penalty/factored.ts';
import type { Biases } from './biases.ts';

/** Validation RMSE of the entries whose row (or column) has a number of fit entries in [lo, hi]. */
export interface CountBucket {
  /** Fewest and most fit entries of the row (column) in this bucket (hi = Infinity: no upper end, JSON null). */
  lo: number;
  hi: number | null;
  /** Validation entries in the bucket, and their RMSE (NaN, JSON null, when there are none). */
  entries: number;
  rmse: number | null;
}

/** A histogram of validation residuals (prediction − value): bin edges (one more than counts) and counts. */
export interface ResidualHistogram {
  edges: number[];
  counts: number[];
}

/** What the report shows of the chosen fit: its validation residuals, the cold-start picture, its spectrum. */
export interface CompletionDiagnostics {
  /** Of the chosen setting as tuned (fit split only), scored on the validation split. */
  residuals: ResidualHistogram;
  byRowCount: CountBucket[];
  byColCount: CountBucket[];
  /** Validation entries whose row or column the fit split never saw (they get the baseline alone). */
  unseenValidation: number;
  /** Singular values of the final low-rank part L·R^T (refit on everything), largest first. */
  singularValues: number[];
}

/** Bucket bounds by fit-entry count: 0, 1–2, 3–5, 6–10, 11–20, 21–50, 51–100, 101–200, 201–500, > 500. */
export const COUNT_BUCKETS: readonly (readonly [number, number])[] = [
  [0, 0],
  [1, 2],
  [3, 5],
  [6, 10],
  [11, 20],
  [21, 50],
  [51, 100],
  [101, 200],
  [201, 500],
  [501, Infinity],
];

/**
 * The diagnostics of a fit: residuals clip(b + L_i·R_j) − value on `val` (the low-rank term only for rows and
 * columns `fit` saw, as in tuning), bucketed by how many fit entries their row and their column have, and a
 * histogram of `bins` equal bins over [−range, range] (range: the largest |residual|). Cost O(|fit| + |val|·k).
 */
export function validationDiagnostics(
  fit: Observations,
  val: Observations,
  b: Biases,
  L: Matrix | null,
  R: Matrix | null,
  clip: readonly [number, number] | null,
  bins = 40,
): Omit<CompletionDiagnostics, 'singularValues'> {
  const [m, n] = fit.shape;
  const rowCount = new Float64Array(m);
  const colCount = new Float64Array(n);
  for (let t = 0; t < fit.values.length; t++) {
    rowCount[fit.rows[t]]++;
    colCount[fit.cols[t]]++;
  }
  const k = L ? L.cols : 0;
  const lo = clip ? clip[0] : -Infinity;
  const hi = clip ? clip[1] : Infinity;
  const residual = new Float64Array(val.values.length);
  let unseen = 0;
  for (let t = 0; t < val.values.length; t++) {
    const i = val.rows[t];
    const j = val.cols[t];
    let z = b.mean + b.row[i] + b.col[j];
    const seen = rowCount[i] > 0 && colCount[j] > 0;
    if (!seen) unseen++;
    if (L && R && seen) for (let c = 0; c < k; c++) z += L.data[i * k + c] * R.data[j * k + c];
    z = z < lo ? lo : z > hi ? hi : z;
    residual[t] = z - val.values[t];
  }
  return {
    residuals: histogram(residual, bins),
    byRowCount: bucketRmse(residual, val.rows, rowCount),
    byColCount: bucketRmse(residual, val.cols, colCount),
    unseenValidation: unseen,
  };
}

/**
 * Singular values of L·R^T, largest first, exact from thin QRs (factoredSpectrum); [] for k = 0. When k exceeds
 * min(m, n) (a blend's concatenated factors) W = L·R^T is formed (at most k·max(m, n) entries) and its SVD taken.
 * Cost ~2(m+n)k².
 */
export function lowRankSpectrum(L: Matrix, R: Matrix): number[] {
  const k = L.cols;
  if (k === 0) return [];
  if (k > Math.min(L.rows, R.rows)) {
    const W = zeros(L.rows, R.rows);
    for (let i = 0; i < L.rows; i++) {
      for (let j = 0; j < R.rows; j++) {
        let z = 0;
        for (let c = 0; c < k; c++) z += L.data[i * k + c] * R.data[j * k + c];
        W.data[i * R.rows + j] = z;
      }
    }
    return Array.from(svd(W).s).sort((a, b) => b - a);
  }
  const ws = createFactoredWorkspace(L.rows, R.rows, k);
  return Array.from(factoredSpectrum(L, R, ws).s).sort((a, b) => b - a);
}

function bucketRmse(
  residual: Float64Array,
  index: Int32Array | Uint32Array | ArrayLike<number>,
  counts: Float64Array,
): CountBucket[] {
  const sse = new Float64Array(COUNT_BUCKETS.length);
  const entries = new Float64Array(COUNT_BUCKETS.length);
  for (let t = 0; t < residual.length; t++) {
    const c = counts[index[t]];
    const q = COUNT_BUCKETS.findIndex(([a, z]) => c >= a && c <= z);
    sse[q] += residual[t] ** 2;
    entries[q]++;
  }
  return COUNT_BUCKETS.map(([a, z], q) => ({
    lo: a,
    hi: Number.isFinite(z) ? z : null,
    entries: entries[q],
    rmse: entries[q] > 0 ? Math.sqrt(sse[q] / entries[q]) : null,
  }));
}

function histogram(x: Float64Array, bins: number): ResidualHistogram {
  let range = 0;
  for (const v of x) range = Math.max(range, Math.abs(v));
  if (range === 0) range = 1;
  const width = (2 * range) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, q) => -range + q * width);
  const counts = new Array<number>(bins).fill(0);
  for (const v of x) counts[Math.min(bins - 1, Math.max(0, Math.floor((v + range) / width)))]++;
  return { edges, counts };
}
