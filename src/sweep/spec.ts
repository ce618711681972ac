import {
  METHOD_NAMES,
  METHODS,
  resolveSettings,
  type MethodName,
  type RunInput,
  type RunSettings,
  type RunSpec,
} from '../methods/run.ts';
import type { GnmrVariant } from '../solver/gnmr.ts';
import { describeParam, ParamError, paramAccepts, type Param } from '../params.ts';
import { MASK_RULES, samplesForRho, type MaskRule, type SyntheticSpec } from '../data/synthetic.ts';
import { MAX_PROBLEM_SIZE } from '../methods/method.ts';
import { INVARIANCE_PROBE, probeNamed, TAIL_STEP_PROBE } from '../methods/probes.ts';

export type { RunSettings };

/** One method of a sweep as written in a spec file: a label, a solver and its settings (defaults fill the rest). */
export interface MethodSpec {
  /** Unique label (a curve in the figures, a row in the tables). */
  name: string;
  method: MethodName;
  /** Gradient settings (see RunSpec); the baselines' own settings (see baselines.ts). */
  depth?: number;
  penalty?: RunSpec['penalty'];
  lambda?: number | null;
  optimizer?: RunSpec['optimizer'];
  lr?: number;
  initScale?: number;
  maxIters?: number;
  tol?: number;
  /** Gradient only: stop once relError <= targetError (see RunSpec); default off. */
  targetError?: number;
  /** Gradient only: finish rank-free by Gauss–Newton (see RunSpec.polish); default off. */
  polish?: boolean;
  /** Gradient only (deep model): train on Ω minus this share, report heldoutRMSE (see RunSpec.holdout); default off. */
  holdout?: number;
  boxTol?: number;
  relTol?: number;
  pathLength?: number;
  lambdaMinRatio?: number;
  maxRank?: number | null;
  /** gnmr, altmin, scaled-gd, matrix-irls: the rank the method is told (default: the sweep's rank). */
  givenRank?: number;
  /** gnmr: the variant (see solver/gnmr.ts). */
  variant?: GnmrVariant;
  /** scaled-gd: the step size η. */
  stepSize?: number;
  /** gnmr: LSQR iterations per outer iteration. */
  lsqrMaxIters?: number;
  /** matrix-irls: the relative-change stop rule and the conjugate-gradient settings (see solver/matrix-irls.ts). */
  changeTol?: number;
  cgTol?: number;
  cgMaxIters?: number;
  /** Gradient only: the deep trainer's stall rule (see TrainOptions). */
  stallWindow?: number;
  stallTol?: number;
  /** Gradient only: the model (absent: deep) and the factored model's rank k. */
  model?: 'deep' | 'factored';
  k?: number;
  /** Run this method only at these sample counts (each must be in the sweep's list); default: all of them. */
  samples?: number[];
  /** Sweeps given by rho only: run this method only at these ρ (each must be in the sweep's list); default: all. */
  rho?: number[];
  /** Run this method only at these seeds (each must be in the sweep's list); default: all of them. */
  seeds?: number[];
  /** Record the spectrum of W every K steps (gradient only; 0: off); overrides the sweep's value. */
  recordSpectrumEvery?: number;
}

/** A sweep: methods × sample counts × seeds on the synthetic problem of docs/design/protocols.md section 4 (n×n2, rank r). */
export interface SweepSpec {
  /** A label recorded with every run (the claims use it to find their sweep). */
  name: string;
  n: number;
  /** Columns; absent: n (square). */
  n2?: number;
  rank: number;
  /** The sample counts; with `rho`, round(ρ·r(n + n2 − r)) of each ρ, in its order. */
  samples: number[];
  /** The oversamplings the sample counts come from (a spec gives samples or rho); each run's settings carry its ρ. */
  rho?: number[];
  /** The truth's condition number (SyntheticSpec.kappa); absent: Gaussian factors. */
  kappa?: number;
  seeds: number[];
  methods: MethodSpec[];
  /** Record the spectrum of W (and the fields of the sweep's probes) every K steps of gradient runs; 0: off. */
  recordSpectrumEvery: number;
  /**
   * The names of the checkpoint probes (src/methods/probes.ts) whose fields each checkpoint of a gradient run records
   * (those that apply to the run); absent: DEFAULT_PROBES. A list other than DEFAULT_PROBES is part of the run keys.
   */
  probes?: string[];
  /**
   * Built-in sweeps only (the optimizer atlas): at each checkpoint of a deep gradient run also record the tail
   * step, the share of the next update outside W's top-r singular subspace (the tail-step probe, Checkpoint.tailStep).
   * Default off.
   */
  recordTailStep?: boolean;
  /**
   * 'identifiable': every run redraws its mask until each row and column has ≥ rank + 1 entries; 'field': the same at
   * most 1000 times, then the last draw (the field's benchmark); absent: uniform.
   */
  masks?: MaskRule;
}

