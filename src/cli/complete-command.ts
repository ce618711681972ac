import { Command, InvalidArgumentError, Option } from 'commander';
import { InputError } from '../data/input-error.ts';
import { DUPLICATE_POLICIES, type DuplicatePolicy, type LabeledObservations } from '../data/labels.ts';
import { readTriplets } from '../data/formats/triplets.ts';
import { readDense } from '../data/formats/dense.ts';
import { readMatrixMarket } from '../data/formats/matrix-market.ts';
import { readQuery } from '../data/formats/query.ts';
import { formatDenseMatrix, formatPredictions } from '../data/formats/write.ts';
import {
  COMPLETE_DEFAULTS,
  FALLBACK_RULE,
  METHOD_CHOICES,
  type CompleteProgress,
  type CompletionModel,
  type ManyPredictions,
  type MethodChoice,
} from '../complete/index.ts';
import { COMPLETE_COMMAND_DEFAULTS } from '../defaults.ts';
import { DECAY_MODES, type DecayMode } from '../complete/factored-fit.ts';
import { FACTORED_WEIGHTINGS, type FactoredWeighting } from '../solver/factored-train.ts';
import { decimal, intInRange, invalid, pathArg, positiveNumber } from './parse.ts';
import { createProgressReporter, createReadProgress, type ProgressReporter } from './progress.ts';
import { MAX_INPUT_BYTES, readFileChunks, regularFileSize, formatBytes } from './files.ts';
import { checkOutputs, stageOutputs, type OutputPath } from './output.ts';
import { formatSummary } from './complete-summary.ts';
import { renderCompletionReport, topNView } from '../report/complete.ts';
import { completeAsync } from '../sweep/complete-async.ts';
import { workersFlag } from './sweep-runner.ts';

/** Largest matrix --out-matrix writes (cells); beyond it a dense file is unwieldy: use --query. */
export const OUT_MATRIX_LIMIT = 2_000_000;

interface CompleteFlags {
  query?: string;
  out?: string;
  outMatrix?: string;
  columns?: [string, string, string];
  dense: boolean;
  header: boolean;
  method: MethodChoice;
  rank?: number[];
  lambda?: number[];
  validation: number;
  seed: number;
  maxSteps: number;
  lr: number;
  nuclearWeight: number;
  weightDecay?: number[];
  weighting?: FactoredWeighting[];
  decay: DecayMode;
  center: boolean;
  clip: boolean;
  keepObserved: boolean;
  duplicates: DuplicatePolicy;
  report?: string;
  saveModel?: string;
  quiet: boolean;
  maxInputBytes: number;
  workers: number;
}

/** An observed file read, whatever its format: the labeled observations and the names used on output. */
export interface ObservedInput {
  labeled: LabeledObservations;
  format: 'triplets' | 'dense' | 'matrix-market';
  /** Names of the row id, column id and value columns (from the header, or row, col, value). */
  names: readonly [string, string, string];
  denseHeader: boolean;
}

