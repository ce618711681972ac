import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyUpdates,
  chain,
  namedOptimizer,
  OPTIMIZER_NAMES,
  scale,
  scaleByAdam,
  scaleByGroupRms,
  scaleByRms,
  scaleBySchedule,
  scaleBySumOfSquares,
  trace,
  type GradientTransform,
  type OptimizerName,
  type OptimizerOptions,
} from '../../../src/optim/index.ts';
import { mulberry32 } from '../../helpers/random.ts';

const TOL = 1e-12;

function assertClose(actual: ArrayLike<number>, expected: readonly number[], tol = TOL, what = ''): void {
  assert.equal(actual.length, expected.length, `${what} length`);
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    assert.ok(diff <= tol, `${what}[${i}]: got ${actual[i]}, expected ${expected[i]} (diff ${diff})`);
  }
}

/** Run `opt` on one group and return the update produced at each step for the given gradients. */
function updatesFor(opt: GradientTransform, grads: number[][]): number[][] {
  const state = opt.init([grads[0].length]);
  return grads.map((g) => {
    const u = [Float64Array.from(g)];
    opt.apply(u, state);
    return Array.from(u[0]);
  });
}

/** Uniforms in [-1, 1) from mulberry32(seed). */
function rng(seed: number): () => number {
  const u = mulberry32(seed);
  return () => u() * 2 - 1;
}

