import { defaultTol, RUN_DEFAULTS, UNPENALIZED_MAX_ITERS } from '../defaults.ts';
import type { RunRecord } from '../sweep/execute.ts';
import type { MethodSpec, SweepSpec } from '../sweep/spec.ts';
import type { OptimizerName } from '../optim/index.ts';
import type { PenaltyName } from '../penalty/index.ts';
import { INVARIANCE_PROBE } from '../methods/probes.ts';

/** A verdict computed from the numbers against a stated criterion. */
export type Verdict = 'supported' | 'not supported' | 'inconclusive';

/** Which methods of a claims sweep play which part, where the ablation runs, and the thresholds. */
export interface ClaimsConfig {
  nuclear: string;
  adam: string;
  rmsprop: string;
  sgd: string;
  momentum: string;
  deep: string;
  /** Adam + L∗/F + --polish and GNMR told the rank (claims 7, 8; absent in results files older than them). */
  polished?: string;
  gnmr?: string;
  /** The control (spectral start + the polish's rank search, no L∗/F, no Adam) beside claims 7 and 8; absent in older results files. */
  control?: string;
  /** The sample count of the optimizer ablation (claims 3, 4). */
  compareAt: number;
  /** The sample count of claim 7 (the rank found unasked). */
  rankAt?: number;
  thresholds: ClaimThresholds;
  /** Claim 9 (the optimizer atlas): the depth-1 L∗/F method of each optimizer that ran, at compareAt; absent: no claim 9. */
  denominator?: Partial<Record<OptimizerName, string>>;
  /** Claim 10: the depth-1 run of an optimizer with each penalty of NORMALIZED_PAIRS, at compareAt; absent: no claim 10. */
  normalizedPenalties?: PenaltyRuns;
}

/** Per optimizer, the name of its runs with each penalty (claim 10's input). */
export type PenaltyRuns = Partial<Record<OptimizerName, Partial<Record<PenaltyName, string>>>>;

/**
 * Claim 10's pairs: a scale-invariant (normalized) penalty and its unnormalized counterpart. L∗/F = ‖W‖_∗/‖W‖_F beside
 * ‖W‖_∗; a normalized penalty added to the library adds its row here.
 */
export const NORMALIZED_PAIRS: readonly { normalized: PenaltyName; unnormalized: PenaltyName }[] = Object.freeze([
  { normalized: 'ratio', unnormalized: 'nuclear' },
  { normalized: 'nuclear-spectral', unnormalized: 'nuclear' },
]);

/** The numbers the verdicts compare against (relative errors ||W − W*||_F/||W*||_F unless said otherwise). */
export interface ClaimThresholds {
  /** A method "falters" above this error. */
  falter: number;
  /** A method "recovers" at or below this error. */
  recover: number;
  /** A method "does not recover" at or above this error. */
  fail: number;
  /** RMSProp keeps most of the gain: error at most max(rmspropAbs, rmspropFactor × Adam's mean). */
  rmspropAbs: number;
  rmspropFactor: number;
  /** Invariance checks of claim 5 must be below this. */
  invariance: number;
  /** Claim 6: depth-1 Adam's error at most deepFactor × depth-3's. */
  deepFactor: number;
  /** Claim 8: "recovers exactly" means relError at most this on every seed. */
  exact?: number;
}

/** One claim's outcome: what is claimed, the criterion, the numbers, the verdict. */
export interface ClaimResult {
  id: number;
  claim: string;
  criterion: string;
  evidence: string;
  verdict: Verdict;
}

/** A built-in claims sweep: its spec and the roles of its methods. */
export interface ClaimsPreset {
  spec: SweepSpec;
  config: ClaimsConfig;
}

/** The thresholds of the built-in claims (see ClaimThresholds). */
export const DEFAULT_THRESHOLDS: ClaimThresholds = {
  falter: 0.1,
  recover: 0.01,
  fail: 0.3,
  rmspropAbs: 0.02,
  rmspropFactor: 10,
  invariance: 1e-10,
  deepFactor: 2,
  exact: 1e-10,
};

const NAMES = {
  nuclear: 'nuclear-min',
  adam: 'adam + L*/F',
  rmsprop: 'rmsprop + L*/F',
  sgd: 'sgd + L*/F',
  momentum: 'momentum + L*/F',
  deep: 'depth 3, group-rmsprop',
  polished: 'adam + L*/F + polish',
  gnmr: 'gnmr (told the rank)',
  control: 'the control (spectral start + polish)',
};

