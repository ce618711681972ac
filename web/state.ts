// The page's settings and their URL form: pure functions, no DOM, so they run (and are tested) in Node too.
import { DEFAULTS, OPTIMIZER_NAMES, PENALTY_NAMES, type OptimizerName, type PenaltyName } from '../src/index.ts';

/** The method of one of the two side-by-side runs. */
export interface RunConfig {
  depth: number;
  penalty: PenaltyName;
  lambda: number;
  optimizer: OptimizerName;
  lr: number;
}

/** Everything the page's controls set: the shared problem, the shared stop rule and speed, and two methods. */
export interface PageState {
  /** The matrix is n×n. */
  n: number;
  rank: number;
  /** Fraction of the n² entries observed (the page observes round(fraction·n²) of them, at least 1). */
  fraction: number;
  seed: number;
  initScale: number;
  /** Iteration cap of each run. */
  maxSteps: number;
  /** Steps per second of each run; 0 means as fast as the worker can. */
  speed: number;
  runs: [RunConfig, RunConfig];
}

/** The largest matrix the page accepts (n×n). */
export const MAX_N = 100;
/** The largest depth the page offers. */
export const MAX_DEPTH = 4;

/** The headline method of DEFAULTS.run (depth-1 W, Adam + L∗/F), as a run of the page. */
const HEADLINE: RunConfig = {
  depth: DEFAULTS.run.depth,
  penalty: DEFAULTS.run.penalty,
  lambda: DEFAULTS.run.lambda,
  optimizer: DEFAULTS.run.optimizer,
  lr: DEFAULTS.run.lr,
};

/**
 * The page's defaults (src/defaults.ts): the headline method (Adam + L∗/F) against gradient descent with the same
 * penalty and data, on the page's small problem.
 */
export const DEFAULT_STATE: PageState = {
  n: DEFAULTS.web.n,
  rank: DEFAULTS.web.rank,
  fraction: DEFAULTS.web.fraction,
  seed: DEFAULTS.run.seed,
  initScale: DEFAULTS.run.initScale,
  maxSteps: DEFAULTS.web.maxSteps,
  speed: 0,
  runs: [HEADLINE, { ...HEADLINE, optimizer: 'sgd', lr: DEFAULTS.web.sgdLr }],
};

/** Number of observed entries for a state: round(fraction·n²), clamped to 1…n². */
export function sampleCount(state: Pick<PageState, 'n' | 'fraction'>): number {
  const total = state.n * state.n;
  return Math.min(total, Math.max(1, Math.round(state.fraction * total)));
}

/** URL query keys of the two runs ("a." and "b." prefixes). */
const RUN_PREFIXES = ['a', 'b'] as const;

/** The query string (without "?") of a state; every setting is written, so a shared link fixes the run. */
export function encodeState(state: PageState): string {
  const q = new URLSearchParams();
  q.set('n', String(state.n));
  q.set('rank', String(state.rank));
  q.set('frac', String(state.fraction));
  q.set('seed', String(state.seed));
  q.set('init', String(state.initScale));
  q.set('steps', String(state.maxSteps));
  q.set('speed', String(state.speed));
  state.runs.forEach((run, i) => {
    const p = RUN_PREFIXES[i];
    q.set(`${p}.depth`, String(run.depth));
    q.set(`${p}.pen`, run.penalty);
    q.set(`${p}.lam`, String(run.lambda));
    q.set(`${p}.opt`, run.optimizer);
    q.set(`${p}.lr`, String(run.lr));
  });
  return q.toString();
}

/** A decoded state and what was wrong with the query (each bad or out-of-range value falls back or is clamped). */
export interface DecodedState {
  state: PageState;
  problems: string[];
}

/**
 * Parse a query string ("?n=30&…" or "n=30&…") into a state. Missing keys take DEFAULT_STATE's values; a value
 * that is not a number or not allowed takes the default too, and one out of range is clamped; each is reported.
 */
export function decodeState(search: string): DecodedState {
  const q = new URLSearchParams(search.startsWith('?') ? search.slice(1) : search);
  const problems: string[] = [];
  const d = DEFAULT_STATE;
  const num = (key: string, fallback: number, min: number, max: number, integer: boolean): number => {
    const raw = q.get(key);
    if (raw === null) return fallback;
    const x = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(x)) {
      problems.push(`${key}=${raw} is not a number; using ${fallback}`);
      return fallback;
    }
    let v = integer ? Math.round(x) : x;
    if (v < min || v > max) {
      v = Math.min(max, Math.max(min, v));
      problems.push(`${key}=${raw} is outside ${min}…${max}; using ${v}`);
    } else if (v !== x) problems.push(`${key}=${raw} must be an integer; using ${v}`);
    return v;
  };
  const choice = <T extends string>(key: string, fallback: T, allowed: readonly T[]): T => {
    const raw = q.get(key);
    if (raw === null) return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    problems.push(`${key}=${raw} is not one of ${allowed.join(', ')}; using ${fallback}`);
    return fallback;
  };
  const n = num('n', d.n, 2, MAX_N, true);
  const state: PageState = {
    n,
    rank: num('rank', Math.min(d.rank, n), 1, n, true),
    fraction: num('frac', d.fraction, 1 / (n * n), 1, false),
    seed: num('seed', d.seed, 0, 2 ** 31 - 1, true),
    initScale: num('init', d.initScale, 1e-12, 10, false),
    maxSteps: num('steps', d.maxSteps, 1, 1e6, true),
    speed: num('speed', d.speed, 0, 1e5, true),
    runs: RUN_PREFIXES.map((p, i): RunConfig => {
      const r = d.runs[i];
      return {
        depth: num(`${p}.depth`, r.depth, 1, MAX_DEPTH, true),
        penalty: choice(`${p}.pen`, r.penalty, PENALTY_NAMES),
        lambda: num(`${p}.lam`, r.lambda, 0, 10, false),
        optimizer: choice(`${p}.opt`, r.optimizer, OPTIMIZER_NAMES),
        lr: num(`${p}.lr`, r.lr, 1e-12, 1e4, false),
      };
    }) as [RunConfig, RunConfig],
  };
  return { state, problems };
}

/** Whether two states would train the same problem with the same methods (speed aside). */
export function sameTraining(a: PageState, b: PageState): boolean {
  return encodeState({ ...a, speed: 0 }) === encodeState({ ...b, speed: 0 });
}
