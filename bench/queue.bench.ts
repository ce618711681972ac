// The distributed sweep (BullMQ on Redis) against the local worker-thread pool, on a redis-server of its own
// (loopback, temporary folder, no persistence; skipped, saying so, without a redis-server binary):
//  1. the queue's overhead per run: a sweep of K and of 2K tiny runs (nuclear-min, n = 20, 10 iterations), on the
//     local pool with 1 thread and on the queue with 1 `mcomplete worker` process (concurrency 1); the cost per run
//     is (t(2K) − t(K)) / K, so start-up costs (threads, processes, connections) cancel; the time outside the runs
//     is the same with each run's own time (metrics.seconds, measured in its thread) taken off t, so a thread whose
//     code is not yet compiled does not count as overhead; the queue's overhead is its time outside the runs minus
//     the pool's;
//  2. the speedup of one collector with 2 worker processes over 1, on a sweep of 8 runs of about 1 s (Adam + L*/F,
//     n = 20, 10000 steps).
// Usage: node --import tsx bench/queue.bench.ts [--k 100]
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { validateSweepSpec, type SweepSpec } from '../src/sweep/spec.ts';
import { sweep, type SweepSummary } from '../src/sweep/sweep.ts';
import { queueSweep } from '../src/sweep/queue-sweep.ts';
import { redisTarget } from '../src/sweep/queue.ts';
import { haveRedisServer, startRedis } from '../test/helpers/redis.ts';
import { startCli, type CliProcess } from '../test/helpers/cli-process.ts';

const { values } = parseArgs({ options: { k: { type: 'string', default: '100' } } });
const K = Number(values.k);
if (!haveRedisServer()) {
  console.log(
    '# bench/queue.bench.ts: skipped (no redis-server binary on the PATH; Debian: apt-get install redis-server)',
  );
  process.exit(0);
}
const dir = mkdtempSync(join(tmpdir(), 'mcomplete-queue-bench-'));
const redis = await startRedis();
const target = redisTarget(redis.url, {});
const workers: CliProcess[] = [];

/** A sweep of `count` nuclear-min runs of a few ms each (one per seed). */
const tiny = (count: number): SweepSpec =>
  validateSweepSpec(
    {
      name: `tiny-${count}`,
      n: 20,
      rank: 2,
      samples: [100],
      seeds: Array.from({ length: count }, (_, i) => i),
      methods: [{ name: 'nm', method: 'nuclear-min', maxIters: 10 }],
    },
    'tiny.json',
  );
const oneSecond: SweepSpec = validateSweepSpec(
  {
    name: 'one-second',
    n: 20,
    rank: 2,
    samples: [140],
    seeds: [0, 1, 2, 3, 4, 5, 6, 7],
    methods: [{ name: 'adam', method: 'gradient', lambda: 1e-3, lr: 3e-3, maxIters: 10000 }],
  },
  'one-second.json',
);