/** The methods of a claims sweep, with the settings that differ between the quick and the full version. */
function claimsMethods(p: {
  lambda: number;
  adamLr: number;
  sgdLr: number;
  momentumLr: number;
  iters: number;
  deepLr: number;
  deepIters: number;
  adamSamples?: number[];
  compareAt: number;
  /** Claim 9's extra optimizers at compareAt, each with its learning rate (see denominatorMethods). */
  denominator?: { optimizer: OptimizerName; lr: number }[];
  /** Claim 9's extra runs only at these seeds (default: the sweep's). */
  denominatorSeeds?: number[];
  /** Claim 10: Adam with each penalty of NORMALIZED_PAIRS besides L∗/F, at compareAt and Adam's rate. */
  penaltyPairs?: boolean;
}): MethodSpec[] {
  // Every iteration cap is explicit, so the claims' runs do not move when a default does.
  const d = RUN_DEFAULTS;
  const ratio = {
    method: 'gradient',
    depth: 1,
    penalty: 'ratio',
    lambda: p.lambda,
    initScale: d.initScale,
    maxIters: p.iters,
    tol: defaultTol('ratio'),
  } as const;
  const at = [p.compareAt];
  return [
    { name: NAMES.nuclear, method: 'nuclear-min' },
    {
      name: NAMES.adam,
      ...ratio,
      optimizer: 'adam',
      lr: p.adamLr,
      ...(p.adamSamples ? { samples: p.adamSamples } : {}),
    },
    { name: NAMES.rmsprop, ...ratio, optimizer: 'rmsprop', lr: p.adamLr, samples: at },
    { name: NAMES.sgd, ...ratio, optimizer: 'sgd', lr: p.sgdLr, samples: at },
    { name: NAMES.momentum, ...ratio, optimizer: 'momentum', lr: p.momentumLr, samples: at },
    {
      name: NAMES.deep,
      method: 'gradient',
      depth: 3,
      penalty: 'none',
      lambda: 0,
      optimizer: 'group-rmsprop',
      lr: p.deepLr,
      initScale: d.initScale,
      maxIters: p.deepIters,
      tol: defaultTol('none'),
    },
    // Claims 7 and 8: the same Adam run with the rank-free Gauss–Newton finish, and GNMR told the true rank.
    { name: NAMES.polished, ...ratio, optimizer: 'adam', lr: p.adamLr, polish: true },
    { name: NAMES.gnmr, method: 'gnmr' },
    // What L∗/F + Adam add beyond the rank search and the Gauss–Newton finish (math.md 3.5e).
    { name: NAMES.control, method: 'spectral-polish' },
    ...(p.denominator ?? []).map(({ optimizer, lr }) => ({
      name: denominatorName(optimizer),
      ...ratio,
      optimizer,
      lr,
      samples: at,
      ...(p.denominatorSeeds ? { seeds: p.denominatorSeeds } : {}),
    })),
    ...(p.penaltyPairs ? pairedPenalties() : []).map((penalty) => ({
      name: penaltyRunName(penalty),
      ...ratio,
      penalty,
      optimizer: 'adam' as const,
      lr: p.adamLr,
      samples: at,
    })),
  ];
}

/** The penalties of NORMALIZED_PAIRS other than L∗/F (whose Adam run is claim 2's), in table order. */
function pairedPenalties(): PenaltyName[] {
  return [...new Set(NORMALIZED_PAIRS.flatMap((p) => [p.normalized, p.unnormalized]))].filter((p) => p !== 'ratio');
}

/** The name of claim 10's depth-1 Adam run with a penalty other than L∗/F. */
function penaltyRunName(penalty: PenaltyName): string {
  return `adam + ${penalty}`;
}

/** Claim 10's roles in a claims sweep: Adam's runs, claim 2's for L∗/F and penaltyRunName's for the rest. */
function penaltyRoles(adam: string): PenaltyRuns {
  return { adam: { ratio: adam, ...Object.fromEntries(pairedPenalties().map((p) => [p, penaltyRunName(p)])) } };
}

/** The name of claim 9's depth-1 L∗/F run of an optimizer that has no role in claims 2–4. */
function denominatorName(optimizer: OptimizerName): string {
  return `${optimizer} + L*/F`;
}

/** Optimizers whose step divides each coordinate (Adam, RMSProp, Adagrad, sign descent) or row and column (Adafactor) by its own magnitude. */
export const WITH_DENOMINATOR: readonly OptimizerName[] = Object.freeze([
  'adam',
  'rmsprop',
  'adagrad',
  'sign',
  'adafactor',
  'adamw',
  'adam-frozen',
] as const);
/** Optimizers without such a denominator that claim 9 says do not recover. */
export const WITHOUT_DENOMINATOR: readonly OptimizerName[] = Object.freeze([
  'sgd',
  'momentum',
  'normalized-gd',
] as const);
/** Optimizers that normalize per matrix or per singular value: if one of them recovers, claim 9 ("needs") fails. */
export const OTHER_NORMALIZATIONS: readonly OptimizerName[] = Object.freeze(['muon', 'group-rmsprop'] as const);

