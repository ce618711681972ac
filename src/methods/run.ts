// One entry point for every synthetic method: runSynthetic(settings) looks the method up in the registry
// (registry.ts: one module per method), resolves and checks its settings against the method's declared parameters,
// runs it on the synthetic problem of docs/design/protocols.md section 4, and measures the result against the truth. The
// CLI's `run`, sweeps and the web page all go through it.
import { problemShape, syntheticMask, type SyntheticSpec } from '../data/synthetic.ts';
import { finishAsync } from '../solver/loop.ts';
import { maskIdentifiability } from '../data/identifiable.ts';
import { ParamError, resolveParams, unknownKeyMessage, type ParamTable } from '../params.ts';
import {
  checkProblem,
  PROBLEM_PARAMS,
  withMaskRule,
  type RunHooks,
  type SyntheticMethod,
  type SyntheticRun,
} from './method.ts';
import { METHOD_LIST } from './registry.ts';
import type { DeepRunSpec, FactoredRunSpec, RunResult, RunSpec } from './gradient.ts';
import type { NuclearMinRunResult, NuclearMinRunSpec } from './nuclear-min.ts';
import type { SoftImputeRunResult, SoftImputeRunSpec } from './soft-impute.ts';
import type { GnmrRunSpec } from './gnmr.ts';
import type { R2rilsRunSpec } from './r2rils.ts';
import type { AltminRunSpec } from './altmin.ts';
import type { ScaledGdRunSpec } from './scaled-gd.ts';
import type { MatrixIrlsRunSpec } from './matrix-irls.ts';
import type { RankGivenRunResult } from './rank-given.ts';
import type { SpectralPolishRunResult, SpectralPolishRunSpec } from './spectral-polish.ts';

export { defaultMaxIters, defaultTol, UNPENALIZED_MAX_ITERS } from '../defaults.ts';
export type {
  GradientProgressEvent,
  RunHooks,
  RunMetrics,
  RunProgressEvent,
  RunStatus,
  SyntheticMethod,
  SyntheticRun,
} from './method.ts';
export { measureMatrix, singularValues, svdOn } from './method.ts';
export {
  DEFAULT_RUN_SPEC,
  FACTORED_PENALTIES,
  holdoutObservations,
  measureFactored,
  type DeepRunSpec,
  type FactoredRunSpec,
  type GradientRunBase,
  type RunResult,
  type RunSpec,
} from './gradient.ts';

/** The fully resolved settings of one synthetic run, whatever its method (plain JSON). */
export type RunSettings =
  | RunSpec
  | NuclearMinRunSpec
  | SoftImputeRunSpec
  | GnmrRunSpec
  | R2rilsRunSpec
  | AltminRunSpec
  | ScaledGdRunSpec
  | MatrixIrlsRunSpec
  | SpectralPolishRunSpec;

/**
 * What runSynthetic accepts: the settings of one method, any of them omitted (the method's declared defaults fill
 * them in; `method` absent means 'gradient', `model` absent means 'deep').
 */
export type RunInput =
  | Partial<DeepRunSpec>
  | (Partial<FactoredRunSpec> & { model: 'factored' })
  | (Partial<NuclearMinRunSpec> & { method: 'nuclear-min' })
  | (Partial<SoftImputeRunSpec> & { method: 'soft-impute' })
  | (Partial<GnmrRunSpec> & { method: 'gnmr' })
  | (Partial<R2rilsRunSpec> & { method: 'r2rils' })
  | (Partial<AltminRunSpec> & { method: 'altmin' })
  | (Partial<ScaledGdRunSpec> & { method: 'scaled-gd' })
  | (Partial<MatrixIrlsRunSpec> & { method: 'matrix-irls' })
  | (Partial<SpectralPolishRunSpec> & { method: 'spectral-polish' });

/** The resolved settings of an input of type S. */
export type SettingsOf<S> = S extends { method: 'nuclear-min' }
  ? NuclearMinRunSpec
  : S extends { method: 'soft-impute' }
    ? SoftImputeRunSpec
    : S extends { method: 'gnmr' }
      ? GnmrRunSpec
      : S extends { method: 'r2rils' }
        ? R2rilsRunSpec
        : S extends { method: 'altmin' }
          ? AltminRunSpec
          : S extends { method: 'scaled-gd' }
            ? ScaledGdRunSpec
            : S extends { method: 'matrix-irls' }
              ? MatrixIrlsRunSpec
              : S extends { method: 'spectral-polish' }
                ? SpectralPolishRunSpec
                : S extends { model: 'factored' }
                  ? FactoredRunSpec
                  : RunSpec;

/** The result of runSynthetic for settings of type S: RunMetrics and the settings, plus the method's extras. */
export type ResultOf<S> = S extends { method: 'nuclear-min' }
  ? NuclearMinRunResult
  : S extends { method: 'soft-impute' }
    ? SoftImputeRunResult
    : S extends { method: 'gnmr' | 'r2rils' | 'altmin' | 'scaled-gd' | 'matrix-irls' }
      ? RankGivenRunResult
      : S extends { method: 'spectral-polish' }
        ? SpectralPolishRunResult
        : RunResult;

/** Any method's result. */
export type SyntheticResult = ResultOf<RunSettings>;

/** The names of the synthetic methods (`settings.method`; absent means 'gradient'). */
export type MethodName = (typeof METHOD_LIST)[number]['name'];

/** The registry by name: every method module, `METHODS[name]` (registerMethod adds one at run time). */
export const METHODS: Record<MethodName, SyntheticMethod<RunSettings>> = Object.fromEntries(
  METHOD_LIST.map((m) => [m.name, m as unknown as SyntheticMethod<RunSettings>]),
) as Record<MethodName, SyntheticMethod<RunSettings>>;

