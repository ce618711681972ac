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
