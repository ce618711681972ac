import { setMaxListeners } from 'node:events';
import { availableParallelism } from 'node:os';
import type { Observations } from '../data/observations.ts';
import type { LabeledObservations } from '../data/labels.ts';
import { resolveCompleteOptions, type CompleteOptions, type CompletionModel } from '../complete/complete.ts';
import { fitCompletionSteps, runFitJob } from '../complete/fit.ts';
import { jobLabel, jobUnits, type FitJob, type FitJobDone, type FitJobResult } from '../complete/tune.ts';
import { getBackend } from '../linalg/backend.ts';
import { ParamError, showValue } from '../params.ts';
import { createWireEncoder, fromWireError, type WireError } from './complete-jobs.ts';
import { createPool, type RunPool } from './pool.ts';

/** complete()'s options, plus the worker threads and a signal that stops the fit. */
export type CompleteAsyncOptions = CompleteOptions & {
  /**
   * Worker threads that run the tuning runs and refits (default: os.availableParallelism()); 0: none, the jobs run
   * on the calling thread, one per turn of its event loop (each job blocks it while it runs).
   */
  workers?: number;
  /** Aborting stops every job (their threads are terminated) and rejects with an AbortError. */
  signal?: AbortSignal;
};

/**
 * complete() on worker threads: the same model, bit for bit, for any number of workers (each job, a tuning run, a
 * soft-impute path or a refit, depends on its inputs alone, and the results are taken as complete() takes them:
 * fitCompletionSteps). The calling thread only splits, plans, blends and assembles between jobs, so its event loop
 * keeps running; `onProgress` hears of each job as it finishes. The jobs run on the backend of the calling thread.
 * Aborting `signal` terminates the jobs' threads and rejects with an AbortError saying what was stopped; the pool
 * is destroyed before the promise settles, whatever happens. Cost: complete()'s, spread over the workers.
 */
export async function completeAsync(
  input: Observations | LabeledObservations,
  options: CompleteAsyncOptions = {},
): Promise<CompletionModel> {
  const { workers, signal, ...rest } = options;
  if (workers !== undefined && !(Number.isInteger(workers) && workers >= 0 && workers <= 256))
    throw new ParamError('workers', `completeAsync: workers must be an integer in [0, 256], got ${showValue(workers)}`);
  if (signal !== undefined && !(signal instanceof AbortSignal))
    throw new ParamError('signal', `completeAsync: signal must be an AbortSignal, got ${showValue(signal)}`);
  const config = resolveCompleteOptions(rest);
  const inflight = new Map<FitJob, Promise<FitJobDone>>();
  const where = { done: 0, total: 0 };
  // What is running, for the abort's message: tuning runs, refits, or neither yet.
  const phase = (): string => {
    const kinds = new Set([...inflight.keys()].map((j) => (j.kind === 'refit' ? 'fitting' : 'tuning')));
    return kinds.size === 0 ? 'starting' : [...kinds].sort().reverse().join(' and ');
  };
  const stopped = (): DOMException =>
    new DOMException(
      `completeAsync aborted while ${phase()}` +
        (where.total > 0 ? ` (${Math.floor(where.done)} of ${where.total} tuning units done)` : '') +
        (workers === 0 ? '' : '; its worker threads are stopped'),
      'AbortError',
    );
  if (signal?.aborted) throw stopped();
  const stop = new AbortController();
  setMaxListeners(Infinity, stop.signal); // piscina adds one listener per job in flight
  const onAbort = (): void => stop.abort();
  signal?.addEventListener('abort', onAbort);
  // Made at the first job: data refused by the first phases starts no thread.
  let pool: RunPool | null = null;
  const encode = createWireEncoder(getBackend().name);
  // Side by side on two threads or more, the refit need not wait for the centering check.
  const steps = fitCompletionSteps(input, config, { speculate: (workers ?? availableParallelism()) >= 2 });
  try {
    // The first phases (split, plan, biases) run after this function has returned its promise.
    await new Promise<void>((resolve) => setImmediate(resolve));
    let next = steps.next(undefined);
    while (!next.done) {
      if (stop.signal.aborted) throw stopped();
      // Longest first: a soft-impute path (a chain of warm starts) before the gradient runs, larger budgets first.
      for (const job of [...next.value.start].sort((a, b) => jobWork(b) - jobWork(a))) {
        started(job);
        let run: Promise<FitJobResult>;
        if (workers === 0) {
          // Its progress is reported here, as for a job on a thread.
          const here = { ...job, tally: undefined, progress: undefined };
          run = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
            if (stop.signal.aborted) throw stopped();
            return runFitJob(here);
          });
        } else {
          pool ??= createPool(workers ?? availableParallelism(), 'complete-worker');
          run = (pool.run(encode(job), { signal: stop.signal }) as Promise<FitJobResult | WireError>).then((r) => {
            if (r.kind === 'error') throw fromWireError(r);
            return r;
          });
        }
        const done = run.then((result) => ({ job, result }));
        done.catch(() => {}); // each is awaited below (a failure after another's is not unhandled)
        inflight.set(job, done);
      }
      if (inflight.size === 0) throw new Error('completeAsync: the fit waits for a job it never started');
      const done = await Promise.race(inflight.values());
      inflight.delete(done.job);
      finished(done.job);
      next = steps.next(done);
    }
    return next.value;
  } catch (err) {
    if (stop.signal.aborted) throw stopped();
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    stop.abort(); // ends what is still in flight after a failure
    await Promise.allSettled(inflight.values());
    steps.return(undefined as unknown as CompletionModel);
    await pool?.destroy();
  }

  function started(job: FitJob): void {
    const tuning = [...inflight.keys()].some((j) => j.kind !== 'refit');
    // A refit started beside tuning runs (speculate) is heard of when it is done, not to switch phases back and forth.
    if (job.kind === 'refit' && !tuning)
      job.progress?.({ phase: 'fitting', done: 0, total: 1, info: `refit: ${jobLabel(job)}` });
    else if (job.kind !== 'refit' && job.tally) where.total = job.tally.total;
  }

  function finished(job: FitJob): void {
    if (job.kind === 'refit') {
      job.progress?.({ phase: 'fitting', done: 1, total: 1, info: `refit: ${jobLabel(job)}` });
      return;
    }
    if (!job.tally) return;
    job.tally.done += jobUnits(job);
    where.done = job.tally.done;
    job.tally.report({ phase: 'tuning', done: job.tally.done, total: job.tally.total, info: jobLabel(job) });
  }
}

/** A rough relative cost of a job, to start the longest first: steps or iterations × entries × rank. */
function jobWork(job: FitJob): number {
  const entries = job.resid.values.length;
  if (job.kind === 'gradient') return job.budget * entries * job.candidate.rank;
  if (job.kind === 'soft-impute') return job.path.length * job.maxIters * entries * job.rank;
  return Infinity;
}