/** The `mcomplete complete` command: fill in a real matrix with hyperparameters chosen on a validation split. */
export function completeCommand(): Command {
  return new Command('complete')
    .description('fill in the missing entries of a matrix (ratings triples, a dense grid with gaps, or Matrix Market)')
    .argument(
      '<observed>',
      'observed entries: CSV with header row id,column id,value (or --dense grid, or .mtx)',
      pathArg,
    )
    .option('--query <cells>', 'CSV of cells to predict: the id columns (others ignored)', pathArg)
    .option('--out <predictions.csv>', 'write the query cells with a value column (needs --query)', pathArg)
    .option(
      '--out-matrix <dense.csv>',
      `write the whole completed matrix (at most ${OUT_MATRIX_LIMIT.toLocaleString('en')} cells)`,
      pathArg,
    )
    .addOption(
      new Option('--columns <row,col,value>', 'pick the id and value columns by header name').argParser(parseColumns),
    )
    .option('--dense', 'the observed file is a dense CSV grid; empty, NaN or NA cells are gaps', false)
    .option('--header', 'with --dense: the first line names the columns', false)
    .addOption(
      new Option('--method <name>', 'completion method').default(COMPLETE_DEFAULTS.method).choices(METHOD_CHOICES),
    )
    .addOption(
      new Option('--rank <k,...>', 'candidate ranks (a cap for soft-impute and nuclear)').argParser(parseList(true)),
    )
    .addOption(new Option('--lambda <x,...>', 'candidate λ values for the chosen --method').argParser(parseList(false)))
    .addOption(
      new Option('--validation <fraction>', 'share of observed entries held out to choose settings')
        .default(COMPLETE_DEFAULTS.validation)
        .argParser(fractionArg),
    )
    .addOption(
      new Option('--seed <int>', 'seed of the validation split and initializations')
        .default(COMPLETE_DEFAULTS.seed)
        .argParser(intInRange(0, 2 ** 32 - 1)),
    )
    .addOption(
      new Option('--max-steps <int>', 'ratio/nuclear: step cap (the steps are chosen on validation)')
        .default(COMPLETE_DEFAULTS.maxSteps)
        .argParser(intInRange(1)),
    )
    .addOption(
      new Option('--lr <x>', 'ratio/nuclear: Adam learning rate')
        .default(COMPLETE_DEFAULTS.lr)
        .argParser(positiveNumber()),
    )
    .addOption(
      new Option('--nuclear-weight <x>', 'ratio: add μ·||W||_* (magnitude control)')
        .default(COMPLETE_DEFAULTS.nuclearWeight)
        .argParser(positiveNumber(true)),
    )
    .addOption(
      new Option(
        '--weight-decay <ω,...>',
        'ratio/nuclear: candidate weight decays ω of the factors (0: none)',
      ).argParser(parseList(false)),
    )
    .addOption(
      new Option(
        '--weighting <w,...>',
        `ratio/nuclear: candidate weightings of the penalties (${FACTORED_WEIGHTINGS.join(', ')})`,
      ).argParser(parseWeightings),
    )
    .addOption(
      new Option('--decay <mode>', 'ratio/nuclear: weight decay as a loss term or decoupled (AdamW)')
        .default(COMPLETE_DEFAULTS.decay)
        .choices(DECAY_MODES),
    )
    .addOption(
      new Option('--no-center', 'do not subtract the global mean and row/column biases first').default(
        COMPLETE_DEFAULTS.center,
      ),
    )
    .addOption(
      new Option('--no-clip', 'do not clip predictions to the observed value range').default(COMPLETE_DEFAULTS.clip),
    )
    .addOption(
      new Option(
        '--no-keep-observed',
        'report the model value at observed cells too (default: their observed value)',
      ).default(COMPLETE_COMMAND_DEFAULTS.keepObserved),
    )
    .addOption(
      new Option('--duplicates <policy>', 'a (row, col) pair observed twice')
        .default(COMPLETE_COMMAND_DEFAULTS.duplicates)
        .choices(DUPLICATE_POLICIES),
    )
    .option(
      '--report <report.html|report.json>',
      'write the settings tried, the choice, the timings and diagnostics: an HTML page with figures (.html, .htm) or JSON (any other name)',
      pathArg,
    )
    .option(
      '--save-model <model.mcm>',
      'write the fitted model (binary, docs/complete.md#saved-models): `mcomplete predict` and `recommend` read it without a refit',
    )
    .option('--quiet', 'no progress and no summary on stderr', false)
    .addOption(workersFlag('worker threads of the tuning runs and refits (0: none; the same result for any number)', 0))
    .addOption(
      new Option(
        '--max-input-bytes <n>',
        `read at most this many bytes of the observed file and of the query file (suffix K, M or G for KiB, MiB, GiB; default ${formatBytes(MAX_INPUT_BYTES)})`,
      )
        .default(MAX_INPUT_BYTES, formatBytes(MAX_INPUT_BYTES))
        .argParser(byteCount),
    )
    .action(async (observedPath: string, flags: CompleteFlags, command: Command) => {
      const usage = (msg: string): never => command.error(`error: ${msg}`, { exitCode: 2 });
      if (flags.query && !flags.out) usage("option '--query' needs '--out <predictions.csv>'");
      if (flags.out && !flags.query) usage("option '--out' needs '--query <cells>'");
      if (flags.columns && (flags.dense || /\.mtx$/i.test(observedPath)))
        usage("option '--columns' is for CSV triplet files, not --dense grids or .mtx");
      if (flags.header && !flags.dense) usage("option '--header' goes with '--dense'");
      if ((flags.weightDecay || flags.weighting) && flags.method === 'soft-impute')
        usage(
          "options '--weight-decay' and '--weighting' are for the gradient methods (ratio, nuclear, auto), not soft-impute",
        );
      if (flags.lambda && flags.method === 'auto')
        usage("option '--lambda' needs '--method ratio|soft-impute|nuclear' (λ means something different for each)");
      // Every output is checked before any work: a writable place, never an input, never another output.
      const outputs: OutputPath[] = [];
      if (flags.out !== undefined) outputs.push({ flag: '--out', path: flags.out });
      if (flags.outMatrix !== undefined) outputs.push({ flag: '--out-matrix', path: flags.outMatrix });
      if (flags.report !== undefined) outputs.push({ flag: '--report', path: flags.report });
      if (flags.saveModel !== undefined) outputs.push({ flag: '--save-model', path: flags.saveModel });
      const inputs = [{ what: 'the observed file', path: observedPath }];
      if (flags.query) inputs.push({ what: 'the query file (--query)', path: flags.query });
      checkOutputs(outputs, inputs);

      const started = performance.now();
      const input = await readObserved(observedPath, flags);
      const query = flags.query
        ? await readInput(flags.query, flags, (chunks, onProgress) =>
            readQuery(chunks, {
              file: flags.query as string,
              idNames: [input.names[0], input.names[1]],
              requireNames: !!flags.columns,
              knownIds: input.labeled,
              onProgress,
            }),
          )
        : null;
      const [m, n] = input.labeled.observations.shape;
      if (flags.outMatrix && m * n > OUT_MATRIX_LIMIT) {
        throw new InputError(
          { file: flags.outMatrix },
          `a ${m}×${n} matrix has ${(m * n).toLocaleString('en')} cells, too many for --out-matrix (limit ${OUT_MATRIX_LIMIT.toLocaleString('en')}); use --query`,
        );
      }

      const progress = phasedProgress(flags.quiet);
      // The first Ctrl-C stops the fit (its worker threads end, nothing is written); a second one exits at once.
      const controller = new AbortController();
      const onSigint = (): void => {
        if (controller.signal.aborted) process.exit(130);
        progress.stop();
        controller.abort();
      };
      process.on('SIGINT', onSigint);
      let model: CompletionModel;
      try {
        model = await completeAsync(input.labeled, {
          method: flags.method,
          center: flags.center,
          clip: flags.clip,
          validation: flags.validation,
          seed: flags.seed,
          ranks: flags.rank,
          lambdas: flags.lambda,
          // Given only when typed: a default left to complete() may be cut to a large problem's budget (fitGridToBudget).
          maxSteps: command.getOptionValueSource('maxSteps') === 'default' ? undefined : flags.maxSteps,
          lr: command.getOptionValueSource('lr') === 'default' ? undefined : flags.lr,
          nuclearWeight: flags.nuclearWeight,
          weightDecays: flags.weightDecay,
          weightings: flags.weighting,
          decay: flags.decay,
          onProgress: progress.update,
          workers: flags.workers,
          signal: controller.signal,
        });
      } catch (err) {
        if (!(err instanceof DOMException && err.name === 'AbortError')) throw err;
        process.stderr.write(`mcomplete: interrupted: ${err.message}; no file written\n`);
        process.exitCode = 130;
        return;
      } finally {
        process.removeListener('SIGINT', onSigint);
        progress.stop();
      }

      // All outputs or none: each is staged in a temporary file, and only when all are written are they renamed
      // into place; any failure removes what this run wrote.
      const staged = stageOutputs();
      let full;
      try {
        const keep = { keepObserved: flags.keepObserved };
        let predictions: ManyPredictions | null = null;
        if (query) {
          predictions = model.predictMany(query.rowIds, query.colIds, keep);
          staged.write(
            { flag: '--out', path: flags.out as string },
            formatPredictions(
              [query.names[0], query.names[1], input.names[2]],
              query.rowIds,
              query.colIds,
              predictions.values,
            ),
          );
        }
        if (flags.outMatrix) {
          const { rowIds, colIds } = input.labeled;
          const value = (i: number, j: number): number => model.predictAt(i, j, keep);
          const layout =
            input.format === 'dense'
              ? { header: input.denseHeader }
              : input.format === 'matrix-market'
                ? {}
                : { corner: input.names[0] };
          staged.write(
            { flag: '--out-matrix', path: flags.outMatrix },
            formatDenseMatrix(rowIds, colIds, value, layout),
          );
        }
        const seconds = (performance.now() - started) / 1000;
        full = {
          ...model.report,
          input: { file: observedPath, format: input.format, names: input.names, duplicates: flags.duplicates },
          query: query && predictions ? querySummary(flags.query as string, predictions) : null,
          fallbackRule: FALLBACK_RULE,
          keepObserved: flags.keepObserved,
          outputs: { predictions: flags.out ?? null, matrix: flags.outMatrix ?? null, model: flags.saveModel ?? null },
          wallSeconds: seconds,
        };
        if (flags.saveModel) {
          const saved = { names: input.names, columnsGiven: !!flags.columns, format: input.format };
          staged.write({ flag: '--save-model', path: flags.saveModel }, model.save({ input: saved }));
        }
        if (flags.report) {
          // The report also shows a few users' top-N lists, each item with its training support.
          const withViews = { ...full, topN: topNView(model) };
          const text =
            reportKind(flags.report) === 'html'
              ? await renderCompletionReport(withViews)
              : `${JSON.stringify(withViews, null, 2)}\n`;
          staged.write({ flag: '--report', path: flags.report }, text);
        }
        staged.commit();
      } catch (err) {
        staged.abort();
        throw err;
      }
      const seconds = full.wallSeconds;
      if (!flags.quiet) process.stderr.write(formatSummary(model.report, full.query, seconds));
    });
}