/** One run of a sweep: what to run and the key that identifies it in a results file. */
export interface RunTask {
  /** Canonical JSON of name, settings (problem + method + seed) and recordSpectrumEvery: equal keys, equal runs. */
  key: string;
  name: string;
  settings: RunSettings;
  recordSpectrumEvery: number;
  /** The checkpoint probes the sweep named (SweepSpec.probes); absent: DEFAULT_PROBES (see taskProbes). */
  probes?: string[];
  /** Record Checkpoint.tailStep (SweepSpec.recordTailStep); absent: off. */
  recordTailStep?: boolean;
}

/**
 * The checkpoint probes of a sweep that names none (spec files, and the built-in sweeps that leave them out): the
 * invariance checks of L∗/F (claim 5), recorded on every L∗/F run as they were before sweeps named their probes.
 */
export const DEFAULT_PROBES: readonly string[] = [INVARIANCE_PROBE.name];

/** The names of the probes `task` records at its checkpoints, in order: its own or DEFAULT_PROBES, then tail-step if asked. */
export function taskProbes(task: Pick<RunTask, 'probes' | 'recordTailStep'>): string[] {
  return [...new Set([...(task.probes ?? DEFAULT_PROBES), ...(task.recordTailStep ? [TAIL_STEP_PROBE.name] : [])])];
}

/** A sweep spec that is not valid: the message names the file and the field (one line, no stack trace needed). */
export class SpecError extends Error {
  /** The field at fault ("samples[2]", "methods[0].givenRank"), or "" for the whole file. */
  readonly field: string;
  /** What is wrong with it, without the file and field. */
  readonly problem: string;
  constructor(file: string, field: string, problem: string) {
    super(field ? `${file}: ${field}: ${problem}` : `${file}: ${problem}`);
    this.name = 'SpecError';
    this.field = field;
    this.problem = problem;
  }
}

const TOP_FIELDS = [
  'name',
  'n',
  'n2',
  'rank',
  'samples',
  'rho',
  'seeds',
  'kappa',
  'methods',
  'recordSpectrumEvery',
  'probes',
  'masks',
];
/** The fields every entry of "methods" may have besides its method's own parameters. */
const COMMON_METHOD_FIELDS = ['name', 'method', 'samples', 'rho', 'seeds', 'recordSpectrumEvery'];

/** Parse and validate the JSON text of a sweep spec; `file` names it in errors. Throws SpecError. */
export function parseSweepSpec(text: string, file: string): SweepSpec {
  let raw: unknown;
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a UTF-8 byte order mark, accepted as the CSV readers do
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new SpecError(file, '', `not valid JSON (${jsonErrorWhere(text, err)})`);
  }
  return validateSweepSpec(raw, file);
}

