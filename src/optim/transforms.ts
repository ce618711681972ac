// The gradient transforms (optax style). Each one is pure arithmetic on Float64Array groups, in place, with its
// state preallocated by init; the comments give each one's paper, formula and cost per step (P = parameters).
import { OPTIMIZER_DEFAULTS } from '../defaults.ts';
import type { GradientTransform } from './transform.ts';
import { checkFinite, checkNonNegative, checkShapes, checkUnitInterval, show, zeros } from './validate.ts';

/** State of scaleByAdam: the step count and the first and second moments, one array per group. */
export interface AdamState {
  count: number;
  mu: Float64Array[];
  nu: Float64Array[];
}

/** Adam's b1, b2 and eps from `opts` or OPTIMIZER_DEFAULTS.adam, checked; errors name `who`. */
function adamMoments(
  who: string,
  opts: { b1?: number; b2?: number; eps?: number },
): { b1: number; b2: number; eps: number } {
  const d = OPTIMIZER_DEFAULTS.adam;
  const b1 = opts.b1 ?? d.beta1;
  const b2 = opts.b2 ?? d.beta2;
  const eps = opts.eps ?? d.eps;
  checkUnitInterval(`${who}: b1`, b1);
  checkUnitInterval(`${who}: b2`, b2);
  checkNonNegative(`${who}: eps`, eps);
  return { b1, b2, eps };
}

/**
 * Adam's step direction (Kingma & Ba 2015, Algorithm 1), optax's scale_by_adam: from the incoming g,
 * m ← b1·m + (1−b1)·g and v ← b2·v + (1−b2)·g², then u ← m̂ / (sqrt(v̂) + eps) with the bias corrections
 * m̂ = m/(1 − b1^t), v̂ = v/(1 − b2^t) at step t = 1, 2, … (kept in the state). End the chain with scale(-lr).
 * Defaults b1 0.9, b2 0.999, eps 1e-8. Cost ~10 flops and one sqrt per parameter; state 2P.
 */
export function scaleByAdam(opts: { b1?: number; b2?: number; eps?: number } = {}): GradientTransform<AdamState> {
  const { b1, b2, eps } = adamMoments('scaleByAdam', opts);
  const name = `scaleByAdam(${b1}, ${b2}, ${eps})`;
  return {
    name,
    init: (sizes) => ({ count: 0, mu: zeros(name, sizes), nu: zeros(name, sizes) }),
    apply(updates, state) {
      checkShapes(name, updates, state.mu);
      const t = ++state.count;
      const c1 = 1 - b1;
      const c2 = 1 - b2;
      const correction1 = 1 - Math.pow(b1, t);
      const correction2 = 1 - Math.pow(b2, t);
      for (let g = 0; g < updates.length; g++) {
        const mg = state.mu[g];
        const vg = state.nu[g];
        const ug = updates[g];
        for (let i = 0; i < ug.length; i++) {
          const gi = ug[i];
          const mi = b1 * mg[i] + c1 * gi;
          const vi = b2 * vg[i] + c2 * gi * gi;
          mg[i] = mi;
          vg[i] = vi;
          ug[i] = mi / correction1 / (Math.sqrt(vi / correction2) + eps);
        }
      }
    },
  };
}

/**
 * Heavy-ball momentum (Polyak 1964), optax's trace: m ← decay·m + g, u ← m; with `nesterov`, u ← g + decay·m
 * (Nesterov's look-ahead as optax writes it, the momentum Muon uses). With scale(-lr) the effective step on a
 * constant gradient is lr/(1 − decay). Default decay 0.9. Cost 2–3 flops per parameter; state P.
 */
export function trace(
  decay: number = OPTIMIZER_DEFAULTS.momentum.momentum,
  nesterov = false,
): GradientTransform<Float64Array[]> {
  checkUnitInterval('trace: decay', decay);
  const name = nesterov ? `trace(${decay}, nesterov)` : `trace(${decay})`;
  return {
    name,
    init: (sizes) => zeros(name, sizes),
    apply(updates, m) {
      checkShapes(name, updates, m);
      for (let g = 0; g < m.length; g++) {
        const mg = m[g];
        const ug = updates[g];
        for (let i = 0; i < mg.length; i++) {
          const mi = decay * mg[i] + ug[i];
          mg[i] = mi;
          ug[i] = nesterov ? ug[i] + decay * mi : mi;
        }
      }
    },
  };
}

