import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { evaluateClaims, formatClaims, FULL_CLAIMS, QUICK_CLAIMS } from '../experiment/claims.ts';
import { renderReport } from '../report/html.ts';
import { checkOutputs, ensureFolder, removeFolders, writeFileAtomic } from './output.ts';
import { intInRange } from './parse.ts';
import { queueNameOption, queueResumeFlags, redisUrlOption } from './worker-command.ts';
import { DEFAULT_QUEUE_NAME } from '../experiment/queue.ts';
import { formatSummary, interruptedMessage, runSweepCli } from './sweep-runner.ts';

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
  return new Command('claims')
    .description(
      'run the built-in claims sweep (quick: n=30, rank 2, 3 seeds, a few minutes; --full: docs/design.md section 4, about 20 minutes native, hours in pure TypeScript), ' +
        'print a verdict for each claim and write an HTML report',
    )
    .option('--full', 'the full protocol: n=100, rank 5, m from 1000 to 5000, 3 seeds', false)
    .addOption(new Option('--out <dir>', 'folder for results.jsonl and index.html').default('report'))
    .addOption(new Option('--workers <int>', 'worker threads').default(availableParallelism()).argParser(intInRange(1, 256)))
    .option('--resume', 'continue an interrupted claims sweep in --out instead of starting afresh', false)
    .option('--force', 'start --out/results.jsonl afresh even if it holds runs', false)
    .option('--quiet', 'no progress on stderr', false)
    .option('--json', 'print one JSON object (claims, summary, file names) on stdout instead of the table', false)
    .option('--queue <url>', 'run on `mcomplete worker` processes through this Redis (redis:// or rediss://; see docs/distributed.md)', redisUrlOption)
    .addOption(new Option('--queue-name <name>', 'the queue on that Redis (two sweeps at once need two names)').default(DEFAULT_QUEUE_NAME).argParser(queueNameOption))
    .action(async (flags: ClaimsFlags, command: Command) => {
      const preset = flags.full ? FULL_CLAIMS : QUICK_CLAIMS;
      if (flags.resume && flags.force) command.error("error: options '--resume' and '--force' cannot be used together", { exitCode: 2 });
      const results = join(flags.out, 'results.jsonl');
      const index = join(flags.out, 'index.html');
      // Same rule as `mcomplete sweep`: an existing results file is never emptied by accident.
      if (!flags.resume && !flags.force && existsSync(results) && statSync(results).isFile() && statSync(results).size > 0) {
        command.error(`error: ${results} already holds results; pass --resume to continue it or --force to start it afresh`, { exitCode: 2 });
      }
      const created = ensureFolder(flags.out, '--out');
      try {
        checkOutputs([
          { flag: '--out (results.jsonl)', path: results, append: flags.resume },
          { flag: '--out (index.html)', path: index },
        ]);
      } catch (err) {
        removeFolders(created);
        throw err;
      }
      const queue = flags.queue === undefined ? undefined : { url: flags.queue, name: flags.queueName };
      const summary = await runSweepCli(preset.spec, { out: results, workers: flags.workers, resume: flags.resume, quiet: flags.quiet, queue });
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
        process.stdout.write(`${JSON.stringify({ sweep: preset.spec.name, claims, results, report, seconds: summary.seconds })}\n`);
        return;
      }
      process.stdout.write(`Claims (${flags.full ? 'full' : 'quick'} sweep: ${size}; ${summary.total} runs, ${summary.seconds.toFixed(0)} s)\n\n`);
      process.stdout.write(formatClaims(claims));
      process.stdout.write(`\n${formatSummary(summary)}\nResults: ${results}\nReport:  ${report}\n`);
    });
}
