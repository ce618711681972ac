import { Command, Option } from 'commander';
import {
  formatPhase,
  phaseMethods,
  phaseSweeps,
  phaseTable,
  PHASE_GRIDS,
  PHASE_SUCCESS,
  type PhaseGrid,
} from '../study/phase.ts';
import { renderPhaseReport } from '../report/phase.ts';
import type { RunRecord } from '../sweep/execute.ts';
import { writeFileAtomic } from './output.ts';
import { queueResumeFlags } from './worker-command.ts';
import { checkBuiltInSweep, SpecError } from '../sweep/spec.ts';
import { decimal, distinctList, intInRange, invalid, pathArg, positiveNumber } from './parse.ts';
import {
  addBuiltInSweepOptions,
  interruptedMessage,
  prepareOutputFolder,
  queueOf,
  resumeArgs,
  runSweepCli,
} from './sweep-runner.ts';

interface PhaseFlags {
  grid: keyof typeof PHASE_GRIDS;
  quick: boolean;
  methods: string | undefined;
  rhos: number[] | undefined;
  seeds: number | undefined;
  kappas: number[] | undefined;
  success: number;
  out: string;
  workers: number;
  resume: boolean;
  force: boolean;
  quiet: boolean;
  json: boolean;
  queue?: string;
  queueName: string;
}

/** A commander parser for a finite number >= 1 (a condition number). */
function atLeastOne(value: string): number {
  const x = decimal(value);
  if (!(x >= 1 && Number.isFinite(x))) throw invalid(value, 'numbers >= 1, separated by commas');
  return x;
}

