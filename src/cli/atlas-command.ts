import { Command, InvalidArgumentError, Option } from 'commander';
import {
  ATLAS_FULL,
  ATLAS_PENALTIES,
  ATLAS_QUICK,
  LR_RULES,
  atlasCells,
  atlasSpec,
  atlasSweepName,
  atlasTable,
  cellName,
  chooseLearningRates,
  formatAtlasTable,
  restrictProtocol,
  tuningSpec,
  type AtlasProtocol,
  type LrRule,
} from '../study/atlas.ts';
import { DEFAULT_THRESHOLDS, denominatorClaim, formatClaims } from '../study/claims.ts';
import { OPTIMIZER_NAMES } from '../optim/index.ts';
import { atlasFigures, atlasSections } from '../report/atlas.ts';
import { renderReport } from '../report/html.ts';
import { writeFileAtomic } from './output.ts';
import { queueResumeFlags } from './worker-command.ts';
import { checkBuiltInSweep, SpecError } from '../sweep/spec.ts';
import { distinctList, intInRange, pathArg, unitFraction } from './parse.ts';
import {
  addBuiltInSweepOptions,
  interruptedMessage,
  prepareOutputFolder,
  queueOf,
  resumeArgs,
  runSweepCli,
} from './sweep-runner.ts';

interface AtlasFlags {
  quick: boolean;
  lrRule: LrRule;
  tuneFraction: number;
  out: string;
  workers: number;
  resume: boolean;
  force: boolean;
  quiet: boolean;
  json: boolean;
  optimizers?: string[];
  penalties?: string[];
  depths?: number[];
  seeds?: number[];
  queue?: string;
  queueName: string;
}

/** A commander parser for a comma-separated list of distinct `allowed` names. */
function nameList(allowed: readonly string[]) {
  return distinctList((n: string): string => {
    if (!allowed.includes(n)) throw new InvalidArgumentError(`expected names among ${allowed.join(', ')}, got "${n}".`);
    return n;
  });
}

/** A commander parser for a comma-separated list of distinct integers in [min, max]. */
function intList(min: number, max: number) {
  return distinctList(intInRange(min, max));
}

/**
 * The `mcomplete atlas` command: the optimizer atlas (src/study/atlas.ts). The tuning sweep, the learning-rate
 * choice, the atlas sweep at the chosen rates (one results file, resumable), then atlas.json, a table and a report.
 */
