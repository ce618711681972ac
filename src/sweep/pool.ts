import { Piscina } from 'piscina';

/**
 * The worker threads a sweep (and `mcomplete worker`) runs its runs on. Internal: not re-exported by an entry, so the
 * published types never name piscina's (whose declarations need @types/node in the user's project).
 */
export interface RunPool {
  /** Run one task on a free thread; resolves to the worker's result. */
  run(task: unknown, options?: { signal?: AbortSignal }): Promise<unknown>;
  /** Stop every thread. */
  destroy(): Promise<void>;
}

/**
 * A pool whose workers load worker.ts/worker.js beside this module: the compiled JavaScript in dist/ in
 * production, the TypeScript source through tsx when this module itself runs from source (tests, tsx).
 */
export function createPool(threads: number): RunPool {
  if (!Number.isInteger(threads) || threads < 1)
    throw new RangeError(`workers must be a positive integer, got ${threads}`);
  const fromSource = import.meta.url.endsWith('.ts');
  return new Piscina({
    filename: new URL(fromSource ? './worker.ts' : './worker.js', import.meta.url).href,
    minThreads: threads,
    maxThreads: threads,
    // tsx by its resolved URL: a bare 'tsx' would be looked up from the working directory, which may be anywhere.
    execArgv: fromSource ? ['--import', import.meta.resolve('tsx')] : [],
  });
}