/** Validate a sweep spec given as a plain object (kebab-case keys such as "max-iters" are accepted too). */
export function validateSweepSpec(raw: unknown, file: string): SweepSpec {
  const top = asObject(raw, file, '(top level)');
  checkFields(top, TOP_FIELDS, file, '');
  const n = integer(top.n, file, 'n', 1, MAX_PROBLEM_SIZE, true) as number;
  const n2 = integer(top.n2, file, 'n2', 1, MAX_PROBLEM_SIZE, false);
  const cols = n2 ?? n;
  const rank = integer(top.rank, file, 'rank', 1, Math.min(n, cols), true) as number;
  const entries = n * cols;
  if (top.rho !== undefined && top.samples !== undefined)
    throw new SpecError(file, 'rho', 'give samples or rho, not both');
  const rho = top.rho === undefined ? undefined : rhoList(top.rho, file, 'rho', { n, n2: cols, rank });
  const samples =
    rho?.map((x) => samplesForRho(x, n, cols, rank)) ??
    intList(top.samples, file, 'samples', 1, entries, n2 === undefined ? `n² = ${entries}` : `n·n2 = ${entries}`);
  let kappa: number | undefined;
  if (top.kappa !== undefined) {
    if (typeof top.kappa !== 'number' || !(top.kappa >= 1) || !Number.isFinite(top.kappa))
      throw new SpecError(file, 'kappa', `expected a finite number >= 1, got ${show(top.kappa)}`);
    kappa = top.kappa;
  }
  const seeds = intList(top.seeds, file, 'seeds', 0, 2 ** 32 - 1, '2^32 − 1');
  const recordSpectrumEvery =
    integer(top.recordSpectrumEvery, file, 'recordSpectrumEvery', 0, Number.MAX_SAFE_INTEGER, false) ?? 0;
  const name = top.name === undefined ? 'sweep' : nonEmptyString(top.name, file, 'name');
  if (!Array.isArray(top.methods) || top.methods.length === 0) {
    throw new SpecError(file, 'methods', `expected a non-empty array of methods, got ${show(top.methods)}`);
  }
  const methods = top.methods.map((m: unknown, i: number) =>
    validateMethod(m, file, `methods[${i}]`, { n, n2, rank }, samples, seeds, rho),
  );
  const seen = new Set<string>();
  methods.forEach((m, i) => {
    if (seen.has(m.name)) throw new SpecError(file, `methods[${i}].name`, `duplicate method name ${show(m.name)}`);
    seen.add(m.name);
  });
  const masks = choice(top.masks, file, 'masks', MASK_RULES);
  const probes = probeList(top.probes, file, 'probes');
  const spec: SweepSpec = {
    name,
    n,
    ...(n2 === undefined || n2 === n ? {} : { n2 }),
    rank,
    samples,
    ...(rho === undefined ? {} : { rho }),
    ...(kappa === undefined ? {} : { kappa }),
    seeds,
    methods,
    recordSpectrumEvery,
    ...(probes === undefined ? {} : { probes }),
    ...(masks === undefined || masks === 'uniform' ? {} : { masks }),
  };
  checkRunSettings(spec, file);
  return spec;
}

/**
 * Every run of `spec` resolves (the checks resolveSettings makes across parameters: a sample count identifiable masks
 * cannot meet, a givenRank beyond n, …), tried once per method and sample count (seeds change no check), so a sweep
 * that cannot run is refused before its first run rather than by a worker. Throws SpecError naming the field.
 */
function checkRunSettings(spec: SweepSpec, file: string): void {
  spec.methods.forEach((m, i) => {
    for (const point of sweepPoints(spec, m)) {
      const problem = {
        n: spec.n,
        ...(spec.n2 === undefined ? {} : { n2: spec.n2 }),
        rank: spec.rank,
        samples: point.samples,
        ...(point.rho === undefined ? {} : { rho: point.rho }),
        seed: (m.seeds ?? spec.seeds)[0],
        ...(spec.kappa === undefined ? {} : { kappa: spec.kappa }),
        ...(spec.masks === undefined ? {} : { masks: spec.masks }),
      };
      try {
        methodSettings(m, problem);
      } catch (err) {
        if (!(err instanceof RangeError)) throw err;
        const param = err instanceof ParamError ? err.param : '';
        const at = spec.samples.indexOf(point.samples);
        const field =
          param === 'samples' || param === 'rho'
            ? `${spec.rho === undefined ? 'samples' : 'rho'}[${at}]`
            : param !== '' && Object.hasOwn(m, param)
              ? `methods[${i}].${param}`
              : `methods[${i}]`;
        throw new SpecError(file, field, `${err.message} (method ${m.name}, ${point.samples} samples)`);
      }
    }
  });
}

/**
 * Validate a sweep built in code (the studies': claims, atlas, phase) exactly as a spec file is (validateSweepSpec),
 * so that it is refused before anything runs; the spec itself is left as built (its run keys unchanged). `where`
 * names the study in messages, and `fieldFlags` maps a top-level field ("samples", "seeds", "methods") to the flag
 * it came from, which the message then names. Throws SpecError.
 */