/** State of scaleByRms: the step count and the second moment, one array per group. */
export interface RmsState {
  count: number;
  nu: Float64Array[];
}

/**
 * RMSProp (Tieleman & Hinton 2012) as Adam's denominator alone: v ← decay·v + (1−decay)·g², u ← g / (sqrt(v̂) + eps)
 * with v̂ = v/(1 − decay^t). This is optax's scale_by_rms with a bias correction and eps outside the sqrt (optax:
 * g / sqrt(v + eps), no correction), so that chain(scaleByRms(), scale(-lr)) is Adam with b1 = 0 exactly.
 * Defaults decay 0.999, eps 1e-8 (Adam's). Cost ~6 flops and one sqrt per parameter; state P.
 */
export function scaleByRms(opts: { decay?: number; eps?: number } = {}): GradientTransform<RmsState> {
  const d = OPTIMIZER_DEFAULTS.rmsprop;
  const decay = opts.decay ?? d.beta2;
  const eps = opts.eps ?? d.eps;
  checkUnitInterval('scaleByRms: decay', decay);
  checkNonNegative('scaleByRms: eps', eps);
  const name = `scaleByRms(${decay}, ${eps})`;
  return {
    name,
    init: (sizes) => ({ count: 0, nu: zeros(name, sizes) }),
    apply(updates, state) {
      checkShapes(name, updates, state.nu);
      const t = ++state.count;
      const c = 1 - decay;
      const correction = 1 - Math.pow(decay, t);
      for (let g = 0; g < updates.length; g++) {
        const vg = state.nu[g];
        const ug = updates[g];
        for (let i = 0; i < ug.length; i++) {
          const gi = ug[i];
          const vi = decay * vg[i] + c * gi * gi;
          vg[i] = vi;
          ug[i] = gi / (Math.sqrt(vi / correction) + eps);
        }
      }
    },
  };
}

/**
 * Adagrad (Duchi, Hazan & Singer 2011), like optax's scale_by_rss but with eps outside the sqrt: a ← a + g²,
 * u ← g / (sqrt(a) + eps), a starting at initialAccumulator. Defaults eps 1e-10, initialAccumulator 0.
 * Cost ~4 flops and one sqrt per parameter; state P.
 */
export function scaleBySumOfSquares(
  opts: { eps?: number; initialAccumulator?: number } = {},
): GradientTransform<Float64Array[]> {
  const eps = opts.eps ?? OPTIMIZER_DEFAULTS.adagrad.eps;
  const initialAccumulator = opts.initialAccumulator ?? 0;
  checkNonNegative('scaleBySumOfSquares: eps', eps);
  checkNonNegative('scaleBySumOfSquares: initialAccumulator', initialAccumulator);
  const name = `scaleBySumOfSquares(${eps}, ${initialAccumulator})`;
  return {
    name,
    init(sizes) {
      const a = zeros(name, sizes);
      if (initialAccumulator !== 0) for (const ag of a) ag.fill(initialAccumulator);
      return a;
    },
    apply(updates, a) {
      checkShapes(name, updates, a);
      for (let g = 0; g < a.length; g++) {
        const ag = a[g];
        const ug = updates[g];
        for (let i = 0; i < ag.length; i++) {
          const gi = ug[i];
          const ai = ag[i] + gi * gi;
          ag[i] = ai;
          ug[i] = gi / (Math.sqrt(ai) + eps);
        }
      }
    },
  };
}

/** State of scaleByGroupRms: the step count and the one shared second moment (a length-1 array). */
export interface GroupRmsState {
  count: number;
  nu: Float64Array;
}

/**
 * One RMS scalar for all groups together (Arora, Cohen, Hu & Luo 2019, the default optimizer of their deep matrix
 * factorization): v ← decay·v + (1−decay)·Σ_groups ||g||², u ← g / (sqrt(v/(1 − decay^t)) + eps). The update keeps
 * the gradient's direction and adapts its length. Defaults decay 0.99, eps 1e-4. Cost ~3 flops per parameter; state 1.
 */
