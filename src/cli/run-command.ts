import { Command, Option } from 'commander';
import {
  FACTORED_PENALTIES,
  METHOD_NAMES,
  resolveSettings,
  runSyntheticAsync,
  type MethodName,
  type RunProgressEvent,
  type RunMetrics,
  type RunResult,
  type RunSettings,
  type SyntheticResult,
} from '../experiment/run.ts';
import {
  DEFAULT_NUCLEAR_MIN,
  DEFAULT_SOFT_IMPUTE,
  type NuclearMinRunResult,
  type SoftImputeRunResult,
} from '../experiment/baselines.ts';
import { defaultTol, FACTORED_RANK, RUN_DEFAULTS, UNPENALIZED_MAX_ITERS } from '../defaults.ts';
import type { SyntheticSpec } from '../data/synthetic.ts';
import { PENALTY_NAMES, type PenaltyName } from '../penalty/index.ts';
import { OPTIMIZER_NAMES, type OptimizerName } from '../optim/index.ts';
import { intInRange, positiveNumber, unitFraction } from './parse.ts';
import { createProgressReporter } from './progress.ts';
import { DivergenceError } from '../solver/loop.ts';
import { GNMR_VARIANTS, type GnmrVariant } from '../solver/gnmr.ts';
import { MASK_RULES, type MaskRule } from '../data/synthetic.ts';
import type { RankGivenRunResult } from '../experiment/rank-given.ts';
import { GNMR_DEFAULTS, SCALED_GD_DEFAULTS } from '../defaults.ts';

interface RunFlags {
  n: number;
  rank: number;
  samples: number;
  seed: number;
  method: MethodName;
  model: ModelName;
  depth: number;
  k: number | undefined;
  penalty: PenaltyName;
  lambda: number | undefined;
  optimizer: OptimizerName;
  lr: number;
  initScale: number;
  maxIters: number | undefined;
  tol: number | undefined;
  stopAtError: number | undefined;
  relTol: number | undefined;
  pathLength: number;
  lambdaMinRatio: number;
  maxRank: number | undefined;
  givenRank: number | undefined;
  polish: boolean;
  variant: GnmrVariant | undefined;
  stepSize: number | undefined;
  masks: MaskRule;
  json: boolean;
  quiet: boolean;
}

/** The models of the gradient method. */
const MODEL_NAMES = ['deep', 'factored'] as const;
type ModelName = (typeof MODEL_NAMES)[number];

/** Which methods each method-specific flag applies to (flags not listed apply to all). */
const FLAG_METHODS: Record<string, readonly MethodName[]> = {
  model: ['gradient'],
  depth: ['gradient'],
  k: ['gradient'],
  penalty: ['gradient'],
  optimizer: ['gradient'],
  lr: ['gradient'],
  initScale: ['gradient'],
  lambda: ['gradient', 'soft-impute'],
  tol: ['gradient', 'nuclear-min', 'gnmr', 'altmin', 'scaled-gd'],
  givenRank: ['gnmr', 'altmin', 'scaled-gd'],
  stepSize: ['scaled-gd'],
  variant: ['gnmr'],
  stopAtError: ['gradient'],
  polish: ['gradient'],
  relTol: ['nuclear-min', 'soft-impute'],
  pathLength: ['soft-impute'],
  lambdaMinRatio: ['soft-impute'],
  maxRank: ['soft-impute'],
};

/** Which models each model-specific flag applies to. */
const FLAG_MODELS: Record<string, readonly ModelName[]> = {
  depth: ['deep'],
  k: ['factored'],
};