export function checkBuiltInSweep(
  spec: SweepSpec,
  where: string,
  fieldFlags: Readonly<Record<string, string>> = {},
): void {
  const { recordTailStep: _tail, ...asFile } = spec;
  try {
    validateSweepSpec(asFile, where);
  } catch (err) {
    if (!(err instanceof SpecError) || err.field === '') throw err;
    const flag = fieldFlags[err.field.replace(/[[.].*$/, '')];
    if (flag === undefined) throw err;
    throw new SpecError(where, `option '${flag}'`, `${err.field}: ${err.problem}`);
  }
}

/** Validate one entry of "methods". */
function validateMethod(
  raw: unknown,
  file: string,
  where: string,
  sweep: { n: number; n2?: number; rank: number },
  sweepSamples: number[],
  sweepSeeds: number[],
  sweepRho?: number[],
): MethodSpec {
  const obj = asObject(raw, file, where);
  const method = obj.method;
  if (typeof method !== 'string' || !(METHOD_NAMES as readonly string[]).includes(method)) {
    throw new SpecError(file, `${where}.method`, `expected one of ${METHOD_NAMES.join(', ')}, got ${show(method)}`);
  }
  const m = method as MethodName;
  checkFields(obj, [...COMMON_METHOD_FIELDS, ...Object.keys(METHODS[m].params)], file, where, `for method ${m}`);
  const f = (key: string): string => `${where}.${key}`;
  const spec: MethodSpec = { name: nonEmptyString(obj.name, file, f('name')), method: m };
  spec.recordSpectrumEvery = integer(
    obj.recordSpectrumEvery,
    file,
    f('recordSpectrumEvery'),
    0,
    Number.MAX_SAFE_INTEGER,
    false,
  );
  if (obj.samples !== undefined) {
    spec.samples = intList(obj.samples, file, f('samples'), 1, Number.MAX_SAFE_INTEGER, '');
    for (const [i, s] of spec.samples.entries()) {
      if (!sweepSamples.includes(s)) {
        throw new SpecError(
          file,
          `${f('samples')}[${i}]`,
          `${s} is not in the sweep's samples [${sweepSamples.join(', ')}]`,
        );
      }
    }
  }
  if (obj.rho !== undefined) {
    if (sweepRho === undefined)
      throw new SpecError(file, f('rho'), 'the sweep gives samples, not rho: filter by samples');
    if (!Array.isArray(obj.rho) || obj.rho.length === 0)
      throw new SpecError(file, f('rho'), `expected a non-empty array of numbers, got ${show(obj.rho)}`);
    spec.rho = obj.rho.map((x: unknown, i: number) => {
      if (typeof x !== 'number' || !sweepRho.includes(x))
        throw new SpecError(file, `${f('rho')}[${i}]`, `${show(x)} is not in the sweep's rho [${sweepRho.join(', ')}]`);
      return x;
    });
  }
  if (obj.seeds !== undefined) {
    spec.seeds = intList(obj.seeds, file, f('seeds'), 0, 2 ** 32 - 1, '2^32 − 1');
    for (const [i, s] of spec.seeds.entries()) {
      if (!sweepSeeds.includes(s))
        throw new SpecError(file, `${f('seeds')}[${i}]`, `${s} is not in the sweep's seeds [${sweepSeeds.join(', ')}]`);
    }
  }
  // The method's own fields: each declared by its module (src/methods/NAME.ts), checked against its declaration.
  const declared = METHODS[m].params as Record<string, Param>;
  const context = { n: sweep.n, n2: sweep.n2, rank: sweep.rank };
  for (const [key, param] of Object.entries(declared)) {
    const value = obj[key];
    if (value === undefined) continue;
    if (!paramAccepts(param, value, context))
      throw new SpecError(file, f(key), `expected ${describeParam(param, context)}, got ${show(value)}`);
    // Only `true` is kept of a switch, so a spec saying "polish": false has the run keys of one that does not mention it.
    if (value !== false) (spec as unknown as Record<string, unknown>)[key] = value;
  }
  for (const key of Object.keys(spec) as (keyof MethodSpec)[]) if (spec[key] === undefined) delete spec[key];
  return spec;
}

/** How many runs `spec` expands to (Σ over methods of sample counts × seeds), counted without expanding it. */
export function countRuns(spec: Pick<SweepSpec, 'methods' | 'samples' | 'seeds' | 'rho'>): number {
  let total = 0;
  for (const m of spec.methods) total += sweepPoints(spec, m).length * spec.seeds.length;
  return total;
}

/**
 * The sample counts method `m` runs at, in the sweep's order, each with its ρ when the sweep gives rho: the sweep's
 * list, kept to the method's own `samples` and `rho` filters.
 */
function sweepPoints(
  spec: Pick<SweepSpec, 'samples' | 'rho'>,
  m: Pick<MethodSpec, 'samples' | 'rho'>,
): { samples: number; rho?: number }[] {
  if (spec.rho === undefined) return (m.samples ?? spec.samples).map((samples) => ({ samples }));
  const rho = spec.rho;
  return spec.samples
    .map((samples, i) => ({ samples, rho: rho[i] }))
    .filter((p) => (m.samples ?? spec.samples).includes(p.samples) && (m.rho ?? rho).includes(p.rho));
}

/** The runs of a sweep, methods in spec order, then sample counts, then seeds; defaults filled in. */
export function expandSweep(spec: SweepSpec): RunTask[] {
  const tasks: RunTask[] = [];
  for (const m of spec.methods) {
    const every = m.recordSpectrumEvery ?? spec.recordSpectrumEvery;
    for (const point of sweepPoints(spec, m)) {
      for (const seed of m.seeds ?? spec.seeds) {
        const problem = {
          n: spec.n,
          ...(spec.n2 === undefined ? {} : { n2: spec.n2 }),
          rank: spec.rank,
          samples: point.samples,
          ...(point.rho === undefined ? {} : { rho: point.rho }),
          seed,
          ...(spec.kappa === undefined ? {} : { kappa: spec.kappa }),
          ...(spec.masks === undefined ? {} : { masks: spec.masks }),
        };
        const settings = methodSettings(m, problem);
        const task: RunTask = { key: '', name: m.name, settings, recordSpectrumEvery: every };
        if (spec.probes) task.probes = [...spec.probes];
        if (spec.recordTailStep) task.recordTailStep = true;
        task.key = taskKey(task);
        tasks.push(task);
      }
    }
  }
  return tasks;
}

/**
 * The resolved settings of method `m` on one problem: the spec's values, and every field it leaves out from the
 * method's defaults through runSynthetic's own resolveSettings (src/defaults.ts; a gradient run's iteration cap is
 * defaultMaxIters(penalty), as for `mcomplete run`), so a sweep and a run can never disagree on a default.
 */
export function methodSettings(m: MethodSpec, problem: SyntheticSpec): RunSettings {
  const { name: _name, samples: _samples, rho: _rho, seeds: _seeds, recordSpectrumEvery: _every, method, ...given } = m;
  return resolveSettings({ ...problem, method, ...given } as RunInput) as RunSettings;
}

/**
 * `records` in the order of `tasks` (the spec's order: methods, then sample counts, then seeds), records of other
 * keys last: what a sweep returns, so its tables and figures do not depend on the order in which runs finished.
 */
export function inTaskOrder<R extends { key: string }>(records: R[], tasks: readonly RunTask[]): R[] {
  const order = new Map(tasks.map((t, i) => [t.key, i]));
  return records.sort((a, b) => (order.get(a.key) ?? tasks.length) - (order.get(b.key) ?? tasks.length));
}

/** The identity of a run: canonical JSON (sorted keys) of its name, settings and spectrum interval. */
export function runKey(name: string, settings: RunSettings, recordSpectrumEvery: number): string {
  return canonicalJson({ name, settings, recordSpectrumEvery });
}

/**
 * The key of a run: runKey of its name, settings and spectrum interval, or, when it records the tail step or names
 * probes other than DEFAULT_PROBES, the canonical JSON of those too (only then, so the keys of every other run stay
 * as they were).
 */
export function taskKey(task: Omit<RunTask, 'key'>): string {
  const probes = task.probes && !sameList(task.probes, DEFAULT_PROBES) ? [...task.probes] : undefined;
  if (!task.recordTailStep && !probes) return runKey(task.name, task.settings, task.recordSpectrumEvery);
  return canonicalJson({
    name: task.name,
    settings: task.settings,
    recordSpectrumEvery: task.recordSpectrumEvery,
    ...(task.recordTailStep ? { recordTailStep: true } : {}),
    ...(probes ? { probes } : {}),
  });
}

/** Whether two lists of names are equal, element by element. */
function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** JSON with object keys sorted at every level, so equal values give equal strings. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

// ---- field checks -------------------------------------------------------------------------------------------

/** "max-iters" → "maxIters". */
function camel(key: string): string {
  return key.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/** The value as a plain object with kebab-case keys turned into camelCase (both spellings at once is an error). */
function asObject(raw: unknown, file: string, where: string): Record<string, unknown> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new SpecError(file, where, `expected an object, got ${show(raw)}`);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const k = camel(key);
    if (k in out) throw new SpecError(file, where, `field "${k}" is given twice (as "${k}" and "${key}")`);
    out[k] = value;
  }
  return out;
}

