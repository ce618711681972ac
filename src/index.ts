// mcomplete's library API: the numeric core and the experiment runner. The numeric core (linalg to solver) uses no
// Node APIs; sweeps (worker threads, results files) and reports (files) do.
export * from './linalg/index.ts';
export * from './random/index.ts';
export * from './data/index.ts';
export * from './penalty/index.ts';
export * from './model/index.ts';
export * from './optim/index.ts';
export * from './solver/index.ts';
export * from './metrics/index.ts';
export * from './experiment/run.ts';
export * from './experiment/baselines.ts';
export * from './experiment/spec.ts';
export * from './experiment/execute.ts';
export * from './experiment/results.ts';
export * from './experiment/sweep.ts';
export * from './experiment/claims.ts';
export { renderReport, writeReport, reportFigures, type ReportOptions } from './report/html.ts';