export function atlasCommand(): Command {
  const definition = new Command('atlas')
    .description(
      'the optimizer atlas: every optimizer × penalty {ratio, nuclear, none} × depth {1, 2, 3} on n=100, rank 5, m=2000, seeds 0-2, ' +
        'each cell at the learning rate of a grid chosen on seed 1000 by --lr-rule; --quick: n=30',
    )
    .option('--quick', 'the quick atlas: n=30, rank 2, m=270, 12,000 steps', false)
    .addOption(
      new Option(
        '--lr-rule <rule>',
        'how each cell picks its learning rate from its tuning runs on seed 1000: holdout = least RMSE on a held-out 10% of the observed entries ' +
          '(trained on the rest), objective = least final training objective',
      )
        .choices(LR_RULES)
        .default(ATLAS_FULL.lrRule),
    )
    .addOption(
      new Option(
        '--tune-fraction <share>',
        "the tuning runs' share of each cell's step cap, in (0, 1] (0.25: the budget before 2026-12-01)",
      )
        .argParser(unitFraction())
        .default(ATLAS_FULL.tuneFraction),
    )
    .addOption(
      new Option('--out <dir>', 'folder for results.jsonl, atlas.json and index.html')
        .default('atlas')
        .argParser(pathArg),
    )
    .addOption(
      new Option(
        '--optimizers <list>',
        `only these optimizers (comma-separated: ${OPTIMIZER_NAMES.join(', ')})`,
      ).argParser(nameList(OPTIMIZER_NAMES)),
    )
    .addOption(
      new Option('--penalties <list>', `only these penalties (${ATLAS_PENALTIES.join(', ')})`).argParser(
        nameList(ATLAS_PENALTIES),
      ),
    )
    .addOption(new Option('--depths <list>', 'only these depths (1, 2, 3)').argParser(intList(1, 3)))
    .addOption(new Option('--seeds <list>', 'these seeds instead of 0,1,2').argParser(intList(0, 2 ** 32 - 1)));
  return addBuiltInSweepOptions(definition, {
    resume: 'continue an interrupted atlas in --out',
    json: 'print one JSON object (choices, table, file names) on stdout instead of the table',
  }).action(async (flags: AtlasFlags, command: Command) => {
    const protocol: AtlasProtocol = restrictProtocol(flags.quick ? ATLAS_QUICK : ATLAS_FULL, {
      optimizers: flags.optimizers,
      penalties: flags.penalties,
      depths: flags.depths,
      seeds: flags.seeds,
    });
    protocol.lrRule = flags.lrRule;
    protocol.tuneFraction = flags.tuneFraction;
    // Both sweeps validated as spec files are, before any folder or file is made (the atlas at the grid's first
    // rate: the rates it will run at are the grid's).
    const fieldFlags = { seeds: '--seeds', methods: '--optimizers, --penalties or --depths' };
    try {
      checkBuiltInSweep(tuningSpec(protocol), 'atlas (tuning)', fieldFlags);
      const placeholder = atlasCells(protocol).map((cell) => ({
        cell,
        rule: protocol.lrRule,
        grid: [],
        lr: protocol.lrGrid[0],
      }));
      checkBuiltInSweep(atlasSpec(protocol, placeholder), 'atlas', fieldFlags);
    } catch (err) {
      if (!(err instanceof SpecError)) throw err;
      command.error(`error: ${err.message}`, { exitCode: 2 });
    }
    // Two sweeps, two files: the tuning runs (seed 1000, every rate of the grid) and the atlas runs at the chosen rates.
    const [tuningFile, results, summaryFile, index] = prepareOutputFolder(
      command,
      flags,
      ['tuning.jsonl', 'results.jsonl'],
      ['atlas.json', 'index.html'],
    );
    const queue = queueOf(flags);
    const again = `mcomplete ${resumeArgs(process.argv.slice(2)).join(' ')}${queueResumeFlags(queue)} --resume`;
    const sweepOpts = { workers: flags.workers, quiet: flags.quiet, queue };
    const tuning = await runSweepCli(tuningSpec(protocol), { ...sweepOpts, out: tuningFile, resume: flags.resume });
    if (tuning.interrupted) {
      process.stderr.write(interruptedMessage(tuning, again));
      process.exitCode = 130;
      return;
    }
    const choices = chooseLearningRates(protocol, tuning.records);
    const atlas = await runSweepCli(atlasSpec(protocol, choices), { ...sweepOpts, out: results, resume: flags.resume });
    if (atlas.interrupted) {
      process.stderr.write(interruptedMessage(atlas, again));
      process.exitCode = 130;
      return;
    }
    const rows = atlasTable(choices, atlas.records);
    // Claim 9 on the atlas's own depth-1 L∗/F cells, at the rates the rule chose.
    const claims =
      protocol.depths.includes(1) && protocol.penalties.includes('ratio')
        ? [
            denominatorClaim(
              atlas.records,
              Object.fromEntries(
                protocol.optimizers.map((o) => [o, cellName({ optimizer: o, penalty: 'ratio', depth: 1 })]),
              ),
              protocol.samples,
              DEFAULT_THRESHOLDS,
            ),
          ]
        : [];
    writeFileAtomic(
      summaryFile,
      `${JSON.stringify({ protocol, choices, rows, claims }, null, 1)}\n`,
      '--out (atlas.json)',
    );
    const size = `n=${protocol.n}, rank ${protocol.rank}, m=${protocol.samples}, seeds ${protocol.seeds.join(', ')}, tuning seed ${protocol.tuneSeed}, lr rule ${protocol.lrRule}`;
    const html = await renderReport(atlas.records, {
      title: `mcomplete optimizer atlas (${flags.quick ? 'quick' : 'full'}: ${size})`,
      source: results,
      figures: atlasFigures(atlas.records, rows, protocol.rank),
      sections: atlasSections(rows, choices, protocol.tuneFraction),
      claims,
    });
    const report = index;
    writeFileAtomic(index, html, '--out (index.html)');
    if (flags.json) {
      process.stdout.write(
        `${JSON.stringify({ sweep: atlasSweepName(protocol), lrRule: protocol.lrRule, choices, rows, claims, results, summary: summaryFile, report })}\n`,
      );
      return;
    }
    process.stdout.write(`Optimizer atlas (${size}; ${tuning.total} tuning + ${atlas.total} atlas runs)\n\n`);
    process.stdout.write(formatAtlasTable(rows));
    if (claims.length > 0) process.stdout.write(`\n${formatClaims(claims)}`);
    process.stdout.write(`\nResults: ${results}\nSummary: ${summaryFile}\nReport:  ${report}\n`);
  });
}