describe('hand-computed steps', () => {
  it('sgd: u = -lr * g', () => {
    const us = updatesFor(namedOptimizer('sgd', { lr: 0.1 }), [
      [0.5, -1],
      [2, 0],
    ]);
    assertClose(us[0], [-0.05, 0.1]);
    assertClose(us[1], [-0.2, 0]);
  });

  it('momentum (heavy ball, mu = 0.9)', () => {
    const us = updatesFor(namedOptimizer('momentum', { lr: 0.1 }), [
      [1, -2],
      [0.5, 1],
      [0, 0],
    ]);
    // m1 = [1, -2]; u1 = -0.1 * m1
    assertClose(us[0], [-0.1, 0.2]);
    // m2 = 0.9*[1, -2] + [0.5, 1] = [1.4, -0.8]
    assertClose(us[1], [-0.14, 0.08]);
    // m3 = 0.9*[1.4, -0.8] + [0, 0] = [1.26, -0.72]
    assertClose(us[2], [-0.126, 0.072]);
  });

  it('adam (beta1 0.9, beta2 0.999, eps 1e-8) follows Kingma & Ba', () => {
    const us = updatesFor(namedOptimizer('adam', { lr: 0.1 }), [
      [2, -0.5],
      [1, 1],
      [0, -1],
    ]);
    // t=1: m = 0.1*g = [0.2, -0.05], m̂ = m/0.1 = [2, -0.5]
    //      v = 0.001*g² = [0.004, 0.00025], v̂ = v/0.001 = [4, 0.25], √v̂ = [2, 0.5]
    assertClose(us[0], [-0.1 * (2 / (2 + 1e-8)), -0.1 * (-0.5 / (0.5 + 1e-8))]);
    // t=2: m = 0.9*[0.2, -0.05] + 0.1*[1, 1] = [0.28, 0.055], 1 - 0.9² = 0.19
    //      v = 0.999*[0.004, 0.00025] + 0.001*[1, 1] = [0.004996, 0.00124975], 1 - 0.999² = 0.001999
    assertClose(us[1], [
      -0.1 * (0.28 / 0.19 / (Math.sqrt(0.004996 / 0.001999) + 1e-8)),
      -0.1 * (0.055 / 0.19 / (Math.sqrt(0.00124975 / 0.001999) + 1e-8)),
    ]);
    // t=3: m = 0.9*[0.28, 0.055] + 0.1*[0, -1] = [0.252, -0.0505], 1 - 0.9³ = 0.271
    //      v = 0.999*[0.004996, 0.00124975] + 0.001*[0, 1] = [0.004991004, 0.00224850025], 1 - 0.999³ = 0.002997001
    assertClose(us[2], [
      -0.1 * (0.252 / 0.271 / (Math.sqrt(0.004991004 / 0.002997001) + 1e-8)),
      -0.1 * (-0.0505 / 0.271 / (Math.sqrt(0.00224850025 / 0.002997001) + 1e-8)),
    ]);
  });

  it('rmsprop (Adam without the numerator: beta2 0.999, eps 1e-8)', () => {
    const us = updatesFor(namedOptimizer('rmsprop', { lr: 0.1 }), [
      [2, -0.5],
      [1, 1],
    ]);
    // t=1: v̂ = g², u = -0.1 * g/(|g| + 1e-8)
    assertClose(us[0], [-0.1 * (2 / (2 + 1e-8)), -0.1 * (-0.5 / (0.5 + 1e-8))]);
    // t=2: v = [0.004996, 0.00124975], 1 - 0.999² = 0.001999; numerator is the raw g = [1, 1]
    assertClose(us[1], [
      -0.1 * (1 / (Math.sqrt(0.004996 / 0.001999) + 1e-8)),
      -0.1 * (1 / (Math.sqrt(0.00124975 / 0.001999) + 1e-8)),
    ]);
  });

  it('adagrad (eps 1e-10, accumulator starts at 0)', () => {
    const us = updatesFor(namedOptimizer('adagrad', { lr: 0.1 }), [
      [3, -4],
      [4, 3],
      [0, 12],
    ]);
    // a1 = [9, 16], √a1 = [3, 4]
    assertClose(us[0], [-0.1 * (3 / (3 + 1e-10)), -0.1 * (-4 / (4 + 1e-10))]);
    // a2 = [9 + 16, 16 + 9] = [25, 25], √a2 = [5, 5]
    assertClose(us[1], [-0.1 * (4 / (5 + 1e-10)), -0.1 * (3 / (5 + 1e-10))]);
    // a3 = [25, 25 + 144] = [25, 169], √a3 = [5, 13]
    assertClose(us[2], [0, -0.1 * (12 / (13 + 1e-10))]);
  });

  it('adagrad initialAccumulator', () => {
    const us = updatesFor(chain(scaleBySumOfSquares({ eps: 0, initialAccumulator: 7 }), scale(-1)), [[3]]);
    // a = 7 + 9 = 16
    assertClose(us[0], [-3 / 4]);
  });

  it('group-rmsprop (alpha 0.99, eps 1e-4): one scalar over all groups', () => {
    const opt = namedOptimizer('group-rmsprop', { lr: 0.1 });
    const state = opt.init([2, 1]);
    // t=1: groups [3, 0] and [4]; sum of squares = 9 + 0 + 16 = 25
    //      v = 0.01*25 = 0.25, v̂ = 0.25/0.01 = 25, √v̂ = 5
    const u1 = [Float64Array.from([3, 0]), Float64Array.from([4])];
    opt.apply(u1, state);
    const c1 = -0.1 / (5 + 1e-4);
    assertClose(u1[0], [c1 * 3, 0]);
    assertClose(u1[1], [c1 * 4]);
    // t=2: groups [1, 2] and [2]; sum of squares = 1 + 4 + 4 = 9
    //      v = 0.99*0.25 + 0.01*9 = 0.3375, 1 - 0.99² = 0.0199
    const u2 = [Float64Array.from([1, 2]), Float64Array.from([2])];
    opt.apply(u2, state);
    const c2 = -0.1 / (Math.sqrt(0.3375 / 0.0199) + 1e-4);
    assertClose(u2[0], [c2 * 1, c2 * 2]);
    assertClose(u2[1], [c2 * 2]);
  });
});