export function scaleByGroupRms(opts: { decay?: number; eps?: number } = {}): GradientTransform<GroupRmsState> {
  const d = OPTIMIZER_DEFAULTS['group-rmsprop'];
  const decay = opts.decay ?? d.alpha;
  const eps = opts.eps ?? d.eps;
  checkUnitInterval('scaleByGroupRms: decay', decay);
  checkNonNegative('scaleByGroupRms: eps', eps);
  const name = `scaleByGroupRms(${decay}, ${eps})`;
  return {
    name,
    init(sizes) {
      for (let g = 0; g < sizes.length; g++) {
        if (!Number.isInteger(sizes[g]) || sizes[g] < 0) {
          throw new RangeError(`${name}: sizes[${g}] must be an integer >= 0, got ${String(sizes[g])}`);
        }
      }
      return { count: 0, nu: new Float64Array(1) };
    },
    apply(updates, state) {
      const t = ++state.count;
      let sumSq = 0;
      for (let g = 0; g < updates.length; g++) {
        const ug = updates[g];
        for (let i = 0; i < ug.length; i++) sumSq += ug[i] * ug[i];
      }
      const v = decay * state.nu[0] + (1 - decay) * sumSq;
      state.nu[0] = v;
      const c = 1 / (Math.sqrt(v / (1 - Math.pow(decay, t))) + eps);
      for (let g = 0; g < updates.length; g++) {
        const ug = updates[g];
        for (let i = 0; i < ug.length; i++) ug[i] *= c;
      }
    },
  };
}

/** Multiply the updates by a constant, u ← factor·u (optax.scale; end a chain with scale(-lr)). Cost 1 flop per parameter. */
export function scale(factor: number): GradientTransform<null> {
  checkFinite('scale: factor', factor);
  return {
    name: `scale(${factor})`,
    init: () => null,
    apply(updates) {
      for (let g = 0; g < updates.length; g++) {
        const ug = updates[g];
        for (let i = 0; i < ug.length; i++) ug[i] *= factor;
      }
    },
  };
}

/** State of scaleBySchedule: the number of steps taken. */
export interface ScheduleState {
  count: number;
}

/**
 * Multiply the updates by schedule(t) at step t = 1, 2, … (optax.scale_by_schedule, which passes the 0-based count
 * instead); throws if the schedule gives a non-finite value. Cost 1 flop per parameter plus the schedule's.
 */
export function scaleBySchedule(schedule: (t: number) => number): GradientTransform<ScheduleState> {
  if (typeof schedule !== 'function') {
    throw new TypeError(`scaleBySchedule: schedule must be a function (t) => number, got ${typeof schedule}`);
  }
  const name = `scaleBySchedule(${schedule.name || 'anonymous'})`;
  return {
    name,
    init: () => ({ count: 0 }),
    apply(updates, state) {
      const t = ++state.count;
      const factor = schedule(t);
      if (typeof factor !== 'number' || !Number.isFinite(factor)) {
        throw new RangeError(`${name}: schedule(${t}) must be a finite number, got ${String(factor)}`);
      }
      for (let g = 0; g < updates.length; g++) {
        const ug = updates[g];
        for (let i = 0; i < ug.length; i++) ug[i] *= factor;
      }
    },
  };
}

/**
 * signSGD's direction (Bernstein, Wang, Azizzadenesheli & Anandkumar 2018): u_i ← sign(g_i) (0 stays 0). Every
 * coordinate moves by the same amount: the extreme per-coordinate normalization (Adam with b1 = b2 = 0, eps = 0).
 * Cost 1 comparison per parameter; no state.
 */
export function scaleBySign(): GradientTransform<null> {
  return {
    name: 'scaleBySign()',
    init: () => null,
    apply(updates) {
      for (const ug of updates) for (let i = 0; i < ug.length; i++) ug[i] = ug[i] > 0 ? 1 : ug[i] < 0 ? -1 : 0;
    },
  };
}