/**
 * Claim 9's extra runs, each optimizer at the step length of Adam at `adamLr` (a stated rule, no tuning): the
 * per-coordinate steps (sign, Adagrad's first step, Adafactor, AdamW, frozen Adam) move each entry by about lr, as
 * Adam does, so they take adamLr; normalized GD and group-RMSProp take unit-Frobenius steps, so n·adamLr gives
 * Adam's ‖u‖_F ≈ lr·n; Muon's polar factor has ‖UVᵀ‖_F = √n, so √n·adamLr.
 */
function denominatorMethods(n: number, adamLr: number): { optimizer: OptimizerName; lr: number }[] {
  const unit = (o: OptimizerName): number =>
    o === 'normalized-gd' || o === 'group-rmsprop' ? n : o === 'muon' ? Math.sqrt(n) : 1;
  const extra: OptimizerName[] = [
    'adagrad',
    'sign',
    'adafactor',
    'adamw',
    'adam-frozen',
    'normalized-gd',
    'muon',
    'group-rmsprop',
  ];
  return extra.map((optimizer) => ({ optimizer, lr: Number((unit(optimizer) * adamLr).toPrecision(6)) }));
}

/** Claim 9's method names: the roles of claims 2–4 for adam, rmsprop, sgd and momentum, denominatorName for the rest. */
function denominatorRoles(names: {
  adam: string;
  rmsprop: string;
  sgd: string;
  momentum: string;
}): Partial<Record<OptimizerName, string>> {
  const roles: Partial<Record<OptimizerName, string>> = {
    adam: names.adam,
    rmsprop: names.rmsprop,
    sgd: names.sgd,
    momentum: names.momentum,
  };
  for (const { optimizer } of denominatorMethods(1, 1)) roles[optimizer] = denominatorName(optimizer);
  return roles;
}

/** What the claims sweeps record at each checkpoint besides the spectrum: claim 5's invariance checks of L∗/F. */
const CLAIMS_PROBES = [INVARIANCE_PROBE.name];

/**
 * The quick claims sweep of `npm start` (n = 30, rank 2, 3 seeds), sized by measurement to finish in a few minutes
 * on 2 cores. At this size 12,000 Adam steps at lr 3e-3 with λ 1e-3 reach relError ≈ 1e-3 on every seed (the
 * protocol's lr 1e-3, λ 1e-4 needs about 15,000). sgd's lr 25 was the best of 25, 50, 100, 250 at seed 0, m = 270
 * (relError 0.42, 0.69, 1.6, 3.6: from lr 100 on the first penalty step, λ·lr/‖W₀‖_F, throws W far off); heavy
 * ball's 2.5 is the same effective step lr/(1 − 0.9).
 */
export const QUICK_CLAIMS: ClaimsPreset = {
  spec: {
    name: 'claims-quick',
    n: 30,
    rank: 2,
    samples: [200, 270, 400],
    seeds: [0, 1, 2],
    recordSpectrumEvery: 500,
    probes: CLAIMS_PROBES,
    methods: claimsMethods({
      lambda: 1e-3,
      adamLr: 3e-3,
      sgdLr: 25,
      momentumLr: 2.5,
      iters: 12000,
      deepLr: 1e-2,
      deepIters: 12000,
      adamSamples: [270, 400],
      compareAt: 270,
      denominator: denominatorMethods(30, 3e-3),
      // One seed keeps `npm start` short: claim 9's eight extra runs, not 24 (the full claims and the atlas run 3).
      denominatorSeeds: [0],
    }),
  },
  config: {
    ...NAMES,
    compareAt: 270,
    rankAt: 400,
    thresholds: DEFAULT_THRESHOLDS,
    denominator: denominatorRoles(NAMES),
  },
};

/**
 * The full protocol of docs/design/protocols.md section 4: n = 100, rank 5, m from 1000 to 5000, 3 seeds, Adam lr 1e-3
 * with λ 1e-4 for 25,000 steps (the reference settings), the ablation at m = 2000 (sgd lr 500 as there), depth-3 deep matrix
 * factorization with group-rmsprop lr 1e-3 to train MSE 1e-6 (at most 40,000 steps). Hours on 2 cores.
 */
