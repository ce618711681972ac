// A collector or a worker of a distributed sweep for the fault-injection harness (queue-faults.ts), started ahead
// of time: it loads its modules, says "ready" on stdout, then waits for one JSON order on stdin and runs it, so that
// a schedule can start (and SIGKILL) collectors and workers without waiting for a process to start. Errors are
// printed as the CLI prints them (`mcomplete: ` and one line; exit 2 for a second collector, else 1); notices of
// the collector go to stderr as `notice: ` lines.
import { createInterface } from 'node:readline';
import { queueSweep } from '../../src/sweep/queue-sweep.ts';
import { runQueueWorker } from '../../src/sweep/queue-worker.ts';
import { oneLine, QueueError, redisTarget } from '../../src/sweep/queue.ts';
import { InputError } from '../../src/data/input-error.ts';
import type { SweepSpec } from '../../src/sweep/spec.ts';

/** What an actor is told to do. */
export interface ActorOrder {
  role: 'collector' | 'worker';
  url: string;
  queueName: string;
  spec?: SweepSpec;
  out?: string;
  resume?: boolean;
  lostCheckMs?: number;
  lockSeconds?: number;
}

process.stdout.write('ready\n');
const line = await new Promise<string>((resolve) => {
  const rl = createInterface({ input: process.stdin });
  rl.once('line', (l) => {
    rl.close();
    resolve(l);
  });
});
const order = JSON.parse(line) as ActorOrder;
const redis = redisTarget(order.url, {});
try {
  if (order.role === 'collector') {
    const summary = await queueSweep(order.spec!, {
      out: order.out!,
      redis,
      queueName: order.queueName,
      resume: order.resume,
      pollMs: 50,
      lostCheckMs: order.lostCheckMs,
      onNotice: (l) => process.stderr.write(`notice: ${l}\n`),
    });
    process.stdout.write(`done ${summary.completed} ${summary.skipped}\n`);
  } else {
    const controller = new AbortController();
    process.on('SIGTERM', () => controller.abort());
    await runQueueWorker({
      redis,
      queueName: order.queueName,
      lockSeconds: order.lockSeconds,
      signal: controller.signal,
      onReady: () => process.stdout.write('waiting\n'),
    });
  }
} catch (err) {
  if (!(err instanceof QueueError || err instanceof InputError)) throw err;
  process.stderr.write(`mcomplete: ${oneLine(err.message)}\n`);
  process.exitCode = err instanceof QueueError ? err.exitCode : 1;
}