/**
 * Normalized gradient descent (Nesterov 1984; Hazan, Levy & Shalev-Shwartz 2015): the whole update, all groups
 * together, divided by its Frobenius norm, u ← g / (||g||_F + eps): one normalization per update, none per
 * coordinate, so the direction is the gradient's and only the length is fixed. Default eps 1e-16. Cost 3 flops per
 * parameter; no state.
 */
export function scaleByNorm(opts: { eps?: number } = {}): GradientTransform<null> {
  const eps = opts.eps ?? OPTIMIZER_DEFAULTS['normalized-gd'].eps;
  checkNonNegative('scaleByNorm: eps', eps);
  return {
    name: `scaleByNorm(${eps})`,
    init: () => null,
    apply(updates) {
      let sumSq = 0;
      for (const ug of updates) for (let i = 0; i < ug.length; i++) sumSq += ug[i] * ug[i];
      const c = 1 / (Math.sqrt(sumSq) + eps);
      for (const ug of updates) for (let i = 0; i < ug.length; i++) ug[i] *= c;
    },
  };
}

/** State of freezeDenominator: Adam's state plus the frozen bias correction of the second moment. */
export type FrozenAdamState = AdamState;

/**
 * Adam whose second moment stops updating after `t0` steps: steps 1..t0 are scaleByAdam's exactly; from step
 * t0 + 1 on, v and its bias correction 1 − b2^t0 stay fixed while the momentum m goes on. The denominator is then a
 * fixed diagonal preconditioner (normalized, no longer adaptive), which separates the two roles Adam's denominator
 * plays (the optimizer atlas separates them). Defaults as scaleByAdam. Cost as Adam until t0, then ~6 flops and one sqrt per parameter; state 2P.
 */
export function freezeDenominator(
  t0: number = OPTIMIZER_DEFAULTS['adam-frozen'].freezeAfter,
  opts: { b1?: number; b2?: number; eps?: number } = {},
): GradientTransform<FrozenAdamState> {
  if (!Number.isInteger(t0) || t0 < 1)
    throw new RangeError(`freezeDenominator: t0 must be an integer >= 1, got ${show(t0)}`);
  const { b1, b2, eps } = adamMoments('freezeDenominator', opts);
  const name = `freezeDenominator(${t0}, ${b1}, ${b2}, ${eps})`;
  return {
    name,
    init: (sizes) => ({ count: 0, mu: zeros(name, sizes), nu: zeros(name, sizes) }),
    apply(updates, state) {
      checkShapes(name, updates, state.mu);
      const t = ++state.count;
      const frozen = t > t0;
      const correction1 = 1 - Math.pow(b1, t);
      const correction2 = 1 - Math.pow(b2, Math.min(t, t0));
      for (let g = 0; g < updates.length; g++) {
        const mg = state.mu[g];
        const vg = state.nu[g];
        const ug = updates[g];
        for (let i = 0; i < ug.length; i++) {
          const gi = ug[i];
          const mi = b1 * mg[i] + (1 - b1) * gi;
          mg[i] = mi;
          if (!frozen) vg[i] = b2 * vg[i] + (1 - b2) * gi * gi;
          ug[i] = mi / correction1 / (Math.sqrt(vg[i] / correction2) + eps);
        }
      }
    },
  };
}

/**
 * Decoupled weight decay (Loshchilov & Hutter 2019, AdamW), optax's add_decayed_weights: u ← u + weightDecay·p,
 * placed after the step direction and before scale(-lr), so the decay is lr·weightDecay·p whatever the
 * denominator did. Needs the parameters: apply throws when the trainer passes none. Cost 2 flops per parameter; no
 * state.
 */
export function addDecayedWeights(weightDecay: number = OPTIMIZER_DEFAULTS.adamw.weightDecay): GradientTransform<null> {
  checkNonNegative('addDecayedWeights: weightDecay', weightDecay);
  const name = `addDecayedWeights(${weightDecay})`;
  return {
    name,
    init: () => null,
    apply(updates, _state, params) {
      if (!params) throw new TypeError(`${name}: apply needs the parameters (apply(updates, state, params))`);
      checkShapes(name, updates, params);
      for (let g = 0; g < updates.length; g++) {
        const ug = updates[g];
        const pg = params[g];
        for (let i = 0; i < ug.length; i++) ug[i] += weightDecay * pg[i];
      }
    },
  };
}
