import type { GradientTransform } from './transform.ts';
import {
  checkFinite,
  checkNonNegative,
  checkShapes,
  checkStep,
  checkUnitInterval,
  zeros,
} from './validate.ts';

/** Adam's bias-corrected first moment: m <- b1*m + (1-b1)*u, u <- m / (1 - b1^t). */
export function traceMomentum(beta1: number): GradientTransform<Float64Array[]> {
  checkUnitInterval('traceMomentum: beta1', beta1);
  const name = `traceMomentum(${beta1})`;
  return {
    name,
    init: (sizes) => zeros(name, sizes),
    apply(updates, m, step) {
      checkStep(name, step);
      checkShapes(name, updates, m);
      const c = 1 - beta1;
      const correction = 1 - Math.pow(beta1, step);
      for (let g = 0; g < m.length; g++) {
        const mg = m[g];
        const ug = updates[g];
        for (let i = 0; i < mg.length; i++) {
          const mi = beta1 * mg[i] + c * ug[i];
          mg[i] = mi;
          ug[i] = mi / correction;
        }
      }
    },
  };
}

/** Heavy-ball (Polyak) momentum: m <- mu*m + u, u <- m. */
export function heavyBall(mu: number): GradientTransform<Float64Array[]> {
  checkUnitInterval('heavyBall: mu', mu);
  const name = `heavyBall(${mu})`;
  return {
    name,
    init: (sizes) => zeros(name, sizes),
    apply(updates, m, _step) {
      checkShapes(name, updates, m);
      for (let g = 0; g < m.length; g++) {
        const mg = m[g];
        const ug = updates[g];
        for (let i = 0; i < mg.length; i++) {
          const mi = mu * mg[i] + ug[i];
          mg[i] = mi;
          ug[i] = mi;
        }
      }
    },
  };
}

/** Adam's denominator: v <- b2*v + (1-b2)*g^2 from the RAW gradient, u <- u / (sqrt(v / (1 - b2^t)) + eps). */
export function scaleByRms(beta2: number, eps: number): GradientTransform<Float64Array[]> {
  checkUnitInterval('scaleByRms: beta2', beta2);
  checkNonNegative('scaleByRms: eps', eps);
  const name = `scaleByRms(${beta2}, ${eps})`;
  return {
    name,
    init: (sizes) => zeros(name, sizes),
    apply(updates, v, step, grads = updates) {
      checkStep(name, step);
      checkShapes(name, updates, v);
      const c = 1 - beta2;
      const correction = 1 - Math.pow(beta2, step);
      for (let g = 0; g < v.length; g++) {
        const vg = v[g];
        const ug = updates[g];
        const gg = grads[g];
        for (let i = 0; i < vg.length; i++) {
          const gi = gg[i];
          const vi = beta2 * vg[i] + c * gi * gi;
          vg[i] = vi;
          ug[i] = ug[i] / (Math.sqrt(vi / correction) + eps);
        }
      }
    },
  };
}

/** Adagrad: a <- a + g^2 from the RAW gradient (a starts at initialAccumulator, default 0), u <- u / (sqrt(a) + eps). */
export function scaleBySumOfSquares(eps: number, initialAccumulator = 0): GradientTransform<Float64Array[]> {
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
    apply(updates, a, _step, grads = updates) {
      checkShapes(name, updates, a);
      for (let g = 0; g < a.length; g++) {
        const ag = a[g];
        const ug = updates[g];
        const gg = grads[g];
        for (let i = 0; i < ag.length; i++) {
          const gi = gg[i];
          const ai = ag[i] + gi * gi;
          ag[i] = ai;
          ug[i] = ug[i] / (Math.sqrt(ai) + eps);
        }
      }
    },
  };
}

/**
 * One RMS scalar shared by all groups (Arora et al. 2019's default): v <- alpha*v + (1-alpha)*sum_groups ||g||^2
 * from the RAW gradient, u <- u / (sqrt(v / (1 - alpha^t)) + eps). State is a length-1 Float64Array holding v.
 */
export function scaleByGroupRms(alpha: number, eps: number): GradientTransform<Float64Array> {
  checkUnitInterval('scaleByGroupRms: alpha', alpha);
  checkNonNegative('scaleByGroupRms: eps', eps);
  const name = `scaleByGroupRms(${alpha}, ${eps})`;
  return {
    name,
    init(sizes) {
      // No per-coordinate state: validate the sizes, keep one scalar.
      for (let g = 0; g < sizes.length; g++) {
        if (!Number.isInteger(sizes[g]) || sizes[g] < 0) {
          throw new RangeError(`${name}: sizes[${g}] must be an integer >= 0, got ${String(sizes[g])}`);
        }
      }
      return new Float64Array(1);
    },
    apply(updates, v, step, grads = updates) {
      checkStep(name, step);
      if (grads.length !== updates.length) {
        throw new RangeError(`${name}: got ${updates.length} update groups but ${grads.length} gradient groups`);
      }
      let sumSq = 0;
      for (let g = 0; g < grads.length; g++) {
        const gg = grads[g];
        for (let i = 0; i < gg.length; i++) sumSq += gg[i] * gg[i];
      }
      const vNew = alpha * v[0] + (1 - alpha) * sumSq;
      v[0] = vNew;
      const c = 1 / (Math.sqrt(vNew / (1 - Math.pow(alpha, step))) + eps);
      for (let g = 0; g < updates.length; g++) {
        const ug = updates[g];
        for (let i = 0; i < ug.length; i++) ug[i] *= c;
      }
    },
  };
}

/** Multiply updates by a constant: u <- factor*u (end a chain with scale(-lr)). */
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

/** Multiply updates by schedule(t) at step t; throws if the schedule returns a non-finite value. */
export function scaleBySchedule(schedule: (t: number) => number): GradientTransform<null> {
  if (typeof schedule !== 'function') {
    throw new TypeError(`scaleBySchedule: schedule must be a function (t) => number, got ${typeof schedule}`);
  }
  const name = `scaleBySchedule(${schedule.name || 'anonymous'})`;
  return {
    name,
    init: () => null,
    apply(updates, _state, step) {
      const factor = schedule(step);
      if (typeof factor !== 'number' || !Number.isFinite(factor)) {
        throw new RangeError(`${name}: schedule(${step}) must be a finite number, got ${String(factor)}`);
      }
      for (let g = 0; g < updates.length; g++) {
        const ug = updates[g];
        for (let i = 0; i < ug.length; i++) ug[i] *= factor;
      }
    },
  };
}