/** The report's format by its extension (case-insensitive): .html/.htm a page with figures, anything else JSON. */
export function reportKind(path: string): 'html' | 'json' {
  return /\.html?$/i.test(path) ? 'html' : 'json';
}

/** The flags that say how to read an observed file (complete's, and evaluate's). */
export type ReadFlags = Pick<CompleteFlags, 'dense' | 'header' | 'columns' | 'duplicates' | 'quiet' | 'maxInputBytes'>;

/** Read the observed file in the format the flags and the extension say, streaming it, with progress. */
export async function readObserved(path: string, flags: ReadFlags): Promise<ObservedInput> {
  if (flags.dense) {
    const d = await readInput(path, flags, (chunks, onProgress) =>
      readDense(chunks, { file: path, header: flags.header, onProgress }),
    );
    return { labeled: d, format: 'dense', names: ['row', 'col', 'value'], denseHeader: d.header };
  }
  if (/\.mtx$/i.test(path)) {
    return {
      labeled: await readInput(path, flags, (chunks, onProgress) =>
        readMatrixMarket(chunks, { file: path, duplicates: flags.duplicates, onProgress }),
      ),
      format: 'matrix-market',
      names: ['row', 'col', 'value'],
      denseHeader: false,
    };
  }
  const t = await readInput(path, flags, (chunks, onProgress) =>
    readTriplets(chunks, { file: path, columns: flags.columns, duplicates: flags.duplicates, onProgress }),
  );
  return { labeled: t, format: 'triplets', names: t.names, denseHeader: false };
}