/** `--some-flag` for the commander key someFlag. */
function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** The `mcomplete run` command: one synthetic completion experiment (docs/design.md section 4), end to end. */
export function runCommand(): Command {
  const d = RUN_DEFAULTS;
  const si = DEFAULT_SOFT_IMPUTE;
  return new Command('run')
    .description('run one synthetic matrix-completion experiment and report its error')
    .addOption(new Option('--n <int>', 'matrix size (n×n)').default(d.n).argParser(intInRange(1, 5000)))
    .addOption(new Option('--rank <int>', 'rank of the ground truth').default(d.rank).argParser(intInRange(1)))
    .addOption(new Option('--samples <int>', 'number of observed entries').default(d.samples).argParser(intInRange(1)))
    .addOption(new Option('--seed <int>', 'seed of data, mask and initialization').default(d.seed).argParser(intInRange(0, 2 ** 32 - 1)))
    .addOption(new Option('--method <name>', 'solver: gradient training, or a convex baseline').default('gradient').choices(METHOD_NAMES))
    .addOption(
      new Option('--model <name>', '(gradient) deep: W = W_N⋯W_1 (full width); factored: W = A·B^T of rank k, for large n')
        .default('deep')
        .choices(MODEL_NAMES),
    )
    .addOption(new Option('--depth <int>', '(deep) number of layers of W = W_N⋯W_1').default(d.depth).argParser(intInRange(1, 10)))
    .addOption(new Option('--k <int>', `(factored) rank k of A·B^T (default: ${FACTORED_RANK}, at most n)`).argParser(intInRange(1)))
    .addOption(new Option('--penalty <name>', '(gradient) penalty on W').default(d.penalty).choices(PENALTY_NAMES))
    .addOption(
      new Option(
        '--lambda <x>',
        `(gradient) penalty weight λ, default ${d.lambda}; (soft-impute) the last λ of the path, reported ` +
          '(default: the path point closest to the truth, an oracle)',
      ).argParser(positiveNumber(true)),
    )
    .addOption(new Option('--optimizer <name>', '(gradient) optimizer').default(d.optimizer).choices(OPTIMIZER_NAMES))
    .addOption(new Option('--lr <x>', '(gradient) learning rate').default(d.lr).argParser(positiveNumber()))
    .addOption(new Option('--init-scale <x>', '(gradient) initial ||W||_F ≈ s·sqrt(n)').default(d.initScale).argParser(positiveNumber()))
    .addOption(
      new Option(
        '--max-iters <int>',
        `iteration cap (default: ${d.maxIters} gradient, ${UNPENALIZED_MAX_ITERS} without a penalty, ${DEFAULT_NUCLEAR_MIN.maxIters} nuclear-min, ${si.maxIters} per λ soft-impute)`,
      ).argParser(intInRange(1)),
    )
    .addOption(
      new Option(
        '--tol <x>',
        `(gradient) stop when train MSE <= tol, 0: off (default: ${defaultTol('none').toExponential(0)} without a penalty, ${defaultTol('ratio')} with one); ` +
          `(nuclear-min) the box |X − M| <= tol on Ω (default: ${DEFAULT_NUCLEAR_MIN.boxTol}, exact equality)`,
      ).argParser(positiveNumber(true)),
    )
    .addOption(
      new Option(
        '--stop-at-error <x>',
        '(gradient) stop once relError (all entries, against the truth) <= x, checked every step: ' +
          'the steps and seconds a run needs to reach that accuracy (default: off)',
      ).argParser(positiveNumber()),
    )
    .addOption(
      new Option(
        '--rel-tol <x>',
        `(nuclear-min) relative ADMM residuals, default ${DEFAULT_NUCLEAR_MIN.relTol}; ` +
          `(soft-impute) relative change per λ, default ${si.relTol}`,
      ).argParser(positiveNumber()),
    )
    .addOption(new Option('--path-length <int>', '(soft-impute) number of λ values').default(si.pathLength).argParser(intInRange(1, 1000)))
    .addOption(
      new Option('--lambda-min-ratio <x>', '(soft-impute) smallest λ / λ_max when --lambda is not given')
        .default(si.lambdaMinRatio)
        .argParser(unitFraction()),
    )
    .addOption(new Option('--max-rank <int>', '(soft-impute) rank cap (default: none)').argParser(intInRange(1)))
    .option(
      '--polish',
      '(gradient) rank-free finish: confirm a rank from the spectrum of W (fit on Ω, held-out entries) and end by Gauss–Newton',
      false,
    )
    .addOption(
      new Option('--given-rank <int>', '(gnmr, altmin, scaled-gd) the rank the method is told (default: the true --rank)').argParser(
        intInRange(1),
      ),
    )
    .addOption(
      new Option('--step-size <x>', `(scaled-gd) step size η (default: ${SCALED_GD_DEFAULTS.stepSize})`).argParser(positiveNumber()),
    )
    .addOption(
      new Option('--variant <name>', `(gnmr) GNMR variant (default: ${GNMR_DEFAULTS.variant}; see docs/design.md)`).choices(
        Object.keys(GNMR_VARIANTS),
      ),
    )
    .addOption(
      new Option('--masks <rule>', 'uniform: the first draw; identifiable: redraw until every row and column has ≥ rank entries')
        .default('uniform')
        .choices(MASK_RULES),
    )
    .option('--json', 'print exactly one JSON object on stdout', false)
    .option('--quiet', 'no progress on stderr', false)
    .action(async (flags: RunFlags, command: Command) => {
      for (const [key, methods] of Object.entries(FLAG_METHODS)) {
        if (command.getOptionValueSource(key) === 'cli' && !methods.includes(flags.method)) {
          command.error(`error: option '${flagName(key)}' applies only to --method ${methods.join(' or ')}, not ${flags.method}`, {
            exitCode: 2,
          });
        }
      }
      for (const [key, models] of Object.entries(FLAG_MODELS)) {
        if (command.getOptionValueSource(key) === 'cli' && !models.includes(flags.model)) {
          command.error(`error: option '${flagName(key)}' applies only to --model ${models.join(' or ')}, not ${flags.model}`, {
            exitCode: 2,
          });
        }
      }
      if (flags.model === 'factored' && !(FACTORED_PENALTIES as readonly string[]).includes(flags.penalty)) {
        command.error(
          `error: option '--penalty' must be one of ${FACTORED_PENALTIES.join(', ')} with --model factored, got ${flags.penalty}`,
          { exitCode: 2 },
        );
      }
      if (flags.k !== undefined && flags.k > flags.n) {
        command.error(`error: option '--k' must be at most --n (${flags.n}), got ${flags.k}`, { exitCode: 2 });
      }
      const problem: SyntheticSpec = {
        n: flags.n,
        rank: flags.rank,
        samples: flags.samples,
        seed: flags.seed,
        ...(flags.masks === 'identifiable' ? { masks: flags.masks } : {}),
      };
      if (flags.givenRank !== undefined && flags.givenRank > flags.n) {
        command.error(`error: option '--given-rank' must be at most --n (${flags.n}), got ${flags.givenRank}`, { exitCode: 2 });
      }
      // A limit broken by a default the user never typed says so, and what to pass.
      const tooLarge = (key: 'rank' | 'samples', value: number, limit: number, given: string, defaulted: string): never =>
        command.error(
          command.getOptionValueSource(key) === 'cli'
            ? `error: option '--${key}' must be at most ${given}, got ${value}`
            : `error: option '--${key}' defaults to ${value}, more than ${defaulted}: pass --${key} at most ${limit}`,
          { exitCode: 2 },
        );
      const n2 = problem.n * problem.n;
      if (problem.rank > problem.n) tooLarge('rank', problem.rank, problem.n, `--n (${problem.n})`, `--n ${problem.n}`);
      if (problem.samples > n2) tooLarge('samples', problem.samples, n2, `n² (${n2})`, `n² = ${n2} for --n ${problem.n}`);
      if (flags.method === 'soft-impute' && flags.lambda === 0) {
        command.error(
          "error: option '--lambda' must be > 0 with --method soft-impute (the last λ of the path), got 0; leave it out for the path's oracle choice",
          { exitCode: 2 },
        );
      }
      const settings = runSettings(flags, problem);
      const result = await runWithProgress(settings, flags);
      if (flags.method === 'nuclear-min' && !flags.quiet) {
        process.stderr.write(`nuclear-min: ${result.stopReason} after ${result.iterations} iterations, ${result.seconds.toFixed(1)} s\n`);
      }
      const text =
        flags.method === 'nuclear-min'
          ? formatNuclearMin(result as NuclearMinRunResult)
          : flags.method === 'soft-impute'
            ? formatSoftImpute(result as SoftImputeRunResult)
            : flags.method === 'gnmr' || flags.method === 'altmin' || flags.method === 'scaled-gd'
              ? formatRankGiven(result as RankGivenRunResult)
              : formatResult(result as RunResult);
      process.stdout.write(flags.json ? `${JSON.stringify(result)}\n` : text);
      if (result.stopReason === 'interrupted') {
        process.stderr.write('mcomplete: interrupted; the result above is for the last completed step\n');
        process.exitCode = 130;
      }
    });
}

