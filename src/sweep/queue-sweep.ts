import type { Job, Queue } from 'bullmq';
import type { RunRecord } from './execute.ts';
import {
  bullQueueName,
  claimCollector,
  DEFAULT_QUEUE_NAME,
  jobId,
  oneLine,
  openQueue,
  ownerKey,
  QueueError,
  readOwner,
  sweepIdentity,
  type CollectorClaim,
  type QueueJobData,
  type QueueOwner,
  type RedisTarget,
} from './queue.ts';
import { isRunRecord, openSweepResults, type ResultsWriter } from './results.ts';
import { canonicalJson, expandSweep, inTaskOrder, taskKey, type RunTask, type SweepSpec } from './spec.ts';
import { estimatedCost, type SweepOptions, type SweepSummary } from './sweep.ts';
import { loadBullmq } from './optional-packages.ts';
import { packageVersion } from './version.ts';

/** How to run a sweep on a queue: the options of a local sweep (no `workers`: they run elsewhere) and the queue. */
export interface QueueSweepOptions extends Omit<SweepOptions, 'workers'> {
  redis: RedisTarget;
  /** --queue-name (default "default"): two sweeps at once on one Redis need two names. */
  queueName?: string;
  /** How often to look for finished runs, in ms (default 200). */
  pollMs?: number;
  /**
   * How often to look for runs owed to the sweep that are in no state of the queue, in ms (default
   * LOST_CHECK_MS); a run missing at two looks in a row is enqueued again.
   */
  lostCheckMs?: number;
  /** Called with one line when the collector refuses a record or enqueues runs again that had vanished. */
  onNotice?: (line: string) => void;
}

/** The default interval of the look for vanished runs (ms): a run that vanishes is enqueued again within twice this. */
export const LOST_CHECK_MS = 5000;

/** How many records of one run the collector refuses (each time enqueueing the run again) before it stops. */
export const MAX_REFUSALS = 3;

/**
 * Run `spec` on a BullMQ queue: enqueue every run the results file does not hold (the job id is a hash of the run
 * key, so a run already queued is not queued twice), then collect the records that `mcomplete worker` processes
 * return, appending each to `opts.out` (fsync'd) before removing its job, so a collector killed at any point and
 * restarted with `resume` neither loses nor duplicates a run. One collector per queue (claimCollector: an atomic
 * claim it renews several times a second) and one writer per results file (openSweepResults: a lock file); the
 * collector touches only the jobs of its own runs. Every record is checked as a line of a results file is
 * (isRunRecord) and against the run it claims to be (key, name, samples, seed, settings); a bad one is refused
 * with a notice and its run enqueued again (MAX_REFUSALS times, then a QueueError). Runs owed that vanish from the
 * queue (removed, or Redis restarted without persistence) are enqueued again within 2·lostCheckMs. A run that
 * fails on a worker (any error but divergence, which is a record with `error` as in a local sweep; or a job the
 * worker refused as altered) stops the collection with a QueueError; rerunning enqueues the collector's own run
 * again. Aborting pauses the queue (workers finish their current run and take no new one; their records wait in
 * Redis for the next collector) and returns what was collected.
 */