/** Unknown fields are errors (a misspelt field must not be silently ignored). */
function checkFields(obj: Record<string, unknown>, allowed: string[], file: string, where: string, context = ''): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      const field = where ? `${where}.${key}` : key;
      throw new SpecError(file, field, `unknown field${context ? ` ${context}` : ''} (allowed: ${allowed.join(', ')})`);
    }
  }
}

/** An integer in [min, max]; undefined when absent and not required. */
function integer(
  v: unknown,
  file: string,
  field: string,
  min: number,
  max: number,
  required: boolean,
): number | undefined {
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`;
    throw new SpecError(file, field, `expected an integer ${range}, got ${show(v)}`);
  }
  return v;
}

/** A non-empty array of distinct integers in [min, max]. */
function intList(v: unknown, file: string, field: string, min: number, max: number, maxName: string): number[] {
  if (!Array.isArray(v) || v.length === 0)
    throw new SpecError(file, field, `expected a non-empty array of integers, got ${show(v)}`);
  const seen = new Set<number>();
  return v.map((x: unknown, i: number) => {
    if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${maxName || max}`;
      throw new SpecError(file, `${field}[${i}]`, `expected an integer ${range}, got ${show(x)}`);
    }
    if (seen.has(x)) throw new SpecError(file, `${field}[${i}]`, `duplicate value ${x}`);
    seen.add(x);
    return x;
  });
}

