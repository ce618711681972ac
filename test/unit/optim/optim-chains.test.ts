// Optimizers as chains: the named chains against the arithmetic they replaced (bit for bit), hand-computed steps
// of single transforms, and a user-defined transform trained end to end through train().
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  chain,
  namedOptimizer,
  OPTIMIZER_NAMES,
  scale,
  scaleByAdam,
  scaleBySchedule,
  trace,
  type GradientTransform,
  type OptimizerName,
} from '../../../src/optim/index.ts';
import { syntheticProblem } from '../../../src/data/synthetic.ts';
import { train } from '../../../src/solver/train.ts';
import { DEFAULT_RUN_SPEC, runSynthetic, type DeepRunSpec } from '../../../src/methods/run.ts';
import { relativeError } from '../../../src/metrics/index.ts';
import { mulberry32 } from '../../helpers/random.ts';

/**
 * The named optimizers as they were computed before they became chains: one function per name, step t = 1, 2, …
 * passed explicitly, the second moments accumulated from the raw gradient g (Adam: m and v from the same g).
 * `u` holds g on entry and the update on exit.
 */
function referenceStepper(name: OptimizerName, lr: number, sizes: number[]): (u: Float64Array[], t: number) => void {
  const m = sizes.map((n) => new Float64Array(n));
  const v = sizes.map((n) => new Float64Array(n));
  const shared = new Float64Array(1);
  const each = (u: Float64Array[], f: (g: number, gi: number, i: number) => number): void => {
    for (let g = 0; g < u.length; g++) for (let i = 0; i < u[g].length; i++) u[g][i] = f(g, u[g][i], i);
  };
  return (u, t) => {
    switch (name) {
      case 'sgd':
        break;
      case 'momentum':
        each(u, (g, gi, i) => (m[g][i] = 0.9 * m[g][i] + gi));
        break;
      case 'adam': {
        const c1 = 1 - 0.9;
        const k1 = 1 - Math.pow(0.9, t);
        const c2 = 1 - 0.999;
        const k2 = 1 - Math.pow(0.999, t);
        each(u, (g, gi, i) => {
          m[g][i] = 0.9 * m[g][i] + c1 * gi;
          const numerator = m[g][i] / k1;
          v[g][i] = 0.999 * v[g][i] + c2 * gi * gi;
          return numerator / (Math.sqrt(v[g][i] / k2) + 1e-8);
        });
        break;
      }
      case 'rmsprop': {
        const c2 = 1 - 0.999;
        const k2 = 1 - Math.pow(0.999, t);
        each(u, (g, gi, i) => {
          v[g][i] = 0.999 * v[g][i] + c2 * gi * gi;
          return gi / (Math.sqrt(v[g][i] / k2) + 1e-8);
        });
        break;
      }
      case 'adagrad':
        each(u, (g, gi, i) => {
          v[g][i] = v[g][i] + gi * gi;
          return gi / (Math.sqrt(v[g][i]) + 1e-10);
        });
        break;
      case 'group-rmsprop': {
        let sumSq = 0;
        for (const ug of u) for (let i = 0; i < ug.length; i++) sumSq += ug[i] * ug[i];
        shared[0] = 0.99 * shared[0] + (1 - 0.99) * sumSq;
        const c = 1 / (Math.sqrt(shared[0] / (1 - Math.pow(0.99, t))) + 1e-4);
        each(u, (_g, gi) => gi * c);
        break;
      }
    }
    each(u, (_g, gi) => gi * -lr);
  };
}

describe('the named chains give the numbers of the arithmetic they replaced', () => {
  // The six optimizers that existed as hand-written arithmetic before chains; the atlas's were chains
  // from the start and are checked against hand-computed steps in optim-atlas.test.ts.
  const legacy: OptimizerName[] = ['sgd', 'momentum', 'adam', 'rmsprop', 'adagrad', 'group-rmsprop'];
  assert.ok(legacy.every((name) => OPTIMIZER_NAMES.includes(name)));
  for (const name of legacy) {
    it(`${name}: 200 steps on two groups, bit for bit`, () => {
      const sizes = [7, 3];
      const lr = 0.01;
      const opt = namedOptimizer(name, { lr });
      const state = opt.init(sizes);
      const ref = referenceStepper(name, lr, sizes);
      const rand = mulberry32(17);
      for (let t = 1; t <= 200; t++) {
        // Gradients over several orders of magnitude, zeros included.
        const grads = sizes.map((n) =>
          Float64Array.from({ length: n }, () => (rand() < 0.1 ? 0 : (rand() * 2 - 1) * 10 ** (4 * rand() - 2))),
        );
        const a = grads.map((g) => g.slice());
        const b = grads.map((g) => g.slice());
        opt.apply(a, state);
        ref(b, t);
        for (let g = 0; g < sizes.length; g++) assert.deepEqual(a[g], b[g], `step ${t} group ${g}`);
      }
    });
  }

  it('scaleByAdam as one transform equals Adam built from its two halves (first moment, then RMS of the raw g)', () => {
    // The halves: a bias-corrected trace m̂ and the RMS denominator fed the raw gradient.
    const b1 = 0.8;
    const b2 = 0.95;
    const eps = 1e-6;
    const sizes = [5];
    const adam = scaleByAdam({ b1, b2, eps });
    const state = adam.init(sizes);
    const m = new Float64Array(5);
    const v = new Float64Array(5);
    const rand = mulberry32(3);
    for (let t = 1; t <= 100; t++) {
      const g = Float64Array.from({ length: 5 }, () => rand() * 2 - 1);
      const u = [g.slice()];
      adam.apply(u, state);
      const expected = new Float64Array(5);
      for (let i = 0; i < 5; i++) {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        expected[i] = m[i] / (1 - Math.pow(b1, t)) / (Math.sqrt(v[i] / (1 - Math.pow(b2, t))) + eps);
      }
      assert.deepEqual(u[0], expected, `step ${t}`);
    }
    assert.equal(state.count, 100, 'the step count lives in the state');
  });
});