/** Every method name, for flag and spec validation (registerMethod appends). */
export const METHOD_NAMES: readonly MethodName[] = METHOD_LIST.map((m) => m.name);

/**
 * Add a method module to the registry at run time (a plugin, or a test's toy method): from then on runSynthetic,
 * spec files and `mcomplete run` know it. Its name must be new. A method of the package itself is one line of
 * registry.ts instead.
 */
export function registerMethod(method: SyntheticMethod<SyntheticSpec & { method: string }>): void {
  if (Object.hasOwn(METHODS, method.name))
    throw new ParamError('method', `method ${JSON.stringify(method.name)} is registered already`);
  (METHODS as Record<string, unknown>)[method.name] = method;
  (METHOD_NAMES as string[]).push(method.name);
}

/** Remove a method added by registerMethod (the package's own methods cannot be removed). */
export function unregisterMethod(name: string): void {
  if (METHOD_LIST.some((m) => m.name === name))
    throw new ParamError('method', `method ${JSON.stringify(name)} is one of the package's own`);
  if (!Object.hasOwn(METHODS, name)) return;
  delete (METHODS as Record<string, unknown>)[name];
  (METHOD_NAMES as string[]).splice((METHOD_NAMES as string[]).indexOf(name), 1);
}

/** The registry entry of `input.method` (absent: 'gradient'); an unknown name is a RangeError listing the names. */
export function methodOf(input: { method?: unknown }): SyntheticMethod<RunSettings> {
  const name = input.method ?? 'gradient';
  if (typeof name !== 'string' || !Object.hasOwn(METHODS, name)) {
    throw new ParamError('method', `method must be one of ${METHOD_NAMES.join(', ')}, got ${JSON.stringify(name)}`);
  }
  return METHODS[name as MethodName];
}

/** Every parameter of `method`'s settings, the problem's first: the table its settings are resolved against. */
export function settingsTable(method: SyntheticMethod<RunSettings>): ParamTable {
  return { ...PROBLEM_PARAMS, ...method.params };
}

/**
 * The full settings of `input`: every key must be a declared parameter of its method (an unknown one is a
 * ParamError with a did-you-mean), every value given is checked against its declaration, and every field it omits
 * (or leaves undefined) comes from the method's declared defaults, after the fields it gives, which keep their order.
 */
export function resolveSettings<S extends RunInput>(input: S): SettingsOf<S> {
  const method = methodOf(input);
  const settings = resolveParams(settingsTable(method), input as Record<string, unknown>, { extraKeys: ['method'] });
  // n2 = n is the square problem: left out, so that it has the settings (and run keys) of one that never said n2.
  if (settings.n2 === settings.n) delete settings.n2;
  withMaskRule(settings as unknown as SyntheticSpec);
  checkProblem(settings as unknown as SyntheticSpec);
  method.check?.(settings as unknown as RunSettings);
  return settings as unknown as SettingsOf<S>;
}

/** unknownKeyMessage for a key of `input` that its method does not declare (undefined when all are declared). */
export function unknownSetting(input: Record<string, unknown>): string | undefined {
  const known = [...Object.keys(settingsTable(methodOf(input))), 'method'];
  const bad = Object.keys(input).find((k) => !known.includes(k));
  return bad === undefined ? undefined : unknownKeyMessage(bad, known, '');
}

/** Start the run of `settings` (omitted fields from the defaults, see resolveSettings) without advancing it. */
export function startSynthetic<S extends RunInput>(settings: S, hooks: RunHooks = {}): SyntheticRun<ResultOf<S>> {
  const resolved = resolveSettings(settings);
  const run = methodOf(settings).start(resolved as RunSettings, hooks) as unknown as SyntheticRun<ResultOf<S>>;
  // Every record says whether its mask could be recovered at all (each row and column seen ≥ rank times).
  let identifiable: boolean | undefined;
  return {
    ...run,
    result: () => ({
      ...run.result(),
      identifiable: (identifiable ??= maskIdentifiability(maskOf(resolved), resolved.rank).identifiable),
    }),
  };
}

/** The mask of a synthetic problem as row/column arrays (no values): what maskIdentifiability needs. O(|Ω| log |Ω|). */
function maskOf(spec: SyntheticSpec): { shape: [number, number]; rows: Int32Array; cols: Int32Array } {
  const mask = syntheticMask(spec);
  const [n1, n2] = problemShape(spec);
  const rows = new Int32Array(mask.length);
  const cols = new Int32Array(mask.length);
  for (let t = 0; t < mask.length; t++) {
    rows[t] = Math.floor(mask[t] / n2);
    cols[t] = mask[t] - rows[t] * n2;
  }
  return { shape: [n1, n2], rows, cols };
}

/**
 * Build the synthetic problem of `settings` (omitted fields from the defaults), run its method to a stop rule, and
 * measure the result against the truth: runSynthetic({ method: 'gradient', seed: 1 }) is the default run on seed 1.
 */
export function runSynthetic<S extends RunInput>(settings: S, hooks: RunHooks = {}): ResultOf<S> {
  const run = startSynthetic(settings, hooks);
  run.advance(Infinity);
  return run.result();
}

/** runSynthetic, yielding to the event loop between chunks of steps so that Ctrl-C and timers work. */
export async function runSyntheticAsync<S extends RunInput>(settings: S, hooks: RunHooks = {}): Promise<ResultOf<S>> {
  return finishAsync(startSynthetic(settings, hooks));
}
