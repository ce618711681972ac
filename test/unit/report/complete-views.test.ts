// The completion report's cold-start table and top-N view: the coarse buckets combine the diagnostics' RMSEs through
// their sums of squares, and the top-N view is model.recommend's lists with each item's training support.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coarseBuckets, topNView } from '../../../src/report/complete.ts';
import { COUNT_BUCKETS, type CountBucket } from '../../../src/complete/diagnostics.ts';
import { complete } from '../../../src/complete/index.ts';
import { labelObservations } from '../../../src/data/labels.ts';
import { createRng } from '../../../src/random/index.ts';

test('coarseBuckets: entries add up and the RMSE is that of the pooled squared errors', () => {
  // 1–2: 2 entries at RMSE 1 (sse 2); 3–5: 2 at RMSE 2 (sse 8); 6–10: 3 at RMSE 1; 501+: 1 at RMSE 3.
  const fine: CountBucket[] = COUNT_BUCKETS.map(([lo, hi]) => ({ lo, hi: Number.isFinite(hi) ? hi : null, entries: 0, rmse: null }));
  const set = (lo: number, entries: number, rmse: number): void => {
    const b = fine.find((x) => x.lo === lo) as CountBucket;
    b.entries = entries;
    b.rmse = rmse;
  };
  set(1, 2, 1);
  set(3, 2, 2);
  set(6, 3, 1);
  set(501, 1, 3);
  const coarse = coarseBuckets(fine);
  assert.deepEqual(
    coarse.map((b) => [b.lo, b.hi, b.entries]),
    [
      [0, 0, 0],
      [1, 5, 4],
      [6, 20, 3],
      [21, null, 1],
    ],
  );
  assert.equal(coarse[0].rmse, null);
  assert.ok(Math.abs((coarse[1].rmse ?? NaN) - Math.sqrt(10 / 4)) < 1e-15);
  assert.equal(coarse[2].rmse, 1);
  assert.equal(coarse[3].rmse, 3);
  // Every fine bucket lies inside one coarse bucket: the totals agree.
  assert.equal(
    coarse.reduce((s, b) => s + b.entries, 0),
    fine.reduce((s, b) => s + b.entries, 0),
  );
});

test('topNView: the lists of model.recommend with each item’s support; an item rated once shows, and minSupport drops it', () => {
  // 30 users × 20 items, most cells rated around 3; item "rare" has one rating, a 5, so its bias lifts it to the top.
  const rng = createRng(3);
  const users: string[] = [];
  const items: string[] = [];
  const values: number[] = [];
  for (let u = 0; u < 30; u++) {
    for (let j = 0; j < 20; j++) {
      if (rng.uniform() < 0.7) {
        users.push(`u${u}`);
        items.push(`i${j}`);
        values.push(Math.round(2 + 2 * rng.uniform()));
      }
    }
  }
  users.push('u29');
  items.push('rare');
  values.push(5);
  const data = labelObservations(users, items, values);
  const model = complete(data, { method: 'soft-impute', biasLambdas: [0] });
  const view = topNView(model, { users: 3, top: 5, minSupport: 2 });
  const support = model.itemSupport();
  assert.equal(view.users.length, 3);
  for (const u of view.users) {
    assert.deepEqual(
      u.plain.map((x) => x.item),
      model.recommend(u.user, { top: 5 }).map((r) => r.item),
    );
    for (const x of [...u.plain, ...u.supported]) assert.equal(x.support, support[model.colIds.indexOf(x.item)]);
    assert.ok(u.supported.every((x) => x.support >= 2));
    assert.equal(u.ratings, model.seenItems(u.user).length);
  }
  // Without a ridge the item rated once sits on its one 5: it tops a list, and the filtered list leaves it out.
  assert.ok(view.users.some((u) => u.plain.some((x) => x.item === 'rare' && x.support === 1)));
  assert.ok(view.users.every((u) => u.supported.every((x) => x.item !== 'rare')));
});
