// The page's training history: one row per snapshot, both runs side by side, bounded in length.
import type { RunMetrics } from './snapshot.ts';

/** How many singular values each history row keeps (the largest ones). */
export const SV_KEEP = 10;

/** One run's measurements at one step (plain numbers: goes into the downloaded JSON as is). */
export interface RunPoint {
  trainMSE: number;
  relObserved: number;
  relUnobserved: number | null;
  relAll: number;
  ratio: number;
  effectiveRank: number;
  /** The largest min(n, SV_KEEP) singular values. */
  sv: number[];
}

/** One history row: a step and each run's point, null where that run is not at this step (stopped earlier). */
export interface HistoryRow {
  step: number;
  runs: (RunPoint | null)[];
}

/** A RunPoint from full metrics, keeping the largest `keep` singular values. */
export function toPoint(m: RunMetrics, keep = SV_KEEP): RunPoint {
  return {
    trainMSE: m.trainMSE,
    relObserved: m.relObserved,
    relUnobserved: m.relUnobserved,
    relAll: m.relAll,
    ratio: m.ratio,
    effectiveRank: m.effectiveRank,
    sv: Array.from(m.singularValues.subarray(0, keep)),
  };
}

/**
 * A history row from runs' (step, point) pairs: the row's step is the largest step, and a run at an earlier step
 * (it stopped) gets null, so every column of the row is measured at the row's step.
 */
export function makeRow(runs: readonly { step: number; point: RunPoint }[]): HistoryRow {
  const step = Math.max(...runs.map((r) => r.step));
  return { step, runs: runs.map((r) => (r.step === step ? r.point : null)) };
}

/**
 * A bounded history: of the rows offered, it keeps every `stride`-th one, plus the latest one. When the kept rows
 * fill the capacity, every other one is dropped and the stride doubles, so a long run keeps an even coverage of
 * its whole course (first row included) in at most `capacity` rows.
 */
export interface History {
  readonly capacity: number;
  readonly rows: HistoryRow[];
  /** Offer number of each row (0-based). */
  readonly offer: number[];
  stride: number;
  offered: number;
}

/** An empty history of at most `capacity` rows. */
export function createHistory(capacity: number): History {
  if (!Number.isInteger(capacity) || capacity < 3)
    throw new RangeError(`history capacity must be an integer >= 3, got ${capacity}`);
  return { capacity, rows: [], offer: [], stride: 1, offered: 0 };
}

/** Offer `row` to the history (in place). A row at the same step as the latest one replaces it. */
export function appendRow(h: History, row: HistoryRow): void {
  const { rows, offer } = h;
  const last = rows.length - 1;
  if (last >= 0 && rows[last].step === row.step) {
    rows[last] = row;
    return;
  }
  // The latest row stays only until a newer one comes, unless it is on the stride.
  if (last >= 0 && offer[last] % h.stride !== 0) {
    rows.pop();
    offer.pop();
  }
  rows.push(row);
  offer.push(h.offered++);
  if (rows.length > h.capacity) {
    h.stride *= 2;
    let w = 0;
    for (let r = 0; r < rows.length; r++) {
      if (offer[r] % h.stride === 0 || r === rows.length - 1) {
        rows[w] = rows[r];
        offer[w] = offer[r];
        w++;
      }
    }
    rows.length = w;
    offer.length = w;
  }
}

/** Column of one run's value over the history, null where the run has no point or the value is not positive. */
export function positiveColumn(
  rows: readonly HistoryRow[],
  run: number,
  pick: (p: RunPoint) => number | null,
): (number | null)[] {
  return rows.map((row) => {
    const p = row.runs[run];
    if (!p) return null;
    const v = pick(p);
    return v !== null && v > 0 && Number.isFinite(v) ? v : null;
  });
}