describe('adam', () => {
  it('chain(scaleByAdam, scale) equals a direct Adam over 50 random steps', () => {
    const lr = 0.01;
    const b1 = 0.9;
    const b2 = 0.999;
    const eps = 1e-8;
    const sizes = [5, 3, 4];
    const rand = rng(42);
    const opt = chain(scaleByAdam({ b1, b2, eps }), scale(-lr));
    const state = opt.init(sizes);
    const params = sizes.map((n) => Float64Array.from({ length: n }, () => rand()));
    // Direct Adam, Algorithm 1 of Kingma & Ba (2015), plain arrays.
    const ref = params.map((p) => Array.from(p));
    const m = sizes.map((n) => new Array<number>(n).fill(0));
    const v = sizes.map((n) => new Array<number>(n).fill(0));
    for (let t = 1; t <= 50; t++) {
      const grads = sizes.map((n) => Array.from({ length: n }, () => 3 * rand()));
      for (let g = 0; g < sizes.length; g++) {
        for (let i = 0; i < sizes[g]; i++) {
          const gi = grads[g][i];
          m[g][i] = b1 * m[g][i] + (1 - b1) * gi;
          v[g][i] = b2 * v[g][i] + (1 - b2) * gi * gi;
          const mHat = m[g][i] / (1 - b1 ** t);
          const vHat = v[g][i] / (1 - b2 ** t);
          ref[g][i] = ref[g][i] - (lr * mHat) / (Math.sqrt(vHat) + eps);
        }
      }
      const updates = grads.map((g) => Float64Array.from(g));
      opt.apply(updates, state);
      applyUpdates(params, updates);
      for (let g = 0; g < sizes.length; g++) assertClose(params[g], ref[g], TOL, `step ${t} group ${g}`);
    }
  });

  it('namedOptimizer("adam") equals the explicit chain', () => {
    const rand = rng(3);
    const grads = Array.from({ length: 20 }, () => Array.from({ length: 6 }, () => rand()));
    const a = updatesFor(namedOptimizer('adam', { lr: 0.05, beta1: 0.8, beta2: 0.99, eps: 1e-6 }), grads);
    const b = updatesFor(chain(scaleByAdam({ b1: 0.8, b2: 0.99, eps: 1e-6 }), scale(-0.05)), grads);
    assert.deepEqual(a, b);
  });

  it('adam with beta1 = 0 equals rmsprop exactly (only the numerator differs)', () => {
    const rand = rng(7);
    const grads = Array.from({ length: 30 }, () => Array.from({ length: 8 }, () => 5 * rand()));
    const adam = updatesFor(namedOptimizer('adam', { lr: 0.02, beta1: 0 }), grads);
    const rms = updatesFor(namedOptimizer('rmsprop', { lr: 0.02 }), grads);
    assert.deepEqual(adam, rms);
    // ...and with the default beta1 they really do differ.
    const adamDefault = updatesFor(namedOptimizer('adam', { lr: 0.02 }), grads);
    assert.notDeepEqual(adamDefault, rms);
  });

  it('first step has magnitude lr*|g|/(|g|+eps) per coordinate', () => {
    const lr = 0.003;
    const g = [4, -0.25, 1e-3, -17, 0];
    for (const eps of [1e-8, 0.1]) {
      const [u] = updatesFor(namedOptimizer('adam', { lr, eps }), [g]);
      assertClose(
        u.map(Math.abs),
        g.map((x) => (lr * Math.abs(x)) / (Math.abs(x) + eps)),
        1e-15,
      );
      for (let i = 0; i < g.length; i++) if (g[i] !== 0) assert.equal(Math.sign(u[i]), -Math.sign(g[i]));
    }
  });
});

