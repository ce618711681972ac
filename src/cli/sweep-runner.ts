import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { queueSweep } from '../sweep/queue-sweep.ts';
import { DEFAULT_QUEUE_NAME, redisTarget } from '../sweep/queue.ts';
import type { SweepSpec } from '../sweep/spec.ts';
import { sweep, type SweepOptions, type SweepSummary } from '../sweep/sweep.ts';
import { summarize } from '../report/data.ts';
import { checkOutputs, ensureFolder, removeFolders } from './output.ts';
import { intInRange } from './parse.ts';
import { createProgressReporter } from './progress.ts';
import { queueNameOption, redisUrlOption } from './worker-command.ts';

/**
 * Run a sweep from the command line: a progress bar on a terminal (runs done/total, elapsed, ETA) or a plain line
 * every few seconds otherwise, all on stderr; the first Ctrl-C stops dispatching and ends the runs in flight (the
 * results file keeps every finished run), a second one exits at once. With `queue` the runs go to a Redis queue
 * for `mcomplete worker` processes (queue-sweep.ts) and Ctrl-C pauses that queue instead.
 */
export async function runSweepCli(
  spec: SweepSpec,
  opts: { out: string; workers?: number; resume: boolean; quiet: boolean; queue?: { url: string; name: string } },
): Promise<SweepSummary> {
  const stream = process.stderr;
  const progress = createProgressReporter(`sweep ${spec.name}`, { quiet: opts.quiet, intervalSeconds: 10 });
  const controller = new AbortController();
  let barStopped = false;
  const onSigint = (): void => {
    if (controller.signal.aborted) process.exit(130);
    progress.stop();
    barStopped = true;
    stream.write(
      opts.queue
        ? 'mcomplete: pausing the queue (workers finish their current runs; finished runs are saved or kept in Redis for --resume; Ctrl-C again to quit at once)\n'
        : 'mcomplete: stopping the sweep (finished runs are saved; Ctrl-C again to quit at once)\n',
    );
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const start = Date.now();
  let skipped = 0;
  try {
    const common: Omit<SweepOptions, 'workers'> = {
      out: opts.out,
      resume: opts.resume,
      signal: controller.signal,
      onStart: (info) => {
        skipped = info.skipped;
        if (opts.quiet) return;
        // The count, before the first run starts (the spec was counted, and the results file checked, already).
        stream.write(
          `mcomplete: sweep ${spec.name}: ${info.total} runs (${spec.methods.length} methods, ${spec.seeds.length} seeds)\n`,
        );
        if (info.partialBytes > 0)
          stream.write(
            `mcomplete: ignored and removed an unfinished last line (${info.partialBytes} bytes) of ${opts.out}\n`,
          );
        if (info.skipped > 0)
          stream.write(`mcomplete: ${info.skipped} of ${info.total} runs already in ${opts.out}, skipped\n`);
        progress.update(info.skipped, info.total, stream.isTTY ? { last: '-' } : { eta: '-' });
      },
      onRunDone: (r, done, total) => {
        const last = `${r.name} m=${r.samples} seed ${r.seed}: ${r.metrics ? `relError ${r.metrics.relError.toExponential(2)}` : 'diverged'}`;
        const fields: Record<string, string> = { last };
        if (!stream.isTTY) {
          const perRun = (Date.now() - start) / 1000 / (done - skipped);
          fields.eta = `${Math.round(perRun * (total - done))} s`;
        }
        if (!barStopped) progress.update(done, total, fields);
      },
    };
    if (!opts.queue) return await sweep(spec, { ...common, workers: opts.workers });
    return await queueSweep(spec, {
      ...common,
      redis: redisTarget(opts.queue.url),
      queueName: opts.queue.name,
      onNotice: (line) => stream.write(`mcomplete: ${line}\n`),
    });
  } finally {
    if (!barStopped) progress.stop();
    process.removeListener('SIGINT', onSigint);
  }
}

/** The message after an interrupted sweep: what is saved and the command that resumes it. */
export function interruptedMessage(summary: SweepSummary, resumeCommand: string): string {
  return (
    `mcomplete: interrupted: ${summary.skipped + summary.completed} of ${summary.total} runs are saved in ${summary.file}; ` +
    `resume with: ${resumeCommand}\n`
  );
}

/** A plain-text table of relError (mean ± std over seeds) per method and m. */
export function formatSummary(summary: SweepSummary): string {
  const rows = summarize(summary.records);
  const lines = rows.map((r) => {
    const rel = r.count ? `${r.relError.mean.toExponential(2)} ± ${r.relError.std.toExponential(1)}` : 'diverged';
    const failed = r.failed ? ` (${r.failed} diverged)` : '';
    return `${r.method.padEnd(26)} ${String(r.samples).padStart(6)}  ${rel.padEnd(20)} ${r.effectiveRank.mean.toFixed(2).padStart(6)}  ${r.seeds.join(',')}${failed}`;
  });
  return [
    `${'method'.padEnd(26)} ${'m'.padStart(6)}  ${'relError mean ± std'.padEnd(20)} ${'effRank'.padStart(6)}  seeds`,
    ...lines,
    '',
  ].join('\n');
}

/** The command line to print for resuming: this one without --resume, --force and the queue flags (the URL may hold a password). */
export function resumeArgs(argv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--resume' || a === '--force') continue;
    if (a === '--queue' || a === '--queue-name') {
      i++;
      continue;
    }
    if (a.startsWith('--queue=') || a.startsWith('--queue-name=')) continue;
    kept.push(a);
  }
  return kept;
}

