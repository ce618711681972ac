import { Command, CommanderError } from 'commander';
import { runCommand } from './run-command.ts';
import { completeCommand, reportKind } from './complete-command.ts';
import { predictCommand, recommendCommand } from './model-commands.ts';
import { evaluateCommand } from './evaluate-command.ts';
import { sweepCommand } from './sweep-command.ts';
import { claimsCommand } from './claims-command.ts';
import { reportCommand } from './report-command.ts';
import { workerCommand } from './worker-command.ts';
import { atlasCommand } from './atlas-command.ts';
import { QueueError } from '../sweep/queue.ts';
import { checkBullmq, checkVega, MissingPackageError } from '../sweep/optional-packages.ts';
import { phaseCommand } from './phase-command.ts';
import { InputError } from '../data/input-error.ts';
import { DivergenceError } from '../solver/loop.ts';
import { setBackend } from '../linalg/backend.ts';
import { chooseBackend } from '../linalg/native.ts';
import { packageVersion } from '../sweep/version.ts';

/**
 * A message as one printable line: newlines, other control characters and byte-order marks (from a user's file or
 * argument quoted in it) are written as escapes, so an error is always exactly one line on the terminal.
 */
export function oneLine(message: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return message.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/g, (c) =>
    c === '\n'
      ? '\\n'
      : c === '\r'
        ? '\\r'
        : c === '\t'
          ? '\\t'
          : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** The commands that draw figures (Vega, Vega-Lite), whatever their flags. */
const FIGURE_COMMANDS = new Set(['claims', 'report', 'atlas', 'phase', 'evaluate']);

/**
 * Check that the optional packages a command line will use are installed before it does any work, so that a missing
 * one stops it at once with one line (MissingPackageError), not after a sweep: figures need Vega, `--queue` and
 * `worker` need BullMQ. They are loaded where they are used.
 */
function checkOptionalPackages(command: string, flags: Record<string, unknown>): void {
  const report = flags.report;
  if (
    FIGURE_COMMANDS.has(command) ||
    (command === 'complete' && typeof report === 'string' && reportKind(report) === 'html')
  )
    checkVega();
  if (command === 'worker' || flags.queue !== undefined) checkBullmq();
}

/** Exit code for bad flags or arguments (as in BSD sysexits' spirit and common CLIs). */
export const EXIT_USAGE = 2;

/** Run the `mcomplete` command line with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  // The native backend when its addon is built, else pure TypeScript; MCOMPLETE_BACKEND=ts|native forces one.
  try {
    setBackend(chooseBackend());
  } catch (err) {
    process.stderr.write(`mcomplete: ${(err as Error).message}\n`);
    return EXIT_USAGE;
  }
  const program = new Command('mcomplete')
    .description('low-rank matrix completion with normalized penalties (L*/F) and adaptive optimizers')
    .version(packageVersion())
    .showHelpAfterError(false)
    .configureOutput({
      outputError: (str, write) => write(`mcomplete: ${oneLine(str.replace(/^error: /, '').trimEnd())}\n`),
    })
    .exitOverride()
    .addCommand(runCommand())
    .addCommand(completeCommand())
    .addCommand(predictCommand())
    .addCommand(recommendCommand())
    .addCommand(evaluateCommand())
    .addCommand(sweepCommand())
    .addCommand(claimsCommand())
    .addCommand(reportCommand())
    .addCommand(atlasCommand())
    .addCommand(phaseCommand())
    .addCommand(workerCommand())
    .hook('preAction', (_, command) => checkOptionalPackages(command.name(), command.opts()));
  for (const sub of program.commands) sub.exitOverride().configureOutput(program.configureOutput());
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help')
        return 0;
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (
      err instanceof DivergenceError ||
      err instanceof RangeError ||
      err instanceof InputError ||
      err instanceof QueueError ||
      err instanceof MissingPackageError
    ) {
      process.stderr.write(`mcomplete: ${oneLine(err.message)}\n`);
      return err instanceof QueueError ? err.exitCode : 1;
    }
    throw err;
  }
}
