import { Command, Option } from 'commander';
import { evaluateClaims, formatClaims, FULL_CLAIMS, QUICK_CLAIMS } from '../study/claims.ts';
import { renderReport } from '../report/html.ts';
import { checkBuiltInSweep } from '../sweep/spec.ts';
import { pathArg } from './parse.ts';
import { writeFileAtomic } from './output.ts';
import { queueResumeFlags } from './worker-command.ts';
import {
  addBuiltInSweepOptions,
  formatSummary,
  interruptedMessage,
  prepareOutputFolder,
  queueOf,
  runSweepCli,
} from './sweep-runner.ts';

interface ClaimsFlags {
  full: boolean;
  out: string;
  workers: number;
  resume: boolean;
  force: boolean;
  quiet: boolean;
  json: boolean;
  queue?: string;
  queueName: string;
}

/** The `mcomplete claims` command: the built-in claims sweep, verdicts computed from its numbers, and a report. */
export function claimsCommand(): Command {
  const definition = new Command('claims')
    .description(
      'run the built-in claims sweep (quick: n=30, rank 2, 3 seeds, a few minutes; --full: docs/design/protocols.md section 4, about 20 minutes native, hours in pure TypeScript), ' +
        'print a verdict for each claim and write an HTML report',
    )
    .option('--full', 'the full protocol: n=100, rank 5, m from 1000 to 5000, 3 seeds', false)
    .addOption(
      new Option('--out <dir>', 'folder for results.jsonl and index.html').default('report').argParser(pathArg),
    );
  return addBuiltInSweepOptions(definition, {
    resume: 'continue an interrupted claims sweep in --out instead of starting afresh',
    force: 'start --out/results.jsonl afresh even if it holds runs',
    json: 'print one JSON object (claims, summary, file names) on stdout instead of the table',
  }).action(async (flags: ClaimsFlags, command: Command) => {
    const preset = flags.full ? FULL_CLAIMS : QUICK_CLAIMS;
    // Validated as a spec file is, before any folder or file is made.
    checkBuiltInSweep(preset.spec, `claims (${preset.spec.name})`);
    const [results, index] = prepareOutputFolder(command, flags, ['results.jsonl'], ['index.html']);
    const queue = queueOf(flags);
    const summary = await runSweepCli(preset.spec, {
      out: results,
      workers: flags.workers,
      resume: flags.resume,
      quiet: flags.quiet,
      queue,
    });
    if (summary.interrupted) {
      const again = `mcomplete claims${flags.full ? ' --full' : ''}${flags.out !== 'report' ? ` --out ${flags.out}` : ''}${queueResumeFlags(queue)} --resume`;
      process.stderr.write(interruptedMessage(summary, again));
      process.exitCode = 130;
      return;
    }
    const claims = evaluateClaims(summary.records, preset.config);
    const size = `n=${preset.spec.n}, rank ${preset.spec.rank}, m ∈ {${preset.spec.samples.join(', ')}}, seeds ${preset.spec.seeds.join(', ')}`;
    const html = await renderReport(summary.records, {
      title: `mcomplete claims (${flags.full ? 'full' : 'quick'}: ${size})`,
      claims,
      source: results,
    });
    writeFileAtomic(index, html, '--out (index.html)');
    const report = index;
    if (flags.json) {
      process.stdout.write(
        `${JSON.stringify({ sweep: preset.spec.name, claims, results, report, seconds: summary.seconds })}\n`,
      );
      return;
    }
    process.stdout.write(
      `Claims (${flags.full ? 'full' : 'quick'} sweep: ${size}; ${summary.total} runs, ${summary.seconds.toFixed(0)} s)\n\n`,
    );
    process.stdout.write(formatClaims(claims));
    process.stdout.write(`\n${formatSummary(summary)}\nResults: ${results}\nReport:  ${report}\n`);
  });
}