export const FULL_CLAIMS: ClaimsPreset = {
  spec: {
    name: 'claims-full',
    n: 100,
    rank: 5,
    samples: [1000, 1500, 2000, 2500, 3000, 4000, 5000],
    seeds: [0, 1, 2],
    recordSpectrumEvery: 1000,
    probes: CLAIMS_PROBES,
    methods: claimsMethods({
      lambda: RUN_DEFAULTS.lambda,
      adamLr: RUN_DEFAULTS.lr,
      sgdLr: 500,
      momentumLr: 50,
      iters: RUN_DEFAULTS.maxIters,
      deepLr: 1e-3,
      deepIters: UNPENALIZED_MAX_ITERS,
      compareAt: 2000,
      denominator: denominatorMethods(100, RUN_DEFAULTS.lr),
      penaltyPairs: true,
    }),
  },
  config: {
    ...NAMES,
    compareAt: 2000,
    rankAt: 2000,
    thresholds: DEFAULT_THRESHOLDS,
    denominator: denominatorRoles(NAMES),
    normalizedPenalties: penaltyRoles(NAMES.adam),
  },
};

/** The built-in preset whose sweep name is `name`, if any (a report uses it to find the claims of a results file). */
export function claimsPresetFor(name: string): ClaimsPreset | undefined {
  return [QUICK_CLAIMS, FULL_CLAIMS].find((p) => p.spec.name === name);
}

/** Mean, sample standard deviation and count of a method's relError at one sample count (diverged runs apart). */
export interface GroupStats {
  mean: number;
  std: number;
  count: number;
  failed: number;
}

/** Stats of `values` (std with n − 1; 0 for a single value; NaN mean for none). */
export function meanStd(values: readonly number[]): { mean: number; std: number } {
  const n = values.length;
  if (n === 0) return { mean: NaN, std: NaN };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std };
}

/** relError stats of method `name` at `samples` over its seeds; null when it has no runs there. */
export function groupStats(records: readonly RunRecord[], name: string, samples: number): GroupStats | null {
  const runs = records.filter((r) => r.name === name && r.samples === samples);
  if (runs.length === 0) return null;
  const ok = runs.filter((r) => r.metrics !== null).map((r) => r.metrics!.relError);
  return { ...meanStd(ok), count: ok.length, failed: runs.length - ok.length };
}

/** "1.6e-1 ± 3.2e-2 (3 seeds)". */
export function formatStats(s: GroupStats | null): string {
  if (!s) return 'no runs';
  if (s.count === 0) return `all ${s.failed} runs diverged`;
  const failed = s.failed > 0 ? `, ${s.failed} diverged` : '';
  return `${s.mean.toExponential(1)} ± ${s.std.toExponential(1)} (${s.count} seed${s.count === 1 ? '' : 's'}${failed})`;
}

/** Supported when mean + std ≤ t, inconclusive when only the mean is, else not supported. */
export function atMost(s: GroupStats | null, t: number): Verdict {
  if (!s || s.count === 0) return 'inconclusive';
  if (s.mean + s.std <= t) return 'supported';
  return s.mean <= t ? 'inconclusive' : 'not supported';
}

/** Supported when mean − std ≥ t (or > t when `strict`), inconclusive when only the mean is, else not supported. */
export function atLeast(s: GroupStats | null, t: number, strict = false): Verdict {
  if (!s) return 'inconclusive';
  // Every run diverged: the method certainly did not recover.
  if (s.count === 0) return s.failed > 0 ? 'supported' : 'inconclusive';
  const beyond = (x: number): boolean => (strict ? x > t : x >= t);
  if (beyond(s.mean - s.std)) return 'supported';
  return beyond(s.mean) ? 'inconclusive' : 'not supported';
}

/** All of several verdicts: not supported if any is, else inconclusive if any is, else supported. */
export function allOf(verdicts: readonly Verdict[]): Verdict {
  if (verdicts.includes('not supported')) return 'not supported';
  return verdicts.includes('inconclusive') ? 'inconclusive' : 'supported';
}

/** Some of several verdicts: supported if any is, else inconclusive if any is, else not supported. */
export function anyOf(verdicts: readonly Verdict[]): Verdict {
  if (verdicts.includes('supported')) return 'supported';
  return verdicts.includes('inconclusive') ? 'inconclusive' : 'not supported';
}

/** Sample counts at which method `name` has runs, ascending. */
function samplesOf(records: readonly RunRecord[], name: string): number[] {
  return [...new Set(records.filter((r) => r.name === name).map((r) => r.samples))].sort((a, b) => a - b);
}

