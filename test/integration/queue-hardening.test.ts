// The queue against whoever else touches its Redis: two collectors at once, jobs that vanish, forged records, altered
// jobs, and resume of a file that holds a run twice. A redis-server of the test's own on a loopback port; skipped,
// saying so, only when no redis-server binary exists.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { expandSweep, validateSweepSpec, type SweepSpec } from '../../src/sweep/spec.ts';
import { sweep } from '../../src/sweep/sweep.ts';
import { readResults } from '../../src/sweep/results.ts';
import type { RunRecord } from '../../src/sweep/execute.ts';
import { queueSweep, type QueueSweepOptions } from '../../src/sweep/queue-sweep.ts';
import { runQueueWorker } from '../../src/sweep/queue-worker.ts';
import { bullQueueName, jobId, QueueError, redisTarget, type QueueJobData } from '../../src/sweep/queue.ts';
import { InputError } from '../../src/data/input-error.ts';
import { haveRedisServer, startRedis, type TestRedis } from '../helpers/redis.ts';
import { startCli } from '../helpers/cli-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'mcomplete-queue-hard-'));
const skip = haveRedisServer() ? false : 'no redis-server binary on the PATH (Debian: apt-get install redis-server)';

// Three nuclear-min runs of a few tens of ms each.
const spec: SweepSpec = validateSweepSpec(
  {
    name: 'queue-hard',
    n: 20,
    rank: 2,
    samples: [100],
    seeds: [0, 1, 2],
    methods: [{ name: 'nm', method: 'nuclear-min', maxIters: 300 }],
  },
  'hard.json',
);
const specFile = join(dir, 'hard.json');
writeFileSync(specFile, JSON.stringify(spec));
const tasks = expandSweep(spec);

/** Records by key without their timing fields, for comparing with the local sweep. */
function untimed(records: RunRecord[]): Map<string, unknown> {
  return new Map(
    records.map(({ finishedAt: _t, metrics, ...r }) => {
      const { seconds: _s, ...rest } = metrics ?? {};
      return [r.key, { ...r, metrics: metrics ? rest : null }];
    }),
  );
}

