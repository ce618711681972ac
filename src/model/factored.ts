// The factored parameterization W = A·B^T: its shape and its random start. The exact penalties of A·B^T (thin QRs
// of A and B, SVD of the k×k core) are in penalty/factored.ts; the data term on Ω is in solver/factored-train.ts.
import { zeros, type Matrix } from '../linalg/matrix.ts';
import { fillNormal, type Rng } from '../random/index.ts';
import { checkFactoredShape } from '../penalty/factored.ts';

/**
 * The factored rank-k model W = A·B^T (docs/design/math.md 3.3): A is m×k, B is n×k, both row-major, so row i of A and row j
 * of B are contiguous and W_ij = A_i·B_j costs O(k). W itself is never formed.
 */
export interface FactoredModel {
  readonly shape: readonly [number, number];
  readonly rank: number;
  readonly A: Matrix;
  readonly B: Matrix;
}

/**
 * A random start: A, B with i.i.d. N(0, σ²) entries, σ² = initScale/sqrt(k), so the entries of W = A·B^T have
 * RMS ≈ initScale (W must not start at 0, where L∗/F is undefined). Draws A then B from `rng`. Cost O((m+n)k).
 */
export function initFactoredModel(m: number, n: number, rank: number, initScale: number, rng: Rng): FactoredModel {
  checkFactoredShape(m, n, rank);
  if (!(initScale > 0) || !Number.isFinite(initScale)) throw new RangeError(`init scale must be > 0, got ${initScale}`);
  const sigma = Math.sqrt(initScale / Math.sqrt(rank));
  const A = zeros(m, rank);
  const B = zeros(n, rank);
  fillNormal(rng, A.data, sigma);
  fillNormal(rng, B.data, sigma);
  return { shape: [m, n], rank, A, B };
}