/** The `--workers N` option of every sweep-running command (and complete): worker threads, default one per core. */
export function workersFlag(description = 'worker threads', min = 1): Option {
  return new Option('--workers <int>', description).default(availableParallelism()).argParser(intInRange(min, 256));
}

/** The `--queue URL` option of every sweep-running command (sweep, claims, atlas, phase). */
export function queueUrlFlag(): Option {
  return new Option(
    '--queue <url>',
    'run on `mcomplete worker` processes through this Redis (redis:// or rediss://; see docs/distributed.md)',
  ).argParser(redisUrlOption);
}

/** The `--queue-name NAME` option that goes with `--queue`. */
export function queueNameFlag(): Option {
  return new Option('--queue-name <name>', 'the queue on that Redis (two sweeps at once need two names)')
    .default(DEFAULT_QUEUE_NAME)
    .argParser(queueNameOption);
}

/**
 * The options every built-in sweep command (claims, atlas, phase) shares, in one order: --workers, --resume, --force,
 * --quiet, --json, --queue and --queue-name; `resume` and `json` are their help texts (what is resumed, what the JSON holds).
 */
export function addBuiltInSweepOptions(
  command: Command,
  help: { resume: string; force?: string; json: string },
): Command {
  return command
    .addOption(workersFlag())
    .option('--resume', help.resume, false)
    .option('--force', help.force ?? 'start afresh even if --out already holds results', false)
    .option('--quiet', 'no progress on stderr', false)
    .option('--json', help.json, false)
    .addOption(queueUrlFlag())
    .addOption(queueNameFlag());
}

/** The queue a command's flags name, if any. */
export function queueOf(flags: { queue?: string; queueName: string }): { url: string; name: string } | undefined {
  return flags.queue === undefined ? undefined : { url: flags.queue, name: flags.queueName };
}

/**
 * Before a built-in sweep (claims, atlas, phase) writes into folder `dir`: refuse existing results files without
 * --resume or --force (exit 2, as `mcomplete sweep` does), create the folder, and check every output (`results` are
 * JSON Lines files, appended on resume; `others` are written whole), removing the folders it made if one fails.
 * Returns the paths of `results` and `others` inside `dir`, in order.
 */
export function prepareOutputFolder(
  command: Command,
  flags: { out: string; resume: boolean; force: boolean },
  results: readonly string[],
  others: readonly string[],
): string[] {
  if (flags.resume && flags.force)
    command.error("error: options '--resume' and '--force' cannot be used together", { exitCode: 2 });
  const paths = [...results, ...others].map((name) => join(flags.out, name));
  for (const file of paths.slice(0, results.length)) {
    if (!flags.resume && !flags.force && existsSync(file) && statSync(file).isFile() && statSync(file).size > 0) {
      command.error(
        `error: ${file} already holds results; pass --resume to continue it or --force to start it afresh`,
        { exitCode: 2 },
      );
    }
  }
  const created = ensureFolder(flags.out, '--out');
  try {
    checkOutputs(
      paths.map((path, i) => ({
        flag: `--out (${[...results, ...others][i]})`,
        path,
        ...(i < results.length ? { append: flags.resume } : {}),
      })),
    );
  } catch (err) {
    removeFolders(created);
    throw err;
  }
  return paths;
}
