import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRng } from '../../../src/random/index.ts';
import { PENALTY_NAMES } from '../../../src/penalty/index.ts';
import { OPTIMIZER_NAMES } from '../../../src/optim/index.ts';
import {
  decodeState,
  DEFAULT_STATE,
  encodeState,
  MAX_N,
  sameTraining,
  sampleCount,
  type PageState,
} from '../../../web/state.ts';

/** A random valid state (numbers of every magnitude the page accepts). */
function randomState(seed: number): PageState {
  const rng = createRng(seed);
  const n = 2 + rng.int(MAX_N - 1);
  const logUniform = (lo: number, hi: number): number =>
    Math.exp(Math.log(lo) + rng.uniform() * (Math.log(hi) - Math.log(lo)));
  const run = () => ({
    depth: 1 + rng.int(4),
    penalty: PENALTY_NAMES[rng.int(PENALTY_NAMES.length)],
    lambda: rng.int(5) === 0 ? 0 : logUniform(1e-8, 1),
    optimizer: OPTIMIZER_NAMES[rng.int(OPTIMIZER_NAMES.length)],
    lr: logUniform(1e-6, 1000),
  });
  return {
    n,
    rank: 1 + rng.int(n),
    fraction: Math.max(1 / (n * n), rng.uniform()),
    seed: rng.int(2 ** 31 - 1),
    initScale: logUniform(1e-9, 1),
    maxSteps: 1 + rng.int(1e6),
    speed: rng.int(2) ? 0 : 1 + rng.int(10000),
    runs: [run(), run()],
  };
}

describe('page state in the URL', () => {
  it('round-trips every setting exactly, with no problems reported', () => {
    for (let seed = 0; seed < 200; seed++) {
      const state = randomState(seed);
      const { state: back, problems } = decodeState(encodeState(state));
      assert.deepEqual(back, state, `seed ${seed}`);
      assert.deepEqual(problems, []);
    }
  });

  it('accepts a leading "?" and gives the defaults for an empty query', () => {
    assert.deepEqual(decodeState('').state, DEFAULT_STATE);
    const s = { ...DEFAULT_STATE, n: 50 };
    assert.deepEqual(decodeState(`?${encodeState(s)}`).state, s);
  });

  it('fills missing keys from the defaults', () => {
    const { state, problems } = decodeState('n=40&b.opt=rmsprop');
    assert.equal(state.n, 40);
    assert.equal(state.runs[1].optimizer, 'rmsprop');
    assert.equal(state.runs[0].optimizer, DEFAULT_STATE.runs[0].optimizer);
    assert.equal(state.maxSteps, DEFAULT_STATE.maxSteps);
    assert.deepEqual(problems, []);
  });

  it('clamps out-of-range values and reports them', () => {
    const { state, problems } = decodeState('n=500&rank=200&frac=2&a.depth=9&b.lr=-1');
    assert.equal(state.n, MAX_N);
    assert.equal(state.rank, MAX_N);
    assert.equal(state.fraction, 1);
    assert.equal(state.runs[0].depth, 4);
    assert.ok(state.runs[1].lr > 0);
    assert.equal(problems.length, 5);
    assert.match(problems[0], /^n=500 is outside 2…100; using 100$/);
  });

  it('falls back to the default for garbage and unknown names, and says so', () => {
    const { state, problems } = decodeState('seed=abc&a.pen=lasso&a.opt=&n=3.5');
    assert.equal(state.seed, DEFAULT_STATE.seed);
    assert.equal(state.runs[0].penalty, DEFAULT_STATE.runs[0].penalty);
    assert.equal(state.runs[0].optimizer, DEFAULT_STATE.runs[0].optimizer);
    assert.equal(state.n, 4);
    assert.equal(problems.length, 4);
    assert.ok(problems.some((p) => p.includes('a.pen=lasso is not one of none, nuclear, frobenius, ratio')));
  });

  it('keeps the rank within n when only n is given', () => {
    assert.equal(decodeState('n=2').state.rank, 2);
  });

  it('counts observed entries as round(fraction·n²), at least one', () => {
    assert.equal(sampleCount({ n: 30, fraction: 0.3 }), 270);
    assert.equal(sampleCount({ n: 10, fraction: 0.0001 }), 1);
    assert.equal(sampleCount({ n: 10, fraction: 1 }), 100);
  });

  it('tells a speed change from a change of what is trained', () => {
    assert.ok(sameTraining(DEFAULT_STATE, { ...DEFAULT_STATE, speed: 100 }));
    assert.ok(!sameTraining(DEFAULT_STATE, { ...DEFAULT_STATE, seed: 1 }));
    const runs: PageState['runs'] = [DEFAULT_STATE.runs[0], { ...DEFAULT_STATE.runs[1], lr: 1 }];
    assert.ok(!sameTraining(DEFAULT_STATE, { ...DEFAULT_STATE, runs }));
  });
});

describe('the optimizers the page offers', () => {
  it('every named optimizer (the atlas ones included) is accepted in both runs', () => {
    for (const name of ['sign', 'normalized-gd', 'adafactor', 'muon', 'adamw', 'adam-frozen'])
      assert.ok(OPTIMIZER_NAMES.includes(name as never), name);
    for (const name of OPTIMIZER_NAMES) {
      const { state, problems } = decodeState(`a.opt=${name}&b.opt=${name}`);
      assert.deepEqual(problems, []);
      assert.deepEqual(
        state.runs.map((r) => r.optimizer),
        [name, name],
      );
    }
  });
});
