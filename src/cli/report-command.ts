import { Command, Option } from 'commander';
import { claimsPresetFor, evaluateClaims } from '../experiment/claims.ts';
import { readResults } from '../experiment/results.ts';
import { writeReport } from '../report/html.ts';
import { InputError } from '../data/input-error.ts';

/** The `mcomplete report <results.jsonl>` command: an HTML report with SVG figures from a results file. */
export function reportCommand(): Command {
  return new Command('report')
    .description('write an HTML report (SVG figures, tables, the claims when the runs are a claims sweep) from a results file')
    .argument('<results.jsonl>', 'a results file written by `mcomplete sweep` or `mcomplete claims`')
    .addOption(new Option('--out <dir>', 'folder for index.html').default('report'))
    .action(async (file: string, flags: { out: string }) => {
      const { records, partialBytes } = readResults(file);
      if (partialBytes > 0) process.stderr.write(`mcomplete: ${file}: ignored an unfinished last line (${partialBytes} bytes)\n`);
      if (records.length === 0) throw new InputError({ file }, 'holds no runs');
      const sweeps = [...new Set(records.map((r) => r.sweep))];
      const preset = sweeps.length === 1 ? claimsPresetFor(sweeps[0]) : undefined;
      const claims = preset ? evaluateClaims(records, preset.config) : undefined;
      const out = await writeReport(records, flags.out, { title: `mcomplete report: ${sweeps.join(', ')}`, claims, source: file });
      process.stdout.write(`Report: ${out}\n`);
    });
}
