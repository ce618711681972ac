import type { Job, Queue } from 'bullmq';
import type { RunRecord } from './execute.ts';
import {
  bullQueueName,
  DEFAULT_QUEUE_NAME,
  jobId,
  oneLine,
  openQueue,
  ownerKey,
  QueueError,
  readOwner,
  sweepIdentity,
  type QueueJobData,
  type QueueOwner,
  type RedisTarget,
} from './queue.ts';
import { openResults, readResults, type ResultsWriter } from './results.ts';
import { expandSweep, inTaskOrder, type RunTask, type SweepSpec } from './spec.ts';
import { estimatedCost, type SweepOptions, type SweepSummary } from './sweep.ts';
import { packageVersion } from './version.ts';

/** How to run a sweep on a queue: the options of a local sweep (no `workers`: they run elsewhere) and the queue. */
export interface QueueSweepOptions extends Omit<SweepOptions, 'workers'> {
  redis: RedisTarget;
  /** --queue-name (default "default"): two sweeps at once on one Redis need two names. */
  queueName?: string;
  /** How often to look for finished runs, in ms (default 200). */
  pollMs?: number;
}

/**
 * Run `spec` on a BullMQ queue: enqueue every run the results file does not hold (the job id is a hash of the run
 * key, so a run already queued is not queued twice), then collect the records that `mcomplete worker` processes
 * return, appending each to `opts.out` (fsync'd) before removing its job, so a collector killed at any point and
 * restarted with `resume` neither loses nor duplicates a run. This collector is the only writer of the file. A run
 * that fails on a worker (any error but divergence, which is a record with `error` as in a local sweep) stops the
 * collection with a QueueError; rerunning retries it. Aborting pauses the queue (workers finish their current run
 * and take no new one; their records wait in Redis for the next collector) and returns what was collected.
 */
export async function queueSweep(spec: SweepSpec, opts: QueueSweepOptions): Promise<SweepSummary> {
  const start = performance.now();
  const version = packageVersion();
  const owner: QueueOwner = { identity: sweepIdentity(spec, version), sweep: spec.name, version };
  const name = opts.queueName ?? DEFAULT_QUEUE_NAME;
  const tasks = expandSweep(spec);
  const byKey = new Map(tasks.map((t) => [t.key, t]));
  const queue = await openQueue(opts.redis, name); // before the results file is touched
  let writer: ResultsWriter | null = null;
  const lost = (err: unknown): unknown =>
    err instanceof QueueError || !isConnectionError(err)
      ? err
      : new QueueError(
          `lost the connection to Redis at ${opts.redis.shown}: ${oneLine(String((err as Error).message))}`,
        );
  try {
    await claimQueue(queue, owner, name, opts.redis);
    const existing = opts.resume ? readResults(opts.out, { repair: true }) : { records: [], partialBytes: 0 };
    const done = new Set(existing.records.map((r) => r.key));
    const records = existing.records.filter((r) => byKey.has(r.key));
    const skipped = tasks.filter((t) => done.has(t.key)).length;
    let remaining = tasks.length - skipped;
    let completed = 0;
    writer = openResults(opts.out, { truncate: !opts.resume });
    opts.onStart?.({ total: tasks.length, skipped, partialBytes: existing.partialBytes });

    /** Append every finished run's record that the file does not hold yet, then remove its job. */
    const collect = async (): Promise<void> => {
      for (;;) {
        const jobs = await queue.getJobs(['completed'], 0, 99, true);
        if (jobs.length === 0) return;
        for (const job of jobs) {
          const record = job.returnvalue as RunRecord | null;
          const data = job.data as QueueJobData;
          if (record && data.identity === owner.identity && byKey.has(record.key) && !done.has(record.key)) {
            writer!.append(record);
            records.push(record);
            done.add(record.key);
            completed++;
            remaining--;
            opts.onRunDone?.(record, skipped + completed, tasks.length);
          }
          await job.remove();
        }
      }
    };

    // Records that workers finished while no collector ran come first; then what is still missing is (re)queued.
    await collect();
    await requeueFailed(queue, done);
    const pending = tasks
      .filter((t) => !done.has(t.key))
      .sort((a, b) => estimatedCost(b.settings) - estimatedCost(a.settings));
    await enqueue(queue, pending, owner);
    await queue.resume(); // a previous collector's Ctrl-C paused it

    while (remaining > 0 && !opts.signal?.aborted) {
      await collect();
      await stopOnFailure(queue, byKey);
      if (remaining > 0) await sleep(opts.pollMs ?? 200, opts.signal);
    }
    if (remaining > 0) await queue.pause();
    else await releaseQueue(queue);
    return {
      file: opts.out,
      total: tasks.length,
      skipped,
      completed,
      failed: records.filter((r) => r.error !== undefined).length,
      interrupted: remaining > 0,
      records: inTaskOrder(records, tasks),
      seconds: (performance.now() - start) / 1000,
    };
  } catch (err) {
    throw lost(err);
  } finally {
    writer?.close();
    await queue.close().catch(() => {});
  }
}