/**
 * The settings of the run the flags describe: the flags given, each one left out (undefined) filled from its
 * method's defaults (src/defaults.ts) by runSynthetic's resolveSettings, so the command restates no default.
 */
function runSettings(flags: RunFlags, problem: SyntheticSpec): RunSettings {
  if (flags.method === 'nuclear-min') {
    return resolveSettings({ ...problem, method: 'nuclear-min', boxTol: flags.tol, relTol: flags.relTol, maxIters: flags.maxIters });
  }
  if (flags.method === 'soft-impute') {
    return resolveSettings({
      ...problem,
      method: 'soft-impute',
      lambda: flags.lambda ?? null,
      pathLength: flags.pathLength,
      lambdaMinRatio: flags.lambdaMinRatio,
      maxRank: flags.maxRank ?? null,
      relTol: flags.relTol,
      maxIters: flags.maxIters,
    });
  }
  if (flags.method === 'gnmr') {
    return resolveSettings({ ...problem, method: 'gnmr', givenRank: flags.givenRank, variant: flags.variant, tol: flags.tol, maxIters: flags.maxIters });
  }
  if (flags.method === 'altmin') {
    return resolveSettings({ ...problem, method: 'altmin', givenRank: flags.givenRank, tol: flags.tol, maxIters: flags.maxIters });
  }
  if (flags.method === 'scaled-gd') {
    return resolveSettings({ ...problem, method: 'scaled-gd', givenRank: flags.givenRank, stepSize: flags.stepSize, tol: flags.tol, maxIters: flags.maxIters });
  }
  if (flags.method !== 'gradient') {
    // A method added to METHODS (experiment/run.ts) must map its flags here.
    const unhandled: never = flags.method;
    throw new Error(`run: no flags for method ${String(unhandled)}`);
  }
  const shared = {
    ...problem,
    method: 'gradient' as const,
    penalty: flags.penalty,
    lambda: flags.lambda,
    optimizer: flags.optimizer,
    lr: flags.lr,
    initScale: flags.initScale,
    maxIters: flags.maxIters,
    tol: flags.tol,
    ...(flags.stopAtError === undefined ? {} : { targetError: flags.stopAtError }),
    ...(flags.polish ? { polish: true } : {}),
  };
  return flags.model === 'factored'
    ? resolveSettings({ ...shared, model: 'factored', k: flags.k })
    : resolveSettings({ ...shared, depth: flags.depth });
}

