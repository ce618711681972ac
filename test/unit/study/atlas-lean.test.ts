// The atlas's 'lean' tuning protocol: successive halving on both tuning seeds, the last round on the first seed alone,
// then checks of the finalists on the other seed while one can still win.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ATLAS_QUICK,
  atlasSweepName,
  checkName,
  chooseByTuning,
  finalistCount,
  halvingBudgets,
  halvingName,
  nextCheck,
  restrictProtocol,
  tuningStageCount,
  tuningStageSpec,
  withTuning,
  type AtlasCell,
  type AtlasProtocol,
} from '../../../src/study/atlas.ts';
import { expandSweep } from '../../../src/sweep/spec.ts';
import { executeTask, type RunRecord } from '../../../src/sweep/execute.ts';
import { openResults } from '../../../src/sweep/results.ts';
import { sweep } from '../../../src/sweep/sweep.ts';
import { InputError } from '../../../src/data/input-error.ts';
import { createRng } from '../../../src/random/index.ts';

const cell: AtlasCell = { optimizer: 'adam', penalty: 'ratio', depth: 1 };
const lean: AtlasProtocol = restrictProtocol(ATLAS_QUICK, { optimizers: ['adam'], penalties: ['ratio'], depths: [1] });

describe('nextCheck: which finalist runs on the other tuning seeds next', () => {
  it('none complete: the least first-seed score; then another only while its bound can beat the least complete worst', () => {
    assert.equal(
      nextCheck([
        { lr: 1e-3, value: 0.3, complete: false },
        { lr: 1e-2, value: 0.1, complete: false },
      ]),
      1e-2,
    );
    // 1e-2 checked: worst 0.5 over both seeds; 1e-3's bound 0.3 can still beat it.
    assert.equal(
      nextCheck([
        { lr: 1e-3, value: 0.3, complete: false },
        { lr: 1e-2, value: 0.5, complete: true },
      ]),
      1e-3,
    );
    // 1e-2 checked at worst 0.2: 1e-3 (at least 0.3 on every seed) cannot win, so it is never run on the second seed.
    assert.equal(
      nextCheck([
        { lr: 1e-3, value: 0.3, complete: false },
        { lr: 1e-2, value: 0.2, complete: true },
      ]),
      null,
    );
    // Ties go to the smaller rate, as in the rule: a smaller rate at an equal bound is checked, a larger one is not.
    assert.equal(
      nextCheck([
        { lr: 1e-3, value: 0.2, complete: false },
        { lr: 1e-2, value: 0.2, complete: true },
      ]),
      1e-3,
    );
    assert.equal(
      nextCheck([
        { lr: 1e-1, value: 0.2, complete: false },
        { lr: 1e-2, value: 0.2, complete: true },
      ]),
      null,
    );
    // A finalist that diverged (null) is never checked; a diverged checked one does not block the next.
    assert.equal(nextCheck([{ lr: 1, value: null, complete: false }]), null);
    assert.equal(
      nextCheck([
        { lr: 1e-3, value: 0.9, complete: false },
        { lr: 1e-2, value: null, complete: true },
      ]),
      1e-3,
    );
    assert.equal(nextCheck([{ lr: 1e-3, value: 0.9, complete: true }]), null);
  });
});

/**
 * A deterministic world of tuning runs: each (rate, seed) has a score per step count and maybe a step at which it
 * stops early (stall) or diverges, so that a run with a larger budget stops at the same step with the same score, as
 * the trainer's runs do.
 */
function world(seed: number) {
  const rng = createRng(seed);
  const rand = () => rng.uniform();
  const fate = new Map<string, { stop: number; diverge: boolean; a: number; b: number }>();
  const of = (lr: number, s: number) => {
    const key = `${lr}|${s}`;
    if (!fate.has(key)) {
      const u = rand();
      fate.set(key, {
        stop: u < 0.3 ? 200 + Math.floor(rand() * 11000) : Infinity,
        diverge: u > 0.93,
        // Score at step t: a + b / (1 + t/1000), so runs rank by speed early and by their floor late.
        a: rand() * (s === 1001 ? 1.3 : 1),
        b: rand() * 2,
      });
    }
    return fate.get(key)!;
  };
  return (name: string, lr: number, s: number, budget: number): RunRecord => {
    const f = of(lr, s);
    const steps = Math.min(budget, f.stop);
    if (f.diverge)
      return {
        name,
        seed: s,
        settings: { lr, maxIters: budget },
        metrics: null,
        error: `training diverged: the objective became non-finite at step ${Math.min(steps, 50)} (optimizer x)`,
      } as unknown as RunRecord;
    return {
      name,
      seed: s,
      settings: { lr, maxIters: budget },
      metrics: {
        heldoutRMSE: f.a + f.b / (1 + steps / 1000),
        iterations: steps,
        stopReason: steps < budget ? 'stall' : 'max-iters',
        relError: 0.5,
      },
    } as unknown as RunRecord;
  };
}