/** Runs a streaming reader over a file's chunks (at most --max-input-bytes), showing progress unless --quiet. */
async function readInput<T>(
  path: string,
  flags: ReadFlags,
  read: (chunks: AsyncIterable<Uint8Array>, onProgress: (p: { bytes: number; lines: number }) => void) => Promise<T>,
): Promise<T> {
  const progress = createReadProgress(path, { totalBytes: regularFileSize(path), quiet: flags.quiet });
  try {
    return await read(
      readFileChunks(path, { maxBytes: flags.maxInputBytes, raise: '--max-input-bytes' }),
      progress.update,
    );
  } finally {
    progress.stop();
  }
}

/** A byte count: a positive integer, optionally with K, M or G (KiB, MiB, GiB). */
function byteCount(value: string): number {
  const m = /^(\d+)([KMG]?)$/i.exec(value.trim());
  const scale = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[(m?.[2] ?? '').toUpperCase() as '' | 'K' | 'M' | 'G'];
  const x = m ? Number(m[1]) * scale : NaN;
  if (!Number.isSafeInteger(x) || x < 1) throw invalid(value, 'a positive number of bytes, such as 500M or 16G');
  return x;
}

/** The query part of the report: how many cells, and how many fell back because an id was never observed. */
function querySummary(file: string, p: ManyPredictions) {
  return {
    file,
    cells: p.values.length,
    unknownCells: p.unknownCells,
    unknownRowCells: p.unknownRowCells,
    unknownColCells: p.unknownColCells,
    unknownRowIds: p.unknownRowIds,
    unknownColIds: p.unknownColIds,
  };
}

