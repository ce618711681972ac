// The "download results" JSON: settings, each run's final state, and the history as columns.
import type { HistoryRow, RunPoint } from './history.ts';
import type { RunSnapshot } from './protocol.ts';
import { sampleCount, type PageState, type RunConfig } from './state.ts';

/** Run labels as the page shows them. */
export const RUN_LABELS = ['A', 'B'] as const;

/** One run's history, one entry per history step (null where the run had stopped). */
export interface RunColumns {
  relObserved: (number | null)[];
  relUnobserved: (number | null)[];
  relAll: (number | null)[];
  trainMSE: (number | null)[];
  ratio: (number | null)[];
  effectiveRank: (number | null)[];
  /** The largest singular values at each step. */
  sv: (number[] | null)[];
}

/** The downloaded document. */
export interface ResultsJson {
  format: 'mcomplete-web-results';
  version: 1;
  /** The page address that reproduces these settings. */
  url: string;
  settings: PageState;
  problem: { n: number; rank: number; samples: number; seed: number };
  runs: {
    label: string;
    method: RunConfig;
    step: number;
    status: string;
    stopReason: string | null;
    error: string | null;
    final: Omit<RunPoint, 'sv'> & { singularValues: number[] };
  }[];
  history: { step: number[]; runs: RunColumns[] };
}

/** Build the results document (plain JSON data; non-finite numbers become null when stringified). */
export function buildResults(
  state: PageState,
  url: string,
  latest: readonly RunSnapshot[],
  rows: readonly HistoryRow[],
): ResultsJson {
  const column = (run: number, pick: (p: RunPoint) => number | null): (number | null)[] =>
    rows.map((r) => (r.runs[run] ? pick(r.runs[run] as RunPoint) : null));
  return {
    format: 'mcomplete-web-results',
    version: 1,
    url,
    settings: structuredClone(state),
    problem: { n: state.n, rank: state.rank, samples: sampleCount(state), seed: state.seed },
    runs: latest.map((snap, i) => ({
      label: RUN_LABELS[i] ?? String(i),
      method: { ...state.runs[i] },
      step: snap.step,
      status: snap.status,
      stopReason: snap.stopReason,
      error: snap.error,
      final: {
        trainMSE: snap.metrics.trainMSE,
        relObserved: snap.metrics.relObserved,
        relUnobserved: snap.metrics.relUnobserved,
        relAll: snap.metrics.relAll,
        ratio: snap.metrics.ratio,
        effectiveRank: snap.metrics.effectiveRank,
        singularValues: Array.from(snap.metrics.singularValues),
      },
    })),
    history: {
      step: rows.map((r) => r.step),
      runs: state.runs.map((_, i) => ({
        relObserved: column(i, (p) => p.relObserved),
        relUnobserved: column(i, (p) => p.relUnobserved),
        relAll: column(i, (p) => p.relAll),
        trainMSE: column(i, (p) => p.trainMSE),
        ratio: column(i, (p) => p.ratio),
        effectiveRank: column(i, (p) => p.effectiveRank),
        sv: rows.map((r) => (r.runs[i] ? [...(r.runs[i] as RunPoint).sv] : null)),
      })),
    },
  };
}
