import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { claimsPresetFor, evaluateClaims } from '../study/claims.ts';
import { checkOneSweep, readResults } from '../sweep/results.ts';
import { renderReport } from '../report/html.ts';
import { InputError } from '../data/input-error.ts';
import { checkOutputs, ensureFolder, fsReason, removeFolders, writeFileAtomic } from './output.ts';
import { pathArg } from './parse.ts';

/** The `mcomplete report <results.jsonl>` command: an HTML report with SVG figures from a results file. */
export function reportCommand(): Command {
  return new Command('report')
    .description(
      'write an HTML report (SVG figures, tables, the claims when the runs are a claims sweep) from a results file',
    )
    .argument('<results.jsonl>', 'a results file written by `mcomplete sweep` or `mcomplete claims`', pathArg)
    .addOption(new Option('--out <dir>', 'folder for index.html').default('report').argParser(pathArg))
    .action(async (file: string, flags: { out: string }) => {
      checkResultsFile(file);
      const results = readResults(file);
      const { records, partialBytes } = results;
      if (records.length === 0)
        throw new InputError({ file }, 'holds no runs (an empty results file): run `mcomplete sweep` first');
      checkOneSweep(file, results);
      const created = ensureFolder(flags.out, '--out');
      try {
        const index = join(flags.out, 'index.html');
        checkOutputs([{ flag: '--out', path: index }], [{ what: 'the results file', path: file }]);
        if (partialBytes > 0)
          process.stderr.write(`mcomplete: ${file}: ignored a cut-off last run record (${partialBytes} bytes)\n`);
        const sweep = records[0].sweep;
        const preset = claimsPresetFor(sweep);
        const claims = preset ? evaluateClaims(records, preset.config) : undefined;
        const html = await renderReport(records, { title: `mcomplete report: ${sweep}`, claims, source: file });
        writeFileAtomic(index, html, '--out');
        process.stdout.write(`Report: ${index}\n`);
      } catch (err) {
        removeFolders(created);
        throw err;
      }
    });
}

/** The results file exists and is a file (readResults treats a missing file as empty, which is right for resume only). */
function checkResultsFile(file: string): void {
  let isDir: boolean;
  try {
    isDir = statSync(file).isDirectory();
  } catch (err) {
    throw new InputError(
      { file },
      (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `cannot read it: ${fsReason(err, 'read')}`,
    );
  }
  if (isDir) throw new InputError({ file }, 'is a folder, not a results file (give the results.jsonl inside it)');
}