/** Evaluate the six claims of the method on the records of a claims sweep. Pure: numbers in, verdicts out. */
export function evaluateClaims(records: readonly RunRecord[], config: ClaimsConfig): ClaimResult[] {
  const t = config.thresholds;
  const g = (name: string, m: number): GroupStats | null => groupStats(records, name, m);
  const m0 = config.compareAt;
  const results: ClaimResult[] = [];

  // (1) Nuclear-norm minimization falters with few observations.
  const nmSamples = samplesOf(records, config.nuclear);
  const smallest = nmSamples[0];
  const nmSmall = smallest === undefined ? null : g(config.nuclear, smallest);
  results.push({
    id: 1,
    claim: 'nuclear-norm minimization falters with few observed entries',
    criterion: `${config.nuclear} relError mean − std > ${t.falter} at the smallest m`,
    evidence: smallest === undefined ? `no ${config.nuclear} runs` : `m=${smallest}: ${formatStats(nmSmall)}`,
    verdict: atLeast(nmSmall, t.falter, true),
  });

  // (2) Depth-1 + L∗/F + Adam recovers where the nuclear norm falters.
  const common = nmSamples.filter((m) => samplesOf(records, config.adam).includes(m));
  const perM = common.map((m) => ({ m, nm: g(config.nuclear, m), adam: g(config.adam, m) }));
  const v2 = perM.map((x) => allOf([atLeast(x.nm, t.falter, true), atMost(x.adam, t.recover)]));
  results.push({
    id: 2,
    claim: 'depth-1 W + L*/F + Adam recovers where the nuclear norm falters',
    criterion: `at some m: ${config.nuclear} mean − std > ${t.falter} and ${config.adam} mean + std ≤ ${t.recover}`,
    evidence:
      perM.length === 0
        ? `no m with runs of both ${config.nuclear} and ${config.adam}`
        : perM.map((x) => `m=${x.m}: nuclear-min ${formatStats(x.nm)}, adam ${formatStats(x.adam)}`).join('; '),
    verdict: perM.length === 0 ? 'inconclusive' : anyOf(v2),
  });

  // (3) The same penalty with SGD or heavy-ball momentum does not recover.
  const sgd = g(config.sgd, m0);
  const mom = g(config.momentum, m0);
  results.push({
    id: 3,
    claim: 'with SGD or heavy-ball momentum the same penalty does not recover',
    criterion: `at m=${m0}: ${config.sgd} and ${config.momentum} mean − std ≥ ${t.fail} (same steps as Adam)`,
    evidence: `sgd ${formatStats(sgd)}; momentum ${formatStats(mom)}`,
    verdict: allOf([atLeast(sgd, t.fail), atLeast(mom, t.fail)]),
  });

  // (4) Adam's denominator alone (RMSProp) keeps most of the gain; its numerator alone (momentum) does not.
  const adam0 = g(config.adam, m0);
  const rms = g(config.rmsprop, m0);
  const bound = Math.max(t.rmspropAbs, t.rmspropFactor * (adam0 && adam0.count > 0 ? adam0.mean : 0));
  results.push({
    id: 4,
    claim: "RMSProp (Adam's denominator alone) keeps most of the gain, momentum (its numerator alone) does not",
    criterion:
      `at m=${m0}: ${config.rmsprop} mean + std ≤ max(${t.rmspropAbs}, ${t.rmspropFactor} × Adam's mean) = ${bound.toExponential(1)}; ` +
      `${config.momentum} mean − std ≥ ${t.fail}`,
    evidence: `rmsprop ${formatStats(rms)}; adam ${formatStats(adam0)}; momentum ${formatStats(mom)}`,
    verdict: allOf([atMost(rms, bound), atLeast(mom, t.fail)]),
  });

  // (5) Scale invariance of L∗/F and ⟨∇R, W⟩ = 0 along training, at every recorded checkpoint.
  let checked = 0;
  let runs = 0;
  let maxGap = 0;
  let maxCos = 0;
  for (const r of records) {
    const cps = (r.checkpoints ?? []).filter((c) => c.scaleGap !== undefined && c.gradCosine !== undefined);
    if (cps.length > 0) runs++;
    for (const c of cps) {
      checked++;
      maxGap = Math.max(maxGap, c.scaleGap!);
      maxCos = Math.max(maxCos, c.gradCosine!);
    }
  }
  results.push({
    id: 5,
    claim: 'L*/F is scale-invariant and its gradient is orthogonal to W along training',
    criterion: `at every recorded checkpoint of every L*/F run: max_c |R(cW) − R(W)| < ${t.invariance} and |⟨∇R,W⟩|/(‖∇R‖‖W‖) < ${t.invariance}`,
    evidence:
      checked === 0
        ? 'no checkpoints recorded (recordSpectrumEvery = 0)'
        : `${checked} checkpoints of ${runs} runs: max |R(cW) − R(W)| = ${maxGap.toExponential(1)}, max cosine = ${maxCos.toExponential(1)}`,
    verdict:
      checked === 0 ? 'inconclusive' : maxGap < t.invariance && maxCos < t.invariance ? 'supported' : 'not supported',
  });

  // (6) Depth-1 + L∗/F + Adam matches or beats depth-3 deep matrix factorization (no penalty).
  const both = samplesOf(records, config.adam).filter((m) => samplesOf(records, config.deep).includes(m));
  const cmp = both.map((m) => ({ m, adam: g(config.adam, m), deep: g(config.deep, m) }));
  const v6 = cmp.map(({ adam, deep }): Verdict => {
    if (!adam || !deep || adam.count === 0 || deep.count === 0) return 'inconclusive';
    if (adam.mean + adam.std <= t.deepFactor * Math.max(deep.mean - deep.std, 0)) return 'supported';
    return adam.mean <= t.deepFactor * deep.mean ? 'inconclusive' : 'not supported';
  });
  results.push({
    id: 6,
    claim: 'depth-1 + L*/F + Adam matches or beats depth-3 deep matrix factorization',
    criterion: `at every m with both: ${config.adam} mean + std ≤ ${t.deepFactor} × (${config.deep} mean − std)`,
    evidence:
      cmp.length === 0
        ? `no m with runs of both ${config.adam} and ${config.deep}`
        : cmp.map((x) => `m=${x.m}: adam ${formatStats(x.adam)}, depth 3 ${formatStats(x.deep)}`).join('; '),
    verdict: cmp.length === 0 ? 'inconclusive' : allOf(v6),
  });
  if (config.polished && config.gnmr) results.push(...polishClaims(records, config));
  if (config.denominator) results.push(denominatorClaim(records, config.denominator, m0, t));
  if (config.normalizedPenalties) results.push(normalizedPenaltyClaim(records, config.normalizedPenalties, m0, t));
  return results;
}

