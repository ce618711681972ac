// mcomplete's library API: the numeric core and the experiment runner. The numeric core (linalg to solver) uses no
// Node APIs except the optional native backend's loader src/linalg/native.ts (which the browser build never imports);
// sweeps (worker threads, results files) and reports (files) do.
import { setBackend } from './linalg/backend.ts';
import { chooseBackend } from './linalg/native.ts';

export * from './linalg/index.ts';
export * from './random/index.ts';
export * from './data/index.ts';
export * from './penalty/index.ts';
export * from './model/index.ts';
export * from './optim/index.ts';
export * from './solver/index.ts';
export * from './complete/index.ts';
export * from './metrics/index.ts';
export * from './experiment/run.ts';
export * from './experiment/baselines.ts';
export * from './experiment/spec.ts';
export * from './experiment/execute.ts';
export * from './experiment/results.ts';
export * from './experiment/sweep.ts';
export * from './experiment/claims.ts';
export { renderReport, writeReport, reportFigures, type ReportOptions } from './report/html.ts';

export { chooseBackend, loadNativeBackend, nativeThreads, NATIVE_HOW_TO } from './linalg/native.ts';

// Node users of the library get the native backend automatically when it is built (MCOMPLETE_BACKEND=ts|native
// forces one; forcing a missing native backend throws here, saying how to build it).
setBackend(chooseBackend());
