import { Command, InvalidArgumentError, Option } from 'commander';
import { InputError } from '../data/input-error.ts';
import { parseQuery } from '../data/formats/query.ts';
import { formatPredictions, formatRecommendations } from '../data/formats/write.ts';
import { quoteField } from '../data/formats/csv.ts';
import { loadModel, type FittedModel } from '../complete/index.ts';
import { intInRange } from './parse.ts';
import { MAX_INPUT_BYTES, readBinaryFile, readTextFile } from './files.ts';
import { checkOutputs, stageOutputs } from './output.ts';

/** A saved model read from `path`; a file that is not one (or is damaged) is a one-line InputError naming it. */
export function readModel(path: string): FittedModel {
  const bytes = readBinaryFile(path);
  try {
    return loadModel(bytes);
  } catch (err) {
    if (err instanceof RangeError) throw new InputError({ file: path }, err.message);
    throw err;
  }
}

/** The id and value column names a saved model's training file had (row, col, value when a library saved it). */
function savedNames(model: FittedModel): readonly [string, string, string] {
  return model.info.input?.names ?? ['row', 'col', 'value'];
}

interface PredictFlags {
  query: string;
  out: string;
  keepObserved: boolean;
  quiet: boolean;
}

/** `mcomplete predict model.mcm --query q.csv --out p.csv`: a saved model's predictions, no refit. */
export function predictCommand(): Command {
  return new Command('predict')
    .description('predict query cells with a saved model (complete --save-model), without refitting')
    .argument('<model>', 'a model saved by `mcomplete complete --save-model`')
    .requiredOption('--query <cells>', 'CSV of cells to predict: the id columns (others ignored)')
    .requiredOption('--out <predictions.csv>', 'write the query cells with a value column')
    .addOption(
      new Option('--no-keep-observed', 'report the model value at training cells too (default: their observed value)'),
    )
    .option('--quiet', 'no summary on stderr', false)
    .action((modelPath: string, flags: PredictFlags) => {
      checkOutputs(
        [{ flag: '--out', path: flags.out }],
        [
          { what: 'the model', path: modelPath },
          { what: 'the query file (--query)', path: flags.query },
        ],
      );
      const started = performance.now();
      const model = readModel(modelPath);
      const names = savedNames(model);
      const query = parseQuery(readTextFile(flags.query, { maxBytes: MAX_INPUT_BYTES }), {
        file: flags.query,
        idNames: [names[0], names[1]],
        requireNames: model.info.input?.columnsGiven ?? false,
        knownIds: model,
      });
      const p = model.predictMany(query.rowIds, query.colIds, { keepObserved: flags.keepObserved });
      const staged = stageOutputs();
      staged.write(
        { flag: '--out', path: flags.out },
        formatPredictions([query.names[0], query.names[1], names[2]], query.rowIds, query.colIds, p.values),
      );
      staged.commit();
      if (!flags.quiet) {
        const seconds = ((performance.now() - started) / 1000).toFixed(2);
        const unknown = p.unknownCells > 0 ? `, ${p.unknownCells} with an id the model never saw (fallback)` : '';
        process.stderr.write(`predicted ${p.values.length} cells${unknown} in ${seconds} s: ${flags.out}\n`);
      }
    });
}

interface RecommendFlags {
  users?: string[];
  allUsers: boolean;
  top: number;
  minSupport: number;
  includeSeen: boolean;
  out?: string;
  quiet: boolean;
}

/** `mcomplete recommend model.mcm --users 1,7 | --all-users --top 10`: top-N items per user, as CSV. */
export function recommendCommand(): Command {
  return new Command('recommend')
    .description('the top items for users of a saved model (CSV user,item,score, best first per user)')
    .argument('<model>', 'a model saved by `mcomplete complete --save-model`')
    .addOption(new Option('--users <id,...>', 'the user (row) ids to recommend for').argParser(parseIds))
    .option('--all-users', 'recommend for every user the model knows', false)
    .addOption(new Option('--top <int>', 'items per user').default(10).argParser(intInRange(1)))
    .addOption(
      new Option('--min-support <int>', 'only items with at least this many training ratings')
        .default(0)
        .argParser(intInRange(0)),
    )
    .option('--include-seen', 'keep the items a user rated in training (default: left out)', false)
    .option('--out <recs.csv>', 'write the CSV here (default: stdout)')
    .option('--quiet', 'no summary on stderr', false)
    .action((modelPath: string, flags: RecommendFlags, command: Command) => {
      const usage = (msg: string): never => command.error(`error: ${msg}`, { exitCode: 2 });
      if (!flags.users && !flags.allUsers) usage("give '--users <id,...>' or '--all-users'");
      if (flags.users && flags.allUsers) usage("options '--users' and '--all-users' exclude each other");
      if (flags.out) checkOutputs([{ flag: '--out', path: flags.out }], [{ what: 'the model', path: modelPath }]);
      const started = performance.now();
      const model = readModel(modelPath);
      const users = flags.allUsers ? model.rowIds : (flags.users as string[]);
      const rowIndex = new Set(model.rowIds);
      const unknown = users.find((u) => !rowIndex.has(u));
      if (unknown !== undefined)
        throw new InputError(
          { file: modelPath },
          `--users: the model has no user (row) id ${quoteField(unknown)} (fold it in with the library's model.foldIn)`,
        );
      const lists = model.recommendMany(users, {
        top: flags.top,
        minSupport: flags.minSupport,
        excludeSeen: !flags.includeSeen,
      });
      const names = savedNames(model);
      const text = formatRecommendations(users, lists);
      const seconds = ((performance.now() - started) / 1000).toFixed(2);
      if (flags.out) {
        const staged = stageOutputs();
        staged.write({ flag: '--out', path: flags.out }, text);
        staged.commit();
      } else process.stdout.write(text);
      if (!flags.quiet)
        process.stderr.write(
          `recommended up to ${flags.top} items (${names[1]}) for each of ${users.length} users (${names[0]}) in ${seconds} s\n`,
        );
    });
}

/** A comma-separated list of ids (labels, trimmed; none empty). */
function parseIds(value: string): string[] {
  const ids = value.split(',').map((s) => s.trim());
  if (ids.some((s) => s === '')) throw new InvalidArgumentError('expected user ids separated by commas.');
  return ids;
}