/**
 * Claim 10 (the penalty side of "normalized quantities work") from depth-1 runs at m: for each pair of
 * NORMALIZED_PAIRS and each optimizer that ran both penalties, the normalized one "wins" when it recovers (mean + std
 * ≤ recover) and the unnormalized one does not (mean − std > recover); it "loses" when the reverse holds. Supported
 * when every pair that ran has a win and no loss; not supported when a pair has a loss or no win; inconclusive when no
 * pair ran or a listed run is missing or in between.
 */
export function normalizedPenaltyClaim(
  records: readonly RunRecord[],
  runs: PenaltyRuns,
  m: number,
  t: ClaimThresholds,
): ClaimResult {
  const recovers = (s: GroupStats | null): Verdict => atMost(s, t.recover);
  const fails = (s: GroupStats | null): Verdict => atLeast(s, t.recover, true);
  const pairs = NORMALIZED_PAIRS.map(({ normalized, unnormalized }) => {
    const rows = (Object.keys(runs) as OptimizerName[]).flatMap((o) => {
      const [a, b] = [runs[o]?.[normalized], runs[o]?.[unnormalized]];
      if (a === undefined || b === undefined) return [];
      return [{ o, norm: groupStats(records, a, m), unnorm: groupStats(records, b, m) }];
    });
    const win = rows.filter((r) => recovers(r.norm) === 'supported' && fails(r.unnorm) === 'supported');
    const loss = rows.filter((r) => recovers(r.unnorm) === 'supported' && fails(r.norm) === 'supported');
    const unclear = rows.some((r) => !r.norm || !r.unnorm || r.norm.count + r.norm.failed === 0);
    return { normalized, unnormalized, rows, win, loss, unclear };
  }).filter((p) => p.rows.length > 0);
  const verdict: Verdict =
    pairs.length === 0
      ? 'inconclusive'
      : pairs.some((p) => p.loss.length > 0 || (p.win.length === 0 && !p.unclear))
        ? 'not supported'
        : pairs.some((p) => p.unclear || p.win.length === 0)
          ? 'inconclusive'
          : 'supported';
  return {
    id: 10,
    claim: 'normalized penalties recover where their unnormalized counterparts do not, with the same optimizer',
    criterion:
      `at m=${m}, depth 1, per optimizer: ` +
      (pairs.length
        ? pairs.map((p) => `${p.normalized} vs ${p.unnormalized}`).join(', ')
        : NORMALIZED_PAIRS.map((p) => `${p.normalized} vs ${p.unnormalized}`).join(', ')) +
      `; the normalized one recovers (mean + std ≤ ${t.recover}) where the other does not (mean − std > ${t.recover}) for some optimizer, and never the reverse`,
    evidence:
      pairs.length === 0
        ? 'no optimizer ran both penalties of a pair'
        : pairs
            .map(
              (p) =>
                `${p.normalized} vs ${p.unnormalized}: ` +
                p.rows.map((r) => `${r.o} ${formatStats(r.norm)} vs ${formatStats(r.unnorm)}`).join('; ') +
                ` (normalized alone recovers: ${p.win.map((r) => r.o).join(', ') || 'none'}; unnormalized alone: ${p.loss.map((r) => r.o).join(', ') || 'none'}).`,
            )
            .join(' '),
    verdict,
  };
}

