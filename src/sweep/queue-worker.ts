import type { Job } from 'bullmq';
import type { RunRecord } from './execute.ts';
import {
  bullQueueName,
  DEFAULT_QUEUE_NAME,
  jobProblem,
  oneLine,
  openQueue,
  QueueError,
  readOwner,
  workerVersion,
  type QueueJobData,
  type RedisTarget,
} from './queue.ts';
import type { RunTask } from './spec.ts';
import { loadBullmq } from './optional-packages.ts';
import { createPool } from './pool.ts';

/** The default lock time of a run (s): a worker that stops renewing it (killed) loses the run after this long. */
export const DEFAULT_LOCK_SECONDS = 30;

/** How many times a run may lose its worker (lock expired) and be retried before it counts as failed. */
export const MAX_STALLED_COUNT = 2;

/** How to run a queue worker. */
export interface QueueWorkerOptions {
  redis: RedisTarget;
  queueName?: string;
  /** Runs at once (worker threads; default 1). */
  concurrency?: number;
  /** BullMQ lockDuration and stalled-check interval, in seconds (default 30). */
  lockSeconds?: number;
  /** Aborting stops taking runs; the runs in progress finish and are returned first. */
  signal?: AbortSignal;
  /** Called when the worker is connected and waits for runs. */
  onReady?: (info: { queue: string; version: string; concurrency: number; lockSeconds: number }) => void;
  onRunStart?: (task: RunTask) => void;
  onRunDone?: (record: RunRecord, seconds: number) => void;
  /** Called with the job's id and the reason when the worker refuses an altered job (it fails the job, unrun). */
  onRefused?: (id: string, problem: string) => void;
  /** Called with each new connection error while the worker tries to reconnect. */
  onConnectionError?: (message: string) => void;
}

/**
 * Take runs from the queue and run them, `concurrency` at a time, on the same worker threads (worker.ts →
 * executeTask) as a local sweep; each job's return value is the run's full record. Before running a job of its
 * version the worker checks it (jobProblem: its id is the hash of its key, its settings pass the spec validator and
 * its key is theirs); an altered one fails unrun (no retry) with the reason, and the worker goes on. A job enqueued by another
 * mcomplete version is put back to waiting untouched and the worker stops with a QueueError (as it does at once
 * when the queue's owner is of another version). A run that throws fails its job (no retry; divergence is a record,
 * not an error). A worker killed mid-run loses its lock after lockSeconds and the run goes to another worker
 * (BullMQ's stalled-job check), at most MAX_STALLED_COUNT times. Resolves with the number of runs done once
 * `signal` aborts and the runs in progress are returned.
 */
export async function runQueueWorker(opts: QueueWorkerOptions): Promise<{ runs: number }> {
  const version = workerVersion();
  const name = opts.queueName ?? DEFAULT_QUEUE_NAME;
  const concurrency = opts.concurrency ?? 1;
  const lockSeconds = opts.lockSeconds ?? DEFAULT_LOCK_SECONDS;
  const refusal = (theirs: string, sweep: string): string =>
    `queue "${name}" holds runs of mcomplete ${theirs} (sweep "${sweep}") but this worker is mcomplete ${version}; ` +
    `start workers of version ${theirs} (records of two versions are not mixed)`;
  const { UnrecoverableError, WaitingError, Worker } = await loadBullmq();
  const probeQueue = await openQueue(opts.redis, name);
  try {
    const owner = await readOwner(probeQueue);
    if (owner && owner.version !== version) throw new QueueError(refusal(owner.version, owner.sweep));
  } finally {
    await probeQueue.close().catch(() => {});
  }

  const pool = createPool(concurrency);
  let refused: string | null = null;
  let fatal: QueueError | null = null;
  let runs = 0;
  const processor = async (job: Job, token?: string): Promise<RunRecord> => {
    const data = job.data as Partial<QueueJobData> | null;
    const theirs = typeof data?.version === 'string' ? data.version : null;
    // A job of another version is that version's to check (its settings may have fields this one does not know).
    if (refused !== null || (theirs !== null && theirs !== version)) {
      refused ??= refusal(theirs ?? '?', String(data?.sweep ?? ''));
      await job.moveToWait(token); // untouched, for a worker of the right version
      setImmediate(onAbort);
      throw new WaitingError();
    }
    const problem = jobProblem(job.id, job.data);
    if (problem !== null) {
      opts.onRefused?.(job.id ?? '(no id)', problem);
      throw new UnrecoverableError(`refused an altered job: ${problem}`);
    }
    const checked = job.data as QueueJobData;
    opts.onRunStart?.(checked.task);
    const t0 = performance.now();
    const record = (await pool.run({
      task: checked.task,
      version: checked.version,
      sweep: checked.sweep,
    })) as RunRecord;
    runs++;
    opts.onRunDone?.(record, (performance.now() - t0) / 1000);
    return record;
  };
  const worker = new Worker(bullQueueName(name), processor, {
    connection: { ...opts.redis.options },
    concurrency,
    lockDuration: lockSeconds * 1000,
    stalledInterval: lockSeconds * 1000,
    maxStalledCount: MAX_STALLED_COUNT,
    autorun: false,
  });
  let stopping = false;
  let lastError = '';
  worker.on('error', (err) => {
    // Reconnection attempts (about half a minute, then ioredis gives up: see the 'end' handler below).
    if (err.message !== lastError) opts.onConnectionError?.(oneLine(err.message));
    lastError = err.message;
  });
  const onAbort = (): void => {
    stopping = true;
    void worker.close();
  };
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort);
  try {
    const running = worker.run();
    await worker.waitUntilReady();
    (await worker.client).on('end', () => {
      if (stopping || refused !== null) return;
      fatal = new QueueError(`lost the connection to Redis at ${opts.redis.shown} (gave up reconnecting)`);
      stopping = true;
      void worker.close(true);
    });
    opts.onReady?.({ queue: bullQueueName(name), version, concurrency, lockSeconds });
    await running;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await worker.close().catch(() => {});
    await pool.destroy();
  }
  if (fatal !== null) throw fatal;
  if (refused !== null) throw new QueueError(refused);
  return { runs };
}