/** Runs every tuning stage of `p` in `w` and returns the records of each stage. */
function runStages(p: AtlasProtocol, w: ReturnType<typeof world>): RunRecord[][] {
  const stages: RunRecord[][] = [];
  for (let k = 0; k < tuningStageCount(p); k++) {
    const spec = tuningStageSpec(p, k, stages);
    stages.push(
      expandSweep(spec).map((t) => {
        const s = t.settings as unknown as { lr: number; maxIters: number; seed: number };
        return w(t.name, s.lr, s.seed, s.maxIters);
      }),
    );
  }
  return stages;
}

describe("the 'lean' protocol", () => {
  it('is the default: budgets cap/9, cap/3, cap on both tuning seeds, the last round on seed 1000, then checks; its own sweep names', () => {
    assert.equal(lean.tuning, 'lean');
    assert.deepEqual(halvingBudgets(lean, cell), [1333, 4000, 12000]);
    // A first round at cap/27 (measured on the quick slice, docs/results.md) is one setting away.
    assert.deepEqual(halvingBudgets({ ...lean, leanDivisors: [27, 3, 1] }, cell), [444, 4000, 12000]);
    assert.equal(atlasSweepName(lean), 'atlas-quick-holdout-lean');
    assert.equal(finalistCount(lean), 2);
    assert.equal(tuningStageCount(lean), 5);
    const r0 = tuningStageSpec(lean, 0, []);
    assert.equal(r0.name, 'atlas-quick-holdout-lean-tune-1');
    const tasks = expandSweep(r0);
    assert.equal(tasks.length, 7 * 2);
    assert.ok(
      r0.methods.every(
        (m) =>
          m.maxIters === 1333 &&
          m.holdout === 0.1 &&
          (m as unknown as Record<string, unknown>).earlyStopWindow === 3000 &&
          m.name === halvingName(lean, cell, m.lr as number, 0),
      ),
    );
    assert.match(r0.methods[0].name, /· round 1\/3 \(1333 of 12000 steps\)$/);
    assert.equal(
      checkName(lean, cell, 1e-3, 0),
      'tune: adam · ratio · depth 1 · lr 0.001 · check 1/2 (12000 of 12000 steps)',
    );
    // The protocol of before keeps its budgets and names, so its files resume.
    const halving = withTuning(lean, 'halving');
    assert.deepEqual(halvingBudgets(halving, cell), [1333, 4000, 12000]);
    assert.equal(tuningStageCount(halving), 3);
    assert.equal(tuningStageSpec(halving, 0, []).name, 'atlas-quick-holdout-halving-tune-1');
  });

  it('the last round runs the finalists on seed 1000 alone; the checks run them on seed 1001 in order while they can still win', () => {
    const w = (name: string, lr: number, s: number, budget: number, v: number, stop?: number): RunRecord =>
      ({
        name,
        seed: s,
        settings: { lr, maxIters: budget },
        metrics: {
          heldoutRMSE: v,
          iterations: stop ?? budget,
          stopReason: stop === undefined ? 'max-iters' : 'stall',
          relError: 0.5,
        },
      }) as unknown as RunRecord;
    const r1 = [1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100].flatMap((lr, i) => [
      w(halvingName(lean, cell, lr, 0), lr, 1000, 1333, 0.5 + i / 10),
      w(halvingName(lean, cell, lr, 0), lr, 1001, 1333, 0.55 + i / 10),
    ]);
    const spec2 = tuningStageSpec(lean, 1, [r1]);
    assert.deepEqual(
      spec2.methods.map((m) => [m.lr, m.maxIters]),
      [
        [1e-4, 4000],
        [1e-3, 4000],
        [1e-2, 4000],
      ],
    );
    // Round 2: 1e-2 best on 1000 but worst on 1001; 1e-3 stopped early on 1001 (carried to the last round).
    const r2 = [
      w(halvingName(lean, cell, 1e-4, 1), 1e-4, 1000, 4000, 0.5),
      w(halvingName(lean, cell, 1e-4, 1), 1e-4, 1001, 4000, 0.6),
      w(halvingName(lean, cell, 1e-3, 1), 1e-3, 1000, 4000, 0.3),
      w(halvingName(lean, cell, 1e-3, 1), 1e-3, 1001, 4000, 0.35, 3500),
      w(halvingName(lean, cell, 1e-2, 1), 1e-2, 1000, 4000, 0.1),
      w(halvingName(lean, cell, 1e-2, 1), 1e-2, 1001, 4000, 2),
    ];
    const spec3 = tuningStageSpec(lean, 2, [r1, r2]);
    // Finalists by the worst seed at cap/3: 1e-3 (0.35) and 1e-4 (0.6); only seed 1000, at the cap.
    assert.deepEqual(
      expandSweep(spec3).map((t) => [(t.settings as { lr: number }).lr, t.settings.seed, t.settings.maxIters]),
      [
        [1e-4, 1000, 12000],
        [1e-3, 1000, 12000],
      ],
    );
    const r3 = [
      w(halvingName(lean, cell, 1e-4, 2), 1e-4, 1000, 12000, 0.2),
      w(halvingName(lean, cell, 1e-3, 2), 1e-3, 1000, 12000, 0.25, 9000),
    ];
    // Check 1: 1e-4 leads on seed 1000 (0.2) and has no run at the cap on 1001: it runs there.
    const check1 = tuningStageSpec(lean, 3, [r1, r2, r3]);
    assert.equal(check1.name, 'atlas-quick-holdout-lean-check-1');
    assert.deepEqual(
      expandSweep(check1).map((t) => [t.name, t.settings.seed, t.settings.maxIters]),
      [[checkName(lean, cell, 1e-4, 0), 1001, 12000]],
    );
    // 1e-4 ends at 0.4 on seed 1001 (worst 0.4). 1e-3 is complete already (its 1001 run stopped early, worst 0.35).
    const c1 = [w(checkName(lean, cell, 1e-4, 0), 1e-4, 1001, 12000, 0.4)];
    assert.equal(tuningStageSpec(lean, 4, [r1, r2, r3, c1]).methods.length, 0, 'no finalist left to check');
    const [choice] = chooseByTuning(lean, [r1, r2, r3, c1, []]);
    assert.equal(choice.lr, 1e-3);
    const g = (lr: number) => choice.grid.find((x) => x.lr === lr)!;
    assert.deepEqual([g(1e-3).value, g(1e-3).seeds], [0.35, [1000, 1001]]);
    assert.deepEqual([g(1e-4).value, g(1e-4).seeds, g(1e-4).round], [0.4, [1000, 1001], 4]);
    assert.deepEqual([g(1e-2).value, g(1e-2).round], [2, 2]);
    assert.deepEqual(
      choice.rounds?.map((r) => [r.budget, r.lrs, r.seeds, r.steps]),
      [
        [1333, [1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100], [1000, 1001], 14 * 1333],
        [4000, [1e-4, 1e-3, 1e-2], [1000, 1001], 5 * 4000 + 3500],
        [12000, [1e-4, 1e-3], [1000], 12000 + 9000],
        [12000, [1e-4], [1001], 12000],
        [12000, [], [], 0],
      ],
    );
    assert.equal(choice.stepsRun, 14 * 1333 + 23500 + 21000 + 12000);
    assert.equal(choice.fixedCapSteps, 7 * 2 * 12000);

    // Had 1e-4 ended at 0.3 on seed 1001 (worst 0.3 < 0.35), it would win without a second check.
    const c1b = [w(checkName(lean, cell, 1e-4, 0), 1e-4, 1001, 12000, 0.3)];
    assert.equal(chooseByTuning(lean, [r1, r2, r3, c1b, []])[0].lr, 1e-4);
  });

  it('chooses what successive halving with every finalist on every seed chooses, with no more runs (200 random worlds)', () => {
    const p = lean;
    const halving = withTuning(p, 'halving');
    assert.deepEqual(halvingBudgets(p, cell), halvingBudgets(halving, cell), 'the same budgets');
    let fewer = 0;
    for (let s = 0; s < 200; s++) {
      const a = runStages(p, world(s));
      const b = runStages(halving, world(s));
      const [ca] = chooseByTuning(p, a);
      const [cb] = chooseByTuning(halving, b);
      assert.equal(ca.lr, cb.lr, `world ${s}`);
      assert.ok(ca.stepsRun! <= cb.stepsRun!, `world ${s}: ${ca.stepsRun} > ${cb.stepsRun}`);
      if (ca.stepsRun! < cb.stepsRun!) fewer++;
    }
    assert.ok(fewer > 50, `the checks saved runs in ${fewer} of 200 worlds`);
  });

  it('a resume refuses the records of the protocol of before (halving), and its own resume reruns nothing', async () => {
    const one = {
      ...restrictProtocol(ATLAS_QUICK, { optimizers: ['sgd'], penalties: ['none'], depths: [1] }),
      lrGrid: [0.1],
      unpenalizedMaxIters: 270,
    };
    const old = tuningStageSpec(withTuning(one, 'halving'), 0, []);
    const now = tuningStageSpec(one, 0, []);
    assert.equal(old.name, 'atlas-quick-holdout-halving-tune-1');
    assert.equal(now.name, 'atlas-quick-holdout-lean-tune-1');
    const out = join(mkdtempSync(join(tmpdir(), 'mcomplete-atlas-lean-')), 'tuning-1.jsonl');
    const w = openResults(out, { truncate: true });
    for (const t of expandSweep(old)) w.append(executeTask(t, { version: 't', sweep: old.name }));
    w.close();
    await assert.rejects(
      sweep(now, { out, resume: true, workers: 1 }),
      (err: unknown) =>
        err instanceof InputError && /another sweep \("atlas-quick-holdout-halving-tune-1"\)/.test(err.message),
    );
    const same = await sweep(old, { out, resume: true, workers: 1 });
    assert.equal(same.skipped, 2);
  });
});
