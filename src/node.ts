// `mcomplete/node`: everything in `mcomplete` (src/index.ts) plus what needs Node: the native backend (OpenBLAS and
// LAPACKE through an addon), results files, sweeps on worker threads, claims and HTML reports. (The file parsers are
// in `mcomplete` itself.)
// Importing it has no side effect either: call useFastestBackend() to switch to the native backend.
import { setBackend, type Backend } from './linalg/backend.ts';
import { chooseBackend } from './linalg/native.ts';

export * from './index.ts';

// The native backend.
export { chooseBackend, loadNativeBackend, NATIVE_HOW_TO, nativeThreads } from './linalg/native.ts';

/** Make the fastest backend the default and return it: native when built, else TypeScript (see chooseBackend). */
export function useFastestBackend(): Backend {
  const backend = chooseBackend();
  setBackend(backend);
  return backend;
}

// Results files (JSON Lines, one record per run).
export { openResults, readResults, type ResultsFile, type ResultsWriter } from './sweep/results.ts';

// Sweeps: a JSON spec of methods × sample counts × seeds, run on worker threads.
export { parseSweepSpec, SpecError, type SweepSpec } from './sweep/spec.ts';
export { sweep, type SweepOptions, type SweepSummary } from './sweep/sweep.ts';
export { type RunRecord } from './sweep/execute.ts';

// Claims: the paper's claims checked against a sweep's records.
export {
  evaluateClaims,
  formatClaims,
  FULL_CLAIMS,
  QUICK_CLAIMS,
  type ClaimResult,
  type ClaimsPreset,
} from './study/claims.ts';

// Reports: figures of a sweep as one HTML page.
export { renderReport, writeReport, type ReportOptions } from './report/html.ts';

// complete() on worker threads: the same model, a free event loop, an AbortSignal.
export { completeAsync, type CompleteAsyncOptions } from './sweep/complete-async.ts';
