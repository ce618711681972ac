/** The message a pool's worker thread posts (worker.ts, complete-worker.ts: their last statement) once every module it imports is loaded. */
export const WORKER_LOADED = 'mcompleteWorkerLoaded';
