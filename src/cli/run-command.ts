import { Command, Option } from 'commander';
import {
  METHOD_NAMES,
  METHODS,
  resolveSettings,
  runSyntheticAsync,
  type MethodName,
  type RunInput,
  type RunProgressEvent,
  type RunMetrics,
  type RunSettings,
  type SyntheticResult,
} from '../methods/run.ts';
import { PROBLEM_PARAMS } from '../methods/method.ts';
import { MODEL_NAMES } from '../methods/gradient.ts';
import { DEEP_MODEL_MAX_ENTRIES, RUN_DEFAULTS } from '../defaults.ts';
import type { SyntheticSpec } from '../data/synthetic.ts';
import { defaultText, describeParam, flagOf, paramAccepts, ParamError, type Param } from '../params.ts';
import { decimal, intInRange, invalid, positiveNumber, unitFraction } from './parse.ts';
import { createProgressReporter } from './progress.ts';
import { DivergenceError } from '../solver/loop.ts';
import { MASK_RULES, type MaskRule } from '../data/synthetic.ts';

/** The parsed flags: the problem's, the method and model, output switches, and every method's own (by camelCase flag). */
type RunFlags = Record<string, unknown> & {
  n: number;
  n2?: number;
  rank: number;
  samples: number;
  rho?: number;
  kappa?: number;
  maskMinPerLine?: number;
  seed: number;
  method: MethodName;
  model?: ModelName;
  masks: MaskRule;
  json: boolean;
  quiet: boolean;
  lambda?: number;
  lr: number;
  initScale: number;
};

type ModelName = (typeof MODEL_NAMES)[number];

/** Which models each model-specific flag applies to. */
const FLAG_MODELS: Record<string, readonly ModelName[]> = {
  depth: ['deep'],
  k: ['factored'],
};