/** A progress line's label and numbers for one event. */
function progressFields(e: RunProgressEvent): Record<string, string> {
  switch (e.method) {
    case 'gradient':
      return { mse: e.trainMSE.toExponential(2), obj: e.objective.toExponential(3) };
    case 'nuclear-min':
      return { primal: e.primalResidual.toExponential(1), dual: e.dualResidual.toExponential(1), rank: String(e.rank) };
    case 'soft-impute':
      return {
        λ: e.point.lambda.toExponential(2),
        rank: String(e.point.rank),
        iterations: String(e.point.iterations),
        relError: e.point.relError.toExponential(2),
      };
  }
}

/**
 * Run `settings` through runSynthetic with a progress bar on stderr; Ctrl-C stops a gradient run, which still
 * reports its last step (the baselines run in one go).
 */
async function runWithProgress(settings: RunSettings, flags: RunFlags): Promise<SyntheticResult> {
  const method = flags.method;
  const label = method === 'gradient' ? 'training' : method;
  const progress = createProgressReporter(label, { quiet: flags.quiet, ...(method === 'soft-impute' ? { intervalSeconds: 0 } : {}) });
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  if (method === 'gradient') process.once('SIGINT', onSigint);
  try {
    return await runSyntheticAsync(settings, {
      signal: method === 'gradient' ? controller.signal : undefined,
      progressEvery: method === 'gradient' ? 50 : 10,
      onProgress: (e) => progress.update(e.step, e.maxIters, progressFields(e)),
    });
  } catch (err) {
    // The library names the chain; the CLI knows the flag that fixes it.
    if (err instanceof DivergenceError) {
      err.message += err.atStart
        ? ` (--init-scale ${flags.initScale} was given; the default is ${RUN_DEFAULTS.initScale})`
        : ` (--lr ${flags.lr / 10})`;
    }
    throw err;
  } finally {
    progress.stop();
    process.removeListener('SIGINT', onSigint);
  }
}