describe('group-rmsprop', () => {
  it('update is c*g with one c for all groups, matching the formula', () => {
    const alpha = 0.9;
    const eps = 1e-3;
    const lr = 0.5;
    const sizes = [4, 1, 6];
    const rand = rng(11);
    const opt = namedOptimizer('group-rmsprop', { lr, alpha, eps });
    const state = opt.init(sizes);
    let v = 0;
    for (let t = 1; t <= 10; t++) {
      const grads = sizes.map((n) => Array.from({ length: n }, () => rand()));
      const updates = grads.map((g) => Float64Array.from(g));
      opt.apply(updates, state);
      let sumSq = 0;
      for (const g of grads) for (const x of g) sumSq += x * x;
      v = alpha * v + (1 - alpha) * sumSq;
      const c = -lr / (Math.sqrt(v / (1 - alpha ** t)) + eps);
      const ratios: number[] = [];
      for (let g = 0; g < sizes.length; g++) {
        assertClose(
          updates[g],
          grads[g].map((x) => c * x),
          TOL,
          `step ${t} group ${g}`,
        );
        for (let i = 0; i < sizes[g]; i++) ratios.push(updates[g][i] / grads[g][i]);
      }
      for (const r of ratios) {
        assert.ok(
          Math.abs(r / ratios[0] - 1) < 1e-14,
          `same c for every coordinate of every group: ${r} vs ${ratios[0]}`,
        );
      }
    }
  });
});

describe('chains', () => {
  it('scaleByAdam accumulates v from the incoming gradient, not from its momentum', () => {
    const opt = scaleByAdam({ b1: 0.5, b2: 0, eps: 0 });
    const state = opt.init([1]);
    const u1 = [Float64Array.from([2])];
    opt.apply(u1, state);
    // m = 0.5·2 = 1, m̂ = 1/(1 − 0.5) = 2; v = g² = 4 (b2 = 0), u = 2/2
    assertClose(u1[0], [1]);
    const u2 = [Float64Array.from([1])];
    opt.apply(u2, state);
    // m = 0.5·1 + 0.5·1 = 1, m̂ = 1/(1 − 0.25) = 4/3; v = 1² = 1 (from g, not m), u = 4/3
    assertClose(u2[0], [4 / 3]);
  });

  it("each transform of a chain sees the previous one's output (optax semantics)", () => {
    const opt = chain(trace(0.5), scaleByRms({ decay: 0, eps: 0 }));
    const state = opt.init([1]);
    const u1 = [Float64Array.from([2])];
    opt.apply(u1, state);
    // m = 2; v = m² = 4, u = 2/2
    assertClose(u1[0], [1]);
    const u2 = [Float64Array.from([1])];
    opt.apply(u2, state);
    // m = 0.5·2 + 1 = 2; v = m² = 4 (the trace's output), u = 2/2
    assertClose(u2[0], [1]);
  });

  it('nested chains equal the flat chain', () => {
    const rand = rng(5);
    const grads = Array.from({ length: 15 }, () => Array.from({ length: 4 }, () => rand()));
    const rms = () => scaleByRms({ decay: 0.99, eps: 1e-8 });
    const flat = updatesFor(chain(trace(0.9), rms(), scale(-0.1)), grads);
    const nested = updatesFor(chain(chain(trace(0.9), rms()), scale(-0.1)), grads);
    const nested2 = updatesFor(chain(trace(0.9), chain(rms(), scale(-0.1))), grads);
    assert.deepEqual(nested, flat);
    assert.deepEqual(nested2, flat);
  });

  it('a transform used on its own reads the gradient from updates', () => {
    const t = scaleByRms({ decay: 0.5, eps: 0 });
    const state = t.init([2]);
    const u = [Float64Array.from([3, -2])];
    t.apply(u, state);
    assertClose(u[0], [1, -1]);
  });

  it('scaleBySchedule multiplies by schedule(t)', () => {
    const opt = chain(
      scaleBySchedule((t) => 1 / t),
      scale(-2),
    );
    const us = updatesFor(opt, [[3], [3], [3]]);
    assertClose(us.flat(), [-6, -3, -2]);
    const bad = scaleBySchedule(() => Number.NaN);
    assert.throws(() => bad.apply([Float64Array.from([1])], bad.init([1])), RangeError);
  });

  it('separate inits give independent states', () => {
    const opt = namedOptimizer('momentum', { lr: 1 });
    const s1 = opt.init([1]);
    const s2 = opt.init([1]);
    opt.apply([Float64Array.from([1])], s1);
    const u = [Float64Array.from([1])];
    opt.apply(u, s2);
    assertClose(u[0], [-1]);
  });

  it('names describe the chain', () => {
    assert.equal(chain(scaleByAdam(), scale(-0.1)).name, 'chain(scaleByAdam(0.9, 0.999, 1e-8), scale(-0.1))');
    assert.equal(namedOptimizer('adam', { lr: 0.1 }).name, 'adam(lr 0.1)');
    assert.equal(namedOptimizer('adam', { lr: 0.1, beta1: 0.8 }).name, 'adam(lr 0.1, beta1 0.8)');
  });
});