/**
 * Claim 9 (the optimizer atlas) from depth-1 L∗/F runs at m: every optimizer of WITH_DENOMINATOR that ran recovers (mean + std
 * ≤ recover), every one of WITHOUT_DENOMINATOR stays at or above `fail` (mean − std), and none of
 * OTHER_NORMALIZATIONS recovers (one that does refutes "needs", and the evidence says which). An optimizer missing
 * from `methods` is left out; one in it without runs makes the verdict inconclusive.
 */
export function denominatorClaim(
  records: readonly RunRecord[],
  methods: Partial<Record<OptimizerName, string>>,
  m: number,
  t: ClaimThresholds,
): ClaimResult {
  const stats = (names: readonly OptimizerName[]) =>
    names.filter((o) => methods[o] !== undefined).map((o) => ({ o, s: groupStats(records, methods[o] as string, m) }));
  const withD = stats(WITH_DENOMINATOR);
  const withoutD = stats(WITHOUT_DENOMINATOR);
  const others = stats(OTHER_NORMALIZATIONS);
  const recovered = (s: GroupStats | null): boolean => atMost(s, t.recover) === 'supported';
  const surprises = [...withoutD, ...others].filter((x) => recovered(x.s)).map((x) => x.o);
  const verdict = allOf([
    ...withD.map((x) => atMost(x.s, t.recover)),
    ...withoutD.map((x) => atLeast(x.s, t.fail)),
    ...others.map((x): Verdict =>
      recovered(x.s) ? 'not supported' : x.s && x.s.count + x.s.failed > 0 ? 'supported' : 'inconclusive',
    ),
  ]);
  const list = (xs: { o: OptimizerName; s: GroupStats | null }[]): string =>
    xs.map((x) => `${x.o} ${formatStats(x.s)}`).join('; ');
  return {
    id: 9,
    claim: 'recovery with L*/F needs a per-coordinate (or per-row/column) denominator',
    criterion:
      `at m=${m}, depth 1: ` +
      [
        withD.length ? `${withD.map((x) => x.o).join(', ')} mean + std ≤ ${t.recover}` : '',
        withoutD.length ? `${withoutD.map((x) => x.o).join(', ')} mean − std ≥ ${t.fail}` : '',
        others.length ? `${others.map((x) => x.o).join(', ')} do not recover` : '',
      ]
        .filter(Boolean)
        .join('; '),
    evidence:
      [
        withD.length ? `with a denominator: ${list(withD)}.` : '',
        withoutD.length ? `Without: ${list(withoutD)}.` : '',
        others.length ? `Per matrix or singular value: ${list(others)}.` : '',
      ]
        .filter(Boolean)
        .join(' ') +
      (surprises.length > 0
        ? ` ${surprises.length > 1 ? `${surprises.slice(0, -1).join(', ')} and ${surprises[surprises.length - 1]}` : surprises[0]} recover${surprises.length === 1 ? 's' : ''} without a per-coordinate denominator.`
        : ''),
    verdict,
  };
}

/** The estimated ranks and relErrors of a method's runs at m (the polish report rides in the metrics). */
function polishRuns(
  records: readonly RunRecord[],
  name: string,
  m: number,
): { rank: number | null; relError: number }[] {
  return records
    .filter((r) => r.name === name && r.samples === m && r.metrics)
    .map((r) => {
      // A polished gradient run reports its rank in metrics.polish, the control in metrics.estimatedRank.
      const m = r.metrics as {
        polish?: { estimatedRank: number | null };
        estimatedRank?: number | null;
        relError: number;
      };
      return { rank: m.polish?.estimatedRank ?? m.estimatedRank ?? null, relError: m.relError };
    });
}

