// The worker-thread side of completeAsync (piscina loads this file): one of complete()'s jobs in, its result out.
import { parentPort, threadId } from 'node:worker_threads';
import { runFitJob } from '../complete/fit.ts';
import type { FitJobResult } from '../complete/tune.ts';
import { setBackend, tsBackend } from '../linalg/backend.ts';
import { loadNativeBackend } from '../linalg/native.ts';
import { decodeWireTask, toWireError, type WireError, type WireTask } from './complete-jobs.ts';
import { WORKER_LOADED } from './worker-loaded.ts';

/**
 * Run one of complete()'s jobs in this worker thread, on the backend of the thread that posted it; an error it throws
 * comes back as a result (WireError), so that its class survives the trip.
 */
export default function runCompleteJob(task: WireTask): FitJobResult | WireError {
  try {
    const native = task.backend === 'native' ? loadNativeBackend().backend : null;
    if (task.backend === 'native' && !native)
      throw new Error('complete: the native backend did not load in a worker thread');
    setBackend(native ?? tsBackend);
    return runFitJob(decodeWireTask(task));
  } catch (err) {
    return toWireError(err);
  }
}

// Every module above is loaded: the pool may now hand this thread tasks, and terminate it (pool.ts).
parentPort?.postMessage({ [WORKER_LOADED]: threadId });