describe('every optimizer', () => {
  const lrs: Record<OptimizerName, number> = {
    sgd: 0.1,
    momentum: 0.05,
    adam: 0.1,
    rmsprop: 0.1,
    adagrad: 0.5,
    'group-rmsprop': 0.1,
    sign: 0.05,
    'normalized-gd': 0.05,
    adafactor: 0.1,
    muon: 0.05,
    adamw: 0.1,
    'adam-frozen': 0.1,
  };

  for (const name of OPTIMIZER_NAMES) {
    it(`${name} reduces f(x) = sum (x - c)^2 from x = 0`, () => {
      const c = [
        [1, -2, 3],
        [0.5, -0.5],
      ];
      const f = (x: Float64Array[]) =>
        x.reduce((s, xg, g) => s + xg.reduce((t, xi, i) => t + (xi - c[g][i]) ** 2, 0), 0);
      const x = c.map((cg) => new Float64Array(cg.length));
      const grads = c.map((cg) => new Float64Array(cg.length));
      const opt = namedOptimizer(name, { lr: lrs[name] });
      const state = opt.init(c.map((cg) => cg.length));
      const f0 = f(x);
      for (let t = 1; t <= 200; t++) {
        for (let g = 0; g < c.length; g++) for (let i = 0; i < c[g].length; i++) grads[g][i] = 2 * (x[g][i] - c[g][i]);
        opt.apply(grads, state, x);
        applyUpdates(x, grads);
      }
      const f1 = f(x);
      assert.ok(f1 < 0.01 * f0, `${name}: f went from ${f0} to ${f1}`);
    });

    it(`${name} keeps its state arrays (no allocation per step)`, () => {
      const sizes = [3, 2];
      const opt = namedOptimizer(name, { lr: 0.1 });
      const state = opt.init(sizes);
      const collect = (s: unknown, out: Float64Array[]): Float64Array[] => {
        if (s instanceof Float64Array) out.push(s);
        else if (Array.isArray(s)) for (const x of s) collect(x, out);
        else if (s !== null && typeof s === 'object') for (const x of Object.values(s)) collect(x, out);
        return out;
      };
      const before = collect(state, []);
      const copies = before.map((a) => Float64Array.from(a));
      const params = [Float64Array.from([0.1, 0.2, 0.3]), Float64Array.from([-1, 1])];
      for (let t = 1; t <= 3; t++)
        opt.apply([Float64Array.from([1, -2, 3]), Float64Array.from([0.5, 4])], state, params);
      const after = collect(state, []);
      assert.equal(after.length, before.length);
      for (let k = 0; k < before.length; k++) assert.equal(after[k], before[k], 'same typed array object');
      if (!['sgd', 'sign', 'normalized-gd'].includes(name)) {
        assert.ok(before.length > 0, 'stateful optimizer has typed-array state');
        assert.ok(
          before.some((a, k) => a.some((x, i) => x !== copies[k][i])),
          'state was updated in place',
        );
      }
      // Per-coordinate state is sized from `sizes`.
      for (const a of before) assert.ok(a.length === 1 || a.length === 3 || a.length === 2);
    });
  }
});

