import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { DUPLICATE_POLICIES, type DuplicatePolicy } from '../data/labels.ts';
import {
  crossValidate,
  EVALUATE_METHODS,
  type CrossValidation,
  type EvaluateMethod,
  type EvaluateProgress,
} from '../complete/evaluate.ts';
import { COMPLETE_COMMAND_DEFAULTS, COMPLETE_DEFAULTS, EVALUATE_DEFAULTS } from '../defaults.ts';
import { decimal, distinctList, intInRange, invalid, pathArg } from './parse.ts';
import { MAX_INPUT_BYTES } from './files.ts';
import { checkOutputs, ensureFolder, removeFolders, stageOutputs } from './output.ts';
import { parseColumns, readObserved } from './complete-command.ts';
import { meanStdText, metricColumns, renderEvaluationReport } from '../report/evaluate.ts';

interface EvaluateFlags {
  folds: number;
  methods: EvaluateMethod[];
  k: number;
  threshold?: number;
  seed: number;
  minSupport: number;
  validation?: number;
  maxSteps?: number;
  columns?: [string, string, string];
  dense: boolean;
  header: boolean;
  duplicates: DuplicatePolicy;
  outDir: string;
  json: boolean;
  quiet: boolean;
}

/** The files `evaluate` writes into --out-dir. */
export const EVALUATE_FILES = Object.freeze({ html: 'index.html', json: 'evaluation.json' });