/** Send a raw command through a BullMQ client (an ioredis connection underneath). */
function raw(client: unknown, ...args: string[]): Promise<unknown> {
  return (client as { call(...a: string[]): Promise<unknown> }).call(...args);
}

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('the queue against other writers of its Redis', { skip }, () => {
  let redis: TestRedis;
  let local: RunRecord[];
  let admin: Queue | null = null;
  const queueOf = (name: string): Queue => {
    const q = new Queue(bullQueueName(name), { connection: { ...redisTarget(redis.url, {}).options } });
    q.on('error', () => {});
    return q;
  };
  /** A worker in this process until the returned stop() is called. */
  const worker = (name: string, refused: string[] = [], started: string[] = []): (() => Promise<void>) => {
    const controller = new AbortController();
    const done = runQueueWorker({
      redis: redisTarget(redis.url, {}),
      queueName: name,
      lockSeconds: 2,
      signal: controller.signal,
      onRefused: (id, problem) => refused.push(`${id}: ${problem}`),
      onRunStart: (t) => started.push(t.key),
    });
    return async () => {
      controller.abort();
      await done;
    };
  };
  const collector = (name: string, out: string, extra: Partial<QueueSweepOptions> = {}) =>
    queueSweep(spec, { out, redis: redisTarget(redis.url, {}), queueName: name, pollMs: 50, ...extra });
  const waitFor = async (what: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!(await what())) {
      if (Date.now() > deadline) throw new Error('timed out');
      await wait(50);
    }
  };
  const assertExactlyOnce = (file: string): void => {
    const { records } = readResults(file);
    assert.equal(records.length, tasks.length, `expected ${tasks.length} records, got ${records.length}`);
    assert.deepEqual(untimed(records), untimed(local));
  };

  before(async () => {
    redis = await startRedis();
    local = (await sweep(spec, { out: join(dir, 'local.jsonl'), workers: 1 })).records;
  });
  after(async () => {
    await admin?.close();
    await redis?.stop();
  });

  test('two collectors started together while Redis holds writes (CLIENT PAUSE): one runs, the other exits 2 with one line', async () => {
    admin = queueOf('pair');
    const client = await admin.client;
    const out = join(dir, 'pair.jsonl');
    // Writes (and scripts) wait until both collectors are blocked on them, then go through in one burst.
    await raw(client, 'CLIENT', 'PAUSE', '60000', 'WRITE');
    const args = ['sweep', specFile, '--queue', redis.url, '--queue-name', 'pair', '--out', out, '--quiet'];
    const a = startCli(args);
    const b = startCli([...args.slice(0, -1), '--resume', '--quiet']);
    await waitFor(async () => {
      const list = String(await raw(client, 'CLIENT', 'LIST'));
      return list.split('\n').filter((l) => / flags=\w*b/.test(l)).length >= 2;
    });
    await raw(client, 'CLIENT', 'UNPAUSE');
    const first = await Promise.race([a.exited.then(() => a), b.exited.then(() => b)]);
    const other = first === a ? b : a;
    assert.equal(await first.exited, 2, first.stderr());
    assert.match(
      first.stderr(),
      /^mcomplete: queue "pair" \(mcomplete-pair\) on redis:\/\/127\.0\.0\.1:\d+ already has a collector \(process \d+ on [^)]+\); one collector per queue: let it finish or stop it \(the claim of a killed one lapses within 10 s\), or pass --queue-name\n$/,
    );
    const stop = worker('pair');
    assert.equal(await other.exited, 0, other.stderr());
    await stop();
    assertExactlyOnce(out);
    assert.equal(existsSync(`${out}.lock`), false);
  });
  test('a record forged in Redis (relError "abc", another run\'s key) is refused with one line and its run queued again; foreign jobs are left alone', async () => {
    const name = 'forged';
    const q = queueOf(name);
    const out = join(dir, 'forged.jsonl');
    const notices: string[] = [];
    const running = collector(name, out, { onNotice: (l) => notices.push(l) });
    await waitFor(async () => (await q.getJobCounts('waiting')).waiting === tasks.length);
    // Another program's job on the same queue: no collector of this sweep may remove it.
    await q.add('other', { hello: 1 }, { jobId: 'foreign-1' });
    // A forger takes two runs and returns bad records: one with a non-number relError, one claiming another run.
    let forged = 0;
    const forger = new Worker(
      bullQueueName(name),
      async (job) => {
        const data = job.data as QueueJobData;
        if (job.id === 'foreign-1') return { not: 'a record' };
        const real = local.find((r) => r.key === data.task.key)!;
        forged++;
        if (forged === 1) return { ...real, metrics: { ...real.metrics, relError: 'abc' } };
        const other = local.find((r) => r.key !== data.task.key)!;
        return { ...other, metrics: { ...other.metrics, relError: 1e-15 } };
      },
      { connection: { ...redisTarget(redis.url, {}).options }, autorun: true },
    );
    await waitFor(async () => forged >= 2 && notices.length >= 2);
    await forger.close();
    assert.equal(readResults(out).records.length, 0, 'a forged record reached the file');
    assert.match(
      notices[0],
      /^refused the record of run nm m=100 seed \d from the queue: not a run record of mcomplete \(a field missing or of the wrong type\); the results file is untouched, the run is queued again$/,
    );
    assert.match(notices[1], /^refused the record of run nm m=100 seed \d from the queue: its key is not this run's;/);
    const stop = worker(name);
    const summary = await running;
    await stop();
    assert.equal(summary.completed, tasks.length);
    assertExactlyOnce(out);
    // The foreign job is still there (its result is nobody's record here).
    assert.equal(await q.getJobState('foreign-1'), 'completed');
    await q.close();
  });

  test("a collector refused the same run's record three times stops with one line, the file untouched", async () => {
    const name = 'forged-always';
    const out = join(dir, 'forged-always.jsonl');
    const running = collector(name, out, { onNotice: () => {} });
    const forger = new Worker(
      bullQueueName(name),
      async (job) => ({ ...local.find((r) => r.key === (job.data as QueueJobData).task.key)!, seed: -5 }),
      { connection: { ...redisTarget(redis.url, {}).options } },
    );
    await assert.rejects(
      running,
      (err: unknown) =>
        err instanceof QueueError &&
        /^refused 3 records of run nm m=100 seed \d from the queue \(not a run record|its name, method, n, rank, samples or seed are not this run's\); the results file is untouched and the queue paused: secure Redis \(docs\/distributed\.md\), then rerun with --resume$/.test(
          err.message,
        ),
    );
    await forger.close();
    assert.equal(readFileSync(out, 'utf8'), '');
    const q = queueOf(name);
    await q.obliterate({ force: true });
    await q.close();
  });

  test('a job altered in Redis (n = 200000) is refused by the worker unrun; the collector stops; resume enqueues its own run', async () => {
    const name = 'altered';
    const q = queueOf(name);
    const out = join(dir, 'altered.jsonl');
    const running = collector(name, out);
    await waitFor(async () => (await q.getJobCounts('waiting')).waiting === tasks.length);
    const target = tasks[1];
    const job = (await q.getJob(jobId(target.key)))!;
    const data = job.data as QueueJobData;
    await job.updateData({ ...data, task: { ...data.task, settings: { ...data.task.settings, n: 200000 } } });
    const refused: string[] = [];
    const started: string[] = [];
    const stop = worker(name, refused, started);
    await assert.rejects(
      running,
      (err: unknown) =>
        err instanceof QueueError &&
        err.message ===
          'run nm m=100 seed 1 failed on a worker: refused an altered job: job: n: expected an integer in 1..100000, got 200000 (the queue is paused; rerun with --resume to retry it)',
    );
    assert.deepEqual(refused, [`${jobId(target.key)}: job: n: expected an integer in 1..100000, got 200000`]);
    assert.ok(!started.includes(target.key), 'the altered run was started');
    // Resume: the failed job is replaced by the collector's own run (not the altered data) and runs once.
    const summary = await collector(name, out, { resume: true });
    await stop();
    assert.equal(summary.interrupted, false);
    assertExactlyOnce(out);
    assert.ok(started.includes(target.key));
    await q.close();
  });

  test("the queue's resume refuses a results file that holds a run twice (the check of report), before anything is enqueued", async () => {
    const name = 'dup';
    const out = join(dir, 'dup.jsonl');
    const line = JSON.stringify(local[0]);
    writeFileSync(out, `${line}\n${line}\n`);
    await assert.rejects(
      collector(name, out, { resume: true }),
      (err: unknown) =>
        err instanceof InputError &&
        err.message.startsWith(
          `${out}, line 2: a second run of nm m=100 seed ${local[0].seed} (the first is on line 1)`,
        ),
    );
    assert.equal(readFileSync(out, 'utf8'), `${line}\n${line}\n`);
    assert.equal(existsSync(`${out}.lock`), false);
    const q = queueOf(name);
    assert.deepEqual(await q.getJobCounts('waiting', 'active', 'completed'), {
      waiting: 0,
      active: 0,
      completed: 0,
      paused: 0,
    });
    // The queue is free again: no collector claim left behind.
    assert.equal(await (await q.client).get(`bull:${bullQueueName(name)}:mcomplete-collector`), null);
    await q.close();
  });

  test('runs owed that vanish (removed by another process; Redis restarted without persistence) are queued again, saying so', async () => {
    const name = 'vanish';
    const q = queueOf(name);
    const out = join(dir, 'vanish.jsonl');
    const notices: string[] = [];
    const t0 = Date.now();
    const running = collector(name, out, {
      lostCheckMs: 500,
      onNotice: (l) => notices.push(`${Date.now() - t0}: ${l}`),
    });
    await waitFor(async () => (await q.getJobCounts('waiting')).waiting === tasks.length);
    // Another process removes every job.
    await q.drain();
    const removedAt = Date.now() - t0;
    await waitFor(async () => notices.length >= 1, 20_000);
    const [at, line] = notices[0].split(/: (.*)/s);
    assert.equal(
      line,
      `3 of the runs still owed were no longer in queue "vanish" (removed, or Redis restarted without persistence); queued them again`,
    );
    assert.ok(Number(at) - removedAt <= 2 * 500 + 1000, `noticed after ${Number(at) - removedAt} ms`);
    await waitFor(async () => (await q.getJobCounts('waiting')).waiting === tasks.length);
    // Redis loses everything: the collector's claim and the jobs.
    await redis.restart();
    await waitFor(async () => notices.length >= 3, 40_000);
    assert.match(
      notices[1],
      /^\d+: queue "vanish": Redis had lost this collector's claim \(restarted without persistence\?\); claimed it again$/,
    );
    assert.match(notices[2], /^\d+: 3 of the runs still owed were no longer in queue "vanish"/);
    const stop = worker(name);
    const summary = await running;
    await stop();
    assert.equal(summary.interrupted, false);
    assertExactlyOnce(out);
    await q.close();
  });
});