describe('validation', () => {
  it('bad lr names the option, the value and the allowed range', () => {
    for (const lr of [0, -0.1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(
        () => namedOptimizer('adam', { lr }),
        (e: unknown) =>
          e instanceof RangeError && /"lr"/.test(e.message) && e.message.includes(String(lr)) && /> 0/.test(e.message),
      );
    }
  });

  it('bad betas / momentum / alpha / eps name the option', () => {
    const cases: [keyof OptimizerOptions, number, RegExp][] = [
      ['beta1', 1, /\[0, 1\)/],
      ['beta2', -0.1, /\[0, 1\)/],
      ['momentum', 1.5, /\[0, 1\)/],
      ['alpha', Number.NaN, /\[0, 1\)/],
      ['eps', -1e-8, />= 0/],
    ];
    for (const [key, value, allowed] of cases) {
      assert.throws(
        () => namedOptimizer('adam', { lr: 0.1, [key]: value }),
        (e: unknown) =>
          e instanceof RangeError &&
          e.message.includes(`"${key}"`) &&
          e.message.includes(String(value)) &&
          allowed.test(e.message),
        key,
      );
    }
  });

  it('unknown name lists the valid names', () => {
    assert.throws(
      () => namedOptimizer('lion' as OptimizerName, { lr: 0.1 }),
      (e: unknown) =>
        e instanceof RangeError &&
        /name/.test(e.message) &&
        /lion/.test(e.message) &&
        OPTIMIZER_NAMES.every((n) => e.message.includes(n)),
    );
  });

  it('transform constructors validate their arguments', () => {
    assert.throws(() => scaleByAdam({ b1: 1 }), /scaleByAdam: b1/);
    assert.throws(() => trace(-0.1), /trace: decay/);
    assert.throws(() => scaleByRms({ decay: 0.9, eps: -1 }), /scaleByRms: eps/);
    assert.throws(() => scaleBySumOfSquares({ eps: 0, initialAccumulator: -1 }), /initialAccumulator/);
    assert.throws(() => scaleByGroupRms({ decay: 1, eps: 0 }), /scaleByGroupRms: decay/);
    assert.throws(() => scale(Number.NaN), /scale: factor/);
  });

  it('shape mismatches are rejected', () => {
    const opt = namedOptimizer('adam', { lr: 0.1 });
    const state = opt.init([2]);
    assert.throws(() => opt.apply([new Float64Array(3)], state), RangeError);
    assert.throws(() => applyUpdates([new Float64Array(2)], [new Float64Array(3)]), RangeError);
    assert.throws(() => opt.init([-1]), RangeError);
  });

  it('applyUpdates adds in place', () => {
    const p = [Float64Array.from([1, 2]), Float64Array.from([3])];
    applyUpdates(p, [Float64Array.from([0.5, -2]), Float64Array.from([1])]);
    assert.deepEqual(
      p.map((x) => Array.from(x)),
      [[1.5, 0], [4]],
    );
  });
});

it('namedOptimizer refuses an option its chain does not use, with a did-you-mean for a misspelt one', () => {
  assert.throws(
    () => namedOptimizer('adam', { lr: 0.1, alpha: 0.5 } as never),
    /namedOptimizer\("adam"\): option "alpha" does not apply to adam; its options: lr, beta1, beta2, eps/,
  );
  assert.throws(
    () => namedOptimizer('adam', { lr: 0.1, beta: 0.5 } as never),
    /option "beta" does not apply to adam \(did you mean beta1\?\)/,
  );
  assert.throws(
    () => namedOptimizer('sgd', { lr: 0.1, momentum: 0.9 }),
    /option "momentum" does not apply to sgd; its options: lr$/,
  );
  // An option that applies is still taken, and an undefined one is as if absent.
  assert.equal(
    namedOptimizer('group-rmsprop', { lr: 0.1, alpha: 0.9, beta1: undefined }).name,
    'group-rmsprop(lr 0.1, alpha 0.9)',
  );
});