/** One progress reporter per phase (tuning, then fitting), switched when the phase changes. */
function phasedProgress(quiet: boolean): { update: (e: CompleteProgress) => void; stop: () => void } {
  let phase: string | null = null;
  let reporter: ProgressReporter | null = null;
  return {
    update(e) {
      // The plan is one line, before the work it plans.
      if (e.phase === 'plan') {
        if (!quiet) process.stderr.write(`mcomplete: ${e.info}\n`);
        return;
      }
      if (e.phase !== phase) {
        reporter?.stop();
        phase = e.phase;
        reporter = createProgressReporter(e.phase, { quiet });
      }
      reporter?.update(Math.round(e.done * 10) / 10, e.total, { now: e.info });
    },
    stop() {
      reporter?.stop();
    },
  };
}

/** A commander parser for --columns: three different, non-empty column names. */
export function parseColumns(value: string): [string, string, string] {
  const parts = value.split(',').map((s) => s.trim());
  if (parts.length !== 3 || parts.some((s) => s === ''))
    throw new InvalidArgumentError('expected three column names: row,col,value.');
  if (new Set(parts).size !== 3) throw new InvalidArgumentError('expected three different column names.');
  return parts as [string, string, string];
}

function parseList(integers: boolean) {
  return (value: string): number[] => {
    const parts = value.split(',').map((s) => s.trim());
    const xs = parts.map(decimal);
    const ok = parts.every(
      (s, i) => s !== '' && Number.isFinite(xs[i]) && (integers ? Number.isInteger(xs[i]) && xs[i] >= 1 : xs[i] >= 0),
    );
    if (!ok) {
      const bad = parts.find((p, i) => !(p !== '' && Number.isFinite(xs[i]))) ?? value;
      throw invalid(bad, integers ? 'integers >= 1, separated by commas' : 'numbers >= 0, separated by commas');
    }
    return xs;
  };
}

function parseWeightings(value: string): FactoredWeighting[] {
  const parts = value.split(',').map((s) => s.trim());
  const bad = parts.find((p) => !(FACTORED_WEIGHTINGS as readonly string[]).includes(p));
  if (bad !== undefined) throw invalid(bad, `${FACTORED_WEIGHTINGS.join(' or ')}, separated by commas`);
  return parts as FactoredWeighting[];
}

function fractionArg(value: string): number {
  const x = decimal(value);
  if (value.trim() === '' || !(x > 0 && x <= 0.5)) throw invalid(value, 'a fraction in (0, 0.5]');
  return x;
}
