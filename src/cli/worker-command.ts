import { Command, InvalidArgumentError, Option } from 'commander';
import { checkQueueName, DEFAULT_QUEUE_NAME, QueueError, redactUrl, redisTarget } from '../sweep/queue.ts';
import { DEFAULT_LOCK_SECONDS, runQueueWorker } from '../sweep/queue-worker.ts';
import { intInRange } from './parse.ts';

interface WorkerFlags {
  queue: string;
  queueName: string;
  concurrency: number;
  lockSeconds: number;
  quiet: boolean;
}

/** A commander parser for --queue: a redis:// or rediss:// URL (checked here; the password never shown). */
export function redisUrlOption(value: string): string {
  if (!/^rediss?:\/\/[^/]/i.test(value))
    throw new InvalidArgumentError(`expected redis://host:port[/db] or rediss://..., got ${redactUrl(value)}.`);
  try {
    redisTarget(value, {}); // the whole URL checked now (its database, its port): a usage error, not a failed run
  } catch (err) {
    if (err instanceof QueueError) throw new InvalidArgumentError(`${err.message.replace(/^--queue: /, '')}.`);
    throw err;
  }
  return value;
}

/** A commander parser for --queue-name. */
export function queueNameOption(value: string): string {
  try {
    return checkQueueName(value);
  } catch (err) {
    if (err instanceof QueueError) throw new InvalidArgumentError('expected 1 to 64 letters, digits, "_" or "-".');
    throw err;
  }
}

/** The queue flags of a resume command, with the URL's password redacted (`` when there is no queue). */
export function queueResumeFlags(queue: { url: string; name: string } | undefined): string {
  if (!queue) return '';
  return ` --queue ${redactUrl(queue.url)}${queue.name !== DEFAULT_QUEUE_NAME ? ` --queue-name ${queue.name}` : ''}`;
}

/** The `mcomplete worker --queue URL` command: runs of distributed sweeps from a Redis queue, on this machine. */
export function workerCommand(): Command {
  return new Command('worker')
    .description(
      'take runs of `sweep --queue` / `claims --queue` from a Redis queue and run them here (see docs/distributed.md)',
    )
    .requiredOption(
      '--queue <url>',
      'redis://[user[:password]@]host[:port][/db] or rediss://... (TLS); password also from MCOMPLETE_REDIS_PASSWORD',
      redisUrlOption,
    )
    .addOption(
      new Option('--queue-name <name>', 'the queue (as given to the sweep)')
        .default(DEFAULT_QUEUE_NAME)
        .argParser(queueNameOption),
    )
    .addOption(
      new Option('--concurrency <int>', 'runs at once (worker threads)').default(1).argParser(intInRange(1, 256)),
    )
    .addOption(
      new Option(
        '--lock-seconds <int>',
        'lock time of a run: a worker that dies loses its run to another after this long',
      )
        .default(DEFAULT_LOCK_SECONDS)
        .argParser(intInRange(1, 3600)),
    )
    .option('--quiet', 'no line per run on stderr', false)
    .action(async (flags: WorkerFlags) => {
      const stream = process.stderr;
      const say = (line: string): void => void (flags.quiet || stream.write(`mcomplete worker: ${line}\n`));
      const redis = redisTarget(flags.queue);
      const controller = new AbortController();
      const onSignal = (signal: NodeJS.Signals): void => {
        if (controller.signal.aborted) process.exit(130);
        stream.write(
          `mcomplete worker: ${signal}: finishing the runs in progress, then exiting (again to quit at once)\n`,
        );
        controller.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const { runs } = await runQueueWorker({
          redis,
          queueName: flags.queueName,
          concurrency: flags.concurrency,
          lockSeconds: flags.lockSeconds,
          signal: controller.signal,
          onReady: (i) =>
            say(
              `waiting for runs on ${redis.shown} queue ${flags.queueName} (mcomplete ${i.version}, ${i.concurrency} at a time, lock ${i.lockSeconds} s)`,
            ),
          onRunStart: (t) => say(`started ${t.name} m=${t.settings.samples} seed ${t.settings.seed}`),
          onRefused: (id, problem) => stream.write(`mcomplete worker: refused job ${id}: ${problem}\n`),
          onConnectionError: (m) => stream.write(`mcomplete worker: Redis at ${redis.shown}: ${m} (reconnecting)\n`),
          onRunDone: (r, s) =>
            say(
              `finished ${r.name} m=${r.samples} seed ${r.seed} in ${s.toFixed(1)} s: ${r.metrics ? `relError ${r.metrics.relError.toExponential(2)}` : 'diverged'}`,
            ),
        });
        say(`stopped after ${runs} runs`);
      } finally {
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
      }
    });
}
