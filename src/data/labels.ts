import type { Observations } from './observations.ts';

/** Observations whose rows and columns carry labels (user and item ids): position i of the model is rowIds[i]. */
export interface LabeledObservations {
  readonly observations: Observations;
  readonly rowIds: readonly string[];
  readonly colIds: readonly string[];
}

/** What to do when the same (row, column) pair is observed twice: fail, average the values, or keep the last one. */
export type DuplicatePolicy = 'error' | 'mean' | 'last';

/** Every duplicate policy, for flag validation. */
export const DUPLICATE_POLICIES: readonly DuplicatePolicy[] = ['error', 'mean', 'last'];

/** A label to position map, from labels in the order given. */
export function labelIndex(labels: readonly string[]): Map<string, number> {
  const map = new Map<string, number>();
  for (let i = 0; i < labels.length; i++) map.set(labels[i], i);
  return map;
}

/**
 * The distinct labels in a stable, human order: numerically when every label is an integer (so "2" < "10"),
 * otherwise by code unit. Cost O(u log u) for u distinct labels.
 */
export function sortedLabels(labels: Iterable<string>): string[] {
  const distinct = [...new Set(labels)];
  if (distinct.every((s) => /^[+-]?\d+$/.test(s))) {
    return distinct.sort((a, b) => {
      const d = Number(a) - Number(b);
      return d !== 0 ? d : a < b ? -1 : a > b ? 1 : 0;
    });
  }
  return distinct.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Labeled observations from parallel arrays of row labels, column labels and values: rows and columns get
 * positions in sortedLabels order. Duplicated (row, column) pairs are an error (the message comes from
 * `describe(k)` for entry k, say its file and line) unless `duplicates` is 'mean' or 'last'. Values must be finite.
 * Cost O(|Ω| + u log u).
 */
export function labelObservations(
  rowLabels: ArrayLike<string | number>,
  colLabels: ArrayLike<string | number>,
  values: ArrayLike<number>,
  opts: {
    duplicates?: DuplicatePolicy;
    describe?: (k: number) => string;
    fail?: (k: number, problem: string) => never;
  } = {},
): LabeledObservations {
  const count = values.length;
  if (rowLabels.length !== count || colLabels.length !== count) {
    throw new RangeError(
      `observations: row ids, column ids and values differ in length (${rowLabels.length}, ${colLabels.length}, ${count})`,
    );
  }
  const fail =
    opts.fail ??
    ((k: number, problem: string): never => {
      throw new RangeError(`${opts.describe ? opts.describe(k) : `entry ${k}`}: ${problem}`);
    });
  const rowStr = Array.from({ length: count }, (_, k) => String(rowLabels[k]));
  const colStr = Array.from({ length: count }, (_, k) => String(colLabels[k]));
  const rowIds = sortedLabels(rowStr);
  const colIds = sortedLabels(colStr);
  const rowIdx = labelIndex(rowIds);
  const colIdx = labelIndex(colIds);
  const n = colIds.length;
  const policy = opts.duplicates ?? 'error';
  // key -> slot in the output; sums and counts for 'mean'.
  const slotOf = new Map<number, number>();
  const firstEntry: number[] = [];
  const rows: number[] = [];
  const cols: number[] = [];
  const sums: number[] = [];
  const counts: number[] = [];
  for (let k = 0; k < count; k++) {
    const v = values[k];
    if (!Number.isFinite(v)) fail(k, `value ${v} is not a finite number`);
    const i = rowIdx.get(rowStr[k]) as number;
    const j = colIdx.get(colStr[k]) as number;
    const key = i * n + j;
    const slot = slotOf.get(key);
    if (slot === undefined) {
      slotOf.set(key, rows.length);
      firstEntry.push(k);
      rows.push(i);
      cols.push(j);
      sums.push(v);
      counts.push(1);
    } else if (policy === 'error') {
      fail(
        k,
        `duplicate entry for row id ${rowStr[k]} and column id ${colStr[k]} (first seen at ${opts.describe ? opts.describe(firstEntry[slot]) : `entry ${firstEntry[slot]}`}); ` +
          `choose --duplicates mean or --duplicates last to accept duplicates`,
      );
    } else if (policy === 'mean') {
      sums[slot] += v;
      counts[slot]++;
    } else {
      sums[slot] = v;
      counts[slot] = 1;
    }
  }
  const vals = new Float64Array(rows.length);
  for (let s = 0; s < vals.length; s++) vals[s] = sums[s] / counts[s];
  return {
    observations: {
      shape: [rowIds.length, colIds.length],
      rows: Int32Array.from(rows),
      cols: Int32Array.from(cols),
      values: vals,
    },
    rowIds,
    colIds,
  };
}
