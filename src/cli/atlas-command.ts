import { Command, InvalidArgumentError, Option } from 'commander';
import {
  ATLAS_FULL,
  ATLAS_PENALTIES,
  ATLAS_QUICK,
  LR_RULES,
  TUNING_PROTOCOLS,
  atlasCells,
  atlasSpec,
  atlasSweepName,
  atlasTable,
  cellName,
  chooseByTuning,
  formatAtlasTable,
  restrictProtocol,
  tuneSeeds,
  tuningSpec,
  tuningStageCount,
  tuningStageSpec,
  withTuning,
  type AtlasProtocol,
  type AtlasRow,
  type LrChoice,
  type LrRule,
  type TuningProtocol,
} from '../study/atlas.ts';
import type { RunRecord } from '../sweep/execute.ts';
import { DEFAULT_THRESHOLDS, denominatorClaim, formatClaims, normalizedPenaltyClaim } from '../study/claims.ts';
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
  tuning: TuningProtocol;
  tuneSeeds: number;
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

/**
 * The steps the atlas's runs took against the fixed-cap count: tuning, every grid rate on every tuning seed for the
 * whole cap (the 'full' protocol at tune fraction 1); atlas, every atlas run for its cap.
 */
function stepCounts(
  p: AtlasProtocol,
  choices: readonly LrChoice[],
  rows: readonly AtlasRow[],
  rounds: readonly (readonly RunRecord[])[],
): { tuning: { run: number; fixedCap: number }; atlas: { run: number; fixedCap: number } } {
  const seeds = tuneSeeds(p).length;
  const cap = (penalty: string) => (penalty === 'none' ? p.unpenalizedMaxIters : p.maxIters);
  const tuningRun = rounds
    .flat()
    .reduce(
      (a, r) => a + (r.metrics ? r.metrics.iterations : Number(/at step (\d+)/.exec(r.error ?? '')?.[1] ?? 0)),
      0,
    );
  return {
    tuning: {
      run: tuningRun,
      fixedCap: choices.reduce((a, c) => a + p.lrGrid.length * seeds * cap(c.cell.penalty), 0),
    },
    atlas: {
      run: rows.reduce((a, r) => a + r.stepsRun, 0),
      fixedCap: rows.reduce((a, r) => a + r.fixedCapSteps, 0),
    },
  };
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
      `the optimizer atlas: every optimizer × penalty {${ATLAS_PENALTIES.join(', ')}} × depth {1, 2, 3} on n=100, rank 5, m=2000, seeds 0-2, ` +
        'each cell at the learning rate of a grid chosen on tuning seeds 1000, 1001 by --lr-rule and --tuning; --quick: n=30',
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
        '--tuning <protocol>',
        'how the tuning runs spend their steps: halving = successive halving over the rates on every tuning seed ' +
          '(budgets cap/9, cap/3, cap; a third kept per round, at least 2 in the last); lean = the same, its last ' +
          'round on seed 1000 alone, then its finalists run on the other tuning seeds at the cap, best first, while ' +
          'one can still win; both with early stops of every run; full = every rate for --tune-fraction of the cap',
      )
        .choices(TUNING_PROTOCOLS)
        .default(ATLAS_FULL.tuning),
    )
    .addOption(
      new Option('--tune-seeds <count>', "how many tuning seeds (1000, 1001, …): a rate's score is its worst over them")
        .argParser(intInRange(1, 10))
        .default(ATLAS_FULL.tuneSeedCount),
    )
    .addOption(
      new Option(
        '--tune-fraction <share>',
        "--tuning full: the tuning runs' share of each cell's step cap, in (0, 1] (0.25: the budget before 2026-12-01)",
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
    const protocol: AtlasProtocol = withTuning(
      restrictProtocol(flags.quick ? ATLAS_QUICK : ATLAS_FULL, {
        optimizers: flags.optimizers,
        penalties: flags.penalties,
        depths: flags.depths,
        seeds: flags.seeds,
      }),
      flags.tuning,
    );
    protocol.lrRule = flags.lrRule;
    protocol.tuneSeedCount = flags.tuneSeeds;
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
    // One tuning file per sweep (one, one per round of halving, then one per check under 'lean'), then the atlas runs
    // at the chosen rates.
    const tuningNames =
      protocol.tuning === 'full'
        ? ['tuning.jsonl']
        : Array.from({ length: tuningStageCount(protocol) }, (_, r) =>
            r < protocol.halvingRounds ? `tuning-${r + 1}.jsonl` : `check-${r - protocol.halvingRounds + 1}.jsonl`,
          );
    const files = prepareOutputFolder(command, flags, [...tuningNames, 'results.jsonl'], ['atlas.json', 'index.html']);
    const [results, summaryFile, index] = files.slice(tuningNames.length);
    const queue = queueOf(flags);
    const again = `mcomplete ${resumeArgs(process.argv.slice(2)).join(' ')}${queueResumeFlags(queue)} --resume`;
    const sweepOpts = { workers: flags.workers, quiet: flags.quiet, queue };
    const rounds: RunRecord[][] = [];
    let tuningRuns = 0;
    for (let r = 0; r < tuningNames.length; r++) {
      const spec = tuningStageSpec(protocol, r, rounds);
      if (spec.methods.length === 0) {
        rounds.push([]);
        continue;
      }
      const tuning = await runSweepCli(spec, { ...sweepOpts, out: files[r], resume: flags.resume });
      if (tuning.interrupted) {
        process.stderr.write(interruptedMessage(tuning, again));
        process.exitCode = 130;
        return;
      }
      rounds.push(tuning.records);
      tuningRuns += tuning.total;
    }
    const choices: LrChoice[] = chooseByTuning(protocol, rounds);
    const atlas = await runSweepCli(atlasSpec(protocol, choices), { ...sweepOpts, out: results, resume: flags.resume });
    if (atlas.interrupted) {
      process.stderr.write(interruptedMessage(atlas, again));
      process.exitCode = 130;
      return;
    }
    const rows = atlasTable(choices, atlas.records);
    // Claims 9 and 10 on the atlas's own depth-1 cells, at the rates the rule chose: 9 on the L∗/F column, 10 on
    // each optimizer's normalized and unnormalized penalties.
    const depth1 = (optimizer: string, penalty: string) =>
      cellName({ optimizer, penalty, depth: 1 } as Parameters<typeof cellName>[0]);
    const claims = protocol.depths.includes(1)
      ? [
          ...(protocol.penalties.includes('ratio')
            ? [
                denominatorClaim(
                  atlas.records,
                  Object.fromEntries(protocol.optimizers.map((o) => [o, depth1(o, 'ratio')])),
                  protocol.samples,
                  DEFAULT_THRESHOLDS,
                ),
              ]
            : []),
          normalizedPenaltyClaim(
            atlas.records,
            Object.fromEntries(
              protocol.optimizers.map((o) => [
                o,
                Object.fromEntries(protocol.penalties.map((pen) => [pen, depth1(o, pen)])),
              ]),
            ),
            protocol.samples,
            DEFAULT_THRESHOLDS,
          ),
        ]
      : [];
    const steps = stepCounts(protocol, choices, rows, rounds);
    writeFileAtomic(
      summaryFile,
      `${JSON.stringify({ protocol, steps, choices, rows, claims }, null, 1)}\n`,
      '--out (atlas.json)',
    );
    const tuneList = tuneSeeds(protocol);
    const size = `n=${protocol.n}, rank ${protocol.rank}, m=${protocol.samples}, seeds ${protocol.seeds.join(', ')}, tuning seed${tuneList.length > 1 ? 's' : ''} ${tuneList.join(', ')}, lr rule ${protocol.lrRule}, tuning ${protocol.tuning}`;
    const html = await renderReport(atlas.records, {
      title: `mcomplete optimizer atlas (${flags.quick ? 'quick' : 'full'}: ${size})`,
      source: results,
      figures: atlasFigures(atlas.records, rows, protocol.rank),
      sections: atlasSections(rows, choices, protocol.tuneFraction, tuneList),
      claims,
    });
    const report = index;
    writeFileAtomic(index, html, '--out (index.html)');
    if (flags.json) {
      process.stdout.write(
        `${JSON.stringify({ sweep: atlasSweepName(protocol), lrRule: protocol.lrRule, tuning: protocol.tuning, steps, choices, rows, claims, results, summary: summaryFile, report })}\n`,
      );
      return;
    }
    process.stdout.write(`Optimizer atlas (${size}; ${tuningRuns} tuning + ${atlas.total} atlas runs)\n\n`);
    process.stdout.write(formatAtlasTable(rows));
    if (claims.length > 0) process.stdout.write(`\n${formatClaims(claims)}`);
    process.stdout.write(
      `\nSteps run: tuning ${steps.tuning.run} of ${steps.tuning.fixedCap}, atlas ${steps.atlas.run} of ${steps.atlas.fixedCap} (the fixed-cap count)\n`,
    );
    process.stdout.write(`\nResults: ${results}\nSummary: ${summaryFile}\nReport:  ${report}\n`);
  });
}