/** The metric lines every method shares. */
function metricLines(r: RunMetrics): string[] {
  return [
    `relError            ${r.relError.toExponential(3)}`,
    `relErrorUnobserved  ${r.relErrorUnobserved === null ? 'n/a (every entry is observed)' : r.relErrorUnobserved.toExponential(3)}`,
    `trainMSE            ${r.trainMSE.toExponential(3)}`,
    `effectiveRank       ${r.effectiveRank.toFixed(3)}`,
    `nuclearNorm         ${r.nuclearNorm.toFixed(3)}`,
    `ratio (L*/F)        ${r.ratio.toFixed(4)}`,
    `iterations          ${r.iterations} (${r.stopReason}) in ${r.seconds.toFixed(1)} s`,
  ];
}

/** A short human-readable summary of a gradient run. */
function formatResult(r: RunResult): string {
  const s = r.settings;
  return [
    `n=${s.n} rank=${s.rank} samples=${s.samples} seed=${s.seed} ${s.model === 'factored' ? `model=factored k=${s.k}` : `depth=${s.depth}`} ` +
      `penalty=${s.penalty} lambda=${s.lambda} ` +
      `optimizer=${s.optimizer} lr=${s.lr} init-scale=${s.initScale}` +
      `${s.targetError === undefined ? '' : ` stop-at-error=${s.targetError}`}${s.polish ? ' polish' : ''}${s.backend ? ` backend=${s.backend}` : ''}`,
    ...metricLines(r),
    ...(r.polish
      ? [
          `polish              rank ${r.polish.estimatedRank ?? 'none'} (gap ${r.polish.gap?.toFixed(2) ?? '-'}) at step ${r.polish.step}, ` +
            `${r.polish.polishIterations} Gauss–Newton iterations, ${r.polish.seconds.toFixed(2)} s; ` +
            `relError ${r.polish.relErrorBefore.toExponential(3)} → ${r.polish.relErrorAfter.toExponential(3)}`,
        ]
      : []),
    ...(r.warning ? [`warning: ${r.warning}`] : []),
    '',
  ].join('\n');
}

/** A short human-readable summary of a gnmr or altmin run (its warning, if any, last). */
function formatRankGiven(r: RankGivenRunResult): string {
  const s = r.settings;
  return [
    `n=${s.n} rank=${s.rank} samples=${s.samples} seed=${s.seed} method=${s.method} given-rank=${s.givenRank}` +
      `${s.method === 'gnmr' ? ` variant=${s.variant}` : ''}${s.method === 'scaled-gd' ? ` step-size=${s.stepSize}` : ''} tol=${s.tol}${s.masks ? ` masks=${s.masks}` : ''}`,
    ...metricLines(r),
    `residual on Ω        ${r.residual.toExponential(3)}${r.lsqrIterations === undefined ? '' : ` (${r.lsqrIterations} LSQR iterations)`}`,
    `identifiable        ${r.identifiable}`,
    ...(r.warning ? [`warning: ${r.warning}`] : []),
    '',
  ].join('\n');
}

/** A short human-readable summary of a nuclear-min run. */
function formatNuclearMin(r: NuclearMinRunResult): string {
  const s = r.settings;
  return [
    `n=${s.n} rank=${s.rank} samples=${s.samples} seed=${s.seed} method=nuclear-min tol=${s.boxTol} rel-tol=${s.relTol}`,
    ...metricLines(r),
    `constraintResidual  ${r.constraintResidual.toExponential(3)} (max |X − M| on Ω ${r.maxAbsResidual.toExponential(2)})`,
    `dualityGap          ${r.dualityGap.toExponential(3)}`,
    `rank                ${r.rank}`,
    '',
  ].join('\n');
}

/** A short human-readable summary of a soft-impute run, with its path. */
function formatSoftImpute(r: SoftImputeRunResult): string {
  const s = r.settings;
  return [
    `n=${s.n} rank=${s.rank} samples=${s.samples} seed=${s.seed} method=soft-impute path-length=${s.pathLength} ` +
      `rel-tol=${s.relTol} max-rank=${s.maxRank ?? 'none'}`,
    ...metricLines(r),
    `lambda              ${r.lambda.toExponential(3)} (${r.lambdaChoice === 'oracle' ? 'lowest relError on the path: an oracle choice' : 'given'}; λ_max ${r.lambdaMax.toExponential(3)})`,
    'path: lambda relError rank iterations',
    ...r.path.map((p) => `  ${p.lambda.toExponential(2)}  ${p.relError.toExponential(3)}  ${p.rank}  ${p.iterations} (${p.stopReason})`),
    '',
  ].join('\n');
}
