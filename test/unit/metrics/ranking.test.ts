// Ranking metrics against hand-computed lists: each value below is worked out from the definitions in
// docs/complete.md ("Evaluate"), not read back from the code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { averagePrecisionAtK, ndcgAtK, precisionAtK, rankingScores, recallAtK } from '../../../src/metrics/ranking.ts';

const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);
const list = (s: string): boolean[] => [...s].map((c) => c === '1');

test('a list with hits at ranks 1 and 3 of 5, three relevant items', () => {
  const hits = list('10100');
  close(precisionAtK(hits, 3, 5), 2 / 5, 'precision');
  close(recallAtK(hits, 3, 5), 2 / 3, 'recall');
  // DCG = 1/log2(2) + 1/log2(4) = 1.5; IDCG = 1 + 1/log2(3) + 1/log2(4).
  close(ndcgAtK(hits, 3, 5), 1.5 / (1.5 + 1 / Math.log2(3)), 'ndcg');
  // AP = (P@1 + P@3) / min(5, 3) = (1 + 2/3) / 3.
  close(averagePrecisionAtK(hits, 3, 5), (1 + 2 / 3) / 3, 'ap');
});

test('a perfect ranking gives NDCG 1 and AP 1, whatever k and the number of relevant items', () => {
  for (const [relevant, k] of [
    [3, 5],
    [10, 3],
    [1, 1],
    [4, 4],
  ]) {
    const hits = Array.from({ length: k }, (_, i) => i < relevant);
    close(ndcgAtK(hits, relevant, k), 1, `ndcg ${relevant}/${k}`);
    close(averagePrecisionAtK(hits, relevant, k), 1, `ap ${relevant}/${k}`);
    close(precisionAtK(hits, relevant, k), Math.min(relevant, k) / k, `precision ${relevant}/${k}`);
    close(recallAtK(hits, relevant, k), Math.min(relevant, k) / relevant, `recall ${relevant}/${k}`);
  }
});

test('no hit scores 0 everywhere; hits beyond k do not count', () => {
  const none = rankingScores(list('00000'), 2, 5);
  assert.deepEqual(none, { precision: 0, recall: 0, ndcg: 0, ap: 0 });
  // Hits at ranks 2 and 3, cut at k = 2: one hit, at rank 2.
  const hits = list('011');
  close(precisionAtK(hits, 2, 2), 1 / 2, 'precision');
  close(recallAtK(hits, 2, 2), 1 / 2, 'recall');
  close(ndcgAtK(hits, 2, 2), 1 / Math.log2(3) / (1 + 1 / Math.log2(3)), 'ndcg');
  close(averagePrecisionAtK(hits, 2, 2), 1 / 2 / 2, 'ap');
});

test('a list shorter than k counts its empty places as misses in precision, not in the others', () => {
  const hits = list('1');
  close(precisionAtK(hits, 1, 5), 1 / 5, 'precision');
  close(recallAtK(hits, 1, 5), 1, 'recall');
  close(ndcgAtK(hits, 1, 5), 1, 'ndcg');
  close(averagePrecisionAtK(hits, 1, 5), 1, 'ap');
});

test('the metrics order lists as they should: an earlier hit scores higher in NDCG and AP, equal in P and R', () => {
  const early = rankingScores(list('1000'), 1, 4);
  const late = rankingScores(list('0001'), 1, 4);
  assert.ok(early.ndcg > late.ndcg && early.ap > late.ap);
  assert.equal(early.precision, late.precision);
  assert.equal(early.recall, late.recall);
  close(late.ap, 1 / 4, 'ap of one hit at rank 4');
  close(late.ndcg, 1 / Math.log2(5), 'ndcg of one hit at rank 4');
});

test('bad arguments are one RangeError naming the problem', () => {
  assert.throws(() => precisionAtK(list('1'), 0, 5), /at least one relevant item/);
  assert.throws(() => ndcgAtK(list('1'), 1, 0), /k must be an integer >= 1/);
  assert.throws(() => recallAtK(list('11'), 1, 2), /2 hits in the list but only 1 relevant/);
});
