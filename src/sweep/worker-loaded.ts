/** The message a sweep's worker thread posts (worker.ts, its last statement) once every module it imports is loaded. */
export const WORKER_LOADED = 'mcompleteWorkerLoaded';
