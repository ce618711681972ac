import { Command, Option } from 'commander';
import { DEFAULT_RUN_SPEC, defaultTol, runSyntheticAsync, type RunResult, type RunSpec } from '../experiment/run.ts';
import { PENALTY_NAMES, type PenaltyName } from '../penalty/index.ts';
import { OPTIMIZER_NAMES, type OptimizerName } from '../optim/index.ts';
import { intInRange, positiveNumber } from './parse.ts';
import { createProgressReporter } from './progress.ts';

interface RunFlags {
  n: number;
  rank: number;
  samples: number;
  seed: number;
  depth: number;
  penalty: PenaltyName;
  lambda: number;
  optimizer: OptimizerName;
  lr: number;
  initScale: number;
  maxIters: number;
  tol: number | undefined;
  json: boolean;
  quiet: boolean;
}

/** The `mcomplete run` command: one synthetic completion experiment (DESIGN section 4), end to end. */
export function runCommand(): Command {
  const d = DEFAULT_RUN_SPEC;
  return new Command('run')
    .description('run one synthetic matrix-completion experiment and report its error')
    .addOption(new Option('--n <int>', 'matrix size (n×n)').default(d.n).argParser(intInRange(1, 5000)))
    .addOption(new Option('--rank <int>', 'rank of the ground truth').default(d.rank).argParser(intInRange(1)))
    .addOption(new Option('--samples <int>', 'number of observed entries').default(d.samples).argParser(intInRange(1)))
    .addOption(new Option('--seed <int>', 'seed of data, mask and initialization').default(d.seed).argParser(intInRange(0, 2 ** 32 - 1)))
    .addOption(new Option('--depth <int>', 'number of layers of W = W_N⋯W_1').default(d.depth).argParser(intInRange(1, 10)))
    .addOption(new Option('--penalty <name>', 'penalty on W').default(d.penalty).choices(PENALTY_NAMES))
    .addOption(new Option('--lambda <x>', 'penalty weight λ').default(d.lambda).argParser(positiveNumber(true)))
    .addOption(new Option('--optimizer <name>', 'optimizer').default(d.optimizer).choices(OPTIMIZER_NAMES))
    .addOption(new Option('--lr <x>', 'learning rate').default(d.lr).argParser(positiveNumber()))
    .addOption(new Option('--init-scale <x>', 'initial ||W||_F ≈ s·sqrt(n)').default(d.initScale).argParser(positiveNumber()))
    .addOption(new Option('--max-iters <int>', 'iteration cap').default(d.maxIters).argParser(intInRange(1)))
    .addOption(
      new Option('--tol <x>', 'stop when train MSE <= tol (0: off)')
        .default(undefined, '1e-6 without a penalty, 0 with one')
        .argParser(positiveNumber(true)),
    )
    .option('--json', 'print exactly one JSON object on stdout', false)
    .option('--quiet', 'no progress on stderr', false)
    .action(async (flags: RunFlags, command: Command) => {
      const { json, quiet, tol, ...rest } = flags;
      const spec: RunSpec = { ...rest, tol: tol ?? defaultTol(rest.penalty) };
      if (spec.rank > spec.n) command.error(`error: option '--rank' must be at most --n (${spec.n}), got ${spec.rank}`, { exitCode: 2 });
      if (spec.samples > spec.n * spec.n) {
        command.error(`error: option '--samples' must be at most n² (${spec.n * spec.n}), got ${spec.samples}`, { exitCode: 2 });
      }
      const progress = createProgressReporter('training', { quiet });
      const controller = new AbortController();
      const onSigint = (): void => controller.abort();
      process.once('SIGINT', onSigint);
      let result: RunResult;
      try {
        result = await runSyntheticAsync(spec, {
          signal: controller.signal,
          progressEvery: 50,
          onProgress: (e) =>
            progress.update(e.step, e.maxIters, { mse: e.trainMSE.toExponential(2), obj: e.objective.toExponential(3) }),
        });
      } finally {
        progress.stop();
        process.removeListener('SIGINT', onSigint);
      }
      process.stdout.write(json ? `${JSON.stringify(result)}\n` : formatResult(result));
      if (result.stopReason === 'interrupted') {
        process.stderr.write('mcomplete: interrupted; the result above is for the last completed step\n');
        process.exitCode = 130;
      }
    });
}

/** A short human-readable summary of a run. */
function formatResult(r: RunResult): string {
  const s = r.settings;
  return [
    `n=${s.n} rank=${s.rank} samples=${s.samples} seed=${s.seed} depth=${s.depth} penalty=${s.penalty} lambda=${s.lambda} ` +
      `optimizer=${s.optimizer} lr=${s.lr} init-scale=${s.initScale}`,
    `relError            ${r.relError.toExponential(3)}`,
    `relErrorUnobserved  ${r.relErrorUnobserved.toExponential(3)}`,
    `trainMSE            ${r.trainMSE.toExponential(3)}`,
    `effectiveRank       ${r.effectiveRank.toFixed(3)}`,
    `nuclearNorm         ${r.nuclearNorm.toFixed(3)}`,
    `ratio (L*/F)        ${r.ratio.toFixed(4)}`,
    `iterations          ${r.iterations} (${r.stopReason}) in ${r.seconds.toFixed(1)} s`,
    '',
  ].join('\n');
}