/** Claims 7 and 8 (the rank found unasked; exact recovery wherever GNMR told the rank recovers). */
function polishClaims(records: readonly RunRecord[], config: ClaimsConfig): ClaimResult[] {
  const polished = config.polished as string;
  const gnmr = config.gnmr as string;
  const exact = config.thresholds.exact ?? 1e-10;
  const rankAt = config.rankAt ?? config.compareAt;
  const trueRank = records.find((r) => r.name === polished)?.rank;
  const at = polishRuns(records, polished, rankAt);
  // The control says whether L∗/F + Adam are what finds the rank and recovers, or the rank search and GN finish.
  const control =
    config.control !== undefined && records.some((r) => r.name === config.control) ? config.control : null;
  const controlAt = control === null ? [] : polishRuns(records, control, rankAt);
  const controlRank =
    controlAt.length === 0
      ? ''
      : `; ${control} estimated ${controlAt.map((x) => x.rank ?? 'none').join(', ')}` +
        (controlAt.every((x) => x.rank === trueRank)
          ? ': the control finds it too, so the rank search finds it here, not L*/F + Adam'
          : '');
  const out: ClaimResult[] = [];
  out.push({
    id: 7,
    claim: 'L*/F + Adam finds the true rank unasked',
    criterion: `at m=${rankAt}: the estimated rank of ${polished} equals the true rank on every seed`,
    evidence:
      at.length === 0
        ? `no ${polished} runs at m=${rankAt}`
        : `true rank ${trueRank}; estimated ${at.map((x) => x.rank ?? 'none').join(', ')}${controlRank}`,
    verdict: at.length === 0 ? 'inconclusive' : at.every((x) => x.rank === trueRank) ? 'supported' : 'not supported',
  });
  // Exact on every seed at m, per method.
  const exactAt = (name: string, m: number): boolean | null => {
    const runs = records.filter((r) => r.name === name && r.samples === m);
    if (runs.length === 0) return null;
    return runs.every((r) => r.metrics !== null && (r.metrics as { relError: number }).relError <= exact);
  };
  const ms = samplesOf(records, gnmr).filter((m) => samplesOf(records, polished).includes(m));
  const rows = ms.map((m) => ({
    m,
    gnmr: exactAt(gnmr, m),
    polished: exactAt(polished, m),
    control: control === null ? null : exactAt(control, m),
  }));
  const withControl = rows.filter((x) => x.control !== null);
  const polishOnly = withControl.filter((x) => x.polished && !x.control).map((x) => x.m);
  const controlOnly = withControl.filter((x) => x.control && !x.polished).map((x) => x.m);
  const controlVerdict =
    withControl.length === 0
      ? ''
      : polishOnly.length === 0 && controlOnly.length === 0
        ? '. The control is exact exactly where the polish is: L*/F + Adam add nothing to exact recovery here'
        : [
            polishOnly.length > 0
              ? `. Only the polish is exact at m=${polishOnly.join(', ')}: what L*/F + Adam add`
              : '',
            controlOnly.length > 0 ? `. Only the control is exact at m=${controlOnly.join(', ')}` : '',
          ].join('');
  const missed = rows.filter((x) => x.gnmr && !x.polished);
  const smallest = (key: 'gnmr' | 'polished'): number | undefined => rows.find((x) => x[key])?.m;
  const [sg, sp] = [smallest('gnmr'), smallest('polished')];
  out.push({
    id: 8,
    claim: 'with the polish it recovers exactly wherever GNMR told the rank does, at no larger m',
    criterion: `relError ≤ ${exact} on every seed: at every m where ${gnmr} is exact, ${polished} is too, and its smallest exact m is ≤ GNMR's`,
    evidence:
      rows.length === 0
        ? `no m with runs of both ${polished} and ${gnmr}`
        : rows
            .map(
              (x) =>
                `m=${x.m}: gnmr ${x.gnmr ? 'exact' : 'not'}, polish ${x.polished ? 'exact' : 'not'}` +
                (x.control === null ? '' : `, control ${x.control ? 'exact' : 'not'}`),
            )
            .join('; ') + controlVerdict,
    verdict:
      rows.length === 0 || sg === undefined
        ? 'inconclusive'
        : missed.length === 0 && sp !== undefined && sp <= sg
          ? 'supported'
          : 'not supported',
  });
  return out;
}

/** The claims as a plain-text table (one block per claim) for a terminal. */
export function formatClaims(results: readonly ClaimResult[]): string {
  return (
    results
      .map((r) =>
        [
          `(${r.id}) ${r.claim}: ${r.verdict.toUpperCase()}`,
          `    criterion: ${r.criterion}`,
          `    numbers:   ${r.evidence}`,
        ].join('\n'),
      )
      .join('\n') + '\n'
  );
}