/** The commander key of a flag: `--stop-at-error` → stopAtError. */
function flagKey(flag: string): string {
  return flag.slice(2).replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/** One flag of `run` and the (method, parameter) pairs it sets, in registry order. */
interface MethodFlag {
  flag: string;
  uses: { method: MethodName; key: string; param: Param }[];
}

/** Every method flag of `run`, derived from the registry's declarations (a flag shared by methods that agree on its type). */
function methodFlags(): MethodFlag[] {
  const byFlag = new Map<string, MethodFlag>();
  for (const method of Object.values(METHODS)) {
    for (const [key, param] of Object.entries(method.params as Record<string, Param>)) {
      const flag = flagOf(key, param);
      if (flag === '--model') continue; // the model has its own flag below, with the CLI's default
      const entry = byFlag.get(flag) ?? { flag, uses: [] };
      entry.uses.push({ method: method.name as MethodName, key, param });
      byFlag.set(flag, entry);
    }
  }
  return [...byFlag.values()];
}

/** A commander parser for a declaration: the same checks and messages as the CLI's hand-written parsers. */
function parserOf(p: Param): ((value: string) => unknown) | undefined {
  if (p.type === 'int') return intInRange(p.min, typeof p.max === 'number' ? p.max : undefined);
  if (p.type === 'number') {
    if (p.min === 0 && p.minExclusive && p.max === 1 && !p.maxExclusive) return unitFraction();
    return positiveNumber(!(p.min === 0 && p.minExclusive));
  }
  return undefined;
}

/** The placeholder of a flag's value. */
function placeholder(p: Param): string {
  return p.type === 'int' ? '<int>' : p.type === 'number' ? '<x>' : p.type === 'choice' ? '<name>' : '';
}

/** The help text of a flag: each group of methods with the same doc, its doc and default. */
function helpOf(f: MethodFlag): string {
  const groups = new Map<string, MethodName[]>();
  for (const u of f.uses) {
    const text = `${u.param.doc}${u.param.default === undefined ? '' : ` (default: ${defaultText(u.param)})`}`;
    groups.set(text, [...(groups.get(text) ?? []), u.method]);
  }
  return [...groups]
    .map(([text, methods]) => (methods.length === METHOD_NAMES.length ? text : `(${methods.join(', ')}) ${text}`))
    .join('; ');
}

/** The option of one method flag (no commander default: a value left out comes from the method's declaration). */
function optionOf(f: MethodFlag): Option {
  const p = f.uses[0].param;
  const option = new Option(`${f.flag}${placeholder(p) ? ` ${placeholder(p)}` : ''}`, helpOf(f));
  if (p.type === 'choice') return option.choices(p.choices);
  if (p.type === 'boolean') return option.default(false);
  // A flag shared by methods whose ranges differ parses with the loosest check; each method's declaration checks the rest.
  const parsers = f.uses.map((u) => parserOf(u.param));
  return option.argParser(parsers.reduce((a, b) => (a === undefined ? b : a)) as (value: string) => unknown);
}

/** The option of a problem parameter, from its declaration (no commander default: absent means the declared rule). */
function problemOption(key: 'n2' | 'rho' | 'kappa' | 'maskMinPerLine'): Option {
  const p: Param = PROBLEM_PARAMS[key];
  const text = `${p.doc}${p.defaultDoc === undefined ? '' : ` (default: ${p.defaultDoc})`}`;
  // The declaration's own bounds, in its words ("a finite number >= 1"); cross-parameter checks come later.
  return new Option(`${flagOf(key, p)} ${placeholder(p)}`, text).argParser((value: string) => {
    const x = decimal(value);
    if (value.trim() === '' || !paramAccepts(p, x)) throw invalid(value, describeParam(p));
    return x;
  });
}

/** The `mcomplete run` command: one synthetic completion experiment (docs/design/protocols.md section 4), end to end. */
export function runCommand(): Command {
  const flags = methodFlags();
  const pp = PROBLEM_PARAMS;
  const command = new Command('run')
    .description('run one synthetic matrix-completion experiment and report its error')
    .addOption(new Option('--n <int>', pp.n.doc).default(pp.n.default).argParser(intInRange(pp.n.min, pp.n.max)))
    .addOption(problemOption('n2'))
    .addOption(new Option('--rank <int>', pp.rank.doc).default(pp.rank.default).argParser(intInRange(pp.rank.min)))
    .addOption(
      new Option('--samples <int>', pp.samples.doc).default(RUN_DEFAULTS.samples).argParser(intInRange(pp.samples.min)),
    )
    .addOption(problemOption('rho'))
    .addOption(problemOption('kappa'))
    .addOption(
      new Option('--seed <int>', pp.seed.doc).default(pp.seed.default).argParser(intInRange(pp.seed.min, pp.seed.max)),
    )
    .addOption(
      new Option('--method <name>', 'solver: gradient training, or a baseline (convex or told the rank)')
        .default('gradient')
        .choices(METHOD_NAMES),
    )
    .addOption(
      new Option(
        '--model <name>',
        `(gradient) deep: W = W_N⋯W_1 (full width); factored: W = A·B^T of rank k (default: deep up to n·n2 = ${DEEP_MODEL_MAX_ENTRIES.toLocaleString('en-US')}, factored above, or deep when --depth is given)`,
      ).choices(MODEL_NAMES),
    );
  for (const f of flags) command.addOption(optionOf(f));
  return command
    .addOption(new Option('--masks <rule>', pp.masks.doc).default('uniform').choices(MASK_RULES))
    .addOption(problemOption('maskMinPerLine'))
    .option('--json', 'print exactly one JSON object on stdout', false)
    .option('--quiet', 'no progress on stderr', false)
    .action(async (given: RunFlags, cmd: Command) => {
      const fromCli = (key: string): boolean => cmd.getOptionValueSource(key) === 'cli';
      for (const f of flags) {
        const methods = f.uses.map((u) => u.method);
        if (fromCli(flagKey(f.flag)) && !methods.includes(given.method)) {
          cmd.error(`error: option '${f.flag}' applies only to --method ${methods.join(' or ')}, not ${given.method}`, {
            exitCode: 2,
          });
        }
      }
      // The dense model takes an SVD of W every step (O(n³)); above DEEP_MODEL_MAX_ENTRIES the factored one is the default.
      given.model ??=
        fromCli('depth') || given.n * (given.n2 ?? given.n) <= DEEP_MODEL_MAX_ENTRIES ? 'deep' : 'factored';
      if (fromCli('model') && given.method !== 'gradient') {
        cmd.error(`error: option '--model' applies only to --method gradient, not ${given.method}`, { exitCode: 2 });
      }
      for (const [key, models] of Object.entries(FLAG_MODELS)) {
        if (fromCli(key) && !models.includes(given.model)) {
          cmd.error(`error: option '--${key}' applies only to --model ${models.join(' or ')}, not ${given.model}`, {
            exitCode: 2,
          });
        }
      }
      if (given.rho !== undefined && fromCli('samples')) {
        cmd.error("error: options '--samples' and '--rho' both set the number of observed entries: give one of them", {
          exitCode: 2,
        });
      }
      const n2 = given.n2 ?? given.n;
      const problem: SyntheticSpec = {
        n: given.n,
        ...(given.n2 === undefined ? {} : { n2: given.n2 }),
        rank: given.rank,
        // With --rho the count is round(ρ·r(n + n2 − r)), computed by the declaration's rule.
        samples: given.rho === undefined ? given.samples : (undefined as unknown as number),
        ...(given.rho === undefined ? {} : { rho: given.rho }),
        seed: given.seed,
        ...(given.kappa === undefined ? {} : { kappa: given.kappa }),
        ...(given.masks === 'identifiable' || given.masks === 'field' ? { masks: given.masks } : {}),
        ...(given.maskMinPerLine === undefined ? {} : { maskMinPerLine: given.maskMinPerLine }),
      };
      // A limit broken by a default the user never typed says so, and what to pass.
      const tooLarge = (
        key: 'rank' | 'samples',
        value: number,
        limit: number,
        said: string,
        defaulted: string,
      ): never =>
        cmd.error(
          fromCli(key)
            ? `error: option '--${key}' must be at most ${said}, got ${value}`
            : `error: option '--${key}' defaults to ${value}, more than ${defaulted}: pass --${key} at most ${limit}`,
          { exitCode: 2 },
        );
      const square = given.n2 === undefined;
      const short = Math.min(problem.n, n2);
      if (problem.rank > short) {
        if (square) tooLarge('rank', problem.rank, problem.n, `--n (${problem.n})`, `--n ${problem.n}`);
        tooLarge('rank', problem.rank, short, `min(--n, --n2) (${short})`, `min(--n, --n2) = ${short}`);
      }
      const entries = problem.n * n2;
      if (given.rho === undefined && problem.samples > entries) {
        if (square)
          tooLarge('samples', problem.samples, entries, `n² (${entries})`, `n² = ${entries} for --n ${problem.n}`);
        tooLarge(
          'samples',
          problem.samples,
          entries,
          `n·n2 (${entries})`,
          `n·n2 = ${entries} for --n ${problem.n} --n2 ${n2}`,
        );
      }
      if (given.method === 'soft-impute' && given.lambda === 0) {
        cmd.error(
          "error: option '--lambda' must be > 0 with --method soft-impute (the last λ of the path), got 0; leave it out for the path's oracle choice",
          { exitCode: 2 },
        );
      }
      let settings: RunSettings;
      try {
        settings = resolveSettings(runInput(given, problem));
      } catch (err) {
        if (!(err instanceof ParamError)) throw err;
        cmd.error(`error: ${cliMessage(err)}`, { exitCode: 2 });
      }
      const result = await runWithProgress(settings, given);
      if (given.method === 'nuclear-min' && !given.quiet) {
        process.stderr.write(
          `nuclear-min: ${result.stopReason} after ${result.iterations} iterations, ${result.seconds.toFixed(1)} s\n`,
        );
      }
      process.stdout.write(given.json ? `${JSON.stringify(result)}\n` : formatResult(result));
      if (result.stopReason === 'interrupted') {
        process.stderr.write('mcomplete: interrupted; the result above is for the last completed step\n');
        process.exitCode = 130;
      }
    });
}

/** A library ParamError in the CLI's words: the flag instead of the key ("option '--k' must be at most --n (20), got 21"). */
function cliMessage(err: ParamError): string {
  const p = Object.values(METHODS)
    .flatMap((m) => Object.entries(m.params as Record<string, Param>))
    .find(([key]) => key === err.param)?.[1];
  const flag = flagOf(err.param, p);
  // The ranks bounded by n: the CLI names the flag that bounds them.
  const bound = /^(?:k|givenRank) must be an integer in 1\.\.(\d+), got (\S+)$/.exec(err.message);
  if (bound) return `option '${flag}' must be at most --n (${bound[1]}), got ${bound[2]}`;
  if (err.param === 'penalty' && /factored model supports penalties/.test(err.message)) {
    return `option '--penalty' must be one of ${err.message.replace(/^.*supports penalties (.*), not (.*)$/, '$1 with --model factored, got $2')}`;
  }
  return err.message.replace(new RegExp(`^${err.param} must`), `option '${flag}' must`);
}

/**
 * The input of the run the flags describe: the problem, the method, and each of the method's parameters as given
 * on the command line (undefined: the declared default). The gradient method's model settings come last, as the
 * library's resolution has always printed them.
 */
function runInput(given: RunFlags, problem: SyntheticSpec): RunInput {
  const method = METHODS[given.method];
  const input: Record<string, unknown> = { ...problem, method: given.method };
  const keys = Object.keys(method.params).filter((k) => k !== 'depth' && k !== 'model' && k !== 'k');
  for (const key of keys) {
    const value = given[flagKey(flagOf(key, method.params[key]))];
    // A switch left off is absent (a spec saying "polish": false has the run keys of one that does not mention it).
    input[key] = value === false ? undefined : value;
  }
  if (given.method === 'soft-impute') input.lambda = given.lambda ?? null;
  if (given.method === 'gradient') {
    if (given.model === 'factored') Object.assign(input, { model: 'factored', k: given.k });
    else input.depth = given.depth;
  }
  return input as RunInput;
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
  const progress = createProgressReporter(label, {
    quiet: flags.quiet,
    ...(method === 'soft-impute' ? { intervalSeconds: 0 } : {}),
  });
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  if (method === 'gradient') process.once('SIGINT', onSigint);
  // An identifiable mask may take many draws: from the second one on, they are progress of their own (a bar on a
  // terminal; otherwise a line every 2 s while they last, so redraws over in less say nothing more).
  let drawing: ReturnType<typeof createProgressReporter> | null = null;
  const onMaskDraw = (draw: number, most: number): void => {
    if (draw < 2 || draw >= most) return;
    drawing ??= createProgressReporter('drawing an identifiable mask', { quiet: flags.quiet, intervalSeconds: 2 });
    drawing.update(draw, most, { samples: String(settings.samples) });
  };
  try {
    return await runSyntheticAsync(settings, {
      onMaskDraw,
      signal: method === 'gradient' ? controller.signal : undefined,
      progressEvery: method === 'gradient' ? 50 : 10,
      onProgress: (e) => progress.update(e.step, e.maxIters, progressFields(e)),
    });
  } catch (err) {
    // The library names the chain; the CLI knows the flag that fixes it.
    if (err instanceof DivergenceError) {
      err.message += err.atStart
        ? ` (--init-scale ${(settings as { initScale: number }).initScale} was given; the default is ${RUN_DEFAULTS.initScale})`
        : ` (--lr ${(settings as { lr: number }).lr / 10})`;
    }
    throw err;
  } finally {
    (drawing as ReturnType<typeof createProgressReporter> | null)?.stop();
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

/** `mcomplete run`'s text output: the method's settings line, the shared metric lines, the method's own lines. */
function formatResult(r: SyntheticResult): string {
  const method = METHODS[(r.settings.method ?? 'gradient') as MethodName];
  return [method.settingsLine(r.settings as RunSettings), ...metricLines(r), ...method.summary(r), ''].join('\n');
}
