import type { Matrix } from '../linalg/matrix.ts';

/** Observed entries of an m×n matrix in coordinate form (COO): entry k is (rows[k], cols[k]) = values[k]. */
export interface Observations {
  readonly shape: readonly [number, number];
  readonly rows: Int32Array;
  readonly cols: Int32Array;
  readonly values: Float64Array;
}

/** Observations from parallel arrays, checked: indices in range, values finite, no (row, col) pair twice. */
export function makeObservations(
  shape: readonly [number, number],
  rows: ArrayLike<number>,
  cols: ArrayLike<number>,
  values: ArrayLike<number>,
): Observations {
  const [m, n] = shape;
  if (!Number.isInteger(m) || !Number.isInteger(n) || m < 1 || n < 1) {
    throw new RangeError(`observations: shape must be positive integers, got ${m}×${n}`);
  }
  const count = rows.length;
  if (cols.length !== count || values.length !== count) {
    throw new RangeError(
      `observations: rows, cols and values differ in length (${count}, ${cols.length}, ${values.length})`,
    );
  }
  const seen = new Set<number>();
  for (let k = 0; k < count; k++) {
    const i = rows[k];
    const j = cols[k];
    if (!Number.isInteger(i) || i < 0 || i >= m || !Number.isInteger(j) || j < 0 || j >= n) {
      throw new RangeError(`observations: entry ${k} at (${i}, ${j}) is outside the ${m}×${n} matrix`);
    }
    if (!Number.isFinite(values[k])) throw new RangeError(`observations: entry ${k} at (${i}, ${j}) is ${values[k]}`);
    const key = i * n + j;
    if (seen.has(key)) throw new RangeError(`observations: entry (${i}, ${j}) appears twice`);
    seen.add(key);
  }
  return {
    shape: [m, n],
    rows: Int32Array.from(rows),
    cols: Int32Array.from(cols),
    values: Float64Array.from(values),
  };
}

/** Row-major linear index i·n + j of each observed entry (for dense m×n matrices). */
export function linearIndices(obs: Observations): Int32Array {
  const n = obs.shape[1];
  const idx = new Int32Array(obs.rows.length);
  for (let k = 0; k < idx.length; k++) idx[k] = obs.rows[k] * n + obs.cols[k];
  return idx;
}

/** The observations of a dense matrix at the given row-major linear indices. */
export function observeAt(M: Matrix, indices: ArrayLike<number>): Observations {
  const count = indices.length;
  const rows = new Int32Array(count);
  const cols = new Int32Array(count);
  const values = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    const idx = indices[k];
    rows[k] = Math.floor(idx / M.cols);
    cols[k] = idx - rows[k] * M.cols;
    values[k] = M.data[idx];
  }
  return { shape: [M.rows, M.cols], rows, cols, values };
}
