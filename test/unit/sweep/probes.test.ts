import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { frobeniusNorm } from '../../../src/linalg/matrix.ts';
import {
  INVARIANCE_PROBE,
  probeNamed,
  registerProbe,
  TAIL_STEP_PROBE,
  type CheckpointProbe,
} from '../../../src/methods/probes.ts';
import { executeTask } from '../../../src/sweep/execute.ts';
import {
  DEFAULT_PROBES,
  expandSweep,
  SpecError,
  taskProbes,
  validateSweepSpec,
  type SweepSpec,
} from '../../../src/sweep/spec.ts';

/** A study's own probe: the Frobenius norm of W, on runs of depth 1 only; and one that measures the next step. */
const TOY: CheckpointProbe = {
  name: 'toy-norm',
  doc: 'toyNorm: ||W||_F (depth 1 only)',
  applies: (s) => 'depth' in s && s.depth === 1,
  measure: ({ W }) => ({ toyNorm: frobeniusNorm(W) }),
};
const TOY_NEXT: CheckpointProbe = {
  name: 'toy-next',
  doc: 'toyMove: ||W_{t+1} − W_t||_F',
  applies: () => true,
  nextStep: true,
  measure: ({ W, next }) => ({
    toyMove: Math.sqrt(W.data.reduce((sum, w, i) => sum + (next!.data[i] - w) ** 2, 0)),
  }),
};

/** A tiny sweep: L∗/F at depth 1 and 2, 30 steps, a checkpoint every 10. */
function toySweep(probes?: string[]): SweepSpec {
  const ratio = {
    method: 'gradient',
    penalty: 'ratio',
    lambda: 1e-3,
    optimizer: 'adam',
    lr: 1e-2,
    maxIters: 30,
  } as const;
  return {
    name: 'toy',
    n: 8,
    rank: 1,
    samples: [40],
    seeds: [1],
    recordSpectrumEvery: 10,
    methods: [
      { name: 'depth 1', ...ratio, depth: 1 },
      { name: 'depth 2', ...ratio, depth: 2 },
    ],
    ...(probes ? { probes } : {}),
  };
}

describe('checkpoint probes', () => {
  registerProbe(TOY);
  registerProbe(TOY_NEXT);

  it('a sweep that names a study’s probe gets its field at every checkpoint of the runs it applies to, and only its probes', () => {
    const tasks = expandSweep(toySweep(['toy-norm']));
    assert.deepEqual(taskProbes(tasks[0]), ['toy-norm']);
    const [d1, d2] = tasks.map((t) => executeTask(t, { version: 't', sweep: 'toy' }));
    assert.deepEqual(
      d1.checkpoints!.map((c) => c.step),
      [10, 20, 30],
    );
    for (const cp of d1.checkpoints!) {
      const fields = cp as unknown as Record<string, unknown>;
      assert.ok(typeof fields.toyNorm === 'number' && fields.toyNorm > 0, `toyNorm at step ${cp.step}`);
      assert.equal(cp.scaleGap, undefined, 'the invariance probe was not named');
    }
    for (const cp of d2.checkpoints!) assert.equal((cp as unknown as Record<string, unknown>).toyNorm, undefined);
  });

  it('a next-step probe measures the update after each checkpoint, with the run’s numbers unchanged', () => {
    const [plain] = expandSweep(toySweep([]));
    const [moved] = expandSweep(toySweep(['toy-next']));
    const a = executeTask(plain, { version: 't', sweep: 'toy' });
    const b = executeTask(moved, { version: 't', sweep: 'toy' });
    assert.deepEqual({ ...b.metrics, seconds: 0 }, { ...a.metrics, seconds: 0 });
    assert.deepEqual(
      b.checkpoints!.map((c) => c.s),
      a.checkpoints!.map((c) => c.s),
    );
    const cps = b.checkpoints! as unknown as Record<string, number>[];
    for (const cp of cps.slice(0, -1)) assert.ok(cp.toyMove > 0, `toyMove at step ${cp.step}`);
    assert.equal(cps.at(-1)!.toyMove, undefined, 'no update follows the last step');
  });

  it('a sweep without probes gets the default, the invariance checks on L∗/F runs, with the keys it always had', () => {
    assert.deepEqual(DEFAULT_PROBES, [INVARIANCE_PROBE.name]);
    const plain = expandSweep(toySweep());
    const named = expandSweep(toySweep([INVARIANCE_PROBE.name]));
    assert.deepEqual(
      named.map((t) => t.key),
      plain.map((t) => t.key),
    );
    assert.ok(!plain[0].key.includes('probes'));
    const rec = executeTask(plain[0], { version: 't', sweep: 'toy' });
    assert.ok(rec.checkpoints!.every((c) => c.scaleGap !== undefined && c.gradCosine !== undefined));
    // Another list is part of the key; recordTailStep adds the tail-step probe.
    assert.ok(expandSweep(toySweep(['toy-norm']))[0].key.includes('"probes":["toy-norm"]'));
    assert.deepEqual(taskProbes(expandSweep({ ...toySweep(), recordTailStep: true })[0]), [
      INVARIANCE_PROBE.name,
      TAIL_STEP_PROBE.name,
    ]);
  });

  it('a spec file may name probes; an unknown one is a SpecError naming the field', () => {
    const raw = { n: 8, rank: 1, samples: [40], seeds: [1], methods: [{ name: 'g', method: 'gradient' }] };
    assert.deepEqual(validateSweepSpec({ ...raw, probes: ['invariance'] }, 's.json').probes, ['invariance']);
    assert.equal(validateSweepSpec(raw, 's.json').probes, undefined);
    assert.throws(
      () => validateSweepSpec({ ...raw, probes: ['nope'] }, 's.json'),
      (e: unknown) => e instanceof SpecError && /probes\[0\]: unknown checkpoint probe "nope"/.test(e.message),
    );
    assert.throws(() => probeNamed('nope'), /unknown checkpoint probe/);
  });

  it('the executor knows no probe by name: src/sweep/execute.ts names none of the probes or their fields', () => {
    const source = readFileSync(new URL('../../../src/sweep/execute.ts', import.meta.url), 'utf8');
    const words = [INVARIANCE_PROBE, TAIL_STEP_PROBE, TOY, TOY_NEXT].flatMap((p) => [p.name]);
    for (const word of [...words, 'scaleGap', 'gradCosine', 'tailStep', 'ratio', 'INVARIANCE_PROBE', 'TAIL_STEP_PROBE'])
      assert.doesNotMatch(source, new RegExp(`\\b${word}\\b`), `execute.ts names ${word}`);
  });
});
