// The worker-thread side of a sweep (piscina loads this file): one task in, its record out.
import { executeTask, type RunRecord } from './execute.ts';
import type { RunTask } from './spec.ts';
import { setBackend } from '../linalg/backend.ts';
import { chooseBackend } from '../linalg/native.ts';
import { parentPort, threadId } from 'node:worker_threads';
import { WORKER_LOADED } from './worker-loaded.ts';

// Each worker thread picks its own kernels: the native backend when built (MCOMPLETE_BACKEND=ts|native forces one).
setBackend(chooseBackend());

/** Run one sweep task in this worker thread. */
export default function runTask(input: { task: RunTask; version: string; sweep: string }): RunRecord {
  return executeTask(input.task, { version: input.version, sweep: input.sweep });
}

// Every module above is loaded: the pool may now hand this thread tasks, and terminate it (pool.ts).
parentPort?.postMessage({ [WORKER_LOADED]: threadId });
