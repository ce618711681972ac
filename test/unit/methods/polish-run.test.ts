import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSynthetic } from '../../../src/methods/run.ts';

test("a polished run's seconds include its last look (the rank scan after training), not only the trainer's clock", () => {
  // 20 steps: no look happens during training, so the whole polish (gap tries and the rank scan) is the last look.
  const r = runSynthetic({
    method: 'gradient',
    model: 'factored',
    k: 6,
    polish: true,
    n: 60,
    rank: 3,
    samples: 1500,
    seed: 1,
    maxIters: 20,
  });
  const polish = r.polish;
  assert.ok(polish, 'a polished run reports its polish');
  assert.equal(polish.estimatedRank, 3);
  assert.ok(polish.seconds > 0);
  assert.ok(r.seconds >= polish.seconds, `run ${r.seconds} s < polish ${polish.seconds} s`);
});
