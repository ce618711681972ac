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
  const rowIndex = new LabelIndex();
  const colIndex = new LabelIndex();
  const rows = new Int32Array(count);
  const cols = new Int32Array(count);
  for (let k = 0; k < count; k++) {
    rows[k] = rowIndex.idOf(String(rowLabels[k]));
    cols[k] = colIndex.idOf(String(colLabels[k]));
  }
  return labelEntries(rows, cols, Float64Array.from(values), count, rowIndex, colIndex, opts);
}

/**
 * Labels seen in a file, each numbered in order of first sight: canonical integers ("0", "42", "-7") in a map of
 * numbers, with no string kept per entry, anything else in a map of strings. `finish` sorts them as sortedLabels does.
 */
export class LabelIndex {
  // Canonical integers: an open-addressing table (keys as doubles, numbers as int32, -1 empty), no Map entry each.
  private keys = new Float64Array(1024);
  private slots = new Int32Array(1024).fill(-1);
  private shift = 22; // 32 - log2(table size)
  private readonly strings = new Map<string, number>();
  private readonly labels: (number | string)[] = [];

  /** Number of distinct labels so far. */
  get size(): number {
    return this.labels.length;
  }

  /** The number of a canonical integer label (see canonicalIntOf). */
  idOfInt(x: number): number {
    const mask = this.slots.length - 1;
    let h = hashInt(x) >>> this.shift;
    for (;;) {
      const id = this.slots[h];
      if (id < 0) break;
      if (this.keys[h] === x) return id;
      h = (h + 1) & mask;
    }
    const id = this.labels.length;
    this.labels.push(x);
    this.keys[h] = x;
    this.slots[h] = id;
    if (2 * this.labels.length > this.slots.length) this.rehash();
    return id;
  }

  private rehash(): void {
    const { keys, slots } = this;
    this.keys = new Float64Array(keys.length * 2);
    this.slots = new Int32Array(slots.length * 2).fill(-1);
    this.shift--;
    const mask = this.slots.length - 1;
    for (let s = 0; s < slots.length; s++) {
      if (slots[s] < 0) continue;
      let h = hashInt(keys[s]) >>> this.shift;
      while (this.slots[h] >= 0) h = (h + 1) & mask;
      this.keys[h] = keys[s];
      this.slots[h] = slots[s];
    }
  }

  /** The number of any label. */
  idOf(label: string): number {
    const x = CANONICAL_INT.test(label) ? Number(label) : NaN;
    if (!Number.isNaN(x)) return this.idOfInt(x);
    let id = this.strings.get(label);
    if (id === undefined) {
      id = this.labels.length;
      this.strings.set(label, id);
      this.labels.push(label);
    }
    return id;
  }

  /** The label of number `id`, as text. */
  label(id: number): string {
    return String(this.labels[id]);
  }

  /**
   * The labels in sortedLabels order, and each number's position in it. When all are canonical integers they are
   * distinct numbers, so sorting the numbers gives sortedLabels' order without its string comparisons. Cost O(u log u).
   */
  finish(): { ids: string[]; position: Int32Array } {
    const u = this.labels.length;
    const position = new Int32Array(u);
    if (this.strings.size === 0) {
      const sorted = Float64Array.from(this.labels as number[]).sort();
      const order = new Int32Array(u);
      for (let id = 0; id < u; id++) order[id] = id;
      const values = this.labels as number[];
      order.sort((a, b) => values[a] - values[b]);
      for (let p = 0; p < u; p++) position[order[p]] = p;
      return { ids: Array.from(sorted, String), position };
    }
    const ids = sortedLabels(this.labels.map(String));
    const at = labelIndex(ids);
    for (let id = 0; id < u; id++) position[id] = at.get(String(this.labels[id])) as number;
    return { ids, position };
  }
}

/** A 32-bit hash of an integer-valued double (|x| < 2^53): both halves mixed by a multiplicative hash. */
function hashInt(x: number): number {
  const lo = x | 0;
  const hi = Math.floor(x / 4294967296) | 0;
  return Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1);
}

const CANONICAL_INT = /^(?:0|-?[1-9]\d{0,14})$/;

/**
 * Labeled observations from entries numbered by two LabelIndexes (rows[k], cols[k] the numbers of entry k's labels;
 * the arrays are reused, their first `count` entries): positions in sortedLabels order, then duplicates handled as
 * labelObservations does, with the same messages, and values checked finite. Without duplicates the arrays are
 * returned as they are (cut to `count`). Cost O(|Ω| + m + n + u log u) and 4 bytes per entry for a row-wise order.
 */