/** One of `allowed`; undefined when absent. */
function choice<T extends string>(v: unknown, file: string, field: string, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new SpecError(file, field, `expected one of ${allowed.join(', ')}, got ${show(v)}`);
  }
  return v as T;
}

/** An array of distinct names of checkpoint probes (probeNamed); undefined when absent. */
function probeList(v: unknown, file: string, field: string): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw new SpecError(file, field, `expected an array of probe names, got ${show(v)}`);
  const seen = new Set<string>();
  return v.map((x: unknown, i: number) => {
    if (typeof x !== 'string') throw new SpecError(file, `${field}[${i}]`, `expected a probe name, got ${show(x)}`);
    try {
      probeNamed(x);
    } catch (err) {
      throw new SpecError(file, `${field}[${i}]`, (err as Error).message);
    }
    if (seen.has(x)) throw new SpecError(file, `${field}[${i}]`, `duplicate probe ${show(x)}`);
    seen.add(x);
    return x;
  });
}

/** A non-empty array of distinct finite numbers > 0 whose sample counts round(ρ·r(n + n2 − r)) are in 1..n·n2 and distinct. */
function rhoList(v: unknown, file: string, field: string, p: { n: number; n2: number; rank: number }): number[] {
  if (!Array.isArray(v) || v.length === 0)
    throw new SpecError(file, field, `expected a non-empty array of numbers, got ${show(v)}`);
  const seen = new Map<number, number>();
  return v.map((x: unknown, i: number) => {
    if (typeof x !== 'number' || !Number.isFinite(x) || x <= 0)
      throw new SpecError(file, `${field}[${i}]`, `expected a finite number > 0, got ${show(x)}`);
    const m = samplesForRho(x, p.n, p.n2, p.rank);
    if (m < 1 || m > p.n * p.n2) {
      throw new SpecError(
        file,
        `${field}[${i}]`,
        `${x} gives round(ρ·r(n + n2 − r)) = ${m} samples, outside 1..${p.n * p.n2}`,
      );
    }
    const before = seen.get(m);
    if (before !== undefined)
      throw new SpecError(file, `${field}[${i}]`, `${x} gives the same ${m} samples as ${field}[${before}]`);
    seen.set(m, i);
    return x;
  });
}

/** A non-empty string. */
function nonEmptyString(v: unknown, file: string, field: string): string {
  if (typeof v !== 'string' || v.trim() === '')
    throw new SpecError(file, field, `expected a non-empty string, got ${show(v)}`);
  return v;
}

/** A short rendering of a bad value for an error message. */
function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/** The reason of a JSON.parse error, prefixed with "line L, column C" when V8 reports a character position. */
function jsonErrorWhere(text: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const pos = /position (\d+)/.exec(message);
  if (!pos) return message;
  const offset = Number(pos[1]);
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `line ${line}, column ${column}: ${message.replace(/ in JSON at position \d+.*$/, '')}`;
}