export async function queueSweep(spec: SweepSpec, opts: QueueSweepOptions): Promise<SweepSummary> {
  const start = performance.now();
  const version = packageVersion();
  const owner: QueueOwner = { identity: sweepIdentity(spec, version), sweep: spec.name, version };
  const name = opts.queueName ?? DEFAULT_QUEUE_NAME;
  const tasks = expandSweep(spec);
  const byJobId = new Map(tasks.map((t) => [jobId(t.key), t]));
  const notice = (line: string): void => opts.onNotice?.(line);
  const queue = await openQueue(opts.redis, name); // before the results file is touched
  let writer: ResultsWriter | null = null;
  let claim: CollectorClaim | null = null;
  const lost = (err: unknown): unknown =>
    err instanceof QueueError || !isConnectionError(err)
      ? err
      : new QueueError(
          `lost the connection to Redis at ${opts.redis.shown}: ${oneLine(String((err as Error).message))}`,
        );
  try {
    await claimQueue(queue, owner, name, opts.redis, false); // a queue of another sweep: say so first
    claim = await claimCollector(queue, name, opts.redis);
    await claimQueue(queue, owner, name, opts.redis, true);
    const opened = openSweepResults(opts.out, {
      resume: opts.resume ?? false,
      sweepName: spec.name,
      keys: new Set(tasks.map((t) => t.key)),
    });
    writer = opened.writer;
    const existing = opened.existing;
    const done = new Set(existing.records.map((r) => r.key));
    const records = [...existing.records];
    const skipped = tasks.filter((t) => done.has(t.key)).length;
    let remaining = tasks.length - skipped;
    let completed = 0;
    opts.onStart?.({ total: tasks.length, skipped, partialBytes: existing.partialBytes });
    const refusals = new Map<string, number>();
    let missingBefore = new Set<string>();
    let lookNow = false;

    /** Renew the claim; stop when another collector holds it; after Redis lost it, write the owner record again. */
    const keepClaim = async (): Promise<void> => {
      const state = await claim!.renew();
      if (state === 'lost') {
        throw new QueueError(
          `another collector took queue "${name}" over while this one could not renew its claim; this one stops ` +
            `(${opts.out} holds every run it collected)`,
        );
      }
      if (state === 'retaken') {
        notice(
          `queue "${name}": Redis had lost this collector's claim (restarted without persistence?); claimed it again`,
        );
        const client = await queue.client;
        await client.hset(ownerKey(queue), { ...owner });
        lookNow = true;
      }
    };

    /** Refuse a completed job's record: remove the job, enqueue the collector's own run again (or stop). */
    const refuse = async (job: Job, task: RunTask, problem: string): Promise<void> => {
      const count = (refusals.get(task.key) ?? 0) + 1;
      refusals.set(task.key, count);
      await queue.remove(job.id!);
      if (count >= MAX_REFUSALS) {
        await queue.pause();
        throw new QueueError(
          `refused ${count} records of run ${describe(task)} from the queue (${problem}); the results file is untouched ` +
            'and the queue paused: secure Redis (docs/distributed.md), then rerun with --resume',
        );
      }
      notice(
        `refused the record of run ${describe(task)} from the queue: ${problem}; the results file is untouched, the run is queued again`,
      );
      await enqueue(queue, [task], owner);
    };

    /** Append every finished run of this sweep that the file does not hold yet, then remove its job. */
    const collect = async (): Promise<void> => {
      const bullmq = await loadBullmq();
      const client = await queue.client;
      const ids = (await client.zrange(queue.toKey('completed'), 0, -1)).filter((id) => byJobId.has(id));
      for (let i = 0; i < ids.length; i += 100) {
        await keepClaim();
        const jobs = await Promise.all(ids.slice(i, i + 100).map((id) => bullmq.Job.fromId(queue, id)));
        for (const job of jobs) {
          if (!job?.id) continue;
          const task = byJobId.get(job.id)!;
          if (!done.has(task.key)) {
            const record: unknown = job.returnvalue;
            const problem = recordProblem(record, task, spec.name, version);
            if (problem !== null) {
              await refuse(job, task, problem);
              continue;
            }
            writer!.append(record as RunRecord);
            records.push(record as RunRecord);
            done.add(task.key);
            completed++;
            remaining--;
            opts.onRunDone?.(record as RunRecord, skipped + completed, tasks.length);
          }
          await queue.remove(job.id);
        }
      }
    };

    /** Enqueue again the runs owed that are in no state of the queue at this look and the one before (or now). */
    const findLost = async (): Promise<void> => {
      const present = await jobsInQueue(queue);
      const missing = tasks.filter((t) => !done.has(t.key) && !present.has(jobId(t.key)));
      const vanished = lookNow ? missing : missing.filter((t) => missingBefore.has(t.key));
      missingBefore = new Set(missing.map((t) => t.key));
      lookNow = false;
      if (vanished.length === 0) return;
      notice(
        `${vanished.length} of the runs still owed were no longer in queue "${name}" (removed, or Redis restarted ` +
          'without persistence); queued them again',
      );
      const client = await queue.client;
      for (const t of vanished) {
        const id = jobId(t.key);
        await client.del(queue.toKey(id), queue.toKey(`${id}:lock`), queue.toKey(`${id}:logs`));
        missingBefore.delete(t.key);
      }
      await enqueue(queue, vanished, owner);
    };

    // Records that workers finished while no collector ran come first; then what is still missing is (re)queued:
    // always the collector's own runs, never the data a job in Redis holds.
    await collect();
    await removeOwnFailed(queue, byJobId);
    const pending = tasks
      .filter((t) => !done.has(t.key))
      .sort((a, b) => estimatedCost(b.settings) - estimatedCost(a.settings));
    await enqueue(queue, pending, owner);
    await queue.resume(); // a previous collector's Ctrl-C paused it

    let nextLook = performance.now() + (opts.lostCheckMs ?? LOST_CHECK_MS);
    while (remaining > 0 && !opts.signal?.aborted) {
      await keepClaim();
      await collect();
      await stopOnFailure(queue, byJobId);
      if (remaining > 0 && (lookNow || performance.now() >= nextLook)) {
        await findLost();
        nextLook = performance.now() + (opts.lostCheckMs ?? LOST_CHECK_MS);
      }
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
    await claim?.release().catch(() => {});
    await queue.close().catch(() => {});
  }
}

/** "nm m=100 seed 3": a run as messages name it. */
function describe(task: RunTask): string {
  return `${task.name} m=${task.settings.samples} seed ${task.settings.seed}`;
}

/**
 * Why `value`, returned by a worker for `task`, is not a record the results file may hold, or null when it is: it
 * passes the check of a line of a results file (isRunRecord), and its key, name, method, sizes, samples, seed,
 * settings and spectrum interval are those of `task`, its key the key of its own settings (taskKey), its sweep
 * and version this collector's.
 */
export function recordProblem(value: unknown, task: RunTask, sweepName: string, version: string): string | null {
  if (!isRunRecord(value)) return 'not a run record of mcomplete (a field missing or of the wrong type)';
  const s = task.settings;
  if (value.key !== task.key) return "its key is not this run's";
  if (
    value.name !== task.name ||
    value.method !== (s.method ?? 'gradient') ||
    value.n !== s.n ||
    value.rank !== s.rank ||
    value.samples !== s.samples ||
    value.seed !== s.seed
  )
    return "its name, method, n, rank, samples or seed are not this run's";
  if (canonicalJson(value.settings) !== canonicalJson(s) || value.recordSpectrumEvery !== task.recordSpectrumEvery)
    return "its settings are not this run's";
  const own = taskKey({
    ...task,
    name: value.name,
    settings: value.settings,
    recordSpectrumEvery: value.recordSpectrumEvery,
  });
  if (own !== value.key) return 'its key is not the key of its settings';
  if (value.sweep !== sweepName) return `it names sweep ${JSON.stringify(oneLine(String(value.sweep)))}`;
  if (value.version !== version) return `it names mcomplete ${JSON.stringify(oneLine(String(value.version)))}`;
  return null;
}

/**
 * The ids of every job in some state of `queue` (waiting, paused, active, prioritized, delayed, waiting for
 * children, completed, failed), read in one MULTI so that a job moving between states is seen in one of them.
 */
async function jobsInQueue(queue: Queue): Promise<Set<string>> {
  const client = await queue.client;
  const tx = client.multi();
  for (const list of ['wait', 'paused', 'active']) tx.lrange(queue.toKey(list), 0, -1);
  for (const set of ['prioritized', 'delayed', 'waiting-children', 'completed', 'failed'])
    tx.zrange(queue.toKey(set), 0, -1);
  const replies = (await tx.exec()) ?? [];
  const ids = new Set<string>();
  for (const [err, value] of replies) if (!err && Array.isArray(value)) for (const id of value) ids.add(String(id));
  return ids;
}

/**
 * Make `queue` this sweep's: fine when it is already, or when it holds no job at all; a queue with jobs of another
 * sweep (or version) is a QueueError. With `write` (called with the collector's claim held, so that the read and
 * the write of the owner record cannot interleave with another collector's) the owner record is written.
 */
async function claimQueue(
  queue: Queue,
  owner: QueueOwner,
  name: string,
  redis: RedisTarget,
  write: boolean,
): Promise<void> {
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
  if (!write) return;
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

/** Remove this sweep's failed jobs (an earlier collector stopped on them): their runs are enqueued afresh from the spec. */
async function removeOwnFailed(queue: Queue, byJobId: Map<string, RunTask>): Promise<void> {
  const client = await queue.client;
  for (const id of await client.zrange(queue.toKey('failed'), 0, -1)) if (byJobId.has(id)) await queue.remove(id);
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

/**
 * A run of this sweep that failed on a worker (an error, not divergence; a worker crashing on it again and again; or
 * a job the worker refused as altered) stops the sweep; the message names the collector's own run.
 */
async function stopOnFailure(queue: Queue, byJobId: Map<string, RunTask>): Promise<void> {
  const client = await queue.client;
  const id = (await client.zrange(queue.toKey('failed'), 0, -1)).find((i) => byJobId.has(i));
  if (id === undefined) return;
  await queue.pause();
  const task = byJobId.get(id)!;
  const job = await (await loadBullmq()).Job.fromId(queue, id);
  throw new QueueError(
    `run ${describe(task)} failed on a worker: ${oneLine(job?.failedReason ?? 'unknown reason')} ` +
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
