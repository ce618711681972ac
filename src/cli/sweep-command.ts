import { existsSync, statSync } from 'node:fs';
import { formatBytes, MAX_SPEC_BYTES, readUpTo } from './files.ts';
import { Command, CommanderError, Option } from 'commander';
import { countRuns, parseSweepSpec, SpecError, type SweepSpec } from '../sweep/spec.ts';
import { SWEEP_MAX_RUNS } from '../defaults.ts';
import { intInRange, pathArg } from './parse.ts';
import { queueResumeFlags } from './worker-command.ts';
import { checkOutputs, fsReason } from './output.ts';
import {
  formatSummary,
  interruptedMessage,
  queueOf,
  queueNameFlag,
  queueUrlFlag,
  workersFlag,
  runSweepCli,
} from './sweep-runner.ts';

interface SweepFlags {
  out: string;
  workers: number;
  resume: boolean;
  force: boolean;
  quiet: boolean;
  queue?: string;
  queueName: string;
  maxRuns: number;
}

/** The `mcomplete sweep <spec.json>` command: every (method, m, seed) of a spec on worker threads, to JSON Lines. */
export function sweepCommand(): Command {
  return new Command('sweep')
    .description('run a sweep spec (methods × sample counts × seeds) on worker threads; one JSON line per finished run')
    .argument('<spec.json>', 'the sweep spec (see docs/cli.md: n, rank, samples, seeds, methods)', pathArg)
    .addOption(new Option('--out <file>', 'results file (JSON Lines)').default('results.jsonl').argParser(pathArg))
    .addOption(workersFlag())
    .option('--resume', 'keep the results file and skip the runs it already holds', false)
    .option('--force', 'start the results file afresh even if it holds runs', false)
    .option('--quiet', 'no progress on stderr', false)
    .addOption(
      new Option('--max-runs <int>', `refuse a spec of more runs than this (counted before the spec is expanded)`)
        .default(SWEEP_MAX_RUNS)
        .argParser(intInRange(1)),
    )
    .addOption(queueUrlFlag())
    .addOption(queueNameFlag())
    .action(async (specFile: string, flags: SweepFlags, command: Command) => {
      const spec = loadSpec(specFile, command);
      if (flags.resume && flags.force)
        command.error("error: options '--resume' and '--force' cannot be used together", { exitCode: 2 });
      checkOutputs([{ flag: '--out', path: flags.out, append: flags.resume }], [{ what: 'the spec', path: specFile }]);
      if (!flags.resume && !flags.force && existsSync(flags.out) && statSync(flags.out).size > 0) {
        command.error(
          `error: ${flags.out} already holds results; pass --resume to continue it or --force to start it afresh`,
          { exitCode: 2 },
        );
      }
      const runs = countRuns(spec);
      if (runs > flags.maxRuns) {
        command.error(
          `error: ${specFile}: the spec has ${runs.toLocaleString('en')} runs (${spec.methods.length} methods × sample counts × ${spec.seeds.length} seeds), ` +
            `more than --max-runs ${flags.maxRuns.toLocaleString('en')}${command.getOptionValueSource('maxRuns') === 'default' ? ' (the default)' : ''}; ` +
            `pass --max-runs ${runs} to run them all, or shrink the spec`,
          { exitCode: 2 },
        );
      }
      const queue = queueOf(flags);
      const summary = await runSweepCli(spec, {
        out: flags.out,
        workers: flags.workers,
        resume: flags.resume,
        quiet: flags.quiet,
        queue,
      });
      process.stdout.write(formatSummary(summary));
      if (summary.interrupted) {
        process.stderr.write(
          interruptedMessage(
            summary,
            `mcomplete sweep ${specFile}${queueResumeFlags(queue)} --out ${flags.out} --resume`,
          ),
        );
        process.exitCode = 130;
        return;
      }
      if (!flags.quiet) {
        process.stderr.write(
          `mcomplete: ${summary.completed} runs in ${summary.seconds.toFixed(1)} s (${summary.skipped} skipped, ${summary.failed} diverged); ` +
            `results in ${summary.file}; figures: mcomplete report ${summary.file}\n`,
        );
      }
    });
}

/** Read and validate a spec file; any problem is a usage error (exit 2) naming the file and the field. */
function loadSpec(file: string, command: Command): SweepSpec {
  let text: string;
  try {
    if (statSync(file).isDirectory())
      return command.error(`error: ${file}: cannot read the spec (it is a folder, not a file)`, { exitCode: 2 });
    const read = readUpTo(file, MAX_SPEC_BYTES);
    if (read === null)
      return command.error(
        `error: ${file}: cannot read the spec (larger than ${formatBytes(MAX_SPEC_BYTES)}, the limit for a spec file)`,
        { exitCode: 2 },
      );
    text = read;
  } catch (err) {
    if (err instanceof CommanderError) throw err;
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : fsReason(err, 'read');
    return command.error(`error: ${file}: cannot read the spec (${reason})`, { exitCode: 2 });
  }
  try {
    return parseSweepSpec(text, file);
  } catch (err) {
    if (err instanceof SpecError) return command.error(`error: ${err.message}`, { exitCode: 2 });
    throw err;
  }
}