/** `mcomplete evaluate ratings.csv --folds 5 --methods auto,soft-impute`: k-fold cross-validation, a table and a page. */
export function evaluateCommand(): Command {
  return new Command('evaluate')
    .description(
      'k-fold cross-validation of complete()’s methods on a ratings file: RMSE, MAE and ranking metrics (precision, recall, NDCG, MAP at k) per fold, mean ± std, and an HTML page',
    )
    .argument(
      '<observed>',
      'observed entries: CSV with header row id,column id,value (or --dense grid, or .mtx)',
      pathArg,
    )
    .addOption(
      new Option('--folds <int>', 'number of folds (each rating in the test part of exactly one)')
        .default(EVALUATE_DEFAULTS.folds)
        .argParser(intInRange(2, 100)),
    )
    .addOption(
      new Option('--methods <m,...>', `methods compared on the same folds (${EVALUATE_METHODS.join(', ')})`)
        .default([...EVALUATE_DEFAULTS.methods], EVALUATE_DEFAULTS.methods.join(','))
        .argParser(distinctList(methodArg)),
    )
    .addOption(
      new Option('--k <int>', "length of each user's list for the ranking metrics")
        .default(EVALUATE_DEFAULTS.k)
        .argParser(intInRange(1)),
    )
    .addOption(
      new Option(
        '--threshold <x>',
        'a held-out rating at or above this is relevant (default: lo + 0.75·(hi − lo) of the observed values, 4 on 1–5)',
      ).argParser(finiteNumber),
    )
    .addOption(
      new Option('--seed <int>', "seed of the folds and of each fit's validation split and initializations")
        .default(EVALUATE_DEFAULTS.seed)
        .argParser(intInRange(0, 2 ** 32 - 1)),
    )
    .addOption(
      new Option('--min-support <int>', "rank only items with at least this many ratings in the fold's training part")
        .default(EVALUATE_DEFAULTS.minSupport)
        .argParser(intInRange(0)),
    )
    .addOption(
      new Option(
        '--validation <fraction>',
        `complete(): share of each training part held out to choose settings (default ${COMPLETE_DEFAULTS.validation})`,
      ).argParser(fractionArg),
    )
    .addOption(
      new Option(
        '--max-steps <int>',
        `complete(), ratio/nuclear: step cap (default ${COMPLETE_DEFAULTS.maxSteps}, cut on a large problem)`,
      ).argParser(intInRange(1)),
    )
    .addOption(
      new Option('--columns <row,col,value>', 'pick the id and value columns by header name').argParser(parseColumns),
    )
    .option('--dense', 'the observed file is a dense CSV grid; empty, NaN or NA cells are gaps', false)
    .option('--header', 'with --dense: the first line names the columns', false)
    .addOption(
      new Option('--duplicates <policy>', 'a (row, col) pair observed twice')
        .default(COMPLETE_COMMAND_DEFAULTS.duplicates)
        .choices(DUPLICATE_POLICIES),
    )
    .addOption(
      new Option('--out-dir <dir>', `folder for ${EVALUATE_FILES.html} and ${EVALUATE_FILES.json}`)
        .default('evaluation')
        .argParser(pathArg),
    )
    .option(
      '--json',
      'print one JSON object (the whole evaluation and the files) on stdout instead of the table',
      false,
    )
    .option('--quiet', 'no progress on stderr', false)
    .action(async (observedPath: string, flags: EvaluateFlags, command: Command) => {
      const usage = (msg: string): never => command.error(`error: ${msg}`, { exitCode: 2 });
      if (flags.columns && (flags.dense || /\.mtx$/i.test(observedPath)))
        usage("option '--columns' is for CSV triplet files, not --dense grids or .mtx");
      if (flags.header && !flags.dense) usage("option '--header' goes with '--dense'");
      const html = join(flags.outDir, EVALUATE_FILES.html);
      const json = join(flags.outDir, EVALUATE_FILES.json);
      const created = ensureFolder(flags.outDir, '--out-dir');
      try {
        checkOutputs(
          [
            { flag: `--out-dir (${EVALUATE_FILES.html})`, path: html },
            { flag: `--out-dir (${EVALUATE_FILES.json})`, path: json },
          ],
          [{ what: 'the observed file', path: observedPath }],
        );
      } catch (err) {
        removeFolders(created);
        throw err;
      }
      const started = performance.now();
      let result: CrossValidation;
      let input;
      try {
        input = await readObserved(observedPath, { ...flags, maxInputBytes: MAX_INPUT_BYTES });
        result = crossValidate(input.labeled, {
          folds: flags.folds,
          methods: flags.methods,
          k: flags.k,
          threshold: flags.threshold,
          seed: flags.seed,
          minSupport: flags.minSupport,
          fitOptions: {
            ...(flags.validation !== undefined ? { validation: flags.validation } : {}),
            ...(flags.maxSteps !== undefined ? { maxSteps: flags.maxSteps } : {}),
          },
          onProgress: flags.quiet ? undefined : progressLine,
        });
      } catch (err) {
        removeFolders(created);
        throw err;
      }
      const full = {
        ...result,
        input: { file: observedPath, format: input.format, names: input.names },
        command: commandLine(command),
        wallSeconds: (performance.now() - started) / 1000,
      };
      const staged = stageOutputs();
      try {
        staged.write({ flag: `--out-dir (${EVALUATE_FILES.html})`, path: html }, await renderEvaluationReport(full));
        staged.write({ flag: `--out-dir (${EVALUATE_FILES.json})`, path: json }, `${JSON.stringify(full, null, 2)}\n`);
        staged.commit();
      } catch (err) {
        staged.abort();
        throw err;
      }
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ ...full, files: { html, json } })}\n`);
        return;
      }
      process.stdout.write(formatEvaluation(result));
      process.stdout.write(`\nPage: ${html}\nJSON: ${json}\n`);
    });
}

/** One line on stderr when a (fold, method) fit starts and when it is scored. */
function progressLine(e: EvaluateProgress): void {
  const at = `evaluate: fold ${e.fold}/${e.folds}, ${e.method}`;
  if (e.phase === 'start') process.stderr.write(`${at} (${e.done + 1} of ${e.total}): fitting on the other folds\n`);
  else if (e.phase === 'done' && e.row) {
    const r = e.row;
    const ndcg = r.ndcg === null ? '–' : r.ndcg.toFixed(4);
    process.stderr.write(
      `${at}: RMSE ${r.rmse.toFixed(4)}, MAE ${r.mae.toFixed(4)}, NDCG@k ${ndcg}, ${r.seconds.toFixed(1)} s (${r.chosen})\n`,
    );
  }
}

/** The summary table: one line per method, mean ± sample std over the folds, then the settings in one line. */
export function formatEvaluation(r: CrossValidation): string {
  const columns = metricColumns(r.settings.k);
  const header = ['method', ...columns.map((c) => c.title), 'seconds/fold'];
  const lines = r.summary.map((m) => [
    m.method,
    ...columns.map((c) => meanStdText(m[c.key])),
    meanStdText(m.seconds, 1),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...lines.map((l) => l[c].length)));
  const row = (cells: string[]): string =>
    cells
      .map((x, c) => x.padEnd(widths[c]))
      .join('  ')
      .trimEnd();
  const s = r.settings;
  return [
    `Evaluation: ${s.folds} folds (seed ${s.seed}), ${r.data.entries} ratings of ${r.data.rows} × ${r.data.cols}; ` +
      `relevant: a held-out rating ≥ ${Number(s.threshold.toPrecision(6))}; mean ± std over the folds, ${r.seconds.toFixed(1)} s`,
    '',
    row(header),
    ...lines.map(row),
    '',
  ].join('\n');
}

/** The command line as typed (arguments quoted where a shell needs it), for the page. */
function commandLine(command: Command): string {
  const args = (command.parent as (Command & { rawArgs?: string[] }) | null)?.rawArgs ?? ['evaluate'];
  const quote = (a: string): string => (/^[\w./,:=@%+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return ['mcomplete', ...args.map(quote)].join(' ');
}

function methodArg(value: string): EvaluateMethod {
  if (!(EVALUATE_METHODS as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected ${EVALUATE_METHODS.join(', ')}, separated by commas.`);
  return value as EvaluateMethod;
}

function finiteNumber(value: string): number {
  const x = decimal(value);
  if (value.trim() === '' || !Number.isFinite(x)) throw invalid(value, 'a finite number');
  return x;
}

function fractionArg(value: string): number {
  const x = decimal(value);
  if (value.trim() === '' || !(x > 0 && x <= 0.5)) throw invalid(value, 'a fraction in (0, 0.5]');
  return x;
}