/** The `mcomplete phase` command: a built-in resumable sweep of methods × ρ × seeds, its table and report. */
export function phaseCommand(): Command {
  const definition = new Command('phase')
    .description(
      'phase transitions: methods × ρ = m/(r(2n − r)) × seeds on identifiable masks (resumable sweep), success rates and a report',
    )
    .addOption(
      new Option(
        '--grid <name>',
        "n100: n=100, r=5, the full ρ grid, 10 seeds (long); n300: n=300, r=10, reduced; n1000: the field's benchmark, n=1000, r=5, κ ∈ {1, 10}, 5 seeds (hours)",
      )
        .default('n100')
        .choices(['n100', 'n300', 'n1000']),
    )
    .option('--quick', 'a small grid (n=30, r=2, ρ ∈ {1.5, 2, 3}, 2 seeds) that runs in seconds', false)
    .addOption(
      new Option(
        '--methods <list>',
        `comma-separated labels (${Object.keys(phaseMethods({ lr: 1, lambda: 1, iters: 1 })).join(', ')})`,
      ),
    )
    .addOption(
      new Option('--rhos <list>', "comma-separated ρ values (default: the grid's)").argParser(
        distinctList(positiveNumber()),
      ),
    )
    .addOption(new Option('--seeds <int>', "seeds 0..N−1 (default: the grid's)").argParser(intInRange(1, 1000)))
    .addOption(
      new Option('--kappas <list>', "comma-separated condition numbers ≥ 1 (default: the grid's)").argParser(
        distinctList(atLeastOne),
      ),
    )
    .addOption(
      new Option('--success <x>', 'success: relError at most this').default(PHASE_SUCCESS).argParser(positiveNumber()),
    )
    .addOption(
      new Option('--out <dir>', 'folder for results.jsonl and index.html').default('phase').argParser(pathArg),
    );
  return addBuiltInSweepOptions(definition, {
    resume: 'continue an interrupted phase sweep in --out instead of starting afresh',
    json: 'print one JSON object (cells, thresholds, file names) on stdout instead of the table',
  }).action(async (flags: PhaseFlags, command: Command) => {
    if (flags.quick && command.getOptionValueSource('grid') === 'cli')
      command.error("error: options '--quick' and '--grid' both choose the grid: give one of them", { exitCode: 2 });
    const base = flags.quick ? PHASE_GRIDS.quick : PHASE_GRIDS[flags.grid];
    const known = Object.keys(phaseMethods(base));
    const grid: PhaseGrid = { ...base };
    if (flags.methods !== undefined) {
      const list = flags.methods
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      const bad = list.find((m) => !known.includes(m));
      if (bad !== undefined || list.length === 0)
        command.error(
          `error: option '--methods' takes labels among ${known.join(', ')}, got ${JSON.stringify(bad ?? flags.methods)}`,
          { exitCode: 2 },
        );
      const twice = list.find((m, i) => list.indexOf(m) !== i);
      if (twice !== undefined)
        command.error(`error: option '--methods' names ${JSON.stringify(twice)} twice`, { exitCode: 2 });
      grid.methods = list;
    }
    if (flags.rhos !== undefined) grid.rhos = flags.rhos;
    if (flags.seeds !== undefined) grid.seeds = Array.from({ length: flags.seeds }, (_, i) => i);
    if (flags.kappas !== undefined) grid.kappas = flags.kappas;
    // A customized grid is a different sweep: its name says so, so resume never mixes grids.
    if (
      flags.methods !== undefined ||
      flags.rhos !== undefined ||
      flags.seeds !== undefined ||
      flags.kappas !== undefined
    )
      grid.name = `${base.name}-custom`;
    const sweeps = phaseSweeps(grid);
    // Each sweep is validated as a spec file is, before any folder or file is made: a bad setting names its flag.
    const fieldFlags = { samples: '--rhos', rho: '--rhos', seeds: '--seeds', methods: '--methods', kappa: '--kappas' };
    for (const { spec } of sweeps) {
      try {
        checkBuiltInSweep(
          spec,
          `phase (${grid.name}: n=${grid.n}, rank ${grid.rank}, m = round(ρ·r(2n − r)))`,
          fieldFlags,
        );
      } catch (err) {
        if (!(err instanceof SpecError)) throw err;
        command.error(`error: ${err.message}`, { exitCode: 2 });
      }
    }
    // One results file per κ (results.jsonl without one), then the report of all of them.
    const names = sweeps.map((s) => (s.kappa === undefined ? 'results.jsonl' : `results-kappa${s.kappa}.jsonl`));
    const paths = prepareOutputFolder(command, flags, names, ['index.html']);
    const index = paths[paths.length - 1];
    const queue = queueOf(flags);
    const records: RunRecord[] = [];
    let total = 0;
    let seconds = 0;
    for (const [i, { spec }] of sweeps.entries()) {
      const summary = await runSweepCli(spec, {
        out: paths[i],
        workers: flags.workers,
        resume: flags.resume,
        quiet: flags.quiet,
        queue,
      });
      if (summary.interrupted) {
        process.stderr.write(
          interruptedMessage(
            summary,
            `mcomplete ${resumeArgs(process.argv.slice(2)).join(' ')}${queueResumeFlags(queue)} --resume`,
          ),
        );
        process.exitCode = 130;
        return;
      }
      records.push(...summary.records);
      total += summary.total;
      seconds += summary.seconds;
    }
    const results = paths.slice(0, sweeps.length).join(', ');
    const cells = phaseTable(records, flags.success);
    const kappaText = grid.kappas ? `, κ ∈ {${grid.kappas.join(', ')}}` : '';
    const title = `mcomplete phase (${grid.name}: n=${grid.n}, rank ${grid.rank}, ρ ∈ {${grid.rhos.join(', ')}}${kappaText}, ${grid.seeds.length} seeds)`;
    const report = index;
    writeFileAtomic(
      index,
      await renderPhaseReport(records, { title, source: results, success: flags.success }),
      '--out (index.html)',
    );
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ sweep: grid.name, cells, results, report, seconds })}\n`);
      return;
    }
    process.stdout.write(
      `${title}; ${total} runs, ${seconds.toFixed(0)} s\n\n${formatPhase(cells, flags.success)}\nResults: ${results}\nReport:  ${report}\n`,
    );
  });
}
