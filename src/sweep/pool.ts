import { Piscina } from 'piscina';
import { WORKER_LOADED } from './worker-loaded.ts';

/**
 * The interface of a sweep's worker threads (and `mcomplete worker`'s). Internal: not re-exported by an entry, so the
 * published types never name piscina's (whose declarations need @types/node in the user's project).
 */
export interface RunPool {
  /** Run one task on a free thread, once every thread has loaded its modules; resolves to the worker's result. */
  run(task: unknown, options?: { signal?: AbortSignal }): Promise<unknown>;
  /** Stop every thread, once each has loaded its modules. */
  destroy(): Promise<void>;
}

/** The longest wait for threads to load before running or stopping them anyway (a thread that never loads). */
const LOAD_WAIT_MS = 120_000;

/** The worker modules beside this one a pool can run: a sweep's runs (worker.ts), or complete()'s jobs. */
export type PoolWorker = 'worker' | 'complete-worker';

/**
 * A pool whose workers load `worker`.ts/.js beside this module (worker.ts unless told): the compiled JavaScript in
 * dist/ in production, the TypeScript source through tsx when this module itself runs from source (tests, tsx).
 *
 * A thread is never terminated while it is still loading its modules: V8 aborts the whole process (exit 134,
 * "v8::Module::IsGraphAsync … must be used on an instantiated module") when a worker is terminated while its module
 * graph is being instantiated. Piscina terminates a thread to abort the task running on it (and starts a new one in
 * its place) and in destroy(), and it hands the first tasks to threads before they have loaded. So tasks are
 * handed out only once every thread has posted WORKER_LOADED, and destroy() first waits for every live thread
 * (replacements included) to have posted it too.
 */
export function createPool(threads: number, worker: PoolWorker = 'worker'): RunPool {
  if (!Number.isInteger(threads) || threads < 1)
    throw new RangeError(`workers must be a positive integer, got ${threads}`);
  const fromSource = import.meta.url.endsWith('.ts');
  const pool = new Piscina({
    filename: new URL(`./${worker}.${fromSource ? 'ts' : 'js'}`, import.meta.url).href,
    minThreads: threads,
    maxThreads: threads,
    // tsx by its resolved URL: a bare 'tsx' would be looked up from the working directory, which may be anywhere.
    execArgv: fromSource ? ['--import', import.meta.resolve('tsx')] : [],
  });
  const loaded = new Set<number>();
  const waiters = new Set<() => void>();
  const wake = (): void => {
    for (const w of waiters) w();
  };
  pool.on('message', (message: unknown) => {
    if (message !== null && typeof message === 'object' && WORKER_LOADED in message) {
      loaded.add((message as Record<string, number>)[WORKER_LOADED]);
      wake();
    }
  });
  pool.on('workerDestroy', wake);
  // The answer of a thread to a task aborted meanwhile (and the end of an idle thread) comes as the pool's 'error'
  // event, which unheard would end the process; the task's promise has settled already, so nothing waits for it.
  pool.on('error', () => {});
  // Every live thread has loaded (a thread that failed to start is no longer listed).
  const allLoaded = (): boolean => pool.threads.every((t) => loaded.has(t.threadId));
  const untilLoaded = async (): Promise<void> => {
    const deadline = Date.now() + LOAD_WAIT_MS;
    while (!allLoaded() && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        };
        // Also on a timer: a replacement thread is listed without an event of its own.
        const timer = setTimeout(done, 20);
        waiters.add(done);
      });
    }
  };
  return {
    async run(task, options) {
      await untilLoaded();
      return pool.run(task, options);
    },
    async destroy() {
      await untilLoaded();
      await pool.destroy();
    },
  };
}
