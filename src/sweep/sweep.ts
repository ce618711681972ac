import { setMaxListeners } from 'node:events';
import { availableParallelism } from 'node:os';
import { createPool } from './pool.ts';
import { methodOf } from '../methods/run.ts';
import type { RunRecord } from './execute.ts';
import { openSweepResults } from './results.ts';
import { expandSweep, inTaskOrder, type RunSettings, type SweepSpec } from './spec.ts';
import { packageVersion } from './version.ts';

/** How to run a sweep. */
export interface SweepOptions {
  /** The JSON Lines results file: one line is appended (and fsync'd) as each run finishes. */
  out: string;
  /** Worker threads (default: os.availableParallelism()). */
  workers?: number;
  /** Keep the file and skip runs whose key is already in it (its unfinished last line, if any, is cut off). */
  resume?: boolean;
  /** Aborting stops dispatching and ends the runs in flight; what finished stays in the file. */
  signal?: AbortSignal;
  /** Called once before the first run starts. */
  onStart?: (info: { total: number; skipped: number; partialBytes: number }) => void;
  /** Called as each run's record has been written. */
  onRunDone?: (record: RunRecord, done: number, total: number) => void;
}

/** What a sweep did. */
export interface SweepSummary {
  file: string;
  total: number;
  /** Runs found in the file already (resume). */
  skipped: number;
  /** Runs finished now (including diverged ones, which are records with an `error`). */
  completed: number;
  /** Runs whose training diverged (now or before). */
  failed: number;
  /** True when the signal stopped the sweep before every run was done. */
  interrupted: boolean;
  /** The records of this sweep's runs: those found in the file plus those finished now. */
  records: RunRecord[];
  seconds: number;
}

/**
 * Run every (method, samples, seed) of `spec` on a pool of worker threads (piscina), appending each finished run
 * to `opts.out` at once. Without `resume` the file is started afresh. Each run is independent and seeded, so the
 * numbers do not depend on the number of workers or the order in which runs finish.
 */
export async function sweep(spec: SweepSpec, opts: SweepOptions): Promise<SweepSummary> {
  const start = performance.now();
  const tasks = expandSweep(spec);
  const keys = new Set(tasks.map((t) => t.key));
  const { existing, writer } = openSweepResults(opts.out, { resume: opts.resume ?? false, sweepName: spec.name, keys });
  const done = new Set(existing.records.map((r) => r.key));
  const records = existing.records.filter((r) => keys.has(r.key));
  const pending = tasks
    .filter((t) => !done.has(t.key))
    .sort((a, b) => estimatedCost(b.settings) - estimatedCost(a.settings));
  const skipped = tasks.length - pending.length;
  opts.onStart?.({ total: tasks.length, skipped, partialBytes: existing.partialBytes });
  let completed = 0;
  let firstError: unknown = null;
  const stop = new AbortController();
  setMaxListeners(Infinity, stop.signal); // piscina adds one listener per run in flight
  const onAbort = (): void => stop.abort();
  if (opts.signal?.aborted) stop.abort();
  opts.signal?.addEventListener('abort', onAbort);
  const threads = Math.min(opts.workers ?? availableParallelism(), pending.length);
  const pool = pending.length > 0 ? createPool(threads) : null;
  const version = packageVersion();
  let next = 0;
  // One dispatcher per thread: each takes the next run only when its last one is done, so runs start in order
  // (longest first) and stopping dispatch leaves nothing queued.
  const dispatcher = async (): Promise<void> => {
    while (next < pending.length && !stop.signal.aborted) {
      const task = pending[next++];
      try {
        const record = (await pool!.run({ task, version, sweep: spec.name }, { signal: stop.signal })) as RunRecord;
        writer.append(record);
        records.push(record);
        completed++;
        opts.onRunDone?.(record, skipped + completed, tasks.length);
      } catch (err) {
        if (stop.signal.aborted && firstError === null) return;
        firstError ??= err;
        stop.abort();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: threads }, dispatcher));
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    writer.close();
    await pool?.destroy();
  }
  if (firstError !== null) throw firstError;
  return {
    file: opts.out,
    total: tasks.length,
    skipped,
    completed,
    failed: records.filter((r) => r.error !== undefined).length,
    interrupted: skipped + completed < tasks.length,
    records: inTaskOrder(records, tasks),
    seconds: (performance.now() - start) / 1000,
  };
}

/** A rough relative cost of a run, to start the longest runs first (better packing on few workers): its method's own estimate. */
export function estimatedCost(s: RunSettings): number {
  return methodOf(s).cost(s);
}