export function labelEntries(
  rows: Int32Array,
  cols: Int32Array,
  values: Float64Array,
  count: number,
  rowIndex: LabelIndex,
  colIndex: LabelIndex,
  opts: {
    duplicates?: DuplicatePolicy;
    describe?: (k: number) => string;
    fail?: (k: number, problem: string) => never;
  } = {},
): LabeledObservations {
  const fail =
    opts.fail ??
    ((k: number, problem: string): never => {
      throw new RangeError(`${opts.describe ? opts.describe(k) : `entry ${k}`}: ${problem}`);
    });
  const describe = (k: number): string => (opts.describe ? opts.describe(k) : `entry ${k}`);
  const rowLabel = (k: number): string => rowIndex.label(rows[k]);
  const colLabel = (k: number): string => colIndex.label(cols[k]);
  const rowOrder = rowIndex.finish();
  const colOrder = colIndex.finish();
  const m = rowOrder.ids.length;
  const n = colOrder.ids.length;
  // A repeat of an earlier (row, column) pair: first[k] is that earlier entry, or -1.
  const firstOf = findRepeats(rows, cols, count, rowOrder.position, colOrder.position, m, n);
  let firstBad = -1;
  for (let k = 0; k < count; k++) {
    if (!Number.isFinite(values[k]) || (firstOf !== null && firstOf[k] >= 0)) {
      firstBad = k;
      break;
    }
  }
  const policy = opts.duplicates ?? 'error';
  if (firstBad >= 0) {
    const k = firstBad;
    if (!Number.isFinite(values[k])) fail(k, `value ${values[k]} is not a finite number`);
    if (policy === 'error') {
      fail(
        k,
        `duplicate entry for row id ${rowLabel(k)} and column id ${colLabel(k)} (first seen at ${describe((firstOf as Int32Array)[k])}); ` +
          `choose --duplicates mean or --duplicates last to accept duplicates`,
      );
    }
    for (let j = k + 1; j < count; j++)
      if (!Number.isFinite(values[j])) fail(j, `value ${values[j]} is not a finite number`);
  }
  for (let k = 0; k < count; k++) {
    rows[k] = rowOrder.position[rows[k]];
    cols[k] = colOrder.position[cols[k]];
  }
  const shape: [number, number] = [m, n];
  if (firstOf === null) {
    const cut = <A extends Int32Array | Float64Array>(a: A): A => (a.length === count ? a : (a.slice(0, count) as A));
    return {
      observations: { shape, rows: cut(rows), cols: cut(cols), values: cut(values) },
      rowIds: rowOrder.ids,
      colIds: colOrder.ids,
    };
  }
  // Merge the repeats into the entry first seen, in file order: sums and counts for 'mean', the last value for 'last'.
  const sums = new Float64Array(count);
  const counts = new Int32Array(count);
  let kept = 0;
  for (let k = 0; k < count; k++) {
    const f = firstOf[k];
    if (f < 0) {
      sums[k] = values[k];
      counts[k] = 1;
      kept++;
    } else if (policy === 'mean') {
      sums[f] += values[k];
      counts[f]++;
    } else {
      sums[f] = values[k];
      counts[f] = 1;
    }
  }
  const outRows = new Int32Array(kept);
  const outCols = new Int32Array(kept);
  const outValues = new Float64Array(kept);
  let s = 0;
  for (let k = 0; k < count; k++) {
    if (firstOf[k] >= 0) continue;
    outRows[s] = rows[k];
    outCols[s] = cols[k];
    outValues[s] = sums[k] / counts[k];
    s++;
  }
  return {
    observations: { shape, rows: outRows, cols: outCols, values: outValues },
    rowIds: rowOrder.ids,
    colIds: colOrder.ids,
  };
}

/**
 * For each entry, the earlier entry with the same (row, column) positions, or -1; null when no pair repeats.
 * Entries are visited row by row in file order (a counting sort), with a stamp per column. Cost O(|Ω| + m + n).
 */
function findRepeats(
  rows: Int32Array,
  cols: Int32Array,
  count: number,
  rowPos: Int32Array,
  colPos: Int32Array,
  m: number,
  n: number,
): Int32Array | null {
  const start = new Int32Array(m + 1);
  for (let k = 0; k < count; k++) start[rowPos[rows[k]] + 1]++;
  for (let i = 0; i < m; i++) start[i + 1] += start[i];
  const order = new Int32Array(count);
  const fill = start.slice(0, m);
  for (let k = 0; k < count; k++) order[fill[rowPos[rows[k]]]++] = k;
  const stamp = new Int32Array(n).fill(-1);
  const seenAt = new Int32Array(n);
  let firstOf: Int32Array | null = null;
  for (let i = 0; i < m; i++) {
    for (let t = start[i]; t < start[i + 1]; t++) {
      const k = order[t];
      const j = colPos[cols[k]];
      if (stamp[j] === i) {
        if (firstOf === null) firstOf = new Int32Array(count).fill(-1);
        firstOf[k] = seenAt[j];
      } else {
        stamp[j] = i;
        seenAt[j] = k;
      }
    }
  }
  return firstOf;
}
