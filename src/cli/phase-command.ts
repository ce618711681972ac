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
import { intInRange, positiveNumber } from './parse.ts';
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
  rhos: string | undefined;
  seeds: number | undefined;
  kappas: string | undefined;
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
    .addOption(new Option('--rhos <list>', "comma-separated ρ values (default: the grid's)"))
    .addOption(new Option('--seeds <int>', "seeds 0..N−1 (default: the grid's)").argParser(intInRange(1, 1000)))
    .addOption(new Option('--kappas <list>', "comma-separated condition numbers ≥ 1 (default: the grid's)"))
    .addOption(
      new Option('--success <x>', 'success: relError at most this').default(PHASE_SUCCESS).argParser(positiveNumber()),
    )
    .addOption(new Option('--out <dir>', 'folder for results.jsonl and index.html').default('phase'));
  return addBuiltInSweepOptions(definition, {
    resume: 'continue an interrupted phase sweep in --out instead of starting afresh',
    json: 'print one JSON object (cells, thresholds, file names) on stdout instead of the table',
  }).action(async (flags: PhaseFlags, command: Command) => {
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
      grid.methods = list;
    }
    if (flags.rhos !== undefined) {
      const rhos = flags.rhos.split(',').map(Number);
      if (rhos.some((r) => !(r > 0 && Number.isFinite(r))))
        command.error(`error: option '--rhos' takes positive numbers, got ${JSON.stringify(flags.rhos)}`, {
          exitCode: 2,
        });
      grid.rhos = rhos;
    }
    if (flags.seeds !== undefined) grid.seeds = Array.from({ length: flags.seeds }, (_, i) => i);
    if (flags.kappas !== undefined) {
      const kappas = flags.kappas.split(',').map(Number);
      if (kappas.length === 0 || kappas.some((k) => !(k >= 1 && Number.isFinite(k))))
        command.error(`error: option '--kappas' takes numbers ≥ 1, got ${JSON.stringify(flags.kappas)}`, {
          exitCode: 2,
        });
      grid.kappas = kappas;
    }
    // A customized grid is a different sweep: its name says so, so resume never mixes grids.
    if (
      flags.methods !== undefined ||
      flags.rhos !== undefined ||
      flags.seeds !== undefined ||
      flags.kappas !== undefined
    )
      grid.name = `${base.name}-custom`;
    const sweeps = phaseSweeps(grid);
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