describe('single transforms, hand-computed', () => {
  it('trace(0.5) is heavy ball: m ← 0.5·m + g, u = m', () => {
    const t = trace(0.5);
    const s = t.init([2]);
    const u1 = [Float64Array.of(4, -2)];
    t.apply(u1, s);
    assert.deepEqual(Array.from(u1[0]), [4, -2]);
    const u2 = [Float64Array.of(1, 1)];
    t.apply(u2, s);
    // 0.5·[4, −2] + [1, 1] = [3, 0]
    assert.deepEqual(Array.from(u2[0]), [3, 0]);
  });

  it('scaleByAdam first step is g/(|g| + eps) whatever b1 and b2 (both corrections cancel)', () => {
    for (const [b1, b2] of [
      [0.9, 0.999],
      [0.5, 0.5],
    ]) {
      const t = scaleByAdam({ b1, b2, eps: 0.5 });
      const u = [Float64Array.of(2, -0.5)];
      t.apply(u, t.init([2]));
      assert.ok(Math.abs(u[0][0] - 2 / 2.5) < 1e-15 && Math.abs(u[0][1] + 0.5 / 1) < 1e-15, `${u[0]}`);
    }
  });

  it('two states of one transform count their steps independently', () => {
    const t = scaleBySchedule((k) => k);
    const s1 = t.init([1]);
    const s2 = t.init([1]);
    for (let k = 0; k < 3; k++) t.apply([Float64Array.of(1)], s1);
    const u = [Float64Array.of(1)];
    t.apply(u, s2);
    assert.equal(u[0][0], 1, 'the fresh state is at step 1');
    t.apply(u, s1);
    assert.equal(s1.count, 4);
  });
});

/** A user-defined transform: clip the updates to a global Euclidean norm of at most maxNorm (optax.clip_by_global_norm). */
function clipByGlobalNorm(maxNorm: number, seen: number[], passed: number[]): GradientTransform<null> {
  return {
    name: `clipByGlobalNorm(${maxNorm})`,
    init: () => null,
    apply(updates) {
      let sq = 0;
      for (const u of updates) for (let i = 0; i < u.length; i++) sq += u[i] * u[i];
      const norm = Math.sqrt(sq);
      const c = norm > maxNorm ? maxNorm / norm : 1;
      let out = 0;
      for (const u of updates) {
        for (let i = 0; i < u.length; i++) {
          u[i] *= c;
          out += u[i] * u[i];
        }
      }
      seen.push(norm);
      passed.push(Math.sqrt(out));
    },
  };
}

describe('training with a chain', () => {
  const spec: DeepRunSpec = { ...DEFAULT_RUN_SPEC, n: 20, rank: 2, samples: 160, lr: 1e-2, maxIters: 300 };
  const problem = syntheticProblem(spec);
  const base = {
    depth: 1,
    penalty: spec.penalty,
    lambda: spec.lambda,
    initScale: spec.initScale,
    seed: spec.seed,
    maxIters: spec.maxIters,
  };

  it('train({ optimizer: chain(scaleByAdam(), scale(-lr)) }) is the named adam run, bit for bit', () => {
    const r = train(problem.observations, { ...base, optimizer: chain(scaleByAdam(), scale(-spec.lr)) });
    const named = runSynthetic(spec);
    assert.equal(r.iterations, spec.maxIters);
    assert.equal(relativeError(r.W, problem.truth), named.relError);
    assert.equal(r.trainMSE, named.trainMSE);
  });

  it('a user-defined clipping transform trains: every update it passes on has norm <= the cap, and the fit improves', () => {
    const norms: number[] = [];
    const passed: number[] = [];
    const cap = 0.05;
    const clipped = train(problem.observations, {
      ...base,
      penalty: 'none',
      optimizer: chain(clipByGlobalNorm(cap, norms, passed), scale(-1)),
    });
    assert.equal(norms.length, clipped.iterations, 'the trainer applies the chain once per update');
    assert.ok(
      norms.some((x) => x > cap),
      'the cap was active (the case is not trivial)',
    );
    assert.ok(
      passed.every((x) => x <= cap * (1 + 1e-12)),
      `largest update passed on ${Math.max(...passed)}`,
    );
    const first = train(problem.observations, { ...base, penalty: 'none', maxIters: 1, optimizer: chain(scale(0)) });
    assert.ok(
      clipped.trainMSE < 0.5 * first.trainMSE,
      `train MSE ${clipped.trainMSE} vs ${first.trainMSE} at the start`,
    );
    // Clipping changes the run: without it, plain gradient descent with the same step is another trajectory.
    const unclipped = train(problem.observations, { ...base, penalty: 'none', optimizer: chain(scale(-1)) });
    assert.notEqual(unclipped.trainMSE, clipped.trainMSE);
  });

  it('a diverging chain names itself in the error', () => {
    assert.throws(
      () => train(problem.observations, { ...base, penalty: 'none', optimizer: chain(scale(-1e8)) }),
      /diverged.*optimizer chain\(scale\(-100000000\)\).*lower learning rate/,
    );
  });

  it('the optimizer must be a transform, not a name', () => {
    assert.throws(
      () => train(problem.observations, { ...base, optimizer: 'adam' as never }),
      /optimizer must be a GradientTransform.*"adam"/,
    );
  });
});