/** Start `count` worker processes on queue `name` and wait until each listens. */
async function startWorkers(name: string, count: number): Promise<CliProcess[]> {
  const ws = Array.from({ length: count }, () =>
    startCli(['worker', '--queue', redis.url, '--queue-name', name, '--quiet']),
  );
  workers.push(...ws);
  // --quiet hides the "waiting for runs" line: wait until each worker's BullMQ client is registered on Redis.
  const deadline = Date.now() + 60_000;
  const { Queue } = await import('bullmq');
  const q = new Queue(`mcomplete-${name}`, { connection: { ...target.options } });
  while ((await q.getWorkersCount()) < count) {
    if (Date.now() > deadline) throw new Error('workers did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  await q.close();
  return ws;
}

/** Stop worker processes (SIGTERM: they finish and exit). */
async function stopWorkers(ws: CliProcess[]): Promise<void> {
  for (const w of ws) w.kill('SIGTERM');
  await Promise.all(ws.map((w) => w.exited));
}

/** Each K / 2K measurement is repeated this many times; the tables show medians. */
const REPEATS = 3;

/** The median of `xs`. */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** A sweep's wall time and the time its runs took inside their threads (the sum of metrics.seconds), in s. */
interface Timing {
  wall: number;
  inRuns: number;
}

/** Time one sweep. */
async function timedSweep(run: () => Promise<SweepSummary>): Promise<Timing> {
  const t0 = performance.now();
  const summary = await run();
  const wall = (performance.now() - t0) / 1000;
  return { wall, inRuns: summary.records.reduce((acc, r) => acc + (r.metrics?.seconds ?? 0), 0) };
}

/** Seconds of one sweep on the local pool or on the queue. */
async function timed(run: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await run();
  return (performance.now() - t0) / 1000;
}

let file = 0;
const out = (): string => join(dir, `r${file++}.jsonl`);
try {
  console.log(
    `# bench/queue.bench.ts: K = ${K}; load average at start ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  const ws = await startWorkers('bench-overhead', 1);
  const onLocal = (count: number) => () => sweep(tiny(count), { out: out(), workers: 1 });
  const onQueue = (count: number) => () =>
    queueSweep(tiny(count), { out: out(), redis: target, queueName: 'bench-overhead' });
  await onLocal(10)(); // warm-up: the first runs of a process are slower (compilation)
  await onQueue(10)();
  const rows: [string, (count: number) => () => Promise<SweepSummary>][] = [
    ['local pool, 1 thread', onLocal],
    ['queue, 1 worker process', onQueue],
  ];
  const outside: number[] = [];
  console.log(
    '\n| tiny runs (nuclear-min, n = 20, 10 iterations), medians of 3 | K runs (s) | 2K runs (s) | ms per run | of which outside the run |',
  );
  console.log('|---|---|---|---|---|');
  for (const [label, on] of rows) {
    const k: Timing[] = [];
    const k2: Timing[] = [];
    for (let rep = 0; rep < REPEATS; rep++) {
      k.push(await timedSweep(on(K)));
      k2.push(await timedSweep(on(2 * K)));
    }
    const wall = (1000 * (median(k2.map((t) => t.wall)) - median(k.map((t) => t.wall)))) / K;
    const off = (1000 * (median(k2.map((t) => t.wall - t.inRuns)) - median(k.map((t) => t.wall - t.inRuns)))) / K;
    outside.push(off);
    console.log(
      `| ${label} | ${median(k.map((t) => t.wall)).toFixed(2)} | ${median(k2.map((t) => t.wall)).toFixed(2)} | ${wall.toFixed(1)} | ${off.toFixed(1)} |`,
    );
  }
  await stopWorkers(ws);
  console.log(
    `\nqueue overhead per run (time outside the runs, queue − local pool): ${(outside[1] - outside[0]).toFixed(1)} ms`,
  );

  const one = await startWorkers('bench-one', 1);
  const t1 = await timed(() => queueSweep(oneSecond, { out: out(), redis: target, queueName: 'bench-one' }));
  await stopWorkers(one);
  const two = await startWorkers('bench-two', 2);
  const t2 = await timed(() => queueSweep(oneSecond, { out: out(), redis: target, queueName: 'bench-two' }));
  await stopWorkers(two);
  const local = await timed(() => sweep(oneSecond, { out: out(), workers: 1 }));
  const local2 = await timed(() => sweep(oneSecond, { out: out(), workers: 2 }));
  console.log('\n| 8 runs of ~1 s (adam + L*/F, n = 20, 10000 steps) | seconds |');
  console.log('|---|---|');
  console.log(`| local pool, 1 thread | ${local.toFixed(2)} |`);
  console.log(`| local pool, 2 threads (what this machine gives two runs at once) | ${local2.toFixed(2)} |`);
  console.log(`| queue, 1 worker process | ${t1.toFixed(2)} |`);
  console.log(`| queue, 2 worker processes | ${t2.toFixed(2)} |`);
  console.log(
    `\nspeedup of 2 worker processes over 1: ${(t1 / t2).toFixed(2)}× (load average at end ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')})`,
  );
} finally {
  for (const w of workers) w.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.exited));
  await redis.stop();
}
