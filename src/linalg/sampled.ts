// The data term of a factored model on the observed entries only: the one kernel of W = A·B^T training that touches
// every observation (docs/design/math.md 3.3: "data term on Ω costs O(|Ω|k)"). Pure TypeScript here; the native backend runs the
// same loop in C, in the same order, so both give the same bits.
import type { Matrix } from './matrix.ts';

/** The observed entries (rows[t], cols[t]) with values[t], as parallel arrays. */
export interface SampledEntries {
  readonly rows: Int32Array;
  readonly cols: Int32Array;
  readonly values: Float64Array;
}

/**
 * Σ_t r_t² with r_t = A_{i_t}·B_{j_t} − v_t (A m×k, B n×k row-major; i_t = rows[t], j_t = cols[t]), and, when
 * gradA and gradB are given, gradA_i += scale·r_t·B_j and gradB_j += scale·r_t·A_i for every t (the gradient of
 * (scale/2)·Σ r_t², added to what they hold). Cost ~6|Ω|k flops (2|Ω|k without gradients), no allocation.
 */
export function sampledResidual(
  A: Matrix,
  B: Matrix,
  entries: SampledEntries,
  scale: number,
  gradA: Matrix | null,
  gradB: Matrix | null,
): number {
  checkSampledShapes(A, B, entries, gradA, gradB);
  const k = A.cols;
  const a = A.data;
  const b = B.data;
  const { rows, cols, values } = entries;
  const ga = gradA?.data;
  const gb = gradB?.data;
  let sse = 0;
  for (let t = 0; t < values.length; t++) {
    const ai = rows[t] * k;
    const bj = cols[t] * k;
    let w = 0;
    for (let c = 0; c < k; c++) w += a[ai + c] * b[bj + c];
    const r = w - values[t];
    sse += r * r;
    if (ga !== undefined && gb !== undefined) {
      const g = scale * r;
      for (let c = 0; c < k; c++) {
        ga[ai + c] += g * b[bj + c];
        gb[bj + c] += g * a[ai + c];
      }
    }
  }
  return sse;
}

/**
 * The shape checks of sampledResidual both backends make (O(1); indices are checked where observations are made,
 * and again by the native kernel, which must not read outside its buffers). Throws a RangeError.
 */
export function checkSampledShapes(
  A: Matrix,
  B: Matrix,
  entries: SampledEntries,
  gradA: Matrix | null,
  gradB: Matrix | null,
): void {
  const { rows, cols, values } = entries;
  if (A.cols !== B.cols) throw new RangeError(`sampledResidual: A is ${A.rows}×${A.cols} but B is ${B.rows}×${B.cols}`);
  if (rows.length !== values.length || cols.length !== values.length) {
    throw new RangeError(`sampledResidual: ${rows.length} rows, ${cols.length} cols and ${values.length} values`);
  }
  if ((gradA === null) !== (gradB === null)) throw new RangeError('sampledResidual: give both gradients or neither');
  if (
    gradA &&
    gradB &&
    (gradA.rows !== A.rows || gradA.cols !== A.cols || gradB.rows !== B.rows || gradB.cols !== B.cols)
  ) {
    throw new RangeError('sampledResidual: gradient shapes must match A and B');
  }
}

/** The observed positions (rows[t], cols[t]) without values: all the factor Jacobian needs. */
export type SampledPositions = Pick<SampledEntries, 'rows' | 'cols'>;

// The Jacobian of (U, V) ↦ P_Ω(U Vᵀ) at the factor pair (U m×r, V n×r), J(ΔU, ΔV) = P_Ω(U ΔVᵀ + ΔU Vᵀ), and its
// transpose, on x = [vec ΔU; vec ΔV] (row-major blocks, length (m + n)·r): the two products of every LSQR step of
// GNMR (src/solver/gnmr.ts). Hand-written because no library offers this product: it is a sparse matrix with 2r
// nonzeros per observed entry whose values are the factors themselves, so a sparse-BLAS call would first have to
// build that matrix (O(|Ω|·r) memory, rebuilt every outer iteration) to then do the same O(|Ω|·r) work. The native
// backend runs the same loops in C, in the same order, so both give the same bits.

/**
 * out_t = Σ_k (U_{i_t,k}·x_V[j_t,k] + x_U[i_t,k]·V_{j_t,k}) for every entry t (i_t = rows[t], j_t = cols[t]), with
 * x = [vec x_U (m×r); vec x_V (n×r)] row-major. Cost 4|Ω|r flops, no allocation.
 */
export function factorJacobian(
  U: Matrix,
  V: Matrix,
  entries: SampledPositions,
  x: Float64Array,
  out: Float64Array,
): void {
  checkJacobianShapes('factorJacobian', U, V, entries, x, out);
  const r = U.cols;
  const offV = U.rows * r;
  const u = U.data;
  const v = V.data;
  const { rows, cols } = entries;
  const m = rows.length;
  for (let t = 0; t < m; t++) {
    const a = rows[t] * r;
    const b = cols[t] * r;
    let s = 0;
    for (let k = 0; k < r; k++) s += u[a + k] * x[offV + b + k] + x[a + k] * v[b + k];
    out[t] = s;
  }
}

/**
 * out = Jᵀ y: out_U[i] = Σ_{t: i_t = i} y_t·V_{j_t} and out_V[j] = Σ_{t: j_t = j} y_t·U_{i_t} (summed in entry order),
 * into out = [vec out_U; vec out_V] (overwritten). Cost 4|Ω|r flops, no allocation.
 */
export function factorJacobianTranspose(
  U: Matrix,
  V: Matrix,
  entries: SampledPositions,
  y: Float64Array,
  out: Float64Array,
): void {
  checkJacobianShapes('factorJacobianTranspose', U, V, entries, out, y);
  const r = U.cols;
  const offV = U.rows * r;
  const u = U.data;
  const v = V.data;
  const { rows, cols } = entries;
  const m = rows.length;
  out.fill(0);
  for (let t = 0; t < m; t++) {
    const a = rows[t] * r;
    const b = cols[t] * r;
    const yt = y[t];
    for (let k = 0; k < r; k++) {
      out[a + k] += yt * v[b + k];
      out[offV + b + k] += yt * u[a + k];
    }
  }
}

/**
 * The shape checks of factorJacobian and factorJacobianTranspose both backends make (O(1)): U and V with the same
 * number of columns, the factor-space vector of length (m + n)·r and the entry-space one of length |Ω|.
 */
export function checkJacobianShapes(
  name: string,
  U: Matrix,
  V: Matrix,
  entries: SampledPositions,
  factorVector: Float64Array,
  entryVector: Float64Array,
): void {
  if (U.cols !== V.cols) throw new RangeError(`${name}: U is ${U.rows}×${U.cols} but V is ${V.rows}×${V.cols}`);
  const count = entries.rows.length;
  if (entries.cols.length !== count) throw new RangeError(`${name}: ${count} rows but ${entries.cols.length} cols`);
  const n = (U.rows + V.rows) * U.cols;
  if (factorVector.length !== n || entryVector.length !== count) {
    throw new RangeError(
      `${name}: the factor vector has length ${factorVector.length} (want ${n}) and the entry vector ${entryVector.length} (want ${count})`,
    );
  }
}