/**
 * Make `queue` this sweep's: fine when it is already, or when it holds no job at all; a queue with jobs of another
 * sweep (or version) is a QueueError.
 */
async function claimQueue(queue: Queue, owner: QueueOwner, name: string, redis: RedisTarget): Promise<void> {
  const current = await readOwner(queue);
  if (current?.identity === owner.identity) return;
  const counts = await queue.getJobCounts();
  const jobs = Object.values(counts).reduce((a, b) => a + b, 0);
  if (jobs > 0) {
    const whose = current
      ? `another sweep ("${current.sweep}", mcomplete ${current.version})`
      : 'another program (no mcomplete sweep claimed it)';
    throw new QueueError(
      `queue "${name}" (${bullQueueName(name)}) on ${redis.shown} holds ${jobs} jobs of ${whose}; ` +
        'let its collector finish, or pass --queue-name to use another queue',
    );
  }
  const client = await queue.client;
  await client.hset(ownerKey(queue), { ...owner });
}

/** Free a finished sweep's queue (no job left): remove its owner record, so another sweep may use it. */
async function releaseQueue(queue: Queue): Promise<void> {
  const counts = await queue.getJobCounts();
  if (Object.values(counts).every((c) => c === 0)) {
    const client = await queue.client;
    await client.del(ownerKey(queue));
  }
}

/** Runs that failed under an earlier collector go back to waiting (or away, when the file holds them). */
async function requeueFailed(queue: Queue, done: Set<string>): Promise<void> {
  for (const job of await queue.getJobs(['failed'])) {
    if (done.has((job.data as QueueJobData).task.key)) await job.remove();
    else await job.retry('failed');
  }
}

/** Add one job per pending run, longest first; BullMQ skips a job id already in the queue (waiting, active or done). */
async function enqueue(queue: Queue, pending: RunTask[], owner: QueueOwner): Promise<void> {
  for (let i = 0; i < pending.length; i += 500) {
    await queue.addBulk(
      pending.slice(i, i + 500).map((task) => ({
        name: 'run',
        data: { task, version: owner.version, sweep: owner.sweep, identity: owner.identity } satisfies QueueJobData,
        opts: { jobId: jobId(task.key), attempts: 1, removeOnComplete: false, removeOnFail: false },
      })),
    );
  }
}

/** A run that failed on a worker (not divergence: an error, or a worker crashing on it again and again) stops the sweep. */
async function stopOnFailure(queue: Queue, byKey: Map<string, RunTask>): Promise<void> {
  const failed: Job[] = await queue.getJobs(['failed'], 0, 0);
  if (failed.length === 0) return;
  await queue.pause();
  const task = byKey.get((failed[0].data as QueueJobData).task.key) ?? (failed[0].data as QueueJobData).task;
  throw new QueueError(
    `run ${task.name} m=${task.settings.samples} seed ${task.settings.seed} failed on a worker: ${oneLine(failed[0].failedReason ?? 'unknown reason')} ` +
      '(the queue is paused; rerun with --resume to retry it)',
  );
}

/** Whether `err` is ioredis giving up on a lost connection. */
function isConnectionError(err: unknown): boolean {
  const message = err instanceof Error ? err.message : '';
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
  return (
    /Connection is closed|ECONNREFUSED|ECONNRESET|ETIMEDOUT|max retries/i.test(message) ||
    /^E(CONNREFUSED|CONNRESET|TIMEDOUT|PIPE)$/.test(code)
  );
}

/** Wait `ms`, or less when `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
