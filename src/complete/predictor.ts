import type { Matrix } from '../linalg/matrix.ts';
import { labelIndex } from '../data/labels.ts';
import type { Observations } from '../data/observations.ts';
import type { Biases } from './biases.ts';

/** The fallback rule for ids never observed, as the report and docs/complete.md state it. */
export const FALLBACK_RULE =
  'unknown row id: global mean + column bias; unknown column id: global mean + row bias; both unknown: global mean (then clipped)';

/** Options of a prediction. */
export interface PredictOptions {
  /** Answer an observed cell with its observed value instead of the model's (default false; needs the observations). */
  keepObserved?: boolean;
}

/** Predictions for many cells, with how many of them had an id the model never saw (they get the fallback). */
export interface ManyPredictions {
  values: Float64Array;
  /** Cells whose row id, column id, or either was never observed. */
  unknownRowCells: number;
  unknownColCells: number;
  unknownCells: number;
  /** Distinct unknown row ids and column ids. */
  unknownRowIds: number;
  unknownColIds: number;
}

/** The pieces of a fitted completion: M̂_ij = clip(mean + b_i + c_j + L_i·R_j). */
export interface CompletionParts {
  readonly rowIds: readonly string[];
  readonly colIds: readonly string[];
  /** The baseline added to the low-rank part (all zero when centering is off). */
  readonly biases: Biases;
  /** Biases used for ids never observed (equal to `biases` when centering is on). */
  readonly fallback: Biases;
  /** Low-rank part L·R^T: L m×k, R n×k (k may be 0). */
  readonly L: Matrix;
  readonly R: Matrix;
  /** Predictions are clamped to [lo, hi], or not at all when null. */
  readonly clip: readonly [number, number] | null;
}

/** A fitted model that answers for labeled cells (user and item ids), with the fallback rule for unknown ids. */
export interface Predictor {
  readonly rowIds: readonly string[];
  readonly colIds: readonly string[];
  /** The prediction at positions (i, j) (0-based, in rowIds/colIds order). Cost O(k). */
  predictAt(i: number, j: number, opts?: PredictOptions): number;
  /**
   * The prediction for labeled cell (rowId, colId). An id never observed gets the fallback: unknown row →
   * mean + column bias, unknown column → mean + row bias, both → the global mean (then clipped). Cost O(k).
   */
  predict(rowId: string | number, colId: string | number, opts?: PredictOptions): number;
  /** predict for each cell of two parallel id lists, counting unknown ids. Cost O(cells·k). */
  predictMany(
    rowIds: ArrayLike<string | number>,
    colIds: ArrayLike<string | number>,
    opts?: PredictOptions,
  ): ManyPredictions;
}

/**
 * A Predictor over the given parts; `observed` (positions in rowIds/colIds order) serves keepObserved. Cost O(m + n)
 * to index the labels, and O(|Ω|) once, at the first keepObserved prediction, to index the observed cells.
 */
export function makePredictor(parts: CompletionParts, observed?: Observations): Predictor {
  const { biases, fallback, L, R, clip } = parts;
  const rowIndex = labelIndex(parts.rowIds as string[]);
  const colIndex = labelIndex(parts.colIds as string[]);
  const n = parts.colIds.length;
  if (observed && (observed.shape[0] !== parts.rowIds.length || observed.shape[1] !== n)) {
    const [om, on] = observed.shape;
    throw new RangeError(
      `makePredictor: observed entries of a ${om}×${on} matrix for ${parts.rowIds.length} row ids and ${n} column ids`,
    );
  }
  let observedAt: Map<number, number> | null = null;
  const observedLookup = (opts: PredictOptions | undefined): Map<number, number> | null => {
    if (!opts?.keepObserved) return null;
    if (!observed)
      throw new RangeError(
        'keepObserved: this predictor was made without the observed entries (pass them to makePredictor)',
      );
    if (!observedAt) observedAt = observedCells(observed, n);
    return observedAt;
  };
  const k = L.cols;
  const l = L.data;
  const r = R.data;
  const lo = clip ? clip[0] : -Infinity;
  const hi = clip ? clip[1] : Infinity;
  const clamp = (x: number): number => (x < lo ? lo : x > hi ? hi : x);
  const at = (i: number, j: number): number => {
    let z = biases.mean + biases.row[i] + biases.col[j];
    const li = i * k;
    const rj = j * k;
    for (let c = 0; c < k; c++) z += l[li + c] * r[rj + c];
    return clamp(z);
  };
  const one = (rowId: string | number, colId: string | number): { value: number; row: boolean; col: boolean } => {
    const i = rowIndex.get(String(rowId));
    const j = colIndex.get(String(colId));
    if (i !== undefined && j !== undefined) return { value: at(i, j), row: true, col: true };
    let z = fallback.mean;
    if (i !== undefined) z += fallback.row[i];
    if (j !== undefined) z += fallback.col[j];
    return { value: clamp(z), row: i !== undefined, col: j !== undefined };
  };
  const observedValue = (
    cells: Map<number, number> | null,
    rowId: string | number,
    colId: string | number,
  ): number | undefined => {
    if (!cells) return undefined;
    const i = rowIndex.get(String(rowId));
    const j = colIndex.get(String(colId));
    return i === undefined || j === undefined ? undefined : cells.get(i * n + j);
  };
  return {
    rowIds: parts.rowIds,
    colIds: parts.colIds,
    predictAt(i, j, opts) {
      if (
        !Number.isInteger(i) ||
        i < 0 ||
        i >= parts.rowIds.length ||
        !Number.isInteger(j) ||
        j < 0 ||
        j >= parts.colIds.length
      ) {
        throw new RangeError(
          `predictAt: (${i}, ${j}) is outside the ${parts.rowIds.length}×${parts.colIds.length} matrix`,
        );
      }
      return observedLookup(opts)?.get(i * n + j) ?? at(i, j);
    },
    predict(rowId, colId, opts) {
      const kept = observedValue(observedLookup(opts), rowId, colId);
      return kept ?? one(rowId, colId).value;
    },
    predictMany(rowIds, colIds, opts) {
      if (rowIds.length !== colIds.length)
        throw new RangeError(`predictMany: ${rowIds.length} row ids but ${colIds.length} column ids`);
      const kept = observedLookup(opts);
      const values = new Float64Array(rowIds.length);
      const badRows = new Set<string>();
      const badCols = new Set<string>();
      let unknownRowCells = 0;
      let unknownColCells = 0;
      let unknownCells = 0;
      for (let t = 0; t < values.length; t++) {
        const p = one(rowIds[t], colIds[t]);
        values[t] = p.value;
        if (!p.row) {
          unknownRowCells++;
          badRows.add(String(rowIds[t]));
        }
        if (!p.col) {
          unknownColCells++;
          badCols.add(String(colIds[t]));
        }
        if (!p.row || !p.col) unknownCells++;
        else if (kept) values[t] = observedValue(kept, rowIds[t], colIds[t]) ?? values[t];
      }
      return {
        values,
        unknownRowCells,
        unknownColCells,
        unknownCells,
        unknownRowIds: badRows.size,
        unknownColIds: badCols.size,
      };
    },
  };
}

/** Observed values by position key i·n + j. Cost O(|Ω|). */
function observedCells(obs: Observations, n: number): Map<number, number> {
  const { rows, cols, values } = obs;
  const map = new Map<number, number>();
  for (let t = 0; t < values.length; t++) map.set(rows[t] * n + cols[t], values[t]);
  return map;
}
